"""Helpers for end-to-end tests of commands that write run directories: run ``aiga`` in a subprocess,
kill it with SIGKILL at chosen points, compare digests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ENV = {**os.environ, "AIGA_PROGRESS": "0", "OMP_NUM_THREADS": "1"}


WALKER_COMMANDS = ("es", "poet", "render")
_fast_sim_ready = False


def warm_fast_sim() -> None:
    """Compile the walker's fast simulator here, once, so that its numba cache is on disk before a command
    that simulates walkers (``fast`` is their default) runs: otherwise the first such subprocess, and each
    of its workers at once, would compile it (minutes) under the test's timeout."""
    global _fast_sim_ready
    if not _fast_sim_ready:
        from aiga.envs.walker.fast_sim import warm_up

        warm_up()
        _fast_sim_ready = True


def _warm_for(args) -> None:
    if args and args[0] in WALKER_COMMANDS and "--family" not in args:
        warm_fast_sim()


def aiga(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    _warm_for(args)
    p = subprocess.run(
        [sys.executable, "-m", "aiga.cli", *args], capture_output=True, text=True, env=ENV, timeout=timeout
    )
    if check and p.returncode != 0:
        raise AssertionError(f"aiga {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def digest(run: Path) -> str:
    return aiga("digest", str(run)).stdout.strip()


def last_checkpoint(run: Path) -> int:
    its = [int(p.stem) for p in (run / "checkpoints").glob("*.json")]
    return max(its, default=-1)


def metric_rows(run: Path) -> int:
    """How many iterations have metrics rows (0 while the database does not exist yet)."""
    try:
        with sqlite3.connect(f"file:{run / 'run.sqlite'}?mode=ro", uri=True) as c:
            return c.execute("SELECT COUNT(DISTINCT iteration) FROM metrics").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_when(args: list[str], run: Path, after_iterations: int, delay: float, timeout: float = 120) -> None:
    """Start ``aiga ARGS``; SIGKILL it ``delay`` s after ``after_iterations`` iterations have been logged."""
    _warm_for(args)
    p = subprocess.Popen(
        [sys.executable, "-m", "aiga.cli", *args], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    t_end = time.time() + timeout
    while time.time() < t_end and p.poll() is None and metric_rows(run) < after_iterations:
        time.sleep(0.01)
    time.sleep(delay)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode in (0, -signal.SIGKILL), p.stderr.read().decode()


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (to show a failed command changed nothing)."""
    import hashlib

    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}
