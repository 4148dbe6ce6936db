"""The run store: atomic checkpoints, truncation on resume, digest, refusing foreign runs untouched."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from aiga.core import runstore
from aiga.core.config import AigaError, param
from aiga.core.runstore import RunStore, start_run


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    seed: int = param(0, "seed")
    iterations: int = param(5, "budget")
    rate: float = param(0.5, "a setting")


def snapshot(path: Path) -> dict[str, str]:
    """Every file under ``path`` with the SHA-256 of its bytes and its mtime."""
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() + f"@{p.stat().st_mtime_ns}"
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_checkpoint_keeps_previous_until_new_is_complete(tmp_path, monkeypatch):
    store = RunStore.create("toy", {"seed": 0}, tmp_path / "run")
    for it in (1, 2, 3):
        store.save_checkpoint(it, {"x": np.full(3, float(it))}, {"it": it})
    names = sorted(p.name for p in store.checkpoints_dir.iterdir())
    assert names == ["000000002.json", "000000002.npz", "000000003.json", "000000003.npz"]  # two kept

    # a crash after the arrays but before the metadata: the new checkpoint is invisible, the old intact
    real = runstore.atomic_write_text

    def crash(path, text):
        if str(path).endswith(".json") and "000000004" in str(path):
            raise KeyboardInterrupt("killed")
        real(path, text)

    monkeypatch.setattr(runstore, "atomic_write_text", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save_checkpoint(4, {"x": np.full(3, 4.0)}, {"it": 4})
    ck = store.load_checkpoint()
    assert ck.iteration == 3 and ck.meta == {"it": 3} and ck.arrays["x"].tolist() == [3.0, 3.0, 3.0]
    assert not list(store.checkpoints_dir.glob(".*.tmp"))  # no temporary file left behind
    store.close()


def test_corrupt_checkpoint_one_line_error_and_nothing_changed(tmp_path):
    ctx = start_run("toy", ToyConfig, run_dir=str(tmp_path / "run"))
    ctx.store.log_metrics(0, {"a": 1.0})
    ctx.store.log_metrics(1, {"a": 2.0})
    ctx.store.save_checkpoint(0, {"x": np.arange(4.0)}, {})
    ctx.store.close()
    npz = tmp_path / "run" / "checkpoints" / "000000000.npz"
    npz.write_bytes(npz.read_bytes()[:-7])  # truncated
    before = snapshot(tmp_path / "run")
    with pytest.raises(AigaError) as e:
        start_run("toy", ToyConfig, resume=str(tmp_path / "run"))
    assert "corrupt or truncated" in str(e.value) and "\n" not in str(e.value)
    assert snapshot(tmp_path / "run") == before


def test_resume_truncates_rows_after_checkpoint(tmp_path):
    ctx = start_run("toy", ToyConfig, run_dir=str(tmp_path / "run"))
    for it in range(5):
        ctx.store.log_metrics(it, {"a": float(it)})
        ctx.store.log_event(it, "thing", {"it": it})
    ctx.store.save_checkpoint(2, {"x": np.zeros(1)}, {})
    ctx.store.close()
    ctx2 = start_run("toy", ToyConfig, resume=str(tmp_path / "run"), overrides={"iterations": "9"})
    assert ctx2.resumed and ctx2.checkpoint.iteration == 2 and ctx2.config.iterations == 9
    assert [r[0] for r in ctx2.store.metrics("a")] == [0, 1, 2]
    assert [e["iteration"] for e in ctx2.store.events()] == [0, 1, 2]
    with pytest.raises(AigaError, match="cannot change rate"):
        start_run("toy", ToyConfig, resume=str(tmp_path / "run"), overrides={"rate": "0.7"})
    ctx2.store.close()


def _toy_run(path: Path, change: float = 0.0) -> str:
    ctx = start_run("toy", ToyConfig, run_dir=str(path))
    for it in range(3):
        ctx.store.log_metrics(it, {"a": float(it) + (change if it == 1 else 0.0), "b": 2.0 * it})
    ctx.store.log_event(2, "done", {"k": [1, 2]})
    ctx.store.save_checkpoint(2, {"x": np.arange(5.0)}, {"rng": {"state": 1}})
    d = ctx.store.digest()
    ctx.store.close()
    return d


def test_digest_equal_for_equal_runs_and_differs_after_one_row(tmp_path):
    d1 = _toy_run(tmp_path / "a")
    d2 = _toy_run(tmp_path / "b")  # other directory, other timestamps: same digest
    d3 = _toy_run(tmp_path / "c", change=1e-12)  # one metric row differs in its last bits
    assert d1 == d2
    assert d1 != d3
    assert len(d1) == 64 and int(d1, 16) >= 0


def test_open_refuses_another_systems_run_without_writing(tmp_path):
    _toy_run(tmp_path / "run")
    before = snapshot(tmp_path / "run")
    with pytest.raises(AigaError, match="is a toy run, not a es run"):
        RunStore.open(tmp_path / "run", "es")
    with pytest.raises(AigaError, match="not a es run"):
        start_run("es", ToyConfig, resume=str(tmp_path / "run"))
    assert snapshot(tmp_path / "run") == before
    with pytest.raises(AigaError, match="no run.sqlite"):
        RunStore.open(tmp_path, "toy")
