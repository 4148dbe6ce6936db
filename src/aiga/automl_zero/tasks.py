"""Task generators: the paper's regression and projected binary classification tasks, as dense arrays.

Paper: Real et al., AutoML-Zero (ICML 2020), Sec. 4.1 (linear and nonlinear regression with a random
teacher), Sec. 4.2 and Supplementary Sec. 9 (projected binary classification: a pair of classes, a random
Gaussian projection to F features, standardised). Reference: google-research ``automl_zero/task_util.h``
(``ScalarLinearRegressionTaskCreator``, ``Scalar2LayerNnRegressionTaskCreator``) and
``generate_datasets.py`` (projected binary CIFAR-10/MNIST through TFDS).

Every generator returns a ``TaskSet``: padded arrays over tasks, so that the numba evaluator loops over
tasks without Python. Randomness comes from ``make_rng(seed, ...)`` streams, so a task collection is a pure
function of its seeds (the reference uses mt19937 streams; the values differ, the distributions do not).

Classification data never comes from the network: the default image set is scikit-learn's bundled 8×8
digits (1,797 images, 10 classes), and any arrays a user supplies (``.npz`` with ``x`` and ``y``) work the
same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np

from aiga.core.config import AigaError
from aiga.core.seeding import make_rng

RMS, ACCURACY = 0, 1

#: The class pairs held out from search in the paper (T_select); the other 36 of 45 form T_search.
HELD_OUT_PAIRS = ((4, 6), (3, 5), (8, 9), (3, 8), (0, 9), (2, 9), (1, 8), (3, 6), (0, 5))


@dataclasses.dataclass
class TaskSet:
    """Tasks as padded arrays: task t uses the first ``n_train[t]``/``n_valid[t]`` rows."""

    x_train: np.ndarray  # (T, Ntr, F) float64
    y_train: np.ndarray  # (T, Ntr)
    n_train: np.ndarray  # (T,) int64
    x_valid: np.ndarray  # (T, Nva, F)
    y_valid: np.ndarray  # (T, Nva)
    n_valid: np.ndarray  # (T,)
    eval_type: np.ndarray  # (T,) int64: RMS or ACCURACY
    index: np.ndarray  # (T,) int64: task index, salts the FEC fingerprint

    @property
    def num_tasks(self) -> int:
        return len(self.n_train)

    @property
    def features(self) -> int:
        return int(self.x_train.shape[2])

    def save(self, path: str | Path) -> None:
        """Plain arrays (no pickle), readable by the exported program."""
        np.savez(
            path,
            x_train=self.x_train,
            y_train=self.y_train,
            n_train=self.n_train,
            x_valid=self.x_valid,
            y_valid=self.y_valid,
            n_valid=self.n_valid,
            classification=(self.eval_type == ACCURACY),
            index=self.index,
        )

    @staticmethod
    def stack(tasks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]) -> TaskSet:
        if not tasks:
            raise AigaError("a task collection needs at least one task")
        F = tasks[0][0].shape[1]
        ntr = max(t[0].shape[0] for t in tasks)
        nva = max(t[2].shape[0] for t in tasks)
        T = len(tasks)
        xt = np.zeros((T, ntr, F))
        yt = np.zeros((T, ntr))
        xv = np.zeros((T, nva, F))
        yv = np.zeros((T, nva))
        for i, (a, b, c, d, _) in enumerate(tasks):
            xt[i, : len(a)] = a
            yt[i, : len(b)] = b
            xv[i, : len(c)] = c
            yv[i, : len(d)] = d
        return TaskSet(
            xt,
            yt,
            np.array([len(t[1]) for t in tasks], np.int64),
            xv,
            yv,
            np.array([len(t[3]) for t in tasks], np.int64),
            np.array([t[4] for t in tasks], np.int64),
            np.arange(T, dtype=np.int64),
        )


def _check(F: int, n_train: int, n_valid: int, n_tasks: int) -> None:
    if F < 1:
        raise AigaError(f"feature size must be at least 1, got {F}")
    if n_train < 10 or n_valid < 1:
        raise AigaError(
            "tasks need at least 10 training examples (the FEC fingerprint uses 10) and 1 "
            f"validation example; got {n_train} and {n_valid}"
        )
    if n_tasks < 1:
        raise AigaError(f"need at least one task, got {n_tasks}")


def linear_regression(n_tasks: int, F: int, n_train: int, n_valid: int, seed: int) -> TaskSet:
    """``scalar_linear_regression_task``: x ~ N(0, I_F), teacher w ~ N(0, I_F) per task, y = w·x."""
    _check(F, n_train, n_valid, n_tasks)
    out = []
    for t in range(n_tasks):
        data = make_rng(seed, "linear-data", t)
        w = make_rng(seed, "linear-params", t).standard_normal(F)
        xt = data.standard_normal((n_train, F))
        xv = data.standard_normal((n_valid, F))
        out.append((xt, xt @ w, xv, xv @ w, RMS))
    return TaskSet.stack(out)


def nonlinear_regression(n_tasks: int, F: int, n_train: int, n_valid: int, seed: int) -> TaskSet:
    """``scalar_2layer_nn_regression_task``: y = u·relu(W x) with a random teacher network (W ~ N(0,1)^{F×F},
    u ~ N(0,1)^F); as in the reference, rows 0 and 2 of W and entries 0 and 2 of u are zero."""
    _check(F, n_train, n_valid, n_tasks)
    out = []
    for t in range(n_tasks):
        data = make_rng(seed, "nn-data", t)
        prm = make_rng(seed, "nn-params", t)
        W = prm.standard_normal((F, F))
        u = prm.standard_normal(F)
        for r in (0, 2):
            if r < F:
                W[r] = 0.0
                u[r] = 0.0
        xt = data.standard_normal((n_train, F))
        xv = data.standard_normal((n_valid, F))
        out.append((xt, np.maximum(xt @ W.T, 0.0) @ u, xv, np.maximum(xv @ W.T, 0.0) @ u, RMS))
    return TaskSet.stack(out)


def load_image_arrays(source: str) -> tuple[np.ndarray, np.ndarray]:
    """``digits`` (scikit-learn's bundled set, no download) or a path to an ``.npz`` with ``x`` and ``y``."""
    if source == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        return d.data.astype(np.float64), d.target.astype(np.int64)
    p = Path(source)
    if not p.is_file():
        raise AigaError(f"dataset {source!r} is neither 'digits' nor an existing .npz file")
    try:
        with np.load(p, allow_pickle=False) as z:
            x, y = np.asarray(z["x"], np.float64), np.asarray(z["y"])
    except (KeyError, ValueError, OSError) as e:
        raise AigaError(
            f"{p} must be an .npz with arrays 'x' (examples) and 'y' (integer labels): {e}"
        ) from None
    x = x.reshape(len(x), -1)
    if len(x) != len(y):
        raise AigaError(f"{p}: x has {len(x)} examples but y has {len(y)} labels")
    if not np.all(np.isfinite(x)):
        raise AigaError(f"{p}: x holds NaN or infinite values")
    return x, y.astype(np.int64)


def class_pairs(labels: np.ndarray, split: str) -> list[tuple[int, int]]:
    """All pairs of classes present; ``search`` drops the paper's 9 held-out pairs, ``select`` keeps only
    them (when the labels are 0-9), ``all`` keeps every pair."""
    classes = sorted(set(labels.tolist()))
    pairs = list(itertools.combinations(classes, 2))
    held = {tuple(sorted(p)) for p in HELD_OUT_PAIRS}
    if split == "search":
        kept = [p for p in pairs if p not in held]
        return kept or pairs
    if split == "select":
        kept = [p for p in pairs if p in held]
        return kept or pairs
    return pairs


def projected_binary(
    n_tasks: int, F: int, n_train: int, n_valid: int, seed: int, source: str = "digits", split: str = "search"
) -> TaskSet:
    """Projected binary classification (Sec. 4.2): task t takes a class pair (cycling through the pairs),
    projects the images with a random N(0, 1/d) matrix to F features, standardises them with the training
    statistics, and labels the first class 0 and the second 1. Train/valid come from a random split of the
    pair's examples (at most ``n_train``/``n_valid``; digits has about 360 per pair)."""
    if n_train < 10:
        raise AigaError(f"tasks need at least 10 training examples, got {n_train}")
    x, y = load_image_arrays(source)
    pairs = class_pairs(y, split)
    if not pairs:
        raise AigaError("the dataset needs at least two classes")
    out = []
    for t in range(n_tasks):
        a, b = pairs[t % len(pairs)]
        rng = make_rng(seed, "projected", t)
        idx = np.flatnonzero((y == a) | (y == b))
        idx = idx[rng.permutation(len(idx))]
        ntr = min(n_train, len(idx) - 1)
        nva = min(n_valid, len(idx) - ntr)
        if ntr < 10 or nva < 1:
            raise AigaError(f"classes {a} and {b} have only {len(idx)} examples; need at least 11")
        P = rng.standard_normal((x.shape[1], F)) / np.sqrt(x.shape[1])
        z = x[idx] @ P
        mu = z[:ntr].mean(0)
        sd = z[:ntr].std(0)
        sd[sd == 0] = 1.0
        z = (z - mu) / sd
        lab = (y[idx] == b).astype(np.float64)
        out.append((z[:ntr], lab[:ntr], z[ntr : ntr + nva], lab[ntr : ntr + nva], ACCURACY))
    return TaskSet.stack(out)


def make_tasks(
    kind: str,
    n_tasks: int,
    F: int,
    n_train: int,
    n_valid: int,
    seed: int,
    dataset: str = "digits",
    split: str = "search",
) -> TaskSet:
    if kind == "linear":
        return linear_regression(n_tasks, F, n_train, n_valid, seed)
    if kind == "nonlinear":
        return nonlinear_regression(n_tasks, F, n_train, n_valid, seed)
    if kind == "projected_binary":
        return projected_binary(n_tasks, F, n_train, n_valid, seed, dataset, split)
    raise AigaError(f"unknown task kind {kind!r} (linear, nonlinear, projected_binary)")
