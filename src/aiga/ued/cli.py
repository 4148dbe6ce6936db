"""``aiga ued --method paired|plr|accel|dr [--family maze|walker]``: run unsupervised environment design.

Also ``aiga ued --preset smoke`` (a seconds-long run of every code path) and ``aiga ued --report DIR``
(pictures of a finished or running run into ``DIR/media``). JAX is imported only inside ``run``.
"""

from __future__ import annotations

import argparse

from aiga.core.config import add_config_args, cli_overrides


def add_parser(subparsers, name: str) -> argparse.ArgumentParser:
    from aiga.cli import add_run_args
    from aiga.ued.config import UEDConfig

    p = subparsers.add_parser(name, help="PAIRED, robust PLR, ACCEL and domain randomisation on mazes (JAX)",
                              description=__doc__)
    add_run_args(p)  # --workers/--ray matter for --family walker (ES rollouts); mazes run in one JAX process
    p.add_argument("--preset", choices=("reference", "smoke"), default="reference",
                   help="reference: the references' settings (small budget); smoke: a tiny end-to-end run")
    p.add_argument("--report", default=None, metavar="DIR", help="write pictures of the run in DIR and exit")
    add_config_args(p, UEDConfig, skip=("seed", "iterations"))
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    if args.report:
        from aiga.ued.report import write_report

        for path in write_report(args.report):
            print(path)
        return 0

    from aiga.core.config import AigaError
    from aiga.core.runstore import run_status, start_run
    from aiga.ued.config import PRESETS, SMOKE, UEDConfig

    overrides = cli_overrides(args)
    method = overrides.get("method", "accel")
    if method not in PRESETS:
        raise AigaError(f"--method must be one of {', '.join(PRESETS)}; got {method!r}")
    preset = dict(PRESETS[method])
    if args.preset == "smoke":
        preset.update(SMOKE)
    ctx = start_run("ued", UEDConfig, resume=args.resume, run_dir=args.run_dir, preset=preset,
                    config_file=args.config, overrides=overrides)
    cfg = ctx.config
    with ctx.store, run_status(ctx.store):
        if cfg.family == "walker":
            from aiga.ued.walker import train_walker

            last = train_walker(ctx, args.workers if args.workers is not None else 1, args.ray)
        else:
            from aiga.ued.run import train

            last = train(ctx)
    print(f"run: {ctx.store.path}")
    for k in ("train/return", "regret/true", "heldout/mean/solve_rate"):
        if k in last:
            print(f"{k}: {last[k]:.3f}")
    return 0
