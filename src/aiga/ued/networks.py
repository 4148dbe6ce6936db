"""The student and adversary networks of the UED references, in plain JAX (parameters are dicts of arrays).

Student (identical in dcd ``models/multigrid_models.py``, minimax ``models/maze``, jaxued
``examples/maze_plr.py``): the 5×5×3 view (divided by 10, jaxued's ``normalize_obs``) → 3×3 conv, 16
filters, valid, ReLU → flatten (144) ‖ one-hot direction → dense 5 → LSTM 256 (state reset at episode
starts) → actor dense 32 ReLU → 7 logits; critic dense 32 ReLU → 1. Initialisation as jaxued: orthogonal
(gain √2 direction embedding, 2 hidden heads, 0.01 policy output, 1 value output), LeCun-normal conv and
LSTM input kernel, orthogonal recurrent kernel, zero biases.

Adversary (PAIRED's teacher; dcd ``MultigridNetwork`` for the adversary, jaxued ``maze_paired.py``): the
full 13×13×3 map → 3×3 conv with 128 filters, ReLU, flatten ‖ one-hot time step → dense 10 ‖ noise ``z``
→ LSTM 256 → dense 32 → 169 tile logits; critic dense 32 → 1.

The conv is written as one matrix product over 3×3 patches (im2col): on a 5×5 input that is much faster
on a CPU than a general convolution, and exactly the same function.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Params = dict[str, Any]
HIDDEN = 256


def _orth(key: jax.Array, shape: tuple[int, int], gain: float) -> jax.Array:
    return jax.nn.initializers.orthogonal(gain)(key, shape, jnp.float32)


def _lecun(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return jax.nn.initializers.lecun_normal()(key, shape, jnp.float32)


def _dense(key: jax.Array, n_in: int, n_out: int, gain: float | None) -> Params:
    w = _lecun(key, (n_in, n_out)) if gain is None else _orth(key, (n_in, n_out), gain)
    return {"w": w, "b": jnp.zeros(n_out, jnp.float32)}


def _apply_dense(p: Params, x: jax.Array) -> jax.Array:
    return x @ p["w"] + p["b"]


def _lstm_init(key: jax.Array, n_in: int, hidden: int = HIDDEN) -> Params:
    ki, kh = jax.random.split(key)
    # Four gates (input, forget, cell, output), recurrent kernels orthogonal per gate as flax does.
    wh = jnp.concatenate([_orth(k, (hidden, hidden), 1.0) for k in jax.random.split(kh, 4)], axis=1)
    return {"wi": _lecun(ki, (n_in, 4 * hidden)), "wh": wh, "b": jnp.zeros(4 * hidden, jnp.float32)}


def lstm_cell(p: Params, carry: tuple[jax.Array, jax.Array], xw: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One LSTM step; ``xw`` is the input already multiplied by ``wi`` (done for all steps at once)."""
    c, h = carry
    z = xw + h @ p["wh"] + p["b"]
    i, f, g, o = jnp.split(z, 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return c, h


def initial_carry(batch: int, hidden: int = HIDDEN) -> tuple[jax.Array, jax.Array]:
    return jnp.zeros((batch, hidden), jnp.float32), jnp.zeros((batch, hidden), jnp.float32)


def _patches(x: jax.Array) -> jax.Array:
    """[..., H, W, C] -> [..., (H-2)·(W-2), 9·C]: the 3×3 valid-conv patches, row-major."""
    h, w = x.shape[-3], x.shape[-2]
    cols = [x[..., i:i + h - 2, j:j + w - 2, :] for i in range(3) for j in range(3)]
    p = jnp.stack(cols, axis=-2)  # [..., H-2, W-2, 9, C]
    return p.reshape(*x.shape[:-3], (h - 2) * (w - 2), 9 * x.shape[-1])


def _conv_init(key: jax.Array, c_in: int, c_out: int) -> Params:
    w = _lecun(key, (3, 3, c_in, c_out)).reshape(9 * c_in, c_out)
    return {"w": w, "b": jnp.zeros(c_out, jnp.float32)}


def _conv(p: Params, x: jax.Array) -> jax.Array:
    y = jax.nn.relu(_patches(x) @ p["w"] + p["b"])
    return y.reshape(*y.shape[:-2], -1)


def _heads_init(key: jax.Array, n_actions: int, hidden: int) -> Params:
    k = jax.random.split(key, 4)
    return {"actor0": _dense(k[0], hidden, 32, 2.0), "actor1": _dense(k[1], 32, n_actions, 0.01),
            "critic0": _dense(k[2], hidden, 32, 2.0), "critic1": _dense(k[3], 32, 1, 1.0)}


def _heads(p: Params, h: jax.Array) -> tuple[jax.Array, jax.Array]:
    logits = _apply_dense(p["actor1"], jax.nn.relu(_apply_dense(p["actor0"], h)))
    value = _apply_dense(p["critic1"], jax.nn.relu(_apply_dense(p["critic0"], h)))[..., 0]
    return logits, value


def _recurrent(p: Params, xw: jax.Array, resets: jax.Array, carry: tuple[jax.Array, jax.Array]):
    """Run the LSTM over [T, B, 4H] inputs, zeroing the state where ``resets`` [T, B] is set."""

    def body(c, inp):
        x, r = inp
        c = jax.tree_util.tree_map(lambda a: jnp.where(r[:, None], 0.0, a), c)
        c = lstm_cell(p, c, x)
        return c, c[1]

    carry, hs = jax.lax.scan(body, carry, (xw, resets))
    return carry, hs


# ----------------------------------------------------------------------------------- student


def init_student(key: jax.Array, n_actions: int = 7, hidden: int = HIDDEN) -> Params:
    k = jax.random.split(key, 4)
    return {"conv": _conv_init(k[0], 3, 16), "dir": _dense(k[1], 4, 5, float(np.sqrt(2))),
            "lstm": _lstm_init(k[2], 9 * 16 + 5, hidden), "heads": _heads_init(k[3], n_actions, hidden)}


def student_apply(p: Params, image: jax.Array, agent_dir: jax.Array, resets: jax.Array,
                  carry: tuple[jax.Array, jax.Array]):
    """Sequences [T, B, ...] -> (carry, logits [T, B, 7], values [T, B])."""
    img = _conv(p["conv"], image.astype(jnp.float32) / 10.0)
    d = _apply_dense(p["dir"], jax.nn.one_hot(agent_dir, 4))
    xw = jnp.concatenate([img, d], axis=-1) @ p["lstm"]["wi"]
    carry, hs = _recurrent(p["lstm"], xw, resets, carry)
    logits, values = _heads(p["heads"], hs)
    return carry, logits, values


# --------------------------------------------------------------------------------- adversary


def init_adversary(key: jax.Array, n_steps: int, height: int = 13, width: int = 13, noise_dim: int = 50,
                   conv_filters: int = 128, hidden: int = HIDDEN) -> Params:
    k = jax.random.split(key, 4)
    n_in = (height - 2) * (width - 2) * conv_filters + 10 + noise_dim
    return {"conv": _conv_init(k[0], 3, conv_filters), "time": _dense(k[1], n_steps, 10, None),
            "lstm": _lstm_init(k[2], n_in, hidden), "heads": _heads_init(k[3], height * width, hidden)}


def adversary_apply(p: Params, image: jax.Array, time: jax.Array, noise: jax.Array, resets: jax.Array,
                    carry: tuple[jax.Array, jax.Array]):
    """Sequences [T, B, ...] -> (carry, logits [T, B, H·W], values [T, B])."""
    n_steps = p["time"]["w"].shape[0]
    img = _conv(p["conv"], image.astype(jnp.float32) / 10.0)
    t = _apply_dense(p["time"], jax.nn.one_hot(time, n_steps))
    xw = jnp.concatenate([img, t, noise], axis=-1) @ p["lstm"]["wi"]
    carry, hs = _recurrent(p["lstm"], xw, resets, carry)
    logits, values = _heads(p["heads"], hs)
    return carry, logits, values
