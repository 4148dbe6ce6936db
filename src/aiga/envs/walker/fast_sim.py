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
  exclude self-contact): ground edges through ``b2EPCollider`` (edges without neighbour vertices, as the
  reference builds one body per edge), obstacle boxes through ``b2CollidePolygons``; feature ids and
  warm-started normal and friction impulses carried between steps as ``b2Contact::Update`` does;
* ``b2Island::Solve`` in Box2D's order: integrate velocities, initialise contacts, warm start, joints'
  initialisation, ``velocity_iterations`` x (joints, then contacts, two-point contacts with the block
  solver), integrate positions (with Box2D's translation/rotation clamps), ``position_iterations`` x
  (contacts, then joints) with the same early exit;
* contact events at the start of each step as ``b2ContactManager::Collide`` (touching is decided from the
  positions the previous step left), giving the reference's ``ground_contact`` flags and ``game_over``;
* continuous collision as ``b2World::SolveTOI``: ``b2TimeOfImpact`` (conservative advancement on separating
  axes, secant/bisection root finder, same target and tolerance) of each walker body against the course,
  the earliest impact first; the body goes back to it, its contacts are updated (events included), 20
  TOI position iterations and the velocity iterations run on it alone, and it moves on for the rest of
  the step (joints are not part of these sub-steps, as in Box2D). It matters: the reference's reset drops
  the legs onto the ground through the joints' position correction, and every fast footfall is one;
* ten lidar rays (``b2EdgeShape::RayCast``, ``b2PolygonShape::RayCast``), the 24-number observation, the
  reward, the termination and the episode cap of ``box2d_env.WalkerCourseSim._step``.

Only the course fixtures whose x range overlaps a body's box (contacts, impacts) or a ray's x range
(lidar) are tested: the fixtures are sorted by their left end and a per-terrain-step table gives the first
candidate.

Differences from Box2D (docs/walker.md lists them with their effect): float64 instead of float32 (the
course geometry and the walker's shapes are rounded to float32 first, so shapes are Box2D's); the closest
features that seed ``b2TimeOfImpact`` come from enumerating vertex-edge pairs, not from GJK's simplex (they
differ only on ties, e.g. a foot parallel to the ground); each lidar ray reports the nearest ground
fixture (the reference's callback stops at the first fixture Box2D's broad-phase tree reports, which is
the nearest except where a ray crosses two fixtures); the contacts inside the solver are ordered by body
(Box2D's island order) and then by fixture position from the right, approximating Box2D's
contact-creation order; no sleeping (the motors are set every step, which keeps Box2D's bodies awake).

Layout, for a later GPU port: every walker's state lives in plain float64/int64 arrays whose first axis
is the walker; ``_step_walker`` advances walker ``b`` reading and writing only row ``b``; the update
order is fixed. ``rollout_batch`` runs whole episodes, one walker per ``prange`` iteration, with the
24-40-40-4 tanh policy (``aiga.core.policy`` packing) evaluated inside the loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aiga.envs.walker.constants import (
    FPS,
    HULL_POLY,
    LEG_DOWN,
    LEG_H,
    LEG_W,
    LIDAR_RANGE,
    MOTORS_TORQUE,
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

# ---------------------------------------------------------------------- Box2D 2.3 settings (b2Settings.h)
LINEAR_SLOP = 0.005
ANGULAR_SLOP = 2.0 / 180.0 * math.pi
POLYGON_RADIUS = 2.0 * LINEAR_SLOP
MAX_LINEAR_CORRECTION = 0.2
MAX_ANGULAR_CORRECTION = 8.0 / 180.0 * math.pi
BAUMGARTE = 0.2
MAX_TRANSLATION = 2.0
MAX_ROTATION = 0.5 * math.pi
VELOCITY_THRESHOLD = 1.0
MAX_CONDITION = 1000.0
GRAVITY_Y = -10.0
DT = 1.0 / FPS
MAX_FLOAT = 3.4028234663852886e38

NUM_BODIES = 5  # 0 hull, 1 upper leg (-1), 2 lower leg (-1), 3 upper leg (+1), 4 lower leg (+1)
NUM_JOINTS = 4  # 0 hip (-1), 1 knee (-1), 2 hip (+1), 3 knee (+1): the reference's joint order
MAX_CONTACTS = 24  # contact slots per walker (touching pairs); 5 bodies rarely touch more than ~8 fixtures
CONTACT_WIDTH = 16  # floats per contact slot, see _C_* below
NUM_LIDAR = 10
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
    for i in range(m):
        e = verts[(i + 1) % m] - verts[i]
        normals[i] = (e[1], -e[0])
        normals[i] /= math.hypot(e[0], e[1])
    return verts, normals


def b2_box(hx: float, hy: float) -> tuple[np.ndarray, np.ndarray]:
    """``b2PolygonShape::SetAsBox``: vertices (-hx,-hy), (hx,-hy), (hx,hy), (-hx,hy)."""
    hx, hy = _f32(hx), _f32(hy)
    verts = np.array([(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)], dtype=np.float64)
    normals = np.array([(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)])
    return verts, normals


def polygon_mass(verts: np.ndarray, density: float) -> tuple[float, np.ndarray, float]:
    """``b2PolygonShape::ComputeMass`` (2.3): mass, centroid, rotational inertia about the centroid."""
    n = len(verts)
    s = verts.mean(axis=0)
    area = 0.0
    center = np.zeros(2)
    inertia = 0.0
    for i in range(n):
        e1 = verts[i] - s
        e2 = verts[(i + 1) % n] - s
        d = e1[0] * e2[1] - e1[1] * e2[0]
        tri = 0.5 * d
        area += tri
        center += tri / 3.0 * (e1 + e2)
        intx2 = e1[0] * e1[0] + e2[0] * e1[0] + e2[0] * e2[0]
        inty2 = e1[1] * e1[1] + e2[1] * e1[1] + e2[1] * e2[1]
        inertia += (0.25 / 3.0 * d) * (intx2 + inty2)
    mass = density * area
    center = center / area
    # inertia about the reference point s -> about the centroid
    i_center = density * inertia - mass * float(center @ center)
    return mass, center + s, i_center


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
        inv_mass[k] = 1.0 / m
        inv_i[k] = 1.0 / i_c
    friction = np.array([0.1, 0.2, 0.2, 0.2, 0.2])  # hull 0.1; legs keep fixtureDef's default 0.2
    return nv, verts, normals, local_center, inv_mass, inv_i, mass, friction


BODY_NV, BODY_VERTS, BODY_NORMALS, BODY_LOCAL_CENTER, BODY_INV_MASS, BODY_INV_I, BODY_MASS, BODY_FRICTION = (
    _walker_tables())

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


@njit(cache=True)
def _clip_segment(v_in, id_in, nx, ny, offset, vertex_index_a, v_out, id_out):
    """``b2ClipSegmentToLine``; ids as (indexA, indexB, typeA, typeB) int rows. Returns the point count."""
    num = 0
    d0 = nx * v_in[0, 0] + ny * v_in[0, 1] - offset
    d1 = nx * v_in[1, 0] + ny * v_in[1, 1] - offset
    if d0 <= 0.0:
        v_out[num, 0] = v_in[0, 0]
        v_out[num, 1] = v_in[0, 1]
        for q in range(4):
            id_out[num, q] = id_in[0, q]
        num += 1
    if d1 <= 0.0:
        v_out[num, 0] = v_in[1, 0]
        v_out[num, 1] = v_in[1, 1]
        for q in range(4):
            id_out[num, q] = id_in[1, q]
        num += 1
    if d0 * d1 < 0.0:
        interp = d0 / (d0 - d1)
        v_out[num, 0] = v_in[0, 0] + interp * (v_in[1, 0] - v_in[0, 0])
        v_out[num, 1] = v_in[0, 1] + interp * (v_in[1, 1] - v_in[0, 1])
        id_out[num, 0] = vertex_index_a
        id_out[num, 1] = id_in[0, 1]
        id_out[num, 2] = 0  # e_vertex
        id_out[num, 3] = 1  # e_face
        num += 1
    return num


@njit(cache=True)
def _collide_edge_polygon(ex1, ey1, ex2, ey2, pv, pn, npv, lcx, lcy, px, py, pc, ps, out, scratch, ids):
    """``b2EPCollider::Collide`` for an edge without neighbour vertices (A, static at the origin) and the
    polygon B (local vertices ``pv``/normals ``pn``, centroid (lcx, lcy), transform (px, py, angle cos pc,
    sin ps)). Writes the manifold into ``out`` (see the slot layout) and returns its point count."""
    radius = 2.0 * POLYGON_RADIUS
    out[_C_NPTS] = 0.0
    # polygon B in frame A (the world)
    for i in range(npv):
        scratch[i, 0] = pc * pv[i, 0] - ps * pv[i, 1] + px
        scratch[i, 1] = ps * pv[i, 0] + pc * pv[i, 1] + py
        scratch[8 + i, 0] = pc * pn[i, 0] - ps * pn[i, 1]
        scratch[8 + i, 1] = ps * pn[i, 0] + pc * pn[i, 1]
    cbx = pc * lcx - ps * lcy + px
    cby = ps * lcx + pc * lcy + py
    dx = ex2 - ex1
    dy = ey2 - ey1
    ln = math.sqrt(dx * dx + dy * dy)
    if ln < 1e-300:
        return 0
    e1x = dx / ln
    e1y = dy / ln
    n1x = e1y
    n1y = -e1x
    offset1 = n1x * (cbx - ex1) + n1y * (cby - ey1)
    front = offset1 >= 0.0
    if front:
        nx, ny = n1x, n1y
        lowx, lowy = -n1x, -n1y
        upx, upy = -n1x, -n1y
    else:
        nx, ny = -n1x, -n1y
        lowx, lowy = n1x, n1y
        upx, upy = n1x, n1y
    # edge separation
    edge_sep = MAX_FLOAT
    for i in range(npv):
        s = nx * (scratch[i, 0] - ex1) + ny * (scratch[i, 1] - ey1)
        if s < edge_sep:
            edge_sep = s
    if edge_sep > radius:
        return 0
    # polygon separation
    poly_type = 0  # 0 unknown, 2 edgeB
    poly_index = -1
    poly_sep = -MAX_FLOAT
    perpx = -ny
    perpy = nx
    for i in range(npv):
        qx = -scratch[8 + i, 0]
        qy = -scratch[8 + i, 1]
        s1 = qx * (scratch[i, 0] - ex1) + qy * (scratch[i, 1] - ey1)
        s2 = qx * (scratch[i, 0] - ex2) + qy * (scratch[i, 1] - ey2)
        s = s1 if s1 < s2 else s2
        if s > radius:
            poly_type = 2
            poly_index = i
            poly_sep = s
            break
        if qx * perpx + qy * perpy >= 0.0:
            if (qx - upx) * nx + (qy - upy) * ny < -ANGULAR_SLOP:
                continue
        else:
            if (qx - lowx) * nx + (qy - lowy) * ny < -ANGULAR_SLOP:
                continue
        if s > poly_sep:
            poly_type = 2
            poly_index = i
            poly_sep = s
    if poly_type != 0 and poly_sep > radius:
        return 0
    use_edge = True
    if poly_type != 0 and poly_sep > 0.98 * edge_sep + 0.001:
        use_edge = False
    ie = scratch[16:18]
    ie_id = ids[0:2]
    if use_edge:
        out[_C_TYPE] = 0.0
        best = 0
        best_v = nx * scratch[8, 0] + ny * scratch[8, 1]
        for i in range(1, npv):
            val = nx * scratch[8 + i, 0] + ny * scratch[8 + i, 1]
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
        rv1x, rv1y = scratch[ri1, 0], scratch[ri1, 1]
        rv2x, rv2y = scratch[ri2, 0], scratch[ri2, 1]
        rnx, rny = scratch[8 + ri1, 0], scratch[8 + ri1, 1]
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
        sep = rnx * (cp2[i, 0] - rv1x) + rny * (cp2[i, 1] - rv1y)
        if sep <= radius:
            slot = _C_P0 + 2 * count
            if use_edge:  # b2MulT(xf, v): the point in B's frame
                wx = cp2[i, 0] - px
                wy = cp2[i, 1] - py
                out[slot] = pc * wx + ps * wy
                out[slot + 1] = -ps * wx + pc * wy
                out[_C_ID0 + count] = _key(cp2_id[i, 0], cp2_id[i, 1], cp2_id[i, 2], cp2_id[i, 3])
            else:
                out[slot] = cp2[i, 0]
                out[slot + 1] = cp2[i, 1]
                out[_C_ID0 + count] = _key(cp2_id[i, 1], cp2_id[i, 0], cp2_id[i, 3], cp2_id[i, 2])
            count += 1
    out[_C_NPTS] = count
    return count


@njit(cache=True)
def _find_max_separation(v1s, n1s, c1, x1, y1, c1s, s1s, v2s, c2, x2, y2, c2s, s2s):
    """``b2FindMaxSeparation`` (2.3.1): returns (edge index, separation) of poly1 against poly2."""
    # xf = MulT(xf2, xf1)
    qc = c2s * c1s + s2s * s1s
    qs = c2s * s1s - s2s * c1s
    dx = x1 - x2
    dy = y1 - y2
    tx = c2s * dx + s2s * dy
    ty = -s2s * dx + c2s * dy
    best = 0
    max_sep = -MAX_FLOAT
    for i in range(c1):
        nx = qc * n1s[i, 0] - qs * n1s[i, 1]
        ny = qs * n1s[i, 0] + qc * n1s[i, 1]
        vx = qc * v1s[i, 0] - qs * v1s[i, 1] + tx
        vy = qs * v1s[i, 0] + qc * v1s[i, 1] + ty
        si = MAX_FLOAT
        for j in range(c2):
            sij = nx * (v2s[j, 0] - vx) + ny * (v2s[j, 1] - vy)
            if sij < si:
                si = sij
        if si > max_sep:
            max_sep = si
            best = i
    return best, max_sep


@njit(cache=True)
def _collide_polygons(av, an, na, bv, bn, nb, px, py, pc, ps, out, scratch, ids):
    """``b2CollidePolygons`` (2.3) with A a static obstacle (world vertices) and B the walker body."""
    total_radius = 2.0 * POLYGON_RADIUS
    out[_C_NPTS] = 0.0
    edge_a, sep_a = _find_max_separation(av, an, na, 0.0, 0.0, 1.0, 0.0, bv, nb, px, py, pc, ps)
    if sep_a > total_radius:
        return 0
    edge_b, sep_b = _find_max_separation(bv, bn, nb, px, py, pc, ps, av, na, 0.0, 0.0, 1.0, 0.0)
    if sep_b > total_radius:
        return 0
    if sep_b > sep_a + 0.1 * LINEAR_SLOP:
        flip = True
        v1s, n1s, c1 = bv, bn, nb
        x1, y1, c1c, s1c = px, py, pc, ps
        v2s, n2s, c2 = av, an, na
        x2, y2, c2c, s2c = 0.0, 0.0, 1.0, 0.0
        edge1 = edge_b
        out[_C_TYPE] = 1.0
    else:
        flip = False
        v1s, n1s, c1 = av, an, na
        x1, y1, c1c, s1c = 0.0, 0.0, 1.0, 0.0
        v2s, n2s, c2 = bv, bn, nb
        x2, y2, c2c, s2c = px, py, pc, ps
        edge1 = edge_a
        out[_C_TYPE] = 0.0
    # b2FindIncidentEdge
    wnx = c1c * n1s[edge1, 0] - s1c * n1s[edge1, 1]
    wny = s1c * n1s[edge1, 0] + c1c * n1s[edge1, 1]
    lnx = c2c * wnx + s2c * wny
    lny = -s2c * wnx + c2c * wny
    index = 0
    min_dot = MAX_FLOAT
    for i in range(c2):
        d = lnx * n2s[i, 0] + lny * n2s[i, 1]
        if d < min_dot:
            min_dot = d
            index = i
    i1 = index
    i2 = i1 + 1 if i1 + 1 < c2 else 0
    ie = scratch[16:18]
    ie_id = ids[0:2]
    ie[0, 0] = c2c * v2s[i1, 0] - s2c * v2s[i1, 1] + x2
    ie[0, 1] = s2c * v2s[i1, 0] + c2c * v2s[i1, 1] + y2
    ie[1, 0] = c2c * v2s[i2, 0] - s2c * v2s[i2, 1] + x2
    ie[1, 1] = s2c * v2s[i2, 0] + c2c * v2s[i2, 1] + y2
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
    v11x, v11y = v1s[iv1, 0], v1s[iv1, 1]
    v12x, v12y = v1s[iv2, 0], v1s[iv2, 1]
    ltx = v12x - v11x
    lty = v12y - v11y
    ln = math.sqrt(ltx * ltx + lty * lty)
    ltx /= ln
    lty /= ln
    local_nx = lty
    local_ny = -ltx
    plane_x = 0.5 * (v11x + v12x)
    plane_y = 0.5 * (v11y + v12y)
    tx = c1c * ltx - s1c * lty
    ty = s1c * ltx + c1c * lty
    nx = ty
    ny = -tx
    w11x = c1c * v11x - s1c * v11y + x1
    w11y = s1c * v11x + c1c * v11y + y1
    w12x = c1c * v12x - s1c * v12y + x1
    w12y = s1c * v12x + c1c * v12y + y1
    front_offset = nx * w11x + ny * w11y
    side1 = -(tx * w11x + ty * w11y) + total_radius
    side2 = tx * w12x + ty * w12y + total_radius
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
        sep = nx * cp2[i, 0] + ny * cp2[i, 1] - front_offset
        if sep <= total_radius:
            slot = _C_P0 + 2 * count
            wx = cp2[i, 0] - x2
            wy = cp2[i, 1] - y2
            out[slot] = c2c * wx + s2c * wy
            out[slot + 1] = -s2c * wx + c2c * wy
            if flip:
                out[_C_ID0 + count] = _key(cp2_id[i, 1], cp2_id[i, 0], cp2_id[i, 3], cp2_id[i, 2])
            else:
                out[_C_ID0 + count] = _key(cp2_id[i, 0], cp2_id[i, 1], cp2_id[i, 2], cp2_id[i, 3])
            count += 1
    out[_C_NPTS] = count
    return count


@njit(cache=True)
def _body_transform(c, a, k):
    """Origin and rotation of body k from its centre of mass c[k] and angle a[k] (b2Body's xf)."""
    co = math.cos(a[k])
    si = math.sin(a[k])
    lx = BODY_LOCAL_CENTER_NB[k, 0]
    ly = BODY_LOCAL_CENTER_NB[k, 1]
    return c[k, 0] - (co * lx - si * ly), c[k, 1] - (si * lx + co * ly), co, si


BODY_LOCAL_CENTER_NB = BODY_LOCAL_CENTER  # global array, frozen into the compiled code


@njit(cache=True)
def _collide_body(k, c, a, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, contacts, n, scratch, ids,
                  out):
    """Touching manifolds of body k against the course, appended to ``contacts`` from row n; new count."""
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
    margin = 2.0 * POLYGON_RADIUS
    xmin -= margin
    xmax += margin
    ymin -= margin
    ymax += margin
    # candidates, walked from the right (newest contacts first, as Box2D's contact lists)
    j0 = _first_candidate(cell_first, max_width, xmin)
    j1 = j0
    while j1 < nfix and faabb[j1, 0] <= xmax:
        j1 += 1
    for j in range(j1 - 1, j0 - 1, -1):
        if faabb[j, 2] < xmin or faabb[j, 1] > ymax or faabb[j, 3] < ymin:
            continue
        if fkind[j] == 0:
            npts = _collide_edge_polygon(fverts[j, 0, 0], fverts[j, 0, 1], fverts[j, 1, 0], fverts[j, 1, 1],
                                         BODY_VERTS_NB[k], BODY_NORMALS_NB[k], nv,
                                         BODY_LOCAL_CENTER_NB[k, 0], BODY_LOCAL_CENTER_NB[k, 1],
                                         px, py, pc, ps, out, scratch, ids)
        else:
            npts = _collide_polygons(fverts[j], fnormals[j], fnv[j], BODY_VERTS_NB[k], BODY_NORMALS_NB[k], nv,
                                     px, py, pc, ps, out, scratch, ids)
        if npts > 0 and n < contacts.shape[0]:
            for q in range(CONTACT_WIDTH):
                contacts[n, q] = out[q]
            contacts[n, _C_BODY] = k
            contacts[n, _C_FIX] = j
            n += 1
    return n


@njit(cache=True)
def _collide_walker(c, a, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, contacts, scratch, ids,
                    out):
    """All touching (body, fixture) manifolds for one walker, in the island order. Returns the count."""
    n = 0
    for bi in range(NUM_BODIES):
        n = _collide_body(ISLAND_BODY_ORDER_NB[bi], c, a, fkind, fnv, fverts, fnormals, faabb, cell_first,
                          max_width, contacts, n, scratch, ids, out)
    return n


ISLAND_BODY_ORDER_NB = ISLAND_BODY_ORDER
ISLAND_JOINT_ORDER_NB = ISLAND_JOINT_ORDER
BODY_NV_NB = BODY_NV
BODY_VERTS_NB = BODY_VERTS
BODY_NORMALS_NB = BODY_NORMALS
BODY_INV_MASS_NB = BODY_INV_MASS
BODY_INV_I_NB = BODY_INV_I
BODY_FRICTION_NB = BODY_FRICTION


@njit(cache=True)
def _contact_events(b, flags, old, n_old, new, n_new, only_body):
    """BeginContact/EndContact of the reference's listener: ``old`` rows touched before, ``new`` rows touch
    now. Events are replayed newest contact first (the lowest fixture index last), so when one lower leg
    begins and ends contacts in the same step its flag is the last event's, as in the reference."""
    for leg in range(2):
        body = 2 + 2 * leg
        if only_body >= 0 and body != only_body:
            continue
        best = 1 << 60
        state = 0.0
        for ci in range(n_new):
            if new[ci, _C_BODY] == body:
                fix = int(new[ci, _C_FIX])
                found = False
                for oi in range(n_old):
                    if old[oi, _C_BODY] == body and old[oi, _C_FIX] == fix:
                        found = True
                        break
                if not found and fix < best:
                    best = fix
                    state = 1.0
        for oi in range(n_old):
            if old[oi, _C_BODY] == body:
                fix = int(old[oi, _C_FIX])
                found = False
                for ci in range(n_new):
                    if new[ci, _C_BODY] == body and new[ci, _C_FIX] == fix:
                        found = True
                        break
                if not found and fix < best:
                    best = fix
                    state = 0.0
        if best != (1 << 60):
            flags[b, leg] = state
    if only_body <= 0:
        for ci in range(n_new):
            if new[ci, _C_BODY] == 0:
                fix = new[ci, _C_FIX]
                found = False
                for oi in range(n_old):
                    if old[oi, _C_BODY] == 0 and old[oi, _C_FIX] == fix:
                        found = True
                        break
                if not found:
                    flags[b, 2] = 1.0


@njit(cache=True)
def _match_impulses(old, told, n_old, new, tnew, n0, n1):
    """``b2Contact::Update``: a new manifold point keeps the impulses of the old point with its feature key."""
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

TOI_TARGET = max(LINEAR_SLOP, 2.0 * POLYGON_RADIUS - 3.0 * LINEAR_SLOP)
TOI_TOLERANCE = 0.25 * LINEAR_SLOP
TOI_BAUMGARTE = 0.75
TOI_POSITION_ITERATIONS = 20
MAX_SUB_STEPS = 8
EPSILON = 1.1920929e-07


@njit(cache=True)
def _sweep_transform(k, c0x, c0y, a0, c1x, c1y, a1, beta):
    """``b2Sweep::GetTransform``: body k's origin and rotation at fraction beta of its sweep."""
    cx = (1.0 - beta) * c0x + beta * c1x
    cy = (1.0 - beta) * c0y + beta * c1y
    ang = (1.0 - beta) * a0 + beta * a1
    co = math.cos(ang)
    si = math.sin(ang)
    lx = BODY_LOCAL_CENTER_NB[k, 0]
    ly = BODY_LOCAL_CENTER_NB[k, 1]
    return cx - (co * lx - si * ly), cy - (si * lx + co * ly), co, si


@njit(cache=True)
def _support(verts, n, dx, dy):
    best = 0
    best_v = verts[0, 0] * dx + verts[0, 1] * dy
    for i in range(1, n):
        v = verts[i, 0] * dx + verts[i, 1] * dy
        if v > best_v:
            best = i
            best_v = v
    return best


@njit(cache=True)
def _closest_features(k, px, py, co, si, j, fnv, fverts, wv):
    """Distance between the core shapes of static fixture j (A) and body k (B) at the given transform, and
    the witness simplex as ``b2Distance`` leaves it in its cache: (distance, count, iA0, iA1, iB0, iB1).
    Found by enumerating vertex-edge pairs (exact for these small convex shapes); on ties a face of A wins.
    Returns a distance <= 0 when the shapes overlap."""
    nb = BODY_NV_NB[k]
    na = fnv[j]
    for i in range(nb):
        wv[i, 0] = co * BODY_VERTS_NB[k, i, 0] - si * BODY_VERTS_NB[k, i, 1] + px
        wv[i, 1] = si * BODY_VERTS_NB[k, i, 0] + co * BODY_VERTS_NB[k, i, 1] + py
    best = MAX_FLOAT
    count, ia0, ia1, ib0, ib1 = 1, 0, 0, 0, 0
    n_edges_a = na if na > 2 else 1
    # vertices of B against edges of A (face A when the foot of the perpendicular is inside)
    for m in range(n_edges_a):
        m2 = m + 1 if m + 1 < na else 0
        ax, ay = fverts[j, m, 0], fverts[j, m, 1]
        ex, ey = fverts[j, m2, 0] - ax, fverts[j, m2, 1] - ay
        ee = ex * ex + ey * ey
        for i in range(nb):
            t = ((wv[i, 0] - ax) * ex + (wv[i, 1] - ay) * ey) / ee
            if t <= 0.0:
                d = math.hypot(wv[i, 0] - ax, wv[i, 1] - ay)
                c, a0_, a1_ = 1, m, m
            elif t >= 1.0:
                d = math.hypot(wv[i, 0] - ax - ex, wv[i, 1] - ay - ey)
                c, a0_, a1_ = 1, m2, m2
            else:
                d = math.hypot(wv[i, 0] - ax - t * ex, wv[i, 1] - ay - t * ey)
                c, a0_, a1_ = 2, m, m2
            if d < best - 1e-12:
                best = d
                count, ia0, ia1, ib0, ib1 = c, a0_, a1_, i, i
    # vertices of A against edges of B (face B)
    for i in range(nb):
        i2 = i + 1 if i + 1 < nb else 0
        bx, by = wv[i, 0], wv[i, 1]
        ex, ey = wv[i2, 0] - bx, wv[i2, 1] - by
        ee = ex * ex + ey * ey
        for m in range(na):
            t = ((fverts[j, m, 0] - bx) * ex + (fverts[j, m, 1] - by) * ey) / ee
            if t <= 0.0 or t >= 1.0:
                continue  # vertex-vertex pairs were counted above
            d = math.hypot(fverts[j, m, 0] - bx - t * ex, fverts[j, m, 1] - by - t * ey)
            if d < best - 1e-12:
                best = d
                count, ia0, ia1, ib0, ib1 = 2, m, m, i, i2
    # overlap test (separating axes): the distance is 0 when no axis separates
    sep = -MAX_FLOAT
    for i in range(nb):
        nx = co * BODY_NORMALS_NB[k, i, 0] - si * BODY_NORMALS_NB[k, i, 1]
        ny = si * BODY_NORMALS_NB[k, i, 0] + co * BODY_NORMALS_NB[k, i, 1]
        smin = MAX_FLOAT
        for m in range(na):
            smin = min(smin, nx * (fverts[j, m, 0] - wv[i, 0]) + ny * (fverts[j, m, 1] - wv[i, 1]))
        sep = max(sep, smin)
    if na > 2:
        for m in range(na):
            m2 = m + 1 if m + 1 < na else 0
            ex, ey = fverts[j, m2, 0] - fverts[j, m, 0], fverts[j, m2, 1] - fverts[j, m, 1]
            ln = math.hypot(ex, ey)
            nx, ny = ey / ln, -ex / ln
            smin = MAX_FLOAT
            for i in range(nb):
                smin = min(smin, nx * (wv[i, 0] - fverts[j, m, 0]) + ny * (wv[i, 1] - fverts[j, m, 1]))
            sep = max(sep, smin)
    else:
        ex, ey = fverts[j, 1, 0] - fverts[j, 0, 0], fverts[j, 1, 1] - fverts[j, 0, 1]
        ln = math.hypot(ex, ey)
        nx, ny = ey / ln, -ex / ln
        lo = MAX_FLOAT
        hi = -MAX_FLOAT
        for i in range(nb):
            v = nx * (wv[i, 0] - fverts[j, 0, 0]) + ny * (wv[i, 1] - fverts[j, 0, 1])
            lo = min(lo, v)
            hi = max(hi, v)
        sep = max(sep, lo, -hi)
    if sep <= 0.0:
        return 0.0, count, ia0, ia1, ib0, ib1
    return best, count, ia0, ia1, ib0, ib1


@njit(cache=True)
def _support_a(fnv, fverts, j, dx, dy):
    return _support(fverts[j], fnv[j], dx, dy)


@njit(cache=True)
def _sep_eval(kind, axx, axy, lpx, lpy, ia, ib, k, j, fnv, fverts, px, py, co, si, find):
    """``b2SeparationFunction::FindMinSeparation`` (find=True) or ``Evaluate``; A is static (identity).
    Returns (separation, indexA, indexB)."""
    if kind == 0:  # points
        ax_w, ay_w = axx, axy
        if find:
            ia = _support_a(fnv, fverts, j, axx, axy)
            bx_l = co * -axx + si * -axy
            by_l = -si * -axx + co * -axy
            ib = _support(BODY_VERTS_NB[k], BODY_NV_NB[k], bx_l, by_l)
        pax, pay = fverts[j, ia, 0], fverts[j, ia, 1]
        vbx, vby = BODY_VERTS_NB[k, ib, 0], BODY_VERTS_NB[k, ib, 1]
        pbx = co * vbx - si * vby + px
        pby = si * vbx + co * vby + py
        return (pbx - pax) * ax_w + (pby - pay) * ay_w, ia, ib
    if kind == 1:  # face A: the axis and local point live in A's (world) frame
        if find:
            bx_l = co * -axx + si * -axy
            by_l = -si * -axx + co * -axy
            ib = _support(BODY_VERTS_NB[k], BODY_NV_NB[k], bx_l, by_l)
            ia = -1
        vbx, vby = BODY_VERTS_NB[k, ib, 0], BODY_VERTS_NB[k, ib, 1]
        pbx = co * vbx - si * vby + px
        pby = si * vbx + co * vby + py
        return (pbx - lpx) * axx + (pby - lpy) * axy, ia, ib
    # face B: axis and local point in B's frame
    nx = co * axx - si * axy
    ny = si * axx + co * axy
    pbx = co * lpx - si * lpy + px
    pby = si * lpx + co * lpy + py
    if find:
        ia = _support_a(fnv, fverts, j, -nx, -ny)
        ib = -1
    return (fverts[j, ia, 0] - pbx) * nx + (fverts[j, ia, 1] - pby) * ny, ia, ib


@njit(cache=True)
def _time_of_impact(k, c0x, c0y, a0, c1x, c1y, a1, j, fkind, fnv, fverts, fnormals, wv):
    """``b2TimeOfImpact`` (2.3) of body k's sweep against static fixture j: conservative advancement on
    separating axes from the closest features, a mixed secant/bisection root finder, the same target
    (max(linear slop, radii - 3 slop)) and tolerance. Returns the sweep fraction of an ``e_touching``
    result, or 1 (separated, overlapped or failed: no impact event, as ``SolveTOI`` treats them)."""
    target = TOI_TARGET
    tol = TOI_TOLERANCE
    t1 = 0.0
    for _ in range(20):
        px, py, co, si = _sweep_transform(k, c0x, c0y, a0, c1x, c1y, a1, t1)
        dist, count, ia0, ia1, ib0, ib1 = _closest_features(k, px, py, co, si, j, fnv, fverts, wv)
        if dist <= 0.0:
            return 1.0  # overlapped
        if dist < target + tol:
            return t1  # touching
        # b2SeparationFunction::Initialize
        if count == 1:
            kind = 0
            vbx, vby = BODY_VERTS_NB[k, ib0, 0], BODY_VERTS_NB[k, ib0, 1]
            pbx = co * vbx - si * vby + px
            pby = si * vbx + co * vby + py
            axx = pbx - fverts[j, ia0, 0]
            axy = pby - fverts[j, ia0, 1]
            ln = math.hypot(axx, axy)
            axx /= ln
            axy /= ln
            lpx = lpy = 0.0
        elif ia0 == ia1:  # two points on B: face B
            kind = 2
            b1x, b1y = BODY_VERTS_NB[k, ib0, 0], BODY_VERTS_NB[k, ib0, 1]
            b2x, b2y = BODY_VERTS_NB[k, ib1, 0], BODY_VERTS_NB[k, ib1, 1]
            axx, axy = b2y - b1y, -(b2x - b1x)
            ln = math.hypot(axx, axy)
            axx /= ln
            axy /= ln
            nx = co * axx - si * axy
            ny = si * axx + co * axy
            lpx, lpy = 0.5 * (b1x + b2x), 0.5 * (b1y + b2y)
            pbx = co * lpx - si * lpy + px
            pby = si * lpx + co * lpy + py
            sv = (fverts[j, ia0, 0] - pbx) * nx + (fverts[j, ia0, 1] - pby) * ny
            if sv < 0.0:
                axx, axy = -axx, -axy
        else:  # two points on A: face A
            kind = 1
            a1x, a1y = fverts[j, ia0, 0], fverts[j, ia0, 1]
            a2x, a2y = fverts[j, ia1, 0], fverts[j, ia1, 1]
            axx, axy = a2y - a1y, -(a2x - a1x)
            ln = math.hypot(axx, axy)
            axx /= ln
            axy /= ln
            lpx, lpy = 0.5 * (a1x + a2x), 0.5 * (a1y + a2y)
            vbx, vby = BODY_VERTS_NB[k, ib0, 0], BODY_VERTS_NB[k, ib0, 1]
            pbx = co * vbx - si * vby + px
            pby = si * vbx + co * vby + py
            sv = (pbx - lpx) * axx + (pby - lpy) * axy
            if sv < 0.0:
                axx, axy = -axx, -axy
        t2 = 1.0
        for _push in range(8):
            px, py, co, si = _sweep_transform(k, c0x, c0y, a0, c1x, c1y, a1, t2)
            s2, ia, ib = _sep_eval(kind, axx, axy, lpx, lpy, 0, 0, k, j, fnv, fverts, px, py, co, si, True)
            if s2 > target + tol:
                return 1.0  # separated
            if s2 > target - tol:
                t1 = t2
                break
            px, py, co, si = _sweep_transform(k, c0x, c0y, a0, c1x, c1y, a1, t1)
            s1, _, _ = _sep_eval(kind, axx, axy, lpx, lpy, ia, ib, k, j, fnv, fverts, px, py, co, si, False)
            if s1 < target - tol:
                return 1.0  # failed
            if s1 <= target + tol:
                return t1  # touching
            root_a1 = t1
            root_a2 = t2
            for it in range(50):
                if it & 1:
                    t = root_a1 + (target - s1) * (root_a2 - root_a1) / (s2 - s1)
                else:
                    t = 0.5 * (root_a1 + root_a2)
                px, py, co, si = _sweep_transform(k, c0x, c0y, a0, c1x, c1y, a1, t)
                sv, _, _ = _sep_eval(kind, axx, axy, lpx, lpy, ia, ib, k, j, fnv, fverts, px, py, co, si, False)
                if abs(sv - target) < tol:
                    t2 = t
                    break
                if sv > target:
                    root_a1 = t
                    s1 = sv
                else:
                    root_a2 = t
                    s2 = sv
    return 1.0  # the root finder got stuck: e_failed


@njit(cache=True)
def _solve_toi(b, c, a, v, w, c0, a0, alpha0, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, faabb,
               cell_first, max_width, vel_iters, vc, scratch, ids, out, new_cts, new_timp, wv, counts, dis,
               saved, vel_tol):
    """``b2World::SolveTOI`` for one walker: repeatedly the earliest impact of a walker body on the course;
    the body is moved back to it, its contacts are updated (with their events), 20 position iterations
    (TOI Baumgarte 0.75) and the velocity iterations run on that body and its contacts only, and it moves
    on for the rest of the step. Joints are not part of these sub-steps (as in Box2D)."""
    cb = c[b]
    ab = a[b]
    vb = v[b]
    wb = w[b]
    old = cts[b]
    told = timp[b]
    nfix = fkind.shape[0]
    ndis = 0
    for k in range(NUM_BODIES):
        alpha0[k] = 0.0
        counts[k] = 0
    for _ in range(4 * MAX_SUB_STEPS):
        min_alpha = 1.0
        mk = -1
        mj = -1
        for k in range(NUM_BODIES):
            if counts[k] >= MAX_SUB_STEPS:
                continue
            # swept box of the body: both ends, plus Box2D's fat-AABB margin
            xmin = MAX_FLOAT
            xmax = -MAX_FLOAT
            ymin = MAX_FLOAT
            ymax = -MAX_FLOAT
            for end in range(2):
                ccx = c0[k, 0] if end == 0 else cb[k, 0]
                ccy = c0[k, 1] if end == 0 else cb[k, 1]
                aa = a0[k] if end == 0 else ab[k]
                co = math.cos(aa)
                si = math.sin(aa)
                px = ccx - (co * BODY_LOCAL_CENTER_NB[k, 0] - si * BODY_LOCAL_CENTER_NB[k, 1])
                py = ccy - (si * BODY_LOCAL_CENTER_NB[k, 0] + co * BODY_LOCAL_CENTER_NB[k, 1])
                for i in range(BODY_NV_NB[k]):
                    wx = co * BODY_VERTS_NB[k, i, 0] - si * BODY_VERTS_NB[k, i, 1] + px
                    wy = si * BODY_VERTS_NB[k, i, 0] + co * BODY_VERTS_NB[k, i, 1] + py
                    xmin = min(xmin, wx)
                    xmax = max(xmax, wx)
                    ymin = min(ymin, wy)
                    ymax = max(ymax, wy)
            margin = 0.1 + POLYGON_RADIUS
            xmin -= margin
            xmax += margin
            ymin -= margin
            ymax += margin
            j = _first_candidate(cell_first, max_width, xmin)
            while j < nfix and faabb[j, 0] <= xmax:
                if faabb[j, 2] >= xmin and faabb[j, 1] <= ymax and faabb[j, 3] >= ymin:
                    skip = False
                    for q in range(ndis):
                        if dis[q, 0] == k and dis[q, 1] == j:
                            skip = True
                    if not skip:
                        beta = _time_of_impact(k, c0[k, 0], c0[k, 1], a0[k], cb[k, 0], cb[k, 1], ab[k], j, fkind,
                                               fnv, fverts, fnormals, wv)
                        alpha = 1.0
                        if beta < 1.0:
                            alpha = min(alpha0[k] + (1.0 - alpha0[k]) * beta, 1.0)
                        if alpha < min_alpha:
                            min_alpha = alpha
                            mk = k
                            mj = j
                j += 1
        if mk < 0 or min_alpha > 1.0 - 10.0 * EPSILON:
            break
        k = mk
        # back up the sweep, advance the body to the impact
        s_c0x, s_c0y, s_a0, s_al = c0[k, 0], c0[k, 1], a0[k], alpha0[k]
        s_cx, s_cy, s_a = cb[k, 0], cb[k, 1], ab[k]
        beta = (min_alpha - alpha0[k]) / (1.0 - alpha0[k])
        c0[k, 0] += beta * (cb[k, 0] - c0[k, 0])
        c0[k, 1] += beta * (cb[k, 1] - c0[k, 1])
        a0[k] += beta * (ab[k] - a0[k])
        alpha0[k] = min_alpha
        cb[k, 0] = c0[k, 0]
        cb[k, 1] = c0[k, 1]
        ab[k] = a0[k]
        # update the body's contacts at this pose (events fire as in Box2D's contact->Update)
        n_old = ncts[b]
        n_new = _collide_body(k, cb, ab, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, new_cts, 0,
                              scratch, ids, out)
        _match_impulses(old, told, n_old, new_cts, new_timp, 0, n_new)
        found = False
        for ci in range(n_new):
            if new_cts[ci, _C_FIX] == mj:
                found = True
        _contact_events(b, flags, old, n_old, new_cts, n_new, k)
        # keep the other bodies' rows, then this body's new rows at the end
        m = 0
        for oi in range(n_old):
            if old[oi, _C_BODY] != k:
                if m != oi:
                    for q in range(CONTACT_WIDTH):
                        old[m, q] = old[oi, q]
                    told[m, 0] = told[oi, 0]
                    told[m, 1] = told[oi, 1]
                m += 1
        start = m
        for ci in range(n_new):
            if m < old.shape[0]:
                for q in range(CONTACT_WIDTH):
                    old[m, q] = new_cts[ci, q]
                told[m, 0] = new_timp[ci, 0]
                told[m, 1] = new_timp[ci, 1]
                m += 1
        ncts[b] = m
        if not found:
            c0[k, 0], c0[k, 1], a0[k], alpha0[k] = s_c0x, s_c0y, s_a0, s_al
            cb[k, 0], cb[k, 1], ab[k] = s_cx, s_cy, s_a
            if ndis < dis.shape[0]:
                dis[ndis, 0] = k
                dis[ndis, 1] = mj
                ndis += 1
            continue
        counts[k] += 1
        for _ in range(TOI_POSITION_ITERATIONS):
            if _solve_contact_positions(old, start, m, cb, ab, TOI_BAUMGARTE, -1.5 * LINEAR_SLOP):
                break
        c0[k, 0] = cb[k, 0]
        c0[k, 1] = cb[k, 1]
        a0[k] = ab[k]
        # velocities: no warm start, and the sub-step's impulses are not kept for the next step
        for ci in range(start, m):
            _init_contact(ci, old, vc, cb, ab)
            saved[ci, 0] = old[ci, _C_NI0]
            saved[ci, 1] = old[ci, _C_NI1]
            saved[ci, 2] = told[ci, 0]
            saved[ci, 3] = told[ci, 1]
        for _ in range(vel_iters):
            change = 0.0
            for ci in range(start, m):
                change = max(change, _solve_contact_velocity(ci, old, vc, told, vb, wb))
            if change <= vel_tol:
                break
        for ci in range(start, m):
            old[ci, _C_NI0] = saved[ci, 0]
            old[ci, _C_NI1] = saved[ci, 1]
            told[ci, 0] = saved[ci, 2]
            told[ci, 1] = saved[ci, 3]
        h = (1.0 - min_alpha) * DT
        tx = h * vb[k, 0]
        ty = h * vb[k, 1]
        t2 = tx * tx + ty * ty
        if t2 > MAX_TRANSLATION * MAX_TRANSLATION:
            ratio = MAX_TRANSLATION / math.sqrt(t2)
            vb[k, 0] *= ratio
            vb[k, 1] *= ratio
        rot = h * wb[k]
        if rot * rot > MAX_ROTATION * MAX_ROTATION:
            wb[k] *= MAX_ROTATION / abs(rot)
        cb[k, 0] += h * vb[k, 0]
        cb[k, 1] += h * vb[k, 1]
        ab[k] += h * wb[k]


# ---------------------------------------------------------------------- ray casts (b2Shape::RayCast)


@njit(cache=True)
def _ray_edge(p1x, p1y, dx, dy, max_fraction, v1x, v1y, v2x, v2y):
    ex = v2x - v1x
    ey = v2y - v1y
    ln = math.sqrt(ex * ex + ey * ey)
    nx = ey / ln
    ny = -ex / ln
    numerator = nx * (v1x - p1x) + ny * (v1y - p1y)
    denominator = nx * dx + ny * dy
    if denominator == 0.0:
        return -1.0
    t = numerator / denominator
    if t < 0.0 or max_fraction < t:
        return -1.0
    qx = p1x + t * dx
    qy = p1y + t * dy
    rr = ex * ex + ey * ey
    if rr == 0.0:
        return -1.0
    s = ((qx - v1x) * ex + (qy - v1y) * ey) / rr
    if s < 0.0 or 1.0 < s:
        return -1.0
    return t


@njit(cache=True)
def _ray_polygon(p1x, p1y, dx, dy, max_fraction, verts, normals, nv):
    lower = 0.0
    upper = max_fraction
    index = -1
    for i in range(nv):
        numerator = normals[i, 0] * (verts[i, 0] - p1x) + normals[i, 1] * (verts[i, 1] - p1y)
        denominator = normals[i, 0] * dx + normals[i, 1] * dy
        if denominator == 0.0:
            if numerator < 0.0:
                return -1.0
        else:
            if denominator < 0.0 and numerator < lower * denominator:
                lower = numerator / denominator
                index = i
            elif denominator > 0.0 and numerator < upper * denominator:
                upper = numerator / denominator
        if upper < lower:
            return -1.0
    if index >= 0:
        return lower
    return -1.0


@njit(cache=True)
def _lidar(px, py, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions):
    """Ten rays from the hull origin; each fraction is the nearest ground fixture's (1 when none)."""
    nfix = fkind.shape[0]
    for i in range(NUM_LIDAR):
        dx = math.sin(1.5 * i / 10.0) * LIDAR_RANGE
        dy = -math.cos(1.5 * i / 10.0) * LIDAR_RANGE
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


# ---------------------------------------------------------------------- the solver (b2Island::Solve)


@njit(cache=True)
def _solve(c, a, v, w, force_x, cts, ncts, timp, j_imp, j_motor_imp, j_limit, motor_speed, max_torque,
           vel_iters, pos_iters, vc, jc, vel_tol):
    """One ``b2Island::Solve`` of the walker: velocities, warm start, iterations, positions."""
    h = DT
    # integrate velocities (gravity, the reset's push on the hull)
    for k in range(NUM_BODIES):
        v[k, 1] += h * GRAVITY_Y
    v[0, 0] += h * BODY_INV_MASS_NB[0] * force_x
    # contact velocity constraints (A is static: only B's terms)
    for ci in range(ncts):
        _init_contact(ci, cts, vc, c, a)
    # warm start contacts
    for ci in range(ncts):
        k = int(cts[ci, _C_BODY])
        mb = BODY_INV_MASS_NB[k]
        ib = BODY_INV_I_NB[k]
        nx = vc[ci, 0]
        ny = vc[ci, 1]
        tx, ty = ny, -nx
        for j in range(int(vc[ci, 11])):
            pxx = cts[ci, _C_NI0 + j] * nx + timp[ci, j] * tx
            pyy = cts[ci, _C_NI0 + j] * ny + timp[ci, j] * ty
            w[k] += ib * (vc[ci, 2 + 2 * j] * pyy - vc[ci, 3 + 2 * j] * pxx)
            v[k, 0] += mb * pxx
            v[k, 1] += mb * pyy
    # joints: initialise and warm start (island order)
    # jc rows: 0..1 rA, 2..3 rB, 4..12 mass matrix (ex, ey, ez), 13 motorMass
    for ji in range(NUM_JOINTS):
        jn = ISLAND_JOINT_ORDER_NB[ji]
        ka = JOINT_A_NB[jn]
        kb = JOINT_B_NB[jn]
        ma = BODY_INV_MASS_NB[ka]
        mb = BODY_INV_MASS_NB[kb]
        ia = BODY_INV_I_NB[ka]
        ib = BODY_INV_I_NB[kb]
        ca, sa = math.cos(a[ka]), math.sin(a[ka])
        cb, sb = math.cos(a[kb]), math.sin(a[kb])
        lax = JOINT_ANCHOR_A_NB[jn, 0] - BODY_LOCAL_CENTER_NB[ka, 0]
        lay = JOINT_ANCHOR_A_NB[jn, 1] - BODY_LOCAL_CENTER_NB[ka, 1]
        lbx = JOINT_ANCHOR_B_NB[jn, 0] - BODY_LOCAL_CENTER_NB[kb, 0]
        lby = JOINT_ANCHOR_B_NB[jn, 1] - BODY_LOCAL_CENTER_NB[kb, 1]
        rax = ca * lax - sa * lay
        ray = sa * lax + ca * lay
        rbx = cb * lbx - sb * lby
        rby = sb * lbx + cb * lby
        jc[jn, 0] = rax
        jc[jn, 1] = ray
        jc[jn, 2] = rbx
        jc[jn, 3] = rby
        exx = ma + mb + ray * ray * ia + rby * rby * ib
        eyx = -ray * rax * ia - rby * rbx * ib
        ezx = -ray * ia - rby * ib
        eyy = ma + mb + rax * rax * ia + rbx * rbx * ib
        ezy = rax * ia + rbx * ib
        ezz = ia + ib
        jc[jn, 4] = exx
        jc[jn, 5] = eyx  # ex.y = ey.x
        jc[jn, 6] = ezx  # ex.z = ez.x
        jc[jn, 7] = eyx
        jc[jn, 8] = eyy
        jc[jn, 9] = ezy
        jc[jn, 10] = ezx
        jc[jn, 11] = ezy
        jc[jn, 12] = ezz
        jc[jn, 13] = 1.0 / (ia + ib)
        angle = a[kb] - a[ka] - JOINT_REFERENCE_NB[jn]
        lower = JOINT_LOWER_NB[jn]
        upper = JOINT_UPPER_NB[jn]
        if abs(upper - lower) < 2.0 * ANGULAR_SLOP:
            j_limit[jn] = 3
        elif angle <= lower:
            if j_limit[jn] != 1:
                j_imp[jn, 2] = 0.0
            j_limit[jn] = 1
        elif angle >= upper:
            if j_limit[jn] != 2:
                j_imp[jn, 2] = 0.0
            j_limit[jn] = 2
        else:
            j_limit[jn] = 0
            j_imp[jn, 2] = 0.0
        pxx = j_imp[jn, 0]
        pyy = j_imp[jn, 1]
        v[ka, 0] -= ma * pxx
        v[ka, 1] -= ma * pyy
        w[ka] -= ia * (rax * pyy - ray * pxx + j_motor_imp[jn] + j_imp[jn, 2])
        v[kb, 0] += mb * pxx
        v[kb, 1] += mb * pyy
        w[kb] += ib * (rbx * pyy - rby * pxx + j_motor_imp[jn] + j_imp[jn, 2])
    # velocity iterations; with vel_tol > 0 they stop once no impulse changes by more than vel_tol
    for _ in range(vel_iters):
        change = 0.0
        for ji in range(NUM_JOINTS):
            jn = ISLAND_JOINT_ORDER_NB[ji]
            change = max(change, _solve_joint_velocity(jn, v, w, j_imp, j_motor_imp, j_limit, motor_speed,
                                                       max_torque, jc))
        for ci in range(ncts):
            change = max(change, _solve_contact_velocity(ci, cts, vc, timp, v, w))
        if change <= vel_tol:
            break
    # integrate positions
    for k in range(NUM_BODIES):
        tx = h * v[k, 0]
        ty = h * v[k, 1]
        t2 = tx * tx + ty * ty
        if t2 > MAX_TRANSLATION * MAX_TRANSLATION:
            ratio = MAX_TRANSLATION / math.sqrt(t2)
            v[k, 0] *= ratio
            v[k, 1] *= ratio
        rot = h * w[k]
        if rot * rot > MAX_ROTATION * MAX_ROTATION:
            w[k] *= MAX_ROTATION / abs(rot)
        c[k, 0] += h * v[k, 0]
        c[k, 1] += h * v[k, 1]
        a[k] += h * w[k]
    # position iterations
    for it in range(pos_iters):
        contacts_ok = _solve_contact_positions(cts, 0, ncts, c, a, BAUMGARTE, -3.0 * LINEAR_SLOP)
        joints_ok = True
        for ji in range(NUM_JOINTS):
            jn = ISLAND_JOINT_ORDER_NB[ji]
            ok = _solve_joint_position(jn, c, a, j_limit)
            joints_ok = joints_ok and ok
        if contacts_ok and joints_ok:
            return it + 1
    return pos_iters


JOINT_A_NB = JOINT_A
JOINT_B_NB = JOINT_B
JOINT_ANCHOR_A_NB = JOINT_ANCHOR_A
JOINT_ANCHOR_B_NB = JOINT_ANCHOR_B
JOINT_LOWER_NB = JOINT_LOWER
JOINT_UPPER_NB = JOINT_UPPER
JOINT_SPEED_NB = JOINT_SPEED
JOINT_REFERENCE_NB = JOINT_REFERENCE




@njit(cache=True)
def _init_contact(ci, cts, vc, c, a):
    """``b2ContactSolver::InitializeVelocityConstraints`` for contact slot ci (A static)."""
# vc rows: 0 nx, 1 ny, 2..3 rB point0, 4..5 rB point1, 6 normalMass0, 7 normalMass1, 8 tangentMass0,
# 9 tangentMass1, 10 friction, 11 npts (velocity), 12..15 normalMass matrix (block), 16..18 K
    k = int(cts[ci, _C_BODY])
    mb = BODY_INV_MASS_NB[k]
    ib = BODY_INV_I_NB[k]
    px, py, pc, ps = _body_transform(c, a, k)
    npts = int(cts[ci, _C_NPTS])
    lnx = cts[ci, _C_LN]
    lny = cts[ci, _C_LN + 1]
    if cts[ci, _C_TYPE] == 0.0:  # e_faceA: the static fixture's frame is the world
        nx, ny = lnx, lny
        plx, ply = cts[ci, _C_LP], cts[ci, _C_LP + 1]
    else:  # e_faceB
        nx = pc * lnx - ps * lny
        ny = ps * lnx + pc * lny
        plx = pc * cts[ci, _C_LP] - ps * cts[ci, _C_LP + 1] + px
        ply = ps * cts[ci, _C_LP] + pc * cts[ci, _C_LP + 1] + py
    for j in range(npts):
        lx = cts[ci, _C_P0 + 2 * j]
        ly = cts[ci, _C_P0 + 2 * j + 1]
        if cts[ci, _C_TYPE] == 0.0:
            clx = pc * lx - ps * ly + px
            cly = ps * lx + pc * ly + py
            dd = (clx - plx) * nx + (cly - ply) * ny
            cax = clx + (POLYGON_RADIUS - dd) * nx
            cay = cly + (POLYGON_RADIUS - dd) * ny
            cbx = clx - POLYGON_RADIUS * nx
            cby = cly - POLYGON_RADIUS * ny
        else:
            clx, cly = lx, ly
            dd = (clx - plx) * nx + (cly - ply) * ny
            cbx = clx + (POLYGON_RADIUS - dd) * nx
            cby = cly + (POLYGON_RADIUS - dd) * ny
            cax = clx - POLYGON_RADIUS * nx
            cay = cly - POLYGON_RADIUS * ny
        vc[ci, 2 + 2 * j] = 0.5 * (cax + cbx) - c[k, 0]
        vc[ci, 3 + 2 * j] = 0.5 * (cay + cby) - c[k, 1]
    if cts[ci, _C_TYPE] != 0.0:
        nx, ny = -nx, -ny
    vc[ci, 0] = nx
    vc[ci, 1] = ny
    tx, ty = ny, -nx
    for j in range(npts):
        rbx = vc[ci, 2 + 2 * j]
        rby = vc[ci, 3 + 2 * j]
        rnb = rbx * ny - rby * nx
        kn = mb + ib * rnb * rnb
        vc[ci, 6 + j] = 1.0 / kn if kn > 0.0 else 0.0
        rtb = rbx * ty - rby * tx
        kt = mb + ib * rtb * rtb
        vc[ci, 8 + j] = 1.0 / kt if kt > 0.0 else 0.0
    vc[ci, 10] = math.sqrt(BODY_FRICTION_NB[k] * TERRAIN_FRICTION)
    vc[ci, 11] = npts
    if npts == 2:
        rn1 = vc[ci, 2] * ny - vc[ci, 3] * nx
        rn2 = vc[ci, 4] * ny - vc[ci, 5] * nx
        k11 = mb + ib * rn1 * rn1
        k22 = mb + ib * rn2 * rn2
        k12 = mb + ib * rn1 * rn2
        if k11 * k11 < MAX_CONDITION * (k11 * k22 - k12 * k12):
            vc[ci, 16] = k11
            vc[ci, 17] = k12
            vc[ci, 18] = k22
            det = k11 * k22 - k12 * k12
            if det != 0.0:
                det = 1.0 / det
            vc[ci, 12] = det * k22
            vc[ci, 13] = -det * k12
            vc[ci, 14] = -det * k12
            vc[ci, 15] = det * k11
        else:
            vc[ci, 11] = 1


@njit(cache=True, inline="always")
def _solve_joint_velocity(jn, v, w, j_imp, j_motor_imp, j_limit, motor_speed, max_torque, jc):
    ka = JOINT_A_NB[jn]
    kb = JOINT_B_NB[jn]
    ma = BODY_INV_MASS_NB[ka]
    mb = BODY_INV_MASS_NB[kb]
    ia = BODY_INV_I_NB[ka]
    ib = BODY_INV_I_NB[kb]
    vax, vay, wa = v[ka, 0], v[ka, 1], w[ka]
    vbx, vby, wb = v[kb, 0], v[kb, 1], w[kb]
    limit = j_limit[jn]
    change = 0.0
    if limit != 3:  # motor
        cdot = wb - wa - motor_speed[jn]
        impulse = -jc[jn, 13] * cdot
        old = j_motor_imp[jn]
        max_impulse = DT * max_torque[jn]
        new = old + impulse
        if new < -max_impulse:
            new = -max_impulse
        elif new > max_impulse:
            new = max_impulse
        j_motor_imp[jn] = new
        impulse = new - old
        change = abs(impulse)
        wa -= ia * impulse
        wb += ib * impulse
    rax, ray, rbx, rby = jc[jn, 0], jc[jn, 1], jc[jn, 2], jc[jn, 3]
    cd1x = vbx - wb * rby - vax + wa * ray
    cd1y = vby + wb * rbx - vay - wa * rax
    if limit != 0:
        cd2 = wb - wa
        # Solve33(-Cdot)
        exx, exy, exz = jc[jn, 4], jc[jn, 5], jc[jn, 6]
        eyx, eyy, eyz = jc[jn, 7], jc[jn, 8], jc[jn, 9]
        ezx, ezy, ezz = jc[jn, 10], jc[jn, 11], jc[jn, 12]
        bx, by, bz = -cd1x, -cd1y, -cd2
        # cross(ey, ez)
        cx = eyy * ezz - eyz * ezy
        cy = eyz * ezx - eyx * ezz
        cz = eyx * ezy - eyy * ezx
        det = exx * cx + exy * cy + exz * cz
        if det != 0.0:
            det = 1.0 / det
        ix = det * (bx * cx + by * cy + bz * cz)
        # cross(b, ez)
        cx = by * ezz - bz * ezy
        cy = bz * ezx - bx * ezz
        cz = bx * ezy - by * ezx
        iy = det * (exx * cx + exy * cy + exz * cz)
        # cross(ey, b)
        cx = eyy * bz - eyz * by
        cy = eyz * bx - eyx * bz
        cz = eyx * by - eyy * bx
        iz = det * (exx * cx + exy * cy + exz * cz)
        if limit == 3:
            j_imp[jn, 0] += ix
            j_imp[jn, 1] += iy
            j_imp[jn, 2] += iz
        else:
            new = j_imp[jn, 2] + iz
            if (limit == 1 and new < 0.0) or (limit == 2 and new > 0.0):
                rhsx = -cd1x + j_imp[jn, 2] * ezx
                rhsy = -cd1y + j_imp[jn, 2] * ezy
                a11, a12, a21, a22 = exx, eyx, exy, eyy
                d2 = a11 * a22 - a12 * a21
                if d2 != 0.0:
                    d2 = 1.0 / d2
                rx = d2 * (a22 * rhsx - a12 * rhsy)
                ry = d2 * (a11 * rhsy - a21 * rhsx)
                ix = rx
                iy = ry
                iz = -j_imp[jn, 2]
                j_imp[jn, 0] += rx
                j_imp[jn, 1] += ry
                j_imp[jn, 2] = 0.0
            else:
                j_imp[jn, 0] += ix
                j_imp[jn, 1] += iy
                j_imp[jn, 2] += iz
        change = max(change, abs(ix), abs(iy), abs(iz))
        vax -= ma * ix
        vay -= ma * iy
        wa -= ia * (rax * iy - ray * ix + iz)
        vbx += mb * ix
        vby += mb * iy
        wb += ib * (rbx * iy - rby * ix + iz)
    else:
        a11, a12, a21, a22 = jc[jn, 4], jc[jn, 7], jc[jn, 5], jc[jn, 8]
        d2 = a11 * a22 - a12 * a21
        if d2 != 0.0:
            d2 = 1.0 / d2
        ix = d2 * (a22 * -cd1x - a12 * -cd1y)
        iy = d2 * (a11 * -cd1y - a21 * -cd1x)
        j_imp[jn, 0] += ix
        j_imp[jn, 1] += iy
        change = max(change, abs(ix), abs(iy))
        vax -= ma * ix
        vay -= ma * iy
        wa -= ia * (rax * iy - ray * ix)
        vbx += mb * ix
        vby += mb * iy
        wb += ib * (rbx * iy - rby * ix)
    v[ka, 0] = vax
    v[ka, 1] = vay
    w[ka] = wa
    v[kb, 0] = vbx
    v[kb, 1] = vby
    w[kb] = wb
    return change


@njit(cache=True, inline="always")
def _solve_contact_velocity(ci, cts, vc, timp, v, w):
    k = int(cts[ci, _C_BODY])
    mb = BODY_INV_MASS_NB[k]
    ib = BODY_INV_I_NB[k]
    vx, vy, wb = v[k, 0], v[k, 1], w[k]
    nx = vc[ci, 0]
    ny = vc[ci, 1]
    tx, ty = ny, -nx
    friction = vc[ci, 10]
    npts = int(vc[ci, 11])  # the velocity point count (1 when a 2-point block is ill-conditioned)
    change = 0.0
    # friction first
    for j in range(npts):
        rbx = vc[ci, 2 + 2 * j]
        rby = vc[ci, 3 + 2 * j]
        dvx = vx - wb * rby
        dvy = vy + wb * rbx
        vt = dvx * tx + dvy * ty
        lam = vc[ci, 8 + j] * (-vt)
        max_f = friction * cts[ci, _C_NI0 + j]
        new = timp[ci, j] + lam
        if new < -max_f:
            new = -max_f
        elif new > max_f:
            new = max_f
        lam = new - timp[ci, j]
        timp[ci, j] = new
        change = max(change, abs(lam))
        pxx = lam * tx
        pyy = lam * ty
        vx += mb * pxx
        vy += mb * pyy
        wb += ib * (rbx * pyy - rby * pxx)
    if npts == 1:
        for j in range(npts):
            rbx = vc[ci, 2 + 2 * j]
            rby = vc[ci, 3 + 2 * j]
            dvx = vx - wb * rby
            dvy = vy + wb * rbx
            vn = dvx * nx + dvy * ny
            lam = -vc[ci, 6 + j] * vn
            new = cts[ci, _C_NI0 + j] + lam
            if new < 0.0:
                new = 0.0
            lam = new - cts[ci, _C_NI0 + j]
            cts[ci, _C_NI0 + j] = new
            change = max(change, abs(lam))
            pxx = lam * nx
            pyy = lam * ny
            vx += mb * pxx
            vy += mb * pyy
            wb += ib * (rbx * pyy - rby * pxx)
    else:  # the block solver for two points
        r1x, r1y = vc[ci, 2], vc[ci, 3]
        r2x, r2y = vc[ci, 4], vc[ci, 5]
        ax = cts[ci, _C_NI0]
        ay = cts[ci, _C_NI1]
        vn1 = (vx - wb * r1y) * nx + (vy + wb * r1x) * ny
        vn2 = (vx - wb * r2y) * nx + (vy + wb * r2x) * ny
        k11, k12, k22 = vc[ci, 16], vc[ci, 17], vc[ci, 18]
        bx = vn1 - (k11 * ax + k12 * ay)
        by = vn2 - (k12 * ax + k22 * ay)
        m11, m21, m12, m22 = vc[ci, 12], vc[ci, 13], vc[ci, 14], vc[ci, 15]
        solved = False
        # case 1: both points active
        xx = -(m11 * bx + m12 * by)
        xy = -(m21 * bx + m22 * by)
        if xx >= 0.0 and xy >= 0.0:
            solved = True
        if not solved:  # case 2: point 1 only
            xx = -vc[ci, 6] * bx
            xy = 0.0
            vn2 = k12 * xx + by
            if xx >= 0.0 and vn2 >= 0.0:
                solved = True
        if not solved:  # case 3: point 2 only
            xx = 0.0
            xy = -vc[ci, 7] * by
            vn1 = k12 * xy + bx
            if xy >= 0.0 and vn1 >= 0.0:
                solved = True
        if not solved:  # case 4: none
            xx = 0.0
            xy = 0.0
            if bx >= 0.0 and by >= 0.0:
                solved = True
        if solved:
            dx = xx - ax
            dy = xy - ay
            change = max(change, abs(dx), abs(dy))
            p1x, p1y = dx * nx, dx * ny
            p2x, p2y = dy * nx, dy * ny
            vx += mb * (p1x + p2x)
            vy += mb * (p1y + p2y)
            wb += ib * (r1x * p1y - r1y * p1x + r2x * p2y - r2y * p2x)
            cts[ci, _C_NI0] = xx
            cts[ci, _C_NI1] = xy
    v[k, 0] = vx
    v[k, 1] = vy
    w[k] = wb
    return change


@njit(cache=True)
def _solve_contact_positions(cts, ci0, ci1, c, a, baumgarte, ok_sep):
    min_sep = 0.0
    for ci in range(ci0, ci1):
        k = int(cts[ci, _C_BODY])
        mb = BODY_INV_MASS_NB[k]
        ib = BODY_INV_I_NB[k]
        npts = int(cts[ci, _C_NPTS])
        for j in range(npts):
            px, py, pc, ps = _body_transform(c, a, k)
            lx = cts[ci, _C_P0 + 2 * j]
            ly = cts[ci, _C_P0 + 2 * j + 1]
            if cts[ci, _C_TYPE] == 0.0:
                nx, ny = cts[ci, _C_LN], cts[ci, _C_LN + 1]
                plx, ply = cts[ci, _C_LP], cts[ci, _C_LP + 1]
                clx = pc * lx - ps * ly + px
                cly = ps * lx + pc * ly + py
                sep = (clx - plx) * nx + (cly - ply) * ny - 2.0 * POLYGON_RADIUS
            else:
                lnx, lny = cts[ci, _C_LN], cts[ci, _C_LN + 1]
                nx = pc * lnx - ps * lny
                ny = ps * lnx + pc * lny
                plx = pc * cts[ci, _C_LP] - ps * cts[ci, _C_LP + 1] + px
                ply = ps * cts[ci, _C_LP] + pc * cts[ci, _C_LP + 1] + py
                clx, cly = lx, ly
                sep = (clx - plx) * nx + (cly - ply) * ny - 2.0 * POLYGON_RADIUS
                nx, ny = -nx, -ny
            rbx = clx - c[k, 0]
            rby = cly - c[k, 1]
            if sep < min_sep:
                min_sep = sep
            cc = baumgarte * (sep + LINEAR_SLOP)
            if cc < -MAX_LINEAR_CORRECTION:
                cc = -MAX_LINEAR_CORRECTION
            elif cc > 0.0:
                cc = 0.0
            rnb = rbx * ny - rby * nx
            kk = mb + ib * rnb * rnb
            impulse = -cc / kk if kk > 0.0 else 0.0
            pxx = impulse * nx
            pyy = impulse * ny
            c[k, 0] += mb * pxx
            c[k, 1] += mb * pyy
            a[k] += ib * (rbx * pyy - rby * pxx)
    return min_sep >= ok_sep


@njit(cache=True)
def _solve_joint_position(jn, c, a, j_limit):
    ka = JOINT_A_NB[jn]
    kb = JOINT_B_NB[jn]
    ma = BODY_INV_MASS_NB[ka]
    mb = BODY_INV_MASS_NB[kb]
    ia = BODY_INV_I_NB[ka]
    ib = BODY_INV_I_NB[kb]
    angular_error = 0.0
    limit = j_limit[jn]
    if limit != 0:
        angle = a[kb] - a[ka] - JOINT_REFERENCE_NB[jn]
        impulse = 0.0
        motor_mass = 1.0 / (ia + ib)
        if limit == 3:
            cc = angle - JOINT_LOWER_NB[jn]
            cc = min(max(cc, -MAX_ANGULAR_CORRECTION), MAX_ANGULAR_CORRECTION)
            impulse = -motor_mass * cc
            angular_error = abs(cc)
        elif limit == 1:
            cc = angle - JOINT_LOWER_NB[jn]
            angular_error = -cc
            cc = min(max(cc + ANGULAR_SLOP, -MAX_ANGULAR_CORRECTION), 0.0)
            impulse = -motor_mass * cc
        else:
            cc = angle - JOINT_UPPER_NB[jn]
            angular_error = cc
            cc = min(max(cc - ANGULAR_SLOP, 0.0), MAX_ANGULAR_CORRECTION)
            impulse = -motor_mass * cc
        a[ka] -= ia * impulse
        a[kb] += ib * impulse
    ca, sa = math.cos(a[ka]), math.sin(a[ka])
    cb, sb = math.cos(a[kb]), math.sin(a[kb])
    lax = JOINT_ANCHOR_A_NB[jn, 0] - BODY_LOCAL_CENTER_NB[ka, 0]
    lay = JOINT_ANCHOR_A_NB[jn, 1] - BODY_LOCAL_CENTER_NB[ka, 1]
    lbx = JOINT_ANCHOR_B_NB[jn, 0] - BODY_LOCAL_CENTER_NB[kb, 0]
    lby = JOINT_ANCHOR_B_NB[jn, 1] - BODY_LOCAL_CENTER_NB[kb, 1]
    rax = ca * lax - sa * lay
    ray = sa * lax + ca * lay
    rbx = cb * lbx - sb * lby
    rby = sb * lbx + cb * lby
    cx = c[kb, 0] + rbx - c[ka, 0] - rax
    cy = c[kb, 1] + rby - c[ka, 1] - ray
    position_error = math.sqrt(cx * cx + cy * cy)
    k11 = ma + mb + ia * ray * ray + ib * rby * rby
    k21 = -ia * rax * ray - ib * rbx * rby
    k12 = k21
    k22 = ma + mb + ia * rax * rax + ib * rbx * rbx
    det = k11 * k22 - k12 * k21
    if det != 0.0:
        det = 1.0 / det
    ix = -det * (k22 * cx - k12 * cy)
    iy = -det * (k11 * cy - k21 * cx)
    c[ka, 0] -= ma * ix
    c[ka, 1] -= ma * iy
    a[ka] -= ia * (rax * iy - ray * ix)
    c[kb, 0] += mb * ix
    c[kb, 1] += mb * iy
    a[kb] += ib * (rbx * iy - rby * ix)
    return position_error <= LINEAR_SLOP and angular_error <= ANGULAR_SLOP


# ---------------------------------------------------------------------- one step of one walker


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True)
def _step_walker(b, action, force_x, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping,
                 obs, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, vel_iters, pos_iters,
                 new_cts, new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi, use_toi, vel_tol):
    """Advance walker ``b`` by one control step; writes ``obs[b]``; returns (reward, terminated, finished).

    ``flags[b]``: 0 ground contact of lower leg (-1), 1 of lower leg (+1), 2 game over (hull contact).
    """
    cb = c[b]
    ab = a[b]
    # b2ContactManager::Collide: manifolds from the positions the last step left, impulses carried over
    n_new = _collide_walker(cb, ab, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, new_cts,
                            scratch, ids, out)
    n_old = ncts[b]
    old = cts[b]
    told = timp[b]
    _match_impulses(old, told, n_old, new_cts, new_timp, 0, n_new)
    _contact_events(b, flags, old, n_old, new_cts, n_new, -1)
    for ci in range(n_new):
        for q in range(CONTACT_WIDTH):
            old[ci, q] = new_cts[ci, q]
        told[ci, 0] = new_timp[ci, 0]
        told[ci, 1] = new_timp[ci, 1]
    ncts[b] = n_new
    # motors in torque mode
    for jn in range(NUM_JOINTS):
        act = action[jn]
        sgn = 1.0 if act > 0.0 else (-1.0 if act < 0.0 else 0.0)
        motor_speed[jn] = JOINT_SPEED_NB[jn] * sgn
        mag = abs(act)
        max_torque[jn] = MOTORS_TORQUE * (1.0 if mag > 1.0 else mag)
    c0, a0, alpha0, wv, counts, dis, saved = toi
    for k in range(NUM_BODIES):
        c0[k, 0] = cb[k, 0]
        c0[k, 1] = cb[k, 1]
        a0[k] = ab[k]
    _solve(cb, ab, v[b], w[b], force_x, old, n_new, told, j_imp[b], j_motor[b], j_limit[b], motor_speed,
           max_torque, vel_iters, pos_iters, vc, jc, vel_tol)
    if use_toi:
        _solve_toi(b, c, a, v, w, c0, a0, alpha0, cts, timp, ncts, flags, fkind, fnv, fverts, fnormals, faabb,
                   cell_first, max_width, vel_iters, vc, scratch, ids, out, new_cts, new_timp, wv, counts, dis,
                   saved, vel_tol)
    # lidar, observation, reward
    hx, hy, hc, hs = _body_transform(cb, ab, 0)
    _lidar(hx, hy, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, fractions)
    ob = obs[b]
    vb = v[b]
    wb = w[b]
    angle = ab[0]
    ob[0] = angle
    ob[1] = 2.0 * wb[0] / FPS
    ob[2] = 0.3 * vb[0, 0] * (VIEWPORT_W / SCALE) / FPS
    ob[3] = 0.3 * vb[0, 1] * (VIEWPORT_H / SCALE) / FPS
    ob[4] = ab[1] - ab[0] - JOINT_REFERENCE_NB[0]
    ob[5] = (wb[1] - wb[0]) / SPEED_HIP
    ob[6] = ab[2] - ab[1] + 1.0
    ob[7] = (wb[2] - wb[1]) / SPEED_KNEE
    ob[8] = flags[b, 0]
    ob[9] = ab[3] - ab[0] - JOINT_REFERENCE_NB[2]
    ob[10] = (wb[3] - wb[0]) / SPEED_HIP
    ob[11] = ab[4] - ab[3] + 1.0
    ob[12] = (wb[4] - wb[3]) / SPEED_KNEE
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
def _alloc_scratch():
    new_cts = np.zeros((MAX_CONTACTS, CONTACT_WIDTH))
    new_timp = np.zeros((MAX_CONTACTS, 2))
    scratch = np.zeros((22, 2))
    ids = np.zeros((6, 4), dtype=np.int64)
    out = np.zeros(CONTACT_WIDTH)
    vc = np.zeros((MAX_CONTACTS, 19))
    jc = np.zeros((NUM_JOINTS, 14))
    motor_speed = np.zeros(NUM_JOINTS)
    max_torque = np.zeros(NUM_JOINTS)
    fractions = np.zeros(NUM_LIDAR)
    toi = (np.zeros((NUM_BODIES, 2)), np.zeros(NUM_BODIES), np.zeros(NUM_BODIES), np.zeros((8, 2)),
           np.zeros(NUM_BODIES, dtype=np.int64), np.zeros((16, 2), dtype=np.int64), np.zeros((MAX_CONTACTS, 4)))
    return new_cts, new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi


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
def _rollout_one(b, thetas, max_steps, push, pos0, ang0, fkind, fnv, fverts, fnormals, faabb, cell_first,
                 max_width, vel_iters, pos_iters, use_toi, vel_tol, returns, lengths, finished_out):
    c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs = _alloc_state(1)
    (new_cts, new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi) = _alloc_scratch()
    h1 = np.zeros(40)
    h2 = np.zeros(40)
    act = np.zeros(4)
    _reset_walker(0, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, pos0, ang0)
    _step_walker(0, act, push, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs,
                 fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, vel_iters, pos_iters, new_cts,
                 new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi, use_toi, vel_tol)
    theta = thetas[b]
    total = 0.0
    steps = 0
    done_finished = False
    for _ in range(max_steps):
        _policy_forward(theta, obs[0], h1, h2, act)
        r, term, fin = _step_walker(0, act, 0.0, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags,
                                    prev_shaping, obs, fkind, fnv, fverts, fnormals, faabb, cell_first,
                                    max_width, vel_iters, pos_iters, new_cts, new_timp, scratch, ids, out, vc,
                                    jc, motor_speed, max_torque, fractions, toi, use_toi, vel_tol)
        total += r
        steps += 1
        if term:
            done_finished = fin
            break
    returns[b] = total
    lengths[b] = steps
    finished_out[b] = done_finished


@njit(cache=True)
def _rollout_serial(thetas, max_steps, push, pos0, ang0, fkind, fnv, fverts, fnormals, faabb, cell_first,
                    max_width, vel_iters, pos_iters, use_toi, vel_tol, returns, lengths, finished):
    for b in range(thetas.shape[0]):
        _rollout_one(b, thetas, max_steps, push, pos0, ang0, fkind, fnv, fverts, fnormals, faabb, cell_first,
                     max_width, vel_iters, pos_iters, use_toi, vel_tol, returns, lengths, finished)


@njit(cache=True, parallel=True)
def _rollout_parallel(thetas, max_steps, push, pos0, ang0, fkind, fnv, fverts, fnormals, faabb, cell_first,
                      max_width, vel_iters, pos_iters, use_toi, vel_tol, returns, lengths, finished):
    for b in prange(thetas.shape[0]):
        _rollout_one(b, thetas, max_steps, push, pos0, ang0, fkind, fnv, fverts, fnormals, faabb, cell_first,
                     max_width, vel_iters, pos_iters, use_toi, vel_tol, returns, lengths, finished)


@njit(cache=True)
def _step_batch(actions, force_x, active, state, course, vel_iters, pos_iters, use_toi, vel_tol, rewards,
                terminated, finished, scr):
    c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts, flags, prev_shaping, obs = state
    fkind, fnv, fverts, fnormals, faabb, cell_first, max_width = course
    new_cts, new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi = scr
    for b in range(actions.shape[0]):
        if not active[b]:
            continue
        r, t, f = _step_walker(b, actions[b], force_x, c, a, v, w, j_imp, j_motor, j_limit, cts, timp, ncts,
                               flags, prev_shaping, obs, fkind, fnv, fverts, fnormals, faabb, cell_first,
                               max_width, vel_iters, pos_iters, new_cts, new_timp, scratch, ids, out, vc, jc,
                               motor_speed, max_torque, fractions, toi, use_toi, vel_tol)
        rewards[b] = r
        terminated[b] = t
        finished[b] = f


@njit(cache=True)
def _probe(pos, ang, course, contacts_out, fractions_out):
    """Geometry from a pose: the touching (body, sorted fixture, points) triples and the lidar fractions."""
    fkind, fnv, fverts, fnormals, faabb, cell_first, max_width = course
    new_cts, new_timp, scratch, ids, out, vc, jc, motor_speed, max_torque, fractions, toi = _alloc_scratch()
    c = np.zeros((NUM_BODIES, 2))
    for k in range(NUM_BODIES):
        co = math.cos(ang[k])
        si = math.sin(ang[k])
        c[k, 0] = pos[k, 0] + co * BODY_LOCAL_CENTER_NB[k, 0] - si * BODY_LOCAL_CENTER_NB[k, 1]
        c[k, 1] = pos[k, 1] + si * BODY_LOCAL_CENTER_NB[k, 0] + co * BODY_LOCAL_CENTER_NB[k, 1]
    n = _collide_walker(c, ang, fkind, fnv, fverts, fnormals, faabb, cell_first, max_width, new_cts, scratch, ids,
                        out)
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
                 velocity_tolerance: float = 0.0) -> None:
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
        self._scratch = _alloc_scratch()
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
        self.active[:] = True
        rewards = np.zeros(self.batch)
        term = np.zeros(self.batch, dtype=np.bool_)
        fin = np.zeros(self.batch, dtype=np.bool_)
        _step_batch(np.zeros((self.batch, 4)), self.arrays.push, self.active, st, self.arrays.args(),
                    self.vel_iters, self.pos_iters, self.toi, self.vel_tol, rewards, term, fin, self._scratch)
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
                    self.toi, self.vel_tol, rewards, term, fin, self._scratch)
        self.steps[was_active] += 1
        trunc = was_active & ~term & (self.steps >= self.max_steps)
        self.finished |= fin & was_active
        self.active &= ~(term | trunc)
        return self.obs.copy(), rewards, term & was_active, trunc


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
                  velocity_iterations: int = VELOCITY_ITERATIONS, position_iterations: int = POSITION_ITERATIONS,
                  parallel: bool = False, toi: bool = True,
                  velocity_tolerance: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole episodes of policies ``thetas`` (B, 2804): returns (B,), lengths (B,), finished (B,)."""
    thetas = np.ascontiguousarray(thetas, dtype=np.float64)
    batch = thetas.shape[0]
    vi, pi = _check_iterations(velocity_iterations, position_iterations)
    returns = np.zeros(batch)
    lengths = np.zeros(batch, dtype=np.int64)
    finished = np.zeros(batch, dtype=np.bool_)
    pos0, ang0 = initial_pose()
    fn = _rollout_parallel if parallel else _rollout_serial
    fn(thetas, int(max_steps), course_arrays.push, pos0, ang0, *course_arrays.args(), vi, pi, bool(toi),
       float(velocity_tolerance), returns, lengths, finished)
    return returns, lengths, finished
