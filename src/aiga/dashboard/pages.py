"""What a run's page shows: a registry from system name to a ``Page``, and the panel vocabulary.

A page is a list of *panels*, plain JSON-able dicts whose ``type`` the browser knows how to draw
(``static/app.js``): ``facts`` (a key-value list), ``chart`` (lines over iterations, with event markers),
``table``, ``tree`` (a lineage whose nodes open a detail view with pictures) and ``media`` (pictures or
animations rendered on demand). A new system (AutoML-Zero, MAML, UED...) adds its page as one new module,
``aiga/dashboard/page_<system>.py``, that builds its panels with the helpers below and calls
``register(Page(...))``; nothing else changes (see ``page_es.py``, the smallest example). A run of a
system without a page gets the generic page: every metric as a chart.

Why panels are data, not HTML: the server stays the only place that reads run directories (the browser
gets numbers, never paths), pages are testable as JSON, and the browser can redraw a panel in place when
the run moves on (``Plotly.react``) instead of reloading the page.
"""

from __future__ import annotations

import importlib
import io
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiga.core.layout import tree_rows
from aiga.core.runstore import RunStore, atomic_write_bytes

#: where the page of system NAME lives: ``aiga.dashboard.page_NAME`` (``-`` as ``_``), imported the first
#: time a run of NAME is shown; the module calls ``register``. Names outside ``[a-z0-9_-]`` have no page.
PAGE_MODULE = "aiga.dashboard.page_{}"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

MAX_POINTS = 2000  # per chart series; longer series are thinned by a stride (the last point is kept)
_CKPT_RE = re.compile(r"^(\d{9})\.json$")


# ------------------------------------------------------------------------------------------ run view


class Memo:
    """Results worth keeping between polls (a POET state rebuilt from a checkpoint, events read so far),
    keyed by the run (``RunView.key``: path and creation time, so a new run in the same directory starts
    afresh), a name, and a version that changes when the data does. Small and bounded."""

    def __init__(self, limit: int = 64) -> None:
        self._data: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, owner: str, name: str, version: Any, build: Callable[[], Any]) -> Any:
        key = (owner, name)
        with self._lock:
            hit = self._data.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self.put(owner, name, version, value)
        return value

    def put(self, owner: str, name: str, version: Any, value: Any) -> None:
        key = (owner, name)
        with self._lock:
            if len(self._data) >= self._limit and key not in self._data:
                self._data.pop(next(iter(self._data)))  # the oldest entry
            self._data[key] = (version, value)

    def peek(self, owner: str, name: str) -> tuple[Any, Any] | None:
        with self._lock:
            return self._data.get((owner, name))


@dataclass
class RunView:
    """One open run, as a page's functions see it: the read-only store and where rendered media go."""

    name: str
    path: Path
    store: RunStore
    memo: Memo
    cache_dir: Path  # where on-demand media are written (the run's media/dashboard, or a fallback)

    @property
    def key(self) -> str:
        """This run, for the memo: its path and creation time."""
        return f"{self.path}#{self.store.info().get('created', '')}"

    def render_url(self, item: str) -> str:
        return f"/api/runs/{quote(self.name, safe='')}/render/{quote(item, safe='')}"

    def checkpoint_iterations(self) -> list[int]:
        """Iterations of the complete checkpoints on disk, oldest first (without reading them)."""
        d = self.path / "checkpoints"
        try:
            return sorted(int(m.group(1)) for p in d.iterdir() if (m := _CKPT_RE.match(p.name)))
        except OSError:
            return []


@dataclass(frozen=True)
class Page:
    """What the dashboard draws for runs of one system.

    ``key_figure(store)``: one short line for the runs list (e.g. ``ANNECS 4``).
    ``panels(view)``: the page, a list of panel dicts (see the helpers below).
    ``render(view, item)``: a picture or animation the panels link to with ``view.render_url(item)``,
    written into ``view.cache_dir`` if it is not there yet; returns its path, or ``None`` for an item
    this page does not know (a 404).
    """

    system: str
    title: str
    key_figure: Callable[[RunStore], str]
    panels: Callable[[RunView], list[dict[str, Any]]]
    render: Callable[[RunView, str], Path | None] | None = None


_PAGES: dict[str, Page] = {}
_missing: set[str] = set()
_load_lock = threading.Lock()


def register(page: Page) -> None:
    _PAGES[page.system] = page


def get_page(system: str) -> Page | None:
    """The page registered for ``system``, importing its module on first use; None if it has none."""
    with _load_lock:
        if system not in _PAGES and system not in _missing and _NAME_RE.match(system):
            module = PAGE_MODULE.format(system.replace("-", "_"))
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as e:
                if e.name != module:
                    raise  # the page exists but something it needs does not: say so
            if system not in _PAGES:
                _missing.add(system)
    return _PAGES.get(system)


# ------------------------------------------------------------------------------------------ panels


def finite(v: Any) -> float | None:
    """JSON has no NaN or infinity: those become null (a gap in a chart)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def facts(title: str, items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {"type": "facts", "title": title, "items": [[k, _cell(v)] for k, v in items]}


def message(text: str, level: str = "info") -> dict[str, Any]:
    return {"type": "message", "level": level, "text": text}


def series(name: str, xs: list[int], ys: list[float], shape: str = "linear") -> dict[str, Any]:
    """One line of a chart; ``shape='hv'`` draws a step (for counts such as ANNECS)."""
    return {"name": name, "x": [int(x) for x in xs], "y": [finite(y) for y in ys], "shape": shape}


def chart(cid: str, title: str, lines: list[dict[str, Any]], xlabel: str = "iteration", ylabel: str = "",
          markers: list[dict[str, Any]] | None = None, note: str = "", wide: bool = False,
          from_zero: bool = False) -> dict[str, Any]:
    """Lines over iterations. ``markers``: ``{"x", "kind", "text"}`` draws a vertical line at ``x``;
    with ``"y"`` too, a point. Kinds have fixed colours in the browser (admitted, retired, transfer,
    solved); unknown kinds are grey. ``wide``: the whole width of the page; ``from_zero``: the y axis
    includes 0 (counts)."""
    return {"type": "chart", "id": cid, "title": title, "series": lines, "xlabel": xlabel, "ylabel": ylabel,
            "markers": markers or [], "note": note, "wide": wide, "from_zero": from_zero}


def table(tid: str, title: str, columns: list[str], rows: list[list[Any]], note: str = "") -> dict[str, Any]:
    return {"type": "table", "id": tid, "title": title, "columns": columns,
            "rows": [[_cell(v) for v in r] for r in rows], "note": note}


def tree(tid: str, title: str, nodes: list[dict[str, Any]], legend: list[dict[str, str]],
         note: str = "") -> dict[str, Any]:
    """A lineage. Each node: ``id``, ``parent`` (or None), ``x`` (e.g. iteration created), ``label``,
    ``colour``, ``filled`` (e.g. solved), ``shape`` (``circle``/``square``), ``detail`` (a facts list)
    and ``media`` (``[{"label", "url", "kind": "image"}]``) shown when the node is clicked. The row of
    each node (``y``) is computed here: leaves in depth-first order, parents centred over children."""
    ys = tree_rows([(n["id"], n["parent"]) for n in nodes])
    for n in nodes:
        n["y"] = ys[n["id"]]
    return {"type": "tree", "id": tid, "title": title, "nodes": nodes, "legend": legend, "note": note}


def media(mid: str, title: str, items: list[dict[str, str]], note: str = "") -> dict[str, Any]:
    return {"type": "media", "id": mid, "title": title, "items": items, "note": note}


def last_value(store: RunStore, name: str) -> float | None:
    """The latest value of a metric (None if never logged or not finite)."""
    return finite(store.latest(name))


def fmt_number(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def save_png(img: Any, path: Path) -> None:
    """A Pillow image into the media cache, atomically (a reader never sees half a file)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    atomic_write_bytes(path, buf.getvalue())


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return finite(v)
    if v is None or isinstance(v, bool | int | str):
        return v
    return str(v)


# ------------------------------------------------------------------------------------------ reading


def metric_series(store: RunStore, names: list[str] | None = None, prefix: str | None = None,
                  max_points: int = MAX_POINTS) -> dict[str, tuple[list[int], list[float]]]:
    """Metric rows grouped by name, thinned to about ``max_points`` per name by an iteration stride."""
    last = store.last_iteration()
    stride = max(1, math.ceil(((last or 0) + 1) / max_points))
    out: dict[str, tuple[list[int], list[float]]] = {}
    if names is None:
        rows = store.metrics(prefix=prefix)
    else:
        rows = [r for n in names for r in store.metrics(name=n)]
    for it, name, value in rows:
        if stride > 1 and it % stride != 0 and it != last:
            continue
        xs, ys = out.setdefault(name, ([], []))
        xs.append(it)
        ys.append(value)
    return out


def new_events(view: RunView, kinds: tuple[str, ...],
               keep: Callable[[str, dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    """Events of ``kinds`` (those ``keep`` accepts), read incrementally: a long POET run logs millions of
    transfer evaluations, and each poll reads only rows added since the last one."""
    top = view.store.last_event_seq()
    name = "events:" + ",".join(kinds)
    prev = view.memo.peek(view.key, name)
    seen, rows = (prev[1] if prev is not None else (0, []))
    if top < seen:  # rows were deleted (the run was resumed from an earlier checkpoint): start again
        seen, rows = 0, []
    if top > seen:
        rows = list(rows)
        for e in view.store.events(kinds=kinds, after_seq=seen, until_seq=top):
            if keep is None or keep(e["kind"], e["data"]):
                rows.append({k: e[k] for k in ("seq", "iteration", "kind", "data")})
    view.memo.put(view.key, name, top, (top, rows))
    return rows


# ------------------------------------------------------------------------------------------ generic page


def generic_panels(view: RunView) -> list[dict[str, Any]]:
    """For systems without a page: every metric over iterations, one chart per name (at most 24)."""
    store = view.store
    data = metric_series(store)
    out = [message(f"No dashboard page is registered for system {store.system!r}; showing its metrics.")]
    if not data:
        out.append(message("This run has logged no metrics yet."))
    for name in sorted(data)[:24]:
        xs, ys = data[name]
        out.append(chart(f"m-{name}", name, [series(name, xs, ys)]))
    if len(data) > 24:
        out.append(message(f"{len(data) - 24} more metrics not shown."))
    return out


def generic_key_figure(store: RunStore) -> str:
    return ""


GENERIC = Page(system="*", title="run", key_figure=generic_key_figure, panels=generic_panels)
