"""The AutoML-Zero instruction set (ids 0-64) and its numba interpreter.

Paper: Real, Liang, So, Le, "AutoML-Zero: Evolving Machine Learning Algorithms From Scratch", ICML 2020
(Table S1). Reference code: google-research/google-research ``automl_zero/instruction.proto`` (op ids),
``executor.h`` (semantics), ``random_generator.cc`` and ``instruction.cc`` (random data of constant ops).

Memory is one flat float64 buffer per evaluation: ``n_scalars`` scalars, then ``n_vectors`` vectors of
length F, then ``n_matrices`` F×F matrices stored row-major, then an F×F scratch block. Addresses are
resolved to offsets into that buffer once per program (``program.compile``), so the interpreter below
never branches on operand types: the hot loop is one dispatch on the op id plus a few loops of length F.

Semantics follow ``executor.h`` exactly, including its edge cases:
* ``SCALAR_HEAVYSIDE`` (15) is ``x >= 0``; the vector and matrix versions (16, 17) use a strict ``x > 0``.
* standard deviations are population ones computed as ``sqrt(E[x²] − E[x]²)`` (which can be NaN for
  constant inputs through rounding, exactly as in the reference).
* division and reciprocal are IEEE: ``1/0 = inf``, ``0/0 = NaN`` (the run stops early on NaN errors).
* matrix-vector and matrix-matrix products behave as if computed into a temporary (Eigen's default
  aliasing rule), so ``v1 = m0 @ v1`` is well defined; ``MATRIX_TRANSPOSE`` with ``out == in`` is in place.
* ``VECTOR_CONST_SET``/``MATRIX_CONST_SET`` write one element whose index is ``int(F * f)`` for a float
  ``f`` in [0, 1), so programs stay valid for any feature size (``FloatToIndex``).

Random ops (59-64) draw from a splitmix64 stream held in a one-element uint64 array, so every draw is
reproducible from the run seed and can be checkpointed as a plain integer.
"""

from __future__ import annotations

import numpy as np

from aiga.automl_zero.config import OP_IDS, OP_NAMES  # noqa: F401
from aiga.core.jit import njit

# ------------------------------------------------------------------------------------------ op table

NUM_OPS = len(OP_NAMES)  # 65

NONE, S, V, M = 0, 1, 2, 3
_T = {
    0: (NONE, NONE, NONE),
    **{i: (S, S, S) for i in (1, 2, 3, 4, 44, 47)},
    **{i: (S, NONE, S) for i in range(5, 16)},
    16: (V, NONE, V),
    17: (M, NONE, M),
    18: (S, V, V),
    19: (S, NONE, V),
    20: (V, NONE, V),
    21: (V, NONE, S),
    22: (V, NONE, V),
    **{i: (V, V, V) for i in (23, 24, 25, 26, 45, 48)},
    27: (V, V, S),
    28: (V, V, M),
    29: (S, M, M),
    30: (M, NONE, M),
    31: (M, V, V),
    32: (V, NONE, M),
    33: (V, NONE, M),
    34: (M, NONE, S),
    35: (M, NONE, V),
    36: (M, NONE, V),
    37: (M, NONE, M),
    38: (M, NONE, M),
    **{i: (M, M, M) for i in (39, 40, 41, 42, 43, 46, 49)},
    50: (V, NONE, S),
    51: (M, NONE, S),
    52: (M, NONE, V),
    53: (M, NONE, V),
    54: (V, NONE, S),
    55: (M, NONE, S),
    56: (NONE, NONE, S),
    57: (NONE, NONE, V),
    58: (NONE, NONE, M),
    59: (NONE, NONE, S),
    60: (NONE, NONE, V),
    61: (NONE, NONE, M),
    62: (NONE, NONE, S),
    63: (NONE, NONE, V),
    64: (NONE, NONE, M),
}
#: OP_TYPES[op] = (in1 type, in2 type, out type), each NONE/S/V/M.
OP_TYPES = np.array([_T[i] for i in range(NUM_OPS)], dtype=np.int32)
#: ops that write a single element of their output (the rest of it is kept, so it is read as well).
PARTIAL_WRITE_OPS = (57, 58)
RANDOM_OPS = (59, 60, 61, 62, 63, 64)
SETUP_INIT_OPS = tuple(range(56, 65))

# Addresses fixed by the executor (definitions.h).
LABEL_S = 0  # s0: 0 during Predict, y during Learn
PREDICTION_S = 1  # s1: the prediction
FEATURES_V = 0  # v0: the features
FIRST_OUT = (0, 1, 1, 0)  # by type index: S -> s1, V -> v1, M -> m0


# ------------------------------------------------------------------------------------------ RNG

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)


@njit(cache=True, inline="always")
def mix64(z):
    """splitmix64's finaliser: a bijection of uint64 with good avalanche (also used for hashing)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def rng_next(state):
    z = state[0] + _GOLDEN
    state[0] = z
    return mix64(z)


@njit(cache=True, inline="always")
def rng_uniform(state):
    """U[0, 1) with 53 random bits."""
    return float(rng_next(state) >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def rng_int(state, n):
    """Uniform integer in [0, n)."""
    return int(rng_uniform(state) * n)


@njit(cache=True)
def rng_gauss(state, mean, std):
    # Box-Muller; 1 - u lies in (0, 1] so the log is finite.
    u1 = 1.0 - rng_uniform(state)
    u2 = rng_uniform(state)
    return mean + std * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True)
def rng_open_uniform(state, lo, hi):
    """U(lo, hi) on the open interval (absl IntervalOpen), either order of bounds."""
    while True:
        u = rng_uniform(state)
        if u > 0.0:
            return lo + (hi - lo) * u


# ------------------------------------------------------------------------------------------ interpreter


@njit(cache=True, error_model="numpy", nogil=True)
def exec_range(ins, dat, start, end, mem, F, rng):
    """Run instructions ``start..end-1`` of a compiled program on ``mem``.

    ``ins[k] = (op, a, b, o)`` holds resolved offsets into ``mem``; ``dat[k] = (activation, f0, f1, f2)``.
    The F×F block at ``mem[-F*F:]`` is scratch for products that may alias their output.
    """
    FF = F * F
    tmp = mem.size - FF
    for k in range(start, end):
        op = ins[k, 0]
        a = ins[k, 1]
        b = ins[k, 2]
        o = ins[k, 3]
        if op < 23:
            if op == 3:
                mem[o] = mem[a] * mem[b]
            elif op == 2:
                mem[o] = mem[a] - mem[b]
            elif op == 1:
                mem[o] = mem[a] + mem[b]
            elif op == 18:
                s = mem[a]
                for i in range(F):
                    mem[o + i] = s * mem[b + i]
            elif op == 4:
                mem[o] = mem[a] / mem[b]
            elif op == 0:
                pass
            elif op == 5:
                mem[o] = abs(mem[a])
            elif op == 6:
                mem[o] = 1.0 / mem[a]
            elif op == 7:
                mem[o] = np.sin(mem[a])
            elif op == 8:
                mem[o] = np.cos(mem[a])
            elif op == 9:
                mem[o] = np.tan(mem[a])
            elif op == 10:
                mem[o] = np.arcsin(mem[a])
            elif op == 11:
                mem[o] = np.arccos(mem[a])
            elif op == 12:
                mem[o] = np.arctan(mem[a])
            elif op == 13:
                mem[o] = np.exp(mem[a])
            elif op == 14:
                mem[o] = np.log(mem[a])
            elif op == 15:
                mem[o] = 1.0 if mem[a] >= 0.0 else 0.0
            elif op == 16:
                for i in range(F):
                    mem[o + i] = 1.0 if mem[a + i] > 0.0 else 0.0
            elif op == 17:
                for i in range(FF):
                    mem[o + i] = 1.0 if mem[a + i] > 0.0 else 0.0
            elif op == 19:
                s = mem[a]
                for i in range(F):
                    mem[o + i] = s
            elif op == 20:
                for i in range(F):
                    mem[o + i] = 1.0 / mem[a + i]
            elif op == 21:
                acc = 0.0
                for i in range(F):
                    acc += mem[a + i] * mem[a + i]
                mem[o] = np.sqrt(acc)
            else:  # 22
                for i in range(F):
                    mem[o + i] = abs(mem[a + i])
        elif op < 44:
            if op == 23:
                for i in range(F):
                    mem[o + i] = mem[a + i] + mem[b + i]
            elif op == 27:
                acc = 0.0
                for i in range(F):
                    acc += mem[a + i] * mem[b + i]
                mem[o] = acc
            elif op == 24:
                for i in range(F):
                    mem[o + i] = mem[a + i] - mem[b + i]
            elif op == 25:
                for i in range(F):
                    mem[o + i] = mem[a + i] * mem[b + i]
            elif op == 26:
                for i in range(F):
                    mem[o + i] = mem[a + i] / mem[b + i]
            elif op == 28:
                for i in range(F):
                    for j in range(F):
                        mem[o + i * F + j] = mem[a + i] * mem[b + j]
            elif op == 29:
                s = mem[a]
                for i in range(FF):
                    mem[o + i] = s * mem[b + i]
            elif op == 30:
                for i in range(FF):
                    mem[o + i] = 1.0 / mem[a + i]
            elif op == 31:
                for i in range(F):
                    acc = 0.0
                    for j in range(F):
                        acc += mem[a + i * F + j] * mem[b + j]
                    mem[tmp + i] = acc
                for i in range(F):
                    mem[o + i] = mem[tmp + i]
            elif op == 32:  # every column is v: m[i, j] = v[i]
                for i in range(F):
                    for j in range(F):
                        mem[o + i * F + j] = mem[a + i]
            elif op == 33:  # every row is v: m[i, j] = v[j]
                for i in range(F):
                    for j in range(F):
                        mem[o + i * F + j] = mem[a + j]
            elif op == 34:
                acc = 0.0
                for i in range(FF):
                    acc += mem[a + i] * mem[a + i]
                mem[o] = np.sqrt(acc)
            elif op == 35:  # v[j] = norm of column j
                for j in range(F):
                    acc = 0.0
                    for i in range(F):
                        acc += mem[a + i * F + j] * mem[a + i * F + j]
                    mem[o + j] = np.sqrt(acc)
            elif op == 36:  # v[i] = norm of row i
                for i in range(F):
                    acc = 0.0
                    for j in range(F):
                        acc += mem[a + i * F + j] * mem[a + i * F + j]
                    mem[o + i] = np.sqrt(acc)
            elif op == 37:
                for i in range(F):
                    for j in range(F):
                        mem[tmp + j * F + i] = mem[a + i * F + j]
                for i in range(FF):
                    mem[o + i] = mem[tmp + i]
            elif op == 38:
                for i in range(FF):
                    mem[o + i] = abs(mem[a + i])
            elif op == 39:
                for i in range(FF):
                    mem[o + i] = mem[a + i] + mem[b + i]
            elif op == 40:
                for i in range(FF):
                    mem[o + i] = mem[a + i] - mem[b + i]
            elif op == 41:
                for i in range(FF):
                    mem[o + i] = mem[a + i] * mem[b + i]
            elif op == 42:
                for i in range(FF):
                    mem[o + i] = mem[a + i] / mem[b + i]
            else:  # 43
                for i in range(F):
                    for j in range(F):
                        acc = 0.0
                        for t in range(F):
                            acc += mem[a + i * F + t] * mem[b + t * F + j]
                        mem[tmp + i * F + j] = acc
                for i in range(FF):
                    mem[o + i] = mem[tmp + i]
        else:
            if op == 56:
                mem[o] = dat[k, 0]
            elif op == 44:  # std::min(a, b) = b < a ? b : a
                x = mem[a]
                y = mem[b]
                mem[o] = y if y < x else x
            elif op == 47:  # std::max(a, b) = a < b ? b : a
                x = mem[a]
                y = mem[b]
                mem[o] = y if x < y else x
            elif op == 45 or op == 46:
                n = F if op == 45 else FF
                for i in range(n):
                    x = mem[a + i]
                    y = mem[b + i]
                    mem[o + i] = x if x < y else y
            elif op == 48 or op == 49:
                n = F if op == 48 else FF
                for i in range(n):
                    x = mem[a + i]
                    y = mem[b + i]
                    mem[o + i] = x if x > y else y
            elif op == 50 or op == 51:
                n = F if op == 50 else FF
                acc = 0.0
                for i in range(n):
                    acc += mem[a + i]
                mem[o] = acc / n
            elif op == 52:
                for i in range(F):
                    acc = 0.0
                    for j in range(F):
                        acc += mem[a + i * F + j]
                    mem[o + i] = acc / F
            elif op == 53:
                for i in range(F):
                    acc = 0.0
                    acc2 = 0.0
                    for j in range(F):
                        x = mem[a + i * F + j]
                        acc += x
                        acc2 += x * x
                    mean = acc / F
                    mem[o + i] = np.sqrt(acc2 / F - mean * mean)
            elif op == 54 or op == 55:
                n = F if op == 54 else FF
                acc = 0.0
                acc2 = 0.0
                for i in range(n):
                    x = mem[a + i]
                    acc += x
                    acc2 += x * x
                mean = acc / n
                mem[o] = np.sqrt(acc2 / n - mean * mean)
            elif op == 57:
                mem[o + int(F * dat[k, 1])] = dat[k, 2]
            elif op == 58:
                mem[o + int(F * dat[k, 1]) * F + int(F * dat[k, 2])] = dat[k, 3]
            elif op == 59:
                mem[o] = rng_open_uniform(rng, dat[k, 1], dat[k, 2])
            elif op == 60 or op == 61:
                n = F if op == 60 else FF
                for i in range(n):
                    mem[o + i] = rng_open_uniform(rng, dat[k, 1], dat[k, 2])
            elif op == 62:
                mem[o] = rng_gauss(rng, dat[k, 1], dat[k, 2])
            elif op == 63 or op == 64:
                n = F if op == 63 else FF
                for i in range(n):
                    mem[o + i] = rng_gauss(rng, dat[k, 1], dat[k, 2])
            else:
                # ids 65-127 are reserved; the reference aborts. Programs are validated on load, so this
                # is unreachable; poison the prediction so that a bug cannot pass silently.
                mem[1] = np.nan


def memory_size(n_scalars: int, n_vectors: int, n_matrices: int, F: int) -> int:
    """Length of the flat memory buffer, scratch block included."""
    return n_scalars + n_vectors * F + n_matrices * F * F + F * F


def offset(kind: int, address: int, n_scalars: int, n_vectors: int, F: int) -> int:
    """Offset of a typed address in the flat buffer (kind is S, V or M)."""
    if kind == S:
        return address
    if kind == V:
        return n_scalars + address * F
    if kind == M:
        return n_scalars + n_vectors * F + address * F * F
    return 0
