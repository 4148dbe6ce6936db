"""Search spaces as presets: the reference's demo and the paper's Sec. 4.2 / 4.3 spaces.

Paper: Real et al., AutoML-Zero (ICML 2020), Sec. 4.1-4.3 and Supplementary Sec. 8-9 (Table S3: address
counts and component-function sizes). Reference: google-research ``automl_zero/run_demo.sh`` (the demo,
copied field by field) and ``run_baseline.sh``.
"""

from __future__ import annotations

from typing import Any

_DEMO_OPS = (
    "SCALAR_CONST_SET",
    "VECTOR_INNER_PRODUCT",
    "SCALAR_DIFF",
    "SCALAR_PRODUCT",
    "SCALAR_VECTOR_PRODUCT",
    "VECTOR_SUM",
)
# Sec. 4.2: Setup gets the 9 initialisation ops; Predict and Learn get 58 ops. Our reading of "58": every
# op except NO_OP, the three constant sets and the three uniform sets (ids 1-55 and the Gaussian sets
# 62-64), which keeps the random ops that let evolution invent input noise. See docs/automl_zero.md.
_INIT_OPS = tuple(str(i) for i in range(56, 65))
_PAPER_OPS = tuple(str(i) for i in list(range(1, 56)) + [62, 63, 64])
# Three families, each a third: (i) insert or remove (removal twice as likely), (ii) randomize a component
# function, (iii) alter a parameter.
_PAPER_MUTATIONS = (
    ("alter_param",) * 3
    + ("randomize_component_function",) * 3
    + ("insert_instruction", "remove_instruction", "remove_instruction")
)

PRESETS: dict[str, dict[str, Any]] = {
    # run_demo.sh: 10 linear regression tasks (F=4, 100/100 examples), 4/3/1 addresses, the same 6 ops in
    # every component, fixed sizes 10/2/8, P=1000, T=10, mutate_prob 0.9, FEC 10/10, mean fitness; solved
    # when a candidate reaches 0.9999 on 100 select tasks of 1000/100 examples.
    "demo": {
        "task": "linear",
        "features": 4,
        "num_tasks": 10,
        "num_train": 100,
        "num_valid": 100,
        "select_tasks": 100,
        "select_train": 1000,
        "select_valid": 100,
        "sufficient_fitness": 0.9999,
        "scalars": 4,
        "vectors": 3,
        "matrices": 1,
        "setup_ops": _DEMO_OPS,
        "predict_ops": _DEMO_OPS,
        "learn_ops": _DEMO_OPS,
        "setup_size": (10, 10, 10),
        "predict_size": (2, 2, 2),
        "learn_size": (8, 8, 8),
        "mutation_types": ("alter_param", "randomize_instruction", "randomize_component_function"),
        "mutate_prob": 0.9,
        "population_size": 1000,
        "tournament_size": 10,
        "initial_population": "random",
        "fitness_combination": "mean",
        "fec": True,
        "hurdles": False,
        "iterations": 100,
        "individuals_per_iteration": 10_000,
        "experiment_individuals": 1_000_000,
    },
    # Sec. 4.2, "searching with minimal human input": projected binary classification (here scikit-learn's
    # digits instead of CIFAR-10), F=16, 8/14/3 addresses, empty initial programs, sizes up to 21/21/45,
    # P=100, T=10, median fitness, FEC and hurdles, migration between islands.
    "sec42": {
        "task": "projected_binary",
        "dataset": "digits",
        "features": 16,
        "num_tasks": 10,
        "num_train": 300,
        "num_valid": 60,
        "select_tasks": 18,
        "select_train": 300,
        "select_valid": 60,
        "sufficient_fitness": 1.0,
        "stop_when_solved": False,
        "experiment_individuals": 0,
        "scalars": 8,
        "vectors": 14,
        "matrices": 3,
        "setup_ops": _INIT_OPS,
        "predict_ops": _PAPER_OPS,
        "learn_ops": _PAPER_OPS,
        "setup_size": (0, 0, 21),
        "predict_size": (0, 0, 21),
        "learn_size": (0, 0, 45),
        "mutation_types": _PAPER_MUTATIONS,
        "constant_mutation": "paper",
        "mutate_prob": 0.9,
        "population_size": 100,
        "tournament_size": 10,
        "initial_population": "no_op",
        "fitness_combination": "median",
        "fec": True,
        "hurdles": True,
        "hurdle_tasks": 5,
        "iterations": 1000,
        "individuals_per_iteration": 1000,
        "migrate_every": 1,
        "migration_size": 50,
    },
    # A few seconds end to end (tests, a first look).
    "smoke": {
        "task": "linear",
        "features": 4,
        "num_tasks": 3,
        "num_train": 20,
        "num_valid": 10,
        "select_tasks": 2,
        "select_train": 50,
        "select_valid": 10,
        "scalars": 4,
        "vectors": 3,
        "matrices": 1,
        "setup_ops": _DEMO_OPS,
        "predict_ops": _DEMO_OPS,
        "learn_ops": _DEMO_OPS,
        "setup_size": (4, 4, 4),
        "predict_size": (2, 2, 2),
        "learn_size": (4, 4, 4),
        "population_size": 50,
        "individuals_per_iteration": 200,
        "iterations": 3,
        "islands": 1,
        "fec_cache_size": 500,
        "checkpoint_every": 2,
        "experiment_individuals": 0,
    },
}

# Sec. 4.3, "discovering algorithm adaptations": the Sec. 4.2 space with more memory (10/16/4) and fewer
# training examples. The paper changes the task (few examples, fast training, 10 classes); set num_train etc.
# to reproduce one.
PRESETS["sec43"] = {
    **PRESETS["sec42"],
    "num_train": 80,
    "select_train": 80,
    "scalars": 10,
    "vectors": 16,
    "matrices": 4,
}


def preset(name: str) -> dict[str, Any]:
    from aiga.core.config import AigaError

    if name not in PRESETS:
        raise AigaError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return dict(PRESETS[name])
