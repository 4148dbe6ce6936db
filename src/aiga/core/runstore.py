"""The run directory: what makes a long run safe to kill, resume, compare and look at.

Layout of ``runs/<system>-<timestamp>/``::

    config.toml        the resolved configuration (preset + file + flags), validated
    run.sqlite         info (system, status, heartbeat), metrics by iteration, events (JSON payloads)
    checkpoints/       <iteration>.npz (arrays) + <iteration>.json (metadata, RNG states, npz checksum)
    media/             pictures and animations written by reports and the dashboard

Why it is built this way:

* Checkpoints are written to a temporary file, fsynced and renamed, the arrays first and the JSON (which
  carries the arrays' SHA-256) last; a checkpoint exists only once its JSON exists, so a SIGKILL at any
  moment leaves the previous complete checkpoint in place. Two are kept.
* Metrics and events rows carry the iteration they belong to. A run checkpoints the state *after*
  iteration ``t`` only after committing the rows of ``t``; on resume every row past the checkpoint's
  iteration is deleted and recomputed, so the database of a resumed run equals that of an uninterrupted
  one row for row (``digest`` checks it).
* No pickle: ``np.load(allow_pickle=False)`` and JSON only, so a checkpoint from elsewhere cannot run code.
* Opening a run validates everything (system, database, config, checkpoint checksum) before anything is
  written, so bad input changes nothing on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import socket
import sqlite3
import struct
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aiga.core.config import AigaError, dumps_toml, load_toml

SCHEMA_VERSION = 1
KEEP_CHECKPOINTS = 2
_CKPT_RE = re.compile(r"^(\d{9})\.json$")


# ------------------------------------------------------------------------------------------ files


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets us open a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old content or all of the new, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode())


def arrays_to_npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    for k, v in arrays.items():
        if not isinstance(v, np.ndarray) or v.dtype == object:
            raise TypeError(f"checkpoint array {k!r} must be a numeric numpy array")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npz_bytes_to_arrays(data: bytes, where: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise AigaError(f"{where} is not a readable array file ({e})") from None


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True)


# ------------------------------------------------------------------------------------------ store


@dataclass(frozen=True)
class Checkpoint:
    iteration: int
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]


class RunStore:
    """One run directory. Create with ``RunStore.create``, reopen with ``RunStore.open``."""

    def __init__(self, path: Path, conn: sqlite3.Connection, system: str) -> None:
        self.path = path
        self.system = system
        self._conn = conn

    # -------------------------------------------------------------- opening

    @staticmethod
    def default_dir(system: str, root: str | os.PathLike[str] = "runs") -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(root) / f"{system}-{stamp}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return path

    @classmethod
    def create(
        cls, system: str, config: dict[str, Any], run_dir: str | os.PathLike[str] | None = None
    ) -> RunStore:
        """Make a fresh run directory; refuses one that already holds anything."""
        path = Path(run_dir) if run_dir is not None else cls.default_dir(system)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise AigaError(
                f"run directory {path} already exists and is not empty; use --resume {path} to continue it"
            )
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AigaError(f"cannot create run directory {path}: {e.strerror}") from None
        (path / "checkpoints").mkdir(exist_ok=True)
        (path / "media").mkdir(exist_ok=True)
        atomic_write_text(path / "config.toml", dumps_toml(config))
        conn = sqlite3.connect(path / "run.sqlite", isolation_level=None, timeout=30)
        _init_db(conn)
        now = time.time()
        with _tx(conn):
            for k, v in {
                "system": system,
                "schema": str(SCHEMA_VERSION),
                "created": f"{now:.3f}",
                "status": "running",
                "heartbeat": f"{now:.3f}",
                "pid": str(os.getpid()),
                "host": socket.gethostname(),
            }.items():
                conn.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (k, v))
        return cls(path, conn, system)

    @classmethod
    def open(
        cls, run_dir: str | os.PathLike[str], system: str | None = None, readonly: bool = False
    ) -> RunStore:
        """Open an existing run, checking it is a run of ``system`` with a readable database and config."""
        path = Path(run_dir)
        if not path.is_dir():
            raise AigaError(f"run directory {path} does not exist")
        db = path / "run.sqlite"
        if not db.is_file():
            raise AigaError(f"{path} is not an aiga run directory (no run.sqlite)")
        mode = "ro" if readonly else "rw"
        if readonly and not db.with_name(db.name + "-wal").exists():
            # No writer has it open (SQLite removes -wal when the last one closes). A read-only open of a
            # WAL database would create -wal and -shm files in the run; an immutable one writes nothing.
            mode = "ro&immutable=1"
        conn = None
        try:
            conn = sqlite3.connect(
                f"file:{db.resolve()}?mode={mode}", uri=True, isolation_level=None, timeout=30
            )
            rows = dict(conn.execute("SELECT key, value FROM info").fetchall())
            return cls(path, conn, cls._check_info(path, db, rows, system))
        except sqlite3.DatabaseError as e:
            if conn is not None:
                conn.close()
            raise AigaError(f"{db} is not a readable run database ({e})") from None
        except BaseException:
            if conn is not None:  # close before refusing, so SQLite's -wal/-shm files go away again
                conn.close()
            raise

    @staticmethod
    def _check_info(path: Path, db: Path, rows: dict[str, str], system: str | None) -> str:
        found = rows.get("system")
        if found is None:
            raise AigaError(f"{db} has no system recorded; not an aiga run directory")
        if system is not None and found != system:
            raise AigaError(f"{path} is a {found} run, not a {system} run")
        if int(rows.get("schema", "0")) > SCHEMA_VERSION:
            raise AigaError(
                f"{path} was written by a newer aiga (schema {rows['schema']}); upgrade aiga to read it"
            )
        if not (path / "config.toml").is_file():
            raise AigaError(f"{path} has no config.toml")
        return found

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -------------------------------------------------------------- paths and info

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def media_dir(self) -> Path:
        d = self.path / "media"
        d.mkdir(exist_ok=True)
        return d

    def config(self) -> dict[str, Any]:
        return load_toml(self.path / "config.toml")

    def write_config(self, config: dict[str, Any]) -> None:
        atomic_write_text(self.path / "config.toml", dumps_toml(config))

    def info(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM info").fetchall())

    def set_info(self, **values: Any) -> None:
        with _tx(self._conn):
            for k, v in values.items():
                self._conn.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (k, str(v)))

    def set_status(self, status: str) -> None:
        """``running``, ``finished`` or ``stopped``.

        A killed run stays ``running`` with a stale heartbeat."""
        self.set_info(status=status, heartbeat=f"{time.time():.3f}", pid=os.getpid())

    # -------------------------------------------------------------- metrics and events

    def log_metrics(self, iteration: int, values: dict[str, float]) -> None:
        """Record figures of one iteration (names like ``score/niche_3``); replaces same-name rows."""
        rows = [(int(iteration), str(k), float(v)) for k, v in values.items()]
        with _tx(self._conn):
            self._conn.executemany("INSERT OR REPLACE INTO metrics VALUES (?, ?, ?)", rows)
            self._conn.execute("INSERT OR REPLACE INTO info VALUES ('heartbeat', ?)", (f"{time.time():.3f}",))

    def log_event(self, iteration: int, kind: str, data: dict[str, Any]) -> None:
        """Record something that happened (``admitted``, ``transfer``...). ``data`` must be JSON and
        deterministic (no timestamps: the wall time is stored beside it and left out of ``digest``)."""
        self.log_events(iteration, [(kind, data)])

    def log_events(self, iteration: int, events: list[tuple[str, dict[str, Any]]]) -> None:
        now = time.time()
        with _tx(self._conn):
            self._conn.executemany(
                "INSERT INTO events (iteration, kind, data, time) VALUES (?, ?, ?, ?)",
                [(int(iteration), kind, canonical_json(data), now) for kind, data in events],
            )

    def metrics(self, name: str | None = None, prefix: str | None = None) -> list[tuple[int, str, float]]:
        q, p = "SELECT iteration, name, value FROM metrics", []
        if name is not None:
            q, p = q + " WHERE name = ?", [name]
        elif prefix is not None:
            q, p = q + " WHERE name >= ? AND name < ?", [prefix, prefix + "\uffff"]
        return self._conn.execute(q + " ORDER BY iteration, name", p).fetchall()

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.metrics(name=name)
        return np.array([r[0] for r in rows], dtype=np.int64), np.array(
            [r[2] for r in rows], dtype=np.float64
        )

    def events(
        self,
        kind: str | None = None,
        *,
        kinds: tuple[str, ...] | None = None,
        after_seq: int = 0,
        until_seq: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events in order, optionally of one ``kind`` (or any of ``kinds``) and only those with sequence
        numbers in ``(after_seq, until_seq]`` (readers that poll a live run read just what is new)."""
        q, p = "SELECT seq, iteration, kind, data, time FROM events WHERE seq > ?", [int(after_seq)]
        if until_seq is not None:
            q, p = q + " AND seq <= ?", [*p, int(until_seq)]
        wanted = (kind,) if kind is not None else kinds
        if wanted is not None:
            q, p = q + f" AND kind IN ({','.join('?' * len(wanted))})", [*p, *wanted]
        out = []
        for seq, it, k, data, t in self._conn.execute(q + " ORDER BY seq", p):
            out.append({"seq": seq, "iteration": it, "kind": k, "data": json.loads(data), "time": t})
        return out

    def last_event_seq(self) -> int:
        row = self._conn.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def latest(self, name: str) -> float | None:
        """The value of metric ``name`` at the last iteration that logged it."""
        row = self._conn.execute(
            "SELECT value FROM metrics WHERE name = ? ORDER BY iteration DESC LIMIT 1", (name,)
        ).fetchone()
        return None if row is None else float(row[0])

    def last_iteration(self) -> int | None:
        row = self._conn.execute("SELECT MAX(iteration) FROM metrics").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def truncate_after(self, iteration: int) -> None:
        """Forget every row logged after ``iteration`` (they are recomputed identically on resume)."""
        with _tx(self._conn):
            self._conn.execute("DELETE FROM metrics WHERE iteration > ?", (iteration,))
            self._conn.execute("DELETE FROM events WHERE iteration > ?", (iteration,))

    # -------------------------------------------------------------- checkpoints

    def save_checkpoint(self, iteration: int, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Atomically write the state after ``iteration``; keep the previous one until this is complete."""
        blob = arrays_to_npz_bytes(arrays)
        stem = f"{int(iteration):09d}"
        atomic_write_bytes(self.checkpoints_dir / f"{stem}.npz", blob)
        record = {
            "system": self.system,
            "iteration": int(iteration),
            "npz_sha256": hashlib.sha256(blob).hexdigest(),
            "meta": meta,
        }
        atomic_write_text(self.checkpoints_dir / f"{stem}.json", canonical_json(record))
        for old in self._checkpoint_iterations()[:-KEEP_CHECKPOINTS]:
            for ext in (".json", ".npz"):  # json first: a half-deleted checkpoint is then invisible
                with contextlib.suppress(FileNotFoundError):
                    (self.checkpoints_dir / f"{old:09d}{ext}").unlink()

    def _checkpoint_iterations(self) -> list[int]:
        if not self.checkpoints_dir.is_dir():
            return []
        its = [int(m.group(1)) for p in self.checkpoints_dir.iterdir() if (m := _CKPT_RE.match(p.name))]
        return sorted(its)

    def load_checkpoint(self, iteration: int | None = None) -> Checkpoint | None:
        """The newest complete checkpoint (or the given one); ``None`` if the run has none yet.

        A checkpoint whose files are damaged raises ``AigaError`` naming the file; nothing is changed.
        """
        its = self._checkpoint_iterations()
        if not its:
            return None
        it = its[-1] if iteration is None else iteration
        jpath = self.checkpoints_dir / f"{it:09d}.json"
        npath = self.checkpoints_dir / f"{it:09d}.npz"
        try:
            record = json.loads(jpath.read_text())
            expected = record["npz_sha256"]
            meta = record["meta"]
            if record.get("system") != self.system or int(record["iteration"]) != it:
                raise ValueError("it belongs to another run")
        except FileNotFoundError:
            raise AigaError(f"checkpoint {jpath} does not exist") from None
        except (ValueError, KeyError, TypeError) as e:
            raise AigaError(f"checkpoint {jpath} is corrupt ({e})") from None
        try:
            blob = npath.read_bytes()
        except FileNotFoundError:
            raise AigaError(f"checkpoint {npath} is missing though {jpath.name} names it") from None
        if hashlib.sha256(blob).hexdigest() != expected:
            raise AigaError(
                f"checkpoint {npath} is corrupt or truncated (checksum mismatch); "
                f"move it and {jpath.name} away to resume from the previous one"
            )
        return Checkpoint(it, npz_bytes_to_arrays(blob, str(npath)), meta)

    # -------------------------------------------------------------- digest

    def digest(self) -> str:
        """SHA-256 over the final state: latest checkpoint (arrays, metadata, RNG states), metric rows and
        events, in order, without wall-clock times. Two runs with equal digests ended identically."""
        h = hashlib.sha256()
        h.update(f"system={self.system}\n".encode())
        ckpt = self.load_checkpoint()
        if ckpt is not None:
            h.update(f"checkpoint={ckpt.iteration}\n".encode())
            for k in sorted(ckpt.arrays):
                a = np.ascontiguousarray(ckpt.arrays[k])
                h.update(f"{k}|{a.dtype.str}|{a.shape}\n".encode())
                h.update(a.tobytes())
            h.update(canonical_json(ckpt.meta).encode())
        for it, name, value in self._conn.execute(
            "SELECT iteration, name, value FROM metrics ORDER BY iteration, name"
        ):
            h.update(struct.pack("<q", it) + name.encode() + b"\0" + struct.pack("<d", value))
        for it, kind, data in self._conn.execute("SELECT iteration, kind, data FROM events ORDER BY seq"):
            h.update(struct.pack("<q", it) + kind.encode() + b"\0" + data.encode() + b"\n")
        return h.hexdigest()


def _init_db(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    with _tx(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS metrics (iteration INTEGER, name TEXT, value REAL, "
            "PRIMARY KEY (iteration, name)) WITHOUT ROWID"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, iteration INTEGER, "
            "kind TEXT, data TEXT, time REAL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS events_kind ON events (kind, iteration)")
        conn.execute("CREATE INDEX IF NOT EXISTS metrics_name ON metrics (name, iteration)")


@contextlib.contextmanager
def _tx(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ------------------------------------------------------------------------------------------ contract


@dataclass
class RunContext:
    """What a system's command gets back from ``start_run``: the store, the validated config, and the
    checkpoint to continue from (``None`` for a fresh run)."""

    store: RunStore
    config: Any
    checkpoint: Checkpoint | None
    resumed: bool


def start_run(
    system: str,
    config_cls: type,
    *,
    resume: str | None = None,
    run_dir: str | None = None,
    preset: dict[str, Any] | None = None,
    config_file: str | None = None,
    overrides: dict[str, Any] | None = None,
    resumable_overrides: tuple[str, ...] = ("iterations",),
) -> RunContext:
    """Create a run, or reopen one for ``--resume``, validating everything before writing anything.

    On resume the configuration comes from the run's own ``config.toml``; only the fields in
    ``resumable_overrides`` (the budget) may be changed, since anything else would make the resumed run
    differ from an uninterrupted one.
    """
    from aiga.core.config import ConfigError, from_dict, merge, resolve_config, to_dict

    overrides = dict(overrides or {})
    if resume is not None:
        if run_dir is not None:
            raise AigaError("give either --resume DIR or --run-dir DIR, not both")
        if config_file is not None:
            raise AigaError("--config cannot be combined with --resume (the run keeps its own config.toml)")
        store = RunStore.open(resume, system)
        try:
            saved = from_dict(config_cls, store.config())
        except ConfigError as e:
            store.close()
            raise AigaError(f"{store.path / 'config.toml'} no longer validates: {e}") from None
        changes = {}
        for k, v in overrides.items():
            new = from_dict(config_cls, merge(to_dict(saved), {k: v}))
            if getattr(new, k) == getattr(saved, k):
                continue
            if k not in resumable_overrides:
                store.close()
                raise AigaError(
                    f"cannot change {k} when resuming (the run was made with {getattr(saved, k)!r})"
                )
            changes[k] = v
        cfg = from_dict(config_cls, merge(to_dict(saved), changes)) if changes else saved
        try:
            ckpt = store.load_checkpoint()
        except AigaError:
            store.close()
            raise
        # Everything is valid: from here on we write.
        if changes:
            store.write_config(to_dict(cfg))
        store.truncate_after(ckpt.iteration if ckpt is not None else -(2**62))
        store.set_status("running")
        return RunContext(store, cfg, ckpt, True)
    cfg = resolve_config(config_cls, preset, config_file, overrides)
    store = RunStore.create(system, to_dict(cfg), run_dir)
    return RunContext(store, cfg, None, False)


@contextlib.contextmanager
def run_status(store: RunStore) -> Iterator[None]:
    """Mark the run ``finished`` when the body completes, ``stopped`` when interrupted or failing."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            store.set_status("stopped")
        raise
    store.set_status("finished")
