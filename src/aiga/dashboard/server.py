"""The dashboard's HTTP server: standard library ``http.server``, GET only, read-only over run directories.

Routes::

    /                     the runs list (static/index.html; the page script draws it)
    /run/NAME             a run's page (the same HTML; the script reads NAME from the address)
    /static/FILE          the page's own script and style, and Plotly's JavaScript from the installed
                          ``plotly`` package (never copied into this repository)
    /api/runs             JSON: every run with system, start time, status, iterations, key figure
    /api/runs/NAME        JSON: the run's summary and its page's panels (see ``aiga.dashboard.pages``)
    /api/runs/NAME/media/PATH    a file under the run's media/ (pictures of ``aiga poet report``...)
    /api/runs/NAME/render/ITEM   a picture the page asks for, drawn on demand by the library and
                                 cached in media/dashboard/ (the only thing the dashboard writes)

Security: run names are looked up in the listing of the runs directory, never joined to a path; media
paths are decoded once, any ``.``/``..``/hidden/empty segment or separator inside a segment is refused,
and the resolved file must lie inside the run's media/ (no symlinks out). Every refusal is a plain 404.
On a loopback address the ``Host`` header must name that address, so a web page elsewhere cannot read
the API through DNS rebinding. Pages update by polling ``/api/runs/NAME`` every few seconds.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import json
import math
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from aiga.core.config import AigaError
from aiga.core.runstore import RunStore
from aiga.dashboard import pages as P
from aiga.dashboard.runs import STALE_AFTER, find_runs, summarise

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
MEDIA_TYPES = {".png": "image/png", ".gif": "image/gif", ".mp4": "video/mp4", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".svg": "image/svg+xml", ".webp": "image/webp",
               ".json": "application/json", ".txt": "text/plain; charset=utf-8",
               ".csv": "text/csv; charset=utf-8"}
DEFAULT_PORT = 8765
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'none'")
MEDIA_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def plotly_js() -> Path | None:
    """Plotly's bundle shipped inside the ``plotly`` Python package (the ``dashboard`` extra)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return p if p.is_file() else None


def _json_safe(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v


def safe_segments(raw: list[str]) -> list[str] | None:
    """Decoded path segments, or None if any could step out of its directory or name a hidden file."""
    out = []
    for seg in raw:
        s = unquote(seg)
        if not s or s.startswith(".") or any(c in s for c in "/\\\0") or len(s) > 255:
            return None
        out.append(s)
    return out


class Dashboard:
    """What the handler serves, independent of HTTP (tests call it directly too)."""

    def __init__(self, root: str | os.PathLike[str], stale_after: float = STALE_AFTER) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise AigaError(f"runs directory {self.root} does not exist")
        self.stale_after = stale_after
        self.memo = P.Memo()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._fallback: Path | None = None

    # ------------------------------------------------------------------ data

    def runs(self) -> dict[str, Any]:
        rows = [summarise(name, path, self.stale_after) for name, path in find_runs(self.root).items()]
        rows.sort(key=lambda r: (r["started"] is None, -(r["started"] or 0), r["name"]))
        return {"root": str(self.root.resolve()), "runs": rows}

    @contextlib.contextmanager
    def view(self, name: str) -> Iterator[P.RunView | None]:
        path = find_runs(self.root).get(name)
        if path is None:
            yield None
            return
        with RunStore.open(path, readonly=True) as store:
            yield P.RunView(name, path, store, self.memo, self._cache_dir(path))

    def run_page(self, name: str) -> dict[str, Any] | None:
        """The run's summary and panels; a run that cannot be read gets a message panel, not an error."""
        path = find_runs(self.root).get(name)
        if path is None:
            return None
        summary = summarise(name, path, self.stale_after)
        out: dict[str, Any] = {"summary": summary, "title": name, "panels": []}
        if summary["error"]:
            out["panels"] = [P.message(f"This run cannot be shown: {summary['error']}", "error")]
            return out
        try:
            with self.view(name) as view:
                assert view is not None
                page = P.get_page(view.store.system) or P.GENERIC
                out["title"] = f"{page.title if page is not P.GENERIC else view.store.system}: {name}"
                out["panels"] = page.panels(view)
        except AigaError as e:
            out["panels"] = [P.message(f"This run cannot be shown: {e}", "error")]
        except Exception as e:  # noqa: BLE001 (a damaged run must not take the page down)
            traceback.print_exc(file=sys.stderr)
            out["panels"] = [P.message(f"This run's page could not be drawn ({type(e).__name__}: {e}); "
                                       "the run directory may be damaged or half-written.", "error")]
        return out

    def media_file(self, name: str, segments: list[str]) -> Path | None:
        path = find_runs(self.root).get(name)
        if path is None:
            return None
        media = (path / "media").resolve()
        if not media.is_relative_to(path) or not media.is_dir():
            return None
        try:
            target = media.joinpath(*segments).resolve()
        except (OSError, RuntimeError):
            return None
        return target if target.is_relative_to(media) and target.is_file() else None

    def render(self, name: str, item: str) -> Path | None:
        """Draw (or find in the cache) a picture a page links to; None if the page does not know it."""
        with self.view(name) as view:
            if view is None:
                return None
            page = P.get_page(view.store.system)
            if page is None or page.render is None:
                return None
            with self._lock(view.path, item):  # two tabs asking at once draw it once
                return page.render(view, item)

    # ------------------------------------------------------------------ helpers

    def _lock(self, path: Path, item: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault((str(path), item), threading.Lock())

    def _cache_dir(self, path: Path) -> Path:
        """media/dashboard/ of the run, or a private temporary directory if the run is not writable."""
        media = path / "media"
        inside = not media.exists() or media.resolve().is_relative_to(path)  # never write through a link out
        if inside and os.access(media if media.exists() else path, os.W_OK):
            return media / "dashboard"
        if self._fallback is None:
            self._fallback = Path(tempfile.mkdtemp(prefix="aiga-dashboard-"))
        return self._fallback / path.name


class Handler(BaseHTTPRequestHandler):
    server_version = "aiga-dashboard"
    dashboard: Dashboard
    allowed_hosts: set[str] | None = None
    quiet = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _refuse(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    # ------------------------------------------------------------------ routing

    def _serve(self, head: bool) -> None:
        self.head = head
        try:
            hosts = self.headers.get_all("Host") or []
            if self.allowed_hosts is not None and (len(hosts) != 1 or hosts[0] not in self.allowed_hosts):
                return self._error(403, "unexpected Host header")
            raw = urlsplit(self.path).path
            parts = raw.split("/")[1:]
            if raw in ("/", "/index.html") or (len(parts) == 2 and parts[0] == "run" and parts[1]):
                return self._file(STATIC / "index.html", "text/html; charset=utf-8", csp=PAGE_CSP)
            if len(parts) == 2 and parts[0] == "static":
                if parts[1] in STATIC_FILES:
                    return self._file(STATIC / parts[1], STATIC_FILES[parts[1]], cache=False)
                if parts[1] == "plotly.min.js" and (js := plotly_js()) is not None:
                    return self._file(js, "text/javascript; charset=utf-8", cache=True)
                return self._error(404, "not found")
            if parts[:2] == ["api", "runs"]:
                return self._api(parts[2:])
            return self._error(404, "not found")
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            with contextlib.suppress(Exception):
                self._error(500, f"{type(e).__name__}: {e}")

    def _api(self, rest: list[str]) -> None:
        d = self.dashboard
        if not rest or rest == [""]:
            return self._json(d.runs())
        segs = safe_segments(rest[:1])
        if segs is None:
            return self._error(404, "not found")
        name = segs[0]
        if len(rest) == 1:
            page = d.run_page(name)
            return self._json(page) if page is not None else self._error(404, f"no run named {name!r}")
        if rest[1] == "media" and len(rest) >= 3:
            segs = safe_segments(rest[2:])
            f = d.media_file(name, segs) if segs is not None else None
            return self._media(f)
        if rest[1] == "render" and len(rest) == 3:
            segs = safe_segments(rest[2:])
            if segs is None:
                return self._error(404, "not found")
            try:
                f = d.render(name, segs[0])
            except AigaError as e:
                return self._error(404, str(e))
            return self._media(f)
        return self._error(404, "not found")

    # ------------------------------------------------------------------ responses

    def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not self.head:
            self.wfile.write(body)

    def _json(self, data: Any, code: int = 200) -> None:
        body = json.dumps(_json_safe(data), allow_nan=False).encode()
        self._send(code, body, "application/json", {"Cache-Control": "no-store"})

    def _error(self, code: int, text: str) -> None:
        self._json({"error": text}, code)

    def _file(self, path: Path, ctype: str, csp: str | None = None, cache: bool = False) -> None:
        headers = {"Cache-Control": "max-age=86400" if cache else "no-cache"}
        if csp:
            headers["Content-Security-Policy"] = csp
        self._send(200, path.read_bytes(), ctype, headers)

    def _media(self, f: Path | None) -> None:
        if f is None:
            return self._error(404, "not found")
        ctype = MEDIA_TYPES.get(f.suffix.lower(), "application/octet-stream")
        self._file(f, ctype, csp=MEDIA_CSP)


def make_server(root: str | os.PathLike[str], host: str = "127.0.0.1", port: int | None = None,
                stale_after: float = STALE_AFTER, quiet: bool = True) -> ThreadingHTTPServer:
    """A server for ``root`` bound to ``host``:``port`` (``port`` None: 8765 if free, else any free one;
    0: any free one). ``server.url`` is its address; ``serve_forever`` runs it."""
    dash = Dashboard(root, stale_after)
    handler = type("DashboardHandler", (Handler,), {"dashboard": dash, "quiet": quiet})
    ports = [DEFAULT_PORT, 0] if port is None else [port]
    err: OSError | None = None
    for p in ports:
        try:
            server = ThreadingHTTPServer((host, p), handler)
            break
        except OSError as e:
            err = e
    else:
        raise AigaError(f"cannot listen on {host}:{ports[-1]} ({err.strerror if err else 'unknown error'})")
    server.daemon_threads = True
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
    server.url = f"http://{shown}:{bound_port}/"  # type: ignore[attr-defined]
    try:
        loopback = ipaddress.ip_address(str(bound_host)).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        handler.allowed_hosts = {f"{h}:{bound_port}" for h in (shown, "localhost", "127.0.0.1", "[::1]")}
    return server
