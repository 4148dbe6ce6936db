"""Bandit and MDP environments against hand-computed transitions; Gittins indices against a hand
computation and Gittins' published table; the baselines on tasks whose answer is known."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from aiga.core.config import AigaError  # noqa: E402
from aiga.meta.bandits import BernoulliBandit  # noqa: E402
from aiga.meta.baselines import (  # noqa: E402
    bandit_baselines,
    gittins_index_discounted,
    gittins_table,
    mdp_baselines,
)
from aiga.meta.mdps import MDPParams, TabularMDP, value_iteration  # noqa: E402


def test_bandit_rewards_follow_arm_probabilities():
    env = BernoulliBandit(k=3, n=10)
    probs = jnp.array([0.0, 1.0, 0.3])
    keys = jax.random.split(jax.random.PRNGKey(0), 4000)
    step = jax.jit(jax.vmap(lambda k, a: env.step(k, probs, jnp.int32(0), a)[2], in_axes=(0, None)))
    assert float(step(keys, 0).max()) == 0.0
    assert float(step(keys, 1).min()) == 1.0
    assert float(step(keys, 2).mean()) == pytest.approx(0.3, abs=0.03)
    p = np.asarray(jax.jit(jax.vmap(env.sample_params))(keys))
    assert p.shape == (4000, 3) and float(p.min()) >= 0 and float(p.max()) <= 1
    assert float(p.mean()) == pytest.approx(0.5, abs=0.02)


def test_mdp_transitions_and_rewards_by_hand():
    env = TabularMDP(num_states=3, num_actions=2, episode_length=4, noise_std=0.0)
    # action 0 stays, action 1 moves s -> s+1 mod 3; from state 2, action 0 goes to 0 w.p. 0.25, 1 w.p. 0.75
    trans = np.zeros((3, 2, 3), np.float32)
    for s in range(3):
        trans[s, 0, s] = 1.0
        trans[s, 1, (s + 1) % 3] = 1.0
    trans[2, 0] = [0.25, 0.75, 0.0]
    rew = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    params = MDPParams(jnp.asarray(trans), jnp.asarray(rew))
    s0, o0 = env.reset(params)
    assert int(s0) == 0 and int(o0) == 0
    k = jax.random.PRNGKey(0)
    s, o, r = env.step(k, params, jnp.int32(0), jnp.int32(1))
    assert (int(s), int(o), float(r)) == (1, 1, 2.0)
    s, o, r = env.step(k, params, jnp.int32(1), jnp.int32(0))
    assert (int(s), float(r)) == (1, 3.0)
    nxt = jax.jit(jax.vmap(lambda kk: env.step(kk, params, jnp.int32(2), jnp.int32(0))[0]))(
        jax.random.split(k, 4000))
    assert float((nxt == 0).mean()) == pytest.approx(0.25, abs=0.03) and int(nxt.max()) == 1
    noisy = TabularMDP(num_states=3, num_actions=2)
    noisy_step = jax.jit(jax.vmap(lambda kk: noisy.step(kk, params, jnp.int32(2), jnp.int32(1))[2]))
    rs = noisy_step(jax.random.split(k, 4000))
    assert float(rs.mean()) == pytest.approx(6.0, abs=0.1) and float(rs.std()) == pytest.approx(1.0, abs=0.1)
    # hand value iteration, horizon 2: Q1 = R; Q0(s, a) = R(s, a) + Σ P(s'|s,a) max_a' R(s', a')
    q = np.asarray(value_iteration(params.transitions, params.rewards, 2))
    np.testing.assert_allclose(q[1], rew)
    np.testing.assert_allclose(q[0, 0], [1 + 2, 2 + 4])
    np.testing.assert_allclose(q[0, 2], [5 + 0.25 * 2 + 0.75 * 4, 6 + 2])


def test_mdp_sampler_matches_duan_et_al():
    env = TabularMDP()
    keys = jax.random.split(jax.random.PRNGKey(1), 1000)
    p = jax.tree.map(np.asarray, jax.jit(jax.vmap(env.sample_params))(keys))
    assert p.transitions.shape == (1000, 10, 5, 10) and p.rewards.shape == (1000, 10, 5)
    np.testing.assert_allclose(p.transitions.sum(-1), 1.0, atol=1e-5)
    assert float(p.transitions.mean()) == pytest.approx(0.1, abs=1e-3)
    # flat Dirichlet(1) over 10 states: each entry is Beta(1, 9), variance 9 / (100 · 11)
    assert float(p.transitions.var()) == pytest.approx(9 / 1100, rel=0.05)
    assert float(p.rewards.mean()) == pytest.approx(1.0, abs=0.02)
    assert float(p.rewards.std()) == pytest.approx(1.0, abs=0.02)


def test_finite_horizon_gittins_by_hand():
    g = gittins_table(3)
    assert g[0, 0, 1] == pytest.approx(0.5)          # one pull left: the posterior mean
    assert g[1, 0, 1] == pytest.approx(2 / 3) and g[0, 1, 1] == pytest.approx(1 / 3)
    # two pulls left, Beta(1,1): 1/2 + 1/2·max(2/3, λ) + 1/2·max(1/3, λ) = 2λ  =>  λ = 5/9
    assert g[0, 0, 2] == pytest.approx(5 / 9, abs=1e-6)
    assert g[0, 0, 3] > g[0, 0, 2] > g[0, 0, 1]      # a longer horizon makes information worth more
    with pytest.raises(AigaError):
        gittins_table(10_000)


def test_discounted_gittins_against_published_table():
    # Gittins, Glazebrook & Weber (2011), Bernoulli arms, uniform prior Beta(1, 1)
    assert gittins_index_discounted(1, 1, 0.9) == pytest.approx(0.7029, abs=2e-4)
    assert gittins_index_discounted(1, 1, 0.99) == pytest.approx(0.8699, abs=2e-4)
    assert gittins_index_discounted(3, 2, 0.0) == pytest.approx(0.6, abs=1e-6)  # myopic: the mean


def test_gittins_policy_finds_the_good_arm():
    from aiga.meta.baselines import bandit_policy, run_bandit

    pol = bandit_policy("gittins", 30, jnp.asarray(gittins_table(30), dtype=jnp.float32))
    totals = jax.jit(jax.vmap(lambda k: run_bandit(pol, jnp.array([0.05, 0.95]), 30, k)))(
        jax.random.split(jax.random.PRNGKey(0), 300))
    assert float(totals.mean()) > 25.0  # 28.5 if it always pulled the good arm; 15 at random


@pytest.mark.slow
def test_bandit_baselines_on_an_obvious_bandit():
    probs = jnp.tile(jnp.array([[0.05, 0.95]]), (300, 1))
    out = bandit_baselines(probs, 30, jax.random.PRNGKey(0))
    assert set(out) == {"random", "gittins", "thompson", "ucb1"}
    assert out["random"].mean() == pytest.approx(15.0, abs=1.0)
    for name in ("gittins", "thompson", "ucb1"):
        assert out[name].mean() > 24.0, name
    assert out["gittins"].mean() > out["ucb1"].mean()


@pytest.mark.slow
def test_mdp_baselines_order():
    env = TabularMDP(episodes=5)
    params = jax.vmap(env.sample_params)(jax.random.split(jax.random.PRNGKey(2), 300))
    out = mdp_baselines(env, params, jax.random.PRNGKey(3))
    r, p, o = out["random"].mean(), out["psrl"].mean(), out["optimal"].mean()
    assert r == pytest.approx(50.0, abs=3.0)  # 5 episodes × 10 steps × mean reward 1
    assert r < p < o
