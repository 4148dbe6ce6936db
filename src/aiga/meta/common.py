"""Pieces shared by the meta-learners of ``aiga.meta``: pytrees as named arrays, confidence intervals,
and the chunked training driver that every JAX system here runs under the run contract.

Why the driver looks like this: training is a pure function (PureJaxRL style, ``lax.scan`` over
iterations), but a run must show progress, log SQLite rows and checkpoint. So the scan runs in chunks of
``log_every`` iterations; between chunks the host logs the chunk's figures (rows of iteration ``t`` are
committed before the checkpoint of the state after ``t``) and, every ``checkpoint_every`` iterations,
writes the whole training state (parameters, optimiser state, PRNG key) as named arrays. A resumed run
reloads that state and continues with the same chunk boundaries, so it recomputes bit for bit what an
uninterrupted run computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from aiga.core.config import AigaError


def flatten_named(tree: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """A pytree as ``{path: ndarray}`` (paths like ``params['w1']``), the checkpoint format (no pickle)."""
    import jax

    if hasattr(tree, "_asdict"):  # a NamedTuple state: name arrays by field ("params['w1']", not ".params")
        tree = tree._asdict()
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    out = {}
    for path, leaf in leaves:
        name = prefix + jax.tree_util.keystr(path)
        out[name] = np.asarray(leaf)
    return out


def unflatten_named(template: Any, arrays: dict[str, np.ndarray], prefix: str = "",
                    where: str = "checkpoint") -> Any:
    """Rebuild a pytree shaped like ``template`` from ``flatten_named`` output, checking names and shapes."""
    import jax
    import jax.numpy as jnp

    rebuild = None
    if hasattr(template, "_asdict"):
        rebuild, template = type(template), template._asdict()
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    new = []
    for path, leaf in leaves:
        name = prefix + jax.tree_util.keystr(path)
        if name not in arrays:
            raise AigaError(f"{where} lacks array {name!r}; it was written by another configuration "
                            "or version")
        a = arrays[name]
        want = np.shape(leaf)
        if a.shape != want:
            raise AigaError(f"{where} array {name!r} has shape {a.shape}, expected {want}")
        new.append(jnp.asarray(a, dtype=jnp.asarray(leaf).dtype))
    out = jax.tree_util.tree_unflatten(treedef, new)
    return rebuild(**out) if rebuild is not None else out


def mean_ci95(values: Any) -> tuple[float, float]:
    """Mean and the 95% half-width 1.96·std/√n, as MAML's and RL²'s papers report."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return float("nan"), float("nan")
    half = 1.96 * v.std(ddof=0) / math.sqrt(v.size) if v.size > 1 else float("nan")
    return float(v.mean()), float(half)


def drive(
    ctx: Any,
    *,
    state: Any,
    start: int,
    total: int,
    chunk: int,
    checkpoint_every: int,
    run_chunk: Callable[[Any, int], tuple[Any, dict[str, np.ndarray]]],
    after_chunk: Callable[[int, Any, dict[str, np.ndarray]], dict[str, float]],
    save: Callable[[int, Any], None],
    desc: str,
) -> Any:
    """Run ``total`` iterations from ``start`` in scanned chunks, logging and checkpointing between them.

    ``run_chunk(state, n)`` advances ``n`` iterations and returns per-iteration figures (arrays of length
    n); ``after_chunk(last_iteration, state, figures)`` logs rows and returns figures for the bar;
    ``save(iteration, state)`` writes a checkpoint. Chunk boundaries are multiples of ``chunk`` so that a
    resumed run cuts its scans exactly where the uninterrupted run did.
    """
    from aiga.core.progress import progress

    it = start
    with progress(total, desc, initial=start) as bar:
        while it < total:
            n = min(chunk - it % chunk, total - it)
            state, figs = run_chunk(state, n)
            it += n
            shown = after_chunk(it, state, figs)
            if it // checkpoint_every > (it - n) // checkpoint_every or it == total:
                save(it, state)
            bar.update(n, **shown)
    return state


def add_train_report_parser(subparsers: Any, name: str, config_cls: type, run: Callable[..., int],
                            help: str, description: str) -> Any:
    """The command line shared by ``aiga maml`` and ``aiga rl2``: ``aiga NAME [train]`` with the run
    contract's flags and the config's, or ``aiga NAME report RUN``."""
    from aiga.cli import add_run_args
    from aiga.core.config import add_config_args

    p = subparsers.add_parser(name, help=help, description=description)
    p.add_argument("action", nargs="?", choices=("train", "report"), default="train",
                   help="train (default) or report RUN")
    p.add_argument("target", nargs="?", metavar="RUN", help="run directory (for report)")
    add_run_args(p, workers=False)
    add_config_args(p, config_cls, skip=("seed", "iterations"))
    p.set_defaults(func=run)
    return p


def report_requested(args: Any, system: str, report: Callable[[str], str]) -> bool:
    """Handle ``aiga SYSTEM report RUN`` (print the report, return True); refuse a stray RUN argument
    given to ``train`` with one clear line; return False when the command is a training run."""
    if args.action == "report":
        if not args.target:
            raise AigaError(f"usage: aiga {system} report RUN")
        print(report(args.target))
        return True
    if args.target:
        raise AigaError(f"unexpected argument {args.target!r} "
                        f"(did you mean 'aiga {system} report {args.target}'?)")
    return False
