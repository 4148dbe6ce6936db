"""Half-written, corrupt and unknown-system run directories give a clear message, never a server error."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from aiga.core.runstore import RunStore


def _make_bad_runs(root: Path, made_runs: dict[str, Path]) -> None:
    (root / "empty").mkdir()
    (root / "half").mkdir()  # the moment between mkdir and the database
    (root / "half" / "config.toml").write_text("seed = 0\n")
    shutil.copytree(made_runs["es1"], root / "corrupt-db")
    (root / "corrupt-db" / "run.sqlite").write_bytes(b"this is not a database" * 100)
    shutil.copytree(made_runs["es1"], root / "bad-config")
    (root / "bad-config" / "config.toml").write_text("seed = [unclosed\n")
    shutil.copytree(made_runs["poet1"], root / "bad-checkpoint")
    for npz in (root / "bad-checkpoint" / "checkpoints").glob("*.npz"):
        npz.write_bytes(npz.read_bytes()[:100])  # truncated: checksum mismatch
    shutil.copytree(made_runs["poet1"], root / "bad-meta")
    for js in (root / "bad-meta" / "checkpoints").glob("*.json"):
        js.write_text("{not json")
    with RunStore.create("martian", {"seed": 0, "iterations": 5}, root / "unknown") as s:
        s.log_metrics(0, {"fitness": 1.0, "size": 3.0})
        s.log_metrics(1, {"fitness": 2.0, "size": 4.0})
        s.set_status("finished")
    with RunStore.create("poet", {"seed": 0, "iterations": 5}, root / "fresh-poet") as s:
        s.set_status("finished")


EXPECT = {  # run -> words the message must contain
    "empty": "no run.sqlite",
    "half": "no run.sqlite",
    "corrupt-db": "not a readable run database",
    "bad-config": "config.toml",
    "bad-checkpoint": "checksum mismatch",
    "bad-meta": "is corrupt",
    "fresh-poet": "has not finished its first iteration",
}


@pytest.fixture(scope="module")
def bad(made_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, client_cls):
    from aiga.dashboard.server import make_server

    root = tmp_path_factory.mktemp("bad-runs")
    _make_bad_runs(root, made_runs)
    srv = make_server(root, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield client_cls("127.0.0.1", srv.server_address[1])
    finally:
        srv.shutdown()
        srv.server_close()


def test_runs_list_shows_every_bad_run(bad):
    rows = {r["name"]: r for r in bad.json("/api/runs")["runs"]}
    assert set(rows) == set(EXPECT) | {"unknown"}
    for name in ("empty", "half", "corrupt-db"):
        assert rows[name]["status"] == "unreadable" and EXPECT[name] in rows[name]["error"], rows[name]
    assert rows["bad-config"]["status"] == "finished" and "config.toml" in rows["bad-config"]["error"]
    assert rows["unknown"]["system"] == "martian" and rows["unknown"]["iterations"] == 2
    assert rows["bad-checkpoint"]["status"] == "finished"  # the database is fine; only the page says more


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_bad_run_page_is_a_message(bad, name):
    page = bad.json(f"/api/runs/{name}")  # 200, never 500
    texts = [p["text"] for p in page["panels"] if p["type"] == "message"]
    assert any(EXPECT[name] in t for t in texts), texts


def test_damaged_checkpoint_still_shows_the_curves(bad):
    page = bad.json("/api/runs/bad-checkpoint")
    assert {p.get("id") for p in page["panels"] if p["type"] == "chart"} == {"annecs", "scores"}
    assert not [p for p in page["panels"] if p["type"] == "tree"]
    assert bad.request("/api/runs/bad-checkpoint/render/course-n1.png")[0] == 404


def test_unknown_system_gets_the_generic_page(bad):
    page = bad.json("/api/runs/unknown")
    assert "No dashboard page is registered for system 'martian'" in page["panels"][0]["text"]
    charts = {p["title"]: p["series"][0] for p in page["panels"] if p["type"] == "chart"}
    assert charts["fitness"]["y"] == [1.0, 2.0] and charts["size"]["x"] == [0, 1]
    assert bad.request("/api/runs/unknown/render/anything.png")[0] == 404
