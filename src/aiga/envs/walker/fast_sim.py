"""A compiled simulator of POET's walker scene: Box2D's algorithms, specialised, batched, numba-compiled.

Paper: Wang et al., "Paired Open-Ended Trailblazer (POET)", 2019 (the environment, Sec. 4). Reference
simulator: uber-research/poet ``bipedal_walker_custom.py`` on pybox2d 2.3 (Box2D 2.3), reproduced in
``box2d_env.py``; this module re-implements the parts of Box2D 2.3 that scene uses, for one scene only:

* bodies: the hull 5-gon and four leg boxes (mass, centroid and inertia by ``b2PolygonShape::ComputeMass``,
  vertices ordered by ``b2PolygonShape::Set``'s convex hull), gravity -10, no damping, no sleeping (the
  motors are set every step, which wakes the bodies in Box2D too);
* four revolute joints (``b2RevoluteJoint`` 2.3: point constraint, motor in torque mode, angle limits with
  the limit states and their impulse resets);
* contacts of the five walker bodies with the course's static fixtures only (the walker's filter bits
  exclude self-contact): a contact exists while the fat AABBs of the body's and the fixture's proxies
  overlap (``b2ContactManager``: created by ``FindNewContacts`` in the broad phase's pair order, destroyed by
  ``Collide``), so contacts are visited and solved in Box2D's order (newest first); ground edges through
  ``b2EPCollider`` (edges without neighbour vertices, as the reference builds one body per edge), obstacle
  boxes through ``b2CollidePolygons``; feature ids and warm-started normal and friction impulses carried
  between steps as ``b2Contact::Update`` does;
* ``b2Island::Solve`` in Box2D's order: integrate velocities, initialise contacts, warm start, joints'
  initialisation, ``velocity_iterations`` x (joints, then contacts, two-point contacts with the block
  solver), integrate positions (with Box2D's translation/rotation clamps), ``position_iterations`` x
  (contacts, then joints) with the same early exit;
* contact events at the start of each step as ``b2ContactManager::Collide`` (touching is decided from the
  positions the previous step left), giving the reference's ``ground_contact`` flags and ``game_over``;
* continuous collision as ``b2World::SolveTOI``: ``b2TimeOfImpact`` (GJK's ``b2Distance`` with its simplex
  cache, ``b2SeparationFunction``, the secant/bisection root finder) of each contact, cached until its body
  moves, the earliest impact first; the body goes back to it, its contacts are updated (events included),
  20 TOI position iterations and the velocity iterations run on it alone, and it moves on for the rest of
  the step (joints are not part of these sub-steps, as in Box2D). It matters: the reference's reset drops
  the legs onto the ground through the joints' position correction, and every fast footfall is one;
* ``b2BroadPhase``'s dynamic tree (``fast_tree``), one per walker: the course's proxies and the walker's
  five created in the reference's order, moved as ``b2Fixture::Synchronize`` moves them after the island
  solve and after each time-of-impact sub-step;
* ten lidar rays cast through that tree with the reference's callback, which stops at the first ground
  fixture the tree reports (``b2EdgeShape::RayCast``, ``b2PolygonShape::RayCast``; ``lidar="nearest"``
  reports the nearest instead), the 24-number observation, the reward, the termination and the episode cap
  of ``box2d_env.WalkerCourseSim._step``.

Everything Box2D computes is computed here in Box2D's float32 arithmetic and operation order: the mass data
(``b2PolygonShape::ComputeMass``), b2Settings' constants as the compiler folds them, glibc's ``sinf``/
``cosf`` (transcribed, vectorisable), collision, time of impact, the solver, the ray casts and the
observation's joint angles and speeds. With continuous collision off in both simulators the trajectories,
observations and rewards are Box2D's bit for bit (tested); with it on they agree to an ulp after the reset
and part later (docs/walker.md, "Differences from Box2D"). No sleeping (the motors are set every step,
which keeps Box2D's bodies awake).

Layout: every walker's state lives in plain float64/int64 arrays whose first axis is the walker. A step of
a chunk of walkers (``_step_lanes``) runs the per-walker phases (collision, then after the solve time of
impact, lidar, observation, reward) walker by walker, and ``b2Island::Solve`` for all of them in lockstep:
the solver's state is packed into float32 structure-of-arrays with the walker (lane) as the last,
contiguous axis, and every inner loop runs over lanes without branches, so LLVM vectorises it (16 float32
lanes per AVX-512 instruction, 8 per AVX2; ``aiga.core.jit``). Box2D's iteration counts and order are
kept; the per-island early exit of the position iterations becomes a per-lane mask. ``rollout_batch``
runs whole episodes ``lanes`` walkers at a time, a finished walker's lane taking the next waiting walker
(``prange`` over groups of walkers when parallel), with the 24-40-40-4 tanh policy (``aiga.core.policy``
packing) evaluated inside the loop. The same arrays and loop order map onto a GPU kernel (one lane per
thread).
"""

from __future__ import annotations

import math

import llvmlite.binding as _llvm
import numpy as np

from aiga.core.jit import float32_lanes, get_num_threads, njit, njit_kernel, njit_no_refcount, prange
from aiga.envs.walker import fast_tree
from aiga.envs.walker.constants import (
    FPS,
    HULL_POLY,
    LEG_DOWN,
    LEG_H,
    LEG_W,
    LIDAR_DX,
    LIDAR_DY,
    MOTORS_TORQUE,
    NUM_LIDAR,
    POSITION_ITERATIONS,
    SCALE,
    SPEED_HIP,
    SPEED_KNEE,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STARTPAD,
    TERRAIN_STEP,
    VELOCITY_ITERATIONS,
    VIEWPORT_H,
    VIEWPORT_W,
)
from aiga.envs.walker.fast_tree import ray_edge as _ray_edge
from aiga.envs.walker.fast_tree import ray_polygon as _ray_polygon

# The lockstep solver's loops over walkers read and write ~30 rows of a few arrays; before vectorising such
# a loop LLVM must check at run time that the rows do not overlap, and by default it gives up above 8
# (or, with a pragma, 128) such checks, leaving the loops scalar. Raising the limits only lets it emit the
# checks (a few compares per loop entry); it changes no arithmetic. Set before any of this module compiles.
# LLVM >= 17 also hoists such checks out of the enclosing loop, widening each row's range to everything the
# outer loop touches: for the contact kernels (slot s = group * GROUP + q, affine in q) the widened ranges
# of the written and the read rows overlap whenever a body has two or more contacts, the check fails at run
# time and the scalar loop runs (found with `perf record`: the hot code was scalar). Keeping the checks in
# the inner loop made the contact velocity pass ~3x faster at 64 lanes, with bit-identical results. The
# solver's iteration kernels now need none of this (``njit_kernel``: their rows are declared not to
# overlap, so LLVM emits no checks); the other lane loops (initialisation, warm start, packing) still do.
for _opt, _value in (("runtime-memory-check-threshold", 1024),
                     ("pragma-vectorize-memory-check-threshold", 1024),
                     ("vectorize-memory-check-threshold", 1024), ("hoist-runtime-checks", "false")):
    try:
        _llvm.set_option("aiga", f"--{_opt}={_value}")
    except Exception:  # noqa: BLE001 - an LLVM without the option: the loops stay scalar, results are equal
        pass

# ---------------------------------------------------------------------- Box2D 2.3 settings (b2Settings.h)
# b2Settings.h defines these as float expressions (b2_pi is 3.14159265359f), which the compiler folds in
# float32: the angular slop and correction differ from the float64 formulas rounded once by an ulp, and the
# joints' position correction shows it from the first step. Each is the float32 value, held as a float.
_B2_PI = np.float32(3.14159265359)
LINEAR_SLOP = 0.005
ANGULAR_SLOP = float(np.float32(2.0) / np.float32(180.0) * _B2_PI)
POLYGON_RADIUS = 2.0 * LINEAR_SLOP
MAX_LINEAR_CORRECTION = 0.2
MAX_ANGULAR_CORRECTION = float(np.float32(8.0) / np.float32(180.0) * _B2_PI)
BAUMGARTE = 0.2
MAX_TRANSLATION = 2.0
MAX_ROTATION = float(np.float32(0.5) * _B2_PI)
MAX_ROTATION2 = float(np.float32(MAX_ROTATION) * np.float32(MAX_ROTATION))  # b2_maxRotationSquared
VELOCITY_THRESHOLD = 1.0
MAX_CONDITION = 1000.0
GRAVITY_Y = -10.0
DT = 1.0 / FPS
MAX_FLOAT = 3.4028234663852886e38
# the same, as the float32 values the collision code computes with
_MAX_FLOAT32 = np.float32(MAX_FLOAT)
_EPSILON32 = fast_tree.EPSILON32  # b2_epsilon (FLT_EPSILON)
_REL_TOL32 = np.float32(0.98)  # b2EPCollider's hysteresis, k_relativeTol and k_absoluteTol
_ABS_TOL32 = np.float32(0.001)
_K_TOL32 = np.float32(0.1) * np.float32(LINEAR_SLOP)  # b2CollidePolygons's k_tol = 0.1f * b2_linearSlop

NUM_BODIES = 5  # 0 hull, 1 upper leg (-1), 2 lower leg (-1), 3 upper leg (+1), 4 lower leg (+1)
NUM_JOINTS = 4  # 0 hip (-1), 1 knee (-1), 2 hip (+1), 3 knee (+1): the reference's joint order
MAX_CONTACTS = 24  # contact slots per walker (touching pairs); 5 bodies rarely touch more than ~8 fixtures
CONTACT_WIDTH = 16  # floats per contact slot, see _C_* below
LIDAR_DX_NB = np.array(LIDAR_DX)  # the rays' ends relative to the hull, as arrays numba indexes
LIDAR_DY_NB = np.array(LIDAR_DY)
OBS_SIZE = 24
END_X = (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP
FALL_REWARD = -100.0
ACTION_COST = 0.00035 * MOTORS_TORQUE

# contact slot layout (floats): body, fixture (sorted index), manifold type (0 faceA, 1 faceB), points,
# local normal (2), local point (2), two local points (4), two feature keys, two normal impulses... the
# tangent impulses live in a second array to keep the slot 16 wide.
_C_BODY, _C_FIX, _C_TYPE, _C_NPTS = 0, 1, 2, 3
_C_LN, _C_LP, _C_P0, _C_P1 = 4, 6, 8, 10
_C_ID0, _C_ID1, _C_NI0, _C_NI1 = 12, 13, 14, 15

# the island's order (b2World::Solve's depth-first search from the newest body, see docs/walker.md)
ISLAND_BODY_ORDER = np.array([4, 3, 0, 1, 2], dtype=np.int64)
ISLAND_JOINT_ORDER = np.array([3, 2, 0, 1], dtype=np.int64)


def _f32(v: float) -> float:
    return float(np.float32(v))


# ---------------------------------------------------------------------- shapes as Box2D stores them


def b2_polygon(points) -> tuple[np.ndarray, np.ndarray]:
    """``b2PolygonShape::Set`` (2.3): the convex hull by gift wrapping, CCW from the rightmost point,
    with its unit edge normals. Returns (vertices (n, 2), normals (n, 2)) in float64 of float32 values."""
    ps = [(_f32(x), _f32(y)) for x, y in points]
    n = len(ps)
    i0 = 0
    x0 = ps[0][0]
    for i in range(1, n):
        x = ps[i][0]
        if x > x0 or (x == x0 and ps[i][1] < ps[i0][1]):
            i0, x0 = i, x
    hull = []
    ih = i0
    while True:
        hull.append(ih)
        ie = 0
        for j in range(1, n):
            if ie == ih:
                ie = j
                continue
            rx, ry = ps[ie][0] - ps[ih][0], ps[ie][1] - ps[ih][1]
            vx, vy = ps[j][0] - ps[ih][0], ps[j][1] - ps[ih][1]
            c = rx * vy - ry * vx
            if c < 0.0:
                ie = j
            if c == 0.0 and vx * vx + vy * vy > rx * rx + ry * ry:
                ie = j
        ih = ie
        if ie == i0:
            break
    verts = np.array([ps[i] for i in hull], dtype=np.float64)
    normals = np.zeros_like(verts)
    m = len(verts)
    v32 = verts.astype(np.float32)
    for i in range(m):  # b2Cross(edge, 1.0f), then b2Vec2::Normalize (times the inverse length), in float32
        ex, ey = v32[(i + 1) % m, 0] - v32[i, 0], v32[(i + 1) % m, 1] - v32[i, 1]
        nx, ny = ey, -ex
        inv = np.float32(1.0) / np.sqrt(nx * nx + ny * ny, dtype=np.float32)
        normals[i] = (float(nx * inv), float(ny * inv))
    return verts, normals


def b2_box(hx: float, hy: float) -> tuple[np.ndarray, np.ndarray]:
    """``b2PolygonShape::SetAsBox``: vertices (-hx,-hy), (hx,-hy), (hx,hy), (-hx,hy)."""
    hx, hy = _f32(hx), _f32(hy)
    verts = np.array([(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)], dtype=np.float64)
    normals = np.array([(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)])
    return verts, normals


def polygon_mass(verts: np.ndarray, density: float) -> tuple[float, np.ndarray, float]:
    """``b2PolygonShape::ComputeMass`` then ``b2Body::ResetMassData`` (2.3) for a body of one fixture, in
    Box2D's float32 arithmetic and order: mass, local centre of mass, rotational inertia about it.

    Why float32: the solver's inverse mass and inertia enter every impulse; computed in float64 they differed
    from Box2D's by an ulp (the hull's centre by up to 18), enough to part the trajectories from the first
    step."""
    f = np.float32
    v = np.asarray(verts, dtype=np.float64).astype(f)
    n = len(v)
    sx, sy = f(0.0), f(0.0)
    for i in range(n):
        sx, sy = sx + v[i, 0], sy + v[i, 1]
    inv_n = f(1.0) / f(n)
    sx, sy = sx * inv_n, sy * inv_n
    k_inv3 = f(1.0) / f(3.0)
    area, cx, cy, inertia = f(0.0), f(0.0), f(0.0), f(0.0)
    for i in range(n):
        j = i + 1 if i + 1 < n else 0
        e1x, e1y = v[i, 0] - sx, v[i, 1] - sy
        e2x, e2y = v[j, 0] - sx, v[j, 1] - sy
        d = e1x * e2y - e1y * e2x
        tri = f(0.5) * d
        area = area + tri
        w = tri * k_inv3
        cx, cy = cx + w * (e1x + e2x), cy + w * (e1y + e2y)
        intx2 = e1x * e1x + e2x * e1x + e2x * e2x
        inty2 = e1y * e1y + e2y * e1y + e2y * e2y
        inertia = inertia + (f(0.25) * k_inv3 * d) * (intx2 + inty2)
    mass = f(density) * area
    inv_area = f(1.0) / area
    cx, cy = cx * inv_area, cy * inv_area
    mcx, mcy = cx + sx, cy + sy
    i_origin = f(density) * inertia + mass * ((mcx * mcx + mcy * mcy) - (cx * cx + cy * cy))
    # ResetMassData: the body's sums over its one fixture, then the inertia moved to the centre of mass
    inv_mass = f(1.0) / mass
    lcx, lcy = (mass * mcx) * inv_mass, (mass * mcy) * inv_mass
    i_center = i_origin - mass * (lcx * lcx + lcy * lcy)
    return float(mass), np.array([float(lcx), float(lcy)]), float(i_center)


def polygon_centroid(verts: np.ndarray) -> np.ndarray:
    """``ComputeCentroid`` of ``b2PolygonShape::Set`` (2.3), float32: the area-weighted centroid of the
    triangles from the origin. (``SetAsBox`` sets the centroid to 0 instead; the walker's legs are boxes.)"""
    f = np.float32
    v = np.asarray(verts, dtype=np.float64).astype(f)
    n = len(v)
    cx, cy, area = f(0.0), f(0.0), f(0.0)
    inv3 = f(1.0) / f(3.0)
    for i in range(n):  # Box2D's reference point pRef is the origin, so e1 = p2, e2 = p3
        j = i + 1 if i + 1 < n else 0
        d = v[i, 0] * v[j, 1] - v[i, 1] * v[j, 0]
        tri = f(0.5) * d
        area = area + tri
        w = tri * inv3
        cx = cx + w * (v[i, 0] + v[j, 0])
        cy = cy + w * (v[i, 1] + v[j, 1])
    inv_area = f(1.0) / area
    return np.array([float(cx * inv_area), float(cy * inv_area)])


def _walker_tables():
    hull_v, hull_n = b2_polygon([(x / SCALE, y / SCALE) for x, y in HULL_POLY])
    leg_v, leg_n = b2_box(LEG_W / 2, LEG_H / 2)
    low_v, low_n = b2_box(0.8 * LEG_W / 2, LEG_H / 2)
    shapes = [(hull_v, hull_n, 5.0), (leg_v, leg_n, 1.0), (low_v, low_n, 1.0), (leg_v, leg_n, 1.0),
              (low_v, low_n, 1.0)]
    nv = np.zeros(NUM_BODIES, dtype=np.int64)
    verts = np.zeros((NUM_BODIES, 8, 2))
    normals = np.zeros((NUM_BODIES, 8, 2))
    local_center = np.zeros((NUM_BODIES, 2))
    inv_mass = np.zeros(NUM_BODIES)
    inv_i = np.zeros(NUM_BODIES)
    mass = np.zeros(NUM_BODIES)
    for k, (v, nrm, density) in enumerate(shapes):
        nv[k] = len(v)
        verts[k, :len(v)] = v
        normals[k, :len(v)] = nrm
        m, c, i_c = polygon_mass(v, density)
        mass[k] = m
        local_center[k] = c
        inv_mass[k] = float(np.float32(1.0) / np.float32(m))  # b2Body::m_invMass, m_invI
        inv_i[k] = float(np.float32(1.0) / np.float32(i_c))
    friction = np.array([0.1, 0.2, 0.2, 0.2, 0.2])  # hull 0.1; legs keep fixtureDef's default 0.2
    return nv, verts, normals, local_center, inv_mass, inv_i, mass, friction


BODY_NV, BODY_VERTS, BODY_NORMALS, BODY_LOCAL_CENTER, BODY_INV_MASS, BODY_INV_I, BODY_MASS, BODY_FRICTION = (
    _walker_tables())
# the shapes' centroids (b2PolygonShape::m_centroid): the hull's from its vertices, the boxes' 0
BODY_CENTROID = np.zeros((NUM_BODIES, 2))
BODY_CENTROID[0] = polygon_centroid(BODY_VERTS[0, :BODY_NV[0]])

# joints: body A, body B, local anchors, limits, motor speed scale
JOINT_A = np.array([0, 1, 0, 3], dtype=np.int64)
JOINT_B = np.array([1, 2, 3, 4], dtype=np.int64)
JOINT_ANCHOR_A = np.array([(0.0, _f32(LEG_DOWN)), (0.0, _f32(-LEG_H / 2)), (0.0, _f32(LEG_DOWN)),
                           (0.0, _f32(-LEG_H / 2))])
JOINT_ANCHOR_B = np.array([(0.0, _f32(LEG_H / 2))] * 4)
JOINT_LOWER = np.array([_f32(-0.8), _f32(-1.6), _f32(-0.8), _f32(-1.6)])
JOINT_UPPER = np.array([_f32(1.1), _f32(-0.1), _f32(1.1), _f32(-0.1)])
JOINT_SPEED = np.array([SPEED_HIP, SPEED_KNEE, SPEED_HIP, SPEED_KNEE])
# pybox2d's joint definition sets the reference angle to bodyB.angle - bodyA.angle at creation: the
# hips are created with the legs at -0.05 and +0.05, so their angles read 0 at the start
JOINT_REFERENCE = np.array([_f32(-0.05), 0.0, _f32(0.05), 0.0])
TERRAIN_FRICTION = 2.5


def initial_pose() -> tuple[np.ndarray, np.ndarray]:
    """Body origins (5, 2) and angles (5,) at creation (``_build_walker``), float32-rounded as Box2D."""
    init_x = TERRAIN_STEP * TERRAIN_STARTPAD / 2
    init_y = TERRAIN_HEIGHT + 2 * LEG_H
    pos = np.array([(init_x, init_y),
                    (init_x, init_y - LEG_H / 2 - LEG_DOWN), (init_x, init_y - LEG_H * 3 / 2 - LEG_DOWN),
                    (init_x, init_y - LEG_H / 2 - LEG_DOWN), (init_x, init_y - LEG_H * 3 / 2 - LEG_DOWN)])
    ang = np.array([0.0, -0.05, -0.05, 0.05, 0.05])
    return pos.astype(np.float32).astype(np.float64), ang.astype(np.float32).astype(np.float64)


# ---------------------------------------------------------------------- the course as arrays


class CourseArrays:
    """A course's static fixtures as plain arrays, sorted by their left end for the x-range lookups.

    ``kind`` 0 = ground edge, 1 = obstacle polygon; ``ids`` the fixture's creation index in Box2D (obstacles
    first, then edges, as ``_build_terrain``); ``cell_first[c]`` the first sorted fixture whose left end is
    at or after ``c`` terrain steps; ``max_width`` the widest fixture's x extent.
    """

    def __init__(self, course) -> None:
        fixtures = []
        for k, ob in enumerate(course.obstacles):
            v, n = b2_polygon(ob.vertices)
            fixtures.append((1, v, n, k))
        n_obs = len(course.obstacles)
        xs, ys = course.terrain_x, course.terrain_y
        for i in range(len(xs) - 1):
            v = np.array([(_f32(xs[i]), _f32(ys[i])), (_f32(xs[i + 1]), _f32(ys[i + 1]))])
            fixtures.append((0, v, np.zeros((2, 2)), n_obs + i))
        fixtures.sort(key=lambda f: (float(f[1][:, 0].min()), f[3]))
        n = len(fixtures)
        self.kind = np.zeros(n, dtype=np.int64)
        self.nv = np.zeros(n, dtype=np.int64)
        self.verts = np.zeros((n, 8, 2))
        self.normals = np.zeros((n, 8, 2))
        self.aabb = np.zeros((n, 4))  # xmin, ymin, xmax, ymax
        self.ids = np.zeros(n, dtype=np.int64)
        for j, (kind, v, nrm, ident) in enumerate(fixtures):
            self.kind[j] = kind
            self.nv[j] = len(v)
            self.verts[j, :len(v)] = v
            self.normals[j, :len(v)] = nrm
            self.aabb[j] = (v[:, 0].min(), v[:, 1].min(), v[:, 0].max(), v[:, 1].max())
            self.ids[j] = ident
        self.max_width = float((self.aabb[:, 2] - self.aabb[:, 0]).max())
        n_cells = TERRAIN_LENGTH + 2
        self.cell_first = np.searchsorted(self.aabb[:, 0], np.arange(n_cells + 1) * TERRAIN_STEP,
                                          side="left").astype(np.int64)
        self.push = float(course.push)
        self.n_obstacles = n_obs
        # Box2D's broad-phase tree once the reference's reset created the course (each walker copies it),
        # and each sorted fixture's proxy id in it (its leaves: allocated nodes of height 0)
        self.tree = fast_tree.tree_for_course(self.ids, self.kind, self.nv, self.verts)
        node = self.tree[1]
        leaves = np.flatnonzero(node[:, fast_tree.N_HEIGHT] == 0)
        self.fix_proxy = np.full(n, -1, dtype=np.int64)
        self.fix_proxy[node[leaves, fast_tree.N_USER]] = leaves

    def args(self) -> tuple:
        return (self.kind, self.nv, self.verts, self.normals, self.aabb, self.cell_first, self.max_width)


# ---------------------------------------------------------------------- small helpers


@njit(cache=True, inline="always")
def _first_candidate(cell_first, max_width, x0):
    c = int(math.floor((x0 - max_width) / TERRAIN_STEP))
    if c < 0:
        c = 0
    if c >= cell_first.shape[0]:
        c = cell_first.shape[0] - 1
    return cell_first[c]


@njit(cache=True, inline="always")
def _key(index_a, index_b, type_a, type_b):
    return float(index_a + 256 * index_b + 65536 * type_a + 16777216 * type_b)


# ---------------------------------------------------------------------- collision (b2Collision 2.3)


@njit_no_refcount(cache=True)
def _clip_segment(v_in, id_in, nx, ny, offset, vertex_index_a, v_out, id_out):
    """``b2ClipSegmentToLine`` in float32 (normal, offset float32; the points are float32 values held in
    float64 rows); ids as (indexA, indexB, typeA, typeB) int rows. Returns the point count."""
    num = 0
    x0, y0 = F32(v_in[0, 0]), F32(v_in[0, 1])
    x1, y1 = F32(v_in[1, 0]), F32(v_in[1, 1])
    d0 = (nx * x0 + ny * y0) - offset
    d1 = (nx * x1 + ny * y1) - offset
    if d0 <= _Z:
        v_out[num, 0] = x0
        v_out[num, 1] = y0
        for q in range(4):
            id_out[num, q] = id_in[0, q]
        num += 1
    if d1 <= _Z:
        v_out[num, 0] = x1
        v_out[num, 1] = y1
        for q in range(4):
            id_out[num, q] = id_in[1, q]
        num += 1
    if d0 * d1 < _Z:
        interp = d0 / (d0 - d1)
        v_out[num, 0] = x0 + interp * (x1 - x0)
        v_out[num, 1] = y0 + interp * (y1 - y0)
        id_out[num, 0] = vertex_index_a
        id_out[num, 1] = id_in[0, 1]
        id_out[num, 2] = 0  # e_vertex
        id_out[num, 3] = 1  # e_face
        num += 1
    return num


@njit_no_refcount(cache=True)
def _collide_edge_polygon(ex1_, ey1_, ex2_, ey2_, pv, pn, npv, lcx_, lcy_, px, py, pc, ps, out, scratch, ids):
    """``b2EPCollider::Collide`` for an edge without neighbour vertices (A, static at the origin) and the
    polygon B (local vertices ``pv``/normals ``pn``, centroid (lcx, lcy), transform: origin (px, py),
    rotation cos pc, sin ps, all float32). Box2D's float32 arithmetic in its order; writes the manifold into
    ``out`` (see the slot layout) and returns its point count."""
    radius = _TWO_RADIUS32
    out[_C_NPTS] = 0.0
    ex1, ey1, ex2, ey2 = F32(ex1_), F32(ey1_), F32(ex2_), F32(ey2_)
    lcx, lcy = F32(lcx_), F32(lcy_)
    # m_xf = b2MulT(identity, xfB) is xfB itself; polygon B in frame A (the world)
    for i in range(npv):
        vx, vy = F32(pv[i, 0]), F32(pv[i, 1])
        qx, qy = F32(pn[i, 0]), F32(pn[i, 1])
        scratch[i, 0] = (pc * vx - ps * vy) + px
        scratch[i, 1] = (ps * vx + pc * vy) + py
        scratch[8 + i, 0] = pc * qx - ps * qy
        scratch[8 + i, 1] = ps * qx + pc * qy
    cbx = (pc * lcx - ps * lcy) + px
    cby = (ps * lcx + pc * lcy) + py
    dx = ex2 - ex1
    dy = ey2 - ey1
    e1x, e1y = fast_tree.normalize32(dx, dy)
    n1x = e1y
    n1y = -e1x
    offset1 = n1x * (cbx - ex1) + n1y * (cby - ey1)
    front = offset1 >= _Z
    if front:
        nx, ny = n1x, n1y
        lowx, lowy = -n1x, -n1y
        upx, upy = -n1x, -n1y
    else:
        nx, ny = -n1x, -n1y
        lowx, lowy = n1x, n1y
        upx, upy = n1x, n1y
    # ComputeEdgeSeparation
    edge_sep = _MAX_FLOAT32
    for i in range(npv):
        s = nx * (F32(scratch[i, 0]) - ex1) + ny * (F32(scratch[i, 1]) - ey1)
        if s < edge_sep:
            edge_sep = s
    if edge_sep > radius:
        return 0
    # ComputePolygonSeparation
    poly_type = 0  # 0 unknown, 2 edgeB
    poly_index = -1
    poly_sep = -_MAX_FLOAT32
    perpx = -ny
    perpy = nx
    for i in range(npv):
        qx = -F32(scratch[8 + i, 0])
        qy = -F32(scratch[8 + i, 1])
        vx, vy = F32(scratch[i, 0]), F32(scratch[i, 1])
        s1 = qx * (vx - ex1) + qy * (vy - ey1)
        s2 = qx * (vx - ex2) + qy * (vy - ey2)
        s = min(s1, s2)
        if s > radius:
            poly_type = 2
            poly_index = i
            poly_sep = s
            break
        if qx * perpx + qy * perpy >= _Z:
            if (qx - upx) * nx + (qy - upy) * ny < -_ANGULAR_SLOP32:
                continue
        else:
            if (qx - lowx) * nx + (qy - lowy) * ny < -_ANGULAR_SLOP32:
                continue
        if s > poly_sep:
            poly_type = 2
            poly_index = i
            poly_sep = s
    if poly_type != 0 and poly_sep > radius:
        return 0
    use_edge = True
    if poly_type != 0 and poly_sep > _REL_TOL32 * edge_sep + _ABS_TOL32:
        use_edge = False
    ie = scratch[16:18]
    ie_id = ids[0:2]
    if use_edge:
        out[_C_TYPE] = 0.0
        best = 0
        best_v = nx * F32(scratch[8, 0]) + ny * F32(scratch[8, 1])
        for i in range(1, npv):
            val = nx * F32(scratch[8 + i, 0]) + ny * F32(scratch[8 + i, 1])
            if val < best_v:
                best_v = val
                best = i
        i1 = best
        i2 = i1 + 1 if i1 + 1 < npv else 0
        ie[0, 0] = scratch[i1, 0]
        ie[0, 1] = scratch[i1, 1]
        ie[1, 0] = scratch[i2, 0]
        ie[1, 1] = scratch[i2, 1]
        ie_id[0, 0] = 0
        ie_id[0, 1] = i1
        ie_id[0, 2] = 1
        ie_id[0, 3] = 0
        ie_id[1, 0] = 0
        ie_id[1, 1] = i2
        ie_id[1, 2] = 1
        ie_id[1, 3] = 0
        if front:
            ri1, ri2 = 0, 1
            rv1x, rv1y, rv2x, rv2y = ex1, ey1, ex2, ey2
            rnx, rny = n1x, n1y
        else:
            ri1, ri2 = 1, 0
            rv1x, rv1y, rv2x, rv2y = ex2, ey2, ex1, ey1
            rnx, rny = -n1x, -n1y
    else:
        out[_C_TYPE] = 1.0
        ie[0, 0] = ex1
        ie[0, 1] = ey1
        ie[1, 0] = ex2
        ie[1, 1] = ey2
        ie_id[0, 0] = 0
        ie_id[0, 1] = poly_index
        ie_id[0, 2] = 0
        ie_id[0, 3] = 1
        ie_id[1, 0] = 0
        ie_id[1, 1] = poly_index
        ie_id[1, 2] = 0
        ie_id[1, 3] = 1
        ri1 = poly_index
        ri2 = ri1 + 1 if ri1 + 1 < npv else 0
        rv1x, rv1y = F32(scratch[ri1, 0]), F32(scratch[ri1, 1])
        rv2x, rv2y = F32(scratch[ri2, 0]), F32(scratch[ri2, 1])
        rnx, rny = F32(scratch[8 + ri1, 0]), F32(scratch[8 + ri1, 1])
    sn1x = rny
    sn1y = -rnx
    sn2x = -sn1x
    sn2y = -sn1y
    so1 = sn1x * rv1x + sn1y * rv1y
    so2 = sn2x * rv2x + sn2y * rv2y
    cp1 = scratch[18:20]
    cp1_id = ids[2:4]
    cp2 = scratch[20:22]
    cp2_id = ids[4:6]
    if _clip_segment(ie, ie_id, sn1x, sn1y, so1, ri1, cp1, cp1_id) < 2:
        return 0
    if _clip_segment(cp1, cp1_id, sn2x, sn2y, so2, ri2, cp2, cp2_id) < 2:
        return 0
    if use_edge:
        out[_C_LN] = rnx
        out[_C_LN + 1] = rny
        out[_C_LP] = rv1x
        out[_C_LP + 1] = rv1y
    else:
        out[_C_LN] = pn[ri1, 0]
        out[_C_LN + 1] = pn[ri1, 1]
        out[_C_LP] = pv[ri1, 0]
        out[_C_LP + 1] = pv[ri1, 1]
    count = 0
    for i in range(2):
        cx, cy = F32(cp2[i, 0]), F32(cp2[i, 1])
        sep = rnx * (cx - rv1x) + rny * (cy - rv1y)
        if sep <= radius:
            slot = _C_P0 + 2 * count
            if use_edge:  # b2MulT(xf, v): the point in B's frame
                wx = cx - px
                wy = cy - py
                out[slot] = pc * wx + ps * wy
                out[slot + 1] = -ps * wx + pc * wy
                out[_C_ID0 + count] = _key(cp2_id[i, 0], cp2_id[i, 1], cp2_id[i, 2], cp2_id[i, 3])
            else:
                out[slot] = cx
                out[slot + 1] = cy
                out[_C_ID0 + count] = _key(cp2_id[i, 1], cp2_id[i, 0], cp2_id[i, 3], cp2_id[i, 2])
            count += 1
    out[_C_NPTS] = count
    return count


@njit_no_refcount(cache=True)
def _find_max_separation(v1s, n1s, c1, x1, y1, c1s, s1s, v2s, c2, x2, y2, c2s, s2s):
    """``b2FindMaxSeparation`` (2.3.1) in float32: returns (edge index, separation) of poly1 against poly2
    (transforms float32, shapes float32 values in float64 rows)."""
    # xf = b2MulT(xf2, xf1)
    qs = c2s * s1s - s2s * c1s
    qc = c2s * c1s + s2s * s1s
    dx = x1 - x2
    dy = y1 - y2
    tx = c2s * dx + s2s * dy
    ty = -s2s * dx + c2s * dy
    best = 0
    max_sep = -_MAX_FLOAT32
    for i in range(c1):
        n1x, n1y = F32(n1s[i, 0]), F32(n1s[i, 1])
        v1x, v1y = F32(v1s[i, 0]), F32(v1s[i, 1])
        nx = qc * n1x - qs * n1y
        ny = qs * n1x + qc * n1y
        vx = (qc * v1x - qs * v1y) + tx
        vy = (qs * v1x + qc * v1y) + ty
        si = _MAX_FLOAT32
        for j in range(c2):
            sij = nx * (F32(v2s[j, 0]) - vx) + ny * (F32(v2s[j, 1]) - vy)
            if sij < si:
                si = sij
        if si > max_sep:
            max_sep = si
            best = i
    return best, max_sep


@njit_no_refcount(cache=True)
def _collide_polygons(av, an, na, bv, bn, nb, px, py, pc, ps, out, scratch, ids):
    """``b2CollidePolygons`` (2.3) in float32 with A a static obstacle (its body at the origin) and B the
    walker body (transform float32)."""
    total_radius = _TWO_RADIUS32
    out[_C_NPTS] = 0.0
    edge_a, sep_a = _find_max_separation(av, an, na, _Z, _Z, _ONE, _Z, bv, nb, px, py, pc, ps)
    if sep_a > total_radius:
        return 0
    edge_b, sep_b = _find_max_separation(bv, bn, nb, px, py, pc, ps, av, na, _Z, _Z, _ONE, _Z)
    if sep_b > total_radius:
        return 0
    if sep_b > sep_a + _K_TOL32:
        flip = True
        v1s, n1s, c1 = bv, bn, nb
        x1, y1, c1c, s1c = px, py, pc, ps
        v2s, n2s, c2 = av, an, na
        x2, y2, c2c, s2c = _Z, _Z, _ONE, _Z
        edge1 = edge_b
        out[_C_TYPE] = 1.0
    else:
        flip = False
        v1s, n1s, c1 = av, an, na
        x1, y1, c1c, s1c = _Z, _Z, _ONE, _Z
        v2s, n2s, c2 = bv, bn, nb
        x2, y2, c2c, s2c = px, py, pc, ps
        edge1 = edge_a
        out[_C_TYPE] = 0.0
    # b2FindIncidentEdge: the reference normal in poly2's frame, b2MulT(xf2.q, b2Mul(xf1.q, n))
    r1x, r1y = F32(n1s[edge1, 0]), F32(n1s[edge1, 1])
    wnx = c1c * r1x - s1c * r1y
    wny = s1c * r1x + c1c * r1y
    lnx = c2c * wnx + s2c * wny
    lny = -s2c * wnx + c2c * wny
    index = 0
    min_dot = _MAX_FLOAT32
    for i in range(c2):
        d = lnx * F32(n2s[i, 0]) + lny * F32(n2s[i, 1])
        if d < min_dot:
            min_dot = d
            index = i
    i1 = index
    i2 = i1 + 1 if i1 + 1 < c2 else 0
    ie = scratch[16:18]
    ie_id = ids[0:2]
    u1x, u1y = F32(v2s[i1, 0]), F32(v2s[i1, 1])
    u2x, u2y = F32(v2s[i2, 0]), F32(v2s[i2, 1])
    ie[0, 0] = (c2c * u1x - s2c * u1y) + x2
    ie[0, 1] = (s2c * u1x + c2c * u1y) + y2
    ie[1, 0] = (c2c * u2x - s2c * u2y) + x2
    ie[1, 1] = (s2c * u2x + c2c * u2y) + y2
    ie_id[0, 0] = edge1
    ie_id[0, 1] = i1
    ie_id[0, 2] = 1
    ie_id[0, 3] = 0
    ie_id[1, 0] = edge1
    ie_id[1, 1] = i2
    ie_id[1, 2] = 1
    ie_id[1, 3] = 0
    iv1 = edge1
    iv2 = edge1 + 1 if edge1 + 1 < c1 else 0
    v11x, v11y = F32(v1s[iv1, 0]), F32(v1s[iv1, 1])
    v12x, v12y = F32(v1s[iv2, 0]), F32(v1s[iv2, 1])
    ltx = v12x - v11x
    lty = v12y - v11y
    ltx, lty = fast_tree.normalize32(ltx, lty)
    local_nx = lty  # b2Cross(v, 1) = (v.y, -v.x)
    local_ny = -ltx
    plane_x = _HALF * (v11x + v12x)
    plane_y = _HALF * (v11y + v12y)
    tx = c1c * ltx - s1c * lty
    ty = s1c * ltx + c1c * lty
    nx = ty
    ny = -tx
    w11x = (c1c * v11x - s1c * v11y) + x1
    w11y = (s1c * v11x + c1c * v11y) + y1
    w12x = (c1c * v12x - s1c * v12y) + x1
    w12y = (s1c * v12x + c1c * v12y) + y1
    front_offset = nx * w11x + ny * w11y
    side1 = -(tx * w11x + ty * w11y) + total_radius
    side2 = (tx * w12x + ty * w12y) + total_radius
    cp1 = scratch[18:20]
    cp1_id = ids[2:4]
    cp2 = scratch[20:22]
    cp2_id = ids[4:6]
    if _clip_segment(ie, ie_id, -tx, -ty, side1, iv1, cp1, cp1_id) < 2:
        return 0
    if _clip_segment(cp1, cp1_id, tx, ty, side2, iv2, cp2, cp2_id) < 2:
        return 0
    out[_C_LN] = local_nx
    out[_C_LN + 1] = local_ny
    out[_C_LP] = plane_x
    out[_C_LP + 1] = plane_y
    count = 0
    for i in range(2):
        cx, cy = F32(cp2[i, 0]), F32(cp2[i, 1])
        sep = (nx * cx + ny * cy) - front_offset
        if sep <= total_radius:
            slot = _C_P0 + 2 * count
            wx = cx - x2
            wy = cy - y2
            out[slot] = c2c * wx + s2c * wy
            out[slot + 1] = -s2c * wx + c2c * wy
            if flip:
                out[_C_ID0 + count] = _key(cp2_id[i, 1], cp2_id[i, 0], cp2_id[i, 3], cp2_id[i, 2])
            else:
                out[_C_ID0 + count] = _key(cp2_id[i, 0], cp2_id[i, 1], cp2_id[i, 2], cp2_id[i, 3])
            count += 1
    out[_C_NPTS] = count
    return count


@njit_no_refcount(cache=True)
def _body_transform(c, a, k):
    """Body k's transform (``fast_tree.body_transform32``, float32) from its centre of mass c[k] and angle
    a[k]: origin and rotation as (px, py, cos, sin)."""
    px, py, si, co = fast_tree.body_transform32(c[k, 0], c[k, 1], a[k], BODY_LOCAL_CENTER_NB[k, 0],
                                                BODY_LOCAL_CENTER_NB[k, 1])
    return px, py, co, si


BODY_LOCAL_CENTER_NB = BODY_LOCAL_CENTER  # global array, frozen into the compiled code


@njit_no_refcount(cache=True)
def _collide_pair(k, j, px, py, pc, ps, fkind, fnv, fverts, fnormals, out, scratch, ids):
    """The manifold of body k (transform (px, py, pc, ps), float32) against course fixture j into ``out``
    (``b2EdgeAndPolygonContact`` / ``b2PolygonContact::Evaluate``); returns its point count."""
    if fkind[j] == 0:
        npts = _collide_edge_polygon(fverts[j, 0, 0], fverts[j, 0, 1], fverts[j, 1, 0], fverts[j, 1, 1],
                                     BODY_VERTS_NB[k], BODY_NORMALS_NB[k], BODY_NV_NB[k],
                                     BODY_CENTROID_NB[k, 0], BODY_CENTROID_NB[k, 1], px, py, pc, ps, out,
                                     scratch, ids)
    else:
        npts = _collide_polygons(fverts[j], fnormals[j], fnv[j], BODY_VERTS_NB[k], BODY_NORMALS_NB[k],
                                 BODY_NV_NB[k], px, py, pc, ps, out, scratch, ids)
    out[_C_BODY] = k
    out[_C_FIX] = j
    return npts


@njit_no_refcount(cache=True)
def _collide_body(k, c, a, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, contacts, n, scratch,
                  ids, out):
    """Touching manifolds of body k against every course fixture near it (found from their x range, for
    ``probe_geometry``), appended to ``contacts`` from row n; returns the new count."""
    nfix = fkind.shape[0]
    px, py, pc, ps = _body_transform(c, a, k)
    nv = BODY_NV_NB[k]
    xmin = MAX_FLOAT
    xmax = -MAX_FLOAT
    ymin = MAX_FLOAT
    ymax = -MAX_FLOAT
    for i in range(nv):
        wx = pc * BODY_VERTS_NB[k, i, 0] - ps * BODY_VERTS_NB[k, i, 1] + px
        wy = ps * BODY_VERTS_NB[k, i, 0] + pc * BODY_VERTS_NB[k, i, 1] + py
        xmin = min(xmin, wx)
        xmax = max(xmax, wx)
        ymin = min(ymin, wy)
        ymax = max(ymax, wy)
    margin = 2.0 * POLYGON_RADIUS + 0.01
    xmin -= margin
    xmax += margin
    ymin -= margin
    ymax += margin
    j0 = _first_candidate(cell_first, max_width, xmin)
    j1 = j0
    while j1 < nfix and faabb[j1, 0] <= xmax:
        j1 += 1
    for j in range(j1 - 1, j0 - 1, -1):
        if faabb[j, 2] < xmin or faabb[j, 1] > ymax or faabb[j, 3] < ymin:
            continue
        npts = _collide_pair(k, j, px, py, pc, ps, fkind, fnv, fverts, fnormals, out, scratch, ids)
        if npts > 0 and n < contacts.shape[0]:
            for q in range(CONTACT_WIDTH):
                contacts[n, q] = out[q]
            n += 1
    return n


@njit_no_refcount(cache=True)
def _collide_walker(c, a, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, contacts, scratch, ids,
                    out):
    """All touching (body, fixture) manifolds of one walker at a pose (``probe_geometry``); returns the
    count."""
    n = 0
    for bi in range(NUM_BODIES):
        n = _collide_body(ISLAND_BODY_ORDER_NB[bi], c, a, fkind, fnv, fverts, fnormals, faabb, cell_first,
                          max_width, contacts, n, scratch, ids, out)
    return n


@njit(cache=True, inline="always")
def _contact_event(b, flags, k, begin):
    """The reference's contact listener on one event of body k: a contact beginning on the hull ends the
    game; a lower leg's ground contact flag follows its latest event (``BeginContact``/``EndContact``)."""
    if begin and k == 0:
        flags[b, 2] = 1.0
    if k == 2:
        flags[b, 0] = 1.0 if begin else 0.0
    elif k == 4:
        flags[b, 1] = 1.0 if begin else 0.0


@njit(cache=True, inline="always")
def _row_index(rows, n, k, j):
    """The first of ``rows[:n]`` whose first two columns are (body k, course fixture j), or -1: contact rows
    (``_C_BODY``, ``_C_FIX``) and pair rows (``P_BODY``, ``P_FIX``) alike."""
    for i in range(n):
        if rows[i, 0] == k and rows[i, 1] == j:
            return i
    return -1


ISLAND_BODY_ORDER_NB = ISLAND_BODY_ORDER
ISLAND_JOINT_ORDER_NB = ISLAND_JOINT_ORDER
BODY_NV_NB = BODY_NV
BODY_CENTROID_NB = BODY_CENTROID
BODY_VERTS_NB = BODY_VERTS
BODY_NORMALS_NB = BODY_NORMALS
BODY_INV_MASS_NB = BODY_INV_MASS
BODY_INV_I_NB = BODY_INV_I
BODY_FRICTION_NB = BODY_FRICTION


@njit_no_refcount(cache=True)
def _match_impulses(old, told, n_old, new, tnew, n0, n1):
    """``b2Contact::Update``: a new manifold point keeps the impulses of the old point with its
    feature key."""
    for ci in range(n0, n1):
        tnew[ci, 0] = 0.0
        tnew[ci, 1] = 0.0
        new[ci, _C_NI0] = 0.0
        new[ci, _C_NI1] = 0.0
        for oi in range(n_old):
            if old[oi, _C_BODY] == new[ci, _C_BODY] and old[oi, _C_FIX] == new[ci, _C_FIX]:
                for p2 in range(int(new[ci, _C_NPTS])):
                    for p1 in range(int(old[oi, _C_NPTS])):
                        if old[oi, _C_ID0 + p1] == new[ci, _C_ID0 + p2]:
                            new[ci, _C_NI0 + p2] = old[oi, _C_NI0 + p1]
                            tnew[ci, p2] = told[oi, p1]
                            break
                break


# ---------------------------------------------------------------------- continuous collision (SolveTOI)

TOI_BAUMGARTE = 0.75
TOI_POSITION_ITERATIONS = 20
POLICY_SIZE = 24 * 40 + 40 + 40 * 40 + 40 + 40 * 4 + 4  # the 24-40-40-4 MLP's parameters
MAX_SUB_STEPS = 8
# b2TimeOfImpact's constants as Box2D computes them in float32
_TOTAL_RADIUS32 = np.float32(POLYGON_RADIUS) + np.float32(POLYGON_RADIUS)
_TOI_TARGET32 = max(np.float32(LINEAR_SLOP), _TOTAL_RADIUS32 - np.float32(3.0) * np.float32(LINEAR_SLOP))
_TOI_TOLERANCE32 = np.float32(0.25) * np.float32(LINEAR_SLOP)
_TWO_PI32 = np.float32(2.0) * _B2_PI
_TOI_DONE32 = np.float32(1.0) - np.float32(10.0) * _EPSILON32  # SolveTOI stops above 1 - 10 eps
# simplex vertex rows (float32): wA, wB, w = wB - wA, barycentric a
_SV_WAX, _SV_WAY, _SV_WBX, _SV_WBY, _SV_WX, _SV_WY, _SV_A = 0, 1, 2, 3, 4, 5, 6
# b2TOIOutput states
TOI_FAILED, TOI_OVERLAPPED, TOI_TOUCHING, TOI_SEPARATED = 1, 2, 3, 4


@njit(cache=True, inline="always")
def _sweep_xf(k, c0x, c0y, a0, cx, cy, a, beta):
    """``b2Sweep::GetTransform`` of body k's sweep at beta, float32: (px, py, cos, sin)."""
    one_b = _ONE - beta
    px, py, si, co = fast_tree.body_transform32(one_b * c0x + beta * cx, one_b * c0y + beta * cy,
                                                one_b * a0 + beta * a, LOCAL_CENTER32[k, 0],
                                                LOCAL_CENTER32[k, 1])
    return px, py, co, si


@njit(cache=True, inline="always")
def _support32(verts, n, dx, dy):
    """``b2DistanceProxy::GetSupport``: the first vertex with the largest dot product."""
    best = 0
    best_v = F32(verts[0, 0]) * dx + F32(verts[0, 1]) * dy
    for i in range(1, n):
        v = F32(verts[i, 0]) * dx + F32(verts[i, 1]) * dy
        if v > best_v:
            best = i
            best_v = v
    return best


@njit(cache=True, inline="always")
def _simplex_vertex(sv, si_, i, ia, ib, av, bv, px, py, co, sn):
    """Simplex vertex i from proxy A's vertex ia (static: identity transform) and B's vertex ib."""
    si_[i, 0] = ia
    si_[i, 1] = ib
    wax = F32(av[ia, 0])
    way = F32(av[ia, 1])
    lbx = F32(bv[ib, 0])
    lby = F32(bv[ib, 1])
    wbx = (co * lbx - sn * lby) + px
    wby = (sn * lbx + co * lby) + py
    sv[i, _SV_WAX] = wax
    sv[i, _SV_WAY] = way
    sv[i, _SV_WBX] = wbx
    sv[i, _SV_WBY] = wby
    sv[i, _SV_WX] = wbx - wax
    sv[i, _SV_WY] = wby - way


@njit(cache=True, inline="always")
def _simplex_copy(sv, si_, dst, src):
    for q in range(7):
        sv[dst, q] = sv[src, q]
    si_[dst, 0] = si_[src, 0]
    si_[dst, 1] = si_[src, 1]


@njit(cache=True, inline="always")
def _simplex_segment(sv, p, q, dp, dq):
    """Barycentric coordinates of the closest point on the segment of simplex vertices p and q (the
    region's two sub-determinants, ``b2Simplex::Solve2``/``Solve3``)."""
    inv = _ONE / (dp + dq)
    sv[p, _SV_A] = dp * inv
    sv[q, _SV_A] = dq * inv


@njit(cache=True, inline="always")
def _simplex_metric(sv, count):
    """``b2Simplex::GetMetric``."""
    if count == 2:
        dx = sv[0, _SV_WX] - sv[1, _SV_WX]
        dy = sv[0, _SV_WY] - sv[1, _SV_WY]
        return math.sqrt(dx * dx + dy * dy)
    if count == 3:
        ax = sv[1, _SV_WX] - sv[0, _SV_WX]
        ay = sv[1, _SV_WY] - sv[0, _SV_WY]
        bx = sv[2, _SV_WX] - sv[0, _SV_WX]
        by = sv[2, _SV_WY] - sv[0, _SV_WY]
        return ax * by - ay * bx
    return _Z


@njit_no_refcount(cache=True)
def _distance(av, na, bv, nb, px, py, co, sn, cache_i, cache_m, sv, si_):
    """``b2Distance`` (GJK, 2.3) between static proxy A (vertices ``av``) and body proxy B (local vertices
    ``bv``, transform (px, py, co, sn)), without radii, in float32, warm-started from and writing back the
    simplex cache (``cache_i``: count, indexA[3], indexB[3]; ``cache_m``: the metric). Returns the
    distance."""
    count = cache_i[0]
    for i in range(count):
        _simplex_vertex(sv, si_, i, cache_i[1 + i], cache_i[4 + i], av, bv, px, py, co, sn)
        sv[i, _SV_A] = _Z
    if count > 1:
        metric1 = cache_m[0]
        metric2 = _simplex_metric(sv, count)
        if metric2 < _HALF * metric1 or F32(2.0) * metric1 < metric2 or metric2 < _EPSILON32:
            count = 0
    if count == 0:
        _simplex_vertex(sv, si_, 0, 0, 0, av, bv, px, py, co, sn)
        sv[0, _SV_A] = _ONE
        count = 1
    save_a = cache_i[7:10]  # the last simplex's indices, to detect a repeated support point
    save_b = cache_i[10:13]
    it = 0
    while it < 20:
        save_count = count
        for i in range(save_count):
            save_a[i] = si_[i, 0]
            save_b[i] = si_[i, 1]
        if count == 2:  # b2Simplex::Solve2
            w1x, w1y = sv[0, _SV_WX], sv[0, _SV_WY]
            w2x, w2y = sv[1, _SV_WX], sv[1, _SV_WY]
            ex, ey = w2x - w1x, w2y - w1y
            d12_2 = -(w1x * ex + w1y * ey)
            if d12_2 <= _Z:
                sv[0, _SV_A] = _ONE
                count = 1
            else:
                d12_1 = w2x * ex + w2y * ey
                if d12_1 <= _Z:
                    sv[1, _SV_A] = _ONE
                    count = 1
                    _simplex_copy(sv, si_, 0, 1)
                else:
                    _simplex_segment(sv, 0, 1, d12_1, d12_2)
                    count = 2
        elif count == 3:  # b2Simplex::Solve3
            w1x, w1y = sv[0, _SV_WX], sv[0, _SV_WY]
            w2x, w2y = sv[1, _SV_WX], sv[1, _SV_WY]
            w3x, w3y = sv[2, _SV_WX], sv[2, _SV_WY]
            e12x, e12y = w2x - w1x, w2y - w1y
            d12_1 = w2x * e12x + w2y * e12y
            d12_2 = -(w1x * e12x + w1y * e12y)
            e13x, e13y = w3x - w1x, w3y - w1y
            d13_1 = w3x * e13x + w3y * e13y
            d13_2 = -(w1x * e13x + w1y * e13y)
            e23x, e23y = w3x - w2x, w3y - w2y
            d23_1 = w3x * e23x + w3y * e23y
            d23_2 = -(w2x * e23x + w2y * e23y)
            n123 = e12x * e13y - e12y * e13x
            d123_1 = n123 * (w2x * w3y - w2y * w3x)
            d123_2 = n123 * (w3x * w1y - w3y * w1x)
            d123_3 = n123 * (w1x * w2y - w1y * w2x)
            if d12_2 <= _Z and d13_2 <= _Z:
                sv[0, _SV_A] = _ONE
                count = 1
            elif d12_1 > _Z and d12_2 > _Z and d123_3 <= _Z:
                _simplex_segment(sv, 0, 1, d12_1, d12_2)
                count = 2
            elif d13_1 > _Z and d13_2 > _Z and d123_2 <= _Z:
                _simplex_segment(sv, 0, 2, d13_1, d13_2)
                count = 2
                _simplex_copy(sv, si_, 1, 2)
            elif d12_1 <= _Z and d23_2 <= _Z:
                sv[1, _SV_A] = _ONE
                count = 1
                _simplex_copy(sv, si_, 0, 1)
            elif d13_1 <= _Z and d23_1 <= _Z:
                sv[2, _SV_A] = _ONE
                count = 1
                _simplex_copy(sv, si_, 0, 2)
            elif d23_1 > _Z and d23_2 > _Z and d123_1 <= _Z:
                _simplex_segment(sv, 1, 2, d23_1, d23_2)
                count = 2
                _simplex_copy(sv, si_, 0, 2)
            else:
                inv = _ONE / (d123_1 + d123_2 + d123_3)
                sv[0, _SV_A] = d123_1 * inv
                sv[1, _SV_A] = d123_2 * inv
                sv[2, _SV_A] = d123_3 * inv
                count = 3
        if count == 3:
            break
        # b2Simplex::GetSearchDirection
        if count == 1:
            dx, dy = -sv[0, _SV_WX], -sv[0, _SV_WY]
        else:
            ex = sv[1, _SV_WX] - sv[0, _SV_WX]
            ey = sv[1, _SV_WY] - sv[0, _SV_WY]
            sgn = ex * -sv[0, _SV_WY] - ey * -sv[0, _SV_WX]
            if sgn > _Z:
                dx, dy = -ey, ex  # b2Cross(1, e12)
            else:
                dx, dy = ey, -ex  # b2Cross(e12, 1)
        if dx * dx + dy * dy < _EPSILON32 * _EPSILON32:
            break
        ia = _support32(av, na, -dx, -dy)  # b2MulT(identity, -d)
        ib = _support32(bv, nb, co * dx + sn * dy, -sn * dx + co * dy)  # b2MulT(xfB.q, d)
        it += 1
        duplicate = False
        for i in range(save_count):
            if ia == save_a[i] and ib == save_b[i]:
                duplicate = True
                break
        if duplicate:
            break
        _simplex_vertex(sv, si_, count, ia, ib, av, bv, px, py, co, sn)
        count += 1
    # b2Simplex::GetWitnessPoints, the distance, WriteCache
    if count == 1:
        pax, pay = sv[0, _SV_WAX], sv[0, _SV_WAY]
        pbx, pby = sv[0, _SV_WBX], sv[0, _SV_WBY]
    elif count == 2:
        a1 = sv[0, _SV_A]
        a2 = sv[1, _SV_A]
        pax = a1 * sv[0, _SV_WAX] + a2 * sv[1, _SV_WAX]
        pay = a1 * sv[0, _SV_WAY] + a2 * sv[1, _SV_WAY]
        pbx = a1 * sv[0, _SV_WBX] + a2 * sv[1, _SV_WBX]
        pby = a1 * sv[0, _SV_WBY] + a2 * sv[1, _SV_WBY]
    else:
        a1 = sv[0, _SV_A]
        a2 = sv[1, _SV_A]
        a3 = sv[2, _SV_A]
        pax = a1 * sv[0, _SV_WAX] + a2 * sv[1, _SV_WAX] + a3 * sv[2, _SV_WAX]
        pay = a1 * sv[0, _SV_WAY] + a2 * sv[1, _SV_WAY] + a3 * sv[2, _SV_WAY]
        pbx, pby = pax, pay
    dx = pax - pbx
    dy = pay - pby
    cache_m[0] = _simplex_metric(sv, count)
    cache_i[0] = count
    for i in range(count):
        cache_i[1 + i] = si_[i, 0]
        cache_i[4 + i] = si_[i, 1]
    return math.sqrt(dx * dx + dy * dy)


@njit_no_refcount(cache=True)
def _sep_min(kind, axx, axy, lpx, lpy, av, na, bv, nb, px, py, co, sn, find, ia, ib):
    """``b2SeparationFunction::FindMinSeparation`` (``find``) or ``Evaluate`` at a transform of B (A is
    static: identity), float32. Returns (separation, indexA, indexB)."""
    if kind == 0:  # e_points
        if find:
            ia = _support32(av, na, axx, axy)
            ib = _support32(bv, nb, co * -axx + sn * -axy, -sn * -axx + co * -axy)
        lbx, lby = F32(bv[ib, 0]), F32(bv[ib, 1])
        pbx = (co * lbx - sn * lby) + px
        pby = (sn * lbx + co * lby) + py
        return (pbx - F32(av[ia, 0])) * axx + (pby - F32(av[ia, 1])) * axy, ia, ib
    if kind == 1:  # e_faceA: axis and local point in A's (world) frame
        if find:
            ia = -1
            ib = _support32(bv, nb, co * -axx + sn * -axy, -sn * -axx + co * -axy)
        lbx, lby = F32(bv[ib, 0]), F32(bv[ib, 1])
        pbx = (co * lbx - sn * lby) + px
        pby = (sn * lbx + co * lby) + py
        return (pbx - lpx) * axx + (pby - lpy) * axy, ia, ib
    # e_faceB: axis and local point in B's frame
    nx = co * axx - sn * axy
    ny = sn * axx + co * axy
    pbx = (co * lpx - sn * lpy) + px
    pby = (sn * lpx + co * lpy) + py
    if find:
        ib = -1
        ia = _support32(av, na, -nx, -ny)
    return (F32(av[ia, 0]) - pbx) * nx + (F32(av[ia, 1]) - pby) * ny, ia, ib


@njit_no_refcount(cache=True)
def _time_of_impact(k, c0x, c0y, a0, cx, cy, a, av, na, cache_i, cache_m, sv, si_):
    """``b2TimeOfImpact`` (2.3) of body k's sweep (float32: start c0/a0, end c/a) against the static proxy
    ``av`` (na vertices), Box2D's float32 arithmetic and order: conservative advancement on the separating
    axes that GJK's simplex gives, a mixed secant/bisection root finder. Returns (state, t)."""
    bv = BODY_VERTS32_NB[k]
    nb = BODY_NV_NB[k]
    # b2Sweep::Normalize of the copy
    d = _TWO_PI32 * np.float32(math.floor(a0 / _TWO_PI32))
    a0 = a0 - d
    a = a - d
    target = _TOI_TARGET32
    tol = _TOI_TOLERANCE32
    t_max = _ONE
    t1 = _Z
    cache_i[0] = 0
    cache_m[0] = _Z
    it = 0
    while True:
        px, py, co, sn = _sweep_xf(k, c0x, c0y, a0, cx, cy, a, t1)
        dist = _distance(av, na, bv, nb, px, py, co, sn, cache_i, cache_m, sv, si_)
        if dist <= _Z:
            return TOI_OVERLAPPED, _Z
        if dist < target + tol:
            return TOI_TOUCHING, t1
        # b2SeparationFunction::Initialize from the cache at t1
        count = cache_i[0]
        lpx = _Z
        lpy = _Z
        if count == 1:
            kind = 0
            lbx, lby = F32(bv[cache_i[4], 0]), F32(bv[cache_i[4], 1])
            pbx = (co * lbx - sn * lby) + px
            pby = (sn * lbx + co * lby) + py
            axx = pbx - F32(av[cache_i[1], 0])
            axy = pby - F32(av[cache_i[1], 1])
            axx, axy = fast_tree.normalize32(axx, axy)
        elif cache_i[1] == cache_i[2]:  # two points on B, one on A: face B
            kind = 2
            b1x, b1y = F32(bv[cache_i[4], 0]), F32(bv[cache_i[4], 1])
            b2x, b2y = F32(bv[cache_i[5], 0]), F32(bv[cache_i[5], 1])
            axx = b2y - b1y  # b2Cross(b2 - b1, 1)
            axy = -(b2x - b1x)
            axx, axy = fast_tree.normalize32(axx, axy)
            nx = co * axx - sn * axy
            ny = sn * axx + co * axy
            lpx = _HALF * (b1x + b2x)
            lpy = _HALF * (b1y + b2y)
            pbx = (co * lpx - sn * lpy) + px
            pby = (sn * lpx + co * lpy) + py
            s = (F32(av[cache_i[1], 0]) - pbx) * nx + (F32(av[cache_i[1], 1]) - pby) * ny
            if s < _Z:
                axx = -axx
                axy = -axy
        else:  # two points on A: face A
            kind = 1
            a1x, a1y = F32(av[cache_i[1], 0]), F32(av[cache_i[1], 1])
            a2x, a2y = F32(av[cache_i[2], 0]), F32(av[cache_i[2], 1])
            axx = a2y - a1y
            axy = -(a2x - a1x)
            axx, axy = fast_tree.normalize32(axx, axy)
            lpx = _HALF * (a1x + a2x)
            lpy = _HALF * (a1y + a2y)
            lbx, lby = F32(bv[cache_i[4], 0]), F32(bv[cache_i[4], 1])
            pbx = (co * lbx - sn * lby) + px
            pby = (sn * lbx + co * lby) + py
            s = (pbx - lpx) * axx + (pby - lpy) * axy
            if s < _Z:
                axx = -axx
                axy = -axy
        t2 = t_max
        push = 0
        while True:
            px, py, co, sn = _sweep_xf(k, c0x, c0y, a0, cx, cy, a, t2)
            s2, ia, ib = _sep_min(kind, axx, axy, lpx, lpy, av, na, bv, nb, px, py, co, sn, True, 0, 0)
            if s2 > target + tol:
                return TOI_SEPARATED, t_max
            if s2 > target - tol:
                t1 = t2
                break
            px, py, co, sn = _sweep_xf(k, c0x, c0y, a0, cx, cy, a, t1)
            s1, _, _ = _sep_min(kind, axx, axy, lpx, lpy, av, na, bv, nb, px, py, co, sn, False, ia, ib)
            if s1 < target - tol:
                return TOI_FAILED, t1
            if s1 <= target + tol:
                return TOI_TOUCHING, t1
            root = 0
            ra1 = t1
            ra2 = t2
            while True:
                if root & 1:
                    t = ra1 + (target - s1) * (ra2 - ra1) / (s2 - s1)
                else:
                    t = _HALF * (ra1 + ra2)
                root += 1
                px, py, co, sn = _sweep_xf(k, c0x, c0y, a0, cx, cy, a, t)
                sv_, _, _ = _sep_min(kind, axx, axy, lpx, lpy, av, na, bv, nb, px, py, co, sn, False, ia, ib)
                if abs(sv_ - target) < tol:
                    t2 = t
                    break
                if sv_ > target:
                    ra1 = t
                    s1 = sv_
                else:
                    ra2 = t
                    s2 = sv_
                if root == 50:
                    break
            push += 1
            if push == 8:  # b2_maxPolygonVertices
                break
        it += 1
        if it == 20:
            return TOI_FAILED, t1


@njit(cache=True, inline="always")
def _sweep_advance(c0, a0, alpha0, cb, ab, k, alpha):
    """``b2Sweep::Advance`` of body k (float32): the sweep's start moves to fraction ``alpha``."""
    al0 = F32(alpha0[k])
    beta = (alpha - al0) / (_ONE - al0)
    x0 = F32(c0[k, 0])
    y0 = F32(c0[k, 1])
    r0 = F32(a0[k])
    c0[k, 0] = x0 + beta * (F32(cb[k, 0]) - x0)
    c0[k, 1] = y0 + beta * (F32(cb[k, 1]) - y0)
    a0[k] = r0 + beta * (F32(ab[k]) - r0)
    alpha0[k] = alpha


@njit(cache=True, inline="always")
def _static_alpha(sal, nsal, j):
    for q in range(nsal):
        if sal[q, 0] == j:
            return q
    return -1


@njit(cache=True, inline="always")
def _set_static_alpha(sal, nsal, j, alpha):
    """Course body j's sweep start moves to ``alpha`` (``b2Sweep::Advance`` of a static body: its pose stays,
    its alpha0 changes); returns the new count of entries."""
    q = _static_alpha(sal, nsal, j)
    if q < 0:
        q = nsal
        sal[q, 0] = j
        nsal += 1
    sal[q, 1] = alpha
    return nsal


@njit_no_refcount(cache=True)
def _update_contact(b, k, j, cb, ab, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, new_cts, new_timp,
                    scratch, ids, out):
    """``b2Contact::Update`` of one contact (body k, fixture j) at body k's pose now: its row in ``cts`` is
    replaced by the new manifold (impulses carried over by feature key), dropped when it no longer touches;
    the listener hears a change of touching (``_contact_event``). Returns whether it touches."""
    px, py, pc, ps = _body_transform(cb, ab, k)
    npts = _collide_pair(k, j, px, py, pc, ps, fkind, fnv, fverts, fnormals, out, scratch, ids)
    old = cts[b]
    told = timp[b]
    n_old = ncts[b]
    r = _row_index(old, n_old, k, j)
    if (npts > 0) != (r >= 0):
        _contact_event(b, flags, k, npts > 0)
    if npts > 0:
        for q in range(CONTACT_WIDTH):
            new_cts[0, q] = out[q]
        _match_impulses(old, told, n_old, new_cts, new_timp, 0, 1)
        if r < 0:
            r = n_old
            ncts[b] = n_old + 1
        for q in range(CONTACT_WIDTH):
            old[r, q] = new_cts[0, q]
        told[r, 0] = new_timp[0, 0]
        told[r, 1] = new_timp[0, 1]
    elif r >= 0:
        for i in range(r, n_old - 1):
            for q in range(CONTACT_WIDTH):
                old[i, q] = old[i + 1, q]
            told[i, 0] = told[i + 1, 0]
            told[i, 1] = told[i + 1, 1]
        ncts[b] = n_old - 1
    return npts > 0


@njit_no_refcount(cache=True)
def _solve_toi(b, c, a, v, w, c0, a0, alpha0, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, faabb,
               cell_first, max_width, vel_iters, scratch, ids, out, new_cts, new_timp, toi_pair, sal, gjk,
               vel_tol, ws1, spare, trees):
    """``b2World::SolveTOI`` for one walker, in Box2D's float32 and order: over the walker's contacts
    newest first, the earliest time of impact (cached per contact until its body moves, at most 8 events
    per contact, each course body's sweep start shared by its contacts as Box2D's static bodies' are); the
    body goes back to it, the impact's contact and then the body's others are updated (events fire), 20
    position iterations (TOI Baumgarte 0.75) and the velocity iterations run on that body and its touching
    contacts (the impact's first), it moves on for the rest of the step, its proxy moves and new contacts
    are found. Joints are not part of these sub-steps (as in Box2D)."""
    cb = c[b]
    ab = a[b]
    vb = v[b]
    wb = w[b]
    box, node, meta, proxies, stack, rule, pairs, pmeta, fix_proxy = trees
    pb = pairs[b]
    cache_i, cache_m, sv, si_ = gjk
    toi_valid, toi_alpha, toi_count, toi_off = toi_pair
    for k in range(NUM_BODIES):
        alpha0[k] = 0.0
    for i in range(MAX_PAIRS):
        toi_valid[i] = 0
        toi_count[i] = 0
        toi_off[i] = 0
    nsal = 0  # course bodies whose sweep start moved this step: (fixture, alpha0)
    while True:
        min_alpha = _ONE
        mi = -1
        n_pairs = pmeta[b, PM_COUNT]
        for i in range(n_pairs - 1, -1, -1):
            if toi_off[i] != 0 or toi_count[i] > MAX_SUB_STEPS:
                continue
            k = pb[i, P_BODY]
            j = pb[i, P_FIX]
            if toi_valid[i] != 0:
                alpha = F32(toi_alpha[i])
            else:
                # put both sweeps on the same interval (b2Sweep::Advance of the one behind)
                q = _static_alpha(sal, nsal, j)
                sa0 = F32(sal[q, 1]) if q >= 0 else _Z
                ka0 = F32(alpha0[k])
                al0 = sa0
                if sa0 < ka0:
                    al0 = ka0
                    nsal = _set_static_alpha(sal, nsal, j, ka0)
                elif ka0 < sa0:
                    al0 = sa0
                    _sweep_advance(c0, a0, alpha0, cb, ab, k, sa0)
                state, beta = _time_of_impact(k, F32(c0[k, 0]), F32(c0[k, 1]), F32(a0[k]), F32(cb[k, 0]),
                                              F32(cb[k, 1]), F32(ab[k]), fverts[j], fnv[j], cache_i, cache_m,
                                              sv, si_)
                if state == TOI_TOUCHING:
                    alpha = min(al0 + (_ONE - al0) * beta, _ONE)
                else:
                    alpha = _ONE
                toi_alpha[i] = alpha
                toi_valid[i] = 1
            if alpha < min_alpha:
                min_alpha = alpha
                mi = i
        if mi < 0 or _TOI_DONE32 < min_alpha:
            break
        k = pb[mi, P_BODY]
        j = pb[mi, P_FIX]
        # advance the bodies to the impact (the course body's sweep start too), update the impact's contact
        s_c0x, s_c0y, s_a0, s_al = c0[k, 0], c0[k, 1], a0[k], alpha0[k]
        s_cx, s_cy, s_a = cb[k, 0], cb[k, 1], ab[k]
        q = _static_alpha(sal, nsal, j)
        s_sal = sal[q, 1] if q >= 0 else 0.0
        _sweep_advance(c0, a0, alpha0, cb, ab, k, min_alpha)
        cb[k, 0] = c0[k, 0]
        cb[k, 1] = c0[k, 1]
        ab[k] = a0[k]
        touching = _update_contact(b, k, j, cb, ab, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals,
                                   new_cts, new_timp, scratch, ids, out)
        toi_valid[mi] = 0
        toi_count[mi] += 1
        if not touching:  # not solid: restore the sweeps, disable the contact for this step
            toi_off[mi] = 1
            c0[k, 0], c0[k, 1], a0[k], alpha0[k] = s_c0x, s_c0y, s_a0, s_al
            cb[k, 0], cb[k, 1], ab[k] = s_cx, s_cy, s_a
            if q >= 0:
                sal[q, 1] = s_sal
            continue
        nsal = _set_static_alpha(sal, nsal, j, min_alpha)
        # the island: the impact's contact, then the body's other contacts newest first, each updated at the
        # pose of the impact (a course body touched this way has its sweep start advanced too)
        body, jnt, con, lane, ngrp, span, trig, gcount = ws1
        _pack_bodies(0, b, c, a, v, w, body)
        p = BODY_GROUP[k]
        for g in range(NUM_BODIES):
            ngrp[g] = 0
        slot = p * GROUP
        r = _row_index(cts[b], ncts[b], k, j)
        _pack_contact(slot, 0, cts[b], timp[b], r, con, False)
        span[slot] = 1
        m = 1
        toi_off[mi] = 0
        n_pairs = pmeta[b, PM_COUNT]
        for i in range(n_pairs - 1, -1, -1):
            if i == mi or pb[i, P_BODY] != k:
                continue
            jo = pb[i, P_FIX]
            toi_off[i] = 0  # Update re-enables a contact
            touching = _update_contact(b, k, jo, cb, ab, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals,
                                       new_cts, new_timp, scratch, ids, out)
            if touching:
                nsal = _set_static_alpha(sal, nsal, jo, min_alpha)
                if m < GROUP:
                    r = _row_index(cts[b], ncts[b], k, jo)
                    _pack_contact(slot + m, 0, cts[b], timp[b], r, con, False)
                    span[slot + m] = 1
                    m += 1
        ngrp[p] = m
        # b2Island::SolveTOI with the lockstep solver on one lane: 20 position iterations (TOI Baumgarte
        # 0.75, exit at -1.5 slop), the new safe pose as the sweep's start, then the velocity iterations
        # without warm start from zero impulses (the sub-step's warmStarting is false), whose impulses are
        # dropped, and the rest of the step integrated
        _position_iterations(1, body, jnt, con, ngrp, span, lane, trig, TOI_POSITION_ITERATIONS,
                             _TOI_BAUMGARTE32, _TOI_OK_SEP32, False, spare)  # one lane: spare unused
        c0[k, 0] = body[B_CX, k, 0]
        c0[k, 1] = body[B_CY, k, 0]
        a0[k] = body[B_A, k, 0]
        _init_contacts(body, con, ngrp, span, trig)
        _velocity_iterations(1, body, jnt, con, ngrp, span, lane, vel_iters, vel_tol, False)
        _integrate_body(body, k, 0, (_ONE - min_alpha) * _DT32)
        cb[k, 0] = body[B_CX, k, 0]
        cb[k, 1] = body[B_CY, k, 0]
        ab[k] = body[B_A, k, 0]
        vb[k, 0] = body[B_VX, k, 0]
        vb[k, 1] = body[B_VY, k, 0]
        wb[k] = body[B_W, k, 0]
        _sync_body_tree(b, k, trees, c0[k, 0], c0[k, 1], a0[k], cb[k, 0], cb[k, 1], ab[k])
        for i in range(n_pairs):  # the body moved: its contacts' impacts are computed afresh
            if pb[i, P_BODY] == k:
                toi_valid[i] = 0
        _find_new_contacts(b, trees, faabb, cell_first, max_width)
        n_new = pmeta[b, PM_COUNT]
        for i in range(n_pairs, n_new):
            toi_valid[i] = 0
            toi_count[i] = 0
            toi_off[i] = 0


# ---------------------------------------------------------------------- ray casts (b2Shape::RayCast)


@njit_no_refcount(cache=True)
def _lidar(px, py, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions):
    """Ten rays from the hull origin; each fraction is the nearest ground fixture's (1 when none)."""
    nfix = fkind.shape[0]
    for i in range(NUM_LIDAR):
        dx = LIDAR_DX_NB[i]
        dy = -LIDAR_DY_NB[i]
        best = 1.0
        x0 = px
        x1 = px + dx
        ylo = py + dy
        j = _first_candidate(cell_first, max_width, x0)
        while j < nfix and faabb[j, 0] <= x1:
            if faabb[j, 2] >= x0 and faabb[j, 3] >= ylo and faabb[j, 1] <= py:
                if fkind[j] == 0:
                    t = _ray_edge(px, py, dx, dy, best, fverts[j, 0, 0], fverts[j, 0, 1], fverts[j, 1, 0],
                                  fverts[j, 1, 1])
                else:
                    t = _ray_polygon(px, py, dx, dy, best, fverts[j], fnormals[j], fnv[j])
                if t >= 0.0 and t < best:
                    best = t
            j += 1
        fractions[i] = best


# ---------------------------------------------------------------------- the reference's lidar (fast_tree)

BODY_VERTS32_NB = BODY_VERTS.astype(np.float32)  # the walker's shapes as Box2D stores them (float32)
# b2World::Solve synchronises the bodies in m_bodyList order, the newest body first
TREE_SYNC_ORDER_NB = np.array([4, 3, 2, 1, 0], dtype=np.int64)
# the reference's callback (the first ground fixture the tree reports), or the nearest one (gym v3)
LIDAR_RULES = ("first", "nearest")


MAX_PAIRS = 48  # live broad-phase pairs (walker body, course fixture) per walker: fat AABBs that overlap
P_BODY, P_FIX, P_STAMP = 0, 1, 2  # a pair's row: body, sorted fixture index (as a contact row's first two
# columns, so _row_index finds both), creation stamp
PM_COUNT, PM_STAMP, PM_MOVED = 0, 1, 2  # pair meta: live pairs, next stamp, proxies moved since last query


@njit(cache=True)
def _alloc_trees(batch, tree0):
    """Per-walker broad-phase state shaped like the course's ``tree0``: the tree (box, node, meta), the
    walkers' proxy ids (batch, 5), a ray-cast stack, the lidar rule (an index into ``LIDAR_RULES``), the live
    pairs (batch, MAX_PAIRS, 3) (Box2D's contacts, touching or not, oldest first), the pair meta (batch, 3)
    and the course fixtures' proxy ids (from ``tree0``)."""
    cap = tree0[1].shape[0]
    return (np.zeros((batch, cap, 4), dtype=np.float32), np.zeros((batch, cap, 5), dtype=np.int64),
            np.zeros((batch, 3), dtype=np.int64), np.zeros((batch, NUM_BODIES), dtype=np.int64),
            np.zeros(cap + 2, dtype=np.int64), tree0[3].copy(),
            np.zeros((batch, MAX_PAIRS, 3), dtype=np.int64), np.zeros((batch, 3), dtype=np.int64),
            tree0[4].copy())


def _tree0(course_arrays: CourseArrays, lidar: str) -> tuple:
    """The course's tree, the lidar rule and each sorted fixture's proxy id, as the compiled step takes
    them."""
    from aiga.core.config import AigaError

    if lidar not in LIDAR_RULES:
        raise AigaError(f"lidar must be one of {', '.join(LIDAR_RULES)}, got {lidar!r}")
    rule = np.array([LIDAR_RULES.index(lidar)], dtype=np.int64)
    return (*course_arrays.tree, rule, course_arrays.fix_proxy)


@njit(cache=True)
def _reset_tree(b, trees, tree0, pos0, ang0):
    """Walker ``b``'s tree as the reference's reset leaves Box2D's: the course's proxies (``tree0``), then the
    walker's five created at the initial pose (body origins ``pos0``, angles ``ang0``); no pairs yet, every
    proxy new (the first step's ``FindNewContacts`` finds them)."""
    box, node, meta, proxies = trees[:4]
    pmeta = trees[7]
    box[b, :, :] = tree0[0]
    node[b, :, :] = tree0[1]
    meta[b, :] = tree0[2]
    fast_tree.add_walker(box[b], node[b], meta[b], proxies[b], BODY_VERTS32_NB, BODY_NV_NB, pos0, ang0)
    pmeta[b, PM_COUNT] = 0
    pmeta[b, PM_STAMP] = 0
    pmeta[b, PM_MOVED] = (1 << NUM_BODIES) - 1


@njit_no_refcount(cache=True)
def _sync_body_tree(b, k, trees, c0x, c0y, a0, c1x, c1y, a1):
    """``b2Body::SynchronizeFixtures`` of walker ``b``'s body ``k``: its proxy moved from the sweep's start
    (centre of mass c0, angle a0) to the body's pose now (c1, a1); a reinserted proxy is marked as moved for
    the next ``_find_new_contacts``."""
    box, node, meta, proxies = trees[:4]
    pmeta = trees[7]
    lx = BODY_LOCAL_CENTER_NB[k, 0]
    ly = BODY_LOCAL_CENTER_NB[k, 1]
    p1x, p1y, s1, co1 = fast_tree.body_transform32(c0x, c0y, a0, lx, ly)
    p2x, p2y, s2, co2 = fast_tree.body_transform32(c1x, c1y, a1, lx, ly)
    if fast_tree.synchronize_polygon(box[b], node[b], meta[b], proxies[b, k], BODY_VERTS32_NB[k],
                                     BODY_NV_NB[k], p1x, p1y, s1, co1, p2x, p2y, s2, co2):
        pmeta[b, PM_MOVED] |= 1 << k


@njit_no_refcount(cache=True)
def _sync_tree(b, trees, c0, a0, c, a):
    """The broad-phase moves after the island solve (``b2World::Solve``): every walker body's proxy from its
    pose at the start of the step (c0, a0) to the solved one (c, a), in Box2D's body-list order."""
    for q in range(NUM_BODIES):
        k = TREE_SYNC_ORDER_NB[q]
        _sync_body_tree(b, k, trees, c0[k, 0], c0[k, 1], a0[k], c[k, 0], c[k, 1], a[k])


@njit(cache=True, inline="always")
def _fat_overlap(box, i, j):
    """``b2TestOverlap`` of the fat AABBs of proxies i and j (float32)."""
    if box[j, 0] - box[i, 2] > 0.0 or box[j, 1] - box[i, 3] > 0.0:
        return False
    if box[i, 0] - box[j, 2] > 0.0 or box[i, 1] - box[j, 3] > 0.0:
        return False
    return True


@njit_no_refcount(cache=True)
def _find_new_contacts(b, trees, faabb, cell_first, max_width):
    """``b2ContactManager::FindNewContacts`` for walker ``b``: every proxy moved since the last call is
    queried against the course's; each overlapping (body, fixture) pair that has no contact yet gets one.
    Box2D sorts the new pairs by (lower proxy id, higher proxy id) and creates their contacts in that order,
    each at the head of the contact lists; the stamps record that order, which is the order the island and
    the contact events later visit them in (newest first)."""
    box, node, meta, proxies, stack, rule, pairs, pmeta, fix_proxy = trees
    moved = pmeta[b, PM_MOVED]
    if moved == 0:
        return
    pmeta[b, PM_MOVED] = 0
    bb = box[b]
    pb = pairs[b]
    n0 = pmeta[b, PM_COUNT]
    n = n0
    nfix = fix_proxy.shape[0]
    cap = bb.shape[0]
    for k in range(NUM_BODIES):
        if (moved >> k) & 1 == 0:
            continue
        pk = proxies[b, k]
        # the course fixtures' fat AABBs reach at most 0.1 + the polygon radius beyond their vertices
        j = _first_candidate(cell_first, max_width, np.float64(bb[pk, 0]) - 0.2)
        while j < nfix and faabb[j, 0] - 0.2 <= bb[pk, 2]:
            g = fix_proxy[j]
            if _fat_overlap(bb, g, pk) and _row_index(pb, n, k, j) < 0 and n < MAX_PAIRS:
                pb[n, P_BODY] = k
                pb[n, P_FIX] = j
                pb[n, P_STAMP] = g * cap + pk  # the pair buffer's sort key, replaced by the stamp below
                n += 1
            j += 1
    for i in range(n0 + 1, n):  # insertion sort of the new pairs by key
        q = i
        while q > n0 and pb[q - 1, P_STAMP] > pb[q, P_STAMP]:
            for f in range(3):
                t = pb[q - 1, f]
                pb[q - 1, f] = pb[q, f]
                pb[q, f] = t
            q -= 1
    for i in range(n0, n):
        pb[i, P_STAMP] = pmeta[b, PM_STAMP]
        pmeta[b, PM_STAMP] += 1
    pmeta[b, PM_COUNT] = n


@njit_no_refcount(cache=True)
def _lidar_rule(b, px, py, trees, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions):
    """The reference's lidar: ten rays from the hull origin (px, py), each the fraction of the first ground
    fixture walker ``b``'s broad-phase tree reports (1 when none), as its callback that returns 0; with the
    "nearest" rule (``trees[5]``), the nearest ground fixture's."""
    box, node, meta, proxies, stack, rule = trees[:6]
    if rule[0] == 1:
        _lidar(px, py, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions)
        return
    for i in range(NUM_LIDAR):
        p2x = px + LIDAR_DX_NB[i]
        p2y = py - LIDAR_DY_NB[i]
        fractions[i] = fast_tree.ray_cast_first(box[b], node[b], meta[b], px, py, p2x, p2y, fkind, fnv,
                                                fverts, fnormals, stack)


# ---------------------------------------------------------------------- the solver (b2Island::Solve)


JOINT_A_NB = JOINT_A
JOINT_B_NB = JOINT_B
JOINT_ANCHOR_A_NB = JOINT_ANCHOR_A
JOINT_ANCHOR_B_NB = JOINT_ANCHOR_B
JOINT_LOWER_NB = JOINT_LOWER
JOINT_UPPER_NB = JOINT_UPPER
JOINT_SPEED_NB = JOINT_SPEED
JOINT_REFERENCE_NB = JOINT_REFERENCE




# ---------------------------------------------------------------------- the lockstep solver (float32, SoA)
#
# b2Island::Solve for a chunk of up to LANES walkers at once. Every quantity is a float32 array whose last
# axis is the lane (one walker per lane), so each inner loop runs over lanes with the same arithmetic and
# no branches (selects, min/max): LLVM turns it into 16- or 8-wide float32 vector code (zmm/ymm). Box2D works
# in float32 too. The scene makes gathers unnecessary: the bodies and the joints' body pairs are fixed,
# and every contact is between one walker body and the static course, so a contact slot belongs to one
# body: slots are grouped by body in the island's order (group p holds ISLAND_BODY_ORDER[p]'s contacts),
# a lane with fewer contacts in a group than the chunk's most has zeroed (inactive) slots there.
# Lanes whose walker left the position iterations early (Box2D's per-island exit) or, with a velocity
# tolerance, the velocity iterations, keep their values (selects on a live flag).

F32 = np.float32
LANES = 64  # walkers per lockstep chunk: four AVX-512 or eight AVX2 vectors of float32 per loop (with fewer
# the processor has less independent work per loop: 1.7x the time per lane at 16 lanes)
GROUP = MAX_CONTACTS  # contact slots per body group
VECTOR = float32_lanes()  # float32 lanes per vector register (16 or 8, aiga.core.jit): chunks are padded to
# a multiple of it

_Z = F32(0.0)
_ONE = F32(1.0)
_HALF = F32(0.5)
_DT32 = F32(DT)
_GRAVITY32 = F32(GRAVITY_Y)
_SLOP32 = F32(LINEAR_SLOP)
_ANGULAR_SLOP32 = F32(ANGULAR_SLOP)
_RADIUS32 = F32(POLYGON_RADIUS)
_TWO_RADIUS32 = F32(2.0 * POLYGON_RADIUS)
_MAX_LINEAR32 = F32(MAX_LINEAR_CORRECTION)
_MAX_ANGULAR32 = F32(MAX_ANGULAR_CORRECTION)
_MAX_TRANSLATION32 = F32(MAX_TRANSLATION)
_MAX_TRANSLATION2_32 = F32(MAX_TRANSLATION * MAX_TRANSLATION)
_MAX_ROTATION32 = F32(MAX_ROTATION)
_MAX_ROTATION2_32 = F32(MAX_ROTATION2)
_MAX_CONDITION32 = F32(MAX_CONDITION)
_BAUMGARTE32 = F32(BAUMGARTE)
_TOI_BAUMGARTE32 = F32(TOI_BAUMGARTE)
_OK_SEP32 = F32(-3.0 * LINEAR_SLOP)
_TOI_OK_SEP32 = F32(-1.5 * LINEAR_SLOP)
INV_MASS32 = BODY_INV_MASS.astype(F32)
INV_I32 = BODY_INV_I.astype(F32)
LOCAL_CENTER32 = BODY_LOCAL_CENTER.astype(F32)
# b2MixFriction = sqrtf(f1 * f2) in float32
FRICTION32 = np.sqrt(BODY_FRICTION.astype(F32) * F32(TERRAIN_FRICTION)).astype(F32)
# joint anchors relative to the bodies' centres (m_localAnchor - m_localCenter, float32)
J_LOCAL_A32 = (JOINT_ANCHOR_A.astype(F32) - LOCAL_CENTER32[JOINT_A]).astype(F32)
J_LOCAL_B32 = (JOINT_ANCHOR_B.astype(F32) - LOCAL_CENTER32[JOINT_B]).astype(F32)
J_MOTOR_MASS32 = (F32(1.0) / (INV_I32[JOINT_A] + INV_I32[JOINT_B])).astype(F32)
J_REFERENCE32 = JOINT_REFERENCE.astype(F32)
J_LOWER32 = JOINT_LOWER.astype(F32)
J_UPPER32 = JOINT_UPPER.astype(F32)
# the island position of each body (its contact group)
BODY_GROUP = np.argsort(ISLAND_BODY_ORDER).astype(np.int64)
LANE_SORT_BODIES = np.array([1, 3, 0, 2, 4], dtype=np.int64)  # upper legs, hull, lower legs (_lane_order)

# rows of the body array (8, 5, lanes): centre of mass, angle, velocities, then cos/sin scratch
B_CX, B_CY, B_A, B_VX, B_VY, B_W, B_CO, B_SI = range(8)
# rows of the joint array (23, 4, lanes): rA, rB, the 3x3 mass matrix K (symmetric: 11 12 13 22 23 33),
# the accumulated impulse (x, y, limit), the motor's impulse, speed and maximum impulse, the limit states,
# then what Solve33/Solve22 derive from K alone (cofactors ey x ez, inverse 3x3 and 2x2 determinants)
(J_RAX, J_RAY, J_RBX, J_RBY, J_K11, J_K12, J_K13, J_K22, J_K23, J_K33, J_IX, J_IY, J_IZ, J_MI, J_MS, J_MAXI,
 J_LOW, J_UPP, J_C1X, J_C1Y, J_C1Z, J_DET3, J_DET2) = range(23)
# rows of the contact array (33 rows, 5 * GROUP slots, lanes; field-major, so that a kernel gets each field
# as a contiguous array of its own): active, normal, rB of both points, normal and tangent masses, friction,
# normal and tangent impulses, two-point block flag, K and its inverse, then the manifold (faceB flag,
# local normal, local point, the two local points, second point present)
(C_ACT, C_NX, C_NY, C_R1X, C_R1Y, C_R2X, C_R2Y, C_NM1, C_NM2, C_TM1, C_TM2, C_FR, C_NI1, C_NI2, C_TI1, C_TI2,
 C_BLK, C_K11, C_K12, C_K22, C_M11, C_M12, C_M22, C_FACEB, C_LNX, C_LNY, C_LPX, C_LPY, C_P1X, C_P1Y, C_P2X,
 C_P2Y, C_PT2) = range(33)
# rows of the lane array (5, lanes): live in the velocity iterations, live in the position iterations, the
# iteration's largest impulse change, the iteration's smallest separation; then joints-ok
L_LIVE_V, L_LIVE_P, L_CHANGE, L_MIN_SEP, L_JOINTS_OK = range(5)


ALIGN = 64  # bytes: a cache line, and one 16-lane float32 vector


@njit(cache=True)
def _zeros_aligned(n0, n1, n2):
    """A zeroed float32 (n0, n1, n2) array whose first element starts a cache line. Numba aligns its arrays
    to 32 bytes only, so half the time every 16-lane row straddled two cache lines and each vector load and
    store of the lane loops touched both: rollouts were 13-18 % slower in those allocations (and the
    benchmark's figure moved with the allocator's luck). Rows of a whole number of vectors then stay
    aligned as well."""
    n = n0 * n1 * n2
    buf = np.zeros(n + ALIGN // 4, dtype=np.float32)
    offset = ((ALIGN - buf.ctypes.data % ALIGN) % ALIGN) // 4
    return buf[offset:offset + n].reshape((n0, n1, n2))


@njit(cache=True)
def _new_lanes(lanes):
    """The lockstep solver's arrays for ``lanes`` walkers: body, joint, contact and lane rows, the group
    sizes, each contact slot's span (the lanes it runs on: the first ``span[s]``), trig scratch, and each
    lane's contacts per group."""
    return (_zeros_aligned(8, NUM_BODIES, lanes),
            _zeros_aligned(23, NUM_JOINTS, lanes),
            _zeros_aligned(33, NUM_BODIES * GROUP, lanes),
            _zeros_aligned(1, 5, lanes)[0],
            np.zeros(NUM_BODIES, dtype=np.int64), np.zeros(NUM_BODIES * GROUP, dtype=np.int64),
            _zeros_aligned(1, 4, lanes)[0],
            np.zeros((NUM_BODIES, lanes), dtype=np.int64))


# sin/cos in float32 that LLVM can vectorise (libm's sinf/cosf are opaque calls, and without Intel's SVML
# numba has no vector versions; the position iterations evaluate ~25 of them per walker per iteration).
# Cephes' sinf/cosf: reduction by pi/4 in three parts (Cody-Waite), degree-7/8 minimax polynomials; within
# 1-2 float32 ulps of the correctly rounded value for |x| < 8192, like libm's own (Box2D calls sinf/cosf).
# glibc's sinf/cosf (>= 2.28, from ARM's optimized routines: sysdeps/ieee754/flt-32/s_sinf.c, s_cosf.c,
# sincosf.h, e_sincosf_data.c), the functions Box2D's b2Rot calls: evaluated in double precision, so each
# float result is the rounding of a value within ~0.56 ulp. Only |x| < 120 is transcribed (the range
# reduction glibc uses below 120; body angles stay far inside it). Tables as glibc's __sincosf_table[0]; its
# second entry negates the cosine coefficients, done here with a sign.
_SC_HPI_INV = float.fromhex("0x1.45F306DC9C883p+23")  # 2/pi, scaled by 2^24 (TOINT_INTRINSICS is 0 on x86)
_SC_HPI = float.fromhex("0x1.921FB54442D18p0")
_SC_C1 = float.fromhex("-0x1.ffffffd0c621cp-2")
_SC_C2 = float.fromhex("0x1.55553e1068f19p-5")
_SC_C3 = float.fromhex("-0x1.6c087e89a359dp-10")
_SC_C4 = float.fromhex("0x1.99343027bf8c3p-16")
_SC_S1 = float.fromhex("-0x1.555545995a603p-3")
_SC_S2 = float.fromhex("0x1.1107605230bc4p-7")
_SC_S3 = float.fromhex("-0x1.994eb3774cf24p-13")
_SC_SMALL = F32(0.75)  # abstop12(y) < abstop12(pi/4): the top 12 bits of pi/4 (0x3f4) make the bound 0.75
_SC_TINY = F32(2.0 ** -12)  # abstop12(y) < abstop12(0x1p-12f)


@njit(cache=True, inline="always")
def _sincos32(y):
    """(sin y, cos y) of a float32 exactly as glibc's ``sinf``/``cosf`` (|y| < 120), branch-free.

    Why not libm itself: a call cannot be vectorised, and the solver's lane loops call this for every body
    and iteration (calling libm made whole rollouts 1.4x slower). Why not a float32 polynomial (as before):
    Box2D's rotations are glibc's, and an ulp of difference in one rotation parts the trajectories."""
    x = np.float64(y)
    ay = abs(y)
    small = ay < _SC_SMALL
    # reduce_fast: quadrant n from the scaled product, truncated then rounded in integers as glibc does
    n = (np.int64(np.int32(x * _SC_HPI_INV)) + 0x800000) >> 24
    n = 0 if small else n
    xr = x if small else x - np.float64(n) * _SC_HPI
    q = n & 3
    xs = -xr if (q == 1 or q == 2) else xr
    x2 = xr * xr
    # sinf_poly, both branches: the sine of xs, the cosine of xr
    x3 = xs * x2
    s1 = _SC_S2 + x2 * _SC_S3
    x7 = x3 * x2
    sv = xs + x3 * _SC_S1
    sv = sv + x7 * s1
    x4 = x2 * x2
    c2 = _SC_C3 + x2 * _SC_C4
    c1 = 1.0 + x2 * _SC_C1
    x6 = x4 * x2
    cv = c1 + x4 * _SC_C2
    cv = cv + x6 * c2
    cv = -cv if (n & 2) != 0 else cv
    odd = (n & 1) == 1
    tiny = ay < _SC_TINY
    sin_y = y if tiny else np.float32(cv if odd else sv)
    cos_y = _ONE if tiny else np.float32(sv if odd else cv)
    return sin_y, cos_y


@njit_no_refcount(cache=True)
def _trig(nl, body, k, trig):
    """cos/sin of body k's angle per lane into trig rows 0, 1 (``b2Rot::Set``)."""
    for li in range(nl):
        si, co = _sincos32(body[B_A, k, li])
        trig[0, li] = co
        trig[1, li] = si


@njit(cache=True, inline="always")
def _world_face(cx, cy, co, si, face_b, lnx, lny, lpx, lpy, lcx, lcy):
    """A body's origin (from its centre and rotation) and a manifold's reference face in the world: normal
    and plane point (faceA manifolds keep the static course's frame)."""
    px = cx - (co * lcx - si * lcy)
    py = cy - (si * lcx + co * lcy)
    nx = co * lnx - si * lny if face_b else lnx
    ny = si * lnx + co * lny if face_b else lny
    plx = co * lpx - si * lpy + px if face_b else lpx
    ply = si * lpx + co * lpy + py if face_b else lpy
    return px, py, nx, ny, plx, ply


@njit(cache=True, inline="always")
def _manifold_frame(body, con, trig, s, k, li, lcx, lcy):
    """Lane ``li``'s body k (centre, rotation, origin) and contact slot s's reference face in the world:
    faceB flag, normal, plane point (shared by ``b2WorldManifold::Initialize`` and
    ``b2PositionSolverManifold``; faceA manifolds keep the static course's frame)."""
    cx = body[B_CX, k, li]
    cy = body[B_CY, k, li]
    co = trig[0, li]
    si = trig[1, li]
    face_b = con[C_FACEB, s, li] != _Z
    px, py, nx, ny, plx, ply = _world_face(cx, cy, co, si, face_b, con[C_LNX, s, li], con[C_LNY, s, li],
                                           con[C_LPX, s, li], con[C_LPY, s, li], lcx, lcy)
    return cx, cy, co, si, px, py, face_b, nx, ny, plx, ply


@njit_no_refcount(cache=True, error_model="numpy")
def _init_contacts(body, con, ngrp, span, trig):
    """``b2ContactSolver::InitializeVelocityConstraints`` (A static): world manifold, rB, masses, block K."""
    for p in range(NUM_BODIES):
        if ngrp[p] == 0:
            continue
        k = ISLAND_BODY_ORDER_NB[p]
        mb = INV_MASS32[k]
        ib = INV_I32[k]
        lcx = LOCAL_CENTER32[k, 0]
        lcy = LOCAL_CENTER32[k, 1]
        _trig(span[p * GROUP], body, k, trig)  # the group's first slot spans the most lanes
        for q in range(ngrp[p]):
            s = p * GROUP + q
            for li in range(span[s]):
                cx, cy, co, si, px, py, face_b, nx, ny, plx, ply = _manifold_frame(body, con, trig, s, k, li,
                                                                                   lcx, lcy)
                act = con[C_ACT, s, li] != _Z
                two = con[C_PT2, s, li] != _Z
                r1x, r1y = _contact_rb(con[C_P1X, s, li], con[C_P1Y, s, li], face_b, co, si, px, py, cx, cy,
                                       nx, ny, plx, ply)
                r2x, r2y = _contact_rb(con[C_P2X, s, li], con[C_P2Y, s, li], face_b, co, si, px, py, cx, cy,
                                       nx, ny, plx, ply)
                nx = -nx if face_b else nx
                ny = -ny if face_b else ny
                tx = ny
                ty = -nx
                rn1 = r1x * ny - r1y * nx
                rn2 = r2x * ny - r2y * nx
                k11 = mb + ib * rn1 * rn1
                k22 = mb + ib * rn2 * rn2
                k12 = mb + ib * rn1 * rn2
                rt1 = r1x * ty - r1y * tx
                rt2 = r2x * ty - r2y * tx
                con[C_NM1, s, li] = _ONE / k11 if act else _Z
                con[C_TM1, s, li] = _ONE / (mb + ib * rt1 * rt1) if act else _Z
                con[C_R1X, s, li] = r1x if act else _Z
                con[C_R1Y, s, li] = r1y if act else _Z
                con[C_NX, s, li] = nx if act else _Z
                con[C_NY, s, li] = ny if act else _Z
                con[C_FR, s, li] = FRICTION32[k] if act else _Z
                det = k11 * k22 - k12 * k12
                # the two-point block solver only when K is well conditioned, else point 1 alone
                block = act and two and k11 * k11 < _MAX_CONDITION32 * det
                inv = _ONE / det if det != _Z else _Z
                con[C_BLK, s, li] = _ONE if block else _Z
                con[C_K11, s, li] = k11 if block else _Z
                con[C_K12, s, li] = k12 if block else _Z
                con[C_K22, s, li] = k22 if block else _Z
                con[C_M11, s, li] = inv * k22 if block else _Z
                con[C_M12, s, li] = -inv * k12 if block else _Z
                con[C_M22, s, li] = inv * k11 if block else _Z
                # point 2 takes part in the velocity solver only through the block solver (Box2D sets the
                # velocity constraint's pointCount to 1 when K is ill conditioned)
                con[C_NM2, s, li] = _ONE / k22 if block else _Z
                con[C_TM2, s, li] = _ONE / (mb + ib * rt2 * rt2) if block else _Z
                con[C_R2X, s, li] = r2x if block else _Z
                con[C_R2Y, s, li] = r2y if block else _Z


@njit(cache=True, inline="always")
def _contact_rb(lx, ly, face_b, co, si, px, py, cx, cy, nx, ny, plx, ply):
    """rB of one manifold point: the middle of the two surface points (``b2WorldManifold::Initialize``)
    relative to the body's centre; faceB manifolds keep their points in the (static) A frame."""
    clx = lx if face_b else co * lx - si * ly + px
    cly = ly if face_b else si * lx + co * ly + py
    dd = (clx - plx) * nx + (cly - ply) * ny
    sax = clx - _RADIUS32 * nx if face_b else clx + (_RADIUS32 - dd) * nx
    say = cly - _RADIUS32 * ny if face_b else cly + (_RADIUS32 - dd) * ny
    sbx = clx + (_RADIUS32 - dd) * nx if face_b else clx - _RADIUS32 * nx
    sby = cly + (_RADIUS32 - dd) * ny if face_b else cly - _RADIUS32 * ny
    return _HALF * (sax + sbx) - cx, _HALF * (say + sby) - cy


@njit_no_refcount(cache=True)
def _warm_start_contacts(body, con, ngrp, span):
    """``b2ContactSolver::WarmStart`` (normal and tangent impulses of the velocity points)."""
    for p in range(NUM_BODIES):
        k = ISLAND_BODY_ORDER_NB[p]
        mb = INV_MASS32[k]
        ib = INV_I32[k]
        for q in range(ngrp[p]):
            s = p * GROUP + q
            for li in range(span[s]):
                nx = con[C_NX, s, li]
                ny = con[C_NY, s, li]
                tx = ny
                ty = -nx
                vx = body[B_VX, k, li]
                vy = body[B_VY, k, li]
                w = body[B_W, k, li]
                for j in range(2):
                    on = con[C_ACT, s, li] != _Z and (j == 0 or con[C_BLK, s, li] != _Z)
                    ni = con[C_NI1 + j, s, li] if on else _Z
                    ti = con[C_TI1 + j, s, li] if on else _Z
                    pxx = ni * nx + ti * tx
                    pyy = ni * ny + ti * ty
                    w += ib * (con[C_R1X + 2 * j, s, li] * pyy - con[C_R1Y + 2 * j, s, li] * pxx)
                    vx += mb * pxx
                    vy += mb * pyy
                body[B_VX, k, li] = vx
                body[B_VY, k, li] = vy
                body[B_W, k, li] = w


@njit_no_refcount(cache=True, error_model="numpy")
def _init_joints(nl, body, jnt, trig):
    """``b2RevoluteJoint::InitVelocityConstraints`` (island order): rA, rB, K, limit states, warm start."""
    for ji in range(NUM_JOINTS):
        jn = ISLAND_JOINT_ORDER_NB[ji]
        ka = JOINT_A_NB[jn]
        kb = JOINT_B_NB[jn]
        ma = INV_MASS32[ka]
        mb = INV_MASS32[kb]
        ia = INV_I32[ka]
        ib = INV_I32[kb]
        for li in range(nl):
            sa, ca = _sincos32(body[B_A, ka, li])
            sb, cb = _sincos32(body[B_A, kb, li])
            rax = ca * J_LOCAL_A32[jn, 0] - sa * J_LOCAL_A32[jn, 1]
            ray = sa * J_LOCAL_A32[jn, 0] + ca * J_LOCAL_A32[jn, 1]
            rbx = cb * J_LOCAL_B32[jn, 0] - sb * J_LOCAL_B32[jn, 1]
            rby = sb * J_LOCAL_B32[jn, 0] + cb * J_LOCAL_B32[jn, 1]
            jnt[J_RAX, jn, li] = rax
            jnt[J_RAY, jn, li] = ray
            jnt[J_RBX, jn, li] = rbx
            jnt[J_RBY, jn, li] = rby
            k11 = ma + mb + ray * ray * ia + rby * rby * ib
            k12 = -ray * rax * ia - rby * rbx * ib
            k13 = -ray * ia - rby * ib
            k22 = ma + mb + rax * rax * ia + rbx * rbx * ib
            k23 = rax * ia + rbx * ib
            k33 = ia + ib
            jnt[J_K11, jn, li] = k11
            jnt[J_K12, jn, li] = k12
            jnt[J_K13, jn, li] = k13
            jnt[J_K22, jn, li] = k22
            jnt[J_K23, jn, li] = k23
            jnt[J_K33, jn, li] = k33
            # what b2Mat33::Solve33 and Solve22 compute from K alone (each velocity iteration calls them
            # with the same K): the cofactors ey x ez, then the inverses of both determinants
            cx = k22 * k33 - k23 * k23
            cy = k23 * k13 - k12 * k33
            cz = k12 * k23 - k22 * k13
            det = k11 * cx + k12 * cy + k13 * cz
            jnt[J_C1X, jn, li] = cx
            jnt[J_C1Y, jn, li] = cy
            jnt[J_C1Z, jn, li] = cz
            jnt[J_DET3, jn, li] = _ONE / det if det != _Z else _Z
            d2 = k11 * k22 - k12 * k12
            jnt[J_DET2, jn, li] = _ONE / d2 if d2 != _Z else _Z
            # limit states (the limits are far apart, never e_equalLimits); the limit impulse restarts
            # from 0 when the state changes
            angle = body[B_A, kb, li] - body[B_A, ka, li] - J_REFERENCE32[jn]
            if angle <= J_LOWER32[jn]:
                if jnt[J_LOW, jn, li] == _Z:
                    jnt[J_IZ, jn, li] = _Z
                jnt[J_LOW, jn, li] = _ONE
                jnt[J_UPP, jn, li] = _Z
            elif angle >= J_UPPER32[jn]:
                if jnt[J_UPP, jn, li] == _Z:
                    jnt[J_IZ, jn, li] = _Z
                jnt[J_LOW, jn, li] = _Z
                jnt[J_UPP, jn, li] = _ONE
            else:
                jnt[J_LOW, jn, li] = _Z
                jnt[J_UPP, jn, li] = _Z
                jnt[J_IZ, jn, li] = _Z
            pxx = jnt[J_IX, jn, li]
            pyy = jnt[J_IY, jn, li]
            mi = jnt[J_MI, jn, li]
            iz = jnt[J_IZ, jn, li]
            # b2Cross(r, P) + m_motorImpulse + m_impulse.z, summed in that order
            body[B_VX, ka, li] -= ma * pxx
            body[B_VY, ka, li] -= ma * pyy
            body[B_W, ka, li] -= ia * ((rax * pyy - ray * pxx + mi) + iz)
            body[B_VX, kb, li] += mb * pxx
            body[B_VY, kb, li] += mb * pyy
            body[B_W, kb, li] += ib * ((rbx * pyy - rby * pxx + mi) + iz)


@njit(cache=True, inline="always")
def _joints_velocity_rows(nl, b_vx, b_vy, b_w, j_c1x, j_c1y, j_c1z, j_det2, j_det3, j_ix, j_iy, j_iz, j_k11,
                          j_k12, j_k13, j_k22, j_k23, j_k33, j_low, j_maxi, j_mi, j_ms, j_rax, j_ray, j_rbx,
                          j_rby, j_upp, l_change, l_live_v):
    """One velocity iteration of the four revolute joints (``b2RevoluteJoint::SolveVelocityConstraints``:
    motor, then the limit with the point constraint as one 3x3 block, or the point constraint alone)."""
    for ji in range(NUM_JOINTS):
        jn = ISLAND_JOINT_ORDER_NB[ji]
        ka = JOINT_A_NB[jn]
        kb = JOINT_B_NB[jn]
        ma = INV_MASS32[ka]
        mb = INV_MASS32[kb]
        ia = INV_I32[ka]
        ib = INV_I32[kb]
        motor_mass = J_MOTOR_MASS32[jn]
        for li in range(nl):
            live = l_live_v[li] != _Z
            vax = b_vx[ka, li]
            vay = b_vy[ka, li]
            wa = b_w[ka, li]
            vbx = b_vx[kb, li]
            vby = b_vy[kb, li]
            wb = b_w[kb, li]
            # motor (torque mode: the impulse is clamped to dt * maxMotorTorque)
            old = j_mi[jn, li]
            max_impulse = j_maxi[jn, li]
            new = old - motor_mass * (wb - wa - j_ms[jn, li])
            new = min(max(new, -max_impulse), max_impulse)
            new = new if live else old
            j_mi[jn, li] = new
            impulse = new - old
            change = abs(impulse)
            wa -= ia * impulse
            wb += ib * impulse
            rax = j_rax[jn, li]
            ray = j_ray[jn, li]
            rbx = j_rbx[jn, li]
            rby = j_rby[jn, li]
            cd1x = vbx - wb * rby - vax + wa * ray
            cd1y = vby + wb * rbx - vay - wa * rax
            cd2 = wb - wa
            k11 = j_k11[jn, li]
            k12 = j_k12[jn, li]
            k13 = j_k13[jn, li]
            k22 = j_k22[jn, li]
            k23 = j_k23[jn, li]
            k33 = j_k33[jn, li]
            lower = j_low[jn, li] != _Z
            upper = j_upp[jn, li] != _Z
            # b2Mat33::Solve33(-Cdot), its parts that depend on K alone from _init_joints
            bx = -cd1x
            by = -cd1y
            bz = -cd2
            det = j_det3[jn, li]
            ix3 = det * (bx * j_c1x[jn, li] + by * j_c1y[jn, li] + bz * j_c1z[jn, li])
            cx = by * k33 - bz * k23
            cy = bz * k13 - bx * k33
            cz = bx * k23 - by * k13
            iy3 = det * (k11 * cx + k12 * cy + k13 * cz)
            cx = k22 * bz - k23 * by
            cy = k23 * bx - k12 * bz
            cz = k12 * by - k22 * bx
            iz3 = det * (k11 * cx + k12 * cy + k13 * cz)
            jz = j_iz[jn, li]
            new_z = jz + iz3
            # the limit would pull: solve the point constraint alone with the limit impulse removed
            # (b2Mat33::Solve22 of -Cdot1 + impulse.z * (K13, K23)); the same Solve22 without that term is
            # the point constraint of a joint at no limit
            at_limit = lower or upper
            clamp = (lower and new_z < _Z) or (upper and new_z > _Z)
            jz_term = jz if clamp else _Z
            rhsx = -cd1x + jz_term * k13
            rhsy = -cd1y + jz_term * k23
            d2 = j_det2[jn, li]
            rx = d2 * (k22 * rhsx - k12 * rhsy)
            ry = d2 * (k11 * rhsy - k12 * rhsx)
            use3 = at_limit and not clamp
            ix = ix3 if use3 else rx
            iy = iy3 if use3 else ry
            iz = iz3 if use3 else (-jz if clamp else _Z)
            ix = ix if live else _Z
            iy = iy if live else _Z
            iz = iz if live else _Z
            j_ix[jn, li] += ix
            j_iy[jn, li] += iy
            j_iz[jn, li] = jz + iz
            change = max(change, abs(ix), abs(iy), abs(iz))
            b_vx[ka, li] = vax - ma * ix
            b_vy[ka, li] = vay - ma * iy
            b_w[ka, li] = wa - ia * (rax * iy - ray * ix + iz)
            b_vx[kb, li] = vbx + mb * ix
            b_vy[kb, li] = vby + mb * iy
            b_w[kb, li] = wb + ib * (rbx * iy - rby * ix + iz)
            l_change[li] = max(l_change[li], change)


@njit(cache=True, inline="always")
def _contacts_velocity_rows(ngrp, span, l_live_v, l_change, b_vx, b_vy, b_w, c_blk, c_fr, c_k11, c_k12, c_k22,
                            c_m11, c_m12, c_m22, c_ni1, c_ni2, c_nm1, c_nm2, c_nx, c_ny, c_r1x, c_r1y, c_r2x,
                            c_r2y, c_ti1, c_ti2, c_tm1, c_tm2):
    """One velocity iteration of the contacts (``b2ContactSolver::SolveVelocityConstraints``, A static):
    friction of each point, then the normal impulse: one point alone, or two with the block solver."""
    for p in range(NUM_BODIES):
        k = ISLAND_BODY_ORDER_NB[p]
        mb = INV_MASS32[k]
        ib = INV_I32[k]
        for q in range(ngrp[p]):
            s = p * GROUP + q
            for li in range(span[s]):
                live = l_live_v[li] != _Z
                vx = b_vx[k, li]
                vy = b_vy[k, li]
                w = b_w[k, li]
                nx = c_nx[s, li]
                ny = c_ny[s, li]
                tx = ny
                ty = -nx
                friction = c_fr[s, li]
                r1x = c_r1x[s, li]
                r1y = c_r1y[s, li]
                r2x = c_r2x[s, li]
                r2y = c_r2y[s, li]
                n1 = c_ni1[s, li]
                n2 = c_ni2[s, li]
                # friction, point 1 then point 2 (an absent point has zero mass and zero friction bound)
                old = c_ti1[s, li]
                vt = (vx - w * r1y) * tx + (vy + w * r1x) * ty
                max_f = friction * n1
                new = min(max(old + c_tm1[s, li] * (-vt), -max_f), max_f)
                new = new if live else old
                c_ti1[s, li] = new
                lam = new - old
                change = abs(lam)
                pxx = lam * tx
                pyy = lam * ty
                vx += mb * pxx
                vy += mb * pyy
                w += ib * (r1x * pyy - r1y * pxx)
                old = c_ti2[s, li]
                vt = (vx - w * r2y) * tx + (vy + w * r2x) * ty
                max_f = friction * n2
                tm2 = c_tm2[s, li]
                new = min(max(old + tm2 * (-vt), -max_f), max_f)
                new = new if (live and tm2 != _Z) else old
                c_ti2[s, li] = new
                lam = new - old
                change = max(change, abs(lam))
                pxx = lam * tx
                pyy = lam * ty
                vx += mb * pxx
                vy += mb * pyy
                w += ib * (r2x * pyy - r2y * pxx)
                # normal: one point
                vn = (vx - w * r1y) * nx + (vy + w * r1x) * ny
                s1 = max(n1 - c_nm1[s, li] * vn, _Z)
                # normal: the two-point block solver (b2ContactSolver's four cases)
                vn1 = vn
                vn2 = (vx - w * r2y) * nx + (vy + w * r2x) * ny
                k11 = c_k11[s, li]
                k12 = c_k12[s, li]
                k22 = c_k22[s, li]
                bx = vn1 - (k11 * n1 + k12 * n2)
                by = vn2 - (k12 * n1 + k22 * n2)
                m11 = c_m11[s, li]
                m12 = c_m12[s, li]
                m22 = c_m22[s, li]
                x1a = -(m11 * bx + m12 * by)
                x2a = -(m12 * bx + m22 * by)
                case1 = x1a >= _Z and x2a >= _Z
                x1b = -c_nm1[s, li] * bx
                case2 = x1b >= _Z and k12 * x1b + by >= _Z
                x2c = -c_nm2[s, li] * by
                case3 = x2c >= _Z and k12 * x2c + bx >= _Z
                case4 = bx >= _Z and by >= _Z
                b1 = x1a if case1 else (x1b if case2 else _Z)
                b2 = x2a if case1 else (_Z if case2 else (x2c if case3 else _Z))
                solved = case1 or case2 or case3 or case4
                block = c_blk[s, li] != _Z
                new1 = (b1 if solved else n1) if block else s1
                new2 = (b2 if solved else n2) if block else n2
                new1 = new1 if live else n1
                new2 = new2 if live else n2
                d1 = new1 - n1
                d2 = new2 - n2
                c_ni1[s, li] = new1
                c_ni2[s, li] = new2
                change = max(change, abs(d1), abs(d2))
                p1x = d1 * nx
                p1y = d1 * ny
                p2x = d2 * nx
                p2y = d2 * ny
                b_vx[k, li] = vx + mb * (p1x + p2x)
                b_vy[k, li] = vy + mb * (p1y + p2y)
                b_w[k, li] = w + ib * ((r1x * p1y - r1y * p1x) + (r2x * p2y - r2y * p2x))  # b2Cross + b2Cross
                l_change[li] = max(l_change[li], change)


@njit(cache=True, inline="always")
def _contacts_position_rows(ngrp, span, baumgarte, l_live_p, l_min_sep, b_cx, b_cy, b_a, c_act, c_pt2,
                            c_faceb, c_lnx, c_lny, c_lpx, c_lpy, c_p1x, c_p1y, c_p2x, c_p2y, t_co, t_si):
    """One position iteration of the contacts (``b2ContactSolver::SolvePositionConstraints``, A static):
    each manifold point moves its body along the normal; the iteration's smallest separation is kept. The
    body's rotation is taken afresh for each point, since the previous point moved it
    (b2PositionSolverManifold)."""
    for p in range(NUM_BODIES):
        k = ISLAND_BODY_ORDER_NB[p]
        mb = INV_MASS32[k]
        ib = INV_I32[k]
        lcx = LOCAL_CENTER32[k, 0]
        lcy = LOCAL_CENTER32[k, 1]
        for q in range(ngrp[p]):
            s = p * GROUP + q
            for j in range(2):
                c_px = c_p1x if j == 0 else c_p2x
                c_py = c_p1y if j == 0 else c_p2y
                for li in range(span[s]):
                    si, co = _sincos32(b_a[k, li])
                    t_co[li] = co
                    t_si[li] = si
                for li in range(span[s]):
                    on = l_live_p[li] != _Z and c_act[s, li] != _Z and (j == 0 or c_pt2[s, li] != _Z)
                    co = t_co[li]
                    si = t_si[li]
                    cx = b_cx[k, li]
                    cy = b_cy[k, li]
                    face_b = c_faceb[s, li] != _Z
                    px, py, nx, ny, plx, ply = _world_face(cx, cy, co, si, face_b, c_lnx[s, li], c_lny[s, li],
                                                           c_lpx[s, li], c_lpy[s, li], lcx, lcy)
                    lx = c_px[s, li]
                    ly = c_py[s, li]
                    clx = lx if face_b else co * lx - si * ly + px
                    cly = ly if face_b else si * lx + co * ly + py
                    sep = ((clx - plx) * nx + (cly - ply) * ny - _RADIUS32) - _RADIUS32  # - radiusA - radiusB
                    nx = -nx if face_b else nx
                    ny = -ny if face_b else ny
                    rbx = clx - cx
                    rby = cly - cy
                    l_min_sep[li] = min(l_min_sep[li], sep) if on else l_min_sep[li]
                    cc = min(max(baumgarte * (sep + _SLOP32), -_MAX_LINEAR32), _Z)
                    rnb = rbx * ny - rby * nx
                    kk = mb + ib * rnb * rnb
                    impulse = -cc / kk if on else _Z
                    pxx = impulse * nx
                    pyy = impulse * ny
                    b_cx[k, li] = cx + mb * pxx
                    b_cy[k, li] = cy + mb * pyy
                    b_a[k, li] += ib * (rbx * pyy - rby * pxx)


@njit(cache=True, inline="always")
def _joints_position_rows(nl, b_a, b_cx, b_cy, j_low, j_upp, l_joints_ok, l_live_p):
    """One position iteration of the joints (``b2RevoluteJoint::SolvePositionConstraints``: the limit's
    angular correction, then the point constraint with a 2x2 solve); clears joints-ok where not solved."""
    for ji in range(NUM_JOINTS):
        jn = ISLAND_JOINT_ORDER_NB[ji]
        ka = JOINT_A_NB[jn]
        kb = JOINT_B_NB[jn]
        ma = INV_MASS32[ka]
        mb = INV_MASS32[kb]
        ia = INV_I32[ka]
        ib = INV_I32[kb]
        motor_mass = J_MOTOR_MASS32[jn]
        for li in range(nl):
            live = l_live_p[li] != _Z
            lower = j_low[jn, li] != _Z
            upper = j_upp[jn, li] != _Z
            angle = b_a[kb, li] - b_a[ka, li] - J_REFERENCE32[jn]
            c_low = angle - J_LOWER32[jn]
            c_up = angle - J_UPPER32[jn]
            err = -c_low if lower else (c_up if upper else _Z)
            cc = (min(max(c_low + _ANGULAR_SLOP32, -_MAX_ANGULAR32), _Z) if lower
                  else min(max(c_up - _ANGULAR_SLOP32, _Z), _MAX_ANGULAR32))
            impulse = -motor_mass * cc if (live and (lower or upper)) else _Z
            b_a[ka, li] -= ia * impulse
            b_a[kb, li] += ib * impulse
            # min of 0/1 flags, not a conditional store: LLVM's masked store here kept the loop scalar
            l_joints_ok[li] = min(l_joints_ok[li], _ONE if err <= _ANGULAR_SLOP32 else _Z)
        for li in range(nl):
            live = l_live_p[li] != _Z
            sa, ca = _sincos32(b_a[ka, li])
            sb, cb = _sincos32(b_a[kb, li])
            rax = ca * J_LOCAL_A32[jn, 0] - sa * J_LOCAL_A32[jn, 1]
            ray = sa * J_LOCAL_A32[jn, 0] + ca * J_LOCAL_A32[jn, 1]
            rbx = cb * J_LOCAL_B32[jn, 0] - sb * J_LOCAL_B32[jn, 1]
            rby = sb * J_LOCAL_B32[jn, 0] + cb * J_LOCAL_B32[jn, 1]
            cx = b_cx[kb, li] + rbx - b_cx[ka, li] - rax
            cy = b_cy[kb, li] + rby - b_cy[ka, li] - ray
            position_error = math.sqrt(cx * cx + cy * cy)
            k11 = ma + mb + ia * ray * ray + ib * rby * rby
            k12 = -ia * rax * ray - ib * rbx * rby
            k22 = ma + mb + ia * rax * rax + ib * rbx * rbx
            det = k11 * k22 - k12 * k12
            det = _ONE / det if det != _Z else _Z
            ix = -det * (k22 * cx - k12 * cy)
            iy = -det * (k11 * cy - k12 * cx)
            ix = ix if live else _Z
            iy = iy if live else _Z
            b_cx[ka, li] -= ma * ix
            b_cy[ka, li] -= ma * iy
            b_a[ka, li] -= ia * (rax * iy - ray * ix)
            b_cx[kb, li] += mb * ix
            b_cy[kb, li] += mb * iy
            b_a[kb, li] += ib * (rbx * iy - rby * ix)
            l_joints_ok[li] = min(l_joints_ok[li], _ONE if position_error <= _SLOP32 else _Z)


@njit_no_refcount(cache=True)
def _velocity_iterations(nl, body, jnt, con, ngrp, span, lane, vel_iters, vel_tol, with_joints):
    """``velocity_iterations`` x (joints, then contacts); with ``vel_tol`` > 0 a lane stops once no impulse
    changed by more than it (with 0 a lane stops only at an exact fixed point, where further iterations
    change nothing)."""
    _velocity_iterations_rows(nl, ngrp, span, vel_iters, F32(vel_tol), with_joints, body[B_VX], body[B_VY],
                              body[B_W], con[C_BLK], con[C_FR], con[C_K11], con[C_K12], con[C_K22],
                              con[C_M11], con[C_M12], con[C_M22], con[C_NI1], con[C_NI2], con[C_NM1],
                              con[C_NM2], con[C_NX], con[C_NY], con[C_R1X], con[C_R1Y], con[C_R2X],
                              con[C_R2Y], con[C_TI1], con[C_TI2], con[C_TM1], con[C_TM2], jnt[J_C1X],
                              jnt[J_C1Y], jnt[J_C1Z], jnt[J_DET2], jnt[J_DET3], jnt[J_IX], jnt[J_IY],
                              jnt[J_IZ], jnt[J_K11], jnt[J_K12], jnt[J_K13], jnt[J_K22],
                              jnt[J_K23], jnt[J_K33], jnt[J_LOW], jnt[J_MAXI], jnt[J_MI], jnt[J_MS],
                              jnt[J_RAX], jnt[J_RAY], jnt[J_RBX], jnt[J_RBY], jnt[J_UPP], lane[L_CHANGE],
                              lane[L_LIVE_V])


@njit_kernel(cache=True, error_model="numpy")
def _velocity_iterations_rows(nl, ngrp, span, vel_iters, tol, with_joints, b_vx, b_vy, b_w, c_blk, c_fr,
                              c_k11, c_k12, c_k22, c_m11, c_m12, c_m22, c_ni1, c_ni2, c_nm1, c_nm2, c_nx,
                              c_ny, c_r1x, c_r1y, c_r2x, c_r2y, c_ti1, c_ti2, c_tm1, c_tm2, j_c1x, j_c1y,
                              j_c1z, j_det2, j_det3, j_ix, j_iy, j_iz, j_k11, j_k12, j_k13, j_k22, j_k23,
                              j_k33, j_low, j_maxi, j_mi, j_ms, j_rax, j_ray, j_rbx, j_rby, j_upp, l_change,
                              l_live_v):
    """The kernel of ``_velocity_iterations``: one call per step, each field its own array (``njit_kernel``:
    no run-time overlap checks), the joint and contact iterations inlined."""
    for li in range(nl):
        l_live_v[li] = _ONE
    for _ in range(vel_iters):
        for li in range(nl):
            l_change[li] = _Z
        if with_joints:
            _joints_velocity_rows(nl, b_vx, b_vy, b_w, j_c1x, j_c1y, j_c1z, j_det2, j_det3, j_ix, j_iy, j_iz,
                                  j_k11, j_k12, j_k13, j_k22, j_k23, j_k33, j_low, j_maxi, j_mi, j_ms, j_rax,
                                  j_ray, j_rbx, j_rby, j_upp, l_change, l_live_v)
        _contacts_velocity_rows(ngrp, span, l_live_v, l_change, b_vx, b_vy, b_w, c_blk, c_fr, c_k11, c_k12,
                                c_k22, c_m11, c_m12, c_m22, c_ni1, c_ni2, c_nm1, c_nm2, c_nx, c_ny, c_r1x,
                                c_r1y, c_r2x, c_r2y, c_ti1, c_ti2, c_tm1, c_tm2)
        any_live = False
        for li in range(nl):
            if l_live_v[li] != _Z and l_change[li] <= tol:
                l_live_v[li] = _Z
            any_live = any_live or l_live_v[li] != _Z
        if not any_live:
            break


@njit_no_refcount(cache=True)
def _solve_lanes(nl, body, jnt, con, ngrp, span, lane, trig, force_x, vel_iters, pos_iters, vel_tol, spare):
    """``b2Island::Solve`` for ``nl`` walkers in lockstep: integrate velocities (gravity, the reset's push),
    initialise and warm start contacts and joints, the velocity iterations, integrate positions (Box2D's
    per-step translation and rotation clamps), the position iterations with each walker's early exit."""
    fx = _DT32 * (INV_MASS32[0] * F32(force_x))
    for k in range(NUM_BODIES):
        for li in range(nl):
            body[B_VY, k, li] += _DT32 * _GRAVITY32
    for li in range(nl):
        body[B_VX, 0, li] += fx
    _init_contacts(body, con, ngrp, span, trig)
    _warm_start_contacts(body, con, ngrp, span)
    _init_joints(nl, body, jnt, trig)
    _velocity_iterations(nl, body, jnt, con, ngrp, span, lane, vel_iters, vel_tol, True)
    _integrate_positions(nl, body, _DT32)
    _position_iterations(nl, body, jnt, con, ngrp, span, lane, trig, pos_iters, _BAUMGARTE32, _OK_SEP32, True,
                         spare)


@njit_no_refcount(cache=True)
def _integrate_positions(nl, body, h):
    for k in range(NUM_BODIES):
        for li in range(nl):
            _integrate_body(body, k, li, h)


@njit(cache=True, inline="always")
def _integrate_body(body, k, li, h):
    """Positions from velocities over ``h`` with Box2D's per-step clamps (2 m, pi/2), which scale the
    velocities too."""
    vx = body[B_VX, k, li]
    vy = body[B_VY, k, li]
    w = body[B_W, k, li]
    tx = h * vx
    ty = h * vy
    t2 = tx * tx + ty * ty
    if t2 > _MAX_TRANSLATION2_32:
        ratio = _MAX_TRANSLATION32 / math.sqrt(t2)
        vx *= ratio
        vy *= ratio
    rot = h * w
    if rot * rot > _MAX_ROTATION2_32:
        w *= _MAX_ROTATION32 / abs(rot)
    body[B_VX, k, li] = vx
    body[B_VY, k, li] = vy
    body[B_W, k, li] = w
    body[B_CX, k, li] += h * vx
    body[B_CY, k, li] += h * vy
    body[B_A, k, li] += h * w


@njit_no_refcount(cache=True)
def _position_iterations(nl, body, jnt, con, ngrp, span, lane, trig, pos_iters, baumgarte, ok_sep,
                         with_joints, spare):
    """``pos_iters`` x (contacts, then joints); a walker stops (keeps its values) after the first iteration
    whose smallest separation is >= ``ok_sep`` and whose joints are within the slops, as Box2D's island.
    Stopped walkers would still cost their lane (a vector computes all its lanes): most stop after one or a
    few iterations while about a quarter run all 60, so once the walkers still running fit in fewer vectors
    they move into ``spare`` (a second set of lanes, with the lane map), packed, and move back at the end.
    Each lane's arithmetic is the same wherever it runs: the results do not change."""
    for li in range(nl):
        lane[L_LIVE_P, li] = _ONE
    done = _position_pass(nl, body, jnt, con, ngrp, span, lane, trig, pos_iters, baumgarte, ok_sep,
                          with_joints)
    if done >= pos_iters:
        return
    (sbody, sjnt, scon, slane, _, sspan, strig, _), where = spare
    n = _compact_position_lanes(nl, body, jnt, con, lane, sbody, sjnt, scon, slane, ngrp, where, True)
    while done < pos_iters:
        for s in range(NUM_BODIES * GROUP):  # packed lanes: every slot on all of them
            sspan[s] = n
        done += _position_pass(n, sbody, sjnt, scon, ngrp, sspan, slane, strig, pos_iters - done, baumgarte,
                               ok_sep, with_joints)
        for j in range(n):  # the walkers that stopped (all of them at the end) go back to their lanes
            if where[j] >= 0 and (done >= pos_iters or slane[L_LIVE_P, j] == _Z):
                _copy_position_state(sbody, slane, j, body, lane, where[j])
        if done < pos_iters:
            n = _compact_position_lanes(n, sbody, sjnt, scon, slane, sbody, sjnt, scon, slane, ngrp, where,
                                        False)


@njit_no_refcount(cache=True)
def _position_pass(n, body, jnt, con, ngrp, span, lane, trig, iters, baumgarte, ok_sep, with_joints):
    """Up to ``iters`` position iterations on the first ``n`` lanes of one set of lanes (the kernel gets
    its rows), stopping early once the running walkers would fit in fewer vectors; returns how many ran
    (``iters`` once no walker runs)."""
    shrink = (n - VECTOR) // VECTOR * VECTOR if n >= 2 * VECTOR else -1
    return _position_iterations_rows(n, ngrp, span, iters, baumgarte, ok_sep, with_joints, shrink, body[B_A],
                                     body[B_CX], body[B_CY], con[C_ACT], con[C_FACEB], con[C_LNX], con[C_LNY],
                                     con[C_LPX], con[C_LPY], con[C_P1X], con[C_P1Y], con[C_P2X], con[C_P2Y],
                                     con[C_PT2], jnt[J_LOW], jnt[J_UPP], lane[L_JOINTS_OK], lane[L_LIVE_P],
                                     lane[L_MIN_SEP], trig[0], trig[1])


# the contact rows the position iterations read
POSITION_CONTACT_ROWS = np.array([C_ACT, C_PT2, C_FACEB, C_LNX, C_LNY, C_LPX, C_LPY, C_P1X, C_P1Y, C_P2X,
                                  C_P2Y])


@njit_no_refcount(cache=True)
def _copy_position_state(body, lane, li, body2, lane2, lj):
    """Lane ``li``'s rows that the position iterations write (poses, flags), to lane ``lj`` of the second
    set."""
    for k in range(NUM_BODIES):
        body2[B_CX, k, lj] = body[B_CX, k, li]
        body2[B_CY, k, lj] = body[B_CY, k, li]
        body2[B_A, k, lj] = body[B_A, k, li]
    lane2[L_LIVE_P, lj] = lane[L_LIVE_P, li]
    lane2[L_MIN_SEP, lj] = lane[L_MIN_SEP, li]
    lane2[L_JOINTS_OK, lj] = lane[L_JOINTS_OK, li]


@njit_no_refcount(cache=True)
def _copy_position_lane(body, jnt, con, lane, li, body2, jnt2, con2, lane2, lj, ngrp):
    """Lane ``li``'s rows that the position iterations read or write, to lane ``lj`` of the second set."""
    _copy_position_state(body, lane, li, body2, lane2, lj)
    for jn in range(NUM_JOINTS):
        jnt2[J_LOW, jn, lj] = jnt[J_LOW, jn, li]
        jnt2[J_UPP, jn, lj] = jnt[J_UPP, jn, li]
    for p in range(NUM_BODIES):
        for q in range(ngrp[p]):
            s = p * GROUP + q
            for r in POSITION_CONTACT_ROWS:
                con2[r, s, lj] = con[r, s, li]


@njit_no_refcount(cache=True)
def _compact_position_lanes(n, body, jnt, con, lane, body2, jnt2, con2, lane2, ngrp, where, first):
    """Move the live lanes of the first ``n`` to the front of the second set (which may be the same set:
    lanes only move forward), pad to a whole vector with stopped copies of the first, and update ``where``
    (each lane's lane in the solver's set, -1 for padding); returns the new lane count."""
    m = 0
    for li in range(n):
        if lane[L_LIVE_P, li] != _Z:
            if first or m != li:
                _copy_position_lane(body, jnt, con, lane, li, body2, jnt2, con2, lane2, m, ngrp)
            where[m] = li if first else where[li]
            m += 1
    n_new = (m + VECTOR - 1) // VECTOR * VECTOR
    for lj in range(m, n_new):
        _copy_position_lane(body2, jnt2, con2, lane2, 0, body2, jnt2, con2, lane2, lj, ngrp)
        lane2[L_LIVE_P, lj] = _Z
        where[lj] = -1
    return n_new


@njit_kernel(cache=True, error_model="numpy")
def _position_iterations_rows(nl, ngrp, span, pos_iters, baumgarte, ok_sep, with_joints, shrink, b_a,
                              b_cx, b_cy, c_act, c_faceb, c_lnx, c_lny, c_lpx, c_lpy, c_p1x, c_p1y, c_p2x,
                              c_p2y, c_pt2, j_low, j_upp, l_joints_ok, l_live_p, l_min_sep, t_co, t_si):
    """The kernel of ``_position_iterations``: each field its own array, the contact and joint iterations
    inlined. Runs up to ``pos_iters`` iterations on the lanes whose live flag is set; returns how many it
    ran, or ``pos_iters`` once no lane is live; stops early when ``shrink`` or fewer lanes are live."""
    for it in range(pos_iters):
        for li in range(nl):
            l_min_sep[li] = _Z
            l_joints_ok[li] = _ONE
        _contacts_position_rows(ngrp, span, baumgarte, l_live_p, l_min_sep, b_cx, b_cy, b_a, c_act, c_pt2,
                                c_faceb, c_lnx, c_lny, c_lpx, c_lpy, c_p1x, c_p1y, c_p2x, c_p2y, t_co, t_si)
        if with_joints:
            _joints_position_rows(nl, b_a, b_cx, b_cy, j_low, j_upp, l_joints_ok, l_live_p)
        live = 0
        for li in range(nl):
            if l_live_p[li] != _Z and l_min_sep[li] >= ok_sep and l_joints_ok[li] != _Z:
                l_live_p[li] = _Z
            live += 1 if l_live_p[li] != _Z else 0
        if live == 0:
            return pos_iters
        if live <= shrink:
            return it + 1
    return pos_iters


# ---------------------------------------------------------------------- one step of one walker


@njit_kernel(cache=True)
def _policy_forward(theta, obs, h1, h2, act):
    """The 24-40-40-4 tanh MLP in the reference's packing (``aiga.core.policy``)."""
    p = 0
    for j in range(40):
        h1[j] = 0.0
    for i in range(24):
        oi = obs[i]
        for j in range(40):
            h1[j] += oi * theta[p + i * 40 + j]
    p += 24 * 40
    for j in range(40):
        h1[j] = math.tanh(h1[j] + theta[p + j])
    p += 40
    for j in range(40):
        h2[j] = 0.0
    for i in range(40):
        hi = h1[i]
        for j in range(40):
            h2[j] += hi * theta[p + i * 40 + j]
    p += 40 * 40
    for j in range(40):
        h2[j] = math.tanh(h2[j] + theta[p + j])
    p += 40
    for j in range(4):
        act[j] = 0.0
    for i in range(40):
        hi = h2[i]
        for j in range(4):
            act[j] += hi * theta[p + i * 4 + j]
    p += 40 * 4
    for j in range(4):
        act[j] = math.tanh(act[j] + theta[p + j])


@njit_no_refcount(cache=True)
def _reset_walker(b, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, pos0, ang0):
    for k in range(NUM_BODIES):
        co = math.cos(ang0[k])
        si = math.sin(ang0[k])
        lx = BODY_LOCAL_CENTER_NB[k, 0]
        ly = BODY_LOCAL_CENTER_NB[k, 1]
        c[b, k, 0] = pos0[k, 0] + co * lx - si * ly
        c[b, k, 1] = pos0[k, 1] + si * lx + co * ly
        a[b, k] = ang0[k]
        v[b, k, 0] = 0.0
        v[b, k, 1] = 0.0
        w[b, k] = 0.0
    for jn in range(NUM_JOINTS):
        j_imp[b, jn, 0] = 0.0
        j_imp[b, jn, 1] = 0.0
        j_imp[b, jn, 2] = 0.0
        j_motor[b, jn] = 0.0
        j_limit[b, jn] = 0
    ncts[b] = 0
    for q in range(flags.shape[1]):
        flags[b, q] = 0.0
    prev_shaping[b] = np.nan


@njit_no_refcount(cache=True)
def _pack_bodies(li, b, c, a, v, w, body):
    for k in range(NUM_BODIES):
        body[B_CX, k, li] = c[b, k, 0]
        body[B_CY, k, li] = c[b, k, 1]
        body[B_A, k, li] = a[b, k]
        body[B_VX, k, li] = v[b, k, 0]
        body[B_VY, k, li] = v[b, k, 1]
        body[B_W, k, li] = w[b, k]


@njit_no_refcount(cache=True)
def _pack_contact(s, li, cts_b, timp_b, ci, con, warm):
    """Contact slot ``ci`` of a walker into solver slot ``s`` of lane ``li`` (impulses kept when ``warm``,
    else zero); ``_init_contacts`` derives the slot's other rows."""
    con[C_ACT, s, li] = 1.0
    con[C_FACEB, s, li] = cts_b[ci, _C_TYPE]
    con[C_LNX, s, li] = cts_b[ci, _C_LN]
    con[C_LNY, s, li] = cts_b[ci, _C_LN + 1]
    con[C_LPX, s, li] = cts_b[ci, _C_LP]
    con[C_LPY, s, li] = cts_b[ci, _C_LP + 1]
    con[C_P1X, s, li] = cts_b[ci, _C_P0]
    con[C_P1Y, s, li] = cts_b[ci, _C_P0 + 1]
    con[C_P2X, s, li] = cts_b[ci, _C_P1]
    con[C_P2Y, s, li] = cts_b[ci, _C_P1 + 1]
    con[C_PT2, s, li] = 1.0 if cts_b[ci, _C_NPTS] == 2.0 else 0.0
    con[C_NI1, s, li] = cts_b[ci, _C_NI0] if warm else 0.0
    con[C_NI2, s, li] = cts_b[ci, _C_NI1] if warm else 0.0
    con[C_TI1, s, li] = timp_b[ci, 0] if warm else 0.0
    con[C_TI2, s, li] = timp_b[ci, 1] if warm else 0.0


@njit_no_refcount(cache=True)
def _pack_lane(li, b, action, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, ws):
    """Walker ``b``'s state (bodies, joints with this step's motor settings, contacts grouped by body) into
    lane ``li`` of the lockstep solver."""
    body, jnt, con, lane, ngrp, span, trig, gcount = ws
    _pack_bodies(li, b, c, a, v, w, body)
    for jn in range(NUM_JOINTS):
        jnt[J_IX, jn, li] = j_imp[b, jn, 0]
        jnt[J_IY, jn, li] = j_imp[b, jn, 1]
        jnt[J_IZ, jn, li] = j_imp[b, jn, 2]
        jnt[J_MI, jn, li] = j_motor[b, jn]
        # the reference's torque mode: motorSpeed = speed * sign(a), maxMotorTorque = torque * clip(|a|, 0, 1)
        act = action[jn]
        sgn = 1.0 if act > 0.0 else (-1.0 if act < 0.0 else 0.0)
        jnt[J_MS, jn, li] = JOINT_SPEED_NB[jn] * sgn
        mag = min(abs(act), 1.0)
        jnt[J_MAXI, jn, li] = _DT32 * np.float32(MOTORS_TORQUE * mag)
        jnt[J_LOW, jn, li] = 1.0 if j_limit[b, jn] == 1 else 0.0
        jnt[J_UPP, jn, li] = 1.0 if j_limit[b, jn] == 2 else 0.0
    for p in range(NUM_BODIES):
        gcount[p, li] = 0
    for ci in range(ncts[b]):
        p = BODY_GROUP[int(cts[b, ci, _C_BODY])]
        _pack_contact(p * GROUP + gcount[p, li], li, cts[b], timp[b], ci, con, True)
        gcount[p, li] += 1


@njit_no_refcount(cache=True)
def _close_groups(nl, ws):
    """Group sizes = the most contacts any lane has on that body; the other lanes' extra slots inactive:
    their active flag and impulses zeroed. The rest of such a slot may hold an earlier contact's (finite)
    values: ``_init_contacts`` writes its masses, normal, arms and friction as zeros from the flag, and the
    kernels select the flag's zeros over whatever the old manifold computes, so the results are those of a
    slot zeroed whole (33 strided stores per slot and lane, ~3 % of a rollout). Each slot's span: up to its
    last lane that has the contact, in whole vectors; the lanes after it hold an inactive slot, which would
    change nothing, so every velocity-phase pass (``_init_contacts`` on) skips them and their derived rows
    stay stale: a new pass must loop to ``span[s]`` too (``_lane_order`` makes the spans short)."""
    body, jnt, con, lane, ngrp, span, trig, gcount = ws
    for p in range(NUM_BODIES):
        n = 0
        for li in range(nl):
            n = max(n, gcount[p, li])
        ngrp[p] = n
        for q in range(n):
            span[p * GROUP + q] = 0
        for li in range(nl):
            for q in range(gcount[p, li]):
                span[p * GROUP + q] = li + 1
            for q in range(gcount[p, li], n):
                s = p * GROUP + q
                con[C_ACT, s, li] = 0.0
                con[C_NI1, s, li] = 0.0
                con[C_NI2, s, li] = 0.0
                con[C_TI1, s, li] = 0.0
                con[C_TI2, s, li] = 0.0
        for q in range(n):
            s = p * GROUP + q
            span[s] = min((span[s] + VECTOR - 1) // VECTOR * VECTOR, nl)


@njit_no_refcount(cache=True)
def _lane_order(walkers, nl, cts, ncts, order, keys):
    """Which walker takes which lane of the lockstep solver: sorted by their contacts per body, the bodies
    that rarely touch the ground first (upper legs, hull, then lower legs), most contacts first. A contact
    slot costs every lane up to the last that uses it (``_close_groups``), so walkers with the same contacts
    should share vectors: with random walkers, 40 % fewer slot-lanes than in the order they run. The walkers
    are independent, so the order changes no result."""
    for li in range(nl):
        b = walkers[li]
        key = 0
        for r in range(NUM_BODIES):
            count = 0
            for ci in range(ncts[b]):
                count += 1 if int(cts[b, ci, _C_BODY]) == LANE_SORT_BODIES[r] else 0
            key = key * (MAX_CONTACTS + 1) + count
        keys[li] = key
        order[li] = b
        j = li  # insertion sort, stable, most contacts first
        while j > 0 and keys[j - 1] < key:
            keys[j] = keys[j - 1]
            order[j] = order[j - 1]
            j -= 1
        keys[j] = key
        order[j] = b


@njit_no_refcount(cache=True)
def _unpack_lane(li, b, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, ws):
    """Lane ``li`` back into walker ``b``'s rows (``b2ContactSolver::StoreImpulses`` for the contacts)."""
    body, jnt, con, lane, ngrp, span, trig, gcount = ws
    for k in range(NUM_BODIES):
        c[b, k, 0] = body[B_CX, k, li]
        c[b, k, 1] = body[B_CY, k, li]
        a[b, k] = body[B_A, k, li]
        v[b, k, 0] = body[B_VX, k, li]
        v[b, k, 1] = body[B_VY, k, li]
        w[b, k] = body[B_W, k, li]
    for jn in range(NUM_JOINTS):
        j_imp[b, jn, 0] = jnt[J_IX, jn, li]
        j_imp[b, jn, 1] = jnt[J_IY, jn, li]
        j_imp[b, jn, 2] = jnt[J_IZ, jn, li]
        j_motor[b, jn] = jnt[J_MI, jn, li]
        j_limit[b, jn] = 1 if jnt[J_LOW, jn, li] != 0.0 else (2 if jnt[J_UPP, jn, li] != 0.0 else 0)
    for p in range(NUM_BODIES):
        gcount[p, li] = 0
    for ci in range(ncts[b]):
        p = BODY_GROUP[int(cts[b, ci, _C_BODY])]
        s = p * GROUP + gcount[p, li]
        gcount[p, li] += 1
        cts[b, ci, _C_NI0] = con[C_NI1, s, li]
        cts[b, ci, _C_NI1] = con[C_NI2, s, li]
        timp[b, ci, 0] = con[C_TI1, s, li]
        timp[b, ci, 1] = con[C_TI2, s, li]


@njit_no_refcount(cache=True)
def _collide_step(b, c, a, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width,
                  new_cts, new_timp, scratch, ids, out, trees):
    """``b2ContactManager::Collide`` for walker ``b``, over its contacts newest first as Box2D's contact
    list: a contact whose fat AABBs no longer overlap is destroyed (``EndContact`` if it touched), the
    others get their manifold from the positions the last step left (``b2Contact::Update``: impulses carried
    over by feature key, ``BeginContact``/``EndContact`` when touching changes). The touching rows are kept
    newest first, the order the island solves them in."""
    _find_new_contacts(b, trees, faabb, cell_first, max_width)  # after a reset: the first Step's query
    box, node, meta, proxies, stack, rule, pairs, pmeta, fix_proxy = trees
    bb = box[b]
    pb = pairs[b]
    n_pairs = pmeta[b, PM_COUNT]
    cb = c[b]
    ab = a[b]
    old = cts[b]
    told = timp[b]
    n_old = ncts[b]
    n_new = 0
    for i in range(n_pairs - 1, -1, -1):
        k = pb[i, P_BODY]
        j = pb[i, P_FIX]
        was = _row_index(old, n_old, k, j) >= 0
        if not _fat_overlap(bb, fix_proxy[j], proxies[b, k]):
            pb[i, P_BODY] = -1  # destroyed below
            if was:
                _contact_event(b, flags, k, False)
            continue
        px, py, pc, ps = _body_transform(cb, ab, k)
        npts = _collide_pair(k, j, px, py, pc, ps, fkind, fnv, fverts, fnormals, out, scratch, ids)
        if npts > 0 and n_new < new_cts.shape[0]:
            for q in range(CONTACT_WIDTH):
                new_cts[n_new, q] = out[q]
            n_new += 1
        if (npts > 0) != was:
            _contact_event(b, flags, k, npts > 0)
    m = 0
    for i in range(n_pairs):
        if pb[i, P_BODY] >= 0:
            if m != i:
                for f in range(3):
                    pb[m, f] = pb[i, f]
            m += 1
    pmeta[b, PM_COUNT] = m
    _match_impulses(old, told, n_old, new_cts, new_timp, 0, n_new)
    for ci in range(n_new):
        for q in range(CONTACT_WIDTH):
            old[ci, q] = new_cts[ci, q]
        told[ci, 0] = new_timp[ci, 0]
        told[ci, 1] = new_timp[ci, 1]
    ncts[b] = n_new


@njit_no_refcount(cache=True)
def _observe(b, action, c, a, v, w, flags, prev_shaping, obs, fkind, fnv, fverts, fnormals, faabb, cell_first,
             max_width, fractions, trees):
    """The end of the reference's ``_step`` for walker ``b`` once its bodies are final: lidar, the 24-number
    observation ``obs[b]``, the reward, termination. Returns (reward, terminated, finished).

    ``flags[b]``: 0 ground contact of lower leg (-1), 1 of lower leg (+1), 2 game over (hull contact).
    """
    cb = c[b]
    ab = a[b]
    hx, hy, hc, hs = _body_transform(cb, ab, 0)
    _lidar_rule(b, hx, hy, trees, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions)
    ob = obs[b]
    vb = v[b]
    wb = w[b]
    angle = ab[0]
    ob[0] = angle
    ob[1] = 2.0 * wb[0] / FPS
    ob[2] = 0.3 * vb[0, 0] * (VIEWPORT_W / SCALE) / FPS
    ob[3] = 0.3 * vb[0, 1] * (VIEWPORT_H / SCALE) / FPS
    # joint.angle and joint.speed are Box2D's float32 differences (GetJointAngle, GetJointSpeed)
    ob[4] = F32(ab[1]) - F32(ab[0]) - J_REFERENCE32[0]
    ob[5] = np.float64(F32(wb[1]) - F32(wb[0])) / SPEED_HIP
    ob[6] = np.float64(F32(ab[2]) - F32(ab[1]) - J_REFERENCE32[1]) + 1.0
    ob[7] = np.float64(F32(wb[2]) - F32(wb[1])) / SPEED_KNEE
    ob[8] = flags[b, 0]
    ob[9] = F32(ab[3]) - F32(ab[0]) - J_REFERENCE32[2]
    ob[10] = np.float64(F32(wb[3]) - F32(wb[0])) / SPEED_HIP
    ob[11] = np.float64(F32(ab[4]) - F32(ab[3]) - J_REFERENCE32[3]) + 1.0
    ob[12] = np.float64(F32(wb[4]) - F32(wb[3])) / SPEED_KNEE
    ob[13] = flags[b, 1]
    for i in range(NUM_LIDAR):
        ob[14 + i] = fractions[i]
    shaping = 130.0 * hx / SCALE - 5.0 * abs(angle)
    reward = 0.0
    if not np.isnan(prev_shaping[b]):
        reward = shaping - prev_shaping[b]
    prev_shaping[b] = shaping
    for jn in range(NUM_JOINTS):
        mag = abs(action[jn])
        reward -= ACTION_COST * (1.0 if mag > 1.0 else mag)
    terminated = False
    finished = False
    if flags[b, 2] != 0.0 or hx < 0.0:
        reward = FALL_REWARD
        terminated = True
    if hx > END_X:
        terminated = True
        finished = True
    return reward, terminated, finished


@njit(cache=True)
def _alloc_scratch(lanes):
    """Per-thread scratch: collision buffers, the lockstep solver's arrays for ``lanes`` walkers and a
    one-lane set for the time-of-impact sub-steps, each lane's pose at the start of the step, the
    position iterations' spare lanes, and each lane's walker with its sort key (``_lane_order``)."""
    new_cts = np.zeros((MAX_CONTACTS, CONTACT_WIDTH))
    new_timp = np.zeros((MAX_CONTACTS, 2))
    scratch = np.zeros((22, 2))
    ids = np.zeros((6, 4), dtype=np.int64)
    out = np.zeros(CONTACT_WIDTH)
    fractions = np.zeros(NUM_LIDAR)
    toi_pair = (np.zeros(MAX_PAIRS, dtype=np.int64), np.zeros(MAX_PAIRS), np.zeros(MAX_PAIRS, dtype=np.int64),
                np.zeros(MAX_PAIRS, dtype=np.int64))  # per contact: TOI cached, its alpha, events, disabled
    gjk = (np.zeros(13, dtype=np.int64), np.zeros(1, dtype=np.float32), np.zeros((3, 7), dtype=np.float32),
           np.zeros((3, 2), dtype=np.int64))  # simplex cache and simplex
    toi = (np.zeros(NUM_BODIES), toi_pair, np.zeros((MAX_PAIRS, 2)), gjk)
    start = (np.zeros((lanes, NUM_BODIES, 2)), np.zeros((lanes, NUM_BODIES)))
    spare = (_new_lanes(lanes), np.zeros(lanes, dtype=np.int64))  # the position iterations' packed lanes
    order = (np.zeros(lanes, dtype=np.int64), np.zeros(lanes, dtype=np.int64))
    return (new_cts, new_timp, scratch, ids, out, fractions, toi, start, _new_lanes(lanes), _new_lanes(1),
            spare, order)


@njit_no_refcount(cache=True)
def _step_lanes(walkers, nl, actions, force_x, state, course, vel_iters, pos_iters, use_toi, vel_tol, rewards,
                terminated, finished, scr, trees):
    """One control step of walkers ``walkers[:nl]`` (at most the scratch's lane count): per walker the
    collision phase, then the lockstep ``b2Island::Solve`` of all of them, then per walker continuous
    collision, lidar, observation and reward. ``actions``, ``rewards``... are indexed by walker."""
    c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs = state
    fkind, fnv, fverts, fnormals, faabb, cell_first, max_width = course
    new_cts, new_timp, scratch, ids, out, fractions, toi, start, ws, ws1, spare, (order, keys) = scr
    c0s, a0s = start
    for li in range(nl):
        _collide_step(walkers[li], c, a, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, faabb,
                      cell_first, max_width, new_cts, new_timp, scratch, ids, out, trees)
    _lane_order(walkers, nl, cts, ncts, order, keys)
    for li in range(nl):
        b = order[li]
        for k in range(NUM_BODIES):
            c0s[li, k, 0] = c[b, k, 0]
            c0s[li, k, 1] = c[b, k, 1]
            a0s[li, k] = a[b, k]
        _pack_lane(li, b, actions[b], c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, ws)
    # pad a remainder of 3 or more walkers to a whole vector with copies of the last walker (computed,
    # never read back; the one with the fewest contacts): one vector pass costs about as much as two or
    # three scalar ones
    body, jnt, con, lane, ngrp, span, trig, gcount = ws
    n_pad = nl
    if nl % VECTOR >= 3:
        n_pad = min((nl + VECTOR - 1) // VECTOR * VECTOR, body.shape[2])
    for li in range(nl, n_pad):
        b = order[nl - 1]
        _pack_lane(li, b, actions[b], c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, ws)
    _close_groups(n_pad, ws)
    _solve_lanes(n_pad, body, jnt, con, ngrp, span, lane, trig, force_x, vel_iters, pos_iters, vel_tol,
                 spare)
    alpha0, toi_pair, sal, gjk = toi
    for li in range(nl):
        b = order[li]
        _unpack_lane(li, b, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, ws)
        _sync_tree(b, trees, c0s[li], a0s[li], c[b], a[b])
        _find_new_contacts(b, trees, faabb, cell_first, max_width)
        if use_toi:
            _solve_toi(b, c, a, v, w, c0s[li], a0s[li], alpha0, cts, timp, ncts, flags, fkind, fnv, fverts,
                       fnormals, faabb, cell_first, max_width, vel_iters, scratch, ids, out, new_cts,
                       new_timp, toi_pair, sal, gjk, vel_tol, ws1, spare, trees)
        r, t, f = _observe(b, actions[b], c, a, v, w, flags, prev_shaping, obs, fkind, fnv, fverts, fnormals,
                           faabb, cell_first, max_width, fractions, trees)
        rewards[b] = r
        terminated[b] = t
        finished[b] = f


@njit(cache=True)
def _alloc_state(batch):
    c = np.zeros((batch, NUM_BODIES, 2))
    a = np.zeros((batch, NUM_BODIES))
    v = np.zeros((batch, NUM_BODIES, 2))
    w = np.zeros((batch, NUM_BODIES))
    j_imp = np.zeros((batch, NUM_JOINTS, 3))
    j_motor = np.zeros((batch, NUM_JOINTS))
    j_limit = np.zeros((batch, NUM_JOINTS), dtype=np.int64)
    cts = np.zeros((batch, MAX_CONTACTS, CONTACT_WIDTH))
    timp = np.zeros((batch, MAX_CONTACTS, 2))
    ncts = np.zeros(batch, dtype=np.int64)
    flags = np.zeros((batch, 3))
    prev_shaping = np.zeros(batch)
    obs = np.zeros((batch, OBS_SIZE))
    return c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs


@njit(cache=True)
def _rollout_group(b0, nb, lanes, thetas, max_steps, push, pos0, ang0, course, vel_iters, pos_iters, use_toi,
                   vel_tol, returns, lengths, finished_out, tree0):
    """Whole episodes of walkers ``b0 .. b0 + nb - 1``, ``lanes`` of them in lockstep at a time: first every
    walker's reset step, then per step the policy of every running walker and one ``_step_lanes``; when an
    episode ends its lane takes the next waiting walker, so the lanes stay full until the queue drains (the
    walkers are independent: the order in which they run changes nothing)."""
    state = _alloc_state(nb)
    scr = _alloc_scratch((lanes + VECTOR - 1) // VECTOR * VECTOR)
    c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs = state
    trees = _alloc_trees(nb, tree0)
    for i in range(nb):
        _reset_walker(i, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, pos0,
                      ang0)
        _reset_tree(i, trees, tree0, pos0, ang0)
    actions = np.zeros((nb, 4))
    rewards = np.zeros(nb)
    term = np.zeros(nb, dtype=np.bool_)
    fin = np.zeros(nb, dtype=np.bool_)
    walkers = np.arange(nb)
    for s0 in range(0, nb, lanes):
        _step_lanes(walkers[s0:], min(lanes, nb - s0), actions, push, state, course, vel_iters, pos_iters,
                    use_toi, vel_tol, rewards, term, fin, scr, trees)
    h1 = np.zeros(40)
    h2 = np.zeros(40)
    for i in range(nb):
        returns[b0 + i] = 0.0
        lengths[b0 + i] = 0
        finished_out[b0 + i] = False
    running = np.zeros(lanes, dtype=np.int64)
    n = 0
    waiting = 0
    while True:
        while n < lanes and waiting < nb:  # fill the free lanes
            running[n] = waiting
            n += 1
            waiting += 1
        if n == 0:
            break
        for q in range(n):
            i = running[q]
            _policy_forward(thetas[b0 + i], obs[i], h1, h2, actions[i])
        _step_lanes(running, n, actions, 0.0, state, course, vel_iters, pos_iters, use_toi, vel_tol, rewards,
                    term, fin, scr, trees)
        m = 0
        for q in range(n):
            i = running[q]
            returns[b0 + i] += rewards[i]
            lengths[b0 + i] += 1
            if term[i]:
                finished_out[b0 + i] = fin[i]
            elif lengths[b0 + i] < max_steps:
                running[m] = i
                m += 1
        n = m


@njit(cache=True)
def _rollout_serial(thetas, max_steps, push, pos0, ang0, course, vel_iters, pos_iters, use_toi, vel_tol,
                    lanes, returns, lengths, finished, tree0):
    batch = thetas.shape[0]
    _rollout_group(0, batch, min(lanes, batch), thetas, max_steps, push, pos0, ang0, course, vel_iters,
                   pos_iters, use_toi, vel_tol, returns, lengths, finished, tree0)


@njit(cache=True, parallel=True)
def _rollout_parallel(thetas, max_steps, push, pos0, ang0, course, vel_iters, pos_iters, use_toi, vel_tol,
                      lanes, returns, lengths, finished, tree0, threads):
    """One group of walkers per thread, each run as ``_rollout_serial`` runs all of them."""
    batch = thetas.shape[0]
    groups = max(1, min(threads, batch))
    size = (batch + groups - 1) // groups
    for g in prange(groups):
        b0 = g * size
        nb = min(size, batch - b0)
        if nb > 0:
            _rollout_group(b0, nb, min(lanes, nb), thetas, max_steps, push, pos0, ang0, course, vel_iters,
                           pos_iters, use_toi, vel_tol, returns, lengths, finished, tree0)


@njit(cache=True)
def _step_batch(actions, force_x, active, state, course, vel_iters, pos_iters, use_toi, vel_tol, rewards,
                terminated, finished, scr, walkers, trees):
    """One step of the active walkers of a batch, ``LANES`` at a time (``FastWalkerBatch``)."""
    lanes = scr[8][0].shape[2]
    n = 0
    for b in range(actions.shape[0]):
        if active[b]:
            walkers[n] = b
            n += 1
    for s0 in range(0, n, lanes):
        _step_lanes(walkers[s0:], min(lanes, n - s0), actions, force_x, state, course, vel_iters, pos_iters,
                    use_toi, vel_tol, rewards, terminated, finished, scr, trees)


@njit(cache=True)
def _probe(pos, ang, course, contacts_out, fractions_out):
    """Geometry from a pose: the touching (body, sorted fixture, points) triples and the lidar fractions."""
    fkind, fnv, fverts, fnormals, faabb, cell_first, max_width = course
    new_cts, new_timp, scratch, ids, out, fractions = _alloc_scratch(1)[:6]
    c = np.zeros((NUM_BODIES, 2))
    for k in range(NUM_BODIES):
        co = math.cos(ang[k])
        si = math.sin(ang[k])
        c[k, 0] = pos[k, 0] + co * BODY_LOCAL_CENTER_NB[k, 0] - si * BODY_LOCAL_CENTER_NB[k, 1]
        c[k, 1] = pos[k, 1] + si * BODY_LOCAL_CENTER_NB[k, 0] + co * BODY_LOCAL_CENTER_NB[k, 1]
    n = _collide_walker(c, ang, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, new_cts, scratch,
                        ids, out)
    for i in range(n):
        contacts_out[i, 0] = new_cts[i, _C_BODY]
        contacts_out[i, 1] = new_cts[i, _C_FIX]
        contacts_out[i, 2] = new_cts[i, _C_NPTS]
    _lidar(pos[0, 0], pos[0, 1], fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions_out)
    return n


# ---------------------------------------------------------------------- Python face


def _check_iterations(velocity_iterations: int, position_iterations: int) -> tuple[int, int]:
    from aiga.core.config import AigaError

    vi, pi = int(velocity_iterations), int(position_iterations)
    if vi < 1 or pi < 0:
        raise AigaError(f"solver iterations must be velocity >= 1 and position >= 0, got {vi} and {pi}")
    return vi, pi


class FastWalkerBatch:
    """B walkers on one course stepped in lockstep (for tests and scripted actions).

    ``reset()`` returns (B, 24) observations after the reference's zero-action step (the course's push
    acts in it); ``step(actions (B, 4))`` returns ``(obs, rewards, terminated, truncated)``; walkers that
    ended are not stepped again (their rows keep their last values). ``state()`` exposes the arrays.
    """

    def __init__(self, course, batch: int = 1, max_steps: int = 2000,
                 velocity_iterations: int = VELOCITY_ITERATIONS,
                 position_iterations: int = POSITION_ITERATIONS, toi: bool = True,
                 velocity_tolerance: float = 0.0, lidar: str = "first") -> None:
        from aiga.envs.walker.terrain import Course, generate_course

        course = course if isinstance(course, Course) else generate_course(course)
        self.course = course
        self.arrays = CourseArrays(course)
        self.toi = bool(toi)
        self.vel_tol = float(velocity_tolerance)
        self.batch = int(batch)
        self.max_steps = int(max_steps)
        self.vel_iters, self.pos_iters = _check_iterations(velocity_iterations, position_iterations)
        self._state = _alloc_state(self.batch)
        self._scratch = _alloc_scratch(LANES)
        self._walkers = np.zeros(self.batch, dtype=np.int64)
        self._tree0 = _tree0(self.arrays, lidar)
        self._trees = _alloc_trees(self.batch, self._tree0)
        self.steps = np.zeros(self.batch, dtype=np.int64)
        self.active = np.zeros(self.batch, dtype=np.bool_)
        self.finished = np.zeros(self.batch, dtype=np.bool_)

    @property
    def obs(self) -> np.ndarray:
        return self._state[12]

    def state(self) -> dict[str, np.ndarray]:
        names = ("c", "a", "v", "w", "j_imp", "j_motor", "j_limit", "cts", "timp", "ncts", "flags",
                 "prev_shaping", "obs")
        return dict(zip(names, self._state, strict=True))

    def hull_position(self) -> np.ndarray:
        """Body origins (B, 5, 2) (``body.position`` in Box2D) from the centres of mass."""
        c, a = self._state[0], self._state[1]
        lc = BODY_LOCAL_CENTER
        co, si = np.cos(a), np.sin(a)
        ox = c[..., 0] - (co * lc[:, 0] - si * lc[:, 1])
        oy = c[..., 1] - (si * lc[:, 0] + co * lc[:, 1])
        return np.stack([ox, oy], axis=-1)

    def reset(self) -> np.ndarray:
        pos0, ang0 = initial_pose()
        st = self._state
        for b in range(self.batch):
            _reset_walker(b, *st[:12], pos0, ang0)
            _reset_tree(b, self._trees, self._tree0, pos0, ang0)
        self.active[:] = True
        rewards = np.zeros(self.batch)
        term = np.zeros(self.batch, dtype=np.bool_)
        fin = np.zeros(self.batch, dtype=np.bool_)
        _step_batch(np.zeros((self.batch, 4)), self.arrays.push, self.active, st, self.arrays.args(),
                    self.vel_iters, self.pos_iters, self.toi, self.vel_tol, rewards, term, fin, self._scratch,
                    self._walkers, self._trees)
        self.steps[:] = 0
        self.finished[:] = False
        return self.obs.copy()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        actions = np.ascontiguousarray(actions, dtype=np.float64).reshape(self.batch, 4)
        rewards = np.zeros(self.batch)
        term = np.zeros(self.batch, dtype=np.bool_)
        fin = np.zeros(self.batch, dtype=np.bool_)
        was_active = self.active.copy()
        _step_batch(actions, 0.0, was_active, self._state, self.arrays.args(), self.vel_iters, self.pos_iters,
                    self.toi, self.vel_tol, rewards, term, fin, self._scratch, self._walkers, self._trees)
        self.steps[was_active] += 1
        trunc = was_active & ~term & (self.steps >= self.max_steps)
        self.finished |= fin & was_active
        self.active &= ~(term | trunc)
        return self.obs.copy(), rewards, term & was_active, trunc


class FastWalkerSim:
    """One walker in the compiled simulator behind ``box2d_env.WalkerCourseSim``'s interface for drawing
    (``reset``, ``step``, ``hull_position``, ``finished``, ``body_polygons``, ``lidar_points``), so that an
    episode can be rendered as the simulator a run trained in saw it."""

    def __init__(self, course, max_steps: int = 2000) -> None:
        self._batch = FastWalkerBatch(course, batch=1, max_steps=max_steps)
        self.course = self._batch.course
        self.finished = False

    def reset(self) -> np.ndarray:
        self.finished = False
        return self._batch.reset()[0]

    def step(self, action) -> tuple[np.ndarray, float, bool, bool]:
        obs, reward, term, trunc = self._batch.step(np.asarray(action, dtype=np.float64)[None, :])
        self.finished = bool(self._batch.finished[0])
        return obs[0], float(reward[0]), bool(term[0]), bool(trunc[0])

    def _origins(self) -> np.ndarray:
        return self._batch.hull_position()[0]

    @property
    def hull_position(self) -> tuple[float, float]:
        x, y = self._origins()[0]
        return (float(x), float(y))

    def body_polygons(self) -> list[tuple[list[tuple[float, float]], tuple[float, float, float]]]:
        """The walker's bodies (legs, then hull: the reference's draw order) as world polygons."""
        from aiga.envs.walker.box2d_env import HULL_COLOUR, LEG_COLOURS

        origins, angles = self._origins(), self._batch.state()["a"][0]
        colours = {0: HULL_COLOUR, 1: LEG_COLOURS[-1], 2: LEG_COLOURS[-1], 3: LEG_COLOURS[+1],
                   4: LEG_COLOURS[+1]}
        out = []
        for k in (1, 2, 3, 4, 0):
            co, si = math.cos(angles[k]), math.sin(angles[k])
            ox, oy = origins[k]
            pts = [(float(ox + co * x - si * y), float(oy + si * x + co * y))
                   for x, y in BODY_VERTS[k, :BODY_NV[k]]]
            out.append((pts, colours[k]))
        return out

    def lidar_points(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """Each ray's start (hull) and end: the hit point, or the ray's full length (the observation's
        lidar fractions along the rays)."""
        x, y = self.hull_position
        fractions = self._batch.obs[0, OBS_SIZE - NUM_LIDAR:]
        return [((x, y), (x + float(f) * LIDAR_DX[i], y - float(f) * LIDAR_DY[i]))
                for i, f in enumerate(fractions)]


def compiled_in_cache() -> bool:
    """Whether numba's on-disk cache holds the compiled rollout for this source file: then a process
    loads it in about a second; otherwise its first rollout compiles the simulator (about two minutes on
    one core)."""
    try:
        return bool(_rollout_serial._cache._cache_file._load_index())
    except Exception:  # numba's private cache layout: any change reads as "not cached"
        return False


def warm_up() -> None:
    """Compile (or load from the cache) the rollout in this process, with a two-step episode."""
    from aiga.envs.walker.terrain import CourseParams, generate_course

    rollout_batch(CourseArrays(generate_course(CourseParams())), np.zeros((1, POLICY_SIZE)), 2)


def probe_geometry(course_arrays: CourseArrays, pos: np.ndarray, ang: np.ndarray):
    """Touching pairs [(body, Box2D fixture creation index, manifold points)] and lidar fractions (10,)
    for walker bodies at origins ``pos`` (5, 2) and angles ``ang`` (5,) (body order: hull, upper -1,
    lower -1, upper +1, lower +1)."""
    contacts = np.zeros((MAX_CONTACTS, 3))
    fractions = np.zeros(NUM_LIDAR)
    n = _probe(np.ascontiguousarray(pos, dtype=np.float64), np.ascontiguousarray(ang, dtype=np.float64),
               course_arrays.args(), contacts, fractions)
    pairs = sorted((int(contacts[i, 0]), int(course_arrays.ids[int(contacts[i, 1])]), int(contacts[i, 2]))
                   for i in range(n))
    return pairs, fractions


def rollout_batch(course_arrays: CourseArrays, thetas: np.ndarray, max_steps: int,
                  velocity_iterations: int = VELOCITY_ITERATIONS,
                  position_iterations: int = POSITION_ITERATIONS,
                  parallel: bool = False, toi: bool = True, velocity_tolerance: float = 0.0,
                  lanes: int = LANES, lidar: str = "first") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole episodes of policies ``thetas`` (B, 2804): returns (B,), lengths (B,), finished (B,).

    The walkers run in lockstep chunks of ``lanes`` (the solver's vector loops run over a chunk);
    ``parallel`` spreads the chunks over numba's threads. Results do not depend on either. ``lidar``:
    "first" (the reference's rule: each ray reports the first ground fixture Box2D's broad-phase tree
    reports, ``fast_tree``) or "nearest" (the nearest ground fixture, gym v3's rule).
    """
    from aiga.core.config import AigaError

    thetas = np.ascontiguousarray(thetas, dtype=np.float64)
    if thetas.ndim != 2 or thetas.shape[1] != POLICY_SIZE:
        raise AigaError(f"thetas must have shape (B, {POLICY_SIZE}), got {thetas.shape}")
    if int(lanes) < 1:
        raise AigaError(f"lanes must be >= 1, got {lanes}")
    batch = thetas.shape[0]
    vi, pi = _check_iterations(velocity_iterations, position_iterations)
    returns = np.zeros(batch)
    lengths = np.zeros(batch, dtype=np.int64)
    finished = np.zeros(batch, dtype=np.bool_)
    if batch == 0:
        return returns, lengths, finished
    pos0, ang0 = initial_pose()
    args = (thetas, int(max_steps), course_arrays.push, pos0, ang0, course_arrays.args(), vi, pi, bool(toi),
            float(velocity_tolerance), int(lanes), returns, lengths, finished, _tree0(course_arrays, lidar))
    if parallel:
        _rollout_parallel(*args, get_num_threads())
    else:
        _rollout_serial(*args)
    return returns, lengths, finished
