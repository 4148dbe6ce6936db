"""Every one of the 65 ops on hand-made operands, with the reference's edge cases (executor.h)."""

import math

import numpy as np
import pytest

from aiga.automl_zero.ops import NUM_OPS, OP_TYPES, exec_range, memory_size, offset

F = 3
NS, NV, NM = 4, 4, 3

S0 = np.array([0.0, 0.5, -2.0, 4.0])
V0 = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0], [2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
M0 = np.array(
    [
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]],
        [[0.0, -1.0, 2.0], [1.0, 0.0, -3.0], [2.0, 2.0, 0.5]],
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
    ]
)


def run(op, a=0, b=0, o=0, data=(0.0, 0.0, 0.0, 0.0), s=S0, v=V0, m=M0, rng_seed=1):
    """Execute one instruction on a memory filled with s, v, m; return (s, v, m) afterwards."""
    mem = np.zeros(memory_size(NS, NV, NM, F))
    mem[:NS] = s
    mem[NS : NS + NV * F] = v.ravel()
    mem[NS + NV * F : NS + NV * F + NM * F * F] = m.ravel()
    ta, tb, to = OP_TYPES[op]
    ins = np.array(
        [[op, offset(ta, a, NS, NV, F), offset(tb, b, NS, NV, F), offset(to, o, NS, NV, F)]], np.int32
    )
    dat = np.array([data], np.float64)
    rng = np.array([rng_seed], np.uint64)
    with np.errstate(all="ignore"):
        exec_range(ins, dat, 0, 1, mem, F, rng)
    return (
        mem[:NS].copy(),
        mem[NS : NS + NV * F].reshape(NV, F).copy(),
        mem[NS + NV * F : NS + NV * F + NM * F * F].reshape(NM, F, F).copy(),
    )


def pstd(x):
    x = np.asarray(x, float)
    return math.sqrt(np.mean(x * x) - np.mean(x) ** 2)


# (op, in1, in2, out, data, which output, expected)
CASES = [
    (1, 2, 3, 1, None, "s1", -2.0 + 4.0),
    (2, 2, 3, 1, None, "s1", -2.0 - 4.0),
    (3, 2, 3, 1, None, "s1", -8.0),
    (4, 3, 2, 1, None, "s1", -2.0),
    (5, 2, 0, 1, None, "s1", 2.0),
    (6, 3, 0, 1, None, "s1", 0.25),
    (7, 1, 0, 2, None, "s2", math.sin(0.5)),
    (8, 1, 0, 2, None, "s2", math.cos(0.5)),
    (9, 1, 0, 2, None, "s2", math.tan(0.5)),
    (10, 1, 0, 2, None, "s2", math.asin(0.5)),
    (11, 1, 0, 2, None, "s2", math.acos(0.5)),
    (12, 2, 0, 1, None, "s1", math.atan(-2.0)),
    (13, 1, 0, 2, None, "s2", math.exp(0.5)),
    (14, 3, 0, 1, None, "s1", math.log(4.0)),
    (15, 2, 0, 1, None, "s1", 0.0),
    (16, 1, 0, 2, None, "v2", [1.0, 0.0, 0.0]),  # strict > 0: the 0.0 entry gives 0
    (17, 1, 0, 0, None, "m0", (M0[1] > 0).astype(float)),
    (18, 2, 0, 1, None, "v1", -2.0 * V0[0]),
    (19, 3, 0, 1, None, "v1", [4.0, 4.0, 4.0]),
    (20, 2, 0, 1, None, "v1", [0.5, 0.5, 0.5]),
    (21, 0, 0, 1, None, "s1", math.sqrt(14.0)),
    (22, 0, 0, 1, None, "v1", [1.0, 2.0, 3.0]),
    (23, 0, 3, 1, None, "v1", [2.0, 0.0, 6.0]),
    (24, 0, 3, 1, None, "v1", [0.0, -4.0, 0.0]),
    (25, 0, 3, 1, None, "v1", [1.0, -4.0, 9.0]),
    (26, 0, 2, 1, None, "v1", [0.5, -1.0, 1.5]),
    (27, 0, 3, 1, None, "s1", 1.0 - 4.0 + 9.0),
    (28, 0, 3, 1, None, "m1", np.outer(V0[0], V0[3])),
    (29, 2, 0, 1, None, "m1", -2.0 * M0[0]),
    (30, 2, 0, 1, None, "m1", np.ones((3, 3))),
    (31, 0, 3, 1, None, "v1", M0[0] @ V0[3]),
    (32, 3, 0, 1, None, "m1", [[1, 1, 1], [2, 2, 2], [3, 3, 3]]),  # every column is v
    (33, 3, 0, 1, None, "m1", [[1, 2, 3], [1, 2, 3], [1, 2, 3]]),  # every row is v
    (34, 2, 0, 1, None, "s1", 3.0),
    (35, 0, 0, 1, None, "v1", np.sqrt((M0[0] ** 2).sum(axis=0))),  # column norms
    (36, 0, 0, 1, None, "v1", np.sqrt((M0[0] ** 2).sum(axis=1))),  # row norms
    (37, 0, 0, 1, None, "m1", M0[0].T),
    (38, 1, 0, 0, None, "m0", np.abs(M0[1])),
    (39, 0, 1, 2, None, "m2", M0[0] + M0[1]),
    (40, 0, 1, 2, None, "m2", M0[0] - M0[1]),
    (41, 0, 1, 2, None, "m2", M0[0] * M0[1]),
    (42, 1, 0, 2, None, "m2", M0[1] / M0[0]),
    (43, 0, 1, 2, None, "m2", M0[0] @ M0[1]),
    (44, 2, 3, 1, None, "s1", -2.0),
    (45, 0, 3, 1, None, "v1", [1.0, -2.0, 3.0]),
    (46, 0, 1, 2, None, "m2", np.minimum(M0[0], M0[1])),
    (47, 2, 3, 1, None, "s1", 4.0),
    (48, 0, 1, 2, None, "v2", [1.0, 0.0, 3.0]),
    (49, 0, 1, 2, None, "m2", np.maximum(M0[0], M0[1])),
    (50, 0, 0, 1, None, "s1", 2.0 / 3.0),
    (51, 0, 0, 1, None, "s1", 46.0 / 9.0),
    (52, 0, 0, 1, None, "v1", [2.0, 5.0, 25.0 / 3.0]),
    (53, 0, 0, 1, None, "v1", [pstd([1, 2, 3]), pstd([4, 5, 6]), pstd([7, 8, 10])]),
    (54, 3, 0, 1, None, "s1", math.sqrt(2.0 / 3.0)),  # population, not sample, std
    (55, 1, 0, 1, None, "s1", pstd(M0[1].ravel())),
    (56, 0, 0, 2, (0.75, 0, 0, 0), "s2", 0.75),
    (57, 0, 0, 1, (0, 0.5, -3.0, 0), "v1", [0.5, -3.0, -1.0]),  # index int(3 * 0.5) = 1; the rest is kept
    (58, 0, 0, 1, (0, 0.9, 0.1, 7.0), "m1", [[0, -1, 2], [1, 0, -3], [7.0, 2, 0.5]]),  # (int(2.7), int(0.3))
]


def _get(out, which):
    s, v, m = out
    kind, idx = which[0], int(which[1:])
    return {"s": s, "v": v, "m": m}[kind][idx]


@pytest.mark.parametrize("op, a, b, o, data, which, expected", CASES, ids=[str(c[0]) for c in CASES])
def test_op(op, a, b, o, data, which, expected):
    out = run(op, a, b, o, data or (0.0, 0.0, 0.0, 0.0))
    np.testing.assert_allclose(_get(out, which), expected, rtol=1e-12, atol=1e-12)


def test_every_op_is_covered():
    covered = {c[0] for c in CASES} | {0, 59, 60, 61, 62, 63, 64}
    assert covered == set(range(NUM_OPS)) and NUM_OPS == 65


def test_no_op_changes_nothing():
    s, v, m = run(0, 1, 2, 3)
    assert np.array_equal(s, S0) and np.array_equal(v, V0) and np.array_equal(m, M0)


def test_heaviside_at_zero_differs_between_scalar_and_vector():
    assert run(15, 0, 0, 1)[0][1] == 1.0  # s0 = 0.0: scalar heaviside is x >= 0
    assert run(16, 1, 0, 2)[1][2][1] == 0.0  # v1[1] = 0.0: vector heaviside is x > 0
    z = np.zeros((3, 3, 3))
    assert run(17, 0, 0, 1, m=z)[2][1].sum() == 0.0


def test_division_semantics_are_ieee():
    s = np.array([0.0, 1.0, -1.0, 0.0])
    assert run(4, 1, 0, 2, s=s)[0][2] == math.inf
    assert run(4, 2, 0, 1, s=s)[0][1] == -math.inf
    assert math.isnan(run(4, 0, 3, 1, s=s)[0][1])
    assert run(6, 0, 0, 1, s=s)[0][1] == math.inf
    assert math.isnan(run(14, 2, 0, 1, s=s)[0][1])  # log(-1)
    v = run(26, 0, 1, 2)[1][2]  # [1,-2,3] / [0.5, 0, -1]
    assert v[0] == 2.0 and v[1] == -math.inf and v[2] == -3.0


def test_products_alias_their_output_safely():
    # v3 = m0 @ v3 must use the old v3 throughout (Eigen evaluates products into a temporary).
    v = run(31, 0, 3, 3)[1][3]
    np.testing.assert_allclose(v, M0[0] @ V0[3])
    m = run(43, 0, 0, 0)[2][0]
    np.testing.assert_allclose(m, M0[0] @ M0[0])
    m = run(37, 0, 0, 0)[2][0]  # transpose in place
    np.testing.assert_allclose(m, M0[0].T)


def test_population_std_of_constant_vector_is_zero_or_tiny():
    v = V0.copy()
    v[1] = 2.0
    r = run(54, 1, 0, 1, v=v)[0][1]
    assert r == 0.0 or math.isnan(r) or abs(r) < 1e-7  # sqrt(E[x²] − E[x]²) as in the reference


def test_random_ops_draw_from_their_distributions():
    lo, hi = -0.5, 0.25
    draws = np.array([run(59, 0, 0, 2, (0, lo, hi, 0), rng_seed=k)[0][2] for k in range(400)])
    assert draws.min() > lo and draws.max() < hi and abs(draws.mean() - (lo + hi) / 2) < 0.05
    v = run(60, 0, 0, 1, (0, lo, hi, 0))[1][1]
    assert np.all((v > lo) & (v < hi)) and len(set(v.tolist())) == 3
    m = run(61, 0, 0, 1, (0, lo, hi, 0))[2][1]
    assert np.all((m > lo) & (m < hi)) and len(set(m.ravel().tolist())) == 9
    g = np.array([run(62, 0, 0, 2, (0, 2.0, 0.5, 0), rng_seed=k)[0][2] for k in range(1000)])
    assert abs(g.mean() - 2.0) < 0.08 and abs(g.std() - 0.5) < 0.06
    gv = run(63, 0, 0, 1, (0, 0.0, 1.0, 0))[1][1]
    gm = run(64, 0, 0, 1, (0, 0.0, 1.0, 0))[2][1]
    assert len(set(gv.tolist())) == 3 and len(set(gm.ravel().tolist())) == 9
    # reproducible from the RNG state
    assert (
        run(62, 0, 0, 2, (0, 0.0, 1.0, 0), rng_seed=5)[0][2]
        == run(62, 0, 0, 2, (0, 0.0, 1.0, 0), rng_seed=5)[0][2]
    )
