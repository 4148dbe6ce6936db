"""Robust Prioritized Level Replay (PLR⊥; Jiang, Dennis et al. 2021, "Replay-Guided Adversarial Environment
Design", NeurIPS) on mazes.

Each cycle either (with the buffer at least ``min_fill`` full, probability ``replay_prob``) *replays*
``num_envs`` levels drawn from the buffer by rank-and-staleness priority (``buffer.py``) and takes a PPO
step on them, or plays *fresh* random levels, scores them and offers them to the buffer **without** a
gradient step — the "⊥" that makes PLR a regret-minimax method (``exploratory_grad=True`` gives plain
PLR). Scores are MaxMC (best return ever seen on the level minus the value, averaged over the episode)
or positive value loss. Reference: jaxued ``examples/maze_plr.py`` (its ``on_new_levels`` /
``on_replay_levels``); dcd ``--use_plr --no_exploratory_grad_updates``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze import generators
from aiga.envs.maze.level import Level, empty_level
from aiga.ued import buffer as lb
from aiga.ued import common, scores
from aiga.ued.config import UEDConfig
from aiga.ued.ppo import gae, make_optimizer, student_rollout, update_student

NEW, REPLAY, MUTATE = 0, 1, 2


class PLRState(NamedTuple):
    key: jax.Array
    student: common.Student
    buffer: lb.LevelBuffer
    last_branch: jax.Array  #: NEW / REPLAY / MUTATE (ACCEL mutates right after a replay)
    replay_levels: Level  #: the last replayed batch (ACCEL's parents)
    replay_scores: jax.Array  #: their scores after that replay
    counts: jax.Array  #: int32 [3]: cycles of each kind so far


def init(cfg: UEDConfig, key: jax.Array) -> PLRState:
    key, k = jax.random.split(key)
    placeholder = empty_level()
    batch = jax.tree_util.tree_map(lambda x: jnp.repeat(jnp.asarray(x)[None], cfg.num_envs, 0), placeholder)
    return PLRState(key, common.init_student(cfg, k), lb.init_buffer(placeholder, cfg.buffer_size),
                    jnp.zeros((), jnp.int32), batch, jnp.zeros(cfg.num_envs, jnp.float32),
                    jnp.zeros(3, jnp.int32))


def fresh_levels(cfg: UEDConfig, key: jax.Array) -> Level:
    """PLR's fresh levels: DR levels; ACCEL's (by default) empty rooms with random goal and agent."""
    n_walls = 0 if (cfg.method == "accel" and cfg.accel_empty_start) else cfg.n_walls
    return jax.vmap(generators.sample_level, in_axes=(0, None))(jax.random.split(key, cfg.num_envs), n_walls)


def make_branches(cfg: UEDConfig):
    """The two PLR⊥ cycle kinds, ``on_new`` and ``on_replay``, plus the scoring helper ACCEL reuses."""
    s = common.ppo_settings(cfg)
    opt = make_optimizer(s)

    def play_and_score(state: PLRState, levels: Level, key: jax.Array, prior_max: jax.Array | None):
        k_roll, k_upd = jax.random.split(key)
        traj, last_value = student_rollout(state.student.params, levels, k_roll, s)
        adv, _ = gae(traj.reward, traj.value, traj.done, last_value, s.gamma, s.gae_lambda)
        _, max_ret, _ = scores.episode_returns(traj.done, traj.reward)
        if prior_max is not None:
            max_ret = jnp.maximum(max_ret, prior_max)
        return traj, last_value, common.level_scores(cfg, traj, adv, max_ret), max_ret, k_upd

    def maybe_update(state: PLRState, traj, last_value, key, grad: bool):
        if not grad:  # robust PLR: no gradient on levels the curriculum has not chosen
            return state.student, common.zero_losses()
        params, opt_state, losses, _ = update_student(state.student.params, state.student.opt_state, opt,
                                                      traj, last_value, key, s)
        return common.Student(params, opt_state), common.named_losses(losses)

    def metrics(levels, traj, sc, losses, branch):
        finite = jnp.isfinite(sc)
        return {**common.rollout_metrics(cfg, levels, traj), **losses,
                "score/mean": jnp.where(finite, sc, 0.0).sum() / jnp.maximum(finite.sum(), 1),
                "cycle/kind": jnp.asarray(branch, jnp.float32)}

    def on_new(state: PLRState, key: jax.Array):
        k_lv, k_play = jax.random.split(key)
        levels = fresh_levels(cfg, k_lv)
        traj, last_value, sc, max_ret, k_upd = play_and_score(state, levels, k_play, None)
        buf = lb.insert_batch(state.buffer, levels, sc, max_ret, cfg.buffer_unique)
        student, losses = maybe_update(state, traj, last_value, k_upd, cfg.exploratory_grad)
        new = state._replace(student=student, buffer=buf, last_branch=jnp.int32(NEW),
                             counts=state.counts.at[NEW].add(1))
        return new, metrics(levels, traj, sc, losses, NEW), levels

    def on_replay(state: PLRState, key: jax.Array):
        k_sample, k_play = jax.random.split(key)
        buf, idx = lb.sample_replay(state.buffer, k_sample, cfg.num_envs, cfg.temperature, cfg.staleness_coef)
        levels = lb.gather(buf, idx)
        traj, last_value, sc, max_ret, k_upd = play_and_score(state, levels, k_play, buf.max_returns[idx])
        buf = lb.update_scores(buf, idx, sc, max_ret)
        student, losses = maybe_update(state, traj, last_value, k_upd, True)
        new = state._replace(student=student, buffer=buf, last_branch=jnp.int32(REPLAY), replay_levels=levels,
                             replay_scores=sc, counts=state.counts.at[REPLAY].add(1))
        return new, metrics(levels, traj, sc, losses, REPLAY), levels

    return on_new, on_replay, play_and_score, maybe_update, metrics


def make_step(cfg: UEDConfig):
    if cfg.schedule == "parallel":  # minimax's fresh | replay batch, an update every cycle
        from aiga.ued import parallel

        return parallel.make_step(cfg)
    on_new, on_replay, *_ = make_branches(cfg)

    def step(state: PLRState):
        key, k_dec, k_branch = jax.random.split(state.key, 3)
        state = state._replace(key=key)
        replay = lb.replay_decision(state.buffer, k_dec, cfg.replay_prob, cfg.min_fill)
        new, m, levels = jax.lax.cond(replay, on_replay, on_new, state, k_branch)
        m = {**m, **lb.stats(new.buffer, cfg.temperature, cfg.staleness_coef)}
        return new, m, levels

    return step


def student_params(state: PLRState) -> Any:
    return state.student.params
