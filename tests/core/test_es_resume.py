"""``aiga es`` end to end: SIGKILL at several points + resume ends bit-identical (1 and 2 workers);
a corrupt checkpoint gives one error line and changes nothing."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("aiga.envs.walker.evaluate")

from aiga.cli import main  # noqa: E402

TINY = ["--seed", "3", "--iterations", "8", "--es-pairs", "3", "--max-steps", "40", "--course", "flat"]
ENV = {**os.environ, "AIGA_PROGRESS": "0", "OMP_NUM_THREADS": "1"}


def aiga(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``aiga ARGS`` run in this process (faster than a subprocess; the kill tests use real ones)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    p = subprocess.CompletedProcess(list(args), rc, out.getvalue(), err.getvalue())
    if check and p.returncode != 0:
        raise AssertionError(f"aiga {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p


def digest(run: Path) -> str:
    return aiga("digest", str(run)).stdout.strip()


def last_checkpoint(run: Path) -> int:
    its = [int(p.stem) for p in (run / "checkpoints").glob("*.json")]
    return max(its, default=-1)


def metric_rows(run: Path, pid: int | None = None) -> int:
    """Iterations logged; with ``pid``, 0 until that process has opened the run (and, on resume,
    dropped the rows past its checkpoint)."""
    try:
        with sqlite3.connect(f"file:{run / 'run.sqlite'}?mode=ro", uri=True) as c:
            if pid is not None and c.execute("SELECT value FROM info WHERE key = 'pid'").fetchone() != (str(pid),):
                return 0
            return c.execute("SELECT COUNT(DISTINCT iteration) FROM metrics").fetchone()[0]
    except sqlite3.Error:
        return 0


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_when(args: list[str], run: Path, after_iterations: int, delay: float) -> None:
    """Start ``aiga es``; SIGKILL it ``delay`` s after ``after_iterations`` iterations have been logged;
    its worker processes must then leave by themselves."""
    p = subprocess.Popen([sys.executable, "-m", "aiga.cli", *args], env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_end = time.time() + 120
    while time.time() < t_end and p.poll() is None and metric_rows(run, p.pid) < after_iterations:
        time.sleep(0.01)
    time.sleep(delay)
    workers = children(p.pid)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL, f"finished before it could be killed: {p.stderr.read().decode()}"
    t_end = time.time() + 10
    while time.time() < t_end and any(alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(alive(w) for w in workers), "orphaned worker processes outlived the killed run"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> str:
    run = tmp_path_factory.mktemp("ref") / "run"
    aiga("es", *TINY, "--workers", "1", "--run-dir", str(run))
    assert metric_rows(run) == 8 and last_checkpoint(run) == 7
    return digest(run)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigkill_and_resume_is_bit_identical(tmp_path, reference, workers):
    run = tmp_path / "run"
    first = ["es", *TINY, "--workers", workers, "--run-dir", str(run)]
    kill_when(first, run, after_iterations=1, delay=0.0)  # just after a checkpoint
    for after, delay in ((3, 0.02), (5, 0.005)):  # somewhere inside later iterations
        kill_when(["es", "--resume", str(run), "--workers", workers], run, after, delay)
    aiga("es", "--resume", str(run), "--workers", workers)
    assert metric_rows(run) == 8
    assert digest(run) == reference


def test_uninterrupted_digest_independent_of_worker_count(tmp_path, reference):
    run = tmp_path / "run"
    aiga("es", *TINY, "--workers", "2", "--run-dir", str(run))
    assert digest(run) == reference
    # a different seed is a different run
    other = tmp_path / "other"
    aiga("es", *TINY[:1], "4", *TINY[2:], "--workers", "1", "--run-dir", str(other))
    assert digest(other) != reference


def test_corrupt_checkpoint_one_line_and_nothing_changed(tmp_path):
    run = tmp_path / "run"
    aiga("es", *TINY, "--iterations", "2", "--workers", "1", "--run-dir", str(run))
    npz = run / "checkpoints" / "000000001.npz"
    npz.write_bytes(npz.read_bytes()[:100])
    before = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in run.rglob("*") if p.is_file()}
    p = aiga("es", "--resume", str(run), "--iterations", "4", check=False)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aiga: error:") and "000000001.npz" in lines[0]
    after = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in run.rglob("*") if p.is_file()}
    assert after == before


def test_bad_flags_are_one_line_errors(tmp_path):
    p = aiga("es", "--course", "nowhere", "--run-dir", str(tmp_path / "r"), check=False)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--course" in p.stderr
    p = aiga("es", "--course-roughness", "11", "--run-dir", str(tmp_path / "r"), check=False)
    assert p.returncode == 2 and "roughness" in p.stderr and p.stderr.count("\n") == 1
    assert not (tmp_path / "r").exists()
