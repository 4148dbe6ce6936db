"""minimax's *parallel* PLR⊥ / ACCEL schedule (``--schedule parallel``): every cycle plays fresh levels,
replayed levels and (ACCEL) edits of the replayed levels side by side in one batch, so every cycle makes
an update.

Reference: facebookresearch/minimax, ``runners/plr_runner.py`` with ``use_parallel_eval=True`` and
``util/rl/plr.py`` (``PLRManager.sample``/``update``); Jiang et al. 2021 and Parker-Holder et al. 2022
describe only the sequential schedule (``plr.py``, ``accel.py``). What minimax does, and we follow:

* the batch has ``k`` parts of ``num_envs`` levels (k = 2 for PLR⊥, 3 for ACCEL): ``[fresh | replay |
  edits]``; the replay probability is forced to 1 (replay whenever the buffer is ``min_fill`` full) and
  edits are made from the *whole* replayed batch (minimax forces ``mutation_criterion="batch"``, so
  ``accel_parents`` is refused here);
* while the buffer is not yet full enough ("cold"), the replay and edit parts are fresh levels too
  (minimax's fallback ``state[n:2n]`` and ``state[-n:]``);
* all ``k·num_envs`` levels are rolled out together and scored (MaxMC uses the buffer's max return for the
  replayed part); replayed slots get their new score and max return, every other level is offered to the
  buffer by the usual insertion rule (``buffer.insert``);
* the PPO update uses the replay part only (``train_batch[:, n:2n]``), and robust PLR skips it while cold
  (PLR⊥: no gradient on fresh or edited levels). With ``exploratory_grad`` (plain PLR) the update always
  uses that part, fresh levels while cold, as minimax's ``_efficient_grad_update`` does.

One deliberate difference: minimax's ``update`` scans the batch in order, so fresh levels are offered
*before* the replayed slots are refreshed (and a refresh is dropped when a fresh level took the slot over
in the same batch). Here the replayed slots are refreshed first, then fresh levels, then edits are
offered: every insertion compares against current scores and no refresh is lost. The two orders differ
only when a fresh level would evict a level that is being replayed in the same cycle.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze import generators
from aiga.envs.maze.level import Level
from aiga.ued import buffer as lb
from aiga.ued import common, scores
from aiga.ued.config import UEDConfig
from aiga.ued.plr import MUTATE, NEW, REPLAY, PLRState
from aiga.ued.ppo import gae, make_optimizer, student_rollout, update_student


def n_parts(cfg: UEDConfig) -> int:
    """Parts of the parallel batch: fresh + replay (+ edits for ACCEL)."""
    return 3 if cfg.method == "accel" else 2


class ParallelBatch(NamedTuple):
    levels: Level  #: k·n levels: [fresh | replay (or fresh while cold) | edits (or fresh while cold)]
    idx: jax.Array  #: int32 [n]: buffer slots of the replay part (meaningful only when ``warm``)
    warm: jax.Array  #: bool []: the buffer was min_fill full, so the replay part was replayed
    buffer: lb.LevelBuffer  #: the buffer after the replay draws (staleness counts), unchanged while cold


def _concat(parts: list[Level]) -> Level:
    return jax.tree_util.tree_map(lambda *xs: jnp.concatenate(xs), *parts)


def _select(cond: jax.Array, a, b):
    return jax.tree_util.tree_map(lambda x, y: jnp.where(cond, x, y), a, b)


def parallel_levels(cfg: UEDConfig, buf: lb.LevelBuffer, key: jax.Array) -> ParallelBatch:
    """The cycle's batch (minimax ``PLRRunner.run`` with ``use_parallel_eval``)."""
    n, k = cfg.num_envs, n_parts(cfg)
    k_warm, k_fresh, k_sample, k_edit = jax.random.split(key, 4)
    warm = lb.replay_decision(buf, k_warm, 1.0, cfg.min_fill)  # minimax: replay_prob = 1
    n_walls = 0 if (cfg.method == "accel" and cfg.accel_empty_start) else cfg.n_walls
    fresh = jax.vmap(generators.sample_level, in_axes=(0, None))(jax.random.split(k_fresh, k * n), n_walls)
    sampled, idx = lb.sample_replay(buf, k_sample, n, cfg.temperature, cfg.staleness_coef)
    replayed = lb.gather(sampled, idx)
    parts = [part(fresh, 0, n), _select(warm, replayed, part(fresh, 1, n))]
    if k == 3:
        children = jax.vmap(generators.mutate_level, in_axes=(0, 0, None))(
            jax.random.split(k_edit, n), replayed, cfg.n_edits)
        parts.append(_select(warm, children, part(fresh, 2, n)))
    return ParallelBatch(_concat(parts), idx, warm, _select(warm, sampled, buf))


def parallel_buffer_update(cfg: UEDConfig, buf: lb.LevelBuffer, batch: ParallelBatch, level_scores: jax.Array,
                           max_returns: jax.Array) -> lb.LevelBuffer:
    """Refresh the replayed slots (when warm), then offer fresh levels, then edits (see the module doc)."""
    n = cfg.num_envs
    refreshed = lb.update_scores(buf, batch.idx, level_scores[n:2 * n], max_returns[n:2 * n])
    buf = _select(batch.warm, refreshed, buf)
    offered = jnp.ones(level_scores.shape[0], bool).at[n:2 * n].set(~batch.warm)

    def offer(b, x):
        level, s, m, ok = x
        return _select(ok, lb.insert(b, level, s, m, cfg.buffer_unique), b), None

    return jax.lax.scan(offer, buf, (batch.levels, level_scores, max_returns, offered))[0]


def replay_part(traj, n: int):
    """Columns ``n:2n`` of a [T, B, ...] trajectory: what the update trains on."""
    return jax.tree_util.tree_map(lambda x: x[:, n:2 * n], traj)


def part(levels: Level, i: int, n: int) -> Level:
    """Part ``i`` (0 fresh, 1 replay, 2 edits) of a parallel batch of levels."""
    return jax.tree_util.tree_map(lambda x: x[i * n:(i + 1) * n], levels)


def make_step(cfg: UEDConfig):
    s = common.ppo_settings(cfg)
    opt = make_optimizer(s)
    n, k = cfg.num_envs, n_parts(cfg)

    def step(state: PLRState):
        key, k_batch, k_roll, k_upd = jax.random.split(state.key, 4)
        batch = parallel_levels(cfg, state.buffer, k_batch)
        traj, last_value = student_rollout(state.student.params, batch.levels, k_roll, s)
        adv, _ = gae(traj.reward, traj.value, traj.done, last_value, s.gamma, s.gae_lambda)
        _, max_ret, _ = scores.episode_returns(traj.done, traj.reward)
        prior = jnp.full(k * n, -jnp.inf, jnp.float32).at[n:2 * n].set(
            jnp.where(batch.warm, batch.buffer.max_returns[batch.idx], -jnp.inf))
        max_ret = jnp.maximum(max_ret, prior)
        sc = common.level_scores(cfg, traj, adv, max_ret)
        buf = parallel_buffer_update(cfg, batch.buffer, batch, sc, max_ret)

        def update(student):
            params, opt_state, losses, _ = update_student(student.params, student.opt_state, opt,
                                                          replay_part(traj, n), last_value[n:2 * n],
                                                          k_upd, s)
            return common.Student(params, opt_state), common.named_losses(losses)

        def skip(student):  # robust PLR: not even computed, so the parameters stay bit-identical
            return student, common.zero_losses()

        train = batch.warm | cfg.exploratory_grad
        student, losses = jax.lax.cond(train, update, skip, state.student)
        counts = state.counts.at[NEW].add(1).at[REPLAY].add(batch.warm.astype(jnp.int32))
        if k == 3:
            counts = counts.at[MUTATE].add(batch.warm.astype(jnp.int32))
        replay_sc = sc[n:2 * n]
        new = state._replace(
            key=key, student=student, buffer=buf,
            last_branch=jnp.where(batch.warm, REPLAY, NEW).astype(jnp.int32),
            replay_levels=_select(batch.warm, part(batch.levels, 1, n), state.replay_levels),
            replay_scores=jnp.where(batch.warm, replay_sc, state.replay_scores), counts=counts)
        finite = jnp.isfinite(sc)
        m = {**common.rollout_metrics(cfg, batch.levels, traj), **losses,
             "score/mean": jnp.where(finite, sc, 0.0).sum() / jnp.maximum(finite.sum(), 1),
             "cycle/kind": jnp.where(batch.warm, REPLAY, NEW).astype(jnp.float32),
             **lb.stats(buf, cfg.temperature, cfg.staleness_coef)}
        # levels for the run's snapshots: what the curriculum produced this cycle (edits for ACCEL,
        # replayed levels for PLR⊥ once warm, fresh levels before)
        return new, m, part(batch.levels, k - 1, n)

    return step
