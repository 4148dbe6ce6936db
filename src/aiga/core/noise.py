"""Shared ES perturbations: every process draws the same ε for pair ``i`` of step ``key``, without a table.

OpenAI-ES (Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to Reinforcement
Learning") and POET (Wang et al. 2019) communicate perturbations between the master and its workers by
index into a *shared noise table*: 250 M float32 drawn from seed 42, every perturbation a contiguous slice
at a random offset (uber-research/poet ``poet_distributed/noise.py``, ``SharedNoiseTable``). The reference
builds that table in every worker process, so each worker holds its own 1 GB copy (defect 6 in
``shared/reference/poet.md``): 2 workers on a laptop already need 3 GB before a single rollout.

We use a *counter-based* draw instead: the perturbation of antithetic pair ``i`` in the ES step named
``key`` is ``N(0, I)`` in float32 from a generator seeded by ``SeedSequence(noise_seed, spawn_key=(*key,
i))``. Any process regenerates exactly the same vector from the three integers, so only ``(noise_seed,
key, i)`` crosses the wire, there is no table in memory at all, and no two steps or pairs ever share or
overlap their noise (the table's slices at random offsets do overlap; that correlation is gone).

Why this generator and not the alternatives:

* Cost. Measured on this machine (one core, numpy 2.4): one 2,804-vector (the walker policy) costs about
  90 µs (SeedSequence hashing + PCG64 set-up + 2,804 float32 normals; a raw ``Philox(key=...)`` is about
  65 µs). A walker rollout costs 0.2–0.28 ms *per step*, i.e. 20–500 ms per episode, so regenerating ε
  costs well under 0.5 % of the rollout that uses it, and the master's 256 regenerations per ES step
  (~25 ms) are negligible next to the step's 512 rollouts. ``bench/es_step.py`` reports the total
  overhead.
* Identity everywhere. ``SeedSequence`` + ``PCG64`` is numpy's documented reproducible path (the same
  streams on every platform and version that keeps its stream-compatibility policy), and it is what
  ``aiga.core.seeding`` uses for every other stream.
* A shared-memory table would also solve the memory problem, but needs a 1 GB allocation per machine,
  set-up on every Ray node, and lifetime management when a worker dies; the counter-based draw needs
  nothing.

The float32 dtype follows the reference (its table is float32); θ stays float64, so ``θ ± σ·ε`` is
computed in float64 exactly as the reference did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

NOISE_DTYPE = np.float32


def step_key(*parts: int | str) -> tuple[int, ...]:
    """A noise key from readable parts, e.g. ``step_key("es", iteration)`` or ``step_key("niche", 3, t)``.

    Strings are hashed to 64-bit integers, so keys stay small integers that travel cheaply and mean the
    same in every process. Distinct keys give independent noise.
    """
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(int.from_bytes(hashlib.sha256(p.encode()).digest()[:8], "little"))
        else:
            p = int(p)
            if p < 0:
                raise ValueError("noise key parts must be non-negative")
            out.append(p)
    return tuple(out)


def perturbation(noise_seed: int, key: tuple[int, ...], pair: int, dim: int) -> np.ndarray:
    """ε (float32, shape ``(dim,)``) of antithetic pair ``pair`` in the step named ``key``."""
    ss = np.random.SeedSequence(entropy=int(noise_seed), spawn_key=(*key, int(pair)))
    return np.random.Generator(np.random.PCG64(ss)).standard_normal(int(dim), dtype=NOISE_DTYPE)


def perturbations(noise_seed: int, key: tuple[int, ...], pairs: Iterable[int], dim: int) -> np.ndarray:
    """ε for several pairs, stacked ``(len(pairs), dim)``.

    Row ``j`` equals ``perturbation(..., pairs[j])``."""
    pairs = list(pairs)
    out = np.empty((len(pairs), int(dim)), dtype=NOISE_DTYPE)
    for j, i in enumerate(pairs):
        out[j] = perturbation(noise_seed, key, i, dim)
    return out
