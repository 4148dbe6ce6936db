"""``aiga <command> ...``: parses arguments and calls the library; nothing else.

Each system lives in its own package with a ``cli`` module exposing ``add_parser(subparsers)``; the
registry below names them so ``aiga --help`` lists everything without importing JAX or Ray (a system's
``cli`` module imports its heavy parts only inside the function that runs it).

The contract every system's command follows (see ``add_run_args``): ``--seed``, ``--run-dir``,
``--resume``, ``--iterations``, ``--workers``, ``--ray``, ``--config FILE`` and one flag per config field.
Errors the user can fix are printed as one line (``aiga: error: ...``) with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from aiga.core.config import AigaError

#: command name -> module with ``add_parser(subparsers)``. Commands whose module is not there yet are
#: skipped, so the registry can name the whole plan.
COMMANDS: dict[str, str] = {
    "walker": "aiga.envs.walker.cli",
    "render": "aiga.envs.walker.cli_render",
    "es": "aiga.poet.cli_es",
    "poet": "aiga.poet.cli",
    "ued": "aiga.ued.cli",
    "automl-zero": "aiga.automl_zero.cli",
    "maml": "aiga.meta.cli_maml",
    "rl2": "aiga.meta.cli_rl2",
    "dashboard": "aiga.dashboard.cli",
}


def add_run_args(parser: argparse.ArgumentParser, *, workers: bool = True) -> None:
    """The flags every system's command accepts."""
    g = parser.add_argument_group("run")
    g.add_argument("--seed", dest="cfg__seed", default=None, metavar="N", help="random seed of the whole run")
    g.add_argument(
        "--iterations",
        dest="cfg__iterations",
        default=None,
        metavar="N",
        help="iteration budget: the run ends after this many (may be raised on --resume)",
    )
    g.add_argument(
        "--run-dir", default=None, metavar="DIR", help="where to write (default runs/<system>-<timestamp>)"
    )
    g.add_argument(
        "--resume", default=None, metavar="DIR", help="continue the run in DIR exactly where it stopped"
    )
    g.add_argument("--config", default=None, metavar="FILE", help="TOML file of settings (flags override it)")
    if workers:
        g.add_argument(
            "--workers",
            type=_positive_int,
            default=None,
            metavar="N",
            help="local worker processes (default: one per core; results do not depend on it)",
        )
        g.add_argument(
            "--ray",
            default=None,
            metavar="ADDRESS",
            help="run workers on a Ray cluster ('auto' or an address; needs the ray extra)",
        )


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like AigaError
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aiga", description="AI-generating algorithms: POET and its family.")
    parser.add_argument("--version", action="version", version=f"aiga {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name and (e.name == module or module.startswith(e.name + ".")):
                continue  # not built yet
            raise
        mod.add_parser(sub, name)
    d = sub.add_parser("digest", help="print a SHA-256 of a run's final state (to compare two runs)")
    d.add_argument("run", metavar="DIR")
    d.set_defaults(func=_digest)
    return parser


def _digest(args: argparse.Namespace) -> int:
    from aiga.core.runstore import RunStore

    with RunStore.open(args.run, readonly=True) as store:
        print(store.digest())
    return 0


def _version() -> str:
    from aiga import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except AigaError as e:
        print(f"aiga: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aiga: interrupted; resume with --resume DIR", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
