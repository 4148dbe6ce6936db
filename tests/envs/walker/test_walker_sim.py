"""The Box2D walker simulator: observation, reward, episode ends, determinism, fast == reference step."""

import math

import numpy as np
import pytest

from aiga.core.policy import MLPPolicy
from aiga.envs.walker.box2d_env import WalkerCourseSim
from aiga.envs.walker.constants import LIDAR_RANGE, TERRAIN_HEIGHT, TERRAIN_STEP
from aiga.envs.walker.terrain import CourseParams

HARD = CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=0)
POLICY = MLPPolicy()


def _rollout(sim, theta, reference=False, limit=10_000):
    obs = sim.reset(reference=reference)
    traj, rewards = [obs], []
    for _ in range(limit):
        a = POLICY.act(theta, obs)
        obs, r, terminated, truncated = (sim.step_reference(a) if reference else sim.step(a))
        traj.append(obs)
        rewards.append(r)
        if terminated or truncated:
            break
    return np.array(traj), np.array(rewards)


def _settle(sim, n=60):
    obs = sim.reset()
    for _ in range(n):
        obs, *_ = sim.step([0.0, 0.0, 0.0, 0.0])
    return obs


def test_observation_layout_on_a_standing_walker():
    sim = WalkerCourseSim(CourseParams.flat(seed=0))
    obs = _settle(sim)
    assert obs.shape == (24,) and obs.dtype == np.float64
    hull, j = sim.hull, sim.joints
    assert obs[0] == hull.angle
    assert obs[1] == 2.0 * hull.angularVelocity / 50
    assert obs[2] == pytest.approx(0.3 * hull.linearVelocity.x * (600 / 30) / 50, abs=1e-12)
    assert obs[3] == pytest.approx(0.3 * hull.linearVelocity.y * (400 / 30) / 50, abs=1e-12)
    assert obs[4] == j[0].angle and obs[9] == j[2].angle
    assert obs[5] == j[0].speed / 4 and obs[10] == j[2].speed / 4
    assert obs[6] == j[1].angle + 1.0 and obs[11] == j[3].angle + 1.0
    assert obs[7] == j[1].speed / 6 and obs[12] == j[3].speed / 6
    # standing on flat ground: both feet touch it, the hull does not
    assert obs[8] == 1.0 and obs[13] == 1.0 and not sim.game_over
    # joint limits hold: hip in [-0.8, 1.1], knee in [-1.6, -0.1] (obs holds knee + 1)
    assert -0.8 - 0.05 <= obs[4] <= 1.1 + 0.05 and -0.6 - 0.05 <= obs[6] <= 0.9 + 0.05
    # lidar on flat ground at height H: ray i leaves the hull at angle 1.5 i / 10 from straight down,
    # so it meets the ground after (y_hull - H) / cos(angle), a fraction of LIDAR_RANGE (hand geometry)
    y = hull.position.y
    for i in range(10):
        expected = (y - TERRAIN_HEIGHT) / math.cos(1.5 * i / 10) / LIDAR_RANGE
        expected = min(expected, 1.0)
        assert obs[14 + i] == pytest.approx(expected, abs=2e-5), i
    assert obs[14] < obs[20] < obs[23]  # sweeping forward, the rays get longer
    points = sim.lidar_points()
    assert len(points) == 10 and points[3][1][0] > points[0][1][0]


def test_reward_formula_on_a_scripted_move():
    sim = WalkerCourseSim(CourseParams.flat(seed=0))
    _settle(sim, 5)
    x0, a0 = sim.hull.position.x, sim.hull.angle
    action = [2.0, -0.5, 0.0, 1.0]  # |a| above 1 costs as 1
    _obs, r, terminated, _ = sim.step(action)
    x1, a1 = sim.hull.position.x, sim.hull.angle
    shaping = lambda x, ang: 130 * x / 30 - 5.0 * abs(ang)  # noqa: E731
    cost = 0.00035 * 80 * (1.0 + 0.5 + 0.0 + 1.0)
    assert r == pytest.approx(shaping(x1, a1) - shaping(x0, a0) - cost, abs=1e-12)
    assert not terminated


def test_fall_gives_minus_100_and_ends():
    sim = WalkerCourseSim(CourseParams.flat(seed=0))
    _traj, rewards = _rollout(sim, POLICY.init(np.random.default_rng(0)))
    assert rewards[-1] == -100.0 and sim.game_over and sim.done and not sim.finished
    assert len(rewards) < 2000
    with pytest.raises(RuntimeError, match="reset"):
        sim.step([0, 0, 0, 0])


def _shift_walker(sim, dx, dy=0.0):
    for body in (sim.hull, *sim.legs):
        body.position = (body.position.x + dx, body.position.y + dy)


def test_moving_back_past_zero_and_passing_the_end():
    sim = WalkerCourseSim(CourseParams.flat(seed=0))
    sim.reset()
    _shift_walker(sim, -sim.hull.position.x - 0.5)
    _, r, terminated, _ = sim.step([0, 0, 0, 0])
    assert sim.hull.position.x < 0
    assert r == -100.0 and terminated
    sim.reset()
    end = 190 * TERRAIN_STEP
    _shift_walker(sim, end + 0.5 - sim.hull.position.x, 0.3)
    _, r, terminated, truncated = sim.step([0, 0, 0, 0])
    assert terminated and not truncated and sim.finished and r != -100.0


def test_step_cap_truncates():
    sim = WalkerCourseSim(CourseParams.flat(seed=0), max_steps=40)
    sim.reset()
    for t in range(40):
        _, _, terminated, truncated = sim.step([0, 0, 0, 0])
        assert not terminated
        assert truncated == (t == 39)


def test_same_seed_same_trajectory_and_push_depends_on_seed():
    theta = POLICY.init(np.random.default_rng(3))
    a, ra = _rollout(WalkerCourseSim(HARD), theta, limit=400)
    b, rb = _rollout(WalkerCourseSim(HARD), theta, limit=400)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ra, rb)
    # resetting the same simulator replays the same episode
    sim = WalkerCourseSim(HARD)
    _rollout(sim, POLICY.init(np.random.default_rng(9)), limit=400)
    c, _ = _rollout(sim, theta, limit=400)
    np.testing.assert_array_equal(a, c)
    other = WalkerCourseSim(CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=1))
    assert other.course.push != sim.course.push
    d, _ = _rollout(other, theta, limit=400)
    assert d.shape != a.shape or not np.array_equal(d, a)


@pytest.mark.parametrize("params", [CourseParams.flat(seed=2), HARD,
                                    CourseParams(roughness=2.0, pit_gap=(1.0, 2.5), stump_height=(0.4, 1.0),
                                                 seed=11)])
def test_fast_step_equals_reference_step(params):
    # the plain-float step and fast world build vs the transcription of the reference's _step with
    # pybox2d's keyword interface: bit-identical observations and rewards over whole episodes
    for k in range(4):
        theta = POLICY.init(np.random.default_rng(k)) * (1 + 2 * (k % 2))
        fast_obs, fast_r = _rollout(WalkerCourseSim(params), theta, reference=False, limit=600)
        ref_obs, ref_r = _rollout(WalkerCourseSim(params), theta, reference=True, limit=600)
        np.testing.assert_array_equal(fast_obs, ref_obs)
        np.testing.assert_array_equal(fast_r, ref_r)


def test_render_geometry():
    sim = WalkerCourseSim(HARD)
    sim.reset()
    terrain = sim.terrain_polygons()
    bodies = sim.body_polygons()
    assert len(terrain) == 199 + len(sim.course.obstacles)
    assert len(bodies) == 5
    hull_poly, colour = bodies[-1]
    assert len(hull_poly) == 5 and colour == (0.5, 0.4, 0.9)
    xs = [p[0] for p in hull_poly]
    assert min(xs) < sim.hull.position.x < max(xs)
