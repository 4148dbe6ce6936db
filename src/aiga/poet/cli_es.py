"""``aiga es``: train one walker on one course with POET's ES (the paper's direct-optimisation baseline).

Wang et al. 2019 (POET), "ES from scratch" on a target course; the loop is ``aiga.poet.direct_es`` and
the options mirror uber-research/poet's ``master.py`` ES flags (see docs/es.md).

Examples::

    aiga es --course flat                         # until --iterations (default 1000)
    aiga es --course hard --workers 8 --stop-score 230
    aiga es --course my_course.toml --course-seed 7 --es-pairs 64
    aiga es --resume runs/es-20261129-081500 --iterations 3000

Heavy modules (the simulator, the worker pool) are imported only inside ``run``.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    from aiga.cli import add_run_args
    from aiga.core.config import add_config_args
    from aiga.poet.direct_es import COURSES, DirectESConfig

    p = subparsers.add_parser(
        name,
        help="train one agent on one course with POET's ES (direct optimisation baseline)",
        description="Train one walker on one obstacle course with POET's OpenAI-ES, writing a resumable "
                    "run directory (metrics, checkpoints). The course comes from --course and the "
                    "--course-* flags.",
    )
    add_run_args(p)
    p.add_argument("--course", default=None, metavar="|".join(COURSES) + "|FILE.toml",
                   help="start from a named course or a TOML table of course params (default flat); "
                        "--course-* flags override its fields")
    add_config_args(p, DirectESConfig, skip=("seed", "iterations"))
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from aiga.core.config import AigaError, cli_overrides
    from aiga.poet.direct_es import course_preset, train

    if args.resume is not None and args.course is not None:
        raise AigaError("--course cannot be combined with --resume (the run keeps its own course)")
    result = train(
        resume=args.resume,
        run_dir=args.run_dir,
        preset=course_preset(args.course),
        config_file=args.config,
        overrides=cli_overrides(args),
        workers=args.workers,
        ray=args.ray,
    )
    status = "reached the stop score" if result.reached else "stopped at the iteration budget"
    print(f"{result.run_dir}: {result.iterations_done} iterations, score {result.score:.2f} "
          f"(best {result.best_score:.2f}); {status}", file=sys.stdout)
    return 0
