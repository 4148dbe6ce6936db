"""Box2D 2.3's broad-phase tree (``b2DynamicTree``) in numba, for the reference's lidar rule.

Paper: Wang et al., "Paired Open-Ended Trailblazer (POET)", 2019 (the walker environment). Reference:
uber-research/poet ``bipedal_walker_custom.py`` on pybox2d 2.3.10, which wraps Box2D 2.3
(erincatto/box2d v2.3.x: ``Box2D/Collision/b2DynamicTree.{h,cpp}``, ``b2BroadPhase.{h,cpp}``,
``Box2D/Dynamics/b2Fixture.cpp`` ``Synchronize``, ``b2Body.cpp`` ``SynchronizeFixtures``, ``b2World.cpp``
``Solve``/``SolveTOI``/``RayCast``).

Why a tree at all: the reference's lidar callback returns 0 at the first *ground* fixture it is told about,
so each ray reports the first fixture the broad-phase tree's ray cast visits, not the nearest one. Where a
ray crosses two fixtures (a stump and the ground under it, a pit wall and the pit floor) the answer depends
on the tree's shape, and that shape depends on every proxy insertion and move since the world was built.
To report what the reference reports, this module keeps the same tree, built and moved the same way:

* a node pool with a free list (ids handed out and reused in Box2D's order; a pool sized for every proxy up
  front hands out the same ids as Box2D's doubling pool, whose growth appends free nodes in order);
* ``create_proxy``: the fixture's AABB fattened by ``b2_aabbExtension`` (0.1), then ``InsertLeaf``: the
  sibling chosen by the surface-area (perimeter) cost heuristic, a new parent, and the walk back to the
  root with AVL-like ``Balance`` rotations;
* ``move_proxy``: nothing when the fat AABB still contains the new AABB, else ``RemoveLeaf`` and reinsert
  with the extension plus ``b2_aabbMultiplier`` (2) x the displacement on the side it points to;
* ``synchronize_polygon``: ``b2Fixture::Synchronize``, i.e. the AABB of the shape at the sweep's start
  transform combined with the AABB at its end, the displacement of the body origin, then ``move_proxy``;
* ``ray_cast_first``: ``b2DynamicTree::RayCast`` (a stack, child1 pushed before child2 so child2 is visited
  first; the segment's AABB overlap test and the separating-axis test on each node) with the reference's
  callback: walker fixtures are reported and return 1 (go on, unclipped), the first ground fixture hit stops
  the cast and gives the fraction.

All AABB and cost arithmetic is float32, as in Box2D: ties in the cost heuristic and the containment test
decide the tree's shape, so they must round the same way. The shape ray tests (``ray_edge``,
``ray_polygon``: ``b2EdgeShape::RayCast``, ``b2PolygonShape::RayCast``) are float32 too, in Box2D's order,
so the fractions are Box2D's bit for bit.

State of one tree: ``box`` (capacity, 4) float32 fat AABBs (lower x, lower y, upper x, upper y), ``node``
(capacity, 5) int64 (parent / next free, child1, child2, height, user), ``meta`` (3,) int64 (root, free list
head, node count). ``user`` is the sorted course-fixture index (>= 0, see ``fast_sim.CourseArrays``) or
``-1 - k`` for walker body ``k``. ``tree_for_course`` builds a course's static part once; a walker's tree is
a copy of it plus the walker's five proxies (``add_walker``).
"""

from __future__ import annotations

import math

import numpy as np

from aiga.core.jit import njit, njit_no_refcount

NULL = -1
N_PARENT, N_CHILD1, N_CHILD2, N_HEIGHT, N_USER = 0, 1, 2, 3, 4
M_ROOT, M_FREE, M_COUNT = 0, 1, 2

# b2Settings.h (2.3), as float32
AABB_EXTENSION = np.float32(0.1)
AABB_MULTIPLIER = np.float32(2.0)
POLYGON_RADIUS = np.float32(2.0) * np.float32(0.005)  # b2_polygonRadius = 2 * b2_linearSlop
_F0 = np.float32(0.0)
_F1 = np.float32(1.0)
_F2 = np.float32(2.0)
EPSILON32 = np.float32(1.1920929e-07)  # b2_epsilon (FLT_EPSILON)
_HALF = np.float32(0.5)
_STACK = 256  # b2GrowableStack<int32, 256>'s initial size; our trees are far shallower


def tree_capacity(n_proxies: int) -> int:
    """Nodes needed for ``n_proxies`` leaves (a binary tree has n - 1 internal nodes), at least Box2D's 16."""
    return max(16, 2 * int(n_proxies))


@njit(cache=True)
def tree_clear(box, node, meta):
    """An empty tree: every node free, linked in index order (``b2DynamicTree``'s constructor)."""
    cap = node.shape[0]
    for i in range(cap):
        node[i, N_PARENT] = i + 1 if i + 1 < cap else NULL
        node[i, N_CHILD1] = NULL
        node[i, N_CHILD2] = NULL
        node[i, N_HEIGHT] = -1
        node[i, N_USER] = 0
        for q in range(4):
            box[i, q] = _F0
    meta[M_ROOT] = NULL
    meta[M_FREE] = 0
    meta[M_COUNT] = 0


@njit(cache=True, inline="always")
def _allocate(node, meta):
    i = meta[M_FREE]
    if i == NULL:  # Box2D grows its pool here; ours is sized for every proxy up front (tree_capacity)
        raise ValueError("broad-phase tree: node pool exhausted")
    meta[M_FREE] = node[i, N_PARENT]
    node[i, N_PARENT] = NULL
    node[i, N_CHILD1] = NULL
    node[i, N_CHILD2] = NULL
    node[i, N_HEIGHT] = 0
    node[i, N_USER] = 0
    meta[M_COUNT] += 1
    return i


@njit(cache=True, inline="always")
def _free(node, meta, i):
    node[i, N_PARENT] = meta[M_FREE]  # parent and next share storage in b2TreeNode
    node[i, N_HEIGHT] = -1
    meta[M_FREE] = i
    meta[M_COUNT] -= 1


@njit(cache=True, inline="always")
def _perimeter(lx, ly, ux, uy):
    return _F2 * ((ux - lx) + (uy - ly))


@njit(cache=True, inline="always")
def _combine(box, dst, a, b):
    box[dst, 0] = min(box[a, 0], box[b, 0])
    box[dst, 1] = min(box[a, 1], box[b, 1])
    box[dst, 2] = max(box[a, 2], box[b, 2])
    box[dst, 3] = max(box[a, 3], box[b, 3])


@njit_no_refcount(cache=True)
def _balance(box, node, meta, ia):
    """``b2DynamicTree::Balance``: rotate the taller child up when the heights differ by more than 1."""
    if node[ia, N_CHILD1] == NULL or node[ia, N_HEIGHT] < 2:
        return ia
    ib = node[ia, N_CHILD1]
    ic = node[ia, N_CHILD2]
    balance = node[ic, N_HEIGHT] - node[ib, N_HEIGHT]
    if balance > 1:  # rotate C up (A's second child)
        return _rotate_up(box, node, meta, ia, ic, ib, N_CHILD2)
    if balance < -1:  # rotate B up (A's first child)
        return _rotate_up(box, node, meta, ia, ib, ic, N_CHILD1)
    return ia


@njit(cache=True, inline="always")
def _replace_child(node, meta, parent, old, new):
    """Put ``new`` in the child slot of ``parent`` that held ``old`` (the root when ``parent`` is NULL)."""
    if parent == NULL:
        meta[M_ROOT] = new
    elif node[parent, N_CHILD1] == old:
        node[parent, N_CHILD1] = new
    else:
        node[parent, N_CHILD2] = new


@njit(cache=True, inline="always")
def _rotate_up(box, node, meta, ia, iu, i_s, slot):
    """b2DynamicTree::Balance's rotation: child ``iu`` (in A's ``slot``) becomes the parent of A; the
    taller of its children stays with it, the other takes ``iu``'s place under A beside ``i_s``."""
    i_x = node[iu, N_CHILD1]
    i_y = node[iu, N_CHILD2]
    node[iu, N_CHILD1] = ia
    node[iu, N_PARENT] = node[ia, N_PARENT]
    node[ia, N_PARENT] = iu
    _replace_child(node, meta, node[iu, N_PARENT], ia, iu)
    if node[i_x, N_HEIGHT] > node[i_y, N_HEIGHT]:
        keep, give = i_x, i_y
    else:
        keep, give = i_y, i_x
    node[iu, N_CHILD2] = keep
    node[ia, slot] = give
    node[give, N_PARENT] = ia
    _combine(box, ia, i_s, give)
    _combine(box, iu, ia, keep)
    node[ia, N_HEIGHT] = 1 + max(node[i_s, N_HEIGHT], node[give, N_HEIGHT])
    node[iu, N_HEIGHT] = 1 + max(node[ia, N_HEIGHT], node[keep, N_HEIGHT])
    return iu


@njit(cache=True, inline="always")
def _descent_cost(node, box, child, llx, lly, lux, luy, inheritance):
    """Cost of descending into ``child`` with the leaf box (``b2DynamicTree::InsertLeaf``): a leaf child
    would get a new parent (its combined perimeter), an inner one grows by the perimeter added."""
    new = _perimeter(min(box[child, 0], llx), min(box[child, 1], lly), max(box[child, 2], lux),
                     max(box[child, 3], luy))
    if node[child, N_CHILD1] == NULL:
        return new + inheritance
    old = _perimeter(box[child, 0], box[child, 1], box[child, 2], box[child, 3])
    return (new - old) + inheritance


@njit_no_refcount(cache=True)
def _insert_leaf(box, node, meta, leaf):
    """``b2DynamicTree::InsertLeaf``: descend by the perimeter cost, add a parent, rebalance upwards."""
    if meta[M_ROOT] == NULL:
        meta[M_ROOT] = leaf
        node[leaf, N_PARENT] = NULL
        return
    llx = box[leaf, 0]
    lly = box[leaf, 1]
    lux = box[leaf, 2]
    luy = box[leaf, 3]
    index = meta[M_ROOT]
    while node[index, N_CHILD1] != NULL:
        child1 = node[index, N_CHILD1]
        child2 = node[index, N_CHILD2]
        area = _perimeter(box[index, 0], box[index, 1], box[index, 2], box[index, 3])
        combined_area = _perimeter(min(box[index, 0], llx), min(box[index, 1], lly), max(box[index, 2], lux),
                                   max(box[index, 3], luy))
        cost = _F2 * combined_area  # a new parent for this node and the leaf
        inheritance = _F2 * (combined_area - area)  # the least cost of pushing the leaf further down
        cost1 = _descent_cost(node, box, child1, llx, lly, lux, luy, inheritance)
        cost2 = _descent_cost(node, box, child2, llx, lly, lux, luy, inheritance)
        if cost < cost1 and cost < cost2:
            break
        index = child1 if cost1 < cost2 else child2
    sibling = index
    old_parent = node[sibling, N_PARENT]
    new_parent = _allocate(node, meta)
    node[new_parent, N_PARENT] = old_parent
    node[new_parent, N_USER] = 0
    _combine(box, new_parent, leaf, sibling)
    node[new_parent, N_HEIGHT] = node[sibling, N_HEIGHT] + 1
    _replace_child(node, meta, old_parent, sibling, new_parent)
    node[new_parent, N_CHILD1] = sibling
    node[new_parent, N_CHILD2] = leaf
    node[sibling, N_PARENT] = new_parent
    node[leaf, N_PARENT] = new_parent
    index = node[leaf, N_PARENT]
    while index != NULL:
        index = _balance(box, node, meta, index)
        c1 = node[index, N_CHILD1]
        c2 = node[index, N_CHILD2]
        node[index, N_HEIGHT] = 1 + max(node[c1, N_HEIGHT], node[c2, N_HEIGHT])
        _combine(box, index, c1, c2)
        index = node[index, N_PARENT]


@njit_no_refcount(cache=True)
def _remove_leaf(box, node, meta, leaf):
    """``b2DynamicTree::RemoveLeaf``: the sibling takes the parent's place; the parent node is freed."""
    if leaf == meta[M_ROOT]:
        meta[M_ROOT] = NULL
        return
    parent = node[leaf, N_PARENT]
    grand = node[parent, N_PARENT]
    sibling = node[parent, N_CHILD2] if node[parent, N_CHILD1] == leaf else node[parent, N_CHILD1]
    if grand != NULL:
        _replace_child(node, meta, grand, parent, sibling)
        node[sibling, N_PARENT] = grand
        _free(node, meta, parent)
        index = grand
        while index != NULL:
            index = _balance(box, node, meta, index)
            c1 = node[index, N_CHILD1]
            c2 = node[index, N_CHILD2]
            _combine(box, index, c1, c2)
            node[index, N_HEIGHT] = 1 + max(node[c1, N_HEIGHT], node[c2, N_HEIGHT])
            index = node[index, N_PARENT]
    else:
        meta[M_ROOT] = sibling
        node[sibling, N_PARENT] = NULL
        _free(node, meta, parent)


@njit(cache=True)
def create_proxy(box, node, meta, lx, ly, ux, uy, user):
    """``b2BroadPhase::CreateProxy`` -> ``b2DynamicTree::CreateProxy``: a leaf with the fattened AABB."""
    i = _allocate(node, meta)
    box[i, 0] = np.float32(lx) - AABB_EXTENSION
    box[i, 1] = np.float32(ly) - AABB_EXTENSION
    box[i, 2] = np.float32(ux) + AABB_EXTENSION
    box[i, 3] = np.float32(uy) + AABB_EXTENSION
    node[i, N_USER] = user
    node[i, N_HEIGHT] = 0
    _insert_leaf(box, node, meta, i)
    return i


@njit_no_refcount(cache=True)
def move_proxy(box, node, meta, proxy, lx, ly, ux, uy, dx, dy):
    """``b2DynamicTree::MoveProxy``: keep the leaf while its fat AABB contains the new AABB; else reinsert
    it fattened by the extension and by twice the displacement on the side the body moves to. Returns
    whether the leaf was reinserted."""
    lx = np.float32(lx)
    ly = np.float32(ly)
    ux = np.float32(ux)
    uy = np.float32(uy)
    if box[proxy, 0] <= lx and box[proxy, 1] <= ly and ux <= box[proxy, 2] and uy <= box[proxy, 3]:
        return False
    _remove_leaf(box, node, meta, proxy)
    lx = lx - AABB_EXTENSION
    ly = ly - AABB_EXTENSION
    ux = ux + AABB_EXTENSION
    uy = uy + AABB_EXTENSION
    ddx = AABB_MULTIPLIER * np.float32(dx)
    ddy = AABB_MULTIPLIER * np.float32(dy)
    if ddx < _F0:
        lx = lx + ddx
    else:
        ux = ux + ddx
    if ddy < _F0:
        ly = ly + ddy
    else:
        uy = uy + ddy
    box[proxy, 0] = lx
    box[proxy, 1] = ly
    box[proxy, 2] = ux
    box[proxy, 3] = uy
    _insert_leaf(box, node, meta, proxy)
    return True


# ---------------------------------------------------------------------- shapes' AABBs and synchronisation


@njit_no_refcount(cache=True)
def polygon_aabb(verts, nv, px, py, s, c):
    """``b2PolygonShape::ComputeAABB`` at the transform (p, q = (s, c)), all float32: the vertices'
    bounds grown by the polygon radius. ``verts`` (>= nv, 2) float32 local vertices."""
    px = np.float32(px)
    py = np.float32(py)
    s = np.float32(s)
    c = np.float32(c)
    lx = (c * verts[0, 0] - s * verts[0, 1]) + px
    ly = (s * verts[0, 0] + c * verts[0, 1]) + py
    ux = lx
    uy = ly
    for i in range(1, nv):
        vx = (c * verts[i, 0] - s * verts[i, 1]) + px
        vy = (s * verts[i, 0] + c * verts[i, 1]) + py
        lx = min(lx, vx)
        ly = min(ly, vy)
        ux = max(ux, vx)
        uy = max(uy, vy)
    return lx - POLYGON_RADIUS, ly - POLYGON_RADIUS, ux + POLYGON_RADIUS, uy + POLYGON_RADIUS


@njit_no_refcount(cache=True)
def synchronize_polygon(box, node, meta, proxy, verts, nv, p1x, p1y, s1, c1, p2x, p2y, s2, c2):
    """``b2Fixture::Synchronize`` for a one-child polygon fixture moved from transform 1 (the sweep's
    start) to transform 2 (the body's transform now): the two AABBs combined, the displacement of the body
    origin, ``MoveProxy``. Returns whether the leaf was reinserted."""
    ax0, ay0, ax1, ay1 = polygon_aabb(verts, nv, p1x, p1y, s1, c1)
    bx0, by0, bx1, by1 = polygon_aabb(verts, nv, p2x, p2y, s2, c2)
    dx = np.float32(p2x) - np.float32(p1x)
    dy = np.float32(p2y) - np.float32(p1y)
    return move_proxy(box, node, meta, proxy, min(ax0, bx0), min(ay0, by0), max(ax1, bx1), max(ay1, by1), dx,
                      dy)


@njit_no_refcount(cache=True)
def body_transform32(cx, cy, angle, lcx, lcy):
    """``b2Body::SynchronizeTransform`` in float32 from a float64 sweep (centre of mass, angle): q =
    (sin, cos) of the angle, p = c - q * localCenter. Returns (px, py, s, c) as float32."""
    a = np.float32(angle)
    s = np.float32(math.sin(a))
    c = np.float32(math.cos(a))
    lx = np.float32(lcx)
    ly = np.float32(lcy)
    px = np.float32(cx) - (c * lx - s * ly)
    py = np.float32(cy) - (s * lx + c * ly)
    return px, py, s, c


# ---------------------------------------------------------------------- ray casts


@njit(cache=True, inline="always")
def normalize32(x, y):
    """``b2Vec2::Normalize`` of float32 (x, y): times the inverse length; a vector shorter than b2_epsilon is
    kept as it is."""
    ln = np.float32(math.sqrt(x * x + y * y))
    if ln < EPSILON32:
        return x, y
    inv = _F1 / ln
    return x * inv, y * inv


@njit_no_refcount(cache=True)
def ray_edge(p1x, p1y, dx, dy, max_fraction, v1x, v1y, v2x, v2y):
    """``b2EdgeShape::RayCast`` (2.3) of p1 + t d, t in [0, max_fraction], in Box2D's float32 arithmetic
    (the edge's body at the origin); -1 when missed."""
    p1x = np.float32(p1x)
    p1y = np.float32(p1y)
    dx = np.float32(dx)
    dy = np.float32(dy)
    v1x = np.float32(v1x)
    v1y = np.float32(v1y)
    v2x = np.float32(v2x)
    v2y = np.float32(v2y)
    ex = v2x - v1x
    ey = v2y - v1y
    nx = ey  # b2Vec2 normal(e.y, -e.x); normal.Normalize()
    ny = -ex
    nx, ny = normalize32(nx, ny)
    numerator = nx * (v1x - p1x) + ny * (v1y - p1y)
    denominator = nx * dx + ny * dy
    if denominator == _F0:
        return -1.0
    t = numerator / denominator
    if t < _F0 or np.float32(max_fraction) < t:
        return -1.0
    qx = p1x + t * dx
    qy = p1y + t * dy
    rr = ex * ex + ey * ey  # r = v2 - v1 is e
    if rr == _F0:
        return -1.0
    s = ((qx - v1x) * ex + (qy - v1y) * ey) / rr
    if s < _F0 or _F1 < s:
        return -1.0
    return float(t)


@njit_no_refcount(cache=True)
def ray_polygon(p1x, p1y, dx, dy, max_fraction, verts, normals, nv):
    """``b2PolygonShape::RayCast`` (2.3) against a static polygon, float32; -1 when missed or starting
    inside."""
    p1x = np.float32(p1x)
    p1y = np.float32(p1y)
    dx = np.float32(dx)
    dy = np.float32(dy)
    lower = _F0
    upper = np.float32(max_fraction)
    index = -1
    for i in range(nv):
        nx = np.float32(normals[i, 0])
        ny = np.float32(normals[i, 1])
        numerator = nx * (np.float32(verts[i, 0]) - p1x) + ny * (np.float32(verts[i, 1]) - p1y)
        denominator = nx * dx + ny * dy
        if denominator == _F0:
            if numerator < _F0:
                return -1.0
        else:
            if denominator < _F0 and numerator < lower * denominator:
                lower = numerator / denominator
                index = i
            elif denominator > _F0 and numerator < upper * denominator:
                upper = numerator / denominator
        if upper < lower:
            return -1.0
    if index >= 0:
        return float(lower)
    return -1.0


@njit_no_refcount(cache=True)
def ray_cast_first(box, node, meta, p1x, p1y, p2x, p2y, fkind, fnv, fverts, fnormals, stack):
    """``b2World::RayCast`` with the reference's callback: the fraction of the first ground fixture the
    tree's ray cast reports (1.0 when none). Walker leaves (user < 0) are reported to the callback, which
    returns 1: the cast goes on with its segment unchanged, so they are skipped here. ``stack`` is int64
    scratch of at least the tree's height + 2 entries."""
    p1x = np.float32(p1x)
    p1y = np.float32(p1y)
    p2x = np.float32(p2x)
    p2y = np.float32(p2y)
    rx = p2x - p1x
    ry = p2y - p1y
    rx, ry = normalize32(rx, ry)
    vx = -ry  # b2Cross(1, r): perpendicular to the segment
    vy = rx
    avx = abs(vx)
    avy = abs(vy)
    # the segment's AABB at maxFraction = 1 (the reference's callback never clips it)
    tx = p1x + _F1 * (p2x - p1x)
    ty = p1y + _F1 * (p2y - p1y)
    slx = min(p1x, tx)
    sly = min(p1y, ty)
    sux = max(p1x, tx)
    suy = max(p1y, ty)
    # the shape tests (float32), d = p2 - p1 as b2Shape::RayCast forms it
    q1x = p1x
    q1y = p1y
    ddx = p2x - p1x
    ddy = p2y - p1y
    n = 0
    stack[n] = meta[M_ROOT]
    n += 1
    while n > 0:
        n -= 1
        i = stack[n]
        if i == NULL:
            continue
        # b2TestOverlap(node, segment)
        if slx - box[i, 2] > _F0 or sly - box[i, 3] > _F0 or box[i, 0] - sux > _F0 or box[i, 1] - suy > _F0:
            continue
        cx = _HALF * (box[i, 0] + box[i, 2])
        cy = _HALF * (box[i, 1] + box[i, 3])
        hx = _HALF * (box[i, 2] - box[i, 0])
        hy = _HALF * (box[i, 3] - box[i, 1])
        separation = abs(vx * (p1x - cx) + vy * (p1y - cy)) - (avx * hx + avy * hy)
        if separation > _F0:
            continue
        if node[i, N_CHILD1] == NULL:
            j = node[i, N_USER]
            if j < 0:
                continue
            if fkind[j] == 0:
                t = ray_edge(q1x, q1y, ddx, ddy, 1.0, fverts[j, 0, 0], fverts[j, 0, 1], fverts[j, 1, 0],
                             fverts[j, 1, 1])
            else:
                t = ray_polygon(q1x, q1y, ddx, ddy, 1.0, fverts[j], fnormals[j], fnv[j])
            if t >= 0.0:
                return t
        else:
            stack[n] = node[i, N_CHILD1]
            stack[n + 1] = node[i, N_CHILD2]
            n += 2
    return 1.0


# ---------------------------------------------------------------------- statistics (b2World::GetTree*)


@njit(cache=True)
def tree_height(node, meta):
    """``GetTreeHeight``: the root's height (0 for an empty tree)."""
    return 0 if meta[M_ROOT] == NULL else node[meta[M_ROOT], N_HEIGHT]


@njit(cache=True)
def tree_balance(node):
    """``GetTreeBalance``: the largest height difference between two siblings."""
    best = 0
    for i in range(node.shape[0]):
        if node[i, N_HEIGHT] <= 1:
            continue
        best = max(best, abs(node[node[i, N_CHILD2], N_HEIGHT] - node[node[i, N_CHILD1], N_HEIGHT]))
    return best


@njit(cache=True)
def tree_quality(box, node, meta):
    """``GetTreeQuality``: the sum of all nodes' perimeters over the root's (float32, in node order)."""
    if meta[M_ROOT] == NULL:
        return 0.0
    r = meta[M_ROOT]
    root_area = _perimeter(box[r, 0], box[r, 1], box[r, 2], box[r, 3])
    total = _F0
    for i in range(node.shape[0]):
        if node[i, N_HEIGHT] < 0:
            continue
        total = total + _perimeter(box[i, 0], box[i, 1], box[i, 2], box[i, 3])
    return total / root_area


# ---------------------------------------------------------------------- a course's tree


@njit(cache=True)
def _build_course(box, node, meta, order, fkind, fnv, fverts):
    tree_clear(box, node, meta)
    for q in range(order.shape[0]):
        j = order[q]
        if fkind[j] == 0:
            # b2EdgeShape::ComputeAABB at the identity transform, float32
            lx = min(np.float32(fverts[j, 0, 0]), np.float32(fverts[j, 1, 0]))
            ly = min(np.float32(fverts[j, 0, 1]), np.float32(fverts[j, 1, 1]))
            ux = max(np.float32(fverts[j, 0, 0]), np.float32(fverts[j, 1, 0]))
            uy = max(np.float32(fverts[j, 0, 1]), np.float32(fverts[j, 1, 1]))
        else:
            lx = np.float32(fverts[j, 0, 0])
            ly = np.float32(fverts[j, 0, 1])
            ux = lx
            uy = ly
            for i in range(1, fnv[j]):
                lx = min(lx, np.float32(fverts[j, i, 0]))
                ly = min(ly, np.float32(fverts[j, i, 1]))
                ux = max(ux, np.float32(fverts[j, i, 0]))
                uy = max(uy, np.float32(fverts[j, i, 1]))
        create_proxy(box, node, meta, lx - POLYGON_RADIUS, ly - POLYGON_RADIUS, ux + POLYGON_RADIUS,
                     uy + POLYGON_RADIUS, j)


def tree_for_course(ids: np.ndarray, fkind: np.ndarray, fnv: np.ndarray, fverts: np.ndarray,
                    n_walker_proxies: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tree after the reference's reset created the course's static fixtures (in Box2D creation order:
    ``ids[j]`` is sorted fixture ``j``'s creation index), with room for ``n_walker_proxies`` more leaves.
    Returns (box, node, meta); copy them per walker and call ``add_walker``."""
    n = len(ids)
    cap = tree_capacity(n + n_walker_proxies)
    box = np.zeros((cap, 4), dtype=np.float32)
    node = np.zeros((cap, 5), dtype=np.int64)
    meta = np.zeros(3, dtype=np.int64)
    order = np.argsort(np.asarray(ids), kind="stable").astype(np.int64)
    _build_course(box, node, meta, order, fkind, fnv, fverts)
    return box, node, meta


@njit(cache=True)
def add_walker(box, node, meta, proxies, verts32, nv, pos, ang):
    """The walker's fixtures created after the course, in the reference's order (hull, upper leg -1, lower
    leg -1, upper leg +1, lower leg +1), at body origins ``pos`` (5, 2) and angles ``ang`` (5,) (float32
    transforms as ``b2Body``'s constructor sets them). Writes the proxy ids to ``proxies`` (5,)."""
    for k in range(verts32.shape[0]):
        a = np.float32(ang[k])
        lx, ly, ux, uy = polygon_aabb(verts32[k], nv[k], pos[k, 0], pos[k, 1], math.sin(a), math.cos(a))
        proxies[k] = create_proxy(box, node, meta, lx, ly, ux, uy, -1 - k)


class DynamicTree:
    """A Python face on one tree, for tests and inspection (the simulator calls the functions directly)."""

    def __init__(self, capacity: int = 16) -> None:
        cap = max(16, int(capacity))
        self.box = np.zeros((cap, 4), dtype=np.float32)
        self.node = np.zeros((cap, 5), dtype=np.int64)
        self.meta = np.zeros(3, dtype=np.int64)
        self.stack = np.zeros(_STACK, dtype=np.int64)
        tree_clear(self.box, self.node, self.meta)

    @classmethod
    def from_arrays(cls, box: np.ndarray, node: np.ndarray, meta: np.ndarray) -> DynamicTree:
        tree = cls(len(node))
        tree.box[:], tree.node[:], tree.meta[:] = box, node, meta
        return tree

    def create_proxy(self, aabb, user: int) -> int:
        """A leaf for a fixture's tight AABB (lx, ly, ux, uy); returns its proxy id."""
        return int(create_proxy(self.box, self.node, self.meta, *map(float, aabb), int(user)))

    def move_proxy(self, proxy: int, aabb, displacement) -> bool:
        return bool(move_proxy(self.box, self.node, self.meta, int(proxy), *map(float, aabb),
                               float(displacement[0]), float(displacement[1])))

    def fat_aabb(self, proxy: int) -> np.ndarray:
        return self.box[int(proxy)].copy()

    def ray_cast_first(self, p1, p2, course_arrays) -> float:
        """The reference lidar rule against ``course_arrays`` (``fast_sim.CourseArrays``)."""
        a = course_arrays
        return float(ray_cast_first(self.box, self.node, self.meta, float(p1[0]), float(p1[1]), float(p2[0]),
                                    float(p2[1]), a.kind, a.nv, a.verts, a.normals, self.stack))

    def height(self) -> int:
        return int(tree_height(self.node, self.meta))

    def balance(self) -> int:
        return int(tree_balance(self.node))

    def quality(self) -> float:
        return float(tree_quality(self.box, self.node, self.meta))
