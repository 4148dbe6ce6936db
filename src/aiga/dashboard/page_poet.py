"""The page of POET / Enhanced POET runs (``aiga poet``), registered with ``aiga.dashboard.pages``.

POET's page follows what Wang et al. 2019 (figures 3-5) and the Enhanced POET paper (Wang et al. 2020,
ANNECS, figure 5) show of a run: ANNECS over iterations, every niche's score with admissions, transfers
and retirements marked, the lineage of courses (who was mutated from whom) with each course's difficulty
class and whether it was solved, the courses drawn to scale and their agents crossing them. The reference
code (uber-research/poet) only wrote these as logs; here they are read from the run directory: metrics and
events from the run store, the courses and agents from the latest checkpoint (``POET.restore``), and the
pictures drawn by ``aiga.envs.walker.render`` (mazes: ``aiga.envs.maze.render`` with the agent's path) on
demand, then cached in the run's ``media/dashboard/``.

The agent shown on a course is the niche's current θ at the checkpoint (archived niches: θ when retired).
The run keeps no separate best-scoring θ per niche, so "its agent's episode" is that one; the file name
carries the checkpoint iteration, so a later checkpoint gets a new picture and old ones stay valid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiga.core.config import AigaError, from_dict
from aiga.core.runstore import RunStore
from aiga.dashboard import pages as P

#: colours of the difficulty classes (those of ``aiga poet report``'s lineage picture)
DIFFICULTY_COLOURS = {None: "#8fbf6f", "challenging": "#f2c14e", "very challenging": "#f08a4b",
                      "extremely challenging": "#d1495b"}
EPISODE = {"every": 4, "scale": 0.5}  # frames every 4 steps at 300 x 200: small GIFs, real-time playback


def _poet_state(view: P.RunView, iteration: int | None = None) -> tuple[Any, Any] | None:
    """(config, POET) rebuilt from the latest checkpoint (or ``iteration``'s); None before the first."""
    from aiga.poet.config import POETConfig
    from aiga.poet.loop import POET, make_family

    for attempt in range(2):
        its = view.checkpoint_iterations()
        if not its or (iteration is not None and iteration not in its):
            return None
        it = its[-1] if iteration is None else iteration

        def build(it: int = it) -> tuple[Any, Any]:
            ckpt = view.store.load_checkpoint(it)
            cfg = from_dict(POETConfig, view.store.config())
            poet = POET(cfg, make_family(cfg), evaluator=None)
            poet.restore(ckpt.arrays, ckpt.meta)
            return cfg, poet

        try:
            if it != its[-1]:  # an older checkpoint (a picture asked for by a page not yet refreshed)
                return build()
            return view.memo.get(view.key, "poet", it, build)  # only the latest is kept
        except AigaError:
            if attempt == 1 or it in view.checkpoint_iterations():
                raise  # not the race with the run deleting an old checkpoint: really damaged
    return None


def poet_key_figure(store: RunStore) -> str:
    annecs, active = P.last_value(store, "annecs"), P.last_value(store, "niches/active")
    if annecs is None:
        return ""
    return f"ANNECS {annecs:.0f}, {active or 0:.0f} niches"


def poet_panels(view: P.RunView) -> list[dict[str, Any]]:
    from aiga.poet.report import lineage

    store = view.store
    out: list[dict[str, Any]] = []
    state_error = None
    try:
        state = _poet_state(view)
    except AigaError as e:  # a damaged checkpoint: the curves can still be shown
        state, state_error = None, str(e)
    cfg = state[0] if state else None
    last = store.last_iteration()
    info = store.info()
    out.append(P.facts("run", [
        ("variant", cfg.variant if cfg else store.config().get("variant")),
        ("iterations logged", 0 if last is None else last + 1),
        ("budget", store.config().get("iterations")),
        ("checkpoint", state[1].iteration if state else "none yet"),
        ("ANNECS", P.last_value(store, "annecs")),
        ("active niches", P.last_value(store, "niches/active")),
        ("archived", P.last_value(store, "niches/archived")),
        ("admitted", P.last_value(store, "admitted/total")),
        ("transfers", P.last_value(store, "transfers/total")),
        ("env steps", P.fmt_number(P.last_value(store, "env_steps/total"), 0)),
        ("steps/s", info.get("steps_per_s", "–")),
    ]))
    if last is None:
        out.append(P.message("The run has not finished its first iteration yet."))
        return out

    annecs = P.metric_series(store, names=["annecs"]).get("annecs", ([], []))
    out.append(P.chart("annecs", "ANNECS: accumulated number of novel environments created and solved",
                       [P.series("ANNECS", *annecs, shape="hv")], ylabel="ANNECS", from_zero=True))

    scores = P.metric_series(store, prefix="score/n")
    by_niche = {name.split("/n", 1)[1]: v for name, v in scores.items() if name[len("score/n"):].isdigit()}
    lines = [P.series(f"n{nid}", *by_niche[nid]) for nid in sorted(by_niche, key=int)]
    events = P.new_events(view, ("admitted", "retired", "transfer", "solved"),
                          keep=lambda kind, d: kind != "transfer" or d.get("accepted") is not None)
    markers = []
    for e in events:
        d, it = e["data"], e["iteration"]
        if e["kind"] == "admitted":
            cls = d.get("difficulty") or "not challenging"
            markers.append({"x": it, "kind": "admitted",
                            "text": f"n{d['niche']} admitted (child of n{d['parent']}, {cls})"})
        elif e["kind"] == "retired":
            markers.append({"x": it, "kind": "retired",
                            "text": f"n{d['niche']} retired (age {d.get('age')})"})
        elif e["kind"] == "transfer":
            xs, ys = by_niche.get(str(d["target"]), ([], []))
            y = dict(zip(xs, ys, strict=True)).get(it)
            markers.append({"x": it, "y": P.finite(y), "kind": "transfer",
                            "text": f"transfer n{d['source']} → n{d['target']} ({d['accepted']})"})
        else:
            xs, ys = by_niche.get(str(d["niche"]), ([], []))
            y = dict(zip(xs, ys, strict=True)).get(it)
            markers.append({"x": it, "y": P.finite(y), "kind": "solved", "text": f"n{d['niche']} solved"})
    out.append(P.chart("scores", "score of every niche's agent on its course", lines, ylabel="score",
                       markers=markers, wide=True,
                       note="lines: admissions (green), retirements (grey); points: accepted transfers "
                            "(on the receiving niche), first solved (star)"))

    if state_error is not None:
        out.append(P.message(f"The lineage and the niches cannot be shown: {state_error}", "error"))
        return out
    if state is None:
        out.append(P.message("No checkpoint yet: the lineage and the niches appear after the first one."))
        return out
    cfg, poet = state
    fam = poet.family

    def media(nid: int) -> list[dict[str, str]]:
        if fam.name != "walker":  # a maze: one picture, the level with its agent's path
            return [{"label": f"maze and its agent's path (checkpoint {poet.iteration})",
                     "url": view.render_url(f"course-n{nid}.png"), "kind": "image"}]
        return [{"label": "course to scale", "url": view.render_url(f"course-n{nid}.png"), "kind": "image"},
                {"label": f"its agent (checkpoint {poet.iteration})",
                 "url": view.render_url(f"episode-n{nid}-it{poet.iteration}.gif"), "kind": "image"}]

    nodes = []
    for d in lineage(poet):
        nid = d["nid"]
        solved = d["solved_at"] is not None
        detail = [("course", fam.describe(d["env"])),
                  ("parent", "–" if d["parent"] is None else f"n{d['parent']}"),
                  ("admitted at", d["created_at"]), ("difficulty", d["difficulty"] or "not challenging"),
                  ("solved at", d["solved_at"] if solved else "not solved"),
                  ("score", P.finite(d["score"])),
                  ("state", "active" if d["active"] else f"archived at {d['retired_at']}")]
        params = fam.to_dict(d["env"])
        detail += [(k, v) for k, v in params.items() if v is not None and not isinstance(v, dict)]
        nodes.append({
            "id": nid, "parent": d["parent"], "x": d["created_at"], "label": f"n{nid}",
            "colour": DIFFICULTY_COLOURS.get(d["difficulty"], DIFFICULTY_COLOURS[None]), "filled": solved,
            "shape": "circle" if d["active"] else "square",
            "detail": [[k, P._cell(v)] for k, v in detail],
            "media": media(nid),
        })
    legend = [{"label": k or "not challenging", "colour": c} for k, c in DIFFICULTY_COLOURS.items()]
    legend += [{"label": "filled: solved, hollow: not yet", "colour": ""},
               {"label": "circle: active, square: archived", "colour": ""}]
    out.append(P.tree("lineage", f"course lineage at checkpoint {poet.iteration} (x: iteration admitted)",
                      nodes, legend, note="click a course to see it drawn to scale and its agent's episode"))

    rows = []
    for n in poet.niches:
        rows.append([f"n{n.nid}", fam.describe(n.env), poet.difficulty.get(n.nid) or "not challenging",
                     poet.iteration - n.created_at, P.finite(n.score), P.finite(n.best_score),
                     n.transfers_in, n.transfers_out, poet.first_solved_at.get(n.nid, "–")])
    out.append(P.table("niches", f"active niches at checkpoint {poet.iteration}",
                       ["niche", "course", "difficulty", "age", "score", "best", "transfers in",
                        "transfers out", "solved at"], rows))
    return out


_COURSE_RE = re.compile(r"^course-n(\d{1,9})\.png$")
_EPISODE_RE = re.compile(r"^episode-n(\d{1,9})-it(\d{1,9})\.gif$")


def poet_render(view: P.RunView, item: str) -> Path | None:
    from aiga.envs.walker.render import draw_course, render_episode

    target = view.cache_dir / item
    if target.is_file():
        return target
    if m := _COURSE_RE.match(item):
        state = _poet_state(view)
        found = _find(state[1], int(m.group(1))) if state else None
        if found is None:
            return None
        cfg, poet = state
        if poet.family.name == "maze":  # a maze is drawn with the path its agent walks in one picture
            P.save_png(_maze_picture(found[0], found[1], cfg.max_steps), target)
            return target
        caption = f"n{m.group(1)}: {poet.family.describe(found[0])}"
        P.save_png(draw_course(found[0], px_per_unit=12.0, caption=caption), target)
        return target
    if m := _EPISODE_RE.match(item):
        state = _poet_state(view, int(m.group(2)))
        found = _find(state[1], int(m.group(1))) if state else None
        if found is None:
            return None
        cfg, poet = state
        if poet.family.name != "walker":
            return None  # a maze's episode is its path, drawn on the course picture
        render_episode(found[0], found[1], target, max_steps=cfg.max_steps, caption=f"n{m.group(1)}",
                       sim=cfg.sim, **EPISODE)
        return target
    return None


def _maze_picture(maze: Any, theta: Any, max_steps: int) -> Any:
    """The maze at 16 px a tile with the tiles the niche's greedy agent visits."""
    from PIL import Image

    from aiga.envs.maze.objective import greedy_path
    from aiga.envs.maze.render import render_level

    level = maze.level()
    path, _, _ = greedy_path(level, theta, max_steps)
    return Image.fromarray(render_level(level, tile=16, path=path))


def _find(poet: Any, nid: int) -> tuple[Any, Any] | None:
    """(course, θ) of niche ``nid``, active or archived."""
    for n in poet.niches:
        if n.nid == nid:
            return n.env, n.es.theta
    for r in poet.archive:
        if r.nid == nid:
            return r.env, r.theta
    return None


P.register(P.Page("poet", "POET", poet_key_figure, poet_panels, poet_render))
