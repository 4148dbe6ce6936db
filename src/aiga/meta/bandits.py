"""Bernoulli multi-armed bandits as a meta-RL task family, in pure JAX (Duan et al. 2016, §4.1).

Reference: lucaslingle/pytorch_rl2 ``rl2/envs/bandit_env.py`` (a PyTorch reproduction of RL²). A task is
a bandit with ``k`` arms whose success probabilities are drawn i.i.d. from U[0, 1]; a *trial* is ``n``
pulls, each pull being a one-step episode (so the agent's ``done`` input is 1 at every step). There is a
single dummy observation. Everything is a pure function of a key, so thousands of trials run vmapped in
one XLA program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BernoulliBandit:
    """``k`` Bernoulli arms, p_i ~ U[0, 1]; trials of ``n`` pulls (``episodes``), one pull per episode."""

    k: int = 5
    n: int = 100
    num_obs: int = 1
    episode_length: int = 1

    @property
    def num_actions(self) -> int:
        return self.k

    @property
    def episodes(self) -> int:
        return self.n

    def sample_params(self, key: Any) -> Any:
        import jax

        return jax.random.uniform(key, (self.k,))

    def reset(self, params: Any) -> tuple[Any, Any]:
        import jax.numpy as jnp

        return jnp.int32(0), jnp.int32(0)

    def step(self, key: Any, params: Any, state: Any, action: Any) -> tuple[Any, Any, Any]:
        import jax
        import jax.numpy as jnp

        reward = jax.random.bernoulli(key, params[action]).astype(jnp.float32)
        return state, jnp.int32(0), reward

    def expected_reward(self, params: Any, action: Any) -> Any:
        return params[action]
