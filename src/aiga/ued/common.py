"""Small pieces every maze method uses: student state, level scoring, the metrics of a rollout.

Every method file (``dr.py``, ``plr.py``, ``accel.py``, ``paired.py``) exposes ``init(cfg, key)`` → state and
``make_step(cfg)`` → a pure ``step(state) -> (state, metrics, levels)`` that the run loop ``jit``\\ s;
the state is a pytree of arrays (checkpointed as it is) carrying its own PRNG key.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze import generators, paths
from aiga.envs.maze.level import Level
from aiga.ued import networks, scores
from aiga.ued.config import UEDConfig
from aiga.ued.ppo import PPOSettings, Trajectory, make_optimizer


class Student(NamedTuple):
    params: Any
    opt_state: Any


def ppo_settings(cfg: UEDConfig, **overrides: Any) -> PPOSettings:
    kw = dict(num_envs=cfg.num_envs, num_steps=cfg.num_steps, epochs=cfg.epochs, minibatches=cfg.minibatches,
              gamma=cfg.gamma, gae_lambda=cfg.gae_lambda, clip_eps=cfg.clip_eps, ent_coef=cfg.ent_coef,
              vf_coef=cfg.vf_coef, lr=cfg.lr, max_grad_norm=cfg.max_grad_norm,
              max_episode_steps=cfg.max_episode_steps, hidden=cfg.hidden)
    kw.update(overrides)
    return PPOSettings(**kw)


def init_student(cfg: UEDConfig, key: jax.Array) -> Student:
    params = networks.init_student(key, hidden=cfg.hidden)
    return Student(params, make_optimizer(ppo_settings(cfg)).init(params))


def random_levels(key: jax.Array, n: int, n_walls: int) -> Level:
    return jax.vmap(generators.sample_level, in_axes=(0, None))(jax.random.split(key, n), n_walls)


def level_scores(cfg: UEDConfig, traj: Trajectory, advantages: jax.Array,
                 max_returns: jax.Array) -> jax.Array:
    if cfg.score == "pvl":
        return scores.positive_value_loss(traj.done, advantages)
    return scores.max_mc(traj.done, traj.value, max_returns)


def rollout_metrics(cfg: UEDConfig, levels: Level, traj: Trajectory) -> dict[str, jax.Array]:
    """What was played: mean return, solved fraction, exact regret and the levels' difficulty."""
    mean_ret, max_ret, n_eps = scores.episode_returns(traj.done, traj.reward)
    info = jax.vmap(paths.path_info, in_axes=(0, None))(levels, cfg.max_episode_steps)
    solvable = info.solvable.astype(jnp.float32)
    nsolv = jnp.maximum(solvable.sum(), 1.0)
    return {
        "train/return": mean_ret.mean(),
        "train/solved": (max_ret > 0).mean(),
        "train/episodes": n_eps.mean(),
        "levels/solvable": solvable.mean(),
        "levels/walls": levels.wall_map.sum((-1, -2)).mean(),
        "levels/path_length": jnp.where(info.solvable, info.path_length, 0).sum() / nsolv,
        "levels/optimal_return": info.optimal_return.mean(),
        "regret/true": scores.true_regret(info.optimal_return, mean_ret).mean(),
    }


def zero_losses() -> dict[str, jax.Array]:
    return {"loss/policy": jnp.zeros(()), "loss/value": jnp.zeros(()), "loss/entropy": jnp.zeros(())}


def named_losses(losses: dict[str, jax.Array]) -> dict[str, jax.Array]:
    return {"loss/policy": losses["policy_loss"], "loss/value": losses["value_loss"],
            "loss/entropy": losses["entropy"]}
