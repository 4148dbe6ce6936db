"""Every endpoint of the dashboard on small real runs, checked against the run store read directly."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from aiga.core.runstore import RunStore


def _panel(page: dict, ptype: str, pid: str | None = None) -> dict:
    found = [p for p in page["panels"] if p["type"] == ptype and (pid is None or p.get("id") == pid)]
    assert found, f"no {ptype} panel {pid or ''} in {[p['type'] for p in page['panels']]}"
    return found[0]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` except the media cache, with size and mtime."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "dashboard" not in p.relative_to(root).parts:
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def test_runs_list(server, made_runs):
    client, _ = server
    data = client.json("/api/runs")
    rows = {r["name"]: r for r in data["runs"]}
    assert {"poet1", "es1"} <= set(rows)
    with RunStore.open(made_runs["poet1"], readonly=True) as s:
        annecs = s.series("annecs")[1][-1]
        active = s.series("niches/active")[1][-1]
        created = float(s.info()["created"])
    p = rows["poet1"]
    assert (p["system"], p["status"], p["iterations"], p["budget"]) == ("poet", "finished", 7, 7)
    assert p["started"] == pytest.approx(created)
    assert p["key_figure"] == f"ANNECS {annecs:.0f}, {active:.0f} niches"
    e = rows["es1"]
    assert (e["system"], e["status"], e["iterations"], e["budget"]) == ("es", "finished", 3, 3)
    assert e["key_figure"].startswith("score ")


def test_poet_page_matches_the_store(server, made_runs):
    client, _ = server
    page = client.json("/api/runs/poet1")
    assert page["summary"]["system"] == "poet" and page["summary"]["error"] is None
    with RunStore.open(made_runs["poet1"], readonly=True) as s:
        its, annecs = s.series("annecs")
        admitted = s.events("admitted")
        retired = s.events("retired")
        accepted = [e for e in s.events("transfer") if e["data"]["accepted"] is not None]
        solved = s.events("solved")
        n0_its, n0 = s.series("score/n0")
        ckpt = s.load_checkpoint()
    chart = _panel(page, "chart", "annecs")
    assert chart["series"][0]["x"] == its.tolist() and chart["series"][0]["y"] == annecs.tolist()
    scores = _panel(page, "chart", "scores")
    by_name = {s["name"]: s for s in scores["series"]}
    assert by_name["n0"]["x"] == n0_its.tolist() and by_name["n0"]["y"] == pytest.approx(n0.tolist())
    kinds = [m["kind"] for m in scores["markers"]]
    # the run admits at 2, 4 and 6 and retires the oldest at 6 (capacity 3)
    assert kinds.count("admitted") == len(admitted) == 3
    assert kinds.count("retired") == len(retired) == 1
    assert kinds.count("transfer") == len(accepted) > 0
    assert kinds.count("solved") == len(solved)
    assert sorted(m["x"] for m in scores["markers"] if m["kind"] == "admitted") == [2, 4, 6]
    tree = _panel(page, "tree", "lineage")
    nodes = {n["id"]: n for n in tree["nodes"]}
    assert set(nodes) == {0, 1, 2, 3}  # the initial course and three admitted children
    for e in admitted:
        d = e["data"]
        assert nodes[d["niche"]]["parent"] == d["parent"] and nodes[d["niche"]]["x"] == e["iteration"]
    assert nodes[0]["parent"] is None and nodes[0]["shape"] == "square"  # n0 was retired
    assert all(nodes[i]["shape"] == "circle" for i in (1, 2, 3))
    assert all(len(n["media"]) == 2 for n in nodes.values())
    table = _panel(page, "table", "niches")
    active = {n["nid"]: n for n in ckpt.meta["niches"]}
    assert [r[0] for r in table["rows"]] == [f"n{i}" for i in active]
    for row in table["rows"]:
        n = active[int(row[0][1:])]
        assert row[3] == ckpt.meta["iteration"] - n["created_at"]  # age
        assert row[4] == pytest.approx(n["score"])
        assert (row[6], row[7]) == (n["transfers_in"], n["transfers_out"])
    assert sum(r[6] for r in table["rows"]) <= len(accepted)


def test_es_page_and_its_episode(server, made_runs):
    client, _ = server
    page = client.json("/api/runs/es1")
    with RunStore.open(made_runs["es1"], readonly=True) as s:
        its, score = s.series("score")
    curve = _panel(page, "chart", "curve")
    by_name = {x["name"]: x for x in curve["series"]}
    assert set(by_name) == {"score", "score/best", "return/best", "return/mean"}
    assert by_name["score"]["x"] == its.tolist() and by_name["score"]["y"] == pytest.approx(score.tolist())
    best = by_name["score/best"]["y"]
    assert best == pytest.approx([max(score[: i + 1]) for i in range(len(score))])
    items = _panel(page, "media", "agent")["items"]
    assert [i["url"].rsplit("/", 1)[1] for i in items] == ["course.png", "episode-best-it2.gif"]
    for item in items:
        status, headers, body = client.request(item["url"])
        assert status == 200
        img = Image.open(io.BytesIO(body))
        assert img.format == ("PNG" if item["url"].endswith(".png") else "GIF")
    assert Image.open(io.BytesIO(client.request(items[1]["url"])[2])).n_frames > 3


def test_poet_node_media_rendered_on_demand_and_cached(server, runs_root):
    client, _ = server
    page = client.json("/api/runs/poet1")
    node = next(n for n in _panel(page, "tree")["nodes"] if n["id"] == 2)
    course_url, episode_url = (m["url"] for m in node["media"])
    cache = runs_root / "poet1" / "media" / "dashboard"
    status, headers, body = client.request(course_url)
    assert status == 200 and headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(body))
    assert img.width > 3 * img.height  # a whole course to scale is long and low
    status, headers, body = client.request(episode_url)
    assert status == 200 and headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(body))
    assert gif.n_frames >= 40 // 4  # smoke episodes are capped at 40 steps, a frame every 4
    cached = sorted(p.name for p in cache.iterdir())
    assert cached == ["course-n2.png", "episode-n2-it6.gif"]
    mtime = (cache / "episode-n2-it6.gif").stat().st_mtime_ns
    assert client.request(episode_url)[2] == body  # served from the cache, not drawn again
    assert (cache / "episode-n2-it6.gif").stat().st_mtime_ns == mtime
    # the archived course n0 has an agent too; courses and checkpoints the run never had are 404
    assert client.request("/api/runs/poet1/render/episode-n0-it6.gif")[0] == 200
    for item in ("course-n99.png", "episode-n2-it3.gif", "episode-n2-it6.mp4", "anything"):
        assert client.request(f"/api/runs/poet1/render/{item}")[0] == 404


def test_pages_static_files_and_methods(server):
    client, _ = server
    for path in ("/", "/index.html", "/run/poet1"):
        status, headers, body = client.request(path)
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert b"/static/app.js" in body and "script-src 'self'" in headers["content-security-policy"]
    status, headers, body = client.request("/static/app.js")
    assert status == 200 and b"Plotly.react" in body
    assert client.request("/static/style.css")[0] == 200
    status, headers, body = client.request("/static/plotly.min.js")
    assert status == 200 and len(body) > 1_000_000  # the bundle of the installed plotly package
    status, headers, body = client.request("/api/runs/poet1", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 100
    assert client.request("/api/runs", method="POST")[0] == 405
    assert client.request("/api/runs/poet1", method="DELETE")[0] == 405
    assert client.request("/api/runs/nosuchrun")[0] == 404
    assert client.request("/nothing/here")[0] == 404
    assert client.request("/api/runs", headers={"Host": "evil.example:80"})[0] == 403  # DNS rebinding


def test_media_files_of_a_run_are_served(server, runs_root):
    client, _ = server
    (runs_root / "es1" / "media" / "notes").mkdir(exist_ok=True)
    (runs_root / "es1" / "media" / "notes" / "hello.txt").write_text("hello")
    status, headers, body = client.request("/api/runs/es1/media/notes/hello.txt")
    assert (status, body) == (200, b"hello")
    assert headers["content-type"].startswith("text/plain")
    assert "sandbox" in headers["content-security-policy"]
    assert client.request("/api/runs/es1/media/notes/missing.txt")[0] == 404
    assert client.request("/api/runs/es1/media/notes")[0] == 404  # a directory is not a file


def test_serving_writes_nothing_but_the_media_cache(server, runs_root):
    client, _ = server
    before = _snapshot(runs_root)
    for path in ("/api/runs", "/api/runs/poet1", "/api/runs/es1", "/api/runs/poet1/render/course-n1.png",
                 "/api/runs/poet1/render/episode-n1-it6.gif"):
        assert client.request(path)[0] == 200
    assert _snapshot(runs_root) == before  # no -wal/-shm files, no touched database
    assert not list(runs_root.rglob("*-wal")) and not list(runs_root.rglob("*-shm"))


def test_a_live_run_updates_and_a_dead_one_is_stopped(server, runs_root):
    client, _ = server
    store = RunStore.create("demo", {"seed": 0, "iterations": 10}, runs_root / "live")
    try:
        store.log_metrics(0, {"loss": 1.0})
        row = {r["name"]: r for r in client.json("/api/runs")["runs"]}["live"]
        assert (row["status"], row["iterations"], row["page"]) == ("running", 1, None)
        store.log_metrics(1, {"loss": 0.5})
        store.log_metrics(2, {"loss": 0.25})
        page = client.json("/api/runs/live")
        assert page["summary"]["iterations"] == 3
        assert _panel(page, "chart")["series"][0]["y"] == [1.0, 0.5, 0.25]
        assert "No dashboard page is registered for system 'demo'" in _panel(page, "message")["text"]
        store.set_info(heartbeat=f"{time.time() - 3600:.3f}")  # an hour without a heartbeat
        row = {r["name"]: r for r in client.json("/api/runs")["runs"]}["live"]
        assert row["status"] == "stopped" and "no heartbeat for 60 min" in row["why"]
    finally:
        store.close()


def test_a_registered_page_is_used_for_its_system(server, runs_root):
    from aiga.dashboard import pages as P

    with RunStore.create("toy-system", {"seed": 0, "iterations": 2}, runs_root / "toy") as store:
        store.log_metrics(0, {"loss": 3.0})
        store.log_metrics(1, {"loss": 2.0})
        store.set_status("finished")

    def panels(view):
        return [P.chart("loss", "loss", [P.series("loss", *view.store.series("loss"))])]

    page = P.Page("toy-system", "Toy", key_figure=lambda s: f"loss {P.last_value(s, 'loss'):g}",
                  panels=panels)
    P.register(page)
    try:
        client, _ = server
        row = {r["name"]: r for r in client.json("/api/runs")["runs"]}["toy"]
        assert (row["page"], row["key_figure"]) == ("Toy", "loss 2")
        data = client.json("/api/runs/toy")
        assert data["title"] == "Toy: toy" and [p["type"] for p in data["panels"]] == ["chart"]
        assert data["panels"][0]["series"][0]["y"] == [3.0, 2.0]
        assert client.request("/api/runs/toy/render/x.png")[0] == 404  # this page renders nothing
    finally:
        P._PAGES.pop("toy-system")
        shutil.rmtree(runs_root / "toy")
    # names that could not be a module are never imported
    assert P.get_page("../../etc") is None and P.get_page("os.path") is None


def test_effective_status():
    import socket

    from aiga.dashboard.runs import effective_status

    host, now = socket.gethostname(), 1000.0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    live = {"status": "running", "heartbeat": "990", "pid": str(os.getpid()), "host": host}
    assert effective_status(live, now) == ("running", "")
    assert effective_status({**live, "pid": dead}, now) == ("stopped", f"its process {dead} is gone")
    assert effective_status({**live, "pid": dead, "host": "elsewhere"}, now)[0] == "running"  # cannot tell
    assert effective_status({**live, "heartbeat": "0"}, now, stale_after=900)[0] == "stopped"
    assert effective_status({**live, "heartbeat": "200"}, now, stale_after=900)[0] == "running"
    assert effective_status({"status": "finished", "pid": dead, "host": host}, now) == ("finished", "")
    assert effective_status({"status": "running", "host": "elsewhere"}, now)[0] == "stopped"  # no heartbeat


def test_find_runs_in_a_root_or_a_single_run(runs_root):
    from aiga.dashboard.runs import find_runs

    runs = find_runs(runs_root)
    assert {"poet1", "es1"} <= set(runs) and runs["poet1"] == (runs_root / "poet1").resolve()
    assert find_runs(runs_root / "es1") == {"es1": (runs_root / "es1").resolve()}  # one run directory


def test_tree_rows():
    from aiga.core.layout import tree_rows

    # 0 ─┬─ 1 ── 3        leaves in depth-first order get rows 0, 1, 2: 3, 4, 2;
    #    │    └─ 4        parents sit midway between their first and last child
    #    └─ 2      5 (a second root)
    rows = tree_rows([(0, None), (1, 0), (2, 0), (3, 1), (4, 1), (5, None)])
    assert rows == {3: 0.0, 4: 1.0, 1: 0.5, 2: 2.0, 0: 1.25, 5: 3.0}
    deep = tree_rows([(i, i - 1 if i else None) for i in range(5000)])  # no recursion limit
    assert set(deep.values()) == {0.0}


def test_cli(runs_root, tmp_path, capsys):
    from aiga.cli import main

    assert main(["dashboard", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"aiga: error: runs directory {tmp_path / 'nope'} does not exist"
    assert main(["dashboard", str(runs_root), "--port", "70000"]) == 2
    assert "--port must be in [0, 65535]" in capsys.readouterr().err
    env = {**os.environ, "AIGA_PROGRESS": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "aiga.cli", "dashboard", str(runs_root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split(" at ", 1)[1].split()[0]
        import urllib.request

        with urllib.request.urlopen(url + "api/runs", timeout=30) as r:
            assert "poet1" in {x["name"] for x in json.load(r)["runs"]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
