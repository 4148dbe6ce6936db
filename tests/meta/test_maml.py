"""MAML's inner loop: gradients against finite differences and a hand-unrolled case, the sinusoid
sampler, and a short run that must learn to adapt."""

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from aiga.meta.maml import MAMLConfig, Model, inner_adapt, loss_fn, make_maml, mlp  # noqa: E402
from aiga.meta.tasks import SinusoidSampler  # noqa: E402


def _scalar_model():
    """pred = w·x: the inner loop can then be unrolled by hand."""
    return Model(lambda key: {"w": jnp.float32(0.0)}, lambda p, x: p["w"] * x, lambda name: True)


def test_meta_gradient_matches_finite_differences():
    model = mlp((1, 6, 6, 1))
    loss = loss_fn("mse", model)
    params = model.init(jax.random.PRNGKey(0))
    params = jax.tree.map(lambda p: p * 30.0 + 0.05, params)  # away from the tiny init so curvature matters
    task = SinusoidSampler(k_shot=5, k_query=5).sample((), jax.random.PRNGKey(1), 1)
    sx, sy, qx, qy = (a[0] for a in task[:4])

    @jax.jit
    def value(p):
        return loss(inner_adapt(loss, model, p, 0.05, sx, sy, 2, False), qx, qy)[0]

    def meta(p, first_order):
        adapted = inner_adapt(loss, model, p, 0.05, sx, sy, 2, first_order)
        return loss(adapted, qx, qy)[0]

    direction = jax.tree.map(lambda p: jax.random.normal(jax.random.PRNGKey(7), p.shape), params)
    eps = 1e-3
    plus = value(jax.tree.map(lambda p, d: p + eps * d, params, direction))
    minus = value(jax.tree.map(lambda p, d: p - eps * d, params, direction))
    fd = float(plus - minus) / (2 * eps)

    def along(g):
        pairs = zip(jax.tree.leaves(g), jax.tree.leaves(direction), strict=True)
        return float(sum(jnp.vdot(a, b) for a, b in pairs))

    grad = jax.jit(jax.grad(meta), static_argnums=1)
    second = along(grad(params, False))
    first = along(grad(params, True))
    assert second == pytest.approx(fd, rel=2e-2)
    assert abs(first - fd) > 0.05 * abs(fd)  # the first-order gradient is a different quantity


def test_second_and_first_order_match_hand_unrolled_two_steps():
    model = _scalar_model()
    loss = loss_fn("mse", model)
    xs, ys = jnp.array([1.0, 2.0]), jnp.array([1.0, 3.0])   # a = mean(x²) = 2.5, b = mean(xy) = 3.5
    xq, yq = jnp.array([1.0, -1.0]), jnp.array([2.0, 0.0])  # aq = 1, bq = 1
    alpha, w0 = 0.1, 0.3
    a, b, aq, bq = 2.5, 3.5, 1.0, 1.0
    c = 1 - 2 * alpha * a                               # dw_{t+1}/dw_t = 0.5
    w1 = c * w0 + 2 * alpha * b
    w2 = c * w1 + 2 * alpha * b
    dlq = 2 * (aq * w2 - bq)                            # ∂L_query/∂w2
    expected_second = dlq * c * c
    expected_first = dlq

    def meta(w, first_order):
        p = inner_adapt(loss, model, {"w": w}, alpha, xs[:, None], ys[:, None], 2, first_order)
        return loss(p, xq[:, None], yq[:, None])[0]

    assert float(inner_adapt(loss, model, {"w": jnp.float32(w0)}, alpha, xs[:, None], ys[:, None], 2,
                             False)["w"]) == pytest.approx(w2, rel=1e-5)
    assert float(jax.grad(meta)(jnp.float32(w0), False)) == pytest.approx(expected_second, rel=1e-5)
    assert float(jax.grad(meta)(jnp.float32(w0), True)) == pytest.approx(expected_first, rel=1e-5)
    assert expected_second != pytest.approx(expected_first, rel=0.1)

    # Meta-SGD: one step, ∂L_query/∂α = ∂L_query/∂w1 · (−∇L_support(w0))
    def meta_alpha(al):
        p = inner_adapt(loss, model, {"w": jnp.float32(w0)}, {"w": al}, xs[:, None], ys[:, None], 1, False)
        return loss(p, xq[:, None], yq[:, None])[0]

    g0 = 2 * (a * w0 - b)
    w1a = w0 - alpha * g0
    expected_alpha = 2 * (aq * w1a - bq) * -g0
    assert float(jax.grad(meta_alpha)(jnp.float32(alpha))) == pytest.approx(expected_alpha, rel=1e-5)


def test_sinusoid_sampler_ranges():
    s = SinusoidSampler(k_shot=5, k_query=7)
    t = s.sample((), jax.random.PRNGKey(3), 4000)
    assert t.support_x.shape == (4000, 5, 1) and t.query_x.shape == (4000, 7, 1)
    amp, ph = np.asarray(t.info.amplitude), np.asarray(t.info.phase)
    x = np.concatenate([np.asarray(t.support_x), np.asarray(t.query_x)], 1)
    y = np.concatenate([np.asarray(t.support_y), np.asarray(t.query_y)], 1)
    assert 0.1 <= amp.min() < 0.2 and 4.9 < amp.max() <= 5.0
    assert 0.0 <= ph.min() < 0.05 and math.pi - 0.05 < ph.max() <= math.pi
    assert -5.0 <= x.min() < -4.99 and 4.99 < x.max() <= 5.0
    np.testing.assert_allclose(y, amp[:, None, None] * np.sin(x - ph[:, None, None]), atol=1e-5)


def test_short_maml_run_learns_to_adapt():
    cfg = MAMLConfig(iterations=2000, eval_query=50)
    m = make_maml(cfg)
    state, figs = jax.jit(m.train)(jax.random.PRNGKey(0))
    losses, _ = jax.jit(m.evaluate, static_argnums=3)(state.meta_params, (), jax.random.PRNGKey(9), 300)
    losses = np.asarray(losses)
    pre, post1, post10 = losses[:, 0].mean(), losses[:, 1].mean(), losses[:, 10].mean()
    assert post1 < 0.8 * pre and post10 < post1
    assert np.asarray(figs["loss_post"])[-100:].mean() < np.asarray(figs["loss_post"])[:20].mean()


def test_first_order_meta_sgd_variant_trains():
    m = make_maml(MAMLConfig(iterations=30, meta_batch=4, first_order=True, meta_sgd=True, inner_steps=2))
    state, figs = jax.jit(m.train)(jax.random.PRNGKey(1))
    assert np.isfinite(np.asarray(figs["loss_post"])).all()
    a = state.meta_params["alpha"]["w1"]
    assert a.shape == state.meta_params["theta"]["w1"].shape
    assert not np.allclose(np.asarray(a), 0.01)  # α is being learned, even with first-order gradients
