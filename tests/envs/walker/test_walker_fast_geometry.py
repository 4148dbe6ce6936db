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
        # Box2D's float32 values, bit for bit (an ulp here parts the trajectories from the first step)
        f32 = np.float32
        assert f32(fast_sim.BODY_MASS[k]) == f32(body.mass)
        np.testing.assert_array_equal(fast_sim.BODY_LOCAL_CENTER[k].astype(f32),
                                      np.array(body.localCenter, f32))
        lc = fast_sim.BODY_LOCAL_CENTER[k].astype(f32)
        i_center = f32(1.0) / f32(fast_sim.BODY_INV_I[k])
        # b2Body::GetInertia = m_I + m_mass * dot(localCenter, localCenter), in float32
        assert f32(body.inertia) == i_center + f32(body.mass) * (lc[0] * lc[0] + lc[1] * lc[1])
        np.testing.assert_array_equal(fast_sim.BODY_NORMALS[k, :fast_sim.BODY_NV[k]].astype(f32),
                                      np.array(body.fixtures[0].shape.normals, f32))
    assert np.float32(fast_sim.BODY_CENTROID[0]).tolist() == np.array(sim.hull.fixtures[0].shape.centroid,
                                                                       np.float32).tolist()
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


def test_time_of_impact_equals_box2ds():
    """``_time_of_impact`` (GJK, separating axes, the root finder, all float32) against pybox2d's own
    ``b2TimeOfImpact`` on random sweeps of every walker body over course edges and stumps: the same state and
    the same fraction, bit for bit."""
    arrays = fast_sim.CourseArrays(generate_course(CourseParams(roughness=4.5, pit_gap=(5.4, 6.0),
                                                                stump_height=(2.0, 2.4), seed=1)))
    sim = WalkerCourseSim(CourseParams.flat())
    sim._build_world()
    shapes = [body.fixtures[0].shape for body in (sim.hull, *sim.legs)]
    f32 = np.float32
    gjk = (np.zeros(13, dtype=np.int64), np.zeros(1, dtype=np.float32), np.zeros((3, 7), dtype=np.float32),
           np.zeros((3, 2), dtype=np.int64))
    rng = np.random.default_rng(0)
    states = {}
    for _ in range(600):
        j = int(rng.integers(len(arrays.nv)))
        k = int(rng.integers(fast_sim.NUM_BODIES))
        n = arrays.nv[j]
        if n == 2:
            fixture = Box2D.b2EdgeShape(vertices=[tuple(map(float, arrays.verts[j, q])) for q in range(2)])
        else:
            fixture = Box2D.b2PolygonShape(vertices=[tuple(map(float, v)) for v in arrays.verts[j, :n]])
        lc = fast_sim.BODY_LOCAL_CENTER[k]
        x0 = f32(arrays.verts[j, 0, 0] + rng.uniform(-0.3, 0.8))
        y0 = f32(arrays.verts[j, 0, 1] + rng.uniform(0.0, 0.8))
        a0 = f32(rng.uniform(-2.0, 2.0))
        x1, y1 = f32(x0 + rng.uniform(-0.3, 0.3)), f32(y0 - rng.uniform(0.0, 0.8))
        a1 = f32(a0 + rng.uniform(-0.6, 0.6))
        sweep_b = Box2D.b2Sweep()
        sweep_b.localCenter = (float(lc[0]), float(lc[1]))
        sweep_b.c0, sweep_b.c = (float(x0), float(y0)), (float(x1), float(y1))
        sweep_b.a0, sweep_b.a, sweep_b.alpha0 = float(a0), float(a1), 0.0
        sweep_a = Box2D.b2Sweep()
        sweep_a.localCenter, sweep_a.c0, sweep_a.c, sweep_a.a0, sweep_a.a, sweep_a.alpha0 = ((0, 0), (0, 0),
                                                                                             (0, 0), 0, 0, 0)
        state, t = Box2D.b2TimeOfImpact(shapeA=fixture, shapeB=shapes[k], sweepA=sweep_a, sweepB=sweep_b,
                                        tMax=1.0)
        ours, t_ours = fast_sim._time_of_impact(k, x0, y0, a0, x1, y1, a1, arrays.verts[j], n, *gjk)
        assert (ours, f32(t_ours)) == (state, f32(t))
        states[state] = states.get(state, 0) + 1
    # touching, separated and overlapped sweeps all occur
    assert {fast_sim.TOI_TOUCHING, fast_sim.TOI_SEPARATED, fast_sim.TOI_OVERLAPPED} <= set(states)


def test_sincos_equals_glibc():
    """The solver's vectorisable sin/cos equal the C library's ``sinf``/``cosf`` (numba's float32
    ``math.sin``/``math.cos`` call them), which Box2D's rotations use, on a dense sample of angles."""

    @njit(cache=False)
    def both(xs, ours, libm):
        for i in range(xs.shape[0]):
            s, c = fast_sim._sincos32(xs[i])
            ours[i, 0], ours[i, 1] = s, c
            libm[i, 0], libm[i, 1] = math.sin(xs[i]), math.cos(xs[i])

    bits = np.arange(0, 0x42C80000, 997, dtype=np.int64).astype(np.uint32).view(np.float32)  # [0, 100]
    xs = np.concatenate([bits, -bits])
    ours = np.zeros((len(xs), 2), dtype=np.float32)
    libm = np.zeros_like(ours)
    both(xs, ours, libm)
    np.testing.assert_array_equal(ours.view(np.int32), libm.view(np.int32))
