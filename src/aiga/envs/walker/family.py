"""The walker obstacle courses as an ``EnvFamily`` (registered as ``"walker"``).

POET (Wang et al. 2019) evolves courses described by roughness, a pit-gap interval and a stump-height
interval; Enhanced POET (Wang et al. 2020) evolves the ground itself as a CPPN. Reference code:
uber-research/poet, ``original_poet`` (``reproduce_ops.py``, ``novelty.py``) and ``master``
(``niches/box2d/cppn.py``). The parameters, their mutation and the course generator live in
``aiga.envs.walker.terrain`` and ``aiga.envs.walker.cppn``; this module only adapts them to the
protocol every environment generator uses (``aiga.envs.family``), so POET, PAIRED, PLR and ACCEL can
all run on walker courses.

``courses="poet"`` gives POET's parametric courses (5-number descriptor of the paper);
``courses="cppn"`` gives Enhanced POET's CPPN courses. The reference has no descriptor for CPPN courses
(Enhanced POET measures novelty with PATA-EC, from agents' scores, inside the POET loop); for the
generic ``distance`` we use the root-mean-square difference of the two courses' CPPN height profiles.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from aiga.core.config import ConfigError, check_choice
from aiga.core.seeding import make_rng
from aiga.envs.family import register_family
from aiga.envs.walker.constants import TERRAIN_LENGTH
from aiga.envs.walker.terrain import ALL_KINDS, CHILD_SEED_RANGE, POET_KINDS, CourseParams

COURSE_KINDS = ("poet", "cppn")


@dataclass(frozen=True)
class WalkerFamily:
    """Walker courses for environment generators (``get_family("walker", courses="cppn")``)."""

    name: ClassVar[str] = "walker"

    courses: str = "poet"
    """``poet``: parametric courses (roughness, pits, stumps); ``cppn``: Enhanced POET's CPPN ground."""
    kinds: tuple[str, ...] = field(default=POET_KINDS)
    """Obstacle kinds that POET's mutation changes (POET's ``--envs``: roughness, pit, stump)."""
    seed: int = 0
    """Seed of the initial course (the reference gives the first niche the run's master seed); with
    ``cppn`` courses it also draws the start genome's weight and bias."""
    sample_mutations: int = 20
    """``sample`` applies U{1..this} mutations to a random initial course."""
    cppn_rise_grid: str = "reference"
    """Where a CPPN child's rise is measured before rescaling into [0.25, 16]: ``reference`` (the
    reference code's grid x in [-1, 1)) or ``course`` (the course's own profile); see cppn.py."""

    def __post_init__(self) -> None:
        check_choice("courses", self.courses, COURSE_KINDS)
        check_choice("cppn_rise_grid", self.cppn_rise_grid, ("reference", "course"))
        kinds = tuple(self.kinds) if not isinstance(self.kinds, str) else (self.kinds,)
        for k in kinds:
            check_choice("kinds", k, ALL_KINDS)
        object.__setattr__(self, "kinds", kinds)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if isinstance(self.sample_mutations, bool) or not isinstance(self.sample_mutations, int) \
                or self.sample_mutations < 1:
            raise ConfigError(f"sample_mutations must be an integer >= 1, got {self.sample_mutations!r}")

    # ------------------------------------------------------------------ EnvFamily

    def initial(self) -> CourseParams:
        """POET: the flat course without obstacles. Enhanced POET: the reference's start genome (a
        linear CPPN ``b + w x``, so a gentle slope), drawn from ``seed``."""
        if self.courses == "cppn":
            from aiga.envs.walker.cppn import CppnGenome

            genome = CppnGenome.initial(make_rng(self.seed, "walker-initial-cppn"))
            return CourseParams.from_cppn(genome, seed=self.seed)
        return CourseParams.poet_initial(seed=self.seed)

    def sample(self, rng: np.random.Generator) -> CourseParams:
        """A random course: a random initial course (random seed; random start genome for CPPN
        courses) followed by U{1..sample_mutations} mutations, so samples look like what POET makes."""
        seed = int(rng.integers(CHILD_SEED_RANGE))
        if self.courses == "cppn":
            from aiga.envs.walker.cppn import CppnGenome

            params = CourseParams.from_cppn(CppnGenome.initial(rng), seed=seed)
        else:
            params = CourseParams.poet_initial(seed=seed)
        for _ in range(int(rng.integers(1, self.sample_mutations + 1))):
            params = self.mutate(params, rng)
        return params

    def mutate(self, params: CourseParams, rng: np.random.Generator) -> CourseParams:
        """POET's mutation of all enabled kinds at once, or the CPPN's NEAT mutation; a new course
        seed either way (``CourseParams.mutate``)."""
        if params.cppn is not None and self.cppn_rise_grid != "reference":
            # CourseParams.mutate's CPPN branch (genome, then the child's seed) with our rise grid
            genome = params.cppn.mutate(rng, rise_grid=self.cppn_rise_grid)
            return dataclasses.replace(params, cppn=genome, seed=int(rng.integers(CHILD_SEED_RANGE)))
        return params.mutate(rng, kinds=self.kinds)

    def descriptor(self, params: CourseParams) -> np.ndarray:
        """POET: ``[roughness, gap_lo, gap_hi, stump_lo, stump_hi]``. CPPN: the course's CPPN height
        profile (``TERRAIN_LENGTH`` numbers) divided by sqrt(TERRAIN_LENGTH), so that the Euclidean
        distance between two descriptors is the RMS height difference of the courses."""
        if self.courses == "cppn":
            from aiga.envs.walker.cppn import CppnGenome

            return _cppn_descriptor(params.cppn if params.cppn is not None else CppnGenome.flat()).copy()
        return params.descriptor()

    def distance(self, a: CourseParams, b: CourseParams) -> float:
        """Euclidean distance between descriptors (POET's novelty metric for parametric courses)."""
        return float(np.linalg.norm(self.descriptor(a) - self.descriptor(b)))

    def describe(self, params: CourseParams) -> str:
        """One line: the obstacles (or the CPPN's size and rise), the difficulty class, the seed."""
        if params.cppn is not None:
            from aiga.envs.walker.cppn import course_profile

            prof = course_profile(params.cppn)
            return (f"CPPN course: {params.cppn.describe()}, heights {prof.min():+.2f}..{prof.max():+.2f}, "
                    f"seed {params.seed}")
        parts = [f"roughness {params.roughness:g}"]
        if params.pit_gap is not None:
            parts.append(f"pit gap {params.pit_gap[0]:g}-{params.pit_gap[1]:g}")
        if params.stump_height is not None:
            parts.append(f"stump height {params.stump_height[0]:g}-{params.stump_height[1]:g}")
        if params.stair_height is not None and params.stair_steps is not None:
            parts.append(f"stairs {params.stair_height[0]:g}-{params.stair_height[1]:g} high, "
                         f"{params.stair_steps[0]}-{params.stair_steps[1]} steps")
        difficulty = params.difficulty() or "not challenging"
        return f"{', '.join(parts)} ({difficulty}), seed {params.seed}"

    def to_dict(self, params: CourseParams) -> dict[str, Any]:
        return params.to_dict()

    def from_dict(self, data: dict[str, Any]) -> CourseParams:
        params = CourseParams.from_dict(data)
        if self.courses == "cppn" and params.cppn is None:
            raise ConfigError("a CPPN walker course needs a 'cppn' genome (this family has courses='cppn')")
        if self.courses == "poet" and params.cppn is not None:
            raise ConfigError("this walker family has courses='poet' but the course has a 'cppn' genome")
        return params

    # ------------------------------------------------------------------ walker extras

    def difficulty(self, params: CourseParams) -> str | None:
        """POET's difficulty class (challenging / very / extremely challenging, or None)."""
        return params.difficulty()


@functools.lru_cache(maxsize=4096)
def _cppn_descriptor(genome) -> np.ndarray:
    """Cached: POET asks for the descriptor of every archived course at every reproduction event."""
    from aiga.envs.walker.cppn import course_profile

    return course_profile(genome) / math.sqrt(TERRAIN_LENGTH)


register_family("walker", WalkerFamily)
