"""OpenAI-ES as POET ran it: ranks, gradient, Adam, schedules, state round trip, proposal."""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy_objectives import Sphere

from aiga.core.config import AigaError, ConfigError
from aiga.core.es import (
    ESConfig,
    ESState,
    adam_step,
    ask,
    centered_ranks,
    es_gradient,
    es_step,
    proposal_step,
    reset_optimizer,
    tell,
)
from aiga.core.noise import perturbation
from aiga.core.workers import InProcessEvaluator


def test_centered_ranks_hand_made():
    np.testing.assert_allclose(centered_ranks(np.array([3.0, 1.0, 2.0, 5.0])), [1 / 6, -1 / 2, -1 / 6, 1 / 2])
    # (pairs, 2): ranked together over all four returns, flattened r+0, r-0, r+1, r-1
    r = centered_ranks(np.array([[10.0, -3.0], [7.0, 8.0]]))
    np.testing.assert_allclose(r, [[0.5, -0.5], [-1 / 6, 1 / 6]])


def test_centered_ranks_ties_follow_flattened_order():
    # ties get distinct ranks in flattened order (stable argsort): 1 (index 0) < 1 (index 1) < 1 (index 3)
    r = centered_ranks(np.array([[1.0, 1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(r, [[-1 / 6, 1 / 6], [-1 / 2, 1 / 2]])
    # all equal: ranks are 0..n-1 in order
    np.testing.assert_allclose(centered_ranks(np.zeros(5)), [-0.5, -0.25, 0.0, 0.25, 0.5])


def test_gradient_hand_computed():
    eps = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    returns = np.array([[4.0, 1.0], [2.0, 3.0]])  # ranks 3,0,1,2 of 3 -> .5,-.5,-1/6,1/6
    # weights: pair 0: 1, pair 1: -1/3; / 2 pairs / sigma 0.5
    np.testing.assert_allclose(es_gradient(returns, eps, 0.5), [1.0, -1 / 3])
    np.testing.assert_allclose(es_gradient(returns, eps, 0.5, normalize_by_sigma=False), [0.5, -1 / 6])


def test_es_step_on_quadratic_matches_hand_loop():
    """One full step on f(θ) = -|θ - c|^2 against a hand-written loop over pairs."""
    dim, pairs, seed, key = 6, 5, 123, (9, 0)
    cfg = ESConfig(pairs=pairs, sigma=0.2, lr=0.05, l2=0.01)
    c = np.random.default_rng(0).standard_normal(dim)  # Sphere(dim, target_seed=0)'s target
    theta0 = np.linspace(-1, 1, dim)
    state = ESState.initial(theta0, cfg)
    new, stats = es_step(state, cfg, Sphere(dim), InProcessEvaluator(), seed, key)

    eps = [perturbation(seed, key, i, dim).astype(np.float64) for i in range(pairs)]
    rets = []
    for e in eps:
        rets += [-np.sum((theta0 + 0.2 * e - c) ** 2), -np.sum((theta0 - 0.2 * e - c) ** 2)]
    order = sorted(range(2 * pairs), key=lambda j: (rets[j], j))
    rank = [0.0] * (2 * pairs)
    for r, j in enumerate(order):
        rank[j] = r / (2 * pairs - 1) - 0.5
    g = sum((rank[2 * i] - rank[2 * i + 1]) * eps[i] for i in range(pairs)) / pairs / 0.2
    adam_in = -g + 0.01 * theta0
    # first Adam step: a = lr*sqrt(1-b2)/(1-b1); m = .1 x; v = .001 x^2
    a = 0.05 * np.sqrt(1 - 0.999) / (1 - 0.9)
    expected = theta0 - a * (0.1 * adam_in) / (np.sqrt(0.001 * adam_in**2) + 1e-8)
    np.testing.assert_allclose(stats.returns.ravel(), rets, rtol=1e-12)
    np.testing.assert_allclose(new.theta, expected, rtol=1e-10, atol=1e-12)
    assert new.t == 1
    # the ascent direction agrees with the true gradient 2(c - θ) of this quadratic
    assert np.dot(g, c - theta0) > 0


def test_adam_two_steps_hand_values():
    cfg = ESConfig()
    theta = np.array([1.0, -2.0])
    th, m, v, t = adam_step(theta, np.zeros(2), np.zeros(2), 0, 0.01, np.array([0.5, -0.25]), cfg)
    assert t == 1
    np.testing.assert_allclose(m, [0.05, -0.025])
    np.testing.assert_allclose(v, [0.00025, 0.0000625])
    np.testing.assert_allclose(th, [1.0 - 0.01, -2.0 + 0.01], rtol=1e-6)  # first Adam step: lr * sign
    th2, m2, v2, t2 = adam_step(th, m, v, t, 0.01, np.array([0.1, 0.3]), cfg)
    assert t2 == 2
    np.testing.assert_allclose(m2, [0.055, 0.0075])
    np.testing.assert_allclose(v2, [0.00025975, 0.0001524375])
    np.testing.assert_allclose(th2 - th, [-0.008030404801668034, -0.0014294461487698825], rtol=1e-9)


def test_lr_and_sigma_decay_after_each_step_with_floors():
    cfg = ESConfig(pairs=2, lr=0.01, lr_decay=0.5, lr_floor=0.003,
                   sigma=0.1, sigma_decay=0.25, sigma_floor=0.01)
    state = ESState.initial(np.ones(3), cfg)
    lrs, sigmas = [], []
    for step in range(4):
        a = ask(state, cfg, 0, (step,))
        sigmas.append(a.sigma)  # the sigma this step perturbs with
        lrs.append(state.lr)
        state, _ = tell(state, cfg, a, np.array([[1.0, 0.0], [0.0, 1.0]]), np.ones((2, 2)))
    assert lrs == [0.01, 0.005, 0.003, 0.003]
    assert sigmas == [0.1, 0.025, 0.01, 0.01]
    # reference defaults: one step multiplies by the decay once
    d = ESConfig()
    s = ESState.initial(np.ones(3), d)
    s, _ = tell(s, d, ask(s, d, 0, (0,)), np.zeros((256, 2)), np.ones((256, 2)))
    assert (s.lr, s.sigma) == (0.01 * 0.9999, 0.1 * 0.999)


def test_state_round_trip_and_reset():
    cfg = ESConfig(pairs=3)
    state = ESState.initial(np.arange(4.0), cfg)
    state, _ = es_step(state, cfg, Sphere(4), InProcessEvaluator(), 5, (1,))
    meta = json.loads(json.dumps(state.meta()))
    back = ESState.from_arrays({k: v.copy() for k, v in state.to_arrays("n0/").items()}, meta, "n0/")
    assert back.t == state.t and back.lr == state.lr and back.sigma == state.sigma
    for a, b in zip((state.theta, state.m, state.v), (back.theta, back.m, back.v), strict=True):
        assert a.tobytes() == b.tobytes()
    r = reset_optimizer(state, cfg)
    assert r.t == 0 and r.lr == cfg.lr and r.sigma == cfg.sigma and not r.m.any() and not r.v.any()
    assert r.theta.tobytes() == state.theta.tobytes()
    with pytest.raises(AigaError):
        ESState.from_arrays({"theta": np.zeros(3)}, meta)


def test_proposal_leaves_owner_untouched_and_sgd_matches_hand():
    cfg = ESConfig(pairs=4, propose_with_adam=False, lr=0.02)
    owner = ESState.initial(np.zeros(5), cfg)
    owner, _ = es_step(owner, cfg, Sphere(5), InProcessEvaluator(), 1, (0,))
    before = (owner.theta.copy(), owner.m.copy(), owner.v.copy(), owner.t, owner.lr, owner.sigma)
    foreign = np.full(5, 0.3)
    proposed, stats = proposal_step(foreign, owner, cfg, Sphere(5), InProcessEvaluator(), 1, (7,))
    eps = np.stack([perturbation(1, (7,), i, 5) for i in range(4)])
    g = es_gradient(stats.returns, eps, owner.sigma)
    np.testing.assert_allclose(proposed, foreign - 0.02 * (-g + 0.01 * foreign), rtol=1e-12)
    after = (owner.theta, owner.m, owner.v, owner.t, owner.lr, owner.sigma)
    assert all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))
    # with Adam: the step the owner would take from its m, v at its current t (no increment)
    cfg_a = ESConfig(pairs=4, propose_with_adam=True)
    p2, st2 = proposal_step(foreign, owner, cfg_a, Sphere(5), InProcessEvaluator(), 1, (7,))
    grad = -es_gradient(st2.returns, eps, owner.sigma) + 0.01 * foreign
    m = 0.9 * owner.m + 0.1 * grad
    v = 0.999 * owner.v + 0.001 * grad**2
    a = owner.lr * np.sqrt(1 - 0.999**owner.t) / (1 - 0.9**owner.t)
    np.testing.assert_allclose(p2, foreign - a * m / (np.sqrt(v) + 1e-8), rtol=1e-12)


def test_config_validation_is_one_line():
    with pytest.raises(ConfigError, match="pairs"):
        ESConfig(pairs=0)
    with pytest.raises(ConfigError, match="sigma_decay"):
        ESConfig(sigma_decay=1.5)
