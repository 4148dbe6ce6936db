"""Score many ES policy parameter vectors on one maze: POET's objective for ``--family maze``.

POET (Wang et al. 2019, arXiv:1901.01753) scores every ES perturbation of a niche's agent on the niche's
fixed environment; its reference (uber-research/poet, ``niches/box2d/model.py: simulate``) knows only
walker courses. ``MazeObjective`` is the same recipe for the UED papers' maze (``aiga.envs.maze.env``, the
MiniGrid maze of PAIRED/PLR⊥/ACCEL, jaxued ``environments/maze``) with the interface of
``aiga.envs.walker.evaluate.CourseObjective``: a small picklable description with ``cache_key()`` and
``build() -> f(thetas) -> (returns, lengths)`` that the worker backends (``aiga.core.workers``) build once
per process and call on chunks of parameter vectors.

The agent is an ES policy, not the UED papers' recurrent PPO student: a feed-forward tanh MLP on the
observation (the egocentric 5×5×3 view divided by 10, as jaxued's ``normalize_obs``, plus the direction
one-hot: 79 inputs) → 40 hidden → **3 outputs**, one per *acting* action (left, right, forward); the
greedy action is the argmax. The other four of the maze's seven actions (pickup, drop, toggle, done) do
nothing in a maze, so giving them outputs would only let a perturbation waste steps; a PPO student learns
to ignore them by sampling, a greedy ES policy cannot. The parameters are one flat float64 vector packed
exactly like ``aiga.core.policy.MLPPolicy`` (weights (in, out) row-major, then biases, per layer), so
``aiga.core.es`` treats it exactly like the walker's θ.

The maze is deterministic and so is the greedy policy: one rollout per θ is the score (POET's defect-5
note: repeats would be identical). Return = the maze's ``1 − 0.9·t/T`` on walking into the goal at step
``t``, else 0; length = steps taken (``t``, or ``T``), counted as env steps. All thetas of a call are
rolled out at once (``jax.vmap`` over thetas inside a ``jax.jit`` compiled once per process per horizon
and batch bucket: the level is an argument, not a constant, so new mazes do not recompile). Batches are
padded to a power of two (at least 8) to bound the number of compiled shapes; each row is computed on
its own (tested: one θ at a time gives the batched bits), and the evaluator's chunking is fixed, so results
do not depend on how many workers ran them (tested: an ES step with 1 or 2 worker processes).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

import numpy as np

from aiga.core.config import AigaError

VIEW_INPUTS = 5 * 5 * 3
N_DIRECTIONS = 4
N_ACTING = 3  # left, right, forward: the maze's acting actions (env.LEFT, env.RIGHT, env.FORWARD)
HIDDEN = 40  # the walker policy's hidden width (POET's 24-40-40-4)
POLICY_SIZES = (VIEW_INPUTS + N_DIRECTIONS, HIDDEN, N_ACTING)
"""Layer sizes of the maze ES policy: 79 inputs (view /10, direction one-hot) → 40 tanh → 3 (argmax)."""

MAX_STEPS = 250
"""The UED papers' episode horizon ``T``."""


def num_params(sizes: tuple[int, ...] = POLICY_SIZES) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def _bucket(n: int) -> int:
    return max(8, 1 << (int(n) - 1).bit_length())


@functools.cache
def _rollout_fn(max_steps: int, sizes: tuple[int, ...]):
    """``f(thetas (B, P) float32, level) -> (returns (B,), lengths (B,))``, jitted, one per process."""
    import jax
    import jax.numpy as jnp

    from aiga.envs.maze import env

    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))

    def unpack(theta):
        layers, p = [], 0
        for n_in, n_out in shapes:
            w = theta[p:p + n_in * n_out].reshape(n_in, n_out)
            p += n_in * n_out
            b = theta[p:p + n_out]
            p += n_out
            layers.append((w, b))
        return layers

    def act(layers, obs):
        x = jnp.concatenate([obs.image.reshape(-1).astype(jnp.float32) / 10.0,
                             jax.nn.one_hot(obs.agent_dir, N_DIRECTIONS, dtype=jnp.float32)])
        for w, b in layers:
            x = jnp.tanh(x @ w + b)
        return jnp.argmax(x).astype(jnp.int32)  # 0 left, 1 right, 2 forward: the env's action indices

    def one(theta, start):
        layers = unpack(theta)

        def body(carry, _):
            state, obs, ret, length, done = carry
            nxt, nobs, reward, d = env.step(state, act(layers, obs), max_steps)
            ret = jnp.where(done, ret, reward)
            length = jnp.where(done, length, length + 1)
            return (nxt, nobs, ret, length, done | d), jnp.where(done, state.agent_pos, nxt.agent_pos)

        carry = (start, env.get_obs(start), jnp.zeros((), jnp.float32), jnp.zeros((), jnp.int32),
                 jnp.zeros((), bool))
        (_, _, ret, length, _), positions = jax.lax.scan(body, carry, None, length=max_steps)
        return ret, length, positions

    @jax.jit
    def rollout(thetas, level):
        start = env.reset_to_level(level)
        ret, length, _ = jax.vmap(one, in_axes=(0, None))(thetas, start)
        return ret, length

    @jax.jit
    def path(theta, level):
        return one(theta, env.reset_to_level(level))

    return rollout, path


def evaluate_batch(level, thetas: np.ndarray, max_steps: int = MAX_STEPS,
                   sizes: tuple[int, ...] = POLICY_SIZES) -> tuple[np.ndarray, np.ndarray]:
    """Returns (B,) float64 and lengths (B,) int64 of greedy policies ``thetas`` (B, P) on ``level``."""
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim == 1:
        thetas = thetas[None, :]
    p = num_params(sizes)
    if thetas.ndim != 2 or thetas.shape[1] != p:
        raise AigaError(f"maze policy parameters must have shape (B, {p}), got {thetas.shape}")
    if int(max_steps) < 1:
        raise AigaError(f"max_steps must be at least 1, got {max_steps}")
    b = thetas.shape[0]
    if b == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    padded = np.zeros((_bucket(b), p), np.float32)
    padded[:b] = thetas
    ret, length = _rollout_fn(int(max_steps), tuple(sizes))[0](padded, level)
    return np.asarray(ret, np.float64)[:b], np.asarray(length, np.int64)[:b]


class MazeObjective:
    """A picklable recipe for "score thetas on this maze" (same interface as ``CourseObjective``).

    ``params`` is a ``MazeParams`` (the level's text rows). Workers cache ``build()``'s result by
    ``cache_key()``; the compiled rollout itself is shared by every maze of the same horizon.
    """

    def __init__(self, params, max_steps: int = MAX_STEPS) -> None:
        self.params = params
        self.max_steps = int(max_steps)
        if self.max_steps < 1:
            raise AigaError(f"max_steps must be at least 1, got {max_steps}")

    def __repr__(self) -> str:
        return f"MazeObjective({len(self.params.rows)} rows, max_steps={self.max_steps})"

    def cache_key(self) -> str:
        blob = json.dumps({"rows": list(self.params.rows), "max_steps": self.max_steps}, sort_keys=True)
        return "maze:" + hashlib.sha256(blob.encode()).hexdigest()[:32]

    def build(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        level = self.params.level()
        max_steps = self.max_steps

        def objective(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return evaluate_batch(level, thetas, max_steps)

        return objective

    def __getstate__(self) -> dict:
        return {"rows": list(self.params.rows), "max_steps": self.max_steps}

    def __setstate__(self, state: dict) -> None:
        from aiga.envs.maze.family import MazeParams

        self.params = MazeParams(tuple(state["rows"]))
        self.max_steps = int(state["max_steps"])


def greedy_path(level, theta: np.ndarray, max_steps: int = MAX_STEPS) -> tuple[np.ndarray, float, int]:
    """The tiles the greedy agent visits on ``level`` (x, y rows, for pictures), its return and length."""
    theta = np.asarray(theta, np.float32)
    if theta.shape != (num_params(),):
        raise AigaError(f"maze policy parameters must have shape ({num_params()},), got {theta.shape}")
    ret, length, positions = _rollout_fn(int(max_steps), POLICY_SIZES)[1](theta, level)
    pos = np.concatenate([np.asarray(level.agent_pos)[None], np.asarray(positions)[:int(length)]])
    return np.unique(pos, axis=0), float(ret), int(length)
