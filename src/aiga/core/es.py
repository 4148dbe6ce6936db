"""OpenAI-ES exactly as POET ran it: antithetic pairs, centred ranks, Adam with L2, decaying lr and σ.

Papers: Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to Reinforcement
Learning"; Wang et al. 2019, "Paired Open-Ended Trailblazer (POET)" (the optimiser of every niche and
the "direct optimization" baseline). Reference code: uber-research/poet, branch ``original_poet``:
``poet_distributed/es.py`` (``ESOptimizer.compute_grads``, ``get_step``, ``set_theta``),
``optimizers.py`` (``Adam``, ``SimpleSGD``), ``stats.py`` (``compute_centered_ranks``,
``batched_weighted_sum``), run with ``--normalize_grads_by_noise_std --propose_with_adam
--returns_normalization=centered_ranks`` and the defaults of ``ESConfig`` below.

One ES step, in the reference's order:

1. For each of ``pairs`` antithetic pairs, ε_i ~ N(0, I); evaluate θ + σε_i and θ − σε_i (returns
   r⁺_i, r⁻_i).
2. Centred ranks over all 2n returns together (``rank / (2n − 1) − 0.5``).
3. g = Σ_i (R⁺_i − R⁻_i)·ε_i / n, then g /= σ (``normalize_grads_by_noise_std``).
4. Adam on (−g + l2·θ): t ← t + 1, a = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), m ← β₁m + (1 − β₁)·grad,
   v ← β₂v + (1 − β₂)·grad², θ ← θ − a·m/(√v + ε).
5. Only *after* the update: lr ← max(lr·lr_decay, lr_floor) and σ ← max(σ·σ_decay, σ_floor). So the
   first step uses lr = 0.01 and σ = 0.1 exactly, the second 0.01·0.9999 and 0.1·0.999.

On accepting a transferred agent POET resets the niche's optimiser (``set_theta(..,
reset_optimizer=True)``: m = v = 0, t = 0, lr and σ back to their initial values): ``reset_optimizer``.

POET's transfer also makes a *proposal*: one ES step from a foreign θ in the target niche that changes
nothing of the target's optimiser (reference ``Adam.propose``: m, v from the target's state, *without*
incrementing t, σ and lr of the target). ``proposal_step`` is that.

Everything here is a pure function over immutable records (``ESState``), in the spirit of evosax's
``init/ask/tell``: ``ask`` names the perturbations of a step, the evaluator (``aiga.core.workers``)
scores them, ``tell`` turns the returns into the next state. ``es_step`` does all three.

Deviations from the reference (all numerically tiny, listed in docs/es.md):

* Ties among returns: the reference ranks with ``x.argsort()`` (numpy's default, unstable quicksort),
  so tied returns get an arbitrary, platform- and numpy-version-dependent order. We use a *stable*
  argsort over the returns flattened as the reference does (r⁺_0, r⁻_0, r⁺_1, r⁻_1, ...): tied returns
  get distinct ranks in that order. Same ranks as the reference whenever its sort happens to keep ties
  in order (numpy's generic introsort does for up to 16 values; the SIMD sorts numpy ≥ 1.25 uses on
  AVX-512 machines do not, even for 4 values), and deterministic everywhere, which bit-identical resume
  and worker-count independence need. A pair with r⁺ = r⁻ thus gets a tiny non-zero weight
  ±1/(2n − 1), exactly as in the reference.
* Ranks, ε·weights and Adam run in float64 (the reference mixes float32 ranks/gradient with float64 θ
  and Adam moments that become float64 after the first step).
* ``proposal_step`` with Adam on a never-stepped state (t = 0) would divide 0 by 0 in the reference; we
  use t = 1 there (the proposal becomes lr·sign-like first Adam step), see ``proposal_step``.
* Noise: counter-based per (seed, step, pair) instead of a shared table (``aiga.core.noise``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from aiga.core.config import AigaError, check_range, param
from aiga.core.noise import perturbations, step_key

# ------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ESConfig:
    """Hyperparameters of POET's ES (reference defaults from the ``original_poet`` run script)."""

    pairs: int = param(256, "antithetic pairs per ES step (population = 2 x pairs)")
    sigma: float = param(0.1, "initial noise standard deviation")
    sigma_decay: float = param(0.999, "sigma multiplier after each step")
    sigma_floor: float = param(0.01, "sigma never decays below this")
    lr: float = param(0.01, "initial Adam learning rate")
    lr_decay: float = param(0.9999, "learning-rate multiplier after each step")
    lr_floor: float = param(0.001, "learning rate never decays below this")
    l2: float = param(0.01, "L2 coefficient: Adam follows -g + l2*theta")
    beta1: float = param(0.9, "Adam beta1")
    beta2: float = param(0.999, "Adam beta2")
    adam_eps: float = param(1e-8, "Adam epsilon")
    normalize_by_sigma: bool = param(True, "divide the gradient by sigma "
                                           "(reference --normalize_grads_by_noise_std)")
    propose_with_adam: bool = param(True, "transfer proposals use the target's Adam state "
                                          "(else plain SGD at lr)")

    def __post_init__(self) -> None:
        check_range("pairs", self.pairs, 1, 1_000_000)
        check_range("sigma", self.sigma, 1e-12, 1e6)
        check_range("sigma_decay", self.sigma_decay, 0.0, 1.0)
        check_range("sigma_floor", self.sigma_floor, 0.0, 1e6)
        check_range("lr", self.lr, 0.0, 1e6)
        check_range("lr_decay", self.lr_decay, 0.0, 1.0)
        check_range("lr_floor", self.lr_floor, 0.0, 1e6)
        check_range("l2", self.l2, 0.0, 1e6)
        check_range("beta1", self.beta1, 0.0, 0.999999)
        check_range("beta2", self.beta2, 0.0, 0.999999999)
        check_range("adam_eps", self.adam_eps, 1e-300, 1.0)


def es_config_of(cfg: Any) -> ESConfig:
    """The ``ESConfig`` part of a larger config that has the same field names (e.g. ``DirectESConfig``)."""
    return ESConfig(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(ESConfig)})


# ------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class ESState:
    """One niche's optimiser: θ, Adam moments and step count, current lr and σ. Never mutated."""

    theta: np.ndarray
    m: np.ndarray
    v: np.ndarray
    t: int
    lr: float
    sigma: float

    @staticmethod
    def initial(theta: np.ndarray, cfg: ESConfig) -> ESState:
        theta = np.array(theta, dtype=np.float64)
        if theta.ndim != 1:
            raise AigaError(f"theta must be a flat vector, got shape {theta.shape}")
        return ESState(theta, np.zeros_like(theta), np.zeros_like(theta), 0, float(cfg.lr), float(cfg.sigma))

    @property
    def dim(self) -> int:
        return int(self.theta.shape[0])

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}theta": self.theta, f"{prefix}adam_m": self.m, f"{prefix}adam_v": self.v}

    def meta(self) -> dict[str, Any]:
        """JSON part (Python floats round-trip exactly through JSON)."""
        return {"t": int(self.t), "lr": float(self.lr), "sigma": float(self.sigma)}

    @staticmethod
    def from_arrays(arrays: dict[str, np.ndarray], meta: dict[str, Any], prefix: str = "") -> ESState:
        try:
            theta, m, v = (np.asarray(arrays[f"{prefix}{k}"]) for k in ("theta", "adam_m", "adam_v"))
            t, lr, sigma = int(meta["t"]), float(meta["lr"]), float(meta["sigma"])
        except (KeyError, TypeError, ValueError) as e:
            raise AigaError(f"checkpoint lacks a readable ES optimiser state ({e!r})") from None
        if theta.ndim != 1 or m.shape != theta.shape or v.shape != theta.shape:
            raise AigaError("checkpoint's ES state has inconsistent array shapes")
        if any(a.dtype != np.float64 for a in (theta, m, v)):
            raise AigaError("checkpoint's ES state arrays must be float64")
        if t < 0 or not (math.isfinite(lr) and math.isfinite(sigma)) or sigma <= 0:
            raise AigaError("checkpoint's ES state has invalid step count, lr or sigma")
        return ESState(theta, m, v, t, lr, sigma)

    def replace(self, **changes: Any) -> ESState:
        return dataclasses.replace(self, **changes)


def reset_optimizer(state: ESState, cfg: ESConfig, theta: np.ndarray | None = None) -> ESState:
    """POET's reset on accepting a transfer: zero moments, t = 0, lr and σ back to their initial values."""
    th = state.theta if theta is None else np.array(theta, dtype=np.float64)
    return ESState(th, np.zeros_like(th), np.zeros_like(th), 0, float(cfg.lr), float(cfg.sigma))


# ------------------------------------------------------------------------------------------- maths


def centered_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks of all entries of ``x`` together, scaled to [-0.5, 0.5]: ``rank / (size - 1) - 0.5``.

    Ranks run over ``x`` flattened in C order (for returns of shape (n, 2): r⁺_0, r⁻_0, r⁺_1, ...),
    ties broken by that order (stable sort; see the module docstring). Same shape as ``x``, float64.
    """
    x = np.asarray(x)
    flat = x.ravel()
    if flat.size < 2:
        raise ValueError("centred ranks need at least two values")
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[np.argsort(flat, kind="stable")] = np.arange(flat.size, dtype=np.float64)
    return (ranks / (flat.size - 1) - 0.5).reshape(x.shape)


def es_gradient(returns: np.ndarray, eps: np.ndarray, sigma: float,
                normalize_by_sigma: bool = True) -> np.ndarray:
    """The reference's ES gradient estimate: Σ_i (R⁺_i − R⁻_i)·ε_i / n [/ σ], R the centred ranks."""
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 2 or returns.shape[1] != 2 or eps.shape[0] != returns.shape[0]:
        raise ValueError(f"returns must be (pairs, 2) matching eps rows; got {returns.shape} and {eps.shape}")
    r = centered_ranks(returns)
    weights = r[:, 0] - r[:, 1]
    g = weights @ np.asarray(eps, dtype=np.float64)
    g /= returns.shape[0]
    if normalize_by_sigma:
        g /= sigma
    return g


def adam_step(theta: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float, grad: np.ndarray,
              cfg: ESConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """One Adam update as the reference's ``Adam._compute_step`` (t incremented first).

    Returns θ', m', v', t'."""
    t = t + 1
    a = lr * math.sqrt(1 - cfg.beta2**t) / (1 - cfg.beta1**t)
    m = cfg.beta1 * m + (1 - cfg.beta1) * grad
    v = cfg.beta2 * v + (1 - cfg.beta2) * (grad * grad)
    step = -a * m / (np.sqrt(v) + cfg.adam_eps)
    return theta + step, m, v, t


def adam_propose(state: ESState, grad: np.ndarray, cfg: ESConfig) -> np.ndarray:
    """The reference's ``Adam.propose``: the step Adam would take from the owner's m, v, *current* t."""
    t = max(state.t, 1)  # reference divides 0/0 when t = 0; see module docstring
    a = state.lr * math.sqrt(1 - cfg.beta2**t) / (1 - cfg.beta1**t)
    m = cfg.beta1 * state.m + (1 - cfg.beta1) * grad
    v = cfg.beta2 * state.v + (1 - cfg.beta2) * (grad * grad)
    return -a * m / (np.sqrt(v) + cfg.adam_eps)


# ------------------------------------------------------------------------------------------- steps


class Evaluator(Protocol):
    """What ``es_step`` needs from ``aiga.core.workers`` (any backend)."""

    def antithetic(self, objective: Any, theta: np.ndarray, sigma: float, noise_seed: int,
                   key: tuple[int, ...], pairs: int) -> Any: ...


@dataclass(frozen=True)
class StepStats:
    """What one ES step saw (POET's ``StepStats``, minus wall times which are not reproducible)."""

    returns: np.ndarray  # (pairs, 2): r⁺, r⁻
    lengths: np.ndarray  # (pairs, 2)
    grad_norm: float
    update_ratio: float

    @property
    def env_steps(self) -> int:
        return int(self.lengths.sum())

    @property
    def best(self) -> float:
        return float(self.returns.max())

    @property
    def mean(self) -> float:
        return float(self.returns.mean())


@dataclass(frozen=True)
class Ask:
    """The perturbations of one step: pair ``i`` is ``theta ± sigma * perturbation(noise_seed, key, i)``."""

    theta: np.ndarray
    sigma: float
    noise_seed: int
    key: tuple[int, ...]
    pairs: int

    def eps(self) -> np.ndarray:
        return perturbations(self.noise_seed, self.key, range(self.pairs), self.theta.shape[0])


def ask(state: ESState, cfg: ESConfig, noise_seed: int, key: tuple[int, ...]) -> Ask:
    return Ask(state.theta, state.sigma, int(noise_seed), step_key(*key), cfg.pairs)


def _grad_of(a: Ask, returns: np.ndarray, cfg: ESConfig) -> tuple[np.ndarray, float]:
    """(−g + l2·θ, the direction Adam descends; ‖g‖² as the reference logs it)."""
    g = es_gradient(returns, a.eps(), a.sigma, cfg.normalize_by_sigma)
    return -g + cfg.l2 * a.theta, float(np.square(g).sum())


def tell(state: ESState, cfg: ESConfig, a: Ask, returns: np.ndarray,
         lengths: np.ndarray) -> tuple[ESState, StepStats]:
    """The state after the step whose perturbations ``a`` scored ``returns``; lr and σ decay after it."""
    returns = np.asarray(returns, dtype=np.float64)
    if returns.shape != (a.pairs, 2):
        raise ValueError(f"expected returns of shape ({a.pairs}, 2), got {returns.shape}")
    grad, grad_norm = _grad_of(a, returns, cfg)
    theta, m, v, t = adam_step(state.theta, state.m, state.v, state.t, state.lr, grad, cfg)
    ratio = (float(np.linalg.norm(theta - state.theta) / np.linalg.norm(state.theta))
             if state.theta.any() else math.inf)
    new = ESState(theta, m, v, t,
                  max(state.lr * cfg.lr_decay, cfg.lr_floor),
                  max(state.sigma * cfg.sigma_decay, cfg.sigma_floor))
    stats = StepStats(returns, np.asarray(lengths), grad_norm, ratio)
    return new, stats


def es_step(state: ESState, cfg: ESConfig, objective: Any, evaluator: Evaluator, noise_seed: int,
            key: tuple[int, ...]) -> tuple[ESState, StepStats]:
    """One ES step of ``state`` on ``objective``; ``key`` names the step's noise (must differ per step)."""
    a = ask(state, cfg, noise_seed, key)
    res = evaluator.antithetic(objective, a.theta, a.sigma, a.noise_seed, a.key, a.pairs)
    return tell(state, cfg, a, res.returns, res.lengths)


def proposal_step(theta: np.ndarray, owner: ESState, cfg: ESConfig, objective: Any, evaluator: Evaluator,
                  noise_seed: int, key: tuple[int, ...]) -> tuple[np.ndarray, StepStats]:
    """One ES step from a foreign ``theta`` on the owner's environment, leaving ``owner`` untouched.

    As the reference's ``get_step(propose_only=True)``: perturbations with the owner's σ, then either the
    Adam step the owner's optimiser *would* take (its m, v, t, lr; nothing stored) when
    ``cfg.propose_with_adam``, or a plain SGD step ``θ − lr·(−g + l2·θ)`` at the *initial* lr (the
    reference's ``SimpleSGD(stepsize=learning_rate)``). Returns the proposed θ and the step's stats.
    """
    theta = np.array(theta, dtype=np.float64)
    if theta.shape != owner.theta.shape:
        raise ValueError("proposal theta must have the owner's shape")
    a = Ask(theta, owner.sigma, int(noise_seed), step_key(*key), cfg.pairs)
    res = evaluator.antithetic(objective, a.theta, a.sigma, a.noise_seed, a.key, a.pairs)
    return _propose_from(a, owner, cfg, res)


def es_step_many(states: list[ESState], cfg: ESConfig, objectives: list[Any], evaluator: Any, noise_seed: int,
                 keys: list[tuple]) -> list[tuple[ESState, StepStats]]:
    """``es_step`` for several independent optimisers at once (POET's niches): one round of worker tasks
    for all populations; each result is bit-identical to its own ``es_step``."""
    asks = [ask(s, cfg, noise_seed, k) for s, k in zip(states, keys, strict=True)]
    results = evaluator.antithetic_many([(o, a.theta, a.sigma, a.noise_seed, a.key, a.pairs)
                                         for o, a in zip(objectives, asks, strict=True)])
    return [tell(s, cfg, a, r.returns, r.lengths) for s, a, r in zip(states, asks, results, strict=True)]


def proposal_steps(requests: list[tuple[np.ndarray, ESState, Any, tuple]], cfg: ESConfig, evaluator: Any,
                   noise_seed: int) -> list[tuple[np.ndarray, StepStats]]:
    """``proposal_step`` for many ``(theta, owner, objective, key)`` at once (POET's transfer rounds)."""
    asks = []
    for theta, owner, _, key in requests:
        theta = np.array(theta, dtype=np.float64)
        if theta.shape != owner.theta.shape:
            raise ValueError("proposal theta must have the owner's shape")
        asks.append(Ask(theta, owner.sigma, int(noise_seed), step_key(*key), cfg.pairs))
    results = evaluator.antithetic_many([(req[2], a.theta, a.sigma, a.noise_seed, a.key, a.pairs)
                                         for req, a in zip(requests, asks, strict=True)])
    out = []
    for (_, owner, _, _), a, res in zip(requests, asks, results, strict=True):
        out.append(_propose_from(a, owner, cfg, res))
    return out


def _propose_from(a: Ask, owner: ESState, cfg: ESConfig, res: Any) -> tuple[np.ndarray, StepStats]:
    returns = np.asarray(res.returns, dtype=np.float64)
    grad, grad_norm = _grad_of(a, returns, cfg)
    step = adam_propose(owner, grad, cfg) if cfg.propose_with_adam else -cfg.lr * grad
    ratio = float(np.linalg.norm(step) / np.linalg.norm(a.theta)) if a.theta.any() else math.inf
    return a.theta + step, StepStats(returns, np.asarray(res.lengths), grad_norm, ratio)
