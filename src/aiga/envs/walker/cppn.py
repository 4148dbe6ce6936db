"""The CPPN terrain genome of Enhanced POET: a tiny NEAT network from x to the course's altitude.

Enhanced POET (Wang, Lehman, Rawal, Zhi, Li, Clune, Stanley, ICML 2020, arXiv:2003.08536, section 4)
replaces POET's hand-designed obstacle parameters by a compositional pattern-producing network (CPPN)
with one input (the horizontal position) and one output (the altitude), evolved with NEAT's mutation
operators. Reference code: uber-research/poet, branch ``master``,
``poet_distributed/niches/box2d/cppn.py`` (``CppnEnvParams.get_mutated_params``, ``is_genome_valid``)
and its NEAT settings ``poet_distributed/niches/box2d/config-cppn``, evaluated by neat-python 0.92's
``DefaultGenome`` and ``nn.FeedForwardNetwork``.

We write the genome ourselves instead of depending on neat-python (unmaintained; the reference also
copies every genome through a temporary pickle file and draws from the global, unseeded ``random``
module, its defect 4). What is kept exactly:

* genes: the output node has key 0 and the input key -1 (neat-python's convention); a node computes
  ``act(bias + response * sum(w * input))``; a connection has a weight and an ``enabled`` flag;
* the activations and their neat-python scalings: ``sigmoid(z) = 1/(1+exp(-clip(5z)))``,
  ``tanh(clip(2.5z))``, ``sin(clip(5z))`` with ``clip`` to [-60, 60], ``square(z) = z**2``, identity;
* the start genome: the output node (identity, bias N(0, 0.1²)) with one connection from the input
  (weight N(0, 0.25²)), so the first course is a straight slope, as the reference's ``CppnEnvParams()``;
* one mutation: a single structural mutation (add node with probability 0.1, else delete node with
  0.075), then every connection weight and every node bias is perturbed by N(0, 0.1²) with probability
  0.75 and clipped to [-10, 10]. Add node splits a connection chosen uniformly among all (enabled or
  not) into ``in -> new`` (weight 1) and ``new -> out`` (the old weight), disables the old one, and gives
  the new node a random activation and a N(0, 0.1²) bias. Delete node removes a hidden node and its
  connections;
* evaluation by neat-python's feed-forward layering: only enabled connections count, only nodes that
  lead to the output are computed, and a node is computed only once all its inputs are; an output that
  can never be computed reads 0;
* validity of a child (the reference's ``get_mutated_params`` loop): the input reaches the output along
  the genome's connections (disabled ones included, as ``is_genome_valid``), the child differs from
  its parent, and its maximum rise is positive; the rise is then rescaled: below 0.25 to U(0.25, 0.75),
  above 16 to U(12, 16), by setting the output node's response (reset to 1 before each mutation).

The rise is measured exactly where the reference measures it: on ``RISE_GRID``, 200 points
``(i - 100) / 100`` (x in [-1, 0.99]), as ``max(y - y[0])``. The course itself samples the CPPN at
``x' = (x - mid) * pi / mid`` (see ``course_inputs``), a wider interval, so the rescaled rise bounds the
network on [-1, 1) only, not the course's total climb; docs/walker_cppn_render.md lists this and the
other differences (non-finite outputs are invalid here; the reference would raise or loop).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from aiga.core.config import ConfigError
from aiga.envs.walker.constants import TERRAIN_LENGTH, TERRAIN_STARTPAD, TERRAIN_STEP

# ------------------------------------------------------------------ the reference's NEAT settings
# (uber-research/poet master, poet_distributed/niches/box2d/config-cppn; keys named as there)

INPUT_KEY = -1
"""neat-python's key of the single input (``num_inputs = 1``)."""
OUTPUT_KEY = 0
"""neat-python's key of the single output node (``num_outputs = 1``)."""

ACTIVATIONS = ("identity", "sin", "sigmoid", "square", "tanh")
"""``activation_options``; new nodes draw one uniformly (``activation_default = random``), and
``activation_mutate_rate = 0`` so a node keeps it."""

NODE_ADD_PROB = 0.1
"""``node_add_prob`` (``single_structural_mutation = True``: at most one structural change)."""
NODE_DELETE_PROB = 0.075
"""``node_delete_prob``."""
WEIGHT_MUTATE_RATE = 0.75
"""``weight_mutate_rate``: the chance that each connection weight is perturbed."""
WEIGHT_MUTATE_POWER = 0.1
"""``weight_mutate_power``: the standard deviation of the perturbation."""
BIAS_MUTATE_RATE = 0.75
"""``bias_mutate_rate``."""
BIAS_MUTATE_POWER = 0.1
"""``bias_mutate_power``."""
WEIGHT_INIT_STDEV = 0.25
"""``weight_init_stdev`` (mean 0): the start genome's input->output weight; a connection added when
the genome has none (``structural_mutation_surer``) is drawn the same way."""
BIAS_INIT_STDEV = 0.1
"""``bias_init_stdev`` (mean 0): biases of the start genome and of new nodes."""
VALUE_BOUND = 10.0
"""``weight_max_value = bias_max_value = 10`` (and the minima -10): mutated values are clipped."""

RISE_MIN = 0.25
"""A child whose maximum rise is below this is scaled up to U(0.25, 0.75)."""
RISE_MAX = 16.0
"""A child whose maximum rise is above this is scaled down to U(12, 16)."""

RISE_GRID = (np.arange(TERRAIN_LENGTH, dtype=np.float64) - TERRAIN_LENGTH / 2.0) / (TERRAIN_LENGTH / 2.0)
"""Where the reference measures the rise: ``CppnEnvParams.x = [(i - 100) / 100 for i in range(200)]``."""

RISE_GRIDS = ("reference", "course")
"""Where ``mutate`` measures the rise it rescales: the reference's grid, or the course's own inputs."""

MAX_MUTATION_ATTEMPTS = 10_000
"""The reference retries until a valid child appears, unbounded; we stop with an error instead of
hanging on a genome that cannot produce one (never seen in practice: most attempts are valid)."""


def course_inputs() -> np.ndarray:
    """The CPPN input at each of the course's ``TERRAIN_LENGTH`` points, as the reference's terrain
    code computes it: ``x' = (x - mid) * pi / mid`` with ``x = i * TERRAIN_STEP`` and
    ``mid = TERRAIN_LENGTH * TERRAIN_STEP / 2`` (so x' runs over [-pi, pi))."""
    x = np.arange(TERRAIN_LENGTH, dtype=np.float64) * TERRAIN_STEP
    mid = TERRAIN_LENGTH * TERRAIN_STEP / 2.0
    return (x - mid) * np.pi / mid


def course_profile(genome: CppnGenome) -> np.ndarray:
    """Height offsets the CPPN adds to the base height along the course, as the reference uses them:
    ``f(x'_i) - f(x'_{STARTPAD+1})`` for ``i > TERRAIN_STARTPAD`` and 0 on the start pad.

    (In the reference's terrain loop the first step after the pad keeps the pad's height, a quirk of
    its state machine that the terrain generator reproduces; this profile is the CPPN's part only.)
    """
    xs = course_inputs()
    y = genome.altitude(xs)
    out = np.zeros_like(y)
    start = TERRAIN_STARTPAD + 1
    with np.errstate(invalid="ignore", over="ignore"):
        out[start:] = y[start:] - y[start]
    return out


# ------------------------------------------------------------------------------ activations


def _act(name: str, z: np.ndarray) -> np.ndarray:
    # neat-python 0.92 ``activations.py``: the scalings (5, 2.5, 5) and the clamp to [-60, 60] matter.
    if name == "identity":
        return z
    if name == "sin":
        return np.sin(np.clip(5.0 * z, -60.0, 60.0))
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(5.0 * z, -60.0, 60.0)))
    if name == "tanh":
        return np.tanh(np.clip(2.5 * z, -60.0, 60.0))
    if name == "square":
        return z * z
    raise ValueError(f"unknown activation {name!r}")


# ------------------------------------------------------------------------------------ genes


@dataclass(frozen=True)
class NodeGene:
    """A node: ``activation(bias + response * sum of weighted inputs)``."""

    key: int
    activation: str
    bias: float
    response: float = 1.0


@dataclass(frozen=True)
class ConnectionGene:
    """A connection ``src -> dst`` (src may be the input, -1); disabled ones are kept, as in NEAT."""

    src: int
    dst: int
    weight: float
    enabled: bool = True


@dataclass(frozen=True)
class CppnGenome:
    """A NEAT genome with one input and one output, immutable and hashable (a dictionary key).

    ``nodes`` (output and hidden, sorted by key) and ``connections`` (sorted by ``(src, dst)``) are kept
    in canonical order so that equal networks compare and hash equal.
    """

    nodes: tuple[NodeGene, ...]
    connections: tuple[ConnectionGene, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(sorted(self.nodes, key=lambda n: n.key)))
        object.__setattr__(self, "connections", tuple(sorted(self.connections, key=lambda c: (c.src, c.dst))))

    # ------------------------------------------------------------------ construction

    @classmethod
    def initial(cls, rng: np.random.Generator) -> CppnGenome:
        """The reference's start genome: ``y = b + w * x`` with b ~ N(0, 0.1²), w ~ N(0, 0.25²).

        (``configure_new`` with ``initial_connection = full`` and no hidden node, then the output's
        activation set to identity.) Its course is a gentle straight slope.
        """
        bias = _clip(rng.normal(0.0, BIAS_INIT_STDEV))
        weight = _clip(rng.normal(0.0, WEIGHT_INIT_STDEV))
        return cls(
            nodes=(NodeGene(OUTPUT_KEY, "identity", bias),),
            connections=(ConnectionGene(INPUT_KEY, OUTPUT_KEY, weight),),
        )

    @classmethod
    def flat(cls) -> CppnGenome:
        """A genome whose course is exactly flat (input connected with weight 0, no bias)."""
        return cls(nodes=(NodeGene(OUTPUT_KEY, "identity", 0.0),),
                   connections=(ConnectionGene(INPUT_KEY, OUTPUT_KEY, 0.0),))

    # ------------------------------------------------------------------ evaluation

    @cached_property
    def _plan(self) -> tuple[tuple[int, str, float, float, tuple[tuple[int, float], ...]], ...]:
        """neat-python's ``FeedForwardNetwork.create``: which nodes are computed, in which order.

        Its ``feed_forward_layers`` adds, layer after layer, every node that leads to the output and
        whose inputs (over enabled connections) are all computed already; a node without any enabled
        input is never computed, nor is anything downstream of it. Same rule here, in linear time.
        """
        incoming: dict[int, list[tuple[int, float]]] = {}
        outgoing: dict[int, list[int]] = {}
        for c in self.connections:
            if c.enabled:
                incoming.setdefault(c.dst, []).append((c.src, c.weight))
                outgoing.setdefault(c.src, []).append(c.dst)
        required = _required_for_output((c.src, c.dst) for c in self.connections if c.enabled)
        nodes = {n.key: n for n in self.nodes}
        plan = []
        done = {INPUT_KEY}
        frontier = [INPUT_KEY]
        while frontier:
            candidates = {b for a in frontier for b in outgoing.get(a, ()) if b not in done}
            layer = sorted(n for n in candidates
                           if n in required and all(src in done for src, _ in incoming[n]))
            for n in layer:
                node = nodes[n]
                plan.append((n, node.activation, node.bias, node.response, tuple(incoming[n])))
            done.update(layer)
            frontier = layer
        return tuple(plan)

    def altitude(self, x: np.ndarray | float) -> np.ndarray:
        """The network's output at each input ``x`` (vectorised; the same shape as ``x``).

        Identical in value to neat-python's ``net.activate((xi,))[0]`` for each ``xi`` (float64).
        Non-finite values are possible (``square`` overflows); ``mutate`` never returns such a genome.
        """
        x = np.asarray(x, dtype=np.float64)
        values: dict[int, np.ndarray] = {INPUT_KEY: x}
        with np.errstate(over="ignore", invalid="ignore"):
            for key, activation, bias, response, links in self._plan:
                s = np.zeros_like(x)
                for src, w in links:
                    s = s + values[src] * w
                values[key] = _act(activation, bias + response * s)
        out = values.get(OUTPUT_KEY)
        return np.zeros_like(x) if out is None else out

    def max_rise(self, grid: str = "reference") -> float:
        """How far the terrain climbs above its start.

        ``grid="reference"`` (the default, what the reference's mutation bounds): ``max(y - y[0])`` over
        ``RISE_GRID`` (``threshold_ = np.abs(np.max(y))`` after ``y -= y[0]``; the abs changes nothing
        since ``y[0] - y[0] = 0`` bounds the maximum from below). ``grid="course"``: the highest point of
        the course's own CPPN profile above the start pad (``course_profile``), an option of ours.
        """
        if grid == "course":
            return float(np.max(course_profile(self)))
        if grid != "reference":
            raise ValueError(f"rise grid must be one of {', '.join(RISE_GRIDS)}, got {grid!r}")
        y = self.altitude(RISE_GRID)
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: invalid, rejected by mutate
            return float(abs(np.max(y - y[0])))

    def input_connected(self) -> bool:
        """The reference's ``is_genome_valid``: a path from the input to the output along the genome's
        connections, enabled or not."""
        graph: dict[int, list[int]] = {}
        for c in self.connections:
            graph.setdefault(c.src, []).append(c.dst)
        seen = {INPUT_KEY}
        stack = [INPUT_KEY]
        while stack:
            cur = stack.pop()
            if cur == OUTPUT_KEY:
                return True
            for nxt in graph.get(cur, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    @property
    def output_response(self) -> float:
        return self._node(OUTPUT_KEY).response

    @property
    def num_hidden(self) -> int:
        return len(self.nodes) - 1

    def _node(self, key: int) -> NodeGene:
        for n in self.nodes:
            if n.key == key:
                return n
        raise KeyError(key)

    # ------------------------------------------------------------------ mutation

    def mutate(self, rng: np.random.Generator, rise_grid: str = "reference") -> CppnGenome:
        """A valid child, as ``CppnEnvParams.get_mutated_params``: repeat (reset the output's response
        to 1, mutate once) until the child connects input to output, differs from this genome and has
        a positive finite rise; then rescale a rise outside [0.25, 16].

        ``rise_grid`` says where the rise is measured (``max_rise``): ``"reference"`` as the reference
        code, or ``"course"`` so the bound holds for the course's own profile. Deterministic in
        ``rng``; writes nothing anywhere.
        """
        if rise_grid not in RISE_GRIDS:
            raise ValueError(f"rise grid must be one of {', '.join(RISE_GRIDS)}, got {rise_grid!r}")
        base = self.with_output_response(1.0)
        xs = course_inputs()
        for _ in range(MAX_MUTATION_ATTEMPTS):
            child = base.mutate_once(rng)
            if not child.input_connected() or child == self:
                continue
            threshold = child.max_rise(rise_grid)
            if not (math.isfinite(threshold) and threshold > 0.0):
                continue  # flat (or, beyond the reference, overflowing) terrain
            if threshold < RISE_MIN:
                child = child.with_output_response((rng.random() / 2 + 0.25) / threshold)
            elif threshold > RISE_MAX:
                child = child.with_output_response((rng.random() * 4 + 12) / threshold)
            if not np.all(np.isfinite(child.altitude(xs))):
                continue  # the course would hold inf/nan heights (the reference would crash)
            return child
        raise RuntimeError(f"no valid CPPN child after {MAX_MUTATION_ATTEMPTS} attempts")

    def mutate_once(self, rng: np.random.Generator) -> CppnGenome:
        """One NEAT mutation, without validity checks (``DefaultGenome.mutate`` with the reference's
        settings): at most one structural change, then weight and bias perturbations."""
        nodes = {n.key: n for n in self.nodes}
        conns = {(c.src, c.dst): c for c in self.connections}
        r = rng.random()
        if r < NODE_ADD_PROB:
            _add_node(nodes, conns, rng)
        elif r < NODE_ADD_PROB + NODE_DELETE_PROB:
            _delete_node(nodes, conns, rng)
        for key in sorted(conns):
            if rng.random() < WEIGHT_MUTATE_RATE:
                c = conns[key]
                conns[key] = replace(c, weight=_clip(c.weight + rng.normal(0.0, WEIGHT_MUTATE_POWER)))
        for key in sorted(nodes):
            if rng.random() < BIAS_MUTATE_RATE:
                n = nodes[key]
                nodes[key] = replace(n, bias=_clip(n.bias + rng.normal(0.0, BIAS_MUTATE_POWER)))
        return CppnGenome(tuple(nodes.values()), tuple(conns.values()))

    def with_output_response(self, response: float) -> CppnGenome:
        """This genome with the output node's response (its output scale) set to ``response``."""
        nodes = tuple(replace(n, response=float(response)) if n.key == OUTPUT_KEY else n for n in self.nodes)
        return CppnGenome(nodes, self.connections)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (floats round-trip exactly through ``json``)."""
        return {
            "nodes": [{"key": n.key, "activation": n.activation, "bias": n.bias, "response": n.response}
                      for n in self.nodes],
            "connections": [{"in": c.src, "out": c.dst, "weight": c.weight, "enabled": c.enabled}
                            for c in self.connections],
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "cppn") -> CppnGenome:
        """A genome from ``to_dict``'s output; anything malformed raises one ``ConfigError`` line that
        names the offending entry."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where} must be a table with 'nodes' and 'connections', "
                              f"got {type(data).__name__}")
        unknown = sorted(set(data) - {"nodes", "connections"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: connections, nodes)")
        raw_nodes = _list(data.get("nodes"), f"{where}.nodes")
        raw_conns = _list(data.get("connections", []), f"{where}.connections")
        nodes: dict[int, NodeGene] = {}
        for i, nd in enumerate(raw_nodes):
            w = f"{where}.nodes[{i}]"
            _keys(nd, w, required={"key", "activation", "bias"}, optional={"response"})
            key = _int(nd["key"], f"{w}.key")
            if key < 0:
                raise ConfigError(f"{w}.key must be >= 0 (the input is -1 and has no node gene), got {key}")
            if key in nodes:
                raise ConfigError(f"{w}.key {key} appears twice")
            act = nd["activation"]
            if act not in ACTIVATIONS:
                raise ConfigError(f"{w}.activation must be one of {', '.join(ACTIVATIONS)}; got {act!r}")
            bias = _float(nd["bias"], f"{w}.bias", VALUE_BOUND)
            response = _float(nd.get("response", 1.0), f"{w}.response", None)
            nodes[key] = NodeGene(key, act, bias, response)
        if OUTPUT_KEY not in nodes:
            raise ConfigError(f"{where}.nodes must contain the output node (key {OUTPUT_KEY})")
        conns: dict[tuple[int, int], ConnectionGene] = {}
        for i, cd in enumerate(raw_conns):
            w = f"{where}.connections[{i}]"
            _keys(cd, w, required={"in", "out", "weight"}, optional={"enabled"})
            src = _int(cd["in"], f"{w}.in")
            dst = _int(cd["out"], f"{w}.out")
            if src != INPUT_KEY and src not in nodes:
                raise ConfigError(f"{w}.in must be -1 (the input) or a node key, got {src}")
            if dst not in nodes:
                raise ConfigError(f"{w}.out must be a node key, got {dst}")
            if (src, dst) in conns:
                raise ConfigError(f"{w}: connection {src}->{dst} appears twice")
            enabled = cd.get("enabled", True)
            if not isinstance(enabled, bool):
                raise ConfigError(f"{w}.enabled must be true or false, got {enabled!r}")
            weight = _float(cd["weight"], f"{w}.weight", VALUE_BOUND)
            conns[(src, dst)] = ConnectionGene(src, dst, weight, enabled)
        if _has_cycle(conns):
            raise ConfigError(f"{where}.connections contain a cycle (the CPPN must be feed-forward)")
        return cls(tuple(nodes.values()), tuple(conns.values()))

    def describe(self) -> str:
        """A short human description: size and activations."""
        acts = [n.activation for n in self.nodes if n.key != OUTPUT_KEY]
        counts = ", ".join(f"{acts.count(a)} {a}" for a in ACTIVATIONS if a in acts)
        hidden = f"{self.num_hidden} hidden ({counts})" if acts else "no hidden node"
        enabled = sum(c.enabled for c in self.connections)
        return f"CPPN {hidden}, {enabled}/{len(self.connections)} connections enabled"


# ------------------------------------------------------------------------------ helpers


def _clip(v: float) -> float:
    return float(min(VALUE_BOUND, max(-VALUE_BOUND, v)))


def _required_for_output(enabled: Iterable[tuple[int, int]]) -> set[int]:
    """neat-python's ``required_for_output``: nodes from which the output can be reached."""
    enabled = list(enabled)
    required = {OUTPUT_KEY}
    frontier = {OUTPUT_KEY}
    while True:
        t = {a for a, b in enabled if b in frontier and a not in frontier}
        hidden = {a for a in t if a != INPUT_KEY}
        if not hidden:
            break
        required |= hidden
        frontier |= t
    return required


def _add_node(nodes: dict[int, NodeGene], conns: dict[tuple[int, int], ConnectionGene],
              rng: np.random.Generator) -> None:
    if not conns:
        # ``structural_mutation_surer`` defaults to ``single_structural_mutation`` (True): add a
        # connection instead when there is none to split.
        _add_connection(nodes, conns, rng)
        return
    keys = sorted(conns)
    split = conns[keys[int(rng.integers(len(keys)))]]
    new_key = max(nodes) + 1
    activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    nodes[new_key] = NodeGene(new_key, activation, _clip(rng.normal(0.0, BIAS_INIT_STDEV)))
    conns[(split.src, split.dst)] = replace(split, enabled=False)
    conns[(split.src, new_key)] = ConnectionGene(split.src, new_key, 1.0, True)
    conns[(new_key, split.dst)] = ConnectionGene(new_key, split.dst, split.weight, True)


def _add_connection(nodes: dict[int, NodeGene], conns: dict[tuple[int, int], ConnectionGene],
                    rng: np.random.Generator) -> None:
    """neat-python's ``mutate_add_connection`` (reached only from ``_add_node`` on a genome without
    connections, since ``conn_add_prob = 0``)."""
    outs = sorted(nodes)
    out_node = outs[int(rng.integers(len(outs)))]
    ins = outs + [INPUT_KEY]
    in_node = ins[int(rng.integers(len(ins)))]
    key = (in_node, out_node)
    if key in conns:
        conns[key] = replace(conns[key], enabled=True)
        return
    if in_node == OUTPUT_KEY and out_node == OUTPUT_KEY:
        return
    if _has_cycle({**conns, key: None}):  # type: ignore[dict-item]
        return
    conns[key] = ConnectionGene(in_node, out_node, _clip(rng.normal(0.0, WEIGHT_INIT_STDEV)), True)


def _delete_node(nodes: dict[int, NodeGene], conns: dict[tuple[int, int], ConnectionGene],
                 rng: np.random.Generator) -> None:
    hidden = sorted(k for k in nodes if k != OUTPUT_KEY)
    if not hidden:
        return
    victim = hidden[int(rng.integers(len(hidden)))]
    for key in [k for k in conns if victim in k]:
        del conns[key]
    del nodes[victim]


def _has_cycle(conns: Mapping[tuple[int, int], Any]) -> bool:
    graph: dict[int, list[int]] = {}
    for a, b in conns:
        if a == b:
            return True
        graph.setdefault(a, []).append(b)
    state: dict[int, int] = {}  # 1 = on the current path, 2 = finished

    def visit(n: int) -> bool:
        state[n] = 1
        for m in graph.get(n, ()):
            s = state.get(m)
            if s == 1 or (s is None and visit(m)):
                return True
        state[n] = 2
        return False

    return any(state.get(n) is None and visit(n) for n in list(graph))


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list | tuple):
        raise ConfigError(f"{where} must be a list, got {v!r}")
    return list(v)


def _keys(d: Any, where: str, required: set[str], optional: set[str]) -> None:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where} must be a table, got {d!r}")
    missing = sorted(required - set(d))
    if missing:
        raise ConfigError(f"{where} lacks {missing[0]!r}")
    unknown = sorted(set(d) - required - optional)
    if unknown:
        known = ", ".join(sorted(required | optional))
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {known})")


def _int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
        raise ConfigError(f"{where} must be an integer, got {v!r}")
    return int(v)


def _float(v: Any, where: str, bound: float | None) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(f"{where} must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise ConfigError(f"{where} must be a finite number, got {v!r}")
    if bound is not None and not -bound <= v <= bound:
        raise ConfigError(f"{where} must be in [{-bound:g}, {bound:g}], got {v!r}")
    return v
