"""Explicit randomness: one seed per run, streams derived from it by name, states saved as JSON.

No global random state anywhere: every random draw goes through a ``numpy.random.Generator`` made here
(or a JAX key), and every generator a run owns is checkpointed with ``rng_state`` so that a resumed run
draws exactly the numbers an uninterrupted one would have drawn.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from aiga.core.config import AigaError


def _key(part: int | str) -> int:
    if isinstance(part, str):
        return int.from_bytes(hashlib.sha256(part.encode()).digest()[:8], "little")
    if part < 0:
        raise ValueError("stream keys must be non-negative")
    return int(part)


def make_rng(seed: int, *stream: int | str) -> np.random.Generator:
    """A generator for the named sub-stream of ``seed`` (e.g. ``make_rng(seed, "mutation")``).

    Distinct names give statistically independent streams (SeedSequence spawn keys), and the same name
    always gives the same stream, whichever process asks.
    """
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_key(p) for p in stream))
    return np.random.Generator(np.random.PCG64(ss))


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's full state as JSON-serialisable data."""
    return rng.bit_generator.state


def rng_from_state(state: dict[str, Any]) -> np.random.Generator:
    try:
        name = state["bit_generator"]
        bg_cls = {
            "PCG64": np.random.PCG64,
            "PCG64DXSM": np.random.PCG64DXSM,
            "Philox": np.random.Philox,
            "SFC64": np.random.SFC64,
            "MT19937": np.random.MT19937,
        }[name]
        bg = bg_cls()
        bg.state = state
    except (KeyError, TypeError, ValueError) as e:
        raise AigaError(f"checkpoint holds an unreadable random-generator state ({e})") from None
    return np.random.Generator(bg)
