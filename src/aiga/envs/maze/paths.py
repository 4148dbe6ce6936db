"""Exact shortest paths on device: solvability, path length and the optimal return of every level.

No reference computes these in the training loop (PAIRED's env logs a networkx shortest path on the CPU;
jaxued and minimax none), so their regret numbers are proxies only. Here both distances come from
iterated neighbour relaxation (Bellman–Ford on a grid: every sweep is a handful of shifted ``minimum``\\ s
over the whole map), run inside ``lax.while_loop`` until nothing changes, so it ``vmap``\\ s over a level
buffer and costs microseconds per level.

* ``path_length``: fewest moves from the agent's tile to the goal tile (4-neighbour BFS, what PAIRED
  logs as "shortest path length").
* ``optimal_steps``: fewest *actions* (turns count) from the agent's start pose until the step that walks
  into the goal, i.e. the earliest time the reward can be collected; a relaxation over (direction, y, x).
* ``optimal_return`` = ``1 − 0.9·optimal_steps/T`` if ``optimal_steps ≤ T`` else 0: the best return any
  policy can get, so ``optimal_return − achieved return`` is the exact regret of a level.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze.level import Level

INF = 1 << 20


class PathInfo(NamedTuple):
    solvable: jax.Array  #: bool: the goal can be reached at all
    path_length: jax.Array  #: int32: moves agent tile -> goal tile (INF if unreachable)
    optimal_steps: jax.Array  #: int32: actions until the rewarding step (INF if unreachable)
    optimal_return: jax.Array  #: float32: best achievable return within the horizon


def _shift(a: jax.Array, dx: int, dy: int, fill: int) -> jax.Array:
    """``out[..., y, x] = a[..., y+dy, x+dx]`` (``fill`` outside)."""
    h, w = a.shape[-2:]
    p = jnp.pad(a, [(0, 0)] * (a.ndim - 2) + [(1, 1), (1, 1)], constant_values=fill)
    return p[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


_DIRS = ((1, 0), (0, 1), (-1, 0), (0, -1))


def _relax(init: jax.Array, body) -> jax.Array:
    def cond(c):
        return c[1]

    def loop(c):
        d, _ = c
        nd = body(d)
        return nd, jnp.any(nd != d)

    out, _ = jax.lax.while_loop(cond, loop, (init, jnp.array(True)))
    return out


def tile_distances(wall_map: jax.Array, goal_pos: jax.Array) -> jax.Array:
    """Moves from every free tile to the goal tile (4-neighbour), INF where unreachable or a wall."""
    walls = jnp.asarray(wall_map, bool)
    h, w = walls.shape
    gx, gy = goal_pos[0], goal_pos[1]
    is_goal = (jnp.arange(h)[:, None] == gy) & (jnp.arange(w)[None, :] == gx)
    d0 = jnp.where(is_goal, 0, INF).astype(jnp.int32)

    def body(d):
        best = d
        for dx, dy in _DIRS:
            best = jnp.minimum(best, _shift(d, dx, dy, INF) + 1)
        return jnp.where(walls & ~is_goal, INF, jnp.minimum(best, INF))

    return _relax(d0, body)


def pose_steps(wall_map: jax.Array, goal_pos: jax.Array) -> jax.Array:
    """Actions from every pose (direction, y, x) until the step into the goal; [4, H, W], INF if never."""
    walls = jnp.asarray(wall_map, bool)
    h, w = walls.shape
    gx, gy = goal_pos[0], goal_pos[1]
    is_goal = (jnp.arange(h)[:, None] == gy) & (jnp.arange(w)[None, :] == gx)
    blocked = walls | is_goal  # the goal is collected from the tile before it, never entered
    # facing[d] = the tile ahead of pose d is the goal: one forward action collects the reward.
    facing = jnp.stack([_shift(is_goal.astype(jnp.int32), dx, dy, 0) for dx, dy in _DIRS]).astype(bool)
    free_ahead = jnp.stack([_shift((~blocked).astype(jnp.int32), dx, dy, 0) for dx, dy in _DIRS]).astype(bool)
    d0 = jnp.where(facing, 1, INF).astype(jnp.int32)

    def body(d):
        turn = jnp.minimum(jnp.roll(d, 1, axis=0), jnp.roll(d, -1, axis=0)) + 1
        ahead = jnp.stack([_shift(d[k], dx, dy, INF) for k, (dx, dy) in enumerate(_DIRS)]) + 1
        ahead = jnp.where(free_ahead, ahead, INF)
        nd = jnp.minimum(jnp.minimum(d, turn), ahead)
        return jnp.where(blocked[None], INF, jnp.minimum(nd, INF))

    return _relax(d0, body)


def path_info(level: Level, max_steps: int = 250) -> PathInfo:
    """Shortest-path facts of one level (``vmap`` for a batch)."""
    ax, ay = level.agent_pos[0], level.agent_pos[1]
    length = tile_distances(level.wall_map, level.goal_pos)[ay, ax]
    steps = pose_steps(level.wall_map, level.goal_pos)[level.agent_dir, ay, ax]
    solvable = length < INF
    opt = jnp.where(steps <= max_steps, 1.0 - 0.9 * steps.astype(jnp.float32) / max_steps, 0.0)
    return PathInfo(solvable, length.astype(jnp.int32), steps.astype(jnp.int32), opt.astype(jnp.float32))
