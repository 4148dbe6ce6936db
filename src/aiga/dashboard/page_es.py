"""The page of ``aiga es`` runs (direct optimisation on one course, the POET paper's baseline).

Wang et al. 2019 (POET), section 4: ES from scratch on a fixed course. The page shows the learning curve
(the score of θ after each ES step, the best so far, the population's best and mean returns) and the
course with the best agent so far crossing it, drawn on demand from the latest checkpoint's
``best_theta`` and cached in the run's ``media/dashboard/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiga.core.config import AigaError, from_dict
from aiga.core.runstore import RunStore
from aiga.dashboard import pages as P
from aiga.dashboard.page_poet import EPISODE


def _es_state(view: P.RunView, iteration: int | None = None) -> tuple[Any, Any, int] | None:
    """(config, best θ, checkpoint iteration) of an ``aiga es`` run."""
    from aiga.poet.direct_es import DirectESConfig

    its = view.checkpoint_iterations()
    if not its or (iteration is not None and iteration not in its):
        return None
    it = its[-1] if iteration is None else iteration

    def build() -> tuple[Any, Any, int]:
        ckpt = view.store.load_checkpoint(it)
        cfg = from_dict(DirectESConfig, view.store.config())
        if "best_theta" not in ckpt.arrays:
            raise AigaError(f"checkpoint {it} of {view.path} has no best_theta; "
                            "it was not written by aiga es")
        return cfg, ckpt.arrays["best_theta"], it

    return build() if it != its[-1] else view.memo.get(view.key, "es", it, build)


def es_key_figure(store: RunStore) -> str:
    s, b = P.last_value(store, "score"), P.last_value(store, "score/best")
    return "" if s is None else f"score {s:.1f} (best {P.fmt_number(b)})"


def es_panels(view: P.RunView) -> list[dict[str, Any]]:
    from aiga.envs.walker.family import WalkerFamily
    from aiga.poet.direct_es import DirectESConfig

    store = view.store
    cfg = from_dict(DirectESConfig, store.config())
    last = store.last_iteration()
    out = [P.facts("run", [
        ("course", WalkerFamily(courses="poet").describe(cfg.course_params())),
        ("iterations logged", 0 if last is None else last + 1), ("budget", cfg.iterations),
        ("score", P.last_value(store, "score")), ("best score", P.last_value(store, "score/best")),
        ("stop score", cfg.stop_score if cfg.stop_score is not None else "–"),
        ("env steps", P.fmt_number(P.last_value(store, "env_steps/total"), 0)),
        ("lr", P.last_value(store, "lr")),
        ("sigma", P.last_value(store, "sigma")), ("steps/s", store.info().get("steps_per_s", "–")),
    ])]
    if last is None:
        out.append(P.message("The run has not finished its first iteration yet."))
        return out
    names = ["score", "score/best", "return/best", "return/mean"]
    data = P.metric_series(store, names=names)
    out.append(P.chart("curve", "learning curve", [P.series(n, *data[n]) for n in names if n in data],
                       ylabel="return", wide=True,
                       note="score: θ after each step (one rollout); "
                            "return/best, return/mean: the step's population"))
    try:
        state = _es_state(view)
    except AigaError as e:
        state = None
        out.append(P.message(f"The agent cannot be shown: {e}", "error"))
    items = [{"label": "course to scale", "url": view.render_url("course.png"), "kind": "image"}]
    if state is not None:
        items.append({"label": f"best agent so far (checkpoint {state[2]})",
                      "url": view.render_url(f"episode-best-it{state[2]}.gif"), "kind": "image"})
    out.append(P.media("agent", "the course and the agent", items))
    return out


_ES_EPISODE_RE = re.compile(r"^episode-best-it(\d{1,9})\.gif$")


def es_render(view: P.RunView, item: str) -> Path | None:
    from aiga.envs.walker.render import draw_course, render_episode
    from aiga.poet.direct_es import DirectESConfig

    target = view.cache_dir / item
    if target.is_file():
        return target
    if item == "course.png":
        cfg = from_dict(DirectESConfig, view.store.config())
        P.save_png(draw_course(cfg.course_params(), px_per_unit=12.0), target)
        return target
    if m := _ES_EPISODE_RE.match(item):
        state = _es_state(view, int(m.group(1)))
        if state is None:
            return None
        cfg, theta, _ = state
        render_episode(cfg.course_params(), theta, target, max_steps=cfg.max_steps,
                       caption="best agent so far", sim=cfg.sim, **EPISODE)
        return target
    return None


P.register(P.Page("es", "ES on one course", es_key_figure, es_panels, es_render))
