"""Programs as arrays: random instructions, the reference's mutations, the dead-code pass, export to NumPy.

Paper: Real et al., AutoML-Zero (ICML 2020), Sec. 3 and Fig. 1 (Setup/Predict/Learn), Sec. 4 (mutations).
Reference: google-research ``automl_zero/instruction.cc`` (``SetOpAndRandomizeParams``, ``AlterParam``,
``RandomizeData``, ``AlterData``), ``mutator.cc`` (the eight mutation types), ``randomizer.cc``,
``generator.cc`` (random and no-op initial algorithms).

A program lives in two arrays with one row per instruction: ``ins[k] = (op, in1, in2, out)`` (typed
addresses, as in the reference) and ``dat[k] = (activation, f0, f1, f2)`` (the scalar constant and the three
float fields of vector/matrix constants, uniform bounds and Gaussian moments). During evolution each
component function owns a fixed segment of rows (``seg_start``), so mutation never reallocates.

Before evaluation a program goes through a dead-code pass (``compile_program``): a backward liveness
analysis from the prediction ``s1``, iterated to a fixed point because memory persists from Setup into the
Predict/Learn loop and from each example to the next. Dead instructions are dropped, the addresses of the
live ones are resolved to offsets of the flat memory buffer, and a 64-bit signature of the result is taken.
Two programs with equal signatures compute exactly the same thing, which lets evolution skip even the FEC
fingerprint of a child whose mutation only touched dead code.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aiga.automl_zero.config import MUTATION_TYPES  # noqa: F401
from aiga.automl_zero.ops import OP_NAMES, OP_TYPES, mix64, rng_gauss, rng_int, rng_open_uniform, rng_uniform
from aiga.core.config import AigaError
from aiga.core.jit import njit

SETUP, PREDICT, LEARN = 0, 1, 2
COMPONENT_NAMES = ("setup", "predict", "learn")


SIGN_FLIP_PROB = 0.1  # kSignFlipProb in instruction.h


# ------------------------------------------------------------------------------------------ program


@dataclasses.dataclass
class Program:
    """One algorithm: the three component functions concatenated (setup rows, then predict, then learn)."""

    ins: np.ndarray  # (n, 4) int32: op, in1, in2, out
    dat: np.ndarray  # (n, 4) float64: activation, f0, f1, f2
    sizes: tuple[int, int, int]

    def component(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        start = sum(self.sizes[:c])
        return self.ins[start : start + self.sizes[c]], self.dat[start : start + self.sizes[c]]

    def to_buffers(self, seg_start: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ins = np.zeros((rows, 4), np.int32)
        dat = np.zeros((rows, 4), np.float64)
        for c in range(3):
            i, d = self.component(c)
            ins[seg_start[c] : seg_start[c] + len(i)] = i
            dat[seg_start[c] : seg_start[c] + len(d)] = d
        return ins, dat, np.array(self.sizes, np.int32)

    @staticmethod
    def from_buffers(ins: np.ndarray, dat: np.ndarray, sizes: np.ndarray, seg_start: np.ndarray) -> Program:
        rows_i = [ins[seg_start[c] : seg_start[c] + sizes[c]] for c in range(3)]
        rows_d = [dat[seg_start[c] : seg_start[c] + sizes[c]] for c in range(3)]
        return Program(
            np.concatenate(rows_i).astype(np.int32),
            np.concatenate(rows_d).astype(np.float64),
            (int(sizes[0]), int(sizes[1]), int(sizes[2])),
        )

    @staticmethod
    def from_lists(setup=(), predict=(), learn=()) -> Program:
        """Build from lists of ``(op, in1, in2, out[, activation, f0, f1, f2])`` tuples (hand-written)."""
        rows_i, rows_d = [], []
        for comp in (setup, predict, learn):
            for row in comp:
                rows_i.append(row[:4])
                d = list(row[4:8]) + [0.0] * (4 - len(row[4:8]))
                rows_d.append(d)
        ins = np.array(rows_i, np.int32).reshape(-1, 4)
        dat = np.array(rows_d, np.float64).reshape(-1, 4)
        return Program(ins, dat, (len(setup), len(predict), len(learn)))

    def validate(self, n_scalars: int, n_vectors: int, n_matrices: int) -> None:
        """Raise AigaError unless every op exists and every address is inside its typed memory."""
        limits = (0, n_scalars, n_vectors, n_matrices)
        first_out = (0, 1, 1, 0)
        if self.ins.ndim != 2 or self.ins.shape[1] != 4 or self.dat.shape != self.ins.shape:
            raise AigaError("program arrays must have shape (n, 4)")
        if sum(self.sizes) != len(self.ins):
            raise AigaError("program sizes do not add up to its number of instructions")
        for k, (op, a, b, o) in enumerate(self.ins.tolist()):
            if not 0 <= op < len(OP_NAMES):
                raise AigaError(f"instruction {k}: op id {op} is not one of the 65 ops (0-64)")
            ta, tb, to = OP_TYPES[op]
            for kind, addr, lo in ((ta, a, 0), (tb, b, 0), (to, o, first_out[to])):
                if kind and not lo <= addr < limits[kind]:
                    raise AigaError(f"instruction {k} ({OP_NAMES[op]}): address {addr} out of range")


# ------------------------------------------------------------------------------------------ random data


@njit(cache=True, inline="always")
def _f32(x):
    # The reference keeps f0-f2 as C++ floats; round to float32 to match.
    return float(np.float32(x))


@njit(cache=True)
def _rand_addr(rng, kind, out, nS, nV, nM):
    n = nS if kind == 1 else (nV if kind == 2 else nM)
    lo = 0
    if out:
        lo = 1 if kind == 1 or kind == 2 else 0
    return lo + rng_int(rng, n - lo)


@njit(cache=True)
def _randomize_data(rng, op, d):
    if op == 56:
        d[0] = rng_open_uniform(rng, -1.0, 1.0)
    elif op == 57:
        d[1] = _f32(rng_uniform(rng))
        d[2] = _f32(-1.0 + 2.0 * rng_uniform(rng))
    elif op == 58:
        d[1] = _f32(rng_uniform(rng))
        d[2] = _f32(rng_uniform(rng))
        d[3] = _f32(-1.0 + 2.0 * rng_uniform(rng))
    elif op >= 62:  # Gaussian: mean, st. dev.
        d[1] = _f32(-1.0 + 2.0 * rng_uniform(rng))
        d[2] = _f32(rng_uniform(rng))
    elif op >= 59:  # uniform: two bounds
        d[1] = _f32(-1.0 + 2.0 * rng_uniform(rng))
        d[2] = _f32(-1.0 + 2.0 * rng_uniform(rng))


@njit(cache=True)
def random_instruction(rng, op, ins_row, dat_row, nS, nV, nM):
    """``SetOpAndRandomizeParams``: a fresh instruction of ``op`` with random addresses and data."""
    for j in range(4):
        ins_row[j] = 0
        dat_row[j] = 0.0
    ins_row[0] = op
    if op == 0:
        return
    ta = OP_TYPES[op, 0]
    tb = OP_TYPES[op, 1]
    to = OP_TYPES[op, 2]
    if ta == 0:  # constant and random-set ops: out, then data
        ins_row[3] = _rand_addr(rng, to, True, nS, nV, nM)
        _randomize_data(rng, op, dat_row)
        return
    ins_row[1] = _rand_addr(rng, ta, False, nS, nV, nM)
    if tb != 0:
        ins_row[2] = _rand_addr(rng, tb, False, nS, nV, nM)
    ins_row[3] = _rand_addr(rng, to, True, nS, nV, nM)


@njit(cache=True)
def _perturb(rng, v, flip, const_mode):
    """Constant perturbation. Code (``MutateActivationLogScaleOrFlip``): flip the sign with p=0.1, else
    multiply the magnitude by exp(N(0,1)). Paper (Sec. 4): flip with p=0.1, else multiply by U[0.5, 2]."""
    if flip and rng_uniform(rng) < 0.1:
        return -v
    if const_mode == 1:
        return v * (0.5 + 1.5 * rng_uniform(rng))
    g = rng_gauss(rng, 0.0, 1.0)
    if v > 0:
        return np.exp(np.log(v) + g)
    return -np.exp(np.log(-v) + g)


@njit(cache=True)
def _alter_data(rng, op, d, const_mode):
    if op == 56:
        d[0] = _perturb(rng, d[0], True, const_mode)
    elif op == 57:
        if rng_int(rng, 2) == 0:
            d[1] = _f32(rng_uniform(rng))
        else:
            d[2] = _f32(_perturb(rng, d[2], True, const_mode))
    elif op == 58:
        c = rng_int(rng, 3)
        if c == 0:
            d[1] = _f32(rng_uniform(rng))
        elif c == 1:
            d[2] = _f32(rng_uniform(rng))
        else:
            d[3] = _f32(_perturb(rng, d[3], True, const_mode))
    elif op >= 62:
        if rng_int(rng, 2) == 0:
            d[1] = _f32(_perturb(rng, d[1], True, const_mode))
        else:
            d[2] = _f32(_perturb(rng, d[2], False, const_mode))
    elif op >= 59:
        lo = d[1]
        hi = d[2]
        if rng_int(rng, 2) == 0:
            lo = _f32(_perturb(rng, lo, True, const_mode))
        else:
            hi = _f32(_perturb(rng, hi, True, const_mode))
        d[1] = min(lo, hi)
        d[2] = max(lo, hi)


@njit(cache=True)
def alter_param(rng, ins_row, dat_row, nS, nV, nM, const_mode):
    """``Instruction::AlterParam``: re-draw one address, or alter the data of a constant/random op."""
    op = ins_row[0]
    if op == 0:
        return
    ta = OP_TYPES[op, 0]
    tb = OP_TYPES[op, 1]
    to = OP_TYPES[op, 2]
    if ta == 0:
        if rng_int(rng, 2) == 0:
            ins_row[3] = _rand_addr(rng, to, True, nS, nV, nM)
        else:
            _alter_data(rng, op, dat_row, const_mode)
    elif tb == 0:
        if rng_int(rng, 2) == 0:
            ins_row[1] = _rand_addr(rng, ta, False, nS, nV, nM)
        else:
            ins_row[3] = _rand_addr(rng, to, True, nS, nV, nM)
    else:
        c = rng_int(rng, 3)
        if c == 0:
            ins_row[1] = _rand_addr(rng, ta, False, nS, nV, nM)
        elif c == 1:
            ins_row[2] = _rand_addr(rng, tb, False, nS, nV, nM)
        else:
            ins_row[3] = _rand_addr(rng, to, True, nS, nV, nM)


# ------------------------------------------------------------------------------------------ mutation
# ``space`` (int64): nS, nV, nM, F, const_mode; ``comp_ops`` (3, 65) allowed ops per component padded with
# -1 and ``n_ops`` (3,); ``size_min``/``size_max``/``seg_start`` (3,).


@njit(cache=True)
def _comp_op(rng, comp_ops, n_ops, c):
    return comp_ops[c, rng_int(rng, n_ops[c])]


@njit(cache=True)
def _component(rng, n_ops):
    """``Mutator::ComponentFunction``: uniform among components whose op list is non-empty."""
    n = 0
    for c in range(3):
        if n_ops[c] > 0:
            n += 1
    k = rng_int(rng, n)
    for c in range(3):
        if n_ops[c] > 0:
            if k == 0:
                return c
            k -= 1
    return 0


@njit(cache=True)
def _insert(rng, ins, dat, sizes, seg_start, c, op, nS, nV, nM):
    pos = rng_int(rng, sizes[c] + 1)
    base = seg_start[c]
    for k in range(base + sizes[c], base + pos, -1):
        ins[k] = ins[k - 1]
        dat[k] = dat[k - 1]
    random_instruction(rng, op, ins[base + pos], dat[base + pos], nS, nV, nM)
    sizes[c] += 1


@njit(cache=True)
def _remove(rng, ins, dat, sizes, seg_start, c):
    pos = rng_int(rng, sizes[c])
    base = seg_start[c]
    for k in range(base + pos, base + sizes[c] - 1):
        ins[k] = ins[k + 1]
        dat[k] = dat[k + 1]
    sizes[c] -= 1
    ins[base + sizes[c]] = 0
    dat[base + sizes[c]] = 0.0


@njit(cache=True)
def _randomize_component(rng, ins, dat, sizes, seg_start, comp_ops, n_ops, c, nS, nV, nM):
    for k in range(seg_start[c], seg_start[c] + sizes[c]):
        random_instruction(rng, _comp_op(rng, comp_ops, n_ops, c), ins[k], dat[k], nS, nV, nM)


@njit(cache=True)
def mutate_once(rng, ins, dat, sizes, space, comp_ops, n_ops, size_min, size_max, seg_start, mutation_types):
    """``Mutator::MutateImpl``: one mutation drawn uniformly from ``mutation_types`` (repeats weight it)."""
    nS, nV, nM, const_mode = space[0], space[1], space[2], space[4]
    action = mutation_types[rng_int(rng, mutation_types.size)]
    if action == 3:  # identity
        return
    if action == 7:  # randomize algorithm
        for c in range(3):
            if n_ops[c] > 0:
                _randomize_component(rng, ins, dat, sizes, seg_start, comp_ops, n_ops, c, nS, nV, nM)
        return
    c = _component(rng, n_ops)
    if action == 0:
        if sizes[c] > 0:
            k = seg_start[c] + rng_int(rng, sizes[c])
            alter_param(rng, ins[k], dat[k], nS, nV, nM, const_mode)
    elif action == 1:
        if sizes[c] > 0:
            k = seg_start[c] + rng_int(rng, sizes[c])
            random_instruction(rng, _comp_op(rng, comp_ops, n_ops, c), ins[k], dat[k], nS, nV, nM)
    elif action == 2:
        _randomize_component(rng, ins, dat, sizes, seg_start, comp_ops, n_ops, c, nS, nV, nM)
    elif action == 4:
        # Reference quirk kept: insertion stops at max - 1 (``size >= max - 1`` returns).
        if sizes[c] >= size_max[c] - 1:
            return
        _insert(rng, ins, dat, sizes, seg_start, c, _comp_op(rng, comp_ops, n_ops, c), nS, nV, nM)
    elif action == 5:
        if sizes[c] <= size_min[c]:
            return
        _remove(rng, ins, dat, sizes, seg_start, c)
    elif action == 6:  # trade: insert then remove, unconditionally
        _insert(rng, ins, dat, sizes, seg_start, c, _comp_op(rng, comp_ops, n_ops, c), nS, nV, nM)
        _remove(rng, ins, dat, sizes, seg_start, c)


@njit(cache=True)
def random_program(rng, ins, dat, sizes, space, comp_ops, n_ops, size_init, seg_start, random_init):
    """``Generator``: RANDOM_ALGORITHM (random instructions) or NO_OP_ALGORITHM, of the initial sizes."""
    nS, nV, nM = space[0], space[1], space[2]
    ins[:] = 0
    dat[:] = 0.0
    for c in range(3):
        sizes[c] = size_init[c]
        if random_init and n_ops[c] > 0:
            _randomize_component(rng, ins, dat, sizes, seg_start, comp_ops, n_ops, c, nS, nV, nM)


# ------------------------------------------------------------------------------------------ dead code


@njit(cache=True, inline="always")
def _flat(kind, addr, nS, nV):
    if kind == 1:
        return addr
    if kind == 2:
        return nS + addr
    return nS + nV + addr


@njit(cache=True)
def _backward(ins, start, n, live, nS, nV, mark, mark_on):
    """Backward liveness through ``ins[start:start+n]``; ``live`` goes from live-out to live-in."""
    for k in range(start + n - 1, start - 1, -1):
        op = ins[k, 0]
        if mark_on:
            mark[k] = False
        if op == 0:
            continue
        o = _flat(OP_TYPES[op, 2], ins[k, 3], nS, nV)
        if not live[o]:
            continue
        if mark_on:
            mark[k] = True
        if op != 57 and op != 58:  # partial writes keep the rest of the output alive
            live[o] = False
        ta = OP_TYPES[op, 0]
        if ta != 0:
            live[_flat(ta, ins[k, 1], nS, nV)] = True
        tb = OP_TYPES[op, 1]
        if tb != 0:
            live[_flat(tb, ins[k, 2], nS, nV)] = True


@njit(cache=True)
def live_instructions(ins, sizes, seg_start, nS, nV, nM, mark):
    """Mark (in ``mark``, one flag per row) the instructions that can affect any prediction."""
    na = nS + nV + nM
    pred_in = np.zeros(na, np.bool_)
    learn_in = np.zeros(na, np.bool_)
    live = np.zeros(na, np.bool_)
    v0 = nS  # flat index of v0; s0 is 0
    for _ in range(na + 2):
        live[:] = pred_in | learn_in
        live[1] = True  # s1 is read after every Predict
        _backward(ins, seg_start[1], sizes[1], live, nS, nV, mark, False)
        live[0] = False  # s0 and v0 are written by the executor before Predict and Learn
        live[v0] = False
        changed = False
        for i in range(na):
            if live[i] != pred_in[i]:
                changed = True
            pred_in[i] = live[i]
        live[:] = pred_in
        _backward(ins, seg_start[2], sizes[2], live, nS, nV, mark, False)
        live[0] = False
        live[v0] = False
        for i in range(na):
            if live[i] != learn_in[i]:
                changed = True
            learn_in[i] = live[i]
        if not changed:
            break
    live[:] = pred_in | learn_in
    live[1] = True
    _backward(ins, seg_start[1], sizes[1], live, nS, nV, mark, True)
    live[:] = pred_in
    _backward(ins, seg_start[2], sizes[2], live, nS, nV, mark, True)
    live[:] = pred_in
    _backward(ins, seg_start[0], sizes[0], live, nS, nV, mark, True)


@njit(cache=True)
def compile_program(ins, dat, sizes, seg_start, nS, nV, nM, F, out_ins, out_dat, mark, prune):
    """Dead-code pass + address resolution. Writes the live instructions (offsets into the flat memory)
    to ``out_ins``/``out_dat`` and returns (n_setup, n_predict, n_learn, signature)."""
    if prune:
        live_instructions(ins, sizes, seg_start, nS, nV, nM, mark)
    vbase = nS
    mbase = nS + nV * F
    FF = F * F
    n = 0
    counts = np.zeros(3, np.int64)
    h = np.uint64(0x2545F4914F6CDD1D)
    for c in range(3):
        for k in range(seg_start[c], seg_start[c] + sizes[c]):
            op = ins[k, 0]
            if op == 0 or (prune and not mark[k]):
                continue
            out_ins[n, 0] = op
            for j in range(3):
                kind = OP_TYPES[op, j]
                addr = ins[k, j + 1]
                if kind == 1:
                    off = addr
                elif kind == 2:
                    off = vbase + addr * F
                elif kind == 3:
                    off = mbase + addr * FF
                else:
                    off = 0
                out_ins[n, j + 1] = off
            for j in range(4):
                out_dat[n, j] = dat[k, j]
            h = mix64(
                h ^ np.uint64(op * 1000003 + out_ins[n, 1] * 8191 + out_ins[n, 2] * 131 + out_ins[n, 3])
            )
            if op >= 56:
                bits = dat[k].view(np.uint64)
                for j in range(4):
                    h = mix64(h ^ bits[j])
            n += 1
            counts[c] += 1
        h = mix64(h ^ np.uint64(counts[c] + 7919 * (c + 1)))
    return counts[0], counts[1], counts[2], h


def live_mask(program: Program, n_scalars: int, n_vectors: int, n_matrices: int) -> np.ndarray:
    """One flag per instruction of ``program``: True where it can affect a prediction."""
    seg = np.array([0, program.sizes[0], program.sizes[0] + program.sizes[1]], np.int64)
    mark = np.zeros(max(len(program.ins), 1), np.bool_)
    live_instructions(
        program.ins, np.array(program.sizes, np.int64), seg, n_scalars, n_vectors, n_matrices, mark
    )
    return mark[: len(program.ins)]


def prune(program: Program, n_scalars: int, n_vectors: int, n_matrices: int) -> Program:
    """The program with its dead instructions removed (same predictions for deterministic programs)."""
    mark = live_mask(program, n_scalars, n_vectors, n_matrices) & (program.ins[:, 0] != 0)
    sizes, start = [], 0
    for c in range(3):
        sizes.append(int(mark[start : start + program.sizes[c]].sum()))
        start += program.sizes[c]
    return Program(program.ins[mark].copy(), program.dat[mark].copy(), tuple(sizes))


# ------------------------------------------------------------------------------------------ export


def _fmt(x: float) -> str:
    return repr(float(x))


def instruction_source(op: int, a: int, b: int, o: int, d) -> str:
    """One instruction as a line of NumPy (memory ``s``, ``v``, ``m`` as in the paper's figures)."""
    act, f0, f1, f2 = (float(x) for x in d)
    u = {
        1: f"s[{o}] = s[{a}] + s[{b}]",
        2: f"s[{o}] = s[{a}] - s[{b}]",
        3: f"s[{o}] = s[{a}] * s[{b}]",
        4: f"s[{o}] = s[{a}] / s[{b}]",
        5: f"s[{o}] = abs(s[{a}])",
        6: f"s[{o}] = 1.0 / s[{a}]",
        7: f"s[{o}] = np.sin(s[{a}])",
        8: f"s[{o}] = np.cos(s[{a}])",
        9: f"s[{o}] = np.tan(s[{a}])",
        10: f"s[{o}] = np.arcsin(s[{a}])",
        11: f"s[{o}] = np.arccos(s[{a}])",
        12: f"s[{o}] = np.arctan(s[{a}])",
        13: f"s[{o}] = np.exp(s[{a}])",
        14: f"s[{o}] = np.log(s[{a}])",
        15: f"s[{o}] = 1.0 if s[{a}] >= 0.0 else 0.0",
        16: f"v[{o}] = np.where(v[{a}] > 0.0, 1.0, 0.0)",
        17: f"m[{o}] = np.where(m[{a}] > 0.0, 1.0, 0.0)",
        18: f"v[{o}] = s[{a}] * v[{b}]",
        19: f"v[{o}] = np.full(F, s[{a}])",
        20: f"v[{o}] = 1.0 / v[{a}]",
        21: f"s[{o}] = np.sqrt(np.sum(v[{a}] * v[{a}]))",
        22: f"v[{o}] = np.abs(v[{a}])",
        23: f"v[{o}] = v[{a}] + v[{b}]",
        24: f"v[{o}] = v[{a}] - v[{b}]",
        25: f"v[{o}] = v[{a}] * v[{b}]",
        26: f"v[{o}] = v[{a}] / v[{b}]",
        27: f"s[{o}] = dot(v[{a}], v[{b}])",
        28: f"m[{o}] = np.outer(v[{a}], v[{b}])",
        29: f"m[{o}] = s[{a}] * m[{b}]",
        30: f"m[{o}] = 1.0 / m[{a}]",
        31: f"v[{o}] = m[{a}] @ v[{b}]",
        32: f"m[{o}] = np.repeat(v[{a}][:, None], F, axis=1)",
        33: f"m[{o}] = np.repeat(v[{a}][None, :], F, axis=0)",
        34: f"s[{o}] = np.sqrt(np.sum(m[{a}] ** 2))",
        35: f"v[{o}] = np.sqrt(np.sum(m[{a}] ** 2, axis=0))",
        36: f"v[{o}] = np.sqrt(np.sum(m[{a}] ** 2, axis=1))",
        37: f"m[{o}] = m[{a}].T.copy()",
        38: f"m[{o}] = np.abs(m[{a}])",
        39: f"m[{o}] = m[{a}] + m[{b}]",
        40: f"m[{o}] = m[{a}] - m[{b}]",
        41: f"m[{o}] = m[{a}] * m[{b}]",
        42: f"m[{o}] = m[{a}] / m[{b}]",
        43: f"m[{o}] = m[{a}] @ m[{b}]",
        44: f"s[{o}] = min(s[{a}], s[{b}])",
        45: f"v[{o}] = np.minimum(v[{a}], v[{b}])",
        46: f"m[{o}] = np.minimum(m[{a}], m[{b}])",
        47: f"s[{o}] = max(s[{a}], s[{b}])",
        48: f"v[{o}] = np.maximum(v[{a}], v[{b}])",
        49: f"m[{o}] = np.maximum(m[{a}], m[{b}])",
        50: f"s[{o}] = np.mean(v[{a}])",
        51: f"s[{o}] = np.mean(m[{a}])",
        52: f"v[{o}] = np.mean(m[{a}], axis=1)",
        53: f"v[{o}] = pstd(m[{a}], axis=1)",
        54: f"s[{o}] = pstd(v[{a}])",
        55: f"s[{o}] = pstd(m[{a}])",
        56: f"s[{o}] = {_fmt(act)}",
        57: f"v[{o}][int(F * {_fmt(f0)})] = {_fmt(f1)}",
        58: f"m[{o}][int(F * {_fmt(f0)}), int(F * {_fmt(f1)})] = {_fmt(f2)}",
        59: f"s[{o}] = rng.uniform({_fmt(f0)}, {_fmt(f1)})",
        60: f"v[{o}] = rng.uniform({_fmt(f0)}, {_fmt(f1)}, F)",
        61: f"m[{o}] = rng.uniform({_fmt(f0)}, {_fmt(f1)}, (F, F))",
        62: f"s[{o}] = rng.normal({_fmt(f0)}, {_fmt(f1)})",
        63: f"v[{o}] = rng.normal({_fmt(f0)}, {_fmt(f1)}, F)",
        64: f"m[{o}] = rng.normal({_fmt(f0)}, {_fmt(f1)}, (F, F))",
    }
    if op == 0:
        return "pass"
    return u[op]


_EXPORT_TEMPLATE = '''"""{title}

Evolved by AutoML-Zero (aiga automl-zero); dead code removed. Memory: scalars s, vectors v (length F),
matrices m (F x F); s[0] is the label (0 during predict), s[1] the prediction, v[0] the features.
Run `python {{this file}}` to re-evaluate it on the tasks saved next to it ({tasks_file}).
"""

import sys
from pathlib import Path

import numpy as np

F = {F}
N_SCALARS, N_VECTORS, N_MATRICES = {nS}, {nV}, {nM}
MAX_ABS_ERROR = {max_abs_error!r}
rng = np.random.default_rng(0)  # used only by random ops (59-64)


def dot(a, b):
    # Sequential sum, the order the evaluator uses, so that fitness matches to the last bit.
    acc = 0.0
    for x, y in zip(a.tolist(), b.tolist()):
        acc += x * y
    return acc


def pstd(x, axis=None):
    # Population standard deviation as the reference computes it: sqrt(E[x^2] - E[x]^2).
    mean = np.mean(x, axis=axis)
    return np.sqrt(np.mean(x * x, axis=axis) - mean * mean)


class Memory:
    def __init__(self):
        self.s = np.zeros(N_SCALARS)
        self.v = np.zeros((N_VECTORS, F))
        self.m = np.zeros((N_MATRICES, F, F))


def setup(mem):
    s, v, m = mem.s, mem.v, mem.m
{setup}


def predict(mem):
    s, v, m = mem.s, mem.v, mem.m
{predict}


def learn(mem):
    s, v, m = mem.s, mem.v, mem.m
{learn}


def task_fitness(x_train, y_train, x_valid, y_valid, classification=False):
    """The executor: Setup once, Predict+Learn per training example, Predict-only validation."""
    mem = Memory()
    setup(mem)
    for x, y in zip(x_train, y_train):
        mem.v[0] = x
        mem.s[0] = 0.0
        predict(mem)
        if classification:
            mem.s[1] = 1.0 / (1.0 + np.exp(-mem.s[1]))
        err = abs(y - mem.s[1])
        if np.isnan(err) or err > MAX_ABS_ERROR:
            return 0.0  # early stop: minimum fitness
        mem.v[0] = x
        mem.s[0] = y
        learn(mem)
    loss = 0.0
    for x, y in zip(x_valid, y_valid):
        mem.v[0] = x
        mem.s[0] = 0.0
        predict(mem)
        if classification:
            p = 1.0 / (1.0 + np.exp(-mem.s[1]))
            err = 0.0 if (y > 0.5) == (p > 0.5) else 1.0
        else:
            err = y - mem.s[1]
        if np.isnan(abs(err)) or abs(err) > MAX_ABS_ERROR:
            return 0.0
        loss += err if classification else err * err
    loss /= len(y_valid)
    if classification:
        return 1.0 - loss
    rmse = np.sqrt(loss)
    return 0.0 if not np.isfinite(rmse) else 1.0 - 2.0 / np.pi * np.arctan(rmse)


def fitness(tasks):
    """Mean (or median) of the task fitnesses, as in the search."""
    fits = [task_fitness(tasks["x_train"][t][:tasks["n_train"][t]], tasks["y_train"][t][:tasks["n_train"][t]],
                         tasks["x_valid"][t][:tasks["n_valid"][t]], tasks["y_valid"][t][:tasks["n_valid"][t]],
                         bool(tasks["classification"][t])) for t in range(len(tasks["n_train"]))]
    return float(np.median(fits)) if {median} else float(np.mean(fits))


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("{tasks_file}")
    with np.load(path, allow_pickle=False) as z:
        print(f"fitness {{fitness(dict(z)):.6f}}")
'''


def export_source(
    program: Program,
    n_scalars: int,
    n_vectors: int,
    n_matrices: int,
    F: int,
    *,
    title: str = "An evolved algorithm",
    max_abs_error: float = 100.0,
    median: bool = False,
    tasks_file: str = "best_program_tasks.npz",
    prune_dead: bool = True,
) -> str:
    """Readable, self-contained Python/NumPy source of ``program`` (setup/predict/learn functions)."""
    p = prune(program, n_scalars, n_vectors, n_matrices) if prune_dead else program
    bodies = []
    for c in range(3):
        ins, dat = p.component(c)
        lines = [f"    {instruction_source(*map(int, row), d)}" for row, d in zip(ins, dat, strict=True)]
        bodies.append("\n".join(lines) if lines else "    pass")
    return _EXPORT_TEMPLATE.format(
        title=title,
        F=F,
        nS=n_scalars,
        nV=n_vectors,
        nM=n_matrices,
        max_abs_error=float(max_abs_error),
        setup=bodies[0],
        predict=bodies[1],
        learn=bodies[2],
        median=bool(median),
        tasks_file=tasks_file,
    )
