"""Evaluation of one compiled program on tasks: Setup once, Predict+Learn per example, then validation.

Paper: Real et al., AutoML-Zero (ICML 2020), Fig. 1 and Sec. 3 (the evaluation process). Reference:
google-research ``automl_zero/executor.h`` (``Executor::Execute``, ``TrainNoOptImpl``, ``Validate``,
``FlipAndSquash``) and ``evaluator.cc`` (fitness combination across tasks).

Faithful details:
* memory is wiped and Setup runs once per task; before every Predict ``v0 <- x`` and ``s0 <- 0``, before
  every Learn ``s0 <- y`` (``v0`` still holds x: no op can write it);
* for ACCURACY tasks the prediction in memory is replaced by ``sigmoid(s1)`` before Learn sees it;
* training stops at the first |y − s1| that is NaN or above ``max_abs_error`` (100) and the task's fitness
  is then the minimum, 0 (one epoch, so every early stop is in the first epoch);
* validation accumulates squared errors (RMS tasks, fitness ``1 − (2/π)·atan(RMSE)``, "FlipAndSquash") or
  0/1 errors of ``sigmoid(s1) > 0.5`` against ``y > 0.5`` (ACCURACY tasks, fitness = accuracy); a NaN or
  too large validation error also gives fitness 0.
"""

from __future__ import annotations

import numpy as np

from aiga.automl_zero.ops import exec_range
from aiga.core.jit import njit

MIN_FITNESS = 0.0
TWO_OVER_PI = 0.63661977236758138243


@njit(cache=True, error_model="numpy", nogil=True)
def flip_and_squash(rmse):
    if np.isnan(rmse) or np.isinf(rmse):
        return 0.0
    return 1.0 - TWO_OVER_PI * np.arctan(rmse)


@njit(cache=True, error_model="numpy", nogil=True)
def execute_task(
    ins,
    dat,
    n_setup,
    n_predict,
    n_learn,
    x_tr,
    y_tr,
    n_tr,
    x_va,
    y_va,
    n_va,
    eval_type,
    mem,
    nS,
    F,
    rng,
    max_abs_error,
    errs,
    record,
):
    """Fitness of a compiled program on one task; with ``record`` the absolute errors of every train and
    validation step go to ``errs`` (the FEC fingerprint). Returns (fitness, number of errors recorded)."""
    mem[:] = 0.0
    p0 = n_setup
    p1 = n_setup + n_predict
    l1 = p1 + n_learn
    exec_range(ins, dat, 0, p0, mem, F, rng)
    ne = 0
    for i in range(n_tr):
        for j in range(F):
            mem[nS + j] = x_tr[i, j]
        mem[0] = 0.0
        exec_range(ins, dat, p0, p1, mem, F, rng)
        if eval_type == 1:
            mem[1] = 1.0 / (1.0 + np.exp(-mem[1]))
        y = y_tr[i]
        err = abs(y - mem[1])
        if np.isnan(err) or err > max_abs_error:
            return MIN_FITNESS, ne
        if record:
            errs[ne] = err
            ne += 1
        if n_learn > 0:  # v0 still holds x: no op can write it
            mem[0] = y
            exec_range(ins, dat, p1, l1, mem, F, rng)
    loss = 0.0
    for i in range(n_va):
        for j in range(F):
            mem[nS + j] = x_va[i, j]
        mem[0] = 0.0
        exec_range(ins, dat, p0, p1, mem, F, rng)
        y = y_va[i]
        if eval_type == 0:
            e = y - mem[1]
            loss += e * e
        else:
            p = 1.0 / (1.0 + np.exp(-mem[1]))
            if p > 1.0 or p < 0.0:
                e = np.inf
            elif (y > 0.5) == (p > 0.5):
                e = 0.0
            else:
                e = 1.0
            loss += e
        ae = abs(e)
        if np.isnan(ae) or ae > max_abs_error:
            return MIN_FITNESS, ne
        if record:
            errs[ne] = ae
            ne += 1
    loss /= n_va
    if eval_type == 0:
        return flip_and_squash(np.sqrt(loss)), ne
    return 1.0 - loss, ne


@njit(cache=True, error_model="numpy", nogil=True)
def combine(fits, n, median):
    """Mean (reference default) or median (paper) of the first ``n`` task fitnesses. The median is the
    reference's: the upper middle element (``nth_element`` at n/2)."""
    if median:
        s = np.sort(fits[:n])
        return s[n // 2]
    acc = 0.0
    for i in range(n):
        acc += fits[i]
    return acc / n
