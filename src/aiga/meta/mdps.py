"""Random tabular MDPs as a meta-RL task family, in pure JAX (Duan et al. 2016, §4.2).

Reference: lucaslingle/pytorch_rl2 ``rl2/envs/mdp_env.py``. A task is an MDP with ``num_states`` states
and ``num_actions`` actions: each row of transition probabilities P(·|s, a) is drawn from a flat
Dirichlet, each mean reward μ(s, a) from N(1, 1), and a reward received is μ(s, a) + N(0, 1) noise. Every
episode starts in state 0 and lasts ``episode_length`` steps; a trial is ``episodes`` episodes of the
same MDP. Pure functions of keys, vmapped over thousands of trials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class MDPParams(NamedTuple):
    transitions: Any  # [S, A, S]: P(s' | s, a)
    rewards: Any      # [S, A]: mean reward μ(s, a)


@dataclass(frozen=True)
class TabularMDP:
    """Duan et al.'s random MDPs: |S| = 10, |A| = 5, horizon 10, ``episodes`` episodes per trial."""

    num_states: int = 10
    num_actions: int = 5
    episode_length: int = 10
    episodes: int = 10
    reward_mean: float = 1.0
    reward_std: float = 1.0
    noise_std: float = 1.0

    @property
    def num_obs(self) -> int:
        return self.num_states

    def sample_params(self, key: Any) -> MDPParams:
        import jax

        kp, kr = jax.random.split(key)
        s, a = self.num_states, self.num_actions
        # flat Dirichlet = normalised i.i.d. Exp(1) draws: exact, and far cheaper to compile than the
        # general gamma sampler behind jax.random.dirichlet
        e = jax.random.exponential(kp, (s, a, s))
        trans = e / e.sum(-1, keepdims=True)
        rew = self.reward_mean + self.reward_std * jax.random.normal(kr, (s, a))
        return MDPParams(trans, rew)

    def reset(self, params: Any) -> tuple[Any, Any]:
        import jax.numpy as jnp

        return jnp.int32(0), jnp.int32(0)

    def step(self, key: Any, params: MDPParams, state: Any, action: Any) -> tuple[Any, Any, Any]:
        import jax
        import jax.numpy as jnp

        kt, kr = jax.random.split(key)
        nxt = jax.random.categorical(kt, jnp.log(params.transitions[state, action])).astype(jnp.int32)
        reward = params.rewards[state, action] + self.noise_std * jax.random.normal(kr)
        return nxt, nxt, reward


def value_iteration(transitions: Any, rewards: Any, horizon: int) -> Any:
    """Finite-horizon optimal Q-values ``Q[t, s, a]`` for t = 0..horizon−1 (steps remaining = horizon − t)."""
    import jax
    import jax.numpy as jnp

    def backup(v: Any, _: Any) -> tuple[Any, Any]:
        q = rewards + transitions @ v
        return q.max(axis=1), q

    _, qs = jax.lax.scan(backup, jnp.zeros(rewards.shape[0]), None, length=horizon)
    return qs[::-1]
