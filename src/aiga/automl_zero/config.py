"""AutoML-Zero settings: the config dataclass, the op names and the mutation names (no numba here, so that
``aiga --help`` stays fast).

Paper: Real et al., AutoML-Zero (ICML 2020). Reference: google-research ``automl_zero/instruction.proto``
(op ids), ``mutator.proto`` (mutation types), ``experiment.proto`` and ``run_demo.sh`` (search settings).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aiga.core.config import AigaError, check_choice, check_range, param

#: Op names by id, as in instruction.proto (without the ``_OP`` suffix).
OP_NAMES = (
    "NO_OP",
    "SCALAR_SUM",
    "SCALAR_DIFF",
    "SCALAR_PRODUCT",
    "SCALAR_DIVISION",
    "SCALAR_ABS",
    "SCALAR_RECIPROCAL",
    "SCALAR_SIN",
    "SCALAR_COS",
    "SCALAR_TAN",
    "SCALAR_ARCSIN",
    "SCALAR_ARCCOS",
    "SCALAR_ARCTAN",
    "SCALAR_EXP",
    "SCALAR_LOG",
    "SCALAR_HEAVYSIDE",
    "VECTOR_HEAVYSIDE",
    "MATRIX_HEAVYSIDE",
    "SCALAR_VECTOR_PRODUCT",
    "SCALAR_BROADCAST",
    "VECTOR_RECIPROCAL",
    "VECTOR_NORM",
    "VECTOR_ABS",
    "VECTOR_SUM",
    "VECTOR_DIFF",
    "VECTOR_PRODUCT",
    "VECTOR_DIVISION",
    "VECTOR_INNER_PRODUCT",
    "VECTOR_OUTER_PRODUCT",
    "SCALAR_MATRIX_PRODUCT",
    "MATRIX_RECIPROCAL",
    "MATRIX_VECTOR_PRODUCT",
    "VECTOR_COLUMN_BROADCAST",
    "VECTOR_ROW_BROADCAST",
    "MATRIX_NORM",
    "MATRIX_COLUMN_NORM",
    "MATRIX_ROW_NORM",
    "MATRIX_TRANSPOSE",
    "MATRIX_ABS",
    "MATRIX_SUM",
    "MATRIX_DIFF",
    "MATRIX_PRODUCT",
    "MATRIX_DIVISION",
    "MATRIX_MATRIX_PRODUCT",
    "SCALAR_MIN",
    "VECTOR_MIN",
    "MATRIX_MIN",
    "SCALAR_MAX",
    "VECTOR_MAX",
    "MATRIX_MAX",
    "VECTOR_MEAN",
    "MATRIX_MEAN",
    "MATRIX_ROW_MEAN",
    "MATRIX_ROW_ST_DEV",
    "VECTOR_ST_DEV",
    "MATRIX_ST_DEV",
    "SCALAR_CONST_SET",
    "VECTOR_CONST_SET",
    "MATRIX_CONST_SET",
    "SCALAR_UNIFORM_SET",
    "VECTOR_UNIFORM_SET",
    "MATRIX_UNIFORM_SET",
    "SCALAR_GAUSSIAN_SET",
    "VECTOR_GAUSSIAN_SET",
    "MATRIX_GAUSSIAN_SET",
)
OP_IDS = {name: i for i, name in enumerate(OP_NAMES)}

#: Mutation types, named and numbered as in the reference's mutator.proto.
MUTATION_TYPES = {
    "alter_param": 0,
    "randomize_instruction": 1,
    "randomize_component_function": 2,
    "identity": 3,
    "insert_instruction": 4,
    "remove_instruction": 5,
    "trade_instruction": 6,
    "randomize_algorithm": 7,
}

_DEMO_OPS = (
    "SCALAR_CONST_SET",
    "VECTOR_INNER_PRODUCT",
    "SCALAR_DIFF",
    "SCALAR_PRODUCT",
    "SCALAR_VECTOR_PRODUCT",
    "VECTOR_SUM",
)


@dataclasses.dataclass(frozen=True)
class AutoMLZeroConfig:
    """One AutoML-Zero search (defaults: the reference's ``run_demo.sh``)."""

    seed: int = param(0, "random seed of the whole run")
    iterations: int = param(
        100, "iterations; each runs individuals_per_iteration individuals on every island"
    )
    individuals_per_iteration: int = param(10_000, "individuals per island per iteration (the progress unit)")
    # tasks
    task: str = param("linear", "task family: linear, nonlinear (2-layer teacher) or projected_binary")
    dataset: str = param(
        "digits", "projected_binary only: 'digits' (bundled with scikit-learn) or an .npz with arrays x, y"
    )
    features: int = param(4, "feature size F")
    num_tasks: int = param(10, "search tasks")
    num_train: int = param(100, "training examples per search task")
    num_valid: int = param(100, "validation examples per search task")
    select_tasks: int = param(100, "tasks of the select check (0: none)")
    select_train: int = param(1000, "training examples per select task")
    select_valid: int = param(100, "validation examples per select task")
    sufficient_fitness: float = param(0.9999, "search and select fitness that count as solved")
    stop_when_solved: bool = param(True, "end the run once a candidate passes the select check")
    experiment_individuals: int = param(
        1_000_000,
        "start a fresh experiment (new population and task seeds) "
        "after this many individuals without success (0: never)",
    )
    # memory and search space
    scalars: int = param(4, "scalar addresses (s0 label, s1 prediction)")
    vectors: int = param(3, "vector addresses (v0 features)")
    matrices: int = param(1, "matrix addresses")
    setup_ops: tuple[str, ...] = param(_DEMO_OPS, "ops allowed in Setup (names or ids)")
    predict_ops: tuple[str, ...] = param(_DEMO_OPS, "ops allowed in Predict (names or ids)")
    learn_ops: tuple[str, ...] = param(_DEMO_OPS, "ops allowed in Learn (names or ids)")
    setup_size: tuple[int, int, int] = param((10, 10, 10), "Setup size: initial, min, max")
    predict_size: tuple[int, int, int] = param((2, 2, 2), "Predict size: initial, min, max")
    learn_size: tuple[int, int, int] = param((8, 8, 8), "Learn size: initial, min, max")
    mutation_types: tuple[str, ...] = param(
        ("alter_param", "randomize_instruction", "randomize_component_function"),
        "mutation types drawn uniformly (repeat one to weight it)",
    )
    mutate_prob: float = param(0.9, "probability that a child is mutated (else an exact copy)")
    constant_mutation: str = param(
        "code",
        "constant perturbation: 'code' (x exp(N(0,1))) or 'paper' "
        "(x U[0.5, 2]); both flip the sign with p=0.1",
    )
    initial_population: str = param("random", "random or no_op programs")
    # evolution
    population_size: int = param(1000, "population size P per island")
    tournament_size: int = param(10, "tournament size T")
    fitness_combination: str = param("mean", "combine task fitnesses by mean (reference) or median (paper)")
    max_abs_error: float = param(100.0, "early stop when |y - prediction| exceeds this (or is NaN)")
    prune_dead_code: bool = param(True, "drop dead instructions before FEC and evaluation")
    # FEC
    fec: bool = param(True, "functional equivalence checking")
    fec_train: int = param(10, "FEC fingerprint: training examples")
    fec_valid: int = param(10, "FEC fingerprint: validation examples")
    fec_cache_size: int = param(100_000, "FEC LRU cache entries per island")
    fec_forget_every: int = param(100, "re-evaluate a cached fingerprint after this many hits (0: never)")
    # hurdles
    hurdles: bool = param(False, "hurdles: stop evaluating children below the rolling percentile")
    hurdle_percentile: float = param(75.0, "percentile of the unique population fitnesses")
    hurdle_tasks: int = param(5, "tasks evaluated before the hurdle check")
    hurdle_update_every: int = param(100, "recompute the hurdle every this many individuals")
    # islands
    islands: int = param(
        0, "independent populations (0: one per worker); results depend on this, not on --workers"
    )
    migrate_every: int = param(1, "iterations between migrations (islands > 1)")
    migration_size: int = param(50, "individuals each island uploads and receives per migration")
    checkpoint_every: int = param(20, "iterations between checkpoints")

    def __post_init__(self) -> None:
        check_range("iterations", self.iterations, 0, None)
        check_range("individuals_per_iteration", self.individuals_per_iteration, 1, None)
        check_choice("task", self.task, ("linear", "nonlinear", "projected_binary"))
        check_range("features", self.features, 1, 1024)
        check_range("num_tasks", self.num_tasks, 1, None)
        check_range("num_train", self.num_train, 10, None)
        check_range("num_valid", self.num_valid, 1, None)
        check_range("select_tasks", self.select_tasks, 0, None)
        check_range("select_train", self.select_train, 10, None)
        check_range("select_valid", self.select_valid, 1, None)
        check_range("experiment_individuals", self.experiment_individuals, 0, None)
        check_range("scalars", self.scalars, 2, 1000)
        check_range("vectors", self.vectors, 2, 1000)
        check_range("matrices", self.matrices, 1, 1000)
        for name in ("setup_size", "predict_size", "learn_size"):
            init, lo, hi = getattr(self, name)
            if not 0 <= lo <= init <= hi:
                raise AigaError(
                    f"{name} must be (initial, min, max) with 0 <= min <= initial <= max, got "
                    f"{getattr(self, name)}"
                )
        for name in ("setup_ops", "predict_ops", "learn_ops"):
            op_ids(getattr(self, name), name)
        if not any(getattr(self, n) for n in ("setup_ops", "predict_ops", "learn_ops")):
            raise AigaError("at least one component function needs allowed ops")
        if not self.mutation_types:
            raise AigaError("mutation_types must name at least one mutation")
        for m in self.mutation_types:
            check_choice("mutation_types", m, tuple(MUTATION_TYPES))
        check_range("mutate_prob", self.mutate_prob, 0.0, 1.0)
        check_choice("constant_mutation", self.constant_mutation, ("code", "paper"))
        check_choice("initial_population", self.initial_population, ("random", "no_op"))
        check_range("population_size", self.population_size, 2, None)
        check_range("tournament_size", self.tournament_size, 1, None)
        check_choice("fitness_combination", self.fitness_combination, ("mean", "median"))
        check_range("max_abs_error", self.max_abs_error, 0.0, None)
        check_range("fec_train", self.fec_train, 1, None)
        check_range("fec_valid", self.fec_valid, 1, None)
        check_range("fec_cache_size", self.fec_cache_size, 2, None)
        check_range("fec_forget_every", self.fec_forget_every, 0, None)
        if self.fec_forget_every == 1:
            raise AigaError("fec_forget_every must be 0 (never) or at least 2")
        check_range("hurdle_percentile", self.hurdle_percentile, 0.0, 100.0)
        check_range("hurdle_tasks", self.hurdle_tasks, 1, None)
        check_range("hurdle_update_every", self.hurdle_update_every, 1, None)
        check_range("islands", self.islands, 0, 4096)
        check_range("migrate_every", self.migrate_every, 1, None)
        check_range("migration_size", self.migration_size, 0, None)
        check_range("checkpoint_every", self.checkpoint_every, 1, None)


def op_ids(names: tuple[str, ...], where: str = "ops") -> np.ndarray:
    """Op names (``SCALAR_SUM``, ``SCALAR_SUM_OP`` or the id as text) to ids; AigaError on an unknown one."""
    out = []
    for n in names:
        s = str(n).strip().upper()
        if s.endswith("_OP"):
            s = s[:-3]
        if s.isdigit():
            i = int(s)
            if not 0 <= i < len(OP_NAMES):
                raise AigaError(f"{where}: op id {i} is not in 0-64")
        elif s in OP_IDS:
            i = OP_IDS[s]
        else:
            raise AigaError(f"{where}: unknown op {n!r}")
        out.append(i)
    return np.array(out, np.int32)
