"""POET's settings and presets: ``paper``, ``code``, ``laptop`` (default) and ``smoke``.

``paper`` holds the values of Wang et al. 2019 / 2020; ``code`` those of the released scripts
(uber-research/poet ``run_poet_local.sh``); ``laptop`` scales the same algorithm down so that a 2-core
machine shows it working within an hour; ``smoke`` is the smallest configuration that still exercises
every rule (admission, transfer, retirement) in about a minute. Each scaled value and its reason is in
``docs/poet.md``; ``aiga poet --preset NAME`` picks one and every field can still be overridden.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiga.core.config import check_choice, check_range, param
from aiga.core.es import ESConfig

VARIANTS = ("poet", "enhanced")
SIMS = ("box2d", "fast")  # fast: the compiled simulator, not yet validated as a replacement (docs/walker.md)


@dataclasses.dataclass(frozen=True)
class POETConfig:
    """Everything that defines a POET run (and so its digest)."""

    seed: int = param(0, "seed of the whole run (courses, mutations, ES noise)")
    iterations: int = param(2000, "iteration budget (the paper ran 25,200; Enhanced POET 60,000)")
    variant: str = param(
        "poet",
        "poet (parametric courses, 5-NN novelty, plain transfer) or enhanced "
        "(CPPN courses, PATA-EC, gated transfer)",
    )
    sim: str = param(
        "box2d",
        "walker simulator: box2d (the reference) or fast (compiled; experimental, see docs/walker.md)",
    )
    max_steps: int = param(2000, "episode cap in steps (the reference's 2000)")
    es: ESConfig = param(ESConfig(), "the ES of every niche")
    transfer_every: int = param(25, "iterations between transfer rounds (steps_before_transfer)")
    reproduce_every: int = param(200, "iterations between reproduction events (200 POET, 150 Enhanced)")
    repro_threshold: float = param(200.0, "a niche may reproduce when its current score is at least this")
    max_children: int = param(8, "mutation attempts per reproduction event")
    max_admitted: int = param(1, "environments admitted per reproduction event")
    mc_lo: float = param(50.0, "minimal criterion: lowest admissible best score (paper 50, code 25)")
    mc_hi: float = param(300.0, "minimal criterion: highest admissible best score (paper 300, code 340)")
    capacity: int = param(20, "active niches at most; the oldest retire (20 paper, 25 code, 40 Enhanced)")
    novelty_k: int = param(5, "nearest neighbours in the novelty score")
    transfer_window: int = param(
        5, "Enhanced POET: the transfer threshold is the best of this many last scores"
    )
    solved_score: float = param(230.0, "a course counts as solved at this score")
    checkpoint_every: int = param(1, "iterations between checkpoints")

    def __post_init__(self) -> None:
        check_range("iterations", self.iterations, 1, None)
        check_choice("variant", self.variant, VARIANTS)
        check_choice("sim", self.sim, SIMS)
        check_range("max_steps", self.max_steps, 1, 100_000)
        check_range("transfer_every", self.transfer_every, 1, None)
        check_range("reproduce_every", self.reproduce_every, 1, None)
        check_range("max_children", self.max_children, 1, 1000)
        check_range("max_admitted", self.max_admitted, 1, 1000)
        check_range("capacity", self.capacity, 1, 10_000)
        check_range("novelty_k", self.novelty_k, 1, 1000)
        check_range("transfer_window", self.transfer_window, 1, 1000)
        check_range("checkpoint_every", self.checkpoint_every, 1, None)
        check_range("seed", self.seed, 0, 2**63 - 1)
        if self.mc_lo > self.mc_hi:
            from aiga.core.config import ConfigError

            raise ConfigError(f"mc_lo ({self.mc_lo}) must not exceed mc_hi ({self.mc_hi})")


def _es(**kw: Any) -> dict[str, Any]:
    return {"es": kw} if kw else {}


# The laptop preset: the same rules on a budget a 2-core machine can show within an hour. Episodes are
# capped at 400 steps (8 simulated seconds: the start pad and the first obstacles), so every score
# threshold is scaled to what an 8-second episode can earn (a good walker makes about 50-70); docs/poet.md
# gives the reasoning for each value.
LAPTOP: dict[str, Any] = {
    "iterations": 1000,
    "max_steps": 400,
    "transfer_every": 10,
    "reproduce_every": 25,
    "repro_threshold": 5.0,
    "mc_lo": -20.0,
    "mc_hi": 60.0,
    "solved_score": 40.0,
    "capacity": 6,
    "max_children": 6,
    **_es(pairs=24),
}

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # variant -> preset name -> settings (over the dataclass defaults)
    "poet": {
        "paper": {
            "mc_lo": 50.0,
            "mc_hi": 300.0,
            "capacity": 20,
            "reproduce_every": 200,
            "iterations": 25_200,
        },
        "code": {"mc_lo": 25.0, "mc_hi": 340.0, "capacity": 25, "reproduce_every": 200, "iterations": 25_200},
        # Scaled to show the loop on 2 cores within an hour; docs/poet.md gives the reason for each value.
        "laptop": LAPTOP,
        # Smallest run in which every rule fires (tests and demos): not meant to learn anything.
        "smoke": {
            "iterations": 12,
            "transfer_every": 2,
            "reproduce_every": 3,
            "repro_threshold": -1e9,
            "mc_lo": -1e9,
            "mc_hi": 1e9,
            "capacity": 3,
            "max_children": 2,
            "max_steps": 40,
            **_es(pairs=3),
        },
    },
    "enhanced": {
        "paper": {
            "mc_lo": 50.0,
            "mc_hi": 300.0,
            "capacity": 40,
            "reproduce_every": 150,
            "iterations": 60_000,
        },
        "code": {"mc_lo": 25.0, "mc_hi": 340.0, "capacity": 40, "reproduce_every": 150, "iterations": 60_000},
        "laptop": {**LAPTOP, "reproduce_every": 20},  # 150/200 of POET's interval, as in the papers
        "smoke": {
            "iterations": 12,
            "transfer_every": 2,
            "reproduce_every": 3,
            "repro_threshold": -1e9,
            "mc_lo": -1e9,
            "mc_hi": 1e9,
            "capacity": 3,
            "max_children": 2,
            "max_steps": 40,
            **_es(pairs=3),
        },
    },
}
PRESET_NAMES = ("paper", "code", "laptop", "smoke")


def preset(variant: str, name: str) -> dict[str, Any]:
    """The settings of a preset for a variant, including the variant itself."""
    from aiga.core.config import ConfigError

    if variant not in PRESETS:
        raise ConfigError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    if name not in PRESETS[variant]:
        raise ConfigError(f"preset must be one of {', '.join(PRESET_NAMES)}; got {name!r}")
    return {"variant": variant, **PRESETS[variant][name]}
