"""The compiled simulator's lockstep solver: B walkers stepped together equal the same walkers stepped alone.

The solver runs a chunk of walkers in lockstep (one lane each, the inner loops over lanes), with inactive
contact slots and early-exiting lanes masked by selects. None of that may leak between lanes: a walker's
trajectory must not depend on which other walkers share its chunk, how many there are, or when they end.
The lanes do the same float32 operations in the same order whatever the chunk, so we ask for equality up
to float rounding noise far below the physics (1e-9), not for closeness.
"""

import numpy as np
import pytest

from aiga.core.policy import MLPPolicy
from aiga.envs.walker.fast_sim import (
    ALIGN,
    CourseArrays,
    FastWalkerBatch,
    _alloc_scratch,
    _sincos32,
    rollout_batch,
)
from aiga.envs.walker.terrain import CourseParams, generate_course

# obstacles and roughness: walkers touch different numbers of fixtures, with different bodies, and fall
# at different steps, so the chunk's contact groups and live lanes differ from lane to lane
HARD = generate_course(CourseParams(roughness=3.0, pit_gap=(0.5, 1.0), stump_height=(0.4, 0.8), seed=3))


def _thetas(n, scale=0.3, seed=0):
    policy = MLPPolicy()
    rng = np.random.default_rng(seed)
    return np.stack([policy.init(rng) for _ in range(n)]) * (scale / 0.1)


def test_rollout_lockstep_equals_one_walker_at_a_time():
    arrays = CourseArrays(HARD)
    thetas = _thetas(8)
    ret8, len8, fin8 = rollout_batch(arrays, thetas, 120, lanes=8)
    ret3, len3, _ = rollout_batch(arrays, thetas, 120, lanes=3)  # chunks of 3, 3 and 2
    singles = [rollout_batch(arrays, thetas[i:i + 1], 120, lanes=1) for i in range(8)]
    ret1 = np.array([s[0][0] for s in singles])
    len1 = np.array([s[1][0] for s in singles])
    # the episodes differ (otherwise the test could not catch lanes leaking into each other)
    assert len(set(np.round(ret1, 6))) == 8
    np.testing.assert_array_equal(len8, len1)
    np.testing.assert_array_equal(len3, len1)
    np.testing.assert_allclose(ret8, ret1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ret3, ret1, rtol=0, atol=1e-9)


def test_position_iterations_pack_running_walkers_without_changing_them():
    """48 lanes: as walkers meet the slops and stop, the running ones are moved into the spare lanes (fewer
    vectors); each ends bit for bit where it ends when solved alone."""
    from aiga.envs.walker import fast_sim as fs

    lanes = 48
    env = FastWalkerBatch(HARD, 1)
    env.reset()
    st = env.state()
    body, jnt, con, lane, ngrp, span, trig, _ = fs._new_lanes(lanes)
    rng = np.random.default_rng(2)
    for li in range(lanes):
        fs._pack_bodies(li, 0, st["c"], st["a"], st["v"], st["w"], body)
    # bodies moved by 1e-5 to 0.3: the walkers need different numbers of iterations to meet the slops
    size = np.geomspace(1e-5, 0.3, lanes)
    body[fs.B_CX] += (rng.normal(size=(fs.NUM_BODIES, lanes)) * size).astype(np.float32)
    body[fs.B_A] += (rng.normal(size=(fs.NUM_BODIES, lanes)) * size).astype(np.float32)
    alone = []
    spare = (fs._new_lanes(lanes), np.full(lanes, -7, dtype=np.int64))
    for li in range(lanes):
        one = fs._new_lanes(1)
        one[0][:, :, 0] = body[:, :, li]
        fs._position_iterations(1, one[0], one[1], one[2], one[4], one[5], one[3], one[6], 60,
                                fs._BAUMGARTE32, fs._OK_SEP32, True, spare)
        alone.append(one[0][:3, :, 0].copy())
    assert (spare[1] == -7).all()  # one lane: nothing to pack
    fs._position_iterations(lanes, body, jnt, con, ngrp, span, lane, trig, 60, fs._BAUMGARTE32, fs._OK_SEP32,
                            True, spare)
    assert (spare[1] != -7).any()  # the running walkers were packed into the spare lanes
    assert 0 < (lane[fs.L_LIVE_P, :lanes] == 0).sum()
    for li in range(lanes):
        np.testing.assert_array_equal(body[:3, :, li], alone[li], err_msg=f"lane {li}")


def test_rollout_of_many_lanes_equals_one_walker_at_a_time():
    """A chunk wide enough that the position iterations pack their running walkers (48 lanes)."""
    arrays = CourseArrays(HARD)
    thetas = _thetas(48, seed=5)
    ret, length, _ = rollout_batch(arrays, thetas, 60, lanes=48)
    singles = [rollout_batch(arrays, thetas[i:i + 1], 60, lanes=1) for i in range(48)]
    np.testing.assert_array_equal(length, [s[1][0] for s in singles])
    np.testing.assert_array_equal(ret, [s[0][0] for s in singles])

def test_batch_step_states_equal_single_walkers_step_by_step():
    """Scripted actions, different per walker: every body pose, velocity and impulse after every step."""
    rng = np.random.default_rng(1)
    actions = rng.uniform(-1.0, 1.0, size=(40, 8, 4))
    batch = FastWalkerBatch(HARD, 8)
    singles = [FastWalkerBatch(HARD, 1) for _ in range(8)]
    batch.reset()
    for s in singles:
        s.reset()
    names = ("c", "a", "v", "w", "j_imp", "j_motor")
    for t in range(40):
        batch.step(actions[t])
        for i, s in enumerate(singles):
            if s.active[0]:
                s.step(actions[t, i][None])
        st = batch.state()
        for i, s in enumerate(singles):
            one = s.state()
            assert st["ncts"][i] == one["ncts"][0]
            assert st["j_limit"][i].tolist() == one["j_limit"][0].tolist()
            for name in names:
                np.testing.assert_allclose(st[name][i], one[name][0], rtol=0, atol=1e-9,
                                           err_msg=f"{name} step {t}")
            n = int(one["ncts"][0])  # live contact slots; a one-point manifold's second point is unused
            for ci in range(n):
                cols = list(range(10)) + [12, 14] + ([10, 11, 13, 15] if one["cts"][0, ci, 3] == 2 else [])
                np.testing.assert_allclose(st["cts"][i, ci, cols], one["cts"][0, ci, cols], rtol=0, atol=1e-9)
                np.testing.assert_allclose(st["timp"][i, ci], one["timp"][0, ci], rtol=0, atol=1e-9)
    # the batch did exercise different contact sets across lanes
    assert len({int(n) for n in batch.state()["ncts"]}) > 1 or not batch.active.all()


def test_lane_order_sorts_walkers_by_contacts_rarest_bodies_first():
    """Walkers 0..5 with hand-made contact lists (bodies: 0 hull, 1/3 upper legs, 2/4 lower legs): upper
    legs count first, then the hull, then the lower legs; more contacts first; ties keep their order."""
    from aiga.envs.walker import fast_sim as fs

    bodies = {0: [2, 4], 1: [4], 2: [3, 2, 4], 3: [], 4: [0, 2], 5: [2, 4]}
    cts = np.zeros((6, fs.MAX_CONTACTS, fs.CONTACT_WIDTH))
    ncts = np.zeros(6, dtype=np.int64)
    for b, ks in bodies.items():
        ncts[b] = len(ks)
        cts[b, :len(ks), fs._C_BODY] = ks
    walkers = np.array([5, 4, 3, 2, 1, 0])  # the order in which they run
    order = np.full(6, -1, dtype=np.int64)
    keys = np.zeros(6, dtype=np.int64)
    fs._lane_order(walkers, 6, cts, ncts, order, keys)
    # 2 (an upper leg), 4 (the hull), then 5 and 0 (two lower-leg contacts, in running order), 1, 3
    assert order.tolist() == [2, 4, 5, 0, 1, 3]


def test_contact_slot_spans_end_at_the_last_lane_that_uses_them():
    """40 lanes: body 1 has two contacts in lane 0 and one in lane 20, body 2 one in lane 35. Spans in
    whole vectors from lane 0: body 1's first slot to lane 20's vector, its second to lane 0's, body 2's
    slot to all 40 lanes (capped); unused slots of a lane are inactive with zero impulses."""
    from aiga.envs.walker import fast_sim as fs

    ws = fs._new_lanes(40)
    body, jnt, con, lane, ngrp, span, trig, gcount = ws
    con[:] = 7.0  # stale values from an earlier step
    gcount[:] = 0
    p1, p2 = fs.BODY_GROUP[1], fs.BODY_GROUP[2]
    gcount[p1, 0] = 2
    gcount[p1, 20] = 1
    gcount[p2, 35] = 1
    fs._close_groups(40, ws)
    v = fs.VECTOR
    assert ngrp[p1] == 2 and ngrp[p2] == 1 and ngrp[fs.BODY_GROUP[0]] == 0
    assert span[p1 * fs.GROUP] == min(40, (20 // v + 1) * v)
    assert span[p1 * fs.GROUP + 1] == v
    assert span[p2 * fs.GROUP] == min(40, (35 // v + 1) * v)
    s = p1 * fs.GROUP + 1
    assert con[fs.C_ACT, s, 20] == 0 and con[fs.C_NI1, s, 20] == 0 and con[fs.C_TI2, s, 20] == 0
    assert con[fs.C_ACT, s, 0] == 7.0  # lane 0 uses it: left as packed


def test_lane_rows_start_on_cache_lines():
    # numba aligns arrays to 32 bytes only; a 16-lane row that straddles two cache lines makes every vector
    # load of the solver touch both (13-18 % slower rollouts), so the lane arrays are allocated aligned.
    # Several allocations, since numba's allocator lands on a 64-byte boundary about half the time.
    for lanes in (16, 48, 64):
        for _ in range(6):
            scratch = _alloc_scratch(lanes)
            for lane_set in (scratch[8], scratch[10][0]):  # the chunk's lanes and the packed spare lanes
                for rows in lane_set:
                    if rows.dtype == np.float32:
                        assert rows.ctypes.data % ALIGN == 0
                        assert rows.shape[-1] == lanes and rows.flags.c_contiguous


def test_rollout_rejects_bad_input():
    from aiga.core.config import AigaError

    arrays = CourseArrays(HARD)
    with pytest.raises(AigaError, match="thetas must have shape"):
        rollout_batch(arrays, np.zeros((2, 5)), 10)
    with pytest.raises(AigaError, match="lanes"):
        rollout_batch(arrays, _thetas(1), 10, lanes=0)


def test_float32_sincos_within_two_ulps():
    """The solver's vectorisable sin/cos against float64 numpy, rounded: at most 2 float32 ulps off."""
    x = np.concatenate([np.linspace(-12.0, 12.0, 20001), [0.0, -0.0, np.pi / 4, np.pi / 2, np.pi, 1e-6]])
    x = x.astype(np.float32)
    got = np.array([_sincos32(v) for v in x], dtype=np.float64)
    ref_s = np.sin(x.astype(np.float64))
    ref_c = np.cos(x.astype(np.float64))
    ulp_s = np.spacing(np.abs(ref_s).astype(np.float32)).astype(np.float64)
    ulp_c = np.spacing(np.abs(ref_c).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(got[:, 0] - ref_s) <= 2 * ulp_s + 1e-45)
    assert np.all(np.abs(got[:, 1] - ref_c) <= 2 * ulp_c + 1e-45)
    assert tuple(got[-6]) == (0.0, 1.0) and got[-2, 0] == pytest.approx(0.0, abs=1e-7)  # sin 0, cos 0, sin pi
    assert got[-3, 1] == pytest.approx(0.0, abs=1e-7) and got[-3, 0] == 1.0  # cos pi/2, sin pi/2


def test_parallel_groups_equal_serial():
    """``parallel=True`` splits the walkers into one group per thread; the results may not change."""
    arrays = CourseArrays(HARD)
    thetas = _thetas(6, seed=2)
    serial = rollout_batch(arrays, thetas, 60, lanes=4)
    parallel = rollout_batch(arrays, thetas, 60, lanes=4, parallel=True)
    for s, p in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(s, p)
