"""``aiga ued --report DIR``: pictures of a UED run, written to ``DIR/media``.

* ``levels.png`` — the levels the generator produced over time (the ``levels`` events: the first levels of
  the batch played at snapshot cycles), one row per snapshot;
* ``heldout_paths.png`` — the trained student's path on each held-out maze (one sampled episode);
* ``curves.png`` — training return, exact regret of the played levels (with a running mean: cycles of
  different kinds alternate) and held-out solve rate per cycle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiga.core.config import from_dict
from aiga.core.runstore import RunStore
from aiga.envs.maze.level import from_dict as level_from_dict
from aiga.envs.maze.render import render_level


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def write_report(run_dir: str, max_rows: int = 8) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aiga.ued.config import UEDConfig

    out: list[Path] = []
    with RunStore.open(run_dir, "ued", readonly=True) as store:
        cfg = from_dict(UEDConfig, store.config())
        media = Path(store.media_dir)
        media.mkdir(parents=True, exist_ok=True)
        events = store.events("levels")
        ckpt = store.load_checkpoint()
        names = (("train/return", "regret/true", "heldout/mean/solve_rate") if cfg.family == "maze"
                 else ("train/return", "score/mean", "heldout/mean/return"))
        series = {n: store.series(n) for n in names}

    if events:
        picks = events if len(events) <= max_rows else [events[int(i)] for i in
                                                        np.linspace(0, len(events) - 1, max_rows).round()]
        cols = max(len(e["data"]["levels"]) for e in picks)
        fig, axes = plt.subplots(len(picks), cols, figsize=(1.3 * cols, 1.4 * len(picks)), squeeze=False)
        for r, e in enumerate(picks):
            for c in range(cols):
                ax = axes[r][c]
                ax.axis("off")
                if c < len(e["data"]["levels"]):
                    ax.imshow(render_level(level_from_dict({"rows": e["data"]["levels"][c]}), tile=4))
            axes[r][0].set_title(f"cycle {e['iteration']}", fontsize=7, loc="left")
        fig.suptitle(f"{cfg.method}: generated levels over time", fontsize=9)
        out.append(_save(fig, media / "levels.png"))

    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    for ax, (name, (x, y)) in zip(axes, series.items(), strict=True):
        ax.plot(x, y, alpha=0.35 if len(y) > 20 else 1.0)
        if len(y) > 20:  # cycles alternate between kinds of levels: show a running mean too
            k = 10
            ax.plot(x[k - 1:], np.convolve(y, np.ones(k) / k, mode="valid"), label=f"mean of {k}")
            ax.legend(fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("cycle")
    out.append(_save(fig, media / "curves.png"))

    if ckpt is not None and cfg.family == "maze":
        import jax

        from aiga.envs.maze import suite
        from aiga.ued.evaluate import agent_path
        from aiga.ued.run import arrays_to_state, initial_state, method_module, suite_names

        state = arrays_to_state(initial_state(cfg), ckpt.arrays)
        params = method_module(cfg.method).student_params(state)
        names = suite_names(cfg)
        cols = min(5, len(names))
        rows = -(-len(names) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.6 * rows), squeeze=False)
        for i, name in enumerate(names):
            level = suite.instances(name)[0]
            h = suite.reference_horizon(name) if cfg.eval_horizon == "reference" else int(cfg.eval_horizon)
            path, solved = agent_path(params, level, jax.random.PRNGKey(i), h, cfg.hidden)
            ax = axes[i // cols][i % cols]
            ax.imshow(render_level(level, tile=6, path=path))
            ax.set_title(f"{name}\n{'solved' if solved else 'not solved'} ({len(path)} steps)", fontsize=7)
        for ax in axes.flat:
            ax.axis("off")
        fig.suptitle(f"{cfg.method} after {ckpt.iteration} cycles: paths on held-out mazes", fontsize=9)
        out.append(_save(fig, media / "heldout_paths.png"))
    return out
