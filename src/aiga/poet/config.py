"""POET's settings and presets: ``paper``, ``code``, ``laptop`` (default) and ``smoke``.

``paper`` holds the values of Wang et al. 2019 / 2020; ``code`` those of the released scripts
(uber-research/poet ``run_poet_local.sh``); ``laptop`` scales the same algorithm down so that a 2-core
machine shows it working within an hour; ``smoke`` is the smallest configuration that still exercises
every rule (admission, transfer, retirement) in about a minute. Each scaled value and its reason is in
``docs/poet.md``; ``aiga poet --preset NAME`` picks one and every field can still be overridden.

``--family maze`` runs the same loop on the UED papers' grid mazes (``aiga.envs.maze``; mutation = ACCEL's
edit, ES agent = ``aiga.envs.maze.objective``). Maze returns lie in [0, 1] (``1 − 0.9·t/T`` on reaching the
goal, else 0), so every score threshold is re-expressed in those units by ``MAZE_SCORES`` (reasoning in
docs/poet.md); each preset name exists for both families.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiga.core.config import check_choice, check_range, param
from aiga.core.es import ESConfig
from aiga.envs.walker.evaluate import SIMS

VARIANTS = ("poet", "enhanced")
FAMILIES = ("walker", "maze")


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
        "fast",
        "walker simulator: fast (compiled, about 5x Box2D's speed in training, validated against it: "
        "docs/walker.md) or box2d (the reference); walker courses only",
    )
    family: str = param(
        "walker",
        "environment family: walker (POET's obstacle courses) or maze (the UED grid mazes; mutation = "
        "ACCEL's edit)",
    )
    maze_edits: int = param(5, "maze: edits per mutation (ACCEL's edit count; jaxued 5, minimax 20)")
    max_steps: int = param(2000, "episode cap in steps (the reference's 2000; mazes: the UED papers' 250)")
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
        check_choice("family", self.family, FAMILIES)
        check_range("maze_edits", self.maze_edits, 1, 169)
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

# Smallest run in which every rule fires (tests and demos): not meant to learn anything.
SMOKE: dict[str, Any] = {
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
        "smoke": SMOKE,
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
        "smoke": SMOKE,
    },
}
PRESET_NAMES = ("paper", "code", "laptop", "smoke")

# Mazes: the same loop, with every threshold in maze return units (docs/poet.md, "POET on mazes"). A return
# r > 0 means the greedy agent walked into the goal at step t = (1 − r)·T/0.9; the smallest positive
# return is 0.1 (goal reached at the last step t = T), an optimal agent on a 13×13 maze scores ~0.87-0.97.
MAZE_SCORES: dict[str, Any] = {
    "family": "maze",
    "max_steps": 250,  # the UED papers' horizon T
    "mc_lo": 0.1,  # not too hard: the agent reaches the goal within T at all
    "mc_hi": 0.95,  # not too easy: the goal is not reached within 0.05·T/0.9 ≈ 14 steps (one short run)
    "repro_threshold": 0.5,  # a parent's agent reaches its goal within ~139 steps (T/2 + a margin)
    "solved_score": 0.8,  # solved: goal within ~56 steps, ≈ 2x the optimal actions of a typical 13x13 maze
}
MAZE_LAPTOP: dict[str, Any] = {
    **LAPTOP,
    **MAZE_SCORES,
    "iterations": 300,
    "transfer_every": 10,
    "reproduce_every": 10,  # maze rollouts are ~1000x cheaper than walker ones: reproduce often
    "capacity": 8,
    "max_children": 8,
    **_es(pairs=32),
}


def preset(variant: str, name: str, family: str = "walker") -> dict[str, Any]:
    """The settings of a preset for a variant and environment family, including the variant itself."""
    from aiga.core.config import ConfigError

    if variant not in PRESETS:
        raise ConfigError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    if name not in PRESETS[variant]:
        raise ConfigError(f"preset must be one of {', '.join(PRESET_NAMES)}; got {name!r}")
    check_choice("family", family, FAMILIES)
    if family == "maze":
        if name == "laptop":
            # POET reproduces every 10 iterations on mazes, Enhanced POET 8 (150/200 of it, as in the papers)
            maze = {**MAZE_LAPTOP, "reproduce_every": PRESETS[variant]["laptop"]["reproduce_every"] * 2 // 5}
        elif name == "smoke":
            maze = {**PRESETS[variant]["smoke"], "family": "maze"}
        else:  # the papers' loop settings, thresholds in maze units
            maze = {**PRESETS[variant][name], **MAZE_SCORES}
        return {"variant": variant, **maze}
    return {"variant": variant, **PRESETS[variant][name]}
