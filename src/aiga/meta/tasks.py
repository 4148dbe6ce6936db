"""One task interface for every meta-learner in ``aiga.meta`` (MAML now; ANML and GTN later).

A meta-learner sees a *distribution of tasks*. Two kinds exist in the papers we follow:

* supervised few-shot tasks (MAML's sinusoids and Omniglot episodes; ANML's class trajectories; GTN's
  real-data batches): each task is a *support* set to adapt on and a *query* set to score the adapted
  learner, the "inputa/inputb" of Finn et al.'s reference code (cbfinn/maml);
* reinforcement-learning tasks (RL²'s bandits and tabular MDPs, Duan et al. 2016): each task is an
  environment drawn from a family, on which an agent runs a *trial* of several episodes.

Both are sampled by pure, jittable functions of a PRNG key, so a sampler runs inside the same XLA
program as the learner (vmapped over the meta-batch, scanned over iterations). Samplers keep their arrays
(e.g. Omniglot images) in ``data`` and receive them as an argument rather than closing over them, so a
large data set is a jit argument, not a constant baked into every compiled program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable


class TaskBatch(NamedTuple):
    """A batch of supervised tasks; leading axis = task. ``info`` carries what generated each task
    (e.g. sinusoid amplitude and phase) for plots and oracles; it is never shown to the learner."""

    support_x: Any
    support_y: Any
    query_x: Any
    query_y: Any
    info: Any = ()


@runtime_checkable
class TaskSampler(Protocol):
    """Samples supervised few-shot tasks. ``sample(data, key, num_tasks)`` must be pure and jittable."""

    name: str
    #: what kind of loss the tasks are scored with: "mse" (regression) or "xent" (classification)
    loss: str
    #: arrays the sampler draws from (a pytree), passed to ``sample`` inside jitted code
    data: Any

    def sample(self, data: Any, key: Any, num_tasks: int) -> TaskBatch: ...


@runtime_checkable
class MetaEnv(Protocol):
    """A family of small environments for meta-RL, written as pure JAX functions (gymnax style).

    ``sample_params(key)`` draws one task (an environment of the family); a *trial* runs
    ``episodes`` episodes of ``episode_length`` steps on it; ``reset(params)`` gives the state and
    observation at an episode's start; ``step(key, params, state, action)`` returns
    ``(state, obs, reward)``. Observations are integers in ``[0, num_obs)`` (tabular).
    """

    num_obs: int
    num_actions: int
    episode_length: int

    def sample_params(self, key: Any) -> Any: ...

    def reset(self, params: Any) -> tuple[Any, Any]: ...

    def step(self, key: Any, params: Any, state: Any, action: Any) -> tuple[Any, Any, Any]: ...


# ------------------------------------------------------------------------------------------ sinusoid


class SinusoidInfo(NamedTuple):
    amplitude: Any
    phase: Any


@dataclass(frozen=True)
class SinusoidSampler:
    """Finn et al. (2017) §5.1 regression tasks: y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π],
    x ~ U[−5, 5] (cbfinn/maml ``data_generator.generate_sinusoid_batch``: ``amp*sin(x - phase)``).

    ``k_shot`` support points to adapt on and ``k_query`` query points to score (the reference draws
    2K points and splits them K/K during meta-training).
    """

    k_shot: int = 10
    k_query: int = 10
    amp_range: tuple[float, float] = (0.1, 5.0)
    phase_range: tuple[float, float] = (0.0, math.pi)
    input_range: tuple[float, float] = (-5.0, 5.0)
    name: str = "sinusoid"
    loss: str = "mse"
    data: Any = ()

    def sample(self, data: Any, key: Any, num_tasks: int) -> TaskBatch:
        import jax
        import jax.numpy as jnp

        ka, kp, kx = jax.random.split(key, 3)
        amp = jax.random.uniform(ka, (num_tasks,), minval=self.amp_range[0], maxval=self.amp_range[1])
        phase = jax.random.uniform(kp, (num_tasks,), minval=self.phase_range[0], maxval=self.phase_range[1])
        n = self.k_shot + self.k_query
        x = jax.random.uniform(kx, (num_tasks, n, 1), minval=self.input_range[0], maxval=self.input_range[1])
        y = amp[:, None, None] * jnp.sin(x - phase[:, None, None])
        k = self.k_shot
        return TaskBatch(x[:, :k], y[:, :k], x[:, k:], y[:, k:], SinusoidInfo(amp, phase))
