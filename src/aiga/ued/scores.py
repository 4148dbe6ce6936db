"""Level scores: the regret proxies of PAIRED, PLR⊥ and ACCEL, and the exact regret the maze allows.

From the rollout of one level (``dones``, ``rewards``, ``values``, ``advantages``, all [T, B]):

* ``episode_returns``: per level, the mean and the max return over the episodes completed in the rollout
  and their number (minimax ``ued_scores.py``; jaxued ``utils.accumulate_rollout_stats``). The max starts
  at 0, as in the references (returns are non-negative in the maze).
* ``positive_value_loss`` (PVL, Jiang et al. 2021): per completed episode the time-average of
  ``max(GAE advantage, 0)``, then the mean over episodes.
* ``max_mc`` (Jiang et al. 2021, "MaxMC"): per completed episode the time-average of
  ``max_return − V(s_t)``, where ``max_return`` is the best return ever seen on the level, then the mean.
* ``paired_regret`` (Dennis et al. 2020): antagonist's **max** minus protagonist's **mean** return, clipped
  at 0 optionally (minimax clips; jaxued does not). jaxued had the two swapped until Aug 2024 (antagonist
  mean − protagonist max), which is always ≤ the true formula; a test pins the order.
* ``true_regret``: the level's optimal return (exact, from ``aiga.envs.maze.paths``) minus the mean return.

A level with no completed episode in the rollout scores ``-inf`` (jaxued's convention): it is never
inserted into a level buffer.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _per_episode_time_average(dones: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean over completed episodes of the within-episode mean of ``x``; and the episode counts."""

    def body(c, inp):
        total, acc, n_steps, n_eps = c
        d, v = inp
        acc = acc + v
        n_steps = n_steps + 1
        total = total + jnp.where(d, acc / n_steps, 0.0)
        n_eps = n_eps + d
        acc = jnp.where(d, 0.0, acc)
        n_steps = jnp.where(d, 0, n_steps)
        return (total, acc, n_steps, n_eps), None

    b = dones.shape[1]
    z = jnp.zeros(b, jnp.float32)
    (total, _, _, n_eps), _ = jax.lax.scan(body, (z, z, jnp.zeros(b, jnp.int32), jnp.zeros(b, jnp.int32)),
                                           (dones, x.astype(jnp.float32)))
    return total / jnp.maximum(n_eps, 1), n_eps


def episode_returns(dones: jax.Array, rewards: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(mean return, max return, number of completed episodes) per level, from [T, B] arrays."""

    def body(c, inp):
        total, best, acc, n_eps = c
        d, r = inp
        acc = acc + r
        total = total + jnp.where(d, acc, 0.0)
        best = jnp.where(d, jnp.maximum(best, acc), best)
        n_eps = n_eps + d
        acc = jnp.where(d, 0.0, acc)
        return (total, best, acc, n_eps), None

    b = dones.shape[1]
    z = jnp.zeros(b, jnp.float32)
    (total, best, _, n_eps), _ = jax.lax.scan(body, (z, z, z, jnp.zeros(b, jnp.int32)),
                                              (dones, rewards.astype(jnp.float32)))
    return total / jnp.maximum(n_eps, 1), best, n_eps


def positive_value_loss(dones: jax.Array, advantages: jax.Array) -> jax.Array:
    score, n = _per_episode_time_average(dones, jnp.maximum(advantages, 0.0))
    return jnp.where(n > 0, score, -jnp.inf)


def max_mc(dones: jax.Array, values: jax.Array, max_returns: jax.Array) -> jax.Array:
    score, n = _per_episode_time_average(dones, max_returns[None, :] - values)
    return jnp.where(n > 0, score, -jnp.inf)


def paired_regret(antagonist_max: jax.Array, protagonist_mean: jax.Array, clip: bool = False) -> jax.Array:
    """PAIRED's adversary reward: antagonist max − protagonist mean (≥ 0 when ``clip``)."""
    regret = antagonist_max - protagonist_mean
    return jnp.maximum(regret, 0.0) if clip else regret


def true_regret(optimal_return: jax.Array, mean_return: jax.Array) -> jax.Array:
    return optimal_return - mean_return
