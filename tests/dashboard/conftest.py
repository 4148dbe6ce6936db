"""Fixtures: small real runs made by the library (a POET smoke run, an ``aiga es`` run), copied into a
runs directory next to damaged ones, and a dashboard server over it on a free port."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("AIGA_PROGRESS", "0")


@pytest.fixture(scope="session")
def made_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A POET smoke run shortened to 7 iterations (admissions at 2, 4 and 6, transfers every 2, the
    oldest of 4 niches retired at 6: capacity 3) and a 3-step ES run."""
    from aiga.poet.config import preset
    from aiga.poet.direct_es import course_preset
    from aiga.poet.direct_es import train as es_train
    from aiga.poet.loop import train as poet_train

    base = tmp_path_factory.mktemp("made")
    poet_train(run_dir=str(base / "poet1"), preset=preset("poet", "smoke"),
               overrides={"iterations": "7", "reproduce_every": "2"}, workers=1)
    es_train(run_dir=str(base / "es1"), preset=course_preset("flat"),
             overrides={"iterations": "3", "max_steps": "60", "es": {"pairs": "3"}}, workers=1)
    return {"poet1": base / "poet1", "es1": base / "es1"}


@pytest.fixture(scope="session")
def runs_root(made_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runs directory the server shows: copies of the made runs (the media cache goes into them)."""
    root = tmp_path_factory.mktemp("runs")
    for name, src in made_runs.items():
        shutil.copytree(src, root / name)
    return root


class Client:
    """Raw HTTP, so paths reach the server exactly as written (no client-side normalising of '..')."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], bytes]:
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            c.putrequest(method, path, skip_accept_encoding=True, skip_host="Host" in (headers or {}))
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            c.endheaders()
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def json(self, path: str) -> Any:
        status, _, body = self.request(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)


@pytest.fixture(scope="session")
def client_cls() -> type[Client]:
    return Client


@pytest.fixture(scope="session")
def server(runs_root: Path) -> Iterator[tuple[Client, str]]:
    from aiga.dashboard.server import make_server

    srv = make_server(runs_root, "127.0.0.1", 0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield Client("127.0.0.1", srv.server_address[1]), srv.url
    finally:
        srv.shutdown()
        srv.server_close()
