"""DR, robust PLR and ACCEL over *any* ``EnvFamily`` with an evolution-strategies agent: ``aiga ued
--family walker`` runs them on POET's walker obstacle courses, which no reference code can do (dcd's
BipedalWalker runs used PPO and a hard-wired 8-parameter terrain; jaxued/minimax are maze-only).

The agent is POET's: one 24-40-40-4 MLP trained by OpenAI-ES (``aiga.core.es``, ``es_pairs`` antithetic
pairs per step). A cycle is one ES step on one environment, chosen like the maze methods choose levels:

* ``dr`` — a fresh ``family.sample`` every cycle, with its ES update.
* ``plr`` (PLR⊥) — with the buffer ``min_fill`` full and probability ``replay_prob``, a course drawn from
  the level buffer by the same rank-and-staleness distribution as on mazes (``buffer.rank_weights``,
  ``staleness_weights``) gets the ES update; otherwise a fresh course is only *scored* (the ES population
  is evaluated, the update discarded: no gradient on unchosen levels) and offered to the buffer.
* ``accel`` — as PLR⊥; after each replay the replayed course is edited ``n_edits`` times with
  ``family.mutate`` (POET's mutation), scored, and offered to the buffer; fresh courses are one edit
  away from ``family.initial()`` (the flat course), so complexity grows by edits.

Score: ES has no critic, so PVL/MaxMC do not exist. We use the ES analogue of minimax's *population
regret*: the best minus the mean return of the population ``θ ± σε_i`` on the course — high where some
nearby policy already does much better than the agent. Buffer bookkeeping lives on the host (courses
are Python objects); checkpoints store θ, Adam state, scores and timestamps as arrays and the courses as
``family.to_dict`` JSON, with the numpy generator's state, so resume is exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aiga.core.progress import progress
from aiga.core.runstore import RunContext
from aiga.core.seeding import make_rng, rng_from_state, rng_state

HELDOUT_SEED = 12345
N_HELDOUT = 3


def _weights(scores: np.ndarray, timestamps: np.ndarray, count: int, size: int, temperature: float,
             staleness: float) -> np.ndarray:
    from aiga.ued import buffer as lb

    rank = np.asarray(lb.rank_weights(scores.astype(np.float32), np.int32(size), temperature), np.float64)
    stale = np.asarray(lb.staleness_weights(timestamps.astype(np.int32), np.int32(count), np.int32(size)),
                       np.float64)
    p = (1 - staleness) * rank + staleness * stale
    return p / p.sum()


class FamilyBuffer:
    """PLR's level buffer for arbitrary (hashable) environment parameters; same rules as ``buffer.py``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.levels: list[Any] = []
        self.scores = np.zeros(0)
        self.timestamps = np.zeros(0, np.int64)
        self.count = 0

    def insert(self, level: Any, score: float) -> None:
        self.count += 1
        if len(self.levels) < self.capacity:
            self.levels.append(level)
            self.scores = np.append(self.scores, score)
            self.timestamps = np.append(self.timestamps, self.count)
            return
        i = int(np.argmin(self.scores))
        if score > self.scores[i]:
            self.levels[i], self.scores[i], self.timestamps[i] = level, score, self.count

    def sample(self, rng: np.random.Generator, temperature: float, staleness: float) -> int:
        n = len(self.levels)
        p = _weights(self.scores, self.timestamps, self.count, n, temperature, staleness)
        i = int(rng.choice(n, p=p))
        self.count += 1
        self.timestamps[i] = self.count
        return i


def train_walker(ctx: RunContext, workers: int | None = 1, ray: str | None = None) -> dict[str, float]:
    from aiga.core.es import ESConfig, ESState, es_step
    from aiga.core.policy import POET_WALKER_SIZES, MLPPolicy
    from aiga.core.workers import make_evaluator
    from aiga.envs.family import get_family
    from aiga.envs.walker.evaluate import CourseObjective, prepare_sim

    cfg = ctx.config
    prepare_sim(cfg.walker_sim)
    store = ctx.store
    family = get_family(cfg.family)
    es_cfg = ESConfig(pairs=cfg.es_pairs, sigma=cfg.es_sigma, lr=cfg.es_lr)
    policy = MLPPolicy(POET_WALKER_SIZES)
    rng = make_rng(cfg.seed, "ued-walker")
    es = ESState.initial(policy.init(make_rng(cfg.seed, "ued-walker-theta")), es_cfg)
    buf = FamilyBuffer(cfg.buffer_size)
    last_replayed: Any = None
    start = 0
    if ctx.checkpoint is not None:
        a, meta = ctx.checkpoint.arrays, ctx.checkpoint.meta
        es = ESState.from_arrays(a, meta["es"])
        rng = rng_from_state(meta["rng"])
        buf.levels = [family.from_dict(d) for d in meta["buffer_levels"]]
        buf.scores, buf.timestamps = a["buffer_scores"], a["buffer_timestamps"]
        buf.count = int(meta["buffer_count"])
        last_replayed = None if meta["last_replayed"] is None else family.from_dict(meta["last_replayed"])
        start = ctx.checkpoint.iteration
    heldout_rng = make_rng(HELDOUT_SEED, "ued-walker-heldout")
    heldout = [family.initial()] + [family.sample(heldout_rng) for _ in range(N_HELDOUT - 1)]

    def objective(level: Any) -> Any:
        return CourseObjective(level, cfg.walker_max_steps, sim=cfg.walker_sim)

    last: dict[str, float] = {}
    with make_evaluator(workers, ray) as evaluator, progress(cfg.iterations, f"ued {cfg.method} walker",
                                                             initial=start) as bar:
        for it in range(start + 1, cfg.iterations + 1):
            if cfg.method == "accel" and last_replayed is not None:
                kind, level = 2, last_replayed
                for _ in range(cfg.n_edits):
                    level = family.mutate(level, rng)
                last_replayed = None
            elif (cfg.method in ("plr", "accel") and len(buf.levels) >= cfg.min_fill * cfg.buffer_size
                  and rng.random() < cfg.replay_prob):
                kind = 1
                idx = buf.sample(rng, cfg.temperature, cfg.staleness_coef)
                level = buf.levels[idx]
                last_replayed = level if cfg.method == "accel" else None
            else:
                kind = 0
                level = family.mutate(family.initial(), rng) if cfg.method == "accel" else family.sample(rng)
            new_es, stats = es_step(es, es_cfg, objective(level), evaluator, cfg.seed, (it,))
            score = float(stats.returns.max() - stats.returns.mean())
            grad = kind == 1 or cfg.method == "dr" or cfg.exploratory_grad
            if grad:
                es = new_es
            if kind == 1:
                buf.scores[idx] = score
            elif cfg.method != "dr":
                buf.insert(level, score)
            m = {"train/return": stats.mean, "train/best": stats.best, "score/mean": score,
                 "cycle/kind": float(kind), "env_steps_cycle": float(stats.env_steps),
                 "buffer/size": float(len(buf.levels)),
                 "buffer/mean_score": float(buf.scores.mean()) if len(buf.levels) else 0.0}
            if (cfg.eval_every and it % cfg.eval_every == 0) or it == cfg.iterations:
                res = evaluator.evaluate([(objective(c), es.theta) for c in heldout])
                for i, r in enumerate(res.returns):
                    m[f"heldout/course{i}/return"] = float(r)
                m["heldout/mean/return"] = float(np.mean(res.returns))
            store.log_metrics(it, m)
            store.log_event(it, "course", {"kind": ["new", "replay", "edit"][kind], "score": score,
                                           "course": family.to_dict(level),
                                           "describe": family.describe(level)})
            if it % cfg.checkpoint_every == 0 or it == cfg.iterations:
                arrays = {**es.to_arrays(), "buffer_scores": np.asarray(buf.scores, np.float64),
                          "buffer_timestamps": np.asarray(buf.timestamps, np.int64)}
                meta = {"es": es.meta(), "rng": rng_state(rng), "buffer_count": buf.count,
                        "buffer_levels": [family.to_dict(lv) for lv in buf.levels],
                        "last_replayed": None if last_replayed is None else family.to_dict(last_replayed)}
                store.save_checkpoint(it, arrays, meta)
            last = m
            bar.update(1, ret=m["train/return"], score=score)
    return last
