"""Where maze levels come from: random sampling (DR), edits (ACCEL), and the PAIRED adversary's construction.

* ``sample_level`` — jaxued's ``make_level_generator``: ``n_walls`` tiles drawn uniformly *with*
  replacement (so fewer distinct walls when two draws coincide), then the agent on a free tile, then the
  goal on another free tile, direction uniform. ``n_walls = 0`` gives ACCEL's empty rooms.
* ``mutate_level`` — minimax's ``move_goal_flip_walls`` mutator (ported by jaxued as
  ``make_level_mutator_minimax``): each of ``n_edits`` edits is, uniformly, nothing, flipping one tile
  (never the agent's or the goal's), or moving the goal to a free tile.
* ``Adversary*`` — the PAIRED teacher's MDP (Dennis et al. 2020, google-research ``AdversarialEnv``,
  dcd ``envs/multigrid/adversarial.py``): one tile index per step out of 169; step 0 places the goal,
  step 1 places the agent (on the goal tile it is placed uniformly at random instead, as the original
  does), every later step adds a wall on an empty tile (occupied tiles: no-op); ``n_walls + 2`` steps;
  the agent's direction is drawn at random. The teacher sees the full map in MiniGrid encoding, the time
  step and a fresh uniform noise vector ``z`` per episode (really random: jaxued's flag bug zeroed it).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze.level import Level

AGENT_CODE = 10  # MiniGrid object index of the agent


def choose(key: jax.Array, mask: jax.Array) -> jax.Array:
    """A uniform index among the ``True`` entries of ``mask`` (Gumbel-max; compiles far faster than
    ``jax.random.choice(p=...)`` and draws from the same distribution)."""
    return jax.random.categorical(key, jnp.where(mask, 0.0, -jnp.inf))


def sample_level(key: jax.Array, n_walls: int, height: int = 13, width: int = 13) -> Level:
    """A random level with ``n_walls`` wall draws (with replacement), jaxued's DR generator."""
    n = height * width
    kw, ka, kd, kg = jax.random.split(key, 4)
    occupied = jnp.zeros(n, bool)
    if n_walls > 0:
        occupied = occupied.at[jax.random.randint(kw, (n_walls,), 0, n)].set(True)
    walls = occupied
    agent = choose(ka, ~occupied)
    occupied = occupied.at[agent].set(True)
    goal = choose(kg, ~occupied)
    direction = jax.random.randint(kd, (), 0, 4)
    return Level(walls.reshape(height, width), jnp.stack([goal % width, goal // width]).astype(jnp.int32),
                 jnp.stack([agent % width, agent // width]).astype(jnp.int32), direction.astype(jnp.int32))


NO_OP, FLIP_WALL, MOVE_GOAL = 0, 1, 2


def mutate_level(key: jax.Array, level: Level, n_edits: int) -> Level:
    """``n_edits`` random edits (minimax's mutator): no-op, flip a wall, or move the goal."""
    h, w = level.wall_map.shape
    n = h * w

    def edit(lv: Level, k: jax.Array) -> tuple[Level, None]:
        km, kf, kg = jax.random.split(k, 3)
        kind = jax.random.randint(km, (), 0, 3)
        flat = lv.wall_map.reshape(-1)
        goal_i = lv.goal_pos[1] * w + lv.goal_pos[0]
        agent_i = lv.agent_pos[1] * w + lv.agent_pos[0]
        not_special = jnp.ones(n, bool).at[goal_i].set(False).at[agent_i].set(False)
        flip_i = choose(kf, not_special)
        flipped = flat.at[flip_i].set(~flat[flip_i])
        free = ~flat & not_special
        new_goal_i = choose(kg, free)
        walls = jnp.where(kind == FLIP_WALL, flipped, flat)
        goal = jnp.where(kind == MOVE_GOAL, jnp.stack([new_goal_i % w, new_goal_i // w]), lv.goal_pos)
        return Level(walls.reshape(h, w), goal.astype(jnp.int32), lv.agent_pos, lv.agent_dir), None

    out, _ = jax.lax.scan(edit, level, jax.random.split(key, n_edits))
    return out


# ------------------------------------------------------------------------------- PAIRED adversary


class AdversaryState(NamedTuple):
    wall_map: jax.Array  #: bool [H, W]
    goal_pos: jax.Array  #: int32 [2]
    agent_pos: jax.Array  #: int32 [2]
    agent_dir: jax.Array  #: int32 []
    time: jax.Array  #: int32 []
    noise: jax.Array  #: float32 [noise_dim], drawn once per construction episode


class AdversaryObs(NamedTuple):
    image: jax.Array  #: uint8 [H, W, 3] MiniGrid encoding of what has been built so far
    time: jax.Array  #: int32 []
    noise: jax.Array  #: float32 [noise_dim]


def adversary_reset(key: jax.Array, height: int = 13, width: int = 13, noise_dim: int = 50
                    ) -> AdversaryState:
    """An empty board; ``z ~ U[0,1)^noise_dim`` and the agent's direction drawn from ``key``."""
    kz, kd = jax.random.split(key)
    unset = jnp.full(2, -1, jnp.int32)  # goal and agent not placed yet
    return AdversaryState(jnp.zeros((height, width), bool), unset, unset,
                          jax.random.randint(kd, (), 0, 4).astype(jnp.int32), jnp.zeros((), jnp.int32),
                          jax.random.uniform(kz, (noise_dim,)))


def adversary_obs(s: AdversaryState) -> AdversaryObs:
    h, w = s.wall_map.shape
    img = jnp.where(s.wall_map[..., None], jnp.array([2, 5, 0], jnp.uint8), jnp.array([1, 0, 0], jnp.uint8))
    gx, gy = jnp.clip(s.goal_pos[0], 0, w - 1), jnp.clip(s.goal_pos[1], 0, h - 1)
    img = jnp.where(s.goal_pos[0] >= 0, img.at[gy, gx].set(jnp.array([8, 1, 0], jnp.uint8)), img)
    ax, ay = jnp.clip(s.agent_pos[0], 0, w - 1), jnp.clip(s.agent_pos[1], 0, h - 1)
    agent = jnp.stack([jnp.uint8(AGENT_CODE), jnp.uint8(0), s.agent_dir.astype(jnp.uint8)])
    img = jnp.where(s.agent_pos[0] >= 0, img.at[ay, ax].set(agent), img)
    return AdversaryObs(img, s.time, s.noise)


def adversary_step(s: AdversaryState, action: jax.Array, key: jax.Array) -> AdversaryState:
    """Apply one placement: goal at t=0, agent at t=1 (random free tile if on the goal), walls after."""
    h, w = s.wall_map.shape
    x, y = action % w, action // w
    pos = jnp.stack([x, y]).astype(jnp.int32)
    on_goal = (x == s.goal_pos[0]) & (y == s.goal_pos[1])
    # t = 1 on the goal: uniform over the other free tiles ("random placement" in the original).
    free = ~s.wall_map.reshape(-1)
    free = free.at[jnp.clip(s.goal_pos[1], 0) * w + jnp.clip(s.goal_pos[0], 0)].set(False)
    r = choose(key, free)
    agent_pos = jnp.where(on_goal, jnp.stack([r % w, r // w]).astype(jnp.int32), pos)
    on_agent = (x == s.agent_pos[0]) & (y == s.agent_pos[1])
    t = s.time
    walls = jnp.where((t >= 2) & ~on_goal & ~on_agent, s.wall_map.at[y, x].set(True), s.wall_map)
    # Step 0 removes a wall under the goal (none exist yet, but keep the original's rule explicit).
    walls = jnp.where(t == 0, walls.at[y, x].set(False), walls)
    return s._replace(wall_map=walls, goal_pos=jnp.where(t == 0, pos, s.goal_pos),
                      agent_pos=jnp.where(t == 1, agent_pos, s.agent_pos), time=t + 1)


def adversary_level(s: AdversaryState) -> Level:
    """The level the adversary built (call after ``n_walls + 2`` steps)."""
    return Level(s.wall_map, s.goal_pos, s.agent_pos, s.agent_dir)
