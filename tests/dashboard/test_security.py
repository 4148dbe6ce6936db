"""Path traversal in every form reaches nothing outside the runs directory: a plain 404 each time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SECRET = b"top secret outside the runs directory"


@pytest.fixture(scope="module")
def traps(runs_root: Path, made_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files outside the runs directory, symlinks pointing at them from inside, and a run outside."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_bytes(SECRET)
    shutil.copytree(made_runs["es1"], outside / "foreign-run")
    (outside / "foreign-run" / "media" / "x.txt").write_bytes(SECRET)
    (runs_root / "secret.txt").write_bytes(SECRET)  # in the root, but not a run's media
    media = runs_root / "poet1" / "media"
    media.mkdir(exist_ok=True)
    (media / "link-out.txt").symlink_to(outside / "secret.txt")
    (media / "dir-out").symlink_to(outside)
    (runs_root / "linked-run").symlink_to(outside / "foreign-run")
    return outside


TRAVERSALS = [
    "/api/runs/poet1/media/../config.toml",
    "/api/runs/poet1/media/../../secret.txt",
    "/api/runs/poet1/media/%2e%2e/config.toml",
    "/api/runs/poet1/media/%2E%2E/%2E%2E/secret.txt",
    "/api/runs/poet1/media/..%2fconfig.toml",
    "/api/runs/poet1/media/..%2F..%2Fsecret.txt",
    "/api/runs/poet1/media/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/api/runs/poet1/media/%252e%252e/config.toml",
    "/api/runs/poet1/media/..%5cconfig.toml",
    "/api/runs/poet1/media/%5c..%5c..%5csecret.txt",
    "/api/runs/poet1/media//etc/passwd",
    "/api/runs/poet1/media/%2fetc%2fpasswd",
    "/api/runs/poet1/media/%2Fetc/passwd",
    "/api/runs/poet1/media/.hidden",
    "/api/runs/poet1/media/link-out.txt",
    "/api/runs/poet1/media/dir-out/secret.txt",
    "/api/runs/poet1/media/%00",
    "/api/runs/poet1/render/..%2fconfig.toml",
    "/api/runs/poet1/render/../config.toml",
    "/api/runs/..",
    "/api/runs/../secret.txt",
    "/api/runs/%2e%2e/media/secret.txt",
    "/api/runs/..%2f..%2fetc/media/passwd",
    "/api/runs/%2fetc/media/passwd",
    "/api/runs/linked-run",
    "/api/runs/linked-run/media/x.txt",
    "/static/../server.py",
    "/static/%2e%2e%2fserver.py",
    "/static/..%2f..%2fcore%2fconfig.py",
    "/static/index.html/../../cli.py",
    "/run/../../etc/passwd",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_404(server, traps, path):
    client, _ = server
    status, _, body = client.request(path)
    assert status == 404, (path, status)
    assert SECRET not in body and b"[es]" not in body and b"root:" not in body


def test_outside_links_are_not_listed(server, traps):
    client, _ = server
    names = {r["name"] for r in client.json("/api/runs")["runs"]}
    assert "linked-run" not in names and "secret.txt" not in names
    assert {"poet1", "es1"} <= names


def test_media_inside_is_still_served(server, traps, runs_root):
    client, _ = server
    (runs_root / "poet1" / "media" / "inside.txt").write_text("fine")
    status, _, body = client.request("/api/runs/poet1/media/inside.txt")
    assert (status, body) == (200, b"fine")
    status, _, body = client.request("/api/runs/poet1/media/%69nside.txt")  # encoded but harmless
    assert (status, body) == (200, b"fine")


def test_safe_segments():
    from aiga.dashboard.server import safe_segments

    assert safe_segments(["a", "b%20c.png"]) == ["a", "b c.png"]
    for bad in (["..", "x"], ["%2e%2e"], ["a%2fb"], ["a%5cb"], [""], [".env"], ["x%00"]):
        assert safe_segments(bad) is None, bad
