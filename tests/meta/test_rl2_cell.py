"""RL²'s layer-normed GRU cell (pytorch_rl2's) and the entropy and learning-rate schedules, against values
computed by hand."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from aiga.meta.rl2 import (  # noqa: E402
    RL2Config,
    entropy_schedule,
    gru_cell,
    init_network,
    layer_norm,
    lr_schedule,
    make_rl2,
)


def test_layer_norm_by_hand():
    # x = [1, 2, 3, 6]: mean 3, centred [-2, -1, 0, 3], variance 14/4 = 3.5
    s = np.sqrt(3.5)
    out = layer_norm(jnp.array([1.0, 2.0, 3.0, 6.0]), jnp.array([1.0, 2.0, 1.0, 1.0]),
                     jnp.array([0.0, 0.0, 1.0, 0.0]))
    np.testing.assert_allclose(np.asarray(out), [-2 / s, -2 / s, 1.0, 3 / s], rtol=1e-6)


def _cell_params(b_hn):
    return {
        "wx_zr": jnp.array([[1.0, 3.0]]), "wh_zr": jnp.array([[0.5, -0.5]]),
        "wx_n": jnp.array([[1.0]]), "wh_n": jnp.array([[1.0]]),
        "ln_x_zr_g": jnp.array([1.0, 1.0]), "ln_x_zr_b": jnp.array([0.0, 0.0]),
        "ln_h_zr_g": jnp.array([2.0, 1.0]), "ln_h_zr_b": jnp.array([0.0, 0.5]),
        "ln_x_n_g": jnp.array([1.0]), "ln_x_n_b": jnp.array([0.3]),
        "ln_h_n_g": jnp.array([1.0]), "ln_h_n_b": jnp.array([b_hn]),
    }


@pytest.mark.parametrize(("b_hn", "expect"), [
    # x = 2, h = 1. Gates: LN([2, 6]) = [-1, 1]; LN([0.5, -0.5]) ⊙ [2, 1] + [0, 0.5] = [2, -0.5];
    # [z, r] = [1, 0.5]; z = σ(1 − forget bias 1) = 0.5, r = σ(0.5). A one-unit layer norm returns its
    # shift, so ĥ = ReLU(0.3 + r·b_hn) and h' = (1 − z)·1 + z·ĥ.
    (-0.2, 0.5 + 0.5 * (0.3 - 0.2 / (1 + np.exp(-0.5)))),
    (-1.0, 0.5),  # ĥ = ReLU(0.3 − 0.62) = 0: the candidate is clipped at zero
])
def test_layer_norm_gru_cell_by_hand(b_hn, expect):
    h = gru_cell(_cell_params(b_hn), jnp.array([1.0]), jnp.array([2.0]))
    np.testing.assert_allclose(np.asarray(h), [expect], rtol=1e-6)


def test_layer_norm_network_layout_and_zero_state():
    params = init_network(jax.random.PRNGKey(0), 9, 16, 5, layer_norm=True)
    p = params["policy"]
    assert {"gru_wi", "gru_bi"}.isdisjoint(p)  # no linear biases: the layer norms' shifts take their place
    assert p["wx_zr"].shape == (9, 32) and p["wh_n"].shape == (16, 16)
    np.testing.assert_allclose(np.asarray(p["wh_n"] @ p["wh_n"].T), np.eye(16), atol=1e-5)  # orthogonal
    # from the zero state the recurrent layer norms see zeros and return their shifts (zero), so
    # h' = σ(LN(W_zr x)_z − 1) ⊙ ReLU(LN(W_n x)): non-negative, and finite despite the zero variance
    x = jnp.arange(9.0) / 9
    h = np.asarray(gru_cell(p, jnp.zeros(16), x))
    zr = np.asarray(layer_norm(x @ p["wx_zr"], p["ln_x_zr_g"], p["ln_x_zr_b"]))
    n = np.maximum(np.asarray(layer_norm(x @ p["wx_n"], p["ln_x_n_g"], p["ln_x_n_b"])), 0)
    np.testing.assert_allclose(h, n / (1 + np.exp(-(zr[:16] - 1))), rtol=1e-5, atol=1e-7)
    assert (h >= 0).all() and np.isfinite(h).all()


def test_entropy_schedule_values():
    cfg = RL2Config(entropy_coef=0.05, entropy_final=0.0, entropy_decay=100)
    got = [float(entropy_schedule(cfg, i)) for i in (0, 50, 75, 100, 400)]
    np.testing.assert_allclose(got, [0.05, 0.025, 0.0125, 0.0, 0.0], atol=1e-8)
    const = RL2Config(entropy_coef=0.03, entropy_final=0.0, entropy_decay=0)
    assert float(entropy_schedule(const, 10_000)) == pytest.approx(0.03)


def test_lr_schedule_values():
    cfg = RL2Config(lr=1e-3, lr_final=1e-4, lr_decay=10, epochs=4, minibatches=4)
    sched = lr_schedule(cfg, 16)  # 16 Adam steps per PPO iteration, 160 over the decay
    np.testing.assert_allclose([float(sched(s)) for s in (0, 80, 160, 1000)], [1e-3, 5.5e-4, 1e-4, 1e-4],
                               rtol=1e-5)
    assert lr_schedule(RL2Config(lr=2e-3, lr_decay=0), 16) == 2e-3  # no decay: a constant
    assert lr_schedule(RL2Config(lr=2e-3, lr_final=-1.0), 16) == 2e-3  # final = lr: a constant


def test_training_follows_the_entropy_schedule():
    cfg = RL2Config(arms=2, episodes=3, hidden=4, trials=4, minibatches=2, iterations=4, layer_norm=True,
                    entropy_coef=0.04, entropy_final=0.0, entropy_decay=2)
    state, figs = jax.jit(make_rl2(cfg).train)(jax.random.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(figs["entropy_coef"]), [0.04, 0.02, 0.0, 0.0], atol=1e-8)
    assert int(state.iteration) == 4
