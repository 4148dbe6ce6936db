"""The gymnasium face (aiga/WalkerCourse-v0) and batched evaluation on one course."""

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import aiga.envs.walker  # noqa: F401  (registers the environment)
from aiga.core.config import ConfigError
from aiga.core.policy import MLPPolicy
from aiga.envs.walker.box2d_env import WalkerCourseSim
from aiga.envs.walker.evaluate import CourseObjective, evaluate_batch
from aiga.envs.walker.terrain import CourseParams

POLICY = MLPPolicy()


def test_gymnasium_env_checker_passes():
    env = gym.make("aiga/WalkerCourse-v0", params={"roughness": 2.0, "pit_gap": [1.0, 2.0], "seed": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the infinite observation bounds (as the reference's) warn
        check_env(env.unwrapped)
    obs, info = env.reset(seed=0)
    assert obs.shape == (24,) and obs.dtype == np.float32 and info == {"finished": False}
    obs2, r, terminated, truncated, info = env.step(env.action_space.sample())
    assert obs2.dtype == np.float32 and isinstance(r, float) and "finished" in info


def test_gym_env_params_at_make_and_reset_match_the_simulator():
    params = CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=1)
    env = gym.make("aiga/WalkerCourse-v0").unwrapped
    obs, _ = env.reset(options={"params": params.to_dict()})
    sim = WalkerCourseSim(params)
    np.testing.assert_array_equal(obs, sim.reset().astype(np.float32))
    assert env.params == params
    env2 = gym.make("aiga/WalkerCourse-v0", params=params, max_steps=3).unwrapped
    env2.reset()
    outs = [env2.step(np.zeros(4, dtype=np.float32)) for _ in range(3)]
    assert [o[3] for o in outs] == [False, False, True]
    with pytest.raises(ConfigError, match="roughness"):
        gym.make("aiga/WalkerCourse-v0", params={"roughness": 20})


def _one_at_a_time(params, thetas, max_steps):
    returns, lengths = [], []
    for theta in thetas:
        sim = WalkerCourseSim(params, max_steps=max_steps)
        obs = sim.reset()
        total, n = 0.0, 0
        while True:
            obs, r, terminated, truncated = sim.step(POLICY.act(theta, obs))
            total += r
            n += 1
            if terminated or truncated:
                break
        returns.append(total)
        lengths.append(n)
    return np.array(returns), np.array(lengths)


def test_batched_evaluation_equals_one_at_a_time():
    params = CourseParams(roughness=1.5, pit_gap=(0.4, 1.2), stump_height=(0.2, 0.6), seed=5)
    rng = np.random.default_rng(0)
    thetas = np.stack([POLICY.init(rng) * s for s in (1, 3, 1, 5, 0.3)])
    ret_b, len_b = evaluate_batch(params, thetas, max_steps=300)
    ret_1, len_1 = _one_at_a_time(params, thetas, 300)
    np.testing.assert_array_equal(ret_b, ret_1)
    np.testing.assert_array_equal(len_b, len_1)
    assert len(set(len_b.tolist())) > 1  # walkers really dropped out at different steps
    assert len_b.max() <= 300


def test_course_objective_pickles_and_caches_by_params():
    params = CourseParams(roughness=1.0, seed=2)
    obj = CourseObjective(params, max_steps=50)
    clone = pickle.loads(pickle.dumps(obj))
    assert clone.cache_key() == obj.cache_key()
    assert CourseObjective(CourseParams(roughness=1.0, seed=3), 50).cache_key() != obj.cache_key()
    assert CourseObjective(params, 60).cache_key() != obj.cache_key()
    thetas = np.stack([POLICY.init(np.random.default_rng(i)) for i in range(2)])
    r1, l1 = clone.build()(thetas)
    r2, l2 = evaluate_batch(params, thetas, max_steps=50)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(l1, l2)
