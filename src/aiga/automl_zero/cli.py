"""``aiga automl-zero``: run an AutoML-Zero search in a run directory, or print a run's best program.

Examples::

    aiga automl-zero                              # the demo: rediscover linear regression (minutes)
    aiga automl-zero --preset sec42 --iterations 50
    aiga automl-zero --resume runs/automl-zero-...
    aiga automl-zero --report runs/automl-zero-...   # the best program as NumPy code, and its fitness

Heavy modules (numba kernels) are imported inside ``run`` so ``aiga --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

SYSTEM = "automl-zero"


def add_parser(subparsers, name: str = SYSTEM) -> argparse.ArgumentParser:
    from aiga.automl_zero.presets import PRESETS
    from aiga.cli import add_run_args
    from aiga.core.config import add_config_args

    p = subparsers.add_parser(
        name,
        help="AutoML-Zero: evolve learning algorithms from basic maths",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--preset",
        default="demo",
        choices=sorted(PRESETS),
        help="search space and tasks (default demo, the reference's run_demo.sh)",
    )
    p.add_argument(
        "--report",
        default=None,
        metavar="DIR",
        help="print the best program of the run in DIR as Python/NumPy and its fitness; run nothing",
    )
    add_run_args(p)
    # Config flags are added lazily from the dataclass; importing it pulls numba, so keep it light:
    from aiga.automl_zero.config import AutoMLZeroConfig

    add_config_args(p, AutoMLZeroConfig, skip=("seed", "iterations"))
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    if args.report:
        return report(args.report)
    from aiga.automl_zero.config import AutoMLZeroConfig
    from aiga.automl_zero.evolution import Search
    from aiga.automl_zero.presets import preset
    from aiga.core.config import cli_overrides, replace, to_dict
    from aiga.core.progress import progress
    from aiga.core.runstore import run_status, start_run

    if args.ray:
        from aiga.core.config import AigaError

        raise AigaError("automl-zero runs its islands on local threads; --ray is not supported")
    workers = args.workers or os.cpu_count() or 1
    ctx = start_run(
        SYSTEM,
        AutoMLZeroConfig,
        resume=args.resume,
        run_dir=args.run_dir,
        preset=preset(args.preset),
        config_file=args.config,
        overrides=cli_overrides(args),
    )
    store, cfg = ctx.store, ctx.config
    if cfg.islands == 0:  # resolve "one per worker" once; the run keeps the number (results depend on it)
        cfg = replace(cfg, islands=workers)
        store.write_config(to_dict(cfg))
    search = Search(cfg, workers)
    if ctx.checkpoint is not None:
        search.load_state(ctx.checkpoint.arrays, ctx.checkpoint.meta)
    try:
        with run_status(store), progress(cfg.iterations, SYSTEM, initial=search.iteration) as bar:
            t_last, n_last = time.perf_counter(), search.individuals
            while search.iteration < cfg.iterations and not (
                cfg.stop_when_solved and search.solved_at is not None
            ):
                events = search.step()
                it = search.iteration
                m = search.metrics()
                store.log_events(it, events)
                store.log_metrics(it, m)
                now = time.perf_counter()
                speed = (search.individuals - n_last) / max(now - t_last, 1e-9)
                t_last, n_last = now, search.individuals
                store.set_info(individuals_per_s=f"{speed:.0f}")
                bar.update(
                    1,
                    **{
                        "indiv/s": round(speed),
                        "best": m["best_fitness"],
                        "select": m["best_select_fitness"],
                        "fec_hit": m["fec_hit_rate"],
                    },
                )
                for kind, data in events:
                    if kind == "solved":
                        bar.write(
                            f"solved after {data['individuals']:,} individuals: select fitness "
                            f"{data['select_fitness']:.6f}"
                        )
                    elif kind == "experiment":
                        bar.write(
                            f"no success after {cfg.experiment_individuals:,} individuals: experiment "
                            f"{data['experiment']} starts with new task seeds"
                        )
                done = it >= cfg.iterations or (cfg.stop_when_solved and search.solved_at is not None)
                if it % cfg.checkpoint_every == 0 or done:
                    arrays, meta = search.state()
                    store.save_checkpoint(it, arrays, meta)
            write_best(store, search)
    finally:
        search.close()
        store.close()
    if search.best_program is not None:
        status = "solved" if search.solved_at is not None else "not solved"
        print(
            f"{status}; best search fitness {search.best_fitness:.6f} after {search.individuals:,} "
            "individuals; "
            f"best program: {Path(store.path) / 'best_program.py'}"
        )
    return 0


def write_best(store, search) -> None:
    """The best program as readable code, its arrays and the tasks it was scored on, in the run dir."""
    import numpy as np

    from aiga.automl_zero.program import export_source
    from aiga.core.runstore import atomic_write_text

    prog = search.best_program
    if prog is None:
        return
    cfg = search.cfg
    src = export_source(
        prog,
        cfg.scalars,
        cfg.vectors,
        cfg.matrices,
        cfg.features,
        title=f"Best AutoML-Zero program of {store.path.name} (search fitness {search.best_fitness:.6f})",
        max_abs_error=cfg.max_abs_error,
        median=cfg.fitness_combination == "median",
    )
    atomic_write_text(store.path / "best_program.py", src)
    tasks = (
        search.tasks
        if search.best_experiment == search.experiment
        else search.search_tasks(search.best_experiment)
    )
    tasks.save(store.path / "best_program_tasks.npz")
    np.savez(store.path / "best_program.npz", ins=prog.ins, dat=prog.dat, sizes=np.array(prog.sizes))
    (store.media_dir / "best_program.py").write_text(src)


def report(run_dir: str) -> int:
    from aiga.automl_zero.config import AutoMLZeroConfig
    from aiga.automl_zero.evolution import evaluate
    from aiga.automl_zero.program import Program, export_source
    from aiga.core.config import AigaError, from_dict
    from aiga.core.runstore import RunStore

    with RunStore.open(run_dir, SYSTEM, readonly=True) as store:
        cfg = from_dict(AutoMLZeroConfig, store.config())
        ckpt = store.load_checkpoint()
        if ckpt is None or "best_program_ins" not in ckpt.arrays:
            raise AigaError(f"{run_dir} has no checkpoint with a best program yet")
        a = ckpt.arrays
        prog = Program(
            a["best_program_ins"].astype("int32"),
            a["best_program_dat"].astype("float64"),
            tuple(int(x) for x in a["best_program_sizes"]),
        )
        prog.validate(cfg.scalars, cfg.vectors, cfg.matrices)
        from aiga.automl_zero.evolution import experiment_tasks

        tasks = experiment_tasks(cfg, int(ckpt.meta.get("best_experiment", 0)))
        fit = evaluate(prog, cfg, tasks)[0]
    print(
        export_source(
            prog,
            cfg.scalars,
            cfg.vectors,
            cfg.matrices,
            cfg.features,
            max_abs_error=cfg.max_abs_error,
            median=cfg.fitness_combination == "median",
        )
    )
    print(f"# search fitness {fit:.6f} (iteration {ckpt.iteration})")
    return 0
