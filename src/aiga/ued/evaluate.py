"""One evaluation protocol for every method: the held-out maze suite, ``attempts`` episodes per maze, the
horizon stated explicitly.

The references disagree on the horizon (dcd/minimax: ``2·(h+2)·(w+2)`` = 450 steps on 13×13 mazes;
jaxued: the training horizon, 250), which changes solve rates, so here it is an argument: a number used
for every maze, or ``"reference"`` for each maze's dcd/minimax horizon. A maze counts as solved in an
attempt when the goal is reached within the horizon; solve rate = fraction of attempts solved. Actions
are sampled from the policy (as all references do), so attempts differ even on a fixed layout.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from aiga.envs.maze import env as maze
from aiga.envs.maze import suite
from aiga.envs.maze.level import Level, stack
from aiga.ued import networks


@partial(jax.jit, static_argnames=("horizon", "hidden"))
def play_episodes(params: Any, levels: Level, key: jax.Array, horizon: int, hidden: int = networks.HIDDEN):
    """One episode per level (batch B): returns (return [B], solved [B], length [B], positions [T, B, 2],
    directions [T, B])."""
    start = jax.vmap(maze.reset_to_level)(levels)
    b = start.time.shape[0]
    step = jax.vmap(maze.step, in_axes=(0, 0, None))

    def body(c, k):
        state, carry, alive, ret, length = c
        obs = jax.vmap(maze.get_obs)(state)
        carry, logits, _ = networks.student_apply(params, obs.image[None], obs.agent_dir[None],
                                                  jnp.zeros((1, b), bool), carry)
        action = jax.random.categorical(k, logits[0])
        nstate, _, reward, done = step(state, action, horizon)
        ret = ret + jnp.where(alive, reward, 0.0)
        length = length + alive
        out = (state.agent_pos, state.agent_dir)
        return (nstate, carry, alive & ~done, ret, length), out

    init = (start, networks.initial_carry(b, hidden), jnp.ones(b, bool), jnp.zeros(b),
            jnp.zeros(b, jnp.int32))
    (_, _, _, ret, length), (pos, dirs) = jax.lax.scan(body, init, jax.random.split(key, horizon))
    return ret, ret > 0, length, pos, dirs


def evaluate_suite(params: Any, key: jax.Array, names: tuple[str, ...] = suite.DEFAULT_SUITE,
                   attempts: int = 10, horizon: int | str = 250, hidden: int = networks.HIDDEN
                   ) -> dict[str, dict[str, float]]:
    """Solve rate and mean return per held-out maze (and their means over the suite)."""
    out: dict[str, dict[str, float]] = {}
    for i, name in enumerate(names):
        inst = suite.instances(name)
        levels = stack([inst[k % len(inst)] for k in range(attempts)])
        h = suite.reference_horizon(name) if horizon == "reference" else int(horizon)
        ret, solved, length, _, _ = play_episodes(params, levels, jax.random.fold_in(key, i), h, hidden)
        out[name] = {"solve_rate": float(np.mean(solved)), "return": float(np.mean(ret)),
                     "length": float(np.mean(length))}
    out["mean"] = {k: float(np.mean([v[k] for v in out.values()]))
                   for k in ("solve_rate", "return", "length")}
    return out


def agent_path(params: Any, level: Level, key: jax.Array, horizon: int, hidden: int = networks.HIDDEN
               ) -> tuple[np.ndarray, bool]:
    """The tiles one greedy-sampled episode visits on ``level`` (for the report's pictures)."""
    ret, solved, length, pos, _ = play_episodes(params, stack([level]), key, horizon, hidden)
    n = int(length[0])
    return np.asarray(pos[:n, 0]), bool(solved[0])
