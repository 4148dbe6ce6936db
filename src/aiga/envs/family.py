"""The ``EnvFamily`` protocol: what an environment generator needs to know about a family of environments.

POET (Wang et al. 2019, arXiv:1901.01753) and Enhanced POET (Wang et al. 2020, arXiv:2003.08536) mutate
environment parameters, measure how novel a candidate is, and keep a readable log of what they made;
PAIRED (Dennis et al. 2020), PLR⊥ (Jiang et al. 2021) and ACCEL (Parker-Holder et al. 2022) sample
random levels, start from the simplest one, and edit levels. In the reference code each of these is
welded to one environment (uber-research/poet's ``reproduce_ops.py`` knows only walker courses; jaxued's
examples only mazes). Here every generator talks to an environment family only through the methods
below, so POET on mazes and ACCEL on walker courses need no new code.

A family is a small object with no mutable state; the environment *parameters* it hands out are
immutable and hashable (frozen dataclasses), because generators use them as dictionary keys (score
caches, archives), compare them for equality (a mutant must differ from its parent), and store them in
run directories (``to_dict``/``from_dict``, JSON only, never pickle).

Families register under a short name (``--family walker|maze``). Built-in families are imported lazily
(the first ``get_family("maze")`` imports JAX, not ``aiga --help``); plug-ins call ``register_family``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from aiga.core.config import AigaError

P = TypeVar("P", bound=Hashable)


@runtime_checkable
class EnvFamily(Protocol[P]):
    """A family of environments described by immutable, hashable parameters ``P``.

    Every method is a pure function of its arguments (randomness only through the ``rng`` given), so a
    run that checkpoints its generators resumes to exactly the same environments.
    """

    #: The registry name (``"walker"``, ``"maze"``): written into run directories so a reader can
    #: rebuild the family that made a stored environment.
    name: str

    def initial(self) -> P:
        """The simplest environment (a flat course, an empty maze).

        POET's first niche and ACCEL's starting levels; also the root of every lineage.
        """
        ...

    def sample(self, rng: np.random.Generator) -> P:
        """A random environment of the family.

        Domain randomisation and PAIRED's/PLR's fresh levels draw from it; POET's baselines (ES on a
        random environment) too. Must be deterministic in ``rng``.
        """
        ...

    def mutate(self, params: P, rng: np.random.Generator) -> P:
        """A child of ``params`` by one mutation (POET's reproduction, ACCEL's level edits).

        Deterministic in ``rng``. The child may equal the parent only where the family's reference does
        allow it; generators that need a different child check ``child != params`` themselves.
        """
        ...

    def descriptor(self, params: P) -> np.ndarray:
        """A fixed-length float vector describing ``params`` (POET's environment characterisation).

        Used for novelty archives (k-nearest-neighbour search over many environments at once), for
        plots and for the dashboard's scatter of the generated environments.
        """
        ...

    def distance(self, a: P, b: P) -> float:
        """How different two environments are (POET's novelty is the mean distance to the k nearest).

        Usually the Euclidean distance between descriptors; a family may define something better.
        Must be symmetric, non-negative and zero for equal parameters.
        """
        ...

    def describe(self, params: P) -> str:
        """One line for people: progress messages ("admitted: roughness 3.1, gaps 2.0-4.4"), logs, the
        dashboard's tooltips."""
        ...

    def to_dict(self, params: P) -> dict[str, Any]:
        """JSON-ready data (run stores, checkpoints, event logs); ``from_dict(to_dict(p)) == p``."""
        ...

    def from_dict(self, data: dict[str, Any]) -> P:
        """Parameters from ``to_dict``'s output (or a user's file); malformed data raises one clear
        ``AigaError`` line naming the field."""
        ...


# ------------------------------------------------------------------------------------- registry

#: Built-in families: name -> "module:factory", imported on first use so that listing families or
#: running one family never imports another's dependencies.
_BUILTIN: dict[str, str] = {
    "walker": "aiga.envs.walker.family:WalkerFamily",
    "maze": "aiga.envs.maze.family:MazeFamily",
}

_REGISTRY: dict[str, Callable[..., EnvFamily[Any]]] = {}


def register_family(name: str, factory: Callable[..., EnvFamily[Any]]) -> None:
    """Make ``get_family(name, **options)`` call ``factory(**options)``.

    Re-registering a name replaces the factory (so a module reloaded in a notebook does not fail).
    """
    if not name or not isinstance(name, str):
        raise ValueError("a family name must be a non-empty string")
    _REGISTRY[name] = factory


def _builtin_factory(name: str) -> Callable[..., EnvFamily[Any]] | None:
    target = _BUILTIN.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".")):
            return None  # that family is not built (yet)
        raise
    return getattr(mod, attr)


def family_names() -> list[str]:
    """Names ``get_family`` accepts: registered families and the built-in ones whose module exists."""
    names = set(_REGISTRY)
    for name, target in _BUILTIN.items():
        try:
            if importlib.util.find_spec(target.partition(":")[0]) is not None:
                names.add(name)
        except ModuleNotFoundError:  # its parent package is not there
            pass
    return sorted(names)


def get_family(name: str, **options: Any) -> EnvFamily[Any]:
    """The family registered as ``name``, built with ``options`` (e.g. ``courses="cppn"``).

    Unknown names raise ``AigaError`` listing the known ones (the CLI prints it as one line).
    """
    factory = _REGISTRY.get(name) or _builtin_factory(name)
    if factory is None:
        known = ", ".join(family_names()) or "none"
        raise AigaError(f"unknown environment family {name!r} (known: {known})")
    family = factory(**options)
    if not isinstance(family, EnvFamily):
        raise TypeError(f"family factory for {name!r} returned {type(family).__name__}, not an EnvFamily")
    return family


# ------------------------------------------------------------------------------ plain helpers


def euclidean(a: np.ndarray, b: np.ndarray) -> float:
    """The Euclidean distance POET uses between environment descriptors."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def descriptors(family: EnvFamily[Any], params: list[Any]) -> np.ndarray:
    """The descriptors of many environments as one ``(n, d)`` array (for k-nearest-neighbour novelty)."""
    if not params:
        return np.zeros((0, 0))
    return np.stack([np.asarray(family.descriptor(p), dtype=np.float64) for p in params])
