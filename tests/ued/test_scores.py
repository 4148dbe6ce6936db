"""Regret and level scores against hand-computed values (incl. the references' swapped mean/max bug)."""

import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from aiga.ued import scores as _scores  # noqa: E402


class scores:  # noqa: N801  jitted once each: far fewer compilations than op-by-op dispatch
    episode_returns = jax.jit(_scores.episode_returns)
    positive_value_loss = jax.jit(_scores.positive_value_loss)
    max_mc = jax.jit(_scores.max_mc)
    paired_regret = staticmethod(_scores.paired_regret)
    true_regret = staticmethod(_scores.true_regret)


def col(*xs):
    return jnp.asarray(np.array(xs, np.float32)[:, None])


def test_episode_returns_mean_max_count():
    dones = col(0, 0, 1, 0, 0, 1).astype(bool)
    rewards = col(0, 0, 0.8, 0, 0, 0.5)
    mean, best, n = scores.episode_returns(dones, rewards)
    assert float(mean[0]) == pytest.approx(0.65) and float(best[0]) == pytest.approx(0.8) and int(n[0]) == 2


def test_paired_regret_is_antagonist_max_minus_protagonist_mean():
    # antagonist episodes 0.9 and 0.1 (max 0.9, mean 0.5); protagonist 0.6 and 0.2 (max 0.6, mean 0.4)
    d = col(0, 1, 0, 1).astype(bool)
    _, ant_max, _ = scores.episode_returns(d, col(0, 0.9, 0, 0.1))
    pro_mean, _, _ = scores.episode_returns(d, col(0, 0.6, 0, 0.2))
    regret = float(scores.paired_regret(ant_max, pro_mean)[0])
    assert regret == pytest.approx(0.9 - 0.4)
    # jaxued before Aug 2024 computed antagonist mean - protagonist max = 0.5 - 0.6 = -0.1
    assert regret != pytest.approx(0.5 - 0.6)


def test_paired_regret_clipping():
    assert float(scores.paired_regret(jnp.array([0.2]), jnp.array([0.7]))[0]) == pytest.approx(-0.5)
    assert float(scores.paired_regret(jnp.array([0.2]), jnp.array([0.7]), clip=True)[0]) == 0.0
    assert float(scores.paired_regret(jnp.array([0.7]), jnp.array([0.2]), clip=True)[0]) == pytest.approx(0.5)


def test_positive_value_loss_per_episode_average():
    dones = col(0, 0, 1, 0, 0, 1).astype(bool)
    adv = col(1, -1, 2, 0.5, 0.5, -3)
    # episode 1: (1 + 0 + 2) / 3 = 1; episode 2: (0.5 + 0.5 + 0) / 3 = 1/3; mean 2/3
    assert float(scores.positive_value_loss(dones, adv)[0]) == pytest.approx(2 / 3)


def test_max_mc():
    dones = col(0, 0, 1, 0, 0, 1).astype(bool)
    values = col(0.2, 0.4, 0.6, 0.1, 0.3, 0.5)
    # max return 0.8: episode 1 mean(0.6, 0.4, 0.2) = 0.4, episode 2 mean(0.7, 0.5, 0.3) = 0.5
    assert float(scores.max_mc(dones, values, jnp.array([0.8]))[0]) == pytest.approx(0.45)


def test_incomplete_episode_scores_minus_inf():
    dones = col(0, 0, 0).astype(bool)
    assert float(scores.max_mc(dones, col(0.1, 0.2, 0.3), jnp.array([1.0]))[0]) == -np.inf
    assert float(scores.positive_value_loss(dones, col(1, 1, 1))[0]) == -np.inf


def test_true_regret():
    assert float(scores.true_regret(jnp.array(0.9), jnp.array(0.25))) == pytest.approx(0.65)
