"""``aiga poet``: run POET or Enhanced POET; ``aiga poet report RUN``: summary and pictures of a run."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, name: str) -> None:
    from aiga.cli import add_run_args
    from aiga.core.config import add_config_args
    from aiga.poet.config import PRESET_NAMES, POETConfig

    p = sub.add_parser(
        name,
        help="POET / Enhanced POET: courses and walkers (or mazes and maze agents) that co-evolve",
        description="Run POET (default: the laptop preset, bounded by --iterations or --hours). "
        "'aiga poet report RUN' summarises a run and draws its pictures.",
    )
    p.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        default=None,
        help="paper, code, laptop (default for new runs) or smoke; flags override it",
    )
    p.add_argument(
        "--hours",
        type=_positive_float,
        default=None,
        metavar="H",
        help="stop after this much wall time (the run stays resumable)",
    )
    add_run_args(p)
    add_config_args(p, POETConfig, skip=("seed", "iterations"))
    p.set_defaults(func=_run)
    rsub = p.add_subparsers(dest="poet_command", metavar="{report}")
    r = rsub.add_parser("report", help="print a summary and write pictures into the run's media/")
    r.add_argument("run", metavar="RUN", help="a POET run directory")
    r.add_argument("--no-episodes", action="store_true", help="skip the episode animations (faster)")
    r.set_defaults(func=_report)


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return v


def _run(args: argparse.Namespace) -> int:
    from aiga.core.config import cli_overrides
    from aiga.poet.config import preset
    from aiga.poet.loop import train

    overrides = cli_overrides(args)
    variant = overrides.get("variant", "poet")
    base = None
    if args.resume is None:
        base = preset(variant, args.preset or "laptop", overrides.get("family", "walker"))
        _check_sim_applies(base, args.config, overrides)
    elif args.preset is not None:
        from aiga.core.config import AigaError

        raise AigaError("--preset cannot be combined with --resume (the run keeps its own config.toml)")
    res = train(
        resume=args.resume,
        run_dir=args.run_dir,
        preset=base,
        config_file=args.config,
        overrides=overrides,
        workers=args.workers,
        ray=args.ray,
        hours=args.hours,
    )
    print(
        f"{res.run_dir}: iteration {res.iteration}, {res.active} active niches, {res.admitted} admitted, "
        f"{res.transfers} transfers, ANNECS {res.annecs}"
    )
    print(f"see it with: aiga poet report {res.run_dir}")
    return 0


def _check_sim_applies(base: dict, config_file: str | None, overrides: dict) -> None:
    """``sim`` chooses the walker simulator: asked for on a maze run it would be stored and ignored, so a
    new run says so instead (a stored maze run keeps whatever value it was made with)."""
    from aiga.core.config import ConfigError, load_toml, merge

    given = merge(load_toml(config_file) if config_file else {}, overrides)
    if "sim" in given and merge(base, given).get("family") == "maze":
        raise ConfigError("sim chooses the walker simulator; it does not apply to --family maze")


def _report(args: argparse.Namespace) -> int:
    from aiga.poet.report import report

    print(report(args.run, episodes=not args.no_episodes))
    return 0
