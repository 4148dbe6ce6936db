"""Evaluation order, fitness, early stop, and a hand-written SGD program solving the demo tasks."""

import math

import numpy as np

from aiga.automl_zero.config import AutoMLZeroConfig
from aiga.automl_zero.evolution import evaluate
from aiga.automl_zero.program import Program, export_source
from aiga.automl_zero.tasks import ACCURACY, RMS, TaskSet, linear_regression

CFG = AutoMLZeroConfig(islands=1, scalars=4, vectors=3, matrices=1, features=4)


def task(y_train, y_valid, F=4, eval_type=RMS, x_train=None, x_valid=None):
    xt = np.zeros((len(y_train), F)) if x_train is None else x_train
    xv = np.zeros((len(y_valid), F)) if x_valid is None else x_valid
    return TaskSet.stack([(xt, np.asarray(y_train, float), xv, np.asarray(y_valid, float), eval_type)])


def test_two_instruction_program_runs_in_order():
    # Setup: s3 = 1. Predict: s2 = s2 + s3, then s1 = s2 * s3. In order, example i (0-based, train then
    # valid) is predicted as i + 1; in the reverse order it would be i (RMSE 1, fitness 0.5).
    ts = task(np.arange(1, 11), np.arange(11, 16))
    in_order = Program.from_lists(setup=[(56, 0, 0, 3, 1.0)], predict=[(1, 2, 3, 2), (3, 2, 3, 1)])
    reversed_ = Program.from_lists(setup=[(56, 0, 0, 3, 1.0)], predict=[(3, 2, 3, 1), (1, 2, 3, 2)])
    assert evaluate(in_order, CFG, ts)[0] == 1.0
    assert math.isclose(evaluate(reversed_, CFG, ts)[0], 1.0 - 2.0 / math.pi * math.atan(1.0))  # 0.5


def test_label_is_zero_in_predict_and_y_in_learn():
    # Learn copies the label into s2 (s2 = s0 + s3 with s3 = 0); Predict outputs s2 + s0. If s0 leaked the
    # label into Predict, the prediction would be off by y.
    ts = task([3.0] * 10, [3.0] * 4)
    p = Program.from_lists(predict=[(1, 2, 0, 1)], learn=[(1, 0, 3, 2)])
    assert evaluate(p, CFG, ts)[0] == 1.0


def test_rms_fitness_is_flip_and_squash():
    ts = task([1.0] * 10, [1.0, -1.0, 3.0, 0.0])  # predicting 0: RMSE = sqrt((1 + 1 + 9 + 0) / 4)
    zero = Program.from_lists(predict=[(56, 0, 0, 2, 0.5)])  # writes s2 only: s1 stays 0
    rmse = math.sqrt(11 / 4)
    assert math.isclose(evaluate(zero, CFG, ts)[0], 1 - 2 / math.pi * math.atan(rmse), rel_tol=1e-14)


def test_early_stop_on_large_or_nan_error_gives_zero():
    ts = task([0.0] * 10, [0.0] * 3)
    big = Program.from_lists(predict=[(56, 0, 0, 1, 100.5)])
    ok = Program.from_lists(predict=[(56, 0, 0, 1, 99.5)])
    nan = Program.from_lists(predict=[(4, 2, 3, 1)])  # 0 / 0
    assert evaluate(big, CFG, ts)[0] == 0.0
    assert math.isclose(evaluate(ok, CFG, ts)[0], 1 - 2 / math.pi * math.atan(99.5))
    assert evaluate(nan, CFG, ts)[0] == 0.0


def test_accuracy_tasks_use_sigmoid_and_threshold():
    yv = [1, 1, 0, 1, 0]
    ts = task([1.0] * 10, yv, eval_type=ACCURACY)
    pos = Program.from_lists(predict=[(56, 0, 0, 1, 0.3)])  # sigmoid(0.3) > 0.5: always class 1
    assert evaluate(pos, CFG, ts)[0] == 3 / 5
    neg = Program.from_lists(predict=[(56, 0, 0, 1, -0.3)])
    assert evaluate(neg, CFG, ts)[0] == 2 / 5


def sgd_program(lr=0.2):
    """Linear regression by SGD: predict s1 = v1·v0; learn v1 += lr (y − s1) v0."""
    return Program.from_lists(
        setup=[(56, 0, 0, 2, lr)],
        predict=[(27, 1, 0, 1)],
        learn=[(2, 0, 1, 3), (3, 2, 3, 3), (18, 3, 0, 2), (23, 1, 2, 1)],
    )


def test_hand_written_sgd_solves_the_demo_tasks():
    search_tasks = linear_regression(10, 4, 100, 100, seed=0)  # the demo's search task shape
    select_tasks = linear_regression(100, 4, 1000, 100, seed=1)  # the demo's select task shape
    assert evaluate(sgd_program(), CFG, search_tasks)[0] >= 0.9999
    assert evaluate(sgd_program(), CFG, select_tasks)[0] >= 0.9999
    assert evaluate(sgd_program(lr=0.0), CFG, search_tasks)[0] < 0.5  # no learning, no fitness


def test_exported_code_reproduces_the_fitness(tmp_path):
    tasks = linear_regression(3, 4, 100, 20, seed=3)
    prog = Program.from_lists(
        setup=[(56, 0, 0, 2, 0.2), (56, 0, 0, 3, 0.7)],  # s3 is dead: overwritten in learn before any read
        predict=[(27, 1, 0, 1), (18, 2, 0, 2)],  # the second instruction writes v2, dead after predict
        learn=[(2, 0, 1, 3), (3, 2, 3, 3), (18, 3, 0, 2), (23, 1, 2, 1)],
    )
    src = export_source(prog, 4, 3, 1, 4)
    assert "0.7" not in src and src.count("s[2] * v[0]") == 0  # dead code removed
    tasks.save(tmp_path / "t.npz")
    ns: dict = {}
    exec(compile(src, "best_program.py", "exec"), ns)
    with np.load(tmp_path / "t.npz") as z:
        exported = ns["fitness"](dict(z))
    assert math.isclose(exported, evaluate(prog, CFG, tasks)[0], rel_tol=1e-12, abs_tol=1e-12)
    assert exported > 0.99
