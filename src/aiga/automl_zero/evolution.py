"""Regularized (aging) evolution of AutoML-Zero programs, with FEC, hurdles and islands with migration.

Paper: Real et al., AutoML-Zero (ICML 2020), Sec. 3 (regularized evolution: tournament selection of size T
on a population of P, mutate the winner, the oldest individual dies), Sec. 3.2 (FEC, hurdles,
migration between W workers). Reference: google-research ``automl_zero/regularized_evolution.cc``
(``Init``, ``Run``: each sweep walks the population array in order and overwrites each slot, which always
holds the oldest individual, with a mutated tournament winner), ``evaluator.cc`` (per-task FEC) and
``run_search_experiment.cc`` (experiments repeated with fresh task seeds until a candidate passes the
select tasks).

The whole inner loop (tournament, mutation, dead-code pass, FEC fingerprint and cache, evaluation, aging
replacement, hurdle update) is one numba function, ``evolve``, that runs a given number of individuals on
one island without touching Python. Islands are independent populations (the paper's workers); each
iteration runs every island for ``individuals_per_iteration`` individuals in a thread (numba releases the
GIL), then migration swaps individuals between islands with a seeded generator. Results therefore
depend on the seed and the number of islands, never on how many threads ran them.

Individuals are counted as the reference counts them: every evaluated child, FEC hits included, and the
initial population.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from aiga.automl_zero.config import AutoMLZeroConfig, op_ids
from aiga.automl_zero.executor import combine, execute_task
from aiga.automl_zero.fec import FEC_RANDOM_SEED, FECCache, cache_find, cache_insert, fingerprint_hash
from aiga.automl_zero.ops import memory_size, rng_int, rng_uniform
from aiga.automl_zero.program import MUTATION_TYPES, Program, compile_program, mutate_once, random_program
from aiga.automl_zero.tasks import TaskSet, make_tasks
from aiga.core.config import AigaError
from aiga.core.jit import njit
from aiga.core.seeding import make_rng, rng_from_state, rng_state

# island counters (int64 array ``st``)
NEXT, N_INIT, INDIVIDUALS, LOOKUPS, HITS, FULL_EVALS, HURDLE_STOPS, SIG_REUSE = range(8)
ST_LEN = 8
# island floats (``fst``)
HURDLE, BEST = 0, 1


# ------------------------------------------------------------------------------------------ the loop


@njit(cache=True, nogil=True)
def hurdle_value(fitnesses, percentile):
    """The ``percentile`` of the unique values of ``fitnesses`` (linear interpolation, as np.percentile)."""
    u = np.unique(fitnesses)
    n = u.size
    pos = percentile / 100.0 * (n - 1)
    lo = int(np.floor(pos))
    if lo >= n - 1:
        return u[n - 1]
    frac = pos - lo
    return u[lo] + frac * (u[lo + 1] - u[lo])


@njit(cache=True, error_model="numpy", nogil=True)
def evolve(
    n_steps,
    pop_ins,
    pop_dat,
    pop_size,
    pop_fit,
    pop_sig,
    pop_fp,
    st,
    fst,
    rng,
    best_ins,
    best_dat,
    best_size,
    space,
    comp_ops,
    n_ops,
    size_min,
    size_max,
    size_init,
    seg_start,
    mutation_types,
    mutate_prob,
    tournament,
    random_init,
    x_tr,
    y_tr,
    n_tr,
    x_va,
    y_va,
    n_va,
    etype,
    tindex,
    max_abs_error,
    median,
    use_fec,
    fec_ntr,
    fec_nva,
    c_key,
    c_fit,
    c_cnt,
    c_prev,
    c_nxt,
    c_free,
    c_meta,
    t_key,
    t_slot,
    forget_every,
    hurdle_on,
    hurdle_tasks,
    hurdle_pct,
    hurdle_every,
    prune,
    memo_sig,
    memo_fp,
    memo_ok,
):
    """Run ``n_steps`` individuals of regularized evolution on one island (see the module docstring)."""
    nS, nV, nM, F = space[0], space[1], space[2], space[3]
    P = pop_fit.size
    T = n_tr.size
    rows = pop_ins.shape[1]
    ch_ins = np.zeros((rows, 4), np.int32)
    ch_dat = np.zeros((rows, 4), np.float64)
    ch_size = np.zeros(3, np.int32)
    c_ins = np.zeros((rows, 4), np.int32)
    c_dat = np.zeros((rows, 4), np.float64)
    mark = np.zeros(rows, np.bool_)
    mem = np.zeros(nS + nV * F + nM * F * F + F * F)
    errs = np.zeros(fec_ntr + fec_nva)
    buf32 = np.zeros(1, np.float32)
    fec_rng = np.zeros(1, np.uint64)
    fp = np.zeros(T, np.uint64)
    task_fit = np.zeros(T)
    memo_mask = memo_sig.size - 1
    for _ in range(n_steps):
        has_parent = False
        parent = 0
        if st[N_INIT] < P:  # the initial population is evaluated (and counted) first
            slot = st[N_INIT]
            st[N_INIT] += 1
            random_program(
                rng, ch_ins, ch_dat, ch_size, space, comp_ops, n_ops, size_init, seg_start, random_init
            )
        else:
            slot = st[NEXT]
            st[NEXT] = (slot + 1) % P
            best = -1
            bf = -np.inf
            for _t in range(tournament):
                j = rng_int(rng, P)
                if best == -1 or pop_fit[j] > bf:
                    best = j
                    bf = pop_fit[j]
            parent = best
            has_parent = True
            ch_ins[:] = pop_ins[parent]
            ch_dat[:] = pop_dat[parent]
            ch_size[:] = pop_size[parent]
            if mutate_prob >= 1.0 or rng_uniform(rng) < mutate_prob:
                mutate_once(
                    rng,
                    ch_ins,
                    ch_dat,
                    ch_size,
                    space,
                    comp_ops,
                    n_ops,
                    size_min,
                    size_max,
                    seg_start,
                    mutation_types,
                )
        ns, npr, nl, sig = compile_program(
            ch_ins, ch_dat, ch_size, seg_start, nS, nV, nM, F, c_ins, c_dat, mark, prune
        )
        if use_fec:
            # The fingerprint is a deterministic function of the live code (fixed RNG seed), so a child whose
            # live code equals its parent's, or that of a recent program (``fp_memo``, direct-mapped by
            # signature), reuses that fingerprint instead of re-running it. This changes no result.
            memo = np.int64(sig & np.uint64(memo_mask))
            if has_parent and sig == pop_sig[parent]:
                fp[:] = pop_fp[parent]
                st[SIG_REUSE] += 1
            elif memo_sig[memo] == sig and memo_ok[memo]:
                fp[:] = memo_fp[memo]
            else:
                for t in range(T):
                    fec_rng[0] = np.uint64(FEC_RANDOM_SEED)
                    _, ne = execute_task(
                        c_ins,
                        c_dat,
                        ns,
                        npr,
                        nl,
                        x_tr[t],
                        y_tr[t],
                        min(fec_ntr, n_tr[t]),
                        x_va[t],
                        y_va[t],
                        min(fec_nva, n_va[t]),
                        etype[t],
                        mem,
                        nS,
                        F,
                        fec_rng,
                        max_abs_error,
                        errs,
                        True,
                    )
                    fp[t] = fingerprint_hash(errs, ne, tindex[t], n_tr[t], buf32)
                memo_sig[memo] = sig
                memo_fp[memo] = fp
                memo_ok[memo] = True
        n_done = 0
        for t in range(T):
            if hurdle_on and t == hurdle_tasks and st[N_INIT] >= P:
                if combine(task_fit, n_done, median) < fst[HURDLE]:
                    st[HURDLE_STOPS] += 1
                    break
            hit = False
            f = 0.0
            if use_fec:
                st[LOOKUPS] += 1
                hit, f = cache_find(
                    fp[t], c_key, c_fit, c_cnt, c_prev, c_nxt, c_free, c_meta, t_key, t_slot, forget_every
                )
                if hit:
                    st[HITS] += 1
            if not hit:
                f, _ = execute_task(
                    c_ins,
                    c_dat,
                    ns,
                    npr,
                    nl,
                    x_tr[t],
                    y_tr[t],
                    n_tr[t],
                    x_va[t],
                    y_va[t],
                    n_va[t],
                    etype[t],
                    mem,
                    nS,
                    F,
                    rng,
                    max_abs_error,
                    errs,
                    False,
                )
                st[FULL_EVALS] += 1
                if use_fec:
                    cache_insert(fp[t], f, c_key, c_fit, c_cnt, c_prev, c_nxt, c_free, c_meta, t_key, t_slot)
            task_fit[t] = f
            n_done += 1
        fitness = combine(task_fit, n_done, median)
        pop_ins[slot] = ch_ins
        pop_dat[slot] = ch_dat
        pop_size[slot] = ch_size
        pop_fit[slot] = fitness
        pop_sig[slot] = sig
        pop_fp[slot] = fp
        st[INDIVIDUALS] += 1
        if fitness > fst[BEST]:
            fst[BEST] = fitness
            best_ins[:] = ch_ins
            best_dat[:] = ch_dat
            best_size[:] = ch_size
        if hurdle_on and st[N_INIT] >= P and st[INDIVIDUALS] % hurdle_every == 0:
            fst[HURDLE] = hurdle_value(pop_fit, hurdle_pct)


# ------------------------------------------------------------------------------------------ space


class SearchSpace:
    """The config's search space as the arrays the numba loop takes."""

    def __init__(self, cfg: AutoMLZeroConfig) -> None:
        self.cfg = cfg
        self.nS, self.nV, self.nM, self.F = cfg.scalars, cfg.vectors, cfg.matrices, cfg.features
        self.space = np.array(
            [self.nS, self.nV, self.nM, self.F, 1 if cfg.constant_mutation == "paper" else 0], np.int64
        )
        self.comp_ops = np.full((3, 65), -1, np.int32)
        self.n_ops = np.zeros(3, np.int32)
        for c, names in enumerate((cfg.setup_ops, cfg.predict_ops, cfg.learn_ops)):
            ids = op_ids(names)
            self.comp_ops[c, : len(ids)] = ids
            self.n_ops[c] = len(ids)
        sizes = np.array([cfg.setup_size, cfg.predict_size, cfg.learn_size], np.int32)
        self.size_init, self.size_min, self.size_max = (
            sizes[:, 0].copy(),
            sizes[:, 1].copy(),
            sizes[:, 2].copy(),
        )
        cap = np.maximum(self.size_max, self.size_init) + 1  # +1: trade inserts before it removes
        self.seg_start = np.array([0, cap[0], cap[0] + cap[1]], np.int32)
        self.rows = int(cap.sum())
        self.mutation_types = np.array([MUTATION_TYPES[m] for m in cfg.mutation_types], np.int32)

    def compile(self, program: Program) -> tuple[np.ndarray, np.ndarray, int, int, int]:
        ins, dat, sizes = program.to_buffers(self.seg_start, max(self.rows, len(program.ins) + 3))
        seg = self.seg_start
        if any(
            program.sizes[c] > (self.seg_start[c + 1] if c < 2 else ins.shape[0]) - seg[c] for c in range(3)
        ):
            seg = np.array([0, program.sizes[0], program.sizes[0] + program.sizes[1]], np.int32)
            ins, dat, sizes = program.to_buffers(seg, max(len(program.ins), 1))
        n = ins.shape[0]
        c_ins = np.zeros((n, 4), np.int32)
        c_dat = np.zeros((n, 4), np.float64)
        mark = np.zeros(n, np.bool_)
        ns, npr, nl, _ = compile_program(
            ins,
            dat,
            sizes,
            seg,
            self.nS,
            self.nV,
            self.nM,
            self.F,
            c_ins,
            c_dat,
            mark,
            self.cfg.prune_dead_code,
        )
        return c_ins, c_dat, int(ns), int(npr), int(nl)


def evaluate(
    program: Program, cfg: AutoMLZeroConfig, tasks: TaskSet, seed: int = 0
) -> tuple[float, np.ndarray]:
    """Fitness of ``program`` on ``tasks`` without FEC (combined, per task)."""
    space = SearchSpace(cfg)
    program.validate(cfg.scalars, cfg.vectors, cfg.matrices)
    c_ins, c_dat, ns, npr, nl = space.compile(program)
    fits = np.zeros(tasks.num_tasks)
    mem = np.zeros(memory_size(cfg.scalars, cfg.vectors, cfg.matrices, cfg.features))
    rng = np.array([seed], np.uint64)
    errs = np.zeros(1)
    for t in range(tasks.num_tasks):
        fits[t], _ = execute_task(
            c_ins,
            c_dat,
            ns,
            npr,
            nl,
            tasks.x_train[t],
            tasks.y_train[t],
            tasks.n_train[t],
            tasks.x_valid[t],
            tasks.y_valid[t],
            tasks.n_valid[t],
            tasks.eval_type[t],
            mem,
            cfg.scalars,
            cfg.features,
            rng,
            cfg.max_abs_error,
            errs,
            False,
        )
    return float(combine(fits, len(fits), cfg.fitness_combination == "median")), fits


# ------------------------------------------------------------------------------------------ islands


class Island:
    """One population with its counters, RNG, best program and FEC cache (all plain arrays)."""

    ARRAYS = (
        "pop_ins",
        "pop_dat",
        "pop_size",
        "pop_fit",
        "pop_sig",
        "pop_fp",
        "st",
        "fst",
        "rng",
        "best_ins",
        "best_dat",
        "best_size",
    )

    def __init__(self, space: SearchSpace, num_tasks: int, seed_word: int) -> None:
        cfg = space.cfg
        P, R = cfg.population_size, space.rows
        self.pop_ins = np.zeros((P, R, 4), np.int32)
        self.pop_dat = np.zeros((P, R, 4), np.float64)
        self.pop_size = np.zeros((P, 3), np.int32)
        self.pop_fit = np.zeros(P)
        self.pop_sig = np.zeros(P, np.uint64)
        self.pop_fp = np.zeros((P, num_tasks), np.uint64)
        self.st = np.zeros(ST_LEN, np.int64)
        self.fst = np.array([0.0, -1.0])
        self.rng = np.array([seed_word], np.uint64)
        self.best_ins = np.zeros((R, 4), np.int32)
        self.best_dat = np.zeros((R, 4), np.float64)
        self.best_size = np.zeros(3, np.int32)
        self.cache = FECCache(cfg.fec_cache_size, cfg.fec_forget_every)
        self._new_memo(num_tasks)

    def _new_memo(self, num_tasks: int) -> None:
        # signature -> fingerprint memo: a pure cache of a deterministic function, so it is not checkpointed
        n = 1 << 14
        self.memo_sig = np.zeros(n, np.uint64)
        self.memo_fp = np.zeros((n, num_tasks), np.uint64)
        self.memo_ok = np.zeros(n, np.bool_)

    def reset(self, seed_word: int) -> None:
        """A new experiment: empty population and cache (task indices are reused, so keys would clash)."""
        cfg_cache = (self.cache.cache_size, self.cache.forget_every)
        for name in self.ARRAYS:
            a = getattr(self, name)
            a[...] = 0
        self.fst[:] = (0.0, -1.0)
        self.rng[0] = np.uint64(seed_word)
        self.cache = FECCache(*cfg_cache)
        self._new_memo(self.pop_fp.shape[1])  # new tasks, new fingerprints

    def arrays(self, i: int) -> dict[str, np.ndarray]:
        out = {f"island{i}_{name}": getattr(self, name) for name in self.ARRAYS}
        out.update(self.cache.arrays(f"island{i}_fec_"))
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray], i: int) -> None:
        for name in self.ARRAYS:
            key = f"island{i}_{name}"
            if key not in arrays:
                raise AigaError(f"checkpoint lacks {key}; it was written by another configuration")
            cur = getattr(self, name)
            a = arrays[key]
            if a.shape != cur.shape:
                raise AigaError(f"checkpoint array {key} has shape {a.shape}, expected {cur.shape}")
            setattr(self, name, a.astype(cur.dtype, copy=True))
        self.cache.load_arrays(arrays, f"island{i}_fec_")

    def program(self, slot: int | None, space: SearchSpace) -> Program:
        if slot is None:
            return Program.from_buffers(self.best_ins, self.best_dat, self.best_size, space.seg_start)
        return Program.from_buffers(
            self.pop_ins[slot], self.pop_dat[slot], self.pop_size[slot], space.seg_start
        )


def experiment_tasks(cfg: AutoMLZeroConfig, experiment: int) -> TaskSet:
    """The search tasks of an experiment: each experiment draws new task seeds, as the reference does with
    ``--randomize_task_seeds``."""
    s = int(make_rng(cfg.seed, "tasks", experiment).integers(0, 2**62))
    return make_tasks(
        cfg.task, cfg.num_tasks, cfg.features, cfg.num_train, cfg.num_valid, s, cfg.dataset, "search"
    )


class Search:
    """The driver: tasks, islands, migration, the select check, experiments. No printing, no files."""

    def __init__(self, cfg: AutoMLZeroConfig, workers: int | None = None) -> None:
        if cfg.islands < 1:
            raise AigaError("islands must be resolved to at least 1 before the search starts")
        self.cfg = cfg
        self.space = SearchSpace(cfg)
        self.workers = max(1, min(workers or os.cpu_count() or 1, cfg.islands))
        self.experiment = 0
        self.iteration = 0
        self.solved_at: int | None = None  # individuals when solved
        self.checked_sig: str | None = None
        self.best_fitness = -1.0
        self.best_select = -1.0
        self.best_program: Program | None = None
        self.best_experiment = 0
        self.migration_rng = make_rng(cfg.seed, "migration")
        self.experiment_start_individuals = 0
        self._make_tasks()
        self.islands = [Island(self.space, cfg.num_tasks, self._island_seed(i)) for i in range(cfg.islands)]
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None

    # -------------------------------------------------------------- setup

    def _island_seed(self, i: int) -> int:
        return int(make_rng(self.cfg.seed, "island", self.experiment, i).integers(0, 2**63))

    def search_tasks(self, experiment: int) -> TaskSet:
        return experiment_tasks(self.cfg, experiment)

    def _make_tasks(self) -> None:
        cfg = self.cfg
        self.tasks = self.search_tasks(self.experiment)
        self.select = None
        if cfg.select_tasks > 0:
            s2 = int(make_rng(cfg.seed, "select-tasks", self.experiment).integers(0, 2**62))
            self.select = make_tasks(
                cfg.task,
                cfg.select_tasks,
                cfg.features,
                cfg.select_train,
                cfg.select_valid,
                s2,
                cfg.dataset,
                "select",
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    # -------------------------------------------------------------- running

    def _run_island(self, isl: Island, n: int) -> None:
        cfg, sp, tk = self.cfg, self.space, self.tasks
        c = isl.cache
        evolve(
            n,
            isl.pop_ins,
            isl.pop_dat,
            isl.pop_size,
            isl.pop_fit,
            isl.pop_sig,
            isl.pop_fp,
            isl.st,
            isl.fst,
            isl.rng,
            isl.best_ins,
            isl.best_dat,
            isl.best_size,
            sp.space,
            sp.comp_ops,
            sp.n_ops,
            sp.size_min,
            sp.size_max,
            sp.size_init,
            sp.seg_start,
            sp.mutation_types,
            cfg.mutate_prob,
            cfg.tournament_size,
            cfg.initial_population == "random",
            tk.x_train,
            tk.y_train,
            tk.n_train,
            tk.x_valid,
            tk.y_valid,
            tk.n_valid,
            tk.eval_type,
            tk.index,
            cfg.max_abs_error,
            cfg.fitness_combination == "median",
            cfg.fec,
            cfg.fec_train,
            cfg.fec_valid,
            c.key,
            c.fit,
            c.cnt,
            c.prev,
            c.nxt,
            c.free,
            c.meta,
            c.t_key,
            c.t_slot,
            cfg.fec_forget_every,
            cfg.hurdles,
            cfg.hurdle_tasks,
            cfg.hurdle_percentile,
            cfg.hurdle_update_every,
            cfg.prune_dead_code,
            isl.memo_sig,
            isl.memo_fp,
            isl.memo_ok,
        )

    def step(self) -> list[tuple[str, dict]]:
        """One iteration: every island runs ``individuals_per_iteration`` individuals, then migration, the
        select check and (maybe) a new experiment. Returns the events that happened."""
        n = self.cfg.individuals_per_iteration
        if self._pool is None:
            for isl in self.islands:
                self._run_island(isl, n)
        else:
            list(self._pool.map(lambda isl: self._run_island(isl, n), self.islands))
        self.iteration += 1
        events: list[tuple[str, dict]] = []
        if (
            len(self.islands) > 1
            and self.cfg.migration_size > 0
            and self.iteration % self.cfg.migrate_every == 0
        ):
            self._migrate()
        events += self._check_best()
        if (
            self.solved_at is None
            and self.cfg.experiment_individuals > 0
            and self.individuals - self.experiment_start_individuals >= self.cfg.experiment_individuals
        ):
            self.experiment += 1
            self._past_individuals = self.individuals
            self.experiment_start_individuals = self._past_individuals
            self._make_tasks()
            for i, isl in enumerate(self.islands):
                isl.reset(self._island_seed(i))
            self.checked_sig = None
            events.append(("experiment", {"experiment": self.experiment, "individuals": self.individuals}))
        return events

    def _migrate(self) -> None:
        """Each island uploads ``m`` random individuals; each receives ``m`` drawn from the other islands'
        uploads, written as its youngest members (the slots that would be overwritten next)."""
        cfg = self.cfg
        P = cfg.population_size
        m = min(cfg.migration_size, P)
        g = self.migration_rng
        ups = []
        for i, isl in enumerate(self.islands):
            if isl.st[N_INIT] < P:
                return  # migrate only between initialised populations
            for slot in g.choice(P, m, replace=False):
                ups.append((i, int(slot)))
        snapshot = {
            k: np.stack([getattr(isl, k) for isl in self.islands])
            for k in ("pop_ins", "pop_dat", "pop_size", "pop_fit", "pop_sig", "pop_fp")
        }
        for i, isl in enumerate(self.islands):
            others = [u for u in ups if u[0] != i]
            pick = g.choice(len(others), min(m, len(others)), replace=False)
            for k in pick:
                src_i, src_slot = others[int(k)]
                slot = int(isl.st[NEXT])
                for name in snapshot:
                    getattr(isl, name)[slot] = snapshot[name][src_i, src_slot]
                isl.st[NEXT] = (slot + 1) % P

    def _check_best(self) -> list[tuple[str, dict]]:
        """Track the best program; evaluate a new best candidate on the select tasks (at most once per
        iteration). As in run_search_experiment.cc the run counts as solved when the candidate's *select*
        fitness (tasks with 1000 training examples) exceeds ``sufficient_fitness``; the reference checks
        only at the end of each experiment, we check every new best so the time to solve is measurable."""
        events = []
        i = int(np.argmax([isl.fst[BEST] for isl in self.islands]))
        isl = self.islands[i]
        fit = float(isl.fst[BEST])
        if fit > self.best_fitness:
            self.best_fitness = fit
            self.best_program = isl.program(None, self.space)
            self.best_experiment = self.experiment
            events.append(("best", {"fitness": fit, "island": i, "individuals": self.individuals}))
        if self.solved_at is None and fit >= 0.0:
            prog = isl.program(None, self.space)
            key = _program_key(prog)
            if key != self.checked_sig:
                self.checked_sig = key
                sel = evaluate(prog, self.cfg, self.select)[0] if self.select is not None else fit
                events.append(("select_check", {"search_fitness": fit, "select_fitness": sel}))
                if sel > self.best_select:
                    self.best_select = sel
                if sel > self.cfg.sufficient_fitness:
                    self.solved_at = self.individuals
                    self.best_program = prog
                    self.best_fitness = max(self.best_fitness, fit)
                    self.best_experiment = self.experiment
                    events.append(
                        (
                            "solved",
                            {
                                "individuals": self.individuals,
                                "select_fitness": sel,
                                "search_fitness": fit,
                                "experiment": self.experiment,
                            },
                        )
                    )
        return events

    # -------------------------------------------------------------- figures

    @property
    def individuals(self) -> int:
        return int(sum(isl.st[INDIVIDUALS] for isl in self.islands)) + self._past_individuals

    _past_individuals = 0

    def metrics(self) -> dict[str, float]:
        st = np.sum([isl.st for isl in self.islands], axis=0)
        fits = np.concatenate(
            [isl.pop_fit[: min(int(isl.st[N_INIT]), len(isl.pop_fit))] for isl in self.islands]
        )
        out = {
            "individuals": float(self.individuals),
            "best_fitness": float(self.best_fitness),
            "best_select_fitness": float(self.best_select),
            "population_best": float(fits.max()) if fits.size else 0.0,
            "population_mean": float(fits.mean()) if fits.size else 0.0,
            "fec_hit_rate": float(st[HITS] / st[LOOKUPS]) if st[LOOKUPS] else 0.0,
            "full_task_evaluations": float(st[FULL_EVALS]),
            "signature_reuse": float(st[SIG_REUSE]),
            "experiment": float(self.experiment),
        }
        if self.cfg.hurdles:
            out["hurdle"] = float(np.mean([isl.fst[HURDLE] for isl in self.islands]))
            out["hurdle_stops"] = float(st[HURDLE_STOPS])
        return out

    # -------------------------------------------------------------- checkpoints

    def state(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays: dict[str, np.ndarray] = {}
        for i, isl in enumerate(self.islands):
            arrays.update(isl.arrays(i))
        if self.best_program is not None:
            arrays["best_program_ins"] = self.best_program.ins
            arrays["best_program_dat"] = self.best_program.dat
            arrays["best_program_sizes"] = np.array(self.best_program.sizes, np.int64)
        meta = {
            "iteration": self.iteration,
            "experiment": self.experiment,
            "best_experiment": self.best_experiment,
            "solved_at": self.solved_at,
            "checked_sig": self.checked_sig,
            "best_fitness": self.best_fitness,
            "best_select": self.best_select,
            "migration_rng": rng_state(self.migration_rng),
            "past_individuals": self._past_individuals,
            "experiment_start_individuals": self.experiment_start_individuals,
        }
        return arrays, meta

    def load_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        try:
            self.iteration = int(meta["iteration"])
            exp = int(meta["experiment"])
            if exp != self.experiment:
                self.experiment = exp
                self._make_tasks()
            self.solved_at = meta["solved_at"]
            self.checked_sig = meta["checked_sig"]
            self.best_fitness = float(meta["best_fitness"])
            self.best_select = float(meta["best_select"])
            self.best_experiment = int(meta["best_experiment"])
            self.migration_rng = rng_from_state(meta["migration_rng"])
            self._past_individuals = int(meta["past_individuals"])
            self.experiment_start_individuals = int(meta["experiment_start_individuals"])
        except (KeyError, TypeError, ValueError) as e:
            raise AigaError(f"checkpoint metadata is incomplete ({e})") from None
        for i, isl in enumerate(self.islands):
            isl.load_arrays(arrays, i)
        if "best_program_ins" in arrays:
            s = arrays["best_program_sizes"]
            self.best_program = Program(
                arrays["best_program_ins"].astype(np.int32),
                arrays["best_program_dat"].astype(np.float64),
                tuple(int(x) for x in s),
            )


def _program_key(prog: Program) -> str:
    import hashlib

    h = hashlib.sha256(prog.ins.tobytes() + prog.dat.tobytes() + np.array(prog.sizes, np.int64).tobytes())
    return h.hexdigest()[:16]
