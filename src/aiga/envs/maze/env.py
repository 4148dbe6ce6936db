"""The MiniGrid maze of the UED papers in pure JAX: reset-to-level, step, egocentric view.

Bit-compatible with jaxued's ``Maze`` (``environments/maze/env.py``) and minimax's ``AMaze`` with their
default settings, which reproduce the original PAIRED/dcd ``MultiGridEnv``:

* grid: the level's free interior (13×13 canonical), surrounded by walls; moving off the interior is the
  same as walking into a wall (the references clip the position, which has the same effect);
* observation: the 5×5×3 egocentric patch in MiniGrid encoding (object, colour, state) with see-through
  walls, in jaxued's orientation (``image[lateral, forward]``: row 0 is the agent's left, column 4 the
  agent's own row, column 0 four tiles ahead), as ``uint8``; plus the direction index. The network divides
  by 10 (jaxued's ``normalize_obs=True``);
* actions: 7 (left, right, forward, pickup, drop, toggle, done); only the first three act;
* reward ``1 − 0.9·(t+1)/T`` on the step that walks into the goal (the goal tile itself is never entered,
  as in the references), 0 otherwise; episodes end there or after ``T`` = 250 steps.

Why it is fast: the level is turned once, at reset, into a wall-padded ``uint8`` map kept in the state, so
a step is a few scalar ops and one gather of 25 tiles through precomputed index tables (instead of the
references' slice-and-rotate per step), and auto-replay swaps in the cached start state with a ``where``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from aiga.envs.maze.level import DIR_TO_VEC, Level

VIEW = 5
PAD = VIEW - 1
N_ACTIONS = 7
LEFT, RIGHT, FORWARD = 0, 1, 2
# MiniGrid encoding (object index, colour index, state)
EMPTY = (1, 0, 0)
WALL = (2, 5, 0)
GOAL = (8, 1, 0)


def _view_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per direction, the (dy, dx) offset from the agent of every tile of the observation.

    Derived from the references' procedure (slice the 5×5 box in front of the agent, rotate it by
    ``dir+1`` quarter turns, transpose) applied to index grids, so the gather below reproduces their
    observation exactly.
    """
    oy = np.zeros((4, VIEW, VIEW), np.int32)
    ox = np.zeros((4, VIEW, VIEW), np.int32)
    half = VIEW // 2
    for d in range(4):
        dx, dy = DIR_TO_VEC[d]
        xs = [0, dx * (VIEW - 1), int(dx == 0) * half, -int(dx == 0) * half]
        ys = [0, dy * (VIEW - 1), int(dy == 0) * half, -int(dy == 0) * half]
        x0, y0 = min(xs), min(ys)
        gy, gx = np.meshgrid(np.arange(VIEW) + y0, np.arange(VIEW) + x0, indexing="ij")
        k = d + 1
        ry, rx = np.rot90(gy, k), np.rot90(gx, k)
        oy[d], ox[d] = ry.T, rx.T
    return oy, ox


_OY, _OX = _view_tables()


class MazeState(NamedTuple):
    """Everything a step needs; ``grid`` is the wall-padded MiniGrid map of the level."""

    grid: jax.Array  #: uint8 [H+2·PAD, W+2·PAD, 3]
    goal_pos: jax.Array  #: int32 [2] (x, y)
    agent_pos: jax.Array  #: int32 [2]
    agent_dir: jax.Array  #: int32 []
    time: jax.Array  #: int32 []
    terminal: jax.Array  #: bool []


class Obs(NamedTuple):
    image: jax.Array  #: uint8 [5, 5, 3]
    agent_dir: jax.Array  #: int32 []


def make_grid(level: Level) -> jax.Array:
    """The padded MiniGrid map: walls outside the interior, walls/empty/goal inside (no agent)."""
    walls = jnp.asarray(level.wall_map, bool)
    h, w = walls.shape
    inner = jnp.where(walls[..., None], jnp.array(WALL, jnp.uint8), jnp.array(EMPTY, jnp.uint8))
    gx, gy = level.goal_pos[0], level.goal_pos[1]
    inner = inner.at[gy, gx].set(jnp.array(GOAL, jnp.uint8))
    grid = jnp.broadcast_to(jnp.array(WALL, jnp.uint8), (h + 2 * PAD, w + 2 * PAD, 3))
    return jax.lax.dynamic_update_slice(grid, inner, (PAD, PAD, 0))


def reset_to_level(level: Level) -> MazeState:
    """The start state of ``level`` (cheap: one padded map; no randomness)."""
    return MazeState(make_grid(level), jnp.asarray(level.goal_pos, jnp.int32),
                     jnp.asarray(level.agent_pos, jnp.int32), jnp.asarray(level.agent_dir, jnp.int32),
                     jnp.zeros((), jnp.int32), jnp.zeros((), bool))


def get_obs(state: MazeState) -> Obs:
    d = state.agent_dir
    ys = state.agent_pos[1] + PAD + jnp.asarray(_OY)[d]
    xs = state.agent_pos[0] + PAD + jnp.asarray(_OX)[d]
    return Obs(state.grid[ys, xs], d)


def step(state: MazeState, action: jax.Array, max_steps: int = 250
         ) -> tuple[MazeState, Obs, jax.Array, jax.Array]:
    """One step: ``(state, obs, reward, done)``. Turning changes the direction; forward moves unless
    the tile ahead is a wall (or outside) or the goal; walking into the goal pays and ends the episode."""
    dvec = jnp.asarray(DIR_TO_VEC)[state.agent_dir]
    fwd = state.agent_pos + dvec * (action == FORWARD)
    tile = state.grid[fwd[1] + PAD, fwd[0] + PAD, 0]
    at_goal = (fwd[0] == state.goal_pos[0]) & (fwd[1] == state.goal_pos[1]) & (action == FORWARD)
    blocked = (tile == WALL[0]) | at_goal
    agent_pos = jnp.where(blocked, state.agent_pos, fwd)
    agent_dir = (state.agent_dir + (action == RIGHT) - (action == LEFT)) % 4
    t = state.time + 1
    # same float32 operation order as the references: 1 - 0.9 * ((t + 1) / T)
    reward = jnp.where(at_goal, 1.0 - 0.9 * (t.astype(jnp.float32) / max_steps), 0.0).astype(jnp.float32)
    done = at_goal | (t >= max_steps)
    new = state._replace(agent_pos=agent_pos, agent_dir=agent_dir.astype(jnp.int32), time=t, terminal=done)
    return new, get_obs(new), reward, done


def step_auto_replay(state: MazeState, start: MazeState, action: jax.Array, max_steps: int = 250
                     ) -> tuple[MazeState, Obs, jax.Array, jax.Array]:
    """``step``, then back to ``start`` (the same level) when the episode ended (jaxued's AutoReplay).

    The returned reward and done belong to the step just taken; the returned obs is the start obs
    after a reset, as in the references."""
    new, _, reward, done = step(state, action, max_steps)
    nxt = jax.tree_util.tree_map(lambda a, b: jnp.where(done, a, b), start, new)
    return nxt, get_obs(nxt), reward, done
