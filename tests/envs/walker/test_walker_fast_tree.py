"""Our port of Box2D's broad-phase tree (``fast_tree``) is Box2D's tree, and gives the reference's lidar.

The expected values are Box2D's own: pybox2d's ``broadPhase.GetFatAABB(proxy)`` for every leaf,
``world.GetTreeHeight/Balance/Quality`` for the whole tree, and ``world.RayCast`` with the reference's
callback (``_ReferenceLidarCallback``: stop at the first ground fixture reported) for the lidar. The tree is
fed the moves Box2D makes: proxies created in the reference's fixture order, ``b2Body::SetTransform`` for
scripted poses, and in a real episode ``b2Fixture::Synchronize`` after the island solve (sweep start to the
island's result, bodies in world-list order) and after each time-of-impact sub-step.
"""

import math
from pathlib import Path

import numpy as np
import pytest
from test_walker_fast_geometry import _Nearest, _pose

from aiga.envs.walker import fast_sim, fast_tree
from aiga.envs.walker.box2d_env import WalkerCourseSim, _ReferenceLidarCallback
from aiga.envs.walker.constants import LIDAR_RANGE, TERRAIN_STEP
from aiga.envs.walker.terrain import CourseParams, generate_course

F32 = np.float32
THETA = np.load(Path(__file__).parent / "data" / "poet_walker_theta.npy")
COURSES = {
    "flat": CourseParams.flat(seed=0),
    "stumps+pits": CourseParams(roughness=0.4, pit_gap=(0.0, 0.8), stump_height=(0.0, 0.4), seed=918492),
    "rough": CourseParams(roughness=2.0, seed=5),
}
SYNC_ORDER = (4, 3, 2, 1, 0)  # b2World::Solve synchronises m_bodyList, newest body first


def _world(course):
    """The reference's world at reset, before its first step (fresh world, course, walker)."""
    sim = WalkerCourseSim(course)
    sim._build_world(reference=True)
    sim.lidar = [_ReferenceLidarCallback() for _ in range(10)]
    sim.game_over = False
    sim.prev_shaping = None
    return sim


def _bodies(sim):
    return [sim.hull, *sim.legs]


def _shapes(sim):
    """The walker's fixture vertices as Box2D stores them (float32) and their counts."""
    verts = np.zeros((5, 8, 2), dtype=F32)
    nv = np.zeros(5, dtype=np.int64)
    for k, body in enumerate(_bodies(sim)):
        vs = body.fixtures[0].shape.vertices
        verts[k, :len(vs)] = vs
        nv[k] = len(vs)
    return verts, nv


def _xf(body):
    t = body.transform
    return (t.position.x, t.position.y, t.q.s, t.q.c)


def _tree_like(sim, arrays):
    """Our tree built as the reference's reset builds Box2D's: the course, then the walker's fixtures."""
    tree = fast_tree.DynamicTree.from_arrays(*fast_tree.tree_for_course(arrays.ids, arrays.kind, arrays.nv,
                                                                        arrays.verts))
    verts, nv = _shapes(sim)
    proxies = np.zeros(5, dtype=np.int64)
    bodies = _bodies(sim)
    fast_tree.add_walker(tree.box, tree.node, tree.meta, proxies, verts, nv,
                         np.array([(b.position.x, b.position.y) for b in bodies]),
                         np.array([b.angle for b in bodies]))
    return tree, proxies, verts, nv


def _fat(world, proxy):
    f = world.contactManager.broadPhase.GetFatAABB(int(proxy))
    return np.array([f.lowerBound.x, f.lowerBound.y, f.upperBound.x, f.upperBound.y], dtype=F32)


def _assert_same_tree(world, tree):
    leaves = np.flatnonzero(tree.node[:, fast_tree.N_HEIGHT] == 0)
    assert len(leaves) == world.proxyCount
    for proxy in leaves:
        np.testing.assert_array_equal(tree.fat_aabb(proxy), _fat(world, proxy), err_msg=f"proxy {proxy}")
    assert (tree.height(), tree.balance()) == (world.GetTreeHeight(), world.GetTreeBalance())
    assert tree.quality() == pytest.approx(world.GetTreeQuality(), rel=1e-6)


def _rays(sim):
    hp = sim.hull.position
    p1 = (hp.x, hp.y)
    return [(p1, (hp.x + math.sin(1.5 * i / 10.0) * LIDAR_RANGE,
                  hp.y - math.cos(1.5 * i / 10.0) * LIDAR_RANGE)) for i in range(10)]


def _box2d_fraction(world, callback, p1, p2):
    callback.fraction = 1.0
    world.RayCast(callback, p1, p2)
    return callback.fraction


# ---------------------------------------------------------------------- hand-computed cases


def _edges(segments):
    """Fixture arrays (kind, nv, verts, normals) of vertical/horizontal edges, for hand-made trees."""
    n = len(segments)
    verts = np.zeros((n, 8, 2))
    for j, (a, b) in enumerate(segments):
        verts[j, 0], verts[j, 1] = a, b
    return np.zeros(n, dtype=np.int64), np.full(n, 2, dtype=np.int64), verts, np.zeros((n, 8, 2))


def test_insertion_cost_heuristic_and_first_reported_hit_by_hand():
    """Three leaves: A (x 0..1), B (x 10..11), C (x 0.5..1.5). C's cheapest sibling is A (merged perimeter
    5.8 against 23.8 for B and 2 x 24.8 for a new root), so the root is (parent(A, C), B) and the cast,
    which pops child2 first, reports B before A although A is nearest."""
    tree = fast_tree.DynamicTree()
    a = tree.create_proxy((0.0, 0.0, 1.0, 1.0), 0)
    b = tree.create_proxy((10.0, 0.0, 11.0, 1.0), 1)
    c = tree.create_proxy((0.5, 0.0, 1.5, 1.0), 2)
    assert (a, b, c) == (0, 1, 3)  # node 2 is the first parent, allocated between B and C
    root = int(tree.meta[fast_tree.M_ROOT])
    assert root == 2 and tree.node[root, fast_tree.N_CHILD2] == b
    ac = tree.node[root, fast_tree.N_CHILD1]
    assert ac == 4 and tuple(tree.node[ac, 1:3]) == (a, c)
    np.testing.assert_allclose(tree.fat_aabb(ac), (-0.1, -0.1, 1.6, 1.1), atol=1e-6)
    assert tree.height() == 2
    arrays = type("Arrays", (), {})()
    arrays.kind, arrays.nv, arrays.verts, arrays.normals = _edges(
        [((0.5, 0.0), (0.5, 1.0)), ((10.5, 0.0), (10.5, 1.0)), ((1.0, 0.0), (1.0, 1.0))])
    # a ray along y = 0.5 from x = -1 to x = 20 crosses all three edges; B is visited first
    assert tree.ray_cast_first((-1.0, 0.5), (20.0, 0.5), arrays) == pytest.approx(11.5 / 21.0, rel=1e-6)
    # a ray that misses B's box: the subtree (A, C) is visited child2 first, so C (x = 1) before A (x = 0.5)
    assert tree.ray_cast_first((-1.0, 0.5), (5.0, 0.5), arrays) == pytest.approx(2.0 / 6.0, rel=1e-6)
    assert tree.ray_cast_first((-1.0, 5.0), (20.0, 5.0), arrays) == 1.0  # above everything


def test_move_proxy_keeps_contained_boxes_and_extends_by_twice_the_displacement():
    tree = fast_tree.DynamicTree()
    p = tree.create_proxy((0.0, 0.0, 1.0, 1.0), 0)
    tree.create_proxy((5.0, 0.0, 6.0, 1.0), 1)
    assert not tree.move_proxy(p, (0.05, -0.05, 1.05, 0.95), (0.05, -0.05))  # inside the 0.1 margin
    np.testing.assert_allclose(tree.fat_aabb(p), (-0.1, -0.1, 1.1, 1.1), atol=1e-6)
    assert tree.move_proxy(p, (0.5, -0.25, 1.5, 0.75), (0.5, -0.25))
    # extension 0.1 on every side, plus 2 x displacement: +1.0 on the right, -0.5 at the bottom
    np.testing.assert_allclose(tree.fat_aabb(p), (0.4, -0.85, 2.6, 0.85), atol=1e-6)
    # the freed parent is reused by the reinsertion (free list: last freed, first allocated)
    assert int(tree.meta[fast_tree.M_COUNT]) == 3 and tree.node[p, fast_tree.N_PARENT] == 2


# ---------------------------------------------------------------------- against Box2D


@pytest.mark.parametrize("name", list(COURSES))
def test_tree_equals_box2d_after_reset(name):
    """Every proxy's fat AABB, the height, balance and quality equal Box2D's after the reference's reset."""
    course = generate_course(COURSES[name])
    sim = _world(course)
    tree, proxies, _, _ = _tree_like(sim, fast_sim.CourseArrays(course))
    assert tuple(proxies) == tuple(range(2 * len(sim.terrain) - 1, 2 * len(sim.terrain) + 9, 2))
    _assert_same_tree(sim.world, tree)


@pytest.mark.parametrize("name", list(COURSES))
def test_reference_lidar_on_scripted_poses(name):
    """120 walker poses set one after another (``SetTransform`` on each body, the moves Box2D makes): the
    tree stays Box2D's and the first-reported fraction of each ray equals Box2D's reference callback."""
    course = generate_course(COURSES[name])
    arrays = fast_sim.CourseArrays(course)
    sim = _world(course)
    tree, proxies, verts, nv = _tree_like(sim, arrays)
    rng = np.random.default_rng(11)
    differs_from_nearest = 0
    for _ in range(120):
        x = rng.uniform(3.0, 60.0)
        ground = course.terrain_y[int(x / TERRAIN_STEP)]
        pos, ang = _pose(x, ground + rng.uniform(0.3, 2.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.8, 1.1, 2),
                         rng.uniform(-1.6, -0.1, 2))
        for k, body in enumerate(_bodies(sim)):
            body.transform = ((float(pos[k, 0]), float(pos[k, 1])), float(ang[k]))
            xf = _xf(body)  # SetTransform synchronises with the same transform twice: no displacement
            fast_tree.synchronize_polygon(tree.box, tree.node, tree.meta, proxies[k], verts[k], nv[k], *xf,
                                          *xf)
        for p1, p2 in _rays(sim):
            ref = _box2d_fraction(sim.world, _ReferenceLidarCallback(), p1, p2)
            assert tree.ray_cast_first(p1, p2, arrays) == pytest.approx(ref, abs=2e-6)
            differs_from_nearest += abs(_box2d_fraction(sim.world, _Nearest(), p1, p2) - ref) > 1e-6
    _assert_same_tree(sim.world, tree)
    if name == "stumps+pits":  # the rule matters there: many rays report a fixture behind the nearest
        assert differs_from_nearest > 50


def _first_transform(body):
    """The sweep-start transform of the first step: Box2D's centre of mass c0 = xf * localCenter, then back
    to an origin (c0 - q * localCenter), which can differ from the creation position in the last bit."""
    px, py, s, c = map(F32, _xf(body))
    lx, ly = F32(body.localCenter.x), F32(body.localCenter.y)
    cx = (c * lx - s * ly) + px
    cy = (s * lx + c * ly) + py
    return (float(cx - (c * lx - s * ly)), float(cy - (s * lx + c * ly)), float(s), float(c))


def _follow_episode(params, steps):
    """Drive the reference (continuous physics on) with the trained policy and feed our tree Box2D's moves.

    The island solve's result is not visible after ``world.Step`` when a time-of-impact sub-step moved a
    body afterwards, so a replica world (same actions, replayed) steps with continuous physics off: that is
    the same ``b2World::Solve`` without ``SolveTOI``. Steps where the replica and the reference end apart
    had an impact: the replica is rebuilt by replaying. An impact's own ``Synchronize`` reinserts a proxy
    only when its box leaves the fat box; such a reinsertion shows as a fat AABB that differs from ours, and
    is applied from Box2D's combined AABB (``fixture.GetAABB``) and its fat AABB."""
    course = generate_course(params)
    arrays = fast_sim.CourseArrays(course)
    ref = _world(course)
    replica = _world(course)
    tree, proxies, verts, nv = _tree_like(ref, arrays)
    start = [_first_transform(b) for b in _bodies(ref)]
    actions = []
    act, h1, h2 = np.zeros(4), np.zeros(40), np.zeros(40)
    counts = {"steps": 0, "impact_steps": 0, "impact_reinserts": 0, "rays": 0, "differs_from_nearest": 0}
    for _ in range(steps):
        actions.append(act.copy())
        obs, _, done = ref.reference_step(act)
        replica.world.continuousPhysics = False
        replica.reference_step(act)
        island = [_xf(b) for b in _bodies(replica)]
        final = [_xf(b) for b in _bodies(ref)]
        for k in SYNC_ORDER:
            fast_tree.synchronize_polygon(tree.box, tree.node, tree.meta, proxies[k], verts[k], nv[k],
                                          *start[k], *island[k])
        state = [(b.linearVelocity.x, b.linearVelocity.y, b.angularVelocity) for b in _bodies(ref)]
        if island != final or state != [(b.linearVelocity.x, b.linearVelocity.y, b.angularVelocity)
                                         for b in _bodies(replica)]:
            counts["impact_steps"] += 1
            for k in range(5):
                fat = _fat(ref.world, proxies[k])
                if np.array_equal(fat, tree.fat_aabb(proxies[k])):
                    continue
                counts["impact_reinserts"] += 1
                g = _bodies(ref)[k].fixtures[0].GetAABB(0)
                box = np.array([g.lowerBound.x, g.lowerBound.y, g.upperBound.x, g.upperBound.y], dtype=F32)
                ext = fast_tree.AABB_EXTENSION
                dx = fat[0] - (box[0] - ext) if fat[0] != box[0] - ext else fat[2] - (box[2] + ext)
                dy = fat[1] - (box[1] - ext) if fat[1] != box[1] - ext else fat[3] - (box[3] + ext)
                tree.move_proxy(proxies[k], box, (float(dx / F32(2)), float(dy / F32(2))))
            replica = _world(course)
            for a in actions:
                replica.reference_step(a)
        for k in range(5):
            np.testing.assert_array_equal(tree.fat_aabb(proxies[k]), _fat(ref.world, proxies[k]))
        assert (tree.height(), tree.balance()) == (ref.world.GetTreeHeight(), ref.world.GetTreeBalance())
        for i, (p1, p2) in enumerate(_rays(ref)):
            assert tree.ray_cast_first(p1, p2, arrays) == pytest.approx(obs[14 + i], abs=2e-6)
            counts["rays"] += 1
            nearest = _box2d_fraction(ref.world, _Nearest(), p1, p2)
            counts["differs_from_nearest"] += abs(nearest - obs[14 + i]) > 1e-6
        counts["steps"] += 1
        start = final
        if done:
            break
        fast_sim._policy_forward(THETA, obs, h1, h2, act)
    _assert_same_tree(ref.world, tree)
    counts["x"] = ref.hull.position.x
    return counts


def test_tree_follows_a_box2d_episode_on_stumps_and_pits():
    """220 steps of the reference with the trained walker: after every step each walker proxy's fat AABB and
    the tree's height and balance equal Box2D's, and all ten lidar fractions equal the reference's."""
    counts = _follow_episode(COURSES["stumps+pits"], 220)
    assert counts["steps"] == 220 and counts["x"] > 8.0  # it walked, over the start pad towards the obstacles
    assert counts["impact_steps"] > 5  # the moves after time-of-impact sub-steps were exercised
    assert counts["differs_from_nearest"] > 0


@pytest.mark.slow
def test_tree_follows_a_long_box2d_episode_on_stumps_and_pits():
    counts = _follow_episode(COURSES["stumps+pits"], 600)
    print(counts)
    assert counts["steps"] >= 500 and counts["differs_from_nearest"] > 20


# ---------------------------------------------------------------------- inside the compiled simulator


def test_fast_simulator_starts_from_box2ds_tree():
    """The compiled simulator's per-walker tree after its reset equals Box2D's after the reference's reset."""
    course = generate_course(COURSES["stumps+pits"])
    arrays = fast_sim.CourseArrays(course)
    trees = fast_sim._alloc_trees(2, fast_sim._tree0(arrays, "first"))
    pos0, ang0 = fast_sim.initial_pose()
    fast_sim._reset_tree(1, trees, fast_sim._tree0(arrays, "first"), pos0, ang0)
    box, node, meta = trees[0][1], trees[1][1], trees[2][1]
    _assert_same_tree(_world(course).world, fast_tree.DynamicTree.from_arrays(box, node, meta))


def test_fast_simulator_lidar_reports_through_its_tree():
    """Without time of impact the broad-phase moves of a step are the island solve's (start pose to end
    pose, bodies 4..0): a tree fed those moves from the simulator's own poses gives the simulator's lidar
    fractions, and on stumps and pits they are not all the nearest hits."""
    course = generate_course(COURSES["stumps+pits"])
    sim = fast_sim.FastWalkerBatch(course, batch=1, toi=False)
    arrays = sim.arrays
    tree = fast_tree.DynamicTree.from_arrays(*arrays.tree)
    proxies = np.zeros(5, dtype=np.int64)
    pos0, ang0 = fast_sim.initial_pose()
    fast_tree.add_walker(tree.box, tree.node, tree.meta, proxies, fast_sim.BODY_VERTS32_NB, fast_sim.BODY_NV,
                         pos0, ang0)
    lc = fast_sim.BODY_LOCAL_CENTER
    c = pos0 + np.stack([np.cos(ang0) * lc[:, 0] - np.sin(ang0) * lc[:, 1],
                         np.sin(ang0) * lc[:, 0] + np.cos(ang0) * lc[:, 1]], axis=-1)
    start = [fast_tree.body_transform32(c[k, 0], c[k, 1], ang0[k], lc[k, 0], lc[k, 1]) for k in range(5)]
    obs = sim.reset()
    act, h1, h2 = np.zeros(4), np.zeros(40), np.zeros(40)
    differs_from_nearest = 0
    for _ in range(200):
        st = sim.state()
        end = [fast_tree.body_transform32(st["c"][0, k, 0], st["c"][0, k, 1], st["a"][0, k],
                                          lc[k, 0], lc[k, 1])
               for k in range(5)]
        for k in SYNC_ORDER:
            fast_tree.synchronize_polygon(tree.box, tree.node, tree.meta, proxies[k],
                                          fast_sim.BODY_VERTS32_NB[k], fast_sim.BODY_NV[k],
                                          *start[k], *end[k])
        hull = sim.hull_position()[0]
        _, nearest = fast_sim.probe_geometry(arrays, sim.hull_position()[0], st["a"][0])
        for i in range(10):
            p2 = (hull[0, 0] + math.sin(1.5 * i / 10.0) * LIDAR_RANGE,
                  hull[0, 1] - math.cos(1.5 * i / 10.0) * LIDAR_RANGE)
            assert tree.ray_cast_first(hull[0], p2, arrays) == pytest.approx(obs[0, 14 + i], abs=1e-6)
            differs_from_nearest += abs(nearest[i] - obs[0, 14 + i]) > 1e-6
        start = end
        fast_sim._policy_forward(THETA, obs[0], h1, h2, act)
        obs, _, term, trunc = sim.step(act[None])
        if term[0] or trunc[0]:
            break
    assert differs_from_nearest > 0


def test_lidar_rule_is_checked():
    from aiga.core.config import AigaError

    arrays = fast_sim.CourseArrays(generate_course(COURSES["flat"]))
    with pytest.raises(AigaError, match="lidar must be one of first, nearest"):
        fast_sim.rollout_batch(arrays, THETA[None], 5, lidar="closest")


def test_full_node_pool_is_an_error_not_a_corruption():
    tree = fast_tree.DynamicTree(16)  # 16 nodes: 8 leaves and 7 parents fit, the 9th leaf's parent does not
    for i in range(8):
        tree.create_proxy((2.0 * i, 0.0, 2.0 * i + 1.0, 1.0), i)
    with pytest.raises(ValueError, match="node pool exhausted"):
        tree.create_proxy((20.0, 0.0, 21.0, 1.0), 8)
