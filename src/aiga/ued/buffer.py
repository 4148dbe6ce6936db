"""The PLR level buffer (Jiang et al. 2021, "Prioritized Level Replay" and "Replay-Guided Adversarial
Environment Design"), as a pytree of fixed-size arrays so it lives inside ``jit``.

Replay distribution ``P = (1 − ρ)·P_S + ρ·P_C`` over the filled slots:

* ``P_S`` — rank prioritisation: ``h(S_i) = (1/rank(S_i))^(1/β)`` with rank 1 for the highest score,
  normalised. ``β`` is the *temperature*; it enters as the exponent ``1/β``.
* ``P_C`` — staleness: ``c − C_i`` (episodes since level ``i`` was last sampled), normalised; uniform over
  the filled slots when every level is fresh.

The references got this wrong in ways a test now pins (``tests/ued/test_buffer.py``): minimax ≤ 0.1 built
the rank buffer as int32 (so every weight but the top ones truncated to 0), computed ``1/arange(N)``
(division by zero at rank 0) and divided by the temperature instead of using it as the exponent; all
fixed in minimax v0.2.0 (Aug 2024), whose re-run changed the published numbers.

Insertion (robust PLR, Algorithm 1 of Jiang et al. 2021): a new level enters a free slot while there is
one; once full it replaces the lowest-scoring level if its score is higher. (jaxued replaces the level
of lowest *replay weight*; dcd and the paper the lowest score: we follow the paper.) Every insertion
attempt and every replay counts as an episode for staleness, as in jaxued.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze.level import Level


class LevelBuffer(NamedTuple):
    levels: Level  #: batched, leading axis = capacity
    scores: jax.Array  #: float32 [K]; -inf in empty slots
    timestamps: jax.Array  #: int32 [K]: episode count when last sampled/inserted
    max_returns: jax.Array  #: float32 [K]: best return ever seen on the level (for MaxMC)
    size: jax.Array  #: int32 []
    episode_count: jax.Array  #: int32 []


def init_buffer(placeholder: Level, capacity: int) -> LevelBuffer:
    levels = jax.tree_util.tree_map(lambda x: jnp.repeat(jnp.asarray(x)[None], capacity, axis=0), placeholder)
    return LevelBuffer(levels, jnp.full(capacity, -jnp.inf, jnp.float32), jnp.zeros(capacity, jnp.int32),
                       jnp.zeros(capacity, jnp.float32), jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def rank_weights(scores: jax.Array, size: jax.Array, temperature: float) -> jax.Array:
    """``P_S``: ``(1/rank)^(1/β)`` over the filled slots (rank 1 = highest score), normalised. Float
    throughout; ranks start at 1, so no division by zero."""
    k = scores.shape[0]
    mask = jnp.arange(k) < size
    order = jnp.argsort(-jnp.where(mask, scores, -jnp.inf), stable=True)
    ranks = jnp.zeros(k, jnp.float32).at[order].set(jnp.arange(1, k + 1, dtype=jnp.float32))
    h = jnp.where(mask, (1.0 / ranks) ** (1.0 / temperature), 0.0)
    return h / jnp.maximum(h.sum(), 1e-30)


def staleness_weights(timestamps: jax.Array, episode_count: jax.Array, size: jax.Array) -> jax.Array:
    """``P_C``: ``c − C_i`` over the filled slots, normalised (uniform if all are zero)."""
    k = timestamps.shape[0]
    mask = jnp.arange(k) < size
    st = jnp.where(mask, (episode_count - timestamps).astype(jnp.float32), 0.0)
    uniform = mask.astype(jnp.float32) / jnp.maximum(size, 1).astype(jnp.float32)
    return jnp.where(st.sum() > 0, st / jnp.maximum(st.sum(), 1e-30), uniform)


def replay_weights(buf: LevelBuffer, temperature: float, staleness_coef: float) -> jax.Array:
    return ((1 - staleness_coef) * rank_weights(buf.scores, buf.size, temperature)
            + staleness_coef * staleness_weights(buf.timestamps, buf.episode_count, buf.size))


def replay_decision(buf: LevelBuffer, key: jax.Array, replay_prob: float, min_fill: float) -> jax.Array:
    """Replay (True) or fresh levels: only once the buffer is ``min_fill`` full (and not empty), then with
    probability ``replay_prob``."""
    capacity = buf.scores.shape[0]
    full_enough = buf.size.astype(jnp.float32) / capacity >= min_fill
    return full_enough & (buf.size > 0) & (jax.random.uniform(key) < replay_prob)


def sample_replay(buf: LevelBuffer, key: jax.Array, n: int, temperature: float, staleness_coef: float
                  ) -> tuple[LevelBuffer, jax.Array]:
    """Draw ``n`` slot indices one after another (each draw refreshes that level's staleness, as in the
    references, so one batch rarely repeats a level)."""
    def draw(b: LevelBuffer, k: jax.Array):
        w = replay_weights(b, temperature, staleness_coef)
        i = jax.random.categorical(k, jnp.log(w))  # log 0 = -inf: empty slots never drawn
        c = b.episode_count + 1
        return b._replace(timestamps=b.timestamps.at[i].set(c), episode_count=c), i

    return jax.lax.scan(draw, buf, jax.random.split(key, n))


def find(buf: LevelBuffer, level: Level) -> jax.Array:
    """Slot holding exactly ``level`` (walls, goal, agent, direction), or -1."""
    capacity = buf.scores.shape[0]
    same = jnp.arange(capacity) < buf.size
    for stored, new in zip(buf.levels, level, strict=True):
        same = same & (stored == new).reshape(capacity, -1).all(-1)
    return jnp.where(same.any(), jnp.argmax(same), -1)


def insert(buf: LevelBuffer, level: Level, score: jax.Array, max_return: jax.Array,
           unique: bool = False) -> LevelBuffer:
    """Insert one level: a free slot if any, else replace the lowest score if ``score`` beats it.

    With ``unique`` (jaxued's ``duplicate_check``, minimax's "force unique") a level already in the
    buffer is not stored twice: its entry gets the new score, the larger max return and a fresh timestamp.
    """
    capacity = buf.scores.shape[0]
    dup = find(buf, level) if unique else jnp.int32(-1)
    idx = jnp.where(dup >= 0, dup, jnp.where(buf.size < capacity, buf.size, jnp.argmin(buf.scores)))
    ok = (dup >= 0) | (score > buf.scores[idx])
    c = buf.episode_count + 1
    max_return = jnp.where(dup >= 0, jnp.maximum(max_return, buf.max_returns[idx]), max_return)

    def put(a, v):
        return jnp.where(ok, a.at[idx].set(v), a)

    grow = ok & (dup < 0)
    return LevelBuffer(jax.tree_util.tree_map(put, buf.levels, level), put(buf.scores, score),
                       put(buf.timestamps, c), put(buf.max_returns, max_return),
                       jnp.where(grow, jnp.minimum(buf.size + 1, capacity), buf.size), c)


def insert_batch(buf: LevelBuffer, levels: Level, scores: jax.Array, max_returns: jax.Array,
                 unique: bool = False) -> LevelBuffer:
    def body(b, x):
        return insert(b, *x, unique=unique), None

    return jax.lax.scan(body, buf, (levels, scores, max_returns))[0]


def update_scores(buf: LevelBuffer, idx: jax.Array, scores: jax.Array, max_returns: jax.Array) -> LevelBuffer:
    """New scores for replayed slots (later duplicates in ``idx`` win, as in a sequential update)."""
    def body(b, x):
        i, s, m = x
        return b._replace(scores=b.scores.at[i].set(s), max_returns=b.max_returns.at[i].set(m)), None

    return jax.lax.scan(body, buf, (idx, scores, max_returns))[0]


def gather(buf: LevelBuffer, idx: jax.Array) -> Level:
    return jax.tree_util.tree_map(lambda x: x[idx], buf.levels)


def stats(buf: LevelBuffer, temperature: float, staleness_coef: float) -> dict[str, jax.Array]:
    """Numbers worth logging: fill, mean/max score, and the score expected under the replay distribution."""
    mask = jnp.arange(buf.scores.shape[0]) < buf.size
    n = jnp.maximum(mask.sum(), 1)
    s = jnp.where(mask, buf.scores, 0.0)
    w = replay_weights(buf, temperature, staleness_coef)
    return {"buffer/size": buf.size.astype(jnp.float32),
            "buffer/mean_score": s.sum() / n,
            "buffer/max_score": jnp.where(buf.size > 0, jnp.max(jnp.where(mask, buf.scores, -jnp.inf)), 0.0),
            "buffer/weighted_score": (w * s).sum(),
            "buffer/mean_walls": (jnp.where(mask, buf.levels.wall_map.sum((-1, -2)), 0)).sum() / n}
