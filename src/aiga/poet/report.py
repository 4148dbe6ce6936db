"""``aiga poet report RUN``: what a POET run invented, as a summary and pictures in its ``media/``.

Pictures: ``lineage.png`` (the family tree of courses: who was mutated from whom, when, how hard, solved
or not), ``annecs.png`` (ANNECS over iterations), ``scores.png`` (every niche's score over iterations,
admissions and retirements marked), and per active niche ``courses/n<id>.png`` (the course to scale) and
``episodes/n<id>.gif`` (its agent's episode on it). Everything is read from the run directory (run store
and latest checkpoint); nothing in the run is changed except ``media/``.

For ``--family maze`` runs the courses and episodes become ``mazes.png`` (every maze the run admitted, in
order, with the path its niche's greedy agent walks on it; ``aiga.envs.maze.render``) and
``courses/n<id>.png`` per active niche.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aiga.core.config import AigaError, from_dict
from aiga.core.layout import tree_rows
from aiga.core.runstore import RunStore

DIFFICULTY_COLOURS = {
    None: "#8fbf6f",
    "challenging": "#f2c14e",
    "very challenging": "#f08a4b",
    "extremely challenging": "#d1495b",
}


def load_run(run_dir: str | Path) -> tuple[RunStore, Any, Any, Any]:
    """Open a POET run (read-only) and rebuild its config, family and POET state from the checkpoint."""
    from aiga.poet.config import POETConfig
    from aiga.poet.loop import POET, make_family

    store = RunStore.open(run_dir, "poet", readonly=True)
    cfg = from_dict(POETConfig, store.config())
    ckpt = store.load_checkpoint()
    if ckpt is None:
        store.close()
        raise AigaError(f"{run_dir} has no checkpoint yet (the run has not finished an iteration)")
    poet = POET(cfg, make_family(cfg), evaluator=None)
    poet.restore(ckpt.arrays, ckpt.meta)
    return store, cfg, poet.family, poet


def lineage(poet: Any) -> list[dict[str, Any]]:
    """Every course the run admitted (and the initial one), with parent, times, difficulty, solved."""
    nodes = []
    for n in poet.niches:
        nodes.append(
            {
                "nid": n.nid,
                "parent": n.parent,
                "created_at": n.created_at,
                "retired_at": None,
                "active": True,
                "score": n.score,
                "env": n.env,
            }
        )
    for r in poet.archive:
        nodes.append(
            {
                "nid": r.nid,
                "parent": r.parent,
                "created_at": r.created_at,
                "retired_at": r.retired_at,
                "active": False,
                "score": r.score,
                "env": r.env,
            }
        )
    for d in nodes:
        d["difficulty"] = poet.difficulty.get(d["nid"])
        d["solved_at"] = poet.first_solved_at.get(d["nid"])
    return sorted(nodes, key=lambda d: d["nid"])


def draw_lineage(nodes: list[dict[str, Any]], path: Path, title: str, fmt: str = ".0f") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = tree_rows([(d["nid"], d["parent"]) for d in nodes])  # nodes come sorted by id
    by_id = {d["nid"]: d for d in nodes}
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.45 * len(nodes) + 1.5)))
    for d in nodes:
        p = d["parent"]
        if p is not None and p in by_id:
            ax.plot(
                [by_id[p]["created_at"], d["created_at"]],
                [y[p], y[d["nid"]]],
                color="#999999",
                lw=1,
                zorder=1,
            )
    for d in nodes:
        colour = DIFFICULTY_COLOURS.get(d["difficulty"], "#8fbf6f")
        solved = d["solved_at"] is not None
        ax.scatter(
            [d["created_at"]],
            [y[d["nid"]]],
            s=160,
            zorder=2,
            color=colour if solved else "white",
            edgecolors=colour if d["active"] else "#555555",
            linewidths=2.5 if d["active"] else 1.2,
            marker="o" if d["active"] else "s",
        )
        label = f"n{d['nid']}" + (f"  {d['score']:{fmt}}" if d["score"] is not None else "")
        ax.annotate(
            label, (d["created_at"], y[d["nid"]]), xytext=(8, -3), textcoords="offset points", fontsize=8
        )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=str(k or "not challenging"), markersize=9)
        for k, c in DIFFICULTY_COLOURS.items()
    ]
    handles += [
        Line2D(
            [], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="#555", label="not solved"
        ),
        Line2D([], [], marker="s", ls="", markerfacecolor="white", markeredgecolor="#555", label="archived"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("iteration admitted")
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_curves(store: RunStore, media: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    it, annecs = store.series("annecs")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.step(it, annecs, where="post", color="#3366aa")
    ax.set_xlabel("iteration")
    ax.set_ylabel("ANNECS")
    ax.set_title("accumulated number of novel environments created and solved")
    fig.tight_layout()
    fig.savefig(media / "annecs.png", dpi=110)
    plt.close(fig)
    out.append(media / "annecs.png")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    names = sorted(
        {name for _, name, _ in store.metrics(prefix="score/n")}, key=lambda s: int(s.split("n")[-1])
    )
    for name in names:
        xs, ys = store.series(name)
        ax.plot(xs, ys, lw=1, label=name.split("/")[1])
    for e in store.events("admitted"):
        ax.axvline(e["iteration"], color="#2a9d8f", lw=0.6, alpha=0.5)
    for e in store.events("retired"):
        ax.axvline(e["iteration"], color="#999999", lw=0.6, ls=":")
    ax.set_xlabel("iteration (green: admissions, dotted: retirements)")
    ax.set_ylabel("score")
    if len(names) <= 12:
        ax.legend(fontsize=7, ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(media / "scores.png", dpi=110)
    plt.close(fig)
    out.append(media / "scores.png")
    return out


def report(run_dir: str | Path, episodes: bool = True) -> str:
    """Write the pictures into ``media/`` and return the text summary."""
    store, cfg, family, poet = load_run(run_dir)
    try:
        media = store.path / "media"
        media.mkdir(exist_ok=True)
        nodes = lineage(poet)
        maze = cfg.family == "maze"
        draw_lineage(
            nodes,
            media / "lineage.png",
            f"POET ({cfg.variant}{', mazes' if maze else ''}) lineage, iteration {poet.iteration}",
            fmt=".2f" if maze else ".0f",
        )
        draw_curves(store, media)
        if maze:
            draw_mazes(poet, cfg, media)
            return summary(store, cfg, family, poet, nodes, media)
        from aiga.envs.walker.render import draw_course, render_episode

        (media / "courses").mkdir(exist_ok=True)
        (media / "episodes").mkdir(exist_ok=True)
        for n in poet.niches:
            draw_course(n.env).save(media / "courses" / f"n{n.nid}.png")
            if episodes:
                render_episode(
                    n.env,
                    n.es.theta,
                    media / "episodes" / f"n{n.nid}.gif",
                    max_steps=cfg.max_steps,
                    every=4,
                    scale=0.5,
                    caption=f"n{n.nid}: {family.describe(n.env)}",
                    sim=cfg.sim,
                )
        return summary(store, cfg, family, poet, nodes, media)
    finally:
        store.close()


def draw_mazes(poet: Any, cfg: Any, media: Path, columns: int = 6) -> list[Path]:
    """Every maze of the run (initial, admitted; active and archived) with its niche agent's greedy path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from aiga.envs.maze.objective import greedy_path
    from aiga.envs.maze.render import render_level

    entries = [(n.nid, n.env, n.es.theta, n.created_at, n.parent, True) for n in poet.niches]
    entries += [(r.nid, r.env, r.theta, r.created_at, r.parent, False) for r in poet.archive]
    entries.sort(key=lambda e: e[0])
    (media / "courses").mkdir(exist_ok=True)
    out = []
    rows = max(1, -(-len(entries) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(2.0 * columns, 2.25 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (nid, env, theta, created, parent, active) in zip(axes.flat, entries, strict=False):
        level = env.level()
        path, ret, length = greedy_path(level, theta, cfg.max_steps)
        img = render_level(level, tile=8, path=path)
        ax.imshow(img)
        walls = int(level.wall_map.sum())
        ax.set_title(
            f"n{nid}{'' if parent is None else f'<n{parent}'} it{created}\n{walls} walls, "
            f"{'solved' if ret > 0 else 'fails'} {ret:.2f}" + ("" if active else " (archived)"),
            fontsize=7,
        )
        if active:
            Image.fromarray(render_level(level, tile=16, path=path)).save(media / "courses" / f"n{nid}.png")
            out.append(media / "courses" / f"n{nid}.png")
    title = f"POET on mazes: every maze admitted by iteration {poet.iteration} (blue: the agent's path)"
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(media / "mazes.png", dpi=110)
    plt.close(fig)
    return [media / "mazes.png", *out]


def summary(
    store: RunStore, cfg: Any, family: Any, poet: Any, nodes: list[dict[str, Any]], media: Path
) -> str:
    solved = [d for d in nodes if d["solved_at"] is not None]
    hardest = max(
        solved,
        key=lambda d: (_rank(d["difficulty"]), float(np.sum(family.descriptor(d["env"])))),
        default=None,
    )
    info = store.info()
    digits = 3 if cfg.family == "maze" else 1
    lines = [
        f"POET run {store.path} ({cfg.variant}), status {info.get('status')}, iteration {poet.iteration} of "
        f"{cfg.iterations}",
        f"  courses admitted {poet.counters['admitted']}, active {len(poet.niches)}, "
        f"archived {len(poet.archive)}; "
        f"transfers {poet.counters['transfers']}; env steps {poet.counters['env_steps']:,}",
        f"  ANNECS {poet.annecs()}; solved courses by class: "
        + ", ".join(f"{k} {v}" for k, v in _solved_counts(solved).items()),
    ]
    if hardest is not None:
        lines.append(f"  hardest solved: n{hardest['nid']} — {family.describe(hardest['env'])}")
    lines.append("  active niches:")
    for n in poet.niches:
        lines.append(
            f"    n{n.nid:<4} score {n.score if n.score is None else round(n.score, digits)!s:>7}  age "
            f"{poet.iteration - n.created_at:>5}  in/out {n.transfers_in}/{n.transfers_out}  "
            f"{family.describe(n.env)}"
        )
    pictures = "mazes.png, courses/" if cfg.family == "maze" else "courses/, episodes/"
    lines.append(f"  pictures in {media}: lineage.png, annecs.png, scores.png, {pictures}")
    return "\n".join(lines)


def _rank(d: str | None) -> int:
    return ["challenging", "very challenging", "extremely challenging"].index(d) + 1 if d else 0


def _solved_counts(solved: list[dict[str, Any]]) -> dict[str, int]:
    from aiga.poet.rules import difficulty_counts

    return difficulty_counts(d["difficulty"] for d in solved)
