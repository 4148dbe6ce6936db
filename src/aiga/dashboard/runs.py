"""Finding and summarising run directories, read-only.

Reading never writes: the database is opened with ``RunStore.open(readonly=True)`` (immutable when no
writer has it open, so SQLite leaves no -wal/-shm files behind) and nothing else in a run is touched
except the media cache the server writes under ``media/dashboard/``.

A run's recorded status is what its process last wrote. A process killed by SIGKILL or a power cut never
writes ``stopped``, so a ``running`` run is shown as ``stopped`` when its process is gone (same host) or
its heartbeat (written with every iteration's metrics) is older than ``stale_after`` seconds.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

from aiga.core.config import AigaError
from aiga.core.runstore import RunStore

STALE_AFTER = 900.0  # seconds without a heartbeat before a 'running' run counts as stopped


def find_runs(root: Path) -> dict[str, Path]:
    """Run name -> resolved directory. ``root`` is a directory of runs, or one run itself.

    Only directories directly inside ``root`` count (hidden ones and symlinks leading out of ``root``
    are left out), so a run name can never reach a file outside it.
    """
    root = root.resolve()
    if (root / "run.sqlite").exists() or (root / "config.toml").exists():
        return {root.name: root}
    out: dict[str, Path] = {}
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return out
    for p in entries:
        if p.name.startswith("."):
            continue
        try:
            real = p.resolve()
            if real.parent != root or not real.is_dir():
                continue
        except (OSError, RuntimeError):  # dangling or looping links
            continue
        out[p.name] = real
    return out


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def effective_status(info: dict[str, str], now: float | None = None, stale_after: float = STALE_AFTER
                     ) -> tuple[str, str]:
    """(status, why) where status is running / finished / stopped."""
    status = info.get("status", "unknown")
    if status != "running":
        return status, ""
    now = time.time() if now is None else now
    try:
        pid = int(info.get("pid", ""))
    except ValueError:
        pid = None
    if pid is not None and info.get("host") == socket.gethostname() and not pid_alive(pid):
        return "stopped", f"its process {pid} is gone"
    try:
        age = now - float(info.get("heartbeat", "nan"))
    except ValueError:
        age = float("nan")
    if not age <= stale_after:  # also when the heartbeat is missing
        return "stopped", f"no heartbeat for {_duration(age)}"
    return "running", ""


def _duration(s: float) -> str:
    if s != s:
        return "ever (none recorded)"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def summarise(name: str, path: Path, stale_after: float = STALE_AFTER) -> dict[str, Any]:
    """One row of the runs list; a run that cannot be read gets ``status='unreadable'`` and ``error``."""
    from aiga.dashboard.pages import get_page

    row: dict[str, Any] = {"name": name, "system": None, "status": "unreadable", "why": "", "started": None,
                           "iterations": None, "budget": None, "key_figure": "", "page": None, "error": None}
    try:
        with RunStore.open(path, readonly=True) as store:
            info = store.info()
            row["system"] = store.system
            row["started"] = _float(info.get("created"))
            row["status"], row["why"] = effective_status(info, stale_after=stale_after)
            last = store.last_iteration()
            row["iterations"] = 0 if last is None else last + 1
            page = get_page(store.system)
            row["page"] = page.title if page is not None else None
            row["budget"] = store.config().get("iterations")
            if page is not None:
                row["key_figure"] = page.key_figure(store)
    except AigaError as e:
        row["error"] = str(e)
    except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as e:
        row["error"] = f"{path.name} cannot be read ({type(e).__name__}: {e})"
    return row


def _float(v: str | None) -> float | None:
    try:
        return None if v is None else float(v)
    except ValueError:
        return None
