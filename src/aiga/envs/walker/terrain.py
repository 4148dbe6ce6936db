"""POET's obstacle courses for the bipedal walker: parameters, mutation, and the course generator.

Papers: Wang, Lehman, Clune, Stanley, "Paired Open-Ended Trailblazer (POET)", 2019 (the parametric
course, its mutation and the difficulty classes); Wang et al., "Enhanced POET", ICML 2020 (courses
whose ground is a CPPN). Reference code: uber-research/poet, branch ``original_poet``:
``poet_distributed/niches/box2d/bipedal_walker_custom.py`` (``_generate_terrain``, ``_generate_clouds``,
``_reset``), ``poet_distributed/reproduce_ops.py`` (``Reproducer.mutate``/``populate_array``),
``poet_distributed/poet_algo.py`` (a child's seed), ``poet_distributed/novelty.py`` (``env2array``); and
branch ``master`` for the CPPN ground (``altitude_fn``).

A course is a pure function of its ``CourseParams`` (``generate_course``): the same params always give
the same ground, the same obstacles and the same initial push, so one rollout of a policy scores it
(poet.md, defect 5). We reproduce the reference's random stream exactly: the reference seeds gym's
``seeding.np_random(seed)`` (gym <= 0.21: a legacy ``numpy.random.RandomState`` seeded with the
SHA-512 hash of the seed) and then, in this order, draws the terrain, 110 numbers for the background
clouds, and the initial push. ``legacy_np_random`` rebuilds that generator, and ``generate_course``
makes the same calls in the same order, so our course is the course the reference builds for that
seed. Gym 0.22-0.25 replaced this generator (a course's seed then gives another course: poet.md,
defect 8); we pin the gym <= 0.21 stream, and the tests pin properties of it computed by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from aiga.core.config import ConfigError
from aiga.envs.walker.constants import (
    INITIAL_RANDOM,
    SCALE,
    TERRAIN_GRASS,
    TERRAIN_HEIGHT,
    TERRAIN_LENGTH,
    TERRAIN_STARTPAD,
    TERRAIN_STEP,
)

if TYPE_CHECKING:  # cppn.py is imported lazily: a plain POET course never needs it
    from aiga.envs.walker.cppn import CppnGenome

# ------------------------------------------------------------------ bounds, from reproduce_ops.py

ROUGHNESS_MAX = 10.0
PIT_GAP_MAX = 8.0
STUMP_HEIGHT_MAX = 5.0
STAIR_HEIGHT_MAX = 5.0
STAIR_STEPS_MAX = 9
PIT_GAP_INITIAL = (0.0, 0.8)  # an interval's value when its kind is first enabled by mutation
STUMP_HEIGHT_INITIAL = (0.0, 0.4)
STAIR_HEIGHT_INITIAL = (0.0, 0.4)
STAIR_STEPS_INITIAL = (1, 2)
ROUGHNESS_MUTATION = 0.6  # roughness moves by U(-0.6, 0.6), rounded to 0.1
PIT_GAP_INCREMENT = 0.4
STUMP_HEIGHT_INCREMENT = 0.2
STAIR_HEIGHT_INCREMENT = 0.2
CHILD_SEED_RANGE = 1_000_000  # poet_algo.get_new_env: seed = np.random.randint(1000000)
POET_KINDS = ("roughness", "pit", "stump")  # POET's run script: --envs stump pit roughness
ALL_KINDS = ("roughness", "pit", "stump", "stair")

# the reference's fixed obstacle shapes: stump_width [1, 2] and stump_float [0, 1] (randint: always 1
# and 0), stair_width [4, 5] (always 4)
STUMP_WIDTH = (1, 2)
STUMP_FLOAT = (0, 1)
STAIR_WIDTH = (4, 5)

# difficulty thresholds of the POET paper (Sec. 4)
HARD_STUMP = 2.4
HARD_GAP = 6.0
HARD_ROUGHNESS = 4.5
DIFFICULTY_NAMES = (None, "challenging", "very challenging", "extremely challenging")

SEED_MAX = 2**63 - 1

# colours of the reference's renderer (RGB in [0, 1])
GRASS_COLOURS = ((0.3, 1.0, 0.3), (0.3, 0.8, 0.3))
GROUND_COLOUR = (0.4, 0.6, 0.3)
OBSTACLE_COLOUR = (1.0, 1.0, 1.0)
OBSTACLE_OUTLINE = (0.6, 0.6, 0.6)


def _interval(name: str, value: Any, lo: float, hi: float, integer: bool = False) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"{name} must be a pair [low, high] within [{lo:g}, {hi:g}] or null, got {value!r}")
    vals = list(value)
    if len(vals) != 2:
        raise ConfigError(f"{name} must be a pair [low, high] within [{lo:g}, {hi:g}], got {value!r}")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise ConfigError(f"{name} must hold numbers within [{lo:g}, {hi:g}], got {value!r}")
        if integer and float(v) != int(v):
            raise ConfigError(f"{name} must hold integers within [{lo:g}, {hi:g}], got {value!r}")
        f = int(v) if integer else float(v)
        if not math.isfinite(f) or f < lo or f > hi:
            raise ConfigError(f"{name} must lie within [{lo:g}, {hi:g}], got {value!r}")
        out.append(f)
    if out[0] > out[1]:
        raise ConfigError(f"{name} must have low <= high within [{lo:g}, {hi:g}], got {value!r}")
    return tuple(out)


@dataclass(frozen=True)
class CourseParams:
    """One walker course: POET's environment parameters plus the course seed.

    A kind of obstacle is enabled when its interval is set (``None`` disables it), as the reference's
    ``Env_config`` enables a kind when its list is non-empty. With ``cppn`` set the ground is the
    CPPN's curve (Enhanced POET), ``roughness`` is ignored as in the reference, and obstacles must be off.
    """

    roughness: float = 0.0
    """Amplitude of the ground's damped random walk, in [0, 10]; 0 is flat."""
    pit_gap: tuple[float, float] | None = None
    """Pit widths are 1 + U(low, high) terrain steps; within [0, 8]."""
    stump_height: tuple[float, float] | None = None
    """Stump heights are U(low, high) terrain steps; within [0, 5]."""
    stair_height: tuple[float, float] | None = None
    """Stair riser heights U(low, high) steps, within [0, 5] (in the code; POET never enables stairs)."""
    stair_steps: tuple[int, int] | None = None
    """Number of stairs randint(low, high), 1 <= low < high <= 9; set together with stair_height."""
    cppn: CppnGenome | None = None
    """Enhanced POET's ground curve (a CPPN genome); obstacles off."""
    seed: int = 0
    """Course seed: fixes the ground's random walk, the obstacles and the initial push."""

    def __post_init__(self) -> None:
        r = self.roughness
        if isinstance(r, bool) or not isinstance(r, int | float | np.integer | np.floating):
            raise ConfigError(f"roughness must be a number in [0, {ROUGHNESS_MAX:g}], got {r!r}")
        if not math.isfinite(float(r)) or not 0.0 <= float(r) <= ROUGHNESS_MAX:
            raise ConfigError(f"roughness must be in [0, {ROUGHNESS_MAX:g}], got {r!r}")
        object.__setattr__(self, "roughness", float(r))
        object.__setattr__(self, "pit_gap", _interval("pit_gap", self.pit_gap, 0.0, PIT_GAP_MAX))
        object.__setattr__(self, "stump_height",
                           _interval("stump_height", self.stump_height, 0.0, STUMP_HEIGHT_MAX))
        object.__setattr__(self, "stair_height",
                           _interval("stair_height", self.stair_height, 0.0, STAIR_HEIGHT_MAX))
        steps = _interval("stair_steps", self.stair_steps, 1, STAIR_STEPS_MAX, integer=True)
        if steps is not None and steps[0] >= steps[1]:
            raise ConfigError(f"stair_steps must have low < high within [1, {STAIR_STEPS_MAX}], "
                              f"got {self.stair_steps!r}")
        object.__setattr__(self, "stair_steps", steps)
        if (self.stair_height is None) != (steps is None):
            raise ConfigError("stair_height and stair_steps must be set together (or both null)")
        s = self.seed
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or not 0 <= int(s) <= SEED_MAX:
            raise ConfigError(f"seed must be an integer in [0, 2**63-1], got {s!r}")
        object.__setattr__(self, "seed", int(s))
        if self.cppn is not None:
            from aiga.envs.walker.cppn import CppnGenome

            if not isinstance(self.cppn, CppnGenome):
                raise ConfigError(f"cppn must be a CppnGenome or null, got {type(self.cppn).__name__}")
            if self.has_obstacles:
                raise ConfigError("a CPPN course has no obstacles: pit_gap, stump_height and stairs "
                                  "must be null")

    # ---------------------------------------------------------------- named constructors

    @classmethod
    def flat(cls, seed: int = 0) -> CourseParams:
        """A flat course without obstacles (POET's first environment, ``DEFAULT_ENV``)."""
        return cls(seed=seed)

    @classmethod
    def poet_initial(cls, seed: int = 0) -> CourseParams:
        """POET's initial environment: flat ground, no obstacles (``box2d.py: DEFAULT_ENV``).

        Its first mutation switches on pits [0, 0.8] and stumps [0, 0.4] (``populate_array`` with an
        empty list) and moves the roughness.
        """
        return cls(seed=seed)

    @classmethod
    def from_cppn(cls, genome: CppnGenome, seed: int = 0) -> CourseParams:
        """An Enhanced POET course whose ground is ``genome``'s curve."""
        return cls(cppn=genome, seed=seed)

    # ---------------------------------------------------------------- properties

    @property
    def has_obstacles(self) -> bool:
        return self.pit_gap is not None or self.stump_height is not None or self.stair_height is not None

    @property
    def enabled_kinds(self) -> tuple[str, ...]:
        """Obstacle kinds in the reference's numbering order (stump, stairs, pit)."""
        out = []
        if self.stump_height is not None:
            out.append("stump")
        if self.stair_height is not None:
            out.append("stair")
        if self.pit_gap is not None:
            out.append("pit")
        return tuple(out)

    def descriptor(self) -> np.ndarray:
        """POET's 5-number environment characterisation [roughness, gap_lo, gap_hi, stump_lo, stump_hi].

        A disabled kind contributes zeros, as ``novelty.env2array`` in the reference.
        """
        gap = self.pit_gap or (0.0, 0.0)
        stump = self.stump_height or (0.0, 0.0)
        return np.array([self.roughness, gap[0], gap[1], stump[0], stump[1]], dtype=np.float64)

    def distance(self, other: CourseParams) -> float:
        """Euclidean distance between the two courses' descriptors (POET's novelty metric)."""
        return float(np.linalg.norm(self.descriptor() - other.descriptor()))

    def difficulty(self) -> str | None:
        """POET's difficulty class: how many of stump >= 2.4, gap >= 6.0, roughness >= 4.5 hold.

        1, 2, 3 criteria: 'challenging', 'very challenging', 'extremely challenging'; none: None.
        Stump and gap are intervals; we compare their upper ends (the largest obstacle the course can
        hold), see docs/walker.md.
        """
        met = 0
        if self.stump_height is not None and self.stump_height[1] >= HARD_STUMP:
            met += 1
        if self.pit_gap is not None and self.pit_gap[1] >= HARD_GAP:
            met += 1
        if self.roughness >= HARD_ROUGHNESS:
            met += 1
        return DIFFICULTY_NAMES[met]

    # ---------------------------------------------------------------- mutation

    def mutate(self, rng: np.random.Generator, kinds: Iterable[str] = POET_KINDS) -> CourseParams:
        """POET's environment mutation (``Reproducer.mutate``), then a fresh course seed.

        Every kind in ``kinds`` (POET's ``--envs``; default roughness, pit, stump) mutates at once,
        drawing from ``rng`` in the reference's order: roughness U(-0.6, 0.6) rounded to 0.1 and clipped
        to [0, 10]; then the pit gap; then the stump height; then the stairs. An interval whose kind is
        off is switched on at its initial value without a draw; otherwise one of its neighbours (each
        end moved by +inc, 0 or -inc, not both 0, rounded to 0.1, inside the bounds, low <= high) is
        picked uniformly. Last, the child's seed U{0..999999} as ``poet_algo.get_new_env``.
        A CPPN course delegates to ``cppn.mutate(rng)`` (obstacles stay off).
        """
        kinds = tuple(kinds)
        for k in kinds:
            if k not in ALL_KINDS:
                raise ConfigError(f"mutation kinds must be among {', '.join(ALL_KINDS)}; got {k!r}")
        if self.cppn is not None:
            child = self.cppn.mutate(rng)
            return dataclasses.replace(self, cppn=child, seed=int(rng.integers(CHILD_SEED_RANGE)))
        roughness = self.roughness
        pit, stump = self.pit_gap, self.stump_height
        stair_h, stair_n = self.stair_height, self.stair_steps
        if "roughness" in kinds:
            roughness = float(np.round(roughness + rng.uniform(-ROUGHNESS_MUTATION, ROUGHNESS_MUTATION), 1))
            if roughness > ROUGHNESS_MAX:
                roughness = ROUGHNESS_MAX
            if roughness <= 0.0:
                roughness = 0.0
        if "pit" in kinds:
            pit = _populate(rng, pit, PIT_GAP_INITIAL, PIT_GAP_INCREMENT, (PIT_GAP_MAX, PIT_GAP_MAX))
        if "stump" in kinds:
            stump = _populate(rng, stump, STUMP_HEIGHT_INITIAL, STUMP_HEIGHT_INCREMENT,
                              (STUMP_HEIGHT_MAX, STUMP_HEIGHT_MAX))
        if "stair" in kinds:
            if stair_n is None:  # reference: enforce=True on an empty stair_steps
                stair_n, stair_h = STAIR_STEPS_INITIAL, STAIR_HEIGHT_INITIAL
            else:  # sub_category '_h': only the riser height moves
                stair_h = _populate(rng, stair_h, STAIR_HEIGHT_INITIAL, STAIR_HEIGHT_INCREMENT,
                                    (STAIR_HEIGHT_MAX, STAIR_HEIGHT_MAX))
        seed = int(rng.integers(CHILD_SEED_RANGE))
        return CourseParams(roughness=roughness, pit_gap=pit, stump_height=stump, stair_height=stair_h,
                            stair_steps=stair_n, seed=seed)

    # ---------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (intervals as lists, disabled kinds as null)."""
        return {
            "roughness": self.roughness,
            "pit_gap": None if self.pit_gap is None else list(self.pit_gap),
            "stump_height": None if self.stump_height is None else list(self.stump_height),
            "stair_height": None if self.stair_height is None else list(self.stair_height),
            "stair_steps": None if self.stair_steps is None else list(self.stair_steps),
            "cppn": None if self.cppn is None else self.cppn.to_dict(),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CourseParams:
        """Inverse of ``to_dict``; unknown keys or bad values raise ``ConfigError`` naming the field."""
        if not isinstance(data, dict):
            raise ConfigError(f"course params must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            known = ", ".join(sorted(names))
            raise ConfigError(f"course params: unknown field {unknown[0]!r} (known: {known})")
        kwargs = dict(data)
        if kwargs.get("cppn") is not None:
            from aiga.envs.walker.cppn import CppnGenome

            kwargs["cppn"] = CppnGenome.from_dict(kwargs["cppn"])
        return cls(**kwargs)

    def describe(self) -> str:
        """A short human-readable name, like the reference's env names (r0.6.p0.4_1.2.b0.2_0.6)."""
        if self.cppn is not None:
            return f"cppn.s{self.seed}"
        out = f"r{self.roughness:g}"
        if self.pit_gap:
            out += f".p{self.pit_gap[0]:g}_{self.pit_gap[1]:g}"
        if self.stump_height:
            out += f".b{self.stump_height[0]:g}_{self.stump_height[1]:g}"
        if self.stair_height:
            out += f".s{self.stair_steps[0]}_{self.stair_height[1]:g}"
        return out + f".s{self.seed}"


def _populate(rng: np.random.Generator, arr: tuple | None, default: tuple, increment: float,
              max_value: tuple[float, float]) -> tuple:
    """``Reproducer.populate_array``: switch a kind on at ``default``, or move to a random neighbour.

    The lower bound of each end is the matching end of ``default`` (so a pit's upper end never goes
    below 0.8 and a stump's below 0.4), the upper bound ``max_value``; low <= high is kept by dropping
    neighbours with low > high. No neighbour at all leaves the interval unchanged (and draws nothing).
    """
    if arr is None:
        return tuple(float(v) for v in default)
    choices = []
    for change0 in (increment, 0.0, -increment):
        arr0 = float(np.round(arr[0] + change0, 1))
        if arr0 > max_value[0] or arr0 < default[0]:
            continue
        for change1 in (increment, 0.0, -increment):
            arr1 = float(np.round(arr[1] + change1, 1))
            if arr1 > max_value[1] or arr1 < default[1]:
                continue
            if change0 == 0.0 and change1 == 0.0:
                continue
            if arr0 > arr1:
                continue
            choices.append((arr0, arr1))
    if not choices:
        return arr
    return choices[int(rng.integers(len(choices)))]


# ---------------------------------------------------------------------- the reference's random stream


def _bigint_from_bytes(data: bytes) -> int:
    padding = 4 - len(data) % 4
    data += b"\0" * padding
    ints = struct.unpack(f"<{len(data) // 4}I", data)
    return sum(v << (32 * i) for i, v in enumerate(ints))


def legacy_np_random(seed: int) -> np.random.RandomState:
    """gym <= 0.21's ``seeding.np_random(seed)``: the generator the reference's course is drawn from.

    ``RandomState`` seeded with the 32-bit words of the first 8 bytes of SHA-512(str(seed mod 2**64)).
    We use it (not a ``Generator``) only to reproduce the reference's courses draw for draw; all other
    randomness in aiga flows through ``numpy.random.Generator``.
    """
    seed = int(seed) % 2**64
    h = _bigint_from_bytes(hashlib.sha512(str(seed).encode("utf8")).digest()[:8])
    words = []
    while h > 0:
        h, mod = divmod(h, 2**32)
        words.append(mod)
    return np.random.RandomState(words or [0])


# ---------------------------------------------------------------------- the generator


@dataclass(frozen=True)
class Obstacle:
    """One obstacle polygon of a course (a pit wall, a stump, a stair), in world coordinates."""

    kind: str  # "pit", "stump" or "stair"
    vertices: tuple[tuple[float, float], ...]
    size: float  # pit: gap width in steps (1 + U(lo, hi)); stump: height in steps; stair: riser height


@dataclass(frozen=True)
class Course:
    """A generated course: the ground polyline, obstacle polygons and the initial push."""

    params: CourseParams
    terrain_x: tuple[float, ...]  # TERRAIN_LENGTH points of the ground polyline
    terrain_y: tuple[float, ...]
    obstacles: tuple[Obstacle, ...]  # in the reference's creation order
    push: float  # horizontal force applied to the hull at reset, U(-5, 5)

    @property
    def end_x(self) -> float:
        """Passing this x ends the episode (the reference's ``(TERRAIN_LENGTH - TERRAIN_GRASS) * STEP``)."""
        return (TERRAIN_LENGTH - TERRAIN_GRASS) * TERRAIN_STEP

    def edges(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        """The ground's edge segments (TERRAIN_LENGTH - 1 of them), as the Box2D edge fixtures."""
        xs, ys = self.terrain_x, self.terrain_y
        return [((xs[i], ys[i]), (xs[i + 1], ys[i + 1])) for i in range(len(xs) - 1)]

    def polygons(self) -> list[tuple[list[tuple[float, float]], tuple[float, float, float]]]:
        """Filled polygons to draw the course: ground strips down to y = 0, then obstacles."""
        out = []
        for (p0, p1) in self.edges():
            out.append(([p0, p1, (p1[0], 0.0), (p0[0], 0.0)], GROUND_COLOUR))
        for ob in self.obstacles:
            out.append((list(ob.vertices), OBSTACLE_COLOUR))
        return out


def generate_course(params: CourseParams) -> Course:
    """The course the reference's ``_reset`` builds for ``params`` (ground, obstacles, initial push).

    Mirrors ``_generate_terrain`` step by step: a grass segment moves the ground by roughness x a damped
    random walk (velocity x0.8, pull 0.01 toward the base height, noise U(-1, 1)/30 after the start pad);
    when a segment's counter runs out a new counter U{5..9} is drawn and, after grass, one obstacle kind
    is drawn uniformly among the enabled ones; the first step of every segment keeps the height. The
    generator is ``legacy_np_random(params.seed)``; after the terrain the reference draws 110 numbers for
    its background clouds (skipped here, same stream) and then the push U(-5, 5).
    """
    rs = legacy_np_random(params.seed)
    # kind numbering as _set_terrain_number: stump, stairs, pit (in that order, when enabled)
    GRASS, STUMP, STAIRS, PIT = 0, -1, -1, -1
    n_states = 1
    if params.stump_height is not None:
        STUMP = n_states
        n_states += 1
    if params.stair_height is not None:
        STAIRS = n_states
        n_states += 1
    if params.pit_gap is not None:
        PIT = n_states
        n_states += 1
    hardcore = n_states > 1

    cppn_y = None
    if params.cppn is not None:
        mid = TERRAIN_LENGTH * TERRAIN_STEP / 2.0
        xs = np.arange(TERRAIN_LENGTH) * TERRAIN_STEP
        x_ = (xs - mid) * np.pi / mid
        f = np.asarray(params.cppn.altitude(x_), dtype=np.float64).reshape(-1)
        cppn_y = [float(v) for v in f]

    roughness = params.roughness
    state = GRASS
    velocity = 0.0
    y = TERRAIN_HEIGHT
    counter: float = TERRAIN_STARTPAD
    oneshot = False
    terrain_x: list[float] = []
    terrain_y: list[float] = []
    obstacles: list[Obstacle] = []
    pit_diff = 0.0
    original_y = y
    y_norm = 0.0
    stair_height = stair_slope = 0.0
    stair_width = stair_steps = 0
    step = TERRAIN_STEP
    for i in range(TERRAIN_LENGTH):
        x = i * step
        terrain_x.append(x)
        if state == GRASS and not oneshot:
            velocity = 0.8 * velocity + 0.01 * _sign(TERRAIN_HEIGHT - y)
            if cppn_y is not None:  # master branch: the CPPN gives the height after the pad
                y += velocity
                if i > TERRAIN_STARTPAD:
                    if i == TERRAIN_STARTPAD + 1:
                        y_norm = cppn_y[i]
                    y = TERRAIN_HEIGHT + cppn_y[i]
                    y -= y_norm
            else:
                if i > TERRAIN_STARTPAD:
                    velocity += rs.uniform(-1, 1) / SCALE
                y += roughness * velocity
        elif state == PIT and oneshot:
            pit_gap = 1.0 + rs.uniform(*params.pit_gap)
            counter = float(np.ceil(pit_gap))
            pit_diff = counter - pit_gap
            poly = ((x, y), (x + step, y), (x + step, y - 4 * step), (x, y - 4 * step))
            obstacles.append(Obstacle("pit", poly, pit_gap))
            shifted = tuple((p[0] + step * pit_gap, p[1]) for p in poly)
            obstacles.append(Obstacle("pit", shifted, pit_gap))
            counter += 2
            original_y = y
        elif state == PIT and not oneshot:
            y = original_y
            if counter > 1:
                y -= 4 * step
            if counter == 1:
                terrain_x[-1] = terrain_x[-1] - pit_diff * step
                pit_diff = 0.0
        elif state == STUMP and oneshot:
            stump_width = rs.randint(*STUMP_WIDTH)
            stump_height = rs.uniform(*params.stump_height)
            stump_float = rs.randint(*STUMP_FLOAT)
            counter = stump_width
            bottom = y + stump_float * step
            top = y + stump_height * step + stump_float * step
            poly = ((x, bottom), (x + stump_width * step, bottom), (x + stump_width * step, top), (x, top))
            obstacles.append(Obstacle("stump", poly, stump_height))
        elif state == STAIRS and oneshot:
            stair_height = rs.uniform(*params.stair_height)
            stair_slope = 1 if rs.rand() > 0.5 else -1
            stair_width = rs.randint(*STAIR_WIDTH)
            stair_steps = rs.randint(*params.stair_steps)
            original_y = y
            for s in range(stair_steps):
                x0 = x + (s * stair_width) * step
                x1 = x + ((1 + s) * stair_width) * step
                y_top = y + (s * stair_height * stair_slope) * step
                y_bot = y + (-stair_height + s * stair_height * stair_slope) * step
                obstacles.append(Obstacle("stair", ((x0, y_top), (x1, y_top), (x1, y_bot), (x0, y_bot)),
                                          stair_height))
            counter = stair_steps * stair_width + 1
        elif state == STAIRS and not oneshot:
            s = stair_steps * stair_width - counter
            n = s // stair_width
            y = (original_y + (n * stair_height * stair_slope) * step
                 - (stair_height if stair_slope == -1 else 0) * step)
        oneshot = False
        terrain_y.append(y)
        counter -= 1
        if counter == 0:
            counter = rs.randint(TERRAIN_GRASS // 2, TERRAIN_GRASS)
            if state == GRASS and hardcore:
                state = rs.randint(1, n_states)
                oneshot = True
            else:
                state = GRASS
                oneshot = True
    rs.random_sample(10 * (1 + 2 * 5))  # _generate_clouds: 10 clouds x (1 + 5 vertices x 2) uniforms
    push = rs.uniform(-INITIAL_RANDOM, INITIAL_RANDOM)
    return Course(params=params, terrain_x=tuple(float(v) for v in terrain_x),
                  terrain_y=tuple(float(v) for v in terrain_y), obstacles=tuple(obstacles), push=float(push))


def _sign(v: float) -> float:
    """``np.sign`` for a float (the reference's pull toward the base height)."""
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
