"""CourseParams, POET's mutation, descriptor/difficulty, and the course generator (POET's terrain)."""

import hashlib
import json
import math
import struct

import numpy as np
import pytest

from aiga.core.config import ConfigError
from aiga.envs.walker.constants import (
    INITIAL_RANDOM,
    SCALE,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STARTPAD,
    TERRAIN_STEP,
)
from aiga.envs.walker.terrain import CourseParams, generate_course, legacy_np_random

HARD = CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=0)


# ---------------------------------------------------------------- terrain invariants


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_flat_course_is_flat_and_full_length(seed):
    c = generate_course(CourseParams.flat(seed=seed))
    assert len(c.terrain_x) == len(c.terrain_y) == TERRAIN_LENGTH == 200
    assert all(y == TERRAIN_HEIGHT for y in c.terrain_y)
    assert c.obstacles == ()
    np.testing.assert_allclose(np.diff(c.terrain_x), 14 / 30)
    assert c.end_x == pytest.approx(190 * 14 / 30)
    assert -INITIAL_RANDOM <= c.push <= INITIAL_RANDOM


def test_rough_course_keeps_the_start_pad_flat_then_moves():
    c = generate_course(CourseParams(roughness=3.0, seed=4))
    y = np.array(c.terrain_y)
    # the pad (20 steps) and the first step of the next segment keep the base height
    assert np.all(y[: TERRAIN_STARTPAD + 1] == TERRAIN_HEIGHT)
    assert np.any(y[TERRAIN_STARTPAD + 1:] != TERRAIN_HEIGHT)


def test_roughness_scales_the_random_walk():
    # same seed, obstacles off: the velocity sequence is the same, the height moves by r * velocity
    y1 = np.array(generate_course(CourseParams(roughness=1.0, seed=9)).terrain_y) - TERRAIN_HEIGHT
    y3 = np.array(generate_course(CourseParams(roughness=3.0, seed=9)).terrain_y) - TERRAIN_HEIGHT
    np.testing.assert_allclose(y3, 3.0 * y1, atol=1e-9)
    assert np.abs(y1).max() > 0.01


@pytest.mark.parametrize("seed", range(6))
def test_obstacle_sizes_inside_their_intervals(seed):
    params = CourseParams(roughness=1.0, pit_gap=(2.0, 3.0), stump_height=(0.6, 1.4), seed=seed)
    c = generate_course(params)
    pits = [o for o in c.obstacles if o.kind == "pit"]
    stumps = [o for o in c.obstacles if o.kind == "stump"]
    assert pits and stumps
    assert len(pits) % 2 == 0  # two walls per pit
    for left, right in zip(pits[::2], pits[1::2], strict=True):
        gap = left.size  # 1 + U(lo, hi) steps
        assert 3.0 <= gap <= 4.0
        # the right wall is the left one shifted by the gap; walls are 1 step wide and 4 deep
        assert right.vertices[0][0] - left.vertices[0][0] == pytest.approx(gap * TERRAIN_STEP)
        xs = [v[0] for v in left.vertices]
        ys = [v[1] for v in left.vertices]
        assert max(xs) - min(xs) == pytest.approx(TERRAIN_STEP)
        assert max(ys) - min(ys) == pytest.approx(4 * TERRAIN_STEP)
    for s in stumps:
        assert 0.6 <= s.size <= 1.4
        ys = [v[1] for v in s.vertices]
        xs = [v[0] for v in s.vertices]
        assert max(ys) - min(ys) == pytest.approx(s.size * TERRAIN_STEP)
        assert max(xs) - min(xs) == pytest.approx(TERRAIN_STEP)  # stump width 1 step
        # never floating: its bottom lies on the ground at its x
        i = int(round(min(xs) / TERRAIN_STEP))
        assert min(ys) == pytest.approx(c.terrain_y[i])


def test_pit_ground_drops_four_steps():
    c = generate_course(CourseParams(pit_gap=(3.0, 3.0), seed=2))  # every gap is exactly 4 steps
    y = np.array(c.terrain_y)
    assert y.min() == pytest.approx(TERRAIN_HEIGHT - 4 * TERRAIN_STEP)
    # integer gap: no edge point is shifted
    np.testing.assert_allclose(np.diff(c.terrain_x), TERRAIN_STEP)


def test_same_seed_same_course_different_seed_different_course():
    a, b = generate_course(HARD), generate_course(HARD)
    assert a == b
    c = generate_course(CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=1))
    assert a.terrain_y != c.terrain_y
    assert a.push != c.push


def test_stairs_course_builds_steps():
    c = generate_course(CourseParams(stair_height=(0.5, 1.0), stair_steps=(2, 4), seed=3))
    stairs = [o for o in c.obstacles if o.kind == "stair"]
    assert stairs
    for s in stairs:
        assert 0.5 <= s.size <= 1.0
        xs = [v[0] for v in s.vertices]
        assert max(xs) - min(xs) == pytest.approx(4 * TERRAIN_STEP)  # stair width 4 steps


# ---------------------------------------------------------------- the random stream (poet.md defect 8)


def _gym021_first_uniforms(seed, n):
    """gym <= 0.21's seeding.np_random, written out from its documented algorithm."""
    digest = hashlib.sha512(str(seed).encode()).digest()[:8]
    lo, hi = struct.unpack("<II", digest)
    rs = np.random.RandomState([lo, hi] if hi else [lo])
    rs.randint(5, 10)  # the counter of the segment after the pad is drawn first (at step 19)
    return rs.uniform(-1, 1, size=n)


def test_course_stream_is_gym021_hashed_randomstate():
    # first ground step after the pad: velocity = 0.8*0 + 0.01*sign(0) + U(-1,1)/30 -> y = H + r*v
    for seed in (0, 7, 2024):
        r = 2.0
        c = generate_course(CourseParams(roughness=r, seed=seed))
        u = _gym021_first_uniforms(seed, 2)
        v1 = u[0] / SCALE
        assert c.terrain_y[TERRAIN_STARTPAD + 1] == pytest.approx(TERRAIN_HEIGHT + r * v1, abs=1e-12)
        # second step: v2 = 0.8*v1 + 0.01*sign(H - y1) + u2/30
        y1 = TERRAIN_HEIGHT + r * v1
        v2 = 0.8 * v1 + 0.01 * np.sign(TERRAIN_HEIGHT - y1) + u[1] / SCALE
        assert c.terrain_y[TERRAIN_STARTPAD + 2] == pytest.approx(y1 + r * v2, abs=1e-12)
    # not numpy's plain RandomState(seed) (the unhashed seed) nor a PCG64 Generator (gym >= 0.22)
    assert legacy_np_random(0).uniform() != np.random.RandomState(0).uniform()
    assert legacy_np_random(0).uniform() != np.random.default_rng(0).uniform()


def test_segment_lengths_follow_the_counter():
    # a flat course draws only counters: segments of 5..9 steps; with stumps (one kind) every grass
    # segment is followed by exactly one stump, so stump x positions are 6..10 steps apart
    c = generate_course(CourseParams(stump_height=(1.0, 1.0), seed=5))
    xs = [min(v[0] for v in o.vertices) / TERRAIN_STEP for o in c.obstacles]
    assert round(xs[0]) == TERRAIN_STARTPAD  # first obstacle right after the pad
    gaps = np.diff(np.round(xs))
    assert set(gaps) <= set(range(TERRAIN_GRASS // 2 + 1, TERRAIN_GRASS + 1))


# ---------------------------------------------------------------- params, JSON, errors


def test_json_round_trip_and_hashable():
    for p in (CourseParams.flat(seed=3), HARD,
              CourseParams(roughness=0.3, stair_height=(0.2, 0.4), stair_steps=(1, 3), seed=8)):
        q = CourseParams.from_dict(json.loads(json.dumps(p.to_dict())))
        assert q == p and hash(q) == hash(p)
    assert len({HARD, CourseParams.from_dict(HARD.to_dict())}) == 1


@pytest.mark.parametrize("kwargs, needle", [
    ({"roughness": -0.1}, "roughness must be in [0, 10]"),
    ({"roughness": 11}, "roughness must be in [0, 10]"),
    ({"roughness": "rough"}, "roughness"),
    ({"pit_gap": (3.0, 2.0)}, "pit_gap must have low <= high within [0, 8]"),
    ({"pit_gap": (0.0, 9.0)}, "pit_gap must lie within [0, 8]"),
    ({"pit_gap": (1.0,)}, "pit_gap must be a pair"),
    ({"stump_height": (0.0, 6.0)}, "stump_height must lie within [0, 5]"),
    ({"stair_height": (0.2, 0.4)}, "stair_height and stair_steps must be set together"),
    ({"stair_height": (0.2, 0.4), "stair_steps": (3, 3)}, "stair_steps must have low < high"),
    ({"seed": -1}, "seed must be an integer"),
    ({"seed": 1.5}, "seed must be an integer"),
])
def test_bad_params_give_one_clear_line(kwargs, needle):
    with pytest.raises(ConfigError) as e:
        CourseParams(**kwargs)
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def test_from_dict_rejects_unknown_field():
    with pytest.raises(ConfigError, match="unknown field 'gap'"):
        CourseParams.from_dict({"gap": [1, 2]})


# ---------------------------------------------------------------- descriptor, distance, difficulty


def test_descriptor_and_distance():
    assert list(CourseParams.flat().descriptor()) == [0, 0, 0, 0, 0]
    assert list(HARD.descriptor()) == [4.5, 5.4, 6.0, 2.0, 2.4]
    a = CourseParams(roughness=3.0)
    b = CourseParams(roughness=0.0, stump_height=(0.0, 4.0))
    assert a.distance(b) == pytest.approx(5.0)  # sqrt(3^2 + 4^2)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, None),
    ({"roughness": 4.5}, "challenging"),
    ({"roughness": 4.4, "stump_height": (1.0, 2.4)}, "challenging"),
    ({"roughness": 4.4, "stump_height": (1.0, 2.2), "pit_gap": (0.0, 5.6)}, None),
    ({"pit_gap": (5.0, 6.0), "stump_height": (2.4, 2.4)}, "very challenging"),
    ({"roughness": 5.0, "pit_gap": (5.0, 6.0), "stump_height": (2.0, 2.4)}, "extremely challenging"),
])
def test_difficulty_classes(kwargs, expected):
    assert CourseParams(**kwargs).difficulty() == expected


# ---------------------------------------------------------------- mutation


def _is_tenth(v):
    return abs(v * 10 - round(v * 10)) < 1e-9


def test_first_mutation_switches_obstacles_on_at_initial_intervals():
    child = CourseParams.poet_initial(seed=0).mutate(np.random.default_rng(0))
    assert child.pit_gap == (0.0, 0.8)
    assert child.stump_height == (0.0, 0.4)
    assert 0.0 <= child.roughness <= 0.6 and _is_tenth(child.roughness)
    assert 0 <= child.seed < 1_000_000


def test_mutation_bounds_and_rounding_over_many_draws():
    rng = np.random.default_rng(123)
    seen_r_steps = set()
    population = [CourseParams.poet_initial()]
    for _ in range(3000):
        parent = population[int(rng.integers(len(population)))]
        child = parent.mutate(rng)
        population.append(child)
        # roughness: +U(-0.6, 0.6) rounded to 0.1, clipped to [0, 10]
        assert 0.0 <= child.roughness <= 10.0 and _is_tenth(child.roughness)
        d = child.roughness - parent.roughness
        assert abs(d) <= 0.6 + 1e-9 or child.roughness in (0.0, 10.0)
        seen_r_steps.add(round(d, 1))
        if parent.pit_gap is None:
            continue
        for iv, parent_iv, inc, hi_min, top in ((child.pit_gap, parent.pit_gap, 0.4, 0.8, 8.0),
                                                 (child.stump_height, parent.stump_height, 0.2, 0.4, 5.0)):
            lo, hi = iv
            assert 0.0 <= lo <= hi <= top and hi >= hi_min
            assert _is_tenth(lo) and _is_tenth(hi)
            moves = (round(lo - parent_iv[0], 1), round(hi - parent_iv[1], 1))
            assert set(moves) <= {-inc, 0.0, inc}
            assert moves != (0.0, 0.0)  # each mutation moves at least one end
    # every roughness step of 0.1 in [-0.6, 0.6] occurs
    assert {round(k / 10, 1) for k in range(-6, 7)} <= seen_r_steps | {-0.0}
    assert max(p.pit_gap[1] for p in population[1:]) > 2.0  # the walk goes somewhere
    assert max(p.stump_height[1] for p in population[1:]) > 1.0


def test_mutation_at_the_top_bound_stays_inside():
    p = CourseParams(roughness=10.0, pit_gap=(8.0, 8.0), stump_height=(5.0, 5.0))
    rng = np.random.default_rng(0)
    for _ in range(200):
        c = p.mutate(rng)
        assert c.roughness >= 9.4
        assert c.pit_gap in {(7.6, 8.0), (7.6, 7.6)}
        assert c.stump_height in {(4.8, 5.0), (4.8, 4.8)}


def test_mutation_is_deterministic_in_rng_and_only_touches_enabled_kinds():
    p = CourseParams(roughness=1.0, pit_gap=(1.0, 2.0), stump_height=(0.4, 0.8), seed=3)
    a = p.mutate(np.random.default_rng(5))
    b = p.mutate(np.random.default_rng(5))
    assert a == b
    only_r = p.mutate(np.random.default_rng(5), kinds=("roughness",))
    assert only_r.pit_gap == p.pit_gap and only_r.stump_height == p.stump_height
    with pytest.raises(ConfigError, match="mutation kinds"):
        p.mutate(np.random.default_rng(0), kinds=("lava",))


# ---------------------------------------------------------------- CPPN ground (Enhanced POET)


def test_cppn_course_height_is_base_plus_f_minus_f0():
    cppn = pytest.importorskip("aiga.envs.walker.cppn")
    genome = cppn.CppnGenome.initial(np.random.default_rng(1))
    for _ in range(3):
        genome = genome.mutate(np.random.default_rng(2))
    params = CourseParams.from_cppn(genome, seed=4)
    c = generate_course(params)
    assert c.obstacles == ()
    mid = TERRAIN_LENGTH * TERRAIN_STEP / 2
    x_ = (np.arange(TERRAIN_LENGTH) * TERRAIN_STEP - mid) * math.pi / mid
    f = genome.altitude(x_)
    y = np.array(c.terrain_y)
    assert np.all(y[: TERRAIN_STARTPAD + 1] == TERRAIN_HEIGHT)
    expected = TERRAIN_HEIGHT + f - f[TERRAIN_STARTPAD + 1]
    # each step either follows the CPPN or (first step of a segment) keeps the previous height
    for i in range(TERRAIN_STARTPAD + 1, TERRAIN_LENGTH):
        assert y[i] == pytest.approx(expected[i], abs=1e-9) or y[i] == y[i - 1]
    follows = sum(abs(y[i] - expected[i]) < 1e-9 for i in range(TERRAIN_STARTPAD + 1, TERRAIN_LENGTH))
    assert follows > 140
    # mutation delegates to the genome; obstacles stay off; JSON round trip
    child = params.mutate(np.random.default_rng(3))
    assert child.cppn is not None and child.cppn != genome and not child.has_obstacles
    assert CourseParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    with pytest.raises(ConfigError, match="no obstacles"):
        CourseParams(cppn=genome, pit_gap=(0.0, 0.8))
