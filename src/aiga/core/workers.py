"""Evaluation backends: in-process, a local process pool, or a Ray cluster, behind one interface.

POET (Wang et al. 2019) and OpenAI-ES (Salimans et al. 2017) spend nearly all their time in rollouts,
so rollouts go to workers in tasks: a batch of antithetic pairs for one (objective, θ, σ, noise key), or
a batch of plain θ evaluations. The reference (uber-research/poet ``poet_distributed/es.py``,
``run_po_batch_fiber`` / ``run_eval_batch_fiber``) sends each worker noise-table *indices* drawn from a
per-task random seed; we send the noise key and the pair range, and the worker regenerates ε itself from
the counter-based noise of ``aiga.core.noise`` — θ (22 KB) and a few integers cross the wire, never
2,804 × 512 floats.

Design rules, and why:

* **Results never depend on the backend or the worker count.** Work is cut into fixed chunks
  (``pairs_per_task`` pairs, ``thetas_per_task`` θ), chosen independently of how many workers there
  are, and the results are reassembled in chunk order. A chunk's result is a function of its inputs
  only, so 1 worker, 8 workers and a Ray cluster give the same bits.
* **Objectives are small picklable descriptions** (e.g. ``CourseObjective(params, max_steps)``) with
  ``cache_key()`` and ``build() -> f(thetas) -> (returns, lengths)``. Workers build each one once and
  keep it in a small LRU cache keyed by ``cache_key()``, so a course is not rebuilt per task.
* **A dead worker costs a retry, not the run.** The local pool is a ``ProcessPoolExecutor``: when a
  worker process dies (OOM killer, SIGKILL) the executor breaks; we start a fresh one and resubmit only
  the chunks that had not come back (``max_retries`` times). Ray retries lost tasks itself
  (``max_retries``), e.g. when a node goes away.
* **Start method ``spawn``**: fresh interpreters, safe with threads, numba and JAX in the parent (fork is
  not). Each worker pins BLAS/OpenMP to one thread (threadpoolctl) so N workers use N cores.
* Ray is imported only when ``--ray`` is given (the ``ray`` extra).

The interface (``Evaluator``): ``antithetic(objective, theta, sigma, noise_seed, key, pairs)`` ->
``PairResult`` (returns and lengths of shape (pairs, 2), column 0 for θ + σε, 1 for θ − σε) and
``evaluate(jobs)`` for a list of ``(objective, theta)`` -> ``EvalResult`` (returns, lengths in job
order). Both also report ``eval_seconds`` (time workers spent inside objectives; for overhead figures).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from aiga.core.config import AigaError
from aiga.core.noise import perturbations, step_key

PAIRS_PER_TASK = 8
"""Antithetic pairs per task (16 rollouts): small enough to balance episodes of very different lengths
over a few workers, large enough that per-task overhead (pickling θ, a round trip) stays negligible."""

THETAS_PER_TASK = 8
CACHE_SIZE = 64
"""Built objectives kept per worker (POET keeps up to 40 active niches)."""


class Objective(Protocol):
    def cache_key(self) -> Any: ...

    def build(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]: ...


@dataclass(frozen=True)
class PairResult:
    returns: np.ndarray  # (pairs, 2) float64
    lengths: np.ndarray  # (pairs, 2) int64
    eval_seconds: float

    @property
    def env_steps(self) -> int:
        return int(self.lengths.sum())


@dataclass(frozen=True)
class EvalResult:
    returns: np.ndarray  # (jobs,)
    lengths: np.ndarray  # (jobs,)
    eval_seconds: float

    @property
    def env_steps(self) -> int:
        return int(self.lengths.sum())


# ------------------------------------------------------------------------------------ worker side

_CACHE: OrderedDict[Any, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = OrderedDict()


def _built(objective: Any) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    key = (type(objective).__module__, type(objective).__qualname__, objective.cache_key())
    f = _CACHE.get(key)
    if f is None:
        f = objective.build()
        _CACHE[key] = f
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return f


def _call(f: Callable, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    returns, lengths = f(thetas)
    returns = np.asarray(returns, dtype=np.float64).reshape(-1)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if returns.shape[0] != thetas.shape[0] or lengths.shape[0] != thetas.shape[0]:
        raise ValueError(f"objective returned {returns.shape[0]} returns "
                         f"for {thetas.shape[0]} parameter vectors")
    return returns, lengths


def run_pair_task(objective: Any, theta: np.ndarray, sigma: float, noise_seed: int, key: tuple[int, ...],
                  start: int, stop: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Worker body: regenerate ε for pairs [start, stop), evaluate θ ± σε. Returns (k, 2) returns/lengths."""
    f = _built(objective)
    eps = perturbations(noise_seed, key, range(start, stop), theta.shape[0]).astype(np.float64)
    eps *= sigma
    thetas = np.concatenate([theta + eps, theta - eps])
    t0 = time.perf_counter()
    returns, lengths = _call(f, thetas)
    dt = time.perf_counter() - t0
    k = stop - start
    return np.stack([returns[:k], returns[k:]], axis=1), np.stack([lengths[:k], lengths[k:]], axis=1), dt


def run_eval_task(objective: Any, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Worker body: evaluate each row of ``thetas`` on ``objective``."""
    f = _built(objective)
    t0 = time.perf_counter()
    returns, lengths = _call(f, np.asarray(thetas, dtype=np.float64))
    return returns, lengths, time.perf_counter() - t0


def _exit_when_orphaned(master: int) -> None:
    while os.getppid() == master:
        time.sleep(1.0)
    os._exit(0)


def _worker_init(master: int) -> None:
    # Ctrl-C reaches the whole process group: the master handles it (and ends the workers), so the
    # workers ignore it instead of each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # A master killed with SIGKILL cannot end its workers, and a pool worker blocked on its task queue
    # would wait forever: each worker leaves as soon as it is orphaned.
    # The master's pid comes from the master: a worker that starts after its master died leaves at once.
    threading.Thread(target=_exit_when_orphaned, args=(master,), daemon=True).start()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


# ------------------------------------------------------------------------------------ master side


def _task_size(objective: Any, per_task: int, hint: str) -> int:
    """The evaluator's chunk size, raised to the objective's own minimum (``pairs_per_task`` or
    ``thetas_per_task``, optional): a batched simulator wants whole batches. Chunks only group independent
    rollouts, so no result depends on the size."""
    return max(int(per_task), int(getattr(objective, hint, 0) or 0))


def _pair_tasks(objective: Any, theta: np.ndarray, sigma: float, noise_seed: int, key: tuple[int, ...],
                pairs: int, per_task: int) -> list[tuple[Callable, tuple]]:
    per_task = _task_size(objective, per_task, "pairs_per_task")
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    key = step_key(*key)
    return [(run_pair_task,
             (objective, theta, float(sigma), int(noise_seed), key, s, min(s + per_task, pairs)))
            for s in range(0, pairs, per_task)]


def _eval_tasks(jobs: Sequence[tuple[Any, np.ndarray]], per_task: int) -> tuple[list[tuple[Callable, tuple]],
                                                                                   list[list[int]]]:
    """Group jobs by objective (first-appearance order), chunk each group; remember original indices."""
    groups: OrderedDict[Any, tuple[Any, list[int]]] = OrderedDict()
    for i, (obj, _) in enumerate(jobs):
        k = (type(obj).__module__, type(obj).__qualname__, obj.cache_key())
        groups.setdefault(k, (obj, []))[1].append(i)
    tasks, index = [], []
    for obj, idx in groups.values():
        size = _task_size(obj, per_task, "thetas_per_task")
        for s in range(0, len(idx), size):
            chunk = idx[s:s + size]
            thetas = np.stack([np.asarray(jobs[i][1], dtype=np.float64) for i in chunk])
            tasks.append((run_eval_task, (obj, thetas)))
            index.append(chunk)
    return tasks, index


class Evaluator:
    """Base: cuts work into fixed chunks, runs them through ``_run`` (backend-specific), reassembles."""

    num_workers: int = 1

    def __init__(self, pairs_per_task: int = PAIRS_PER_TASK, thetas_per_task: int = THETAS_PER_TASK) -> None:
        self.pairs_per_task = int(pairs_per_task)
        self.thetas_per_task = int(thetas_per_task)
        self.last_eval_seconds = 0.0  # seconds workers spent inside objectives during the last call

    def _run(self, tasks: list[tuple[Callable, tuple]]) -> list[Any]:
        raise NotImplementedError

    def antithetic(self, objective: Any, theta: np.ndarray, sigma: float, noise_seed: int,
                   key: tuple[int, ...], pairs: int) -> PairResult:
        tasks = _pair_tasks(objective, theta, sigma, noise_seed, key, pairs, self.pairs_per_task)
        results = self._run(tasks)
        returns = np.concatenate([r[0] for r in results])
        lengths = np.concatenate([r[1] for r in results])
        self.last_eval_seconds = float(sum(r[2] for r in results))
        return PairResult(returns, lengths, self.last_eval_seconds)

    def antithetic_many(self, requests: Sequence[tuple[Any, np.ndarray, float, int, tuple[int, ...], int]]
                        ) -> list[PairResult]:
        """Several ``antithetic`` calls (``(objective, theta, sigma, noise_seed, key, pairs)`` each) in one
        round of tasks, so that small populations of many niches keep every worker busy. Each result
        equals what ``antithetic`` alone returns (the chunks are the same)."""
        tasks: list[tuple[Callable, tuple]] = []
        spans = []
        for objective, theta, sigma, noise_seed, key, pairs in requests:
            chunk = _pair_tasks(objective, theta, sigma, noise_seed, key, pairs, self.pairs_per_task)
            spans.append((len(tasks), len(tasks) + len(chunk)))
            tasks += chunk
        results = self._run(tasks)
        self.last_eval_seconds = float(sum(r[2] for r in results))
        out = []
        for a, b in spans:
            part = results[a:b]
            out.append(PairResult(np.concatenate([r[0] for r in part]), np.concatenate([r[1] for r in part]),
                                  float(sum(r[2] for r in part))))
        return out

    def evaluate(self, jobs: Sequence[tuple[Any, np.ndarray]]) -> EvalResult:
        """Scores of each ``(objective, theta)``, in the order given."""
        tasks, index = _eval_tasks(jobs, self.thetas_per_task)
        results = self._run(tasks)
        returns = np.empty(len(jobs), dtype=np.float64)
        lengths = np.empty(len(jobs), dtype=np.int64)
        for chunk, (r, n, _) in zip(index, results, strict=True):
            returns[chunk] = r
            lengths[chunk] = n
        self.last_eval_seconds = float(sum(r[2] for r in results))
        return EvalResult(returns, lengths, self.last_eval_seconds)

    def close(self) -> None:
        pass

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class InProcessEvaluator(Evaluator):
    """Runs every task in the calling process (debugging, tests, ``--workers 1``)."""

    def _run(self, tasks: list[tuple[Callable, tuple]]) -> list[Any]:
        return [fn(*args) for fn, args in tasks]


class PoolEvaluator(Evaluator):
    """A local pool of ``workers`` spawned processes; a worker that dies costs a retry of its chunks."""

    def __init__(self, workers: int | None = None, max_retries: int = 3, **kw: Any) -> None:
        super().__init__(**kw)
        self.num_workers = int(workers or default_workers())
        self.max_retries = int(max_retries)
        self.restarts = 0  # how many times the pool was rebuilt after a worker died
        self._pool: cf.ProcessPoolExecutor | None = None

    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(self.num_workers, mp_context=mp.get_context("spawn"),
                                                initializer=_worker_init, initargs=(os.getpid(),))
        return self._pool

    def _run(self, tasks: list[tuple[Callable, tuple]]) -> list[Any]:
        results: list[Any] = [None] * len(tasks)
        pending = list(range(len(tasks)))
        attempts = 0
        while pending:
            pool = self._executor()
            futures = {pool.submit(tasks[i][0], *tasks[i][1]): i for i in pending}
            broken = False
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except BrokenProcessPool:
                    broken = True
            if not broken:
                break
            # A worker died: every unfinished future of the broken pool failed. Rebuild and resubmit those.
            attempts += 1
            pending = [i for i in pending if results[i] is None]
            self._discard_pool()
            self.restarts += 1
            if attempts > self.max_retries:
                raise AigaError(f"worker processes died {attempts} times running the same tasks; giving up "
                                "(out of memory? see the system log)")
        return results

    def _discard_pool(self) -> None:
        """Drop the pool without waiting for running tasks: its workers are ended (we started them)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(5)

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        if self._pool is None:
            return []
        return [p.pid for p in list(getattr(self._pool, "_processes", {}).values()) if p.pid is not None]

    def close(self) -> None:
        # Between calls no task is running, so ending the workers loses nothing; after an error or a
        # Ctrl-C this returns at once instead of waiting for chunks nobody will read.
        self._discard_pool()


class RayEvaluator(Evaluator):
    """Tasks as Ray remote functions (``ray`` extra). Ray re-runs a task whose worker or node was lost."""

    def __init__(self, address: str | None = "auto", max_retries: int = 3, init_kwargs: dict | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        try:
            import ray
        except ImportError:
            raise AigaError("--ray needs the ray extra: pip install 'aiga[ray]'") from None
        self._ray = ray
        self._owns_ray = False
        if not ray.is_initialized():
            _check_reachable(address)
            env_vars = {"OMP_NUM_THREADS": "1"}
            if address in (None, "local"):  # a local cluster: workers see the driver's import path
                env_vars["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         runtime_env={"env_vars": env_vars}, **(init_kwargs or {}))
            except ConnectionError as e:
                raise AigaError(f"cannot connect to the Ray cluster at {address!r}: {e}") from None
            self._owns_ray = True
        self.num_workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remote = ray.remote(num_cpus=1, max_retries=int(max_retries), retry_exceptions=False)(_ray_task)

    def _run(self, tasks: list[tuple[Callable, tuple]]) -> list[Any]:
        ray = self._ray
        refs = [self._remote.remote(fn, args) for fn, args in tasks]
        try:
            return ray.get(refs)
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                ray.exceptions.RayTaskError) as e:
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            last = lines[-1] if lines else type(e).__name__
            raise AigaError(f"a Ray task failed after retries: {last}") from None

    def close(self) -> None:
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False


def _check_reachable(address: str | None) -> None:
    """Fail in seconds with one line for a ``host:port`` nobody answers at.

    Ray itself retries for minutes."""
    if address in (None, "auto", "local") or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=10):
            pass
    except ValueError:
        raise AigaError(f"--ray must be 'auto' or HOST:PORT, got {address!r}") from None
    except OSError as e:
        raise AigaError(f"cannot reach the Ray cluster at {address}: {e.strerror or e}") from None


def _ray_task(fn: Callable, args: tuple) -> Any:
    return fn(*args)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def make_evaluator(workers: int | None = None, ray: str | None = None) -> Evaluator:
    """The backend the command-line flags ask for: ``--ray ADDRESS`` > ``--workers 1`` (in-process) >
    a local pool of ``--workers`` (default: one per core)."""
    if ray is not None:
        return RayEvaluator(address=ray)
    n = int(workers) if workers is not None else default_workers()
    if n < 1:
        raise AigaError(f"--workers must be at least 1, got {n}")
    if n == 1:
        return InProcessEvaluator()
    return PoolEvaluator(n)
