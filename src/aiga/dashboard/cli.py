"""``aiga dashboard [RUNS_DIR]``: serve the dashboard over a directory of runs (default ``runs``).

Read-only over the runs (it writes only its picture cache in each run's ``media/dashboard/``), bound to
127.0.0.1 unless ``--host`` says otherwise; prints its URL and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, name: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help="web app over run directories (read-only): runs, curves, courses, agents",
                       description="Serve a local web page over the runs in RUNS_DIR (or one run directory): "
                                   "the runs list and each run's page, updating while runs go on.")
    p.add_argument("runs_dir", nargs="?", default="runs", metavar="RUNS_DIR",
                   help="directory of run directories, or one run directory (default: runs)")
    p.add_argument("--port", type=int, default=None, metavar="N",
                   help="port to listen on (default: 8765 if free, else any free port; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--stale-after", type=float, default=900.0, metavar="SECONDS",
                   help="a 'running' run without a heartbeat for this long is shown as stopped (default 900)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    import os

    from aiga.core.config import AigaError
    from aiga.dashboard.server import make_server

    if args.port is not None and not 0 <= args.port <= 65535:
        raise AigaError(f"--port must be in [0, 65535], got {args.port}")
    os.environ.setdefault("AIGA_PROGRESS", "0")  # episodes drawn for the page print no progress bars
    server = make_server(args.runs_dir, args.host, args.port, stale_after=args.stale_after,
                         quiet=not args.verbose)
    print(f"aiga dashboard: {os.path.abspath(args.runs_dir)} at {server.url}  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
