"""The compiled walker simulator's geometry equals Box2D's (shapes, masses, contacts, lidar).

Box2D is asked directly: the reference's bodies and fixtures are built at a scripted pose, ``world.Step(0,
0, 0)`` runs only the broad phase and ``b2ContactManager::Collide`` (no solver at dt = 0), and
``world.RayCast`` casts the lidar rays. The expected values are therefore Box2D's own, not ours.
"""

import math

import Box2D
import numpy as np
import pytest
from numba import njit

from aiga.envs.walker import fast_sim
from aiga.envs.walker.box2d_env import WalkerCourseSim, _hull_fd, _leg_fd, _lower_fd
from aiga.envs.walker.constants import LEG_DOWN, LEG_H, LIDAR_RANGE, TERRAIN_STEP
from aiga.envs.walker.terrain import CourseParams, generate_course

OBSTACLES = CourseParams(roughness=1.0, pit_gap=(1.0, 2.0), stump_height=(1.0, 2.0), seed=4)


def _pose(x, y, hull_angle, hips, knees):
    """Body origins (5, 2) and angles (5,) of a walker whose joints are exactly assembled."""
    pos = np.zeros((5, 2))
    ang = np.zeros(5)
    pos[0] = (x, y)
    ang[0] = hull_angle

    def rot(a, v):
        return np.array([math.cos(a) * v[0] - math.sin(a) * v[1], math.sin(a) * v[0] + math.cos(a) * v[1]])

    for side, (hip, knee) in enumerate(zip(hips, knees, strict=True)):
        up, low = 1 + 2 * side, 2 + 2 * side
        hip_world = pos[0] + rot(hull_angle, (0.0, LEG_DOWN))
        ang[up] = hull_angle + hip
        pos[up] = hip_world - rot(ang[up], (0.0, LEG_H / 2))
        knee_world = pos[up] + rot(ang[up], (0.0, -LEG_H / 2))
        ang[low] = ang[up] + knee
        pos[low] = knee_world - rot(ang[low], (0.0, LEG_H / 2))
    return pos, ang


def _lowest_y(pos, ang):
    low = math.inf
    for k in range(5):
        v = fast_sim.BODY_VERTS[k, :fast_sim.BODY_NV[k]]
        c, s = math.cos(ang[k]), math.sin(ang[k])
        low = min(low, float((s * v[:, 0] + c * v[:, 1] + pos[k, 1]).min()))
    return low


class _Nearest(Box2D.b2.rayCastCallback):
    """Nearest ground fixture (clip the ray at each hit)."""

    def ReportFixture(self, fixture, point, normal, fraction):  # noqa: N802
        if fixture.userData:
            return -1
        self.fraction = min(self.fraction, fraction)
        return fraction


def _box2d_geometry(course, pos, ang):
    sim = WalkerCourseSim(course)
    sim.world = world = Box2D.b2World()
    sim._build_terrain()
    bodies = []
    for k, fd in enumerate([_hull_fd(), _leg_fd(), _lower_fd(), _leg_fd(), _lower_fd()]):
        b = world.CreateDynamicBody(position=tuple(pos[k]), angle=float(ang[k]), fixtures=fd)
        b.fixtures[0].userData = True
        b.userData = ("walker", k)
        bodies.append(b)
    for i, t in enumerate(sim.terrain):
        t.userData = ("ground", i)
    world.Step(0.0, 0, 0)
    pairs = []
    for c in world.contacts:
        if not c.touching:
            continue
        tags = dict([c.fixtureA.body.userData, c.fixtureB.body.userData])
        pairs.append((tags["walker"], tags["ground"], c.manifold.pointCount))
    p1 = bodies[0].position
    fractions = []
    for i in range(10):
        cb = _Nearest()
        cb.fraction = 1.0
        p2 = (p1.x + math.sin(1.5 * i / 10.0) * LIDAR_RANGE, p1.y - math.cos(1.5 * i / 10.0) * LIDAR_RANGE)
        world.RayCast(cb, p1, p2)
        fractions.append(cb.fraction)
    return sorted(pairs), np.array(fractions)


def test_shapes_and_mass_equal_box2d():
    sim = WalkerCourseSim(CourseParams.flat())
    sim._build_world()
    for k, body in enumerate([sim.hull, *sim.legs]):
        verts = np.array(body.fixtures[0].shape.vertices)
        np.testing.assert_array_equal(fast_sim.BODY_VERTS[k, :fast_sim.BODY_NV[k]], verts)
        np.testing.assert_allclose(fast_sim.BODY_MASS[k], body.mass, rtol=1e-6)
        np.testing.assert_allclose(fast_sim.BODY_LOCAL_CENTER[k], tuple(body.localCenter), atol=1e-6)
        lc = body.localCenter
        i_center = body.inertia - body.mass * (lc.x ** 2 + lc.y ** 2)
        np.testing.assert_allclose(1.0 / fast_sim.BODY_INV_I[k], i_center, rtol=1e-5)
    for j, joint in enumerate(sim.joints):  # the reference angles pybox2d's joint definition sets
        assert fast_sim.JOINT_REFERENCE[j] == pytest.approx(joint.GetReferenceAngle(), abs=1e-7)
        assert fast_sim.JOINT_LOWER[j] == joint.lowerLimit and fast_sim.JOINT_UPPER[j] == joint.upperLimit


def _scenes():
    """(label, course, x) over flat ground, just before a pit edge, and on a stump."""
    flat = generate_course(CourseParams.flat(seed=2))
    obst = generate_course(OBSTACLES)
    pit = next(ob for ob in obst.obstacles if ob.kind == "pit")
    stump = next(ob for ob in obst.obstacles if ob.kind == "stump")
    pit_x = pit.vertices[0][0]
    stump_x = stump.vertices[0][0]
    return [("flat", flat, 20 * TERRAIN_STEP), ("pit", obst, pit_x - 0.1), ("pit-inside", obst, pit_x + 0.4),
            ("stump", obst, stump_x - 0.2), ("stump-top", obst, stump_x + 0.1)]


@pytest.mark.parametrize("label,course,x", _scenes(), ids=lambda v: v if isinstance(v, str) else "")
def test_contacts_and_lidar_equal_box2d(label, course, x):
    arrays = fast_sim.CourseArrays(course)
    rng = np.random.default_rng(len(label))
    ground = float(np.interp(x, course.terrain_x, course.terrain_y))
    touching_seen = 0
    for trial in range(12):
        hull_angle = rng.uniform(-0.6, 0.6) if trial % 3 else rng.uniform(-1.6, 1.6)
        hips = rng.uniform(-0.8, 1.1, 2)
        knees = rng.uniform(-1.6, -0.1, 2)
        pos, ang = _pose(x, 0.0, hull_angle, hips, knees)
        # lowest vertex from 3 cm below to 5 cm above the local ground, or well above it
        dy = (-0.03, -0.005, 0.003, 0.012, 0.019, 0.05)[trial % 6] if trial < 10 else 0.5
        pos[:, 1] += ground + dy - _lowest_y(pos, ang)
        pos = pos.astype(np.float32).astype(np.float64)
        ang = ang.astype(np.float32).astype(np.float64)
        expected_pairs, expected_fractions = _box2d_geometry(course, pos, ang)
        pairs, fractions = fast_sim.probe_geometry(arrays, pos, ang)
        assert pairs == expected_pairs, (label, trial)
        np.testing.assert_allclose(fractions, expected_fractions, atol=2e-6, err_msg=f"{label} {trial}")
        touching_seen += len(pairs) > 0
    assert touching_seen >= 4  # the poses do exercise contacts


@njit(cache=False)
def _closest_pairs_every_hypot(k, px, py, co, si, j, fnv, fverts):
    """``_closest_features``' vertex-edge enumeration written plainly, a ``hypot`` for every pair (compiled
    too, so that both use the same ``hypot``)."""
    nb, na = fast_sim.BODY_NV_NB[k], fnv[j]
    verts = fast_sim.BODY_VERTS_NB[k]
    wv = np.zeros((nb, 2))
    for i in range(nb):
        wv[i, 0] = co * verts[i, 0] - si * verts[i, 1] + px
        wv[i, 1] = si * verts[i, 0] + co * verts[i, 1] + py
    best, found = fast_sim.MAX_FLOAT, (1, 0, 0, 0, 0)
    for m in range(na if na > 2 else 1):
        m2 = m + 1 if m + 1 < na else 0
        ax, ay = fverts[j, m, 0], fverts[j, m, 1]
        ex, ey = fverts[j, m2, 0] - ax, fverts[j, m2, 1] - ay
        for i in range(nb):
            wx, wy = wv[i, 0], wv[i, 1]
            t = ((wx - ax) * ex + (wy - ay) * ey) / (ex * ex + ey * ey)
            if t <= 0.0:
                d, pair = math.hypot(wx - ax, wy - ay), (1, m, m, i, i)
            elif t >= 1.0:
                d, pair = math.hypot(wx - ax - ex, wy - ay - ey), (1, m2, m2, i, i)
            else:
                d, pair = math.hypot(wx - ax - t * ex, wy - ay - t * ey), (2, m, m2, i, i)
            if d < best - 1e-12:
                best, found = d, pair
    for i in range(nb):
        i2 = i + 1 if i + 1 < nb else 0
        bx, by = wv[i, 0], wv[i, 1]
        ex, ey = wv[i2, 0] - bx, wv[i2, 1] - by
        for m in range(na):
            t = ((fverts[j, m, 0] - bx) * ex + (fverts[j, m, 1] - by) * ey) / (ex * ex + ey * ey)
            if 0.0 < t < 1.0:
                d = math.hypot(fverts[j, m, 0] - bx - t * ex, fverts[j, m, 1] - by - t * ey)
                if d < best - 1e-12:
                    best, found = d, (2, m, m, i, i2)
    return best, found


def test_closest_features_shortcut_picks_the_pairs_every_hypot_picks():
    """The time of impact's closest features skip ``hypot`` for pairs that cannot win; over random poses
    of every body near edges, stumps and pit walls the winner and its distance equal the plain search's."""
    arrays = fast_sim.CourseArrays(generate_course(CourseParams(roughness=4.5, pit_gap=(5.4, 6.0),
                                                                stump_height=(2.0, 2.4), seed=1)))
    rng = np.random.default_rng(0)
    wv = np.zeros((8, 2))
    polygons = 0
    for _ in range(600):
        j = int(rng.integers(len(arrays.nv)))
        k = int(rng.integers(fast_sim.NUM_BODIES))
        px = arrays.verts[j, 0, 0] + rng.uniform(-0.3, 0.8)
        py = arrays.verts[j, 0, 1] + rng.uniform(-0.2, 0.6)
        angle = rng.uniform(-1.0, 1.0)
        co, si = math.cos(angle), math.sin(angle)
        dist, *features = fast_sim._closest_features(k, px, py, co, si, j, arrays.nv, arrays.verts, wv)
        best, found = _closest_pairs_every_hypot(k, px, py, co, si, j, arrays.nv, arrays.verts)
        assert tuple(features) == found
        assert dist == 0.0 or dist == best
        polygons += arrays.nv[j] > 2
    assert polygons > 0  # stumps (polygons) as well as edges
