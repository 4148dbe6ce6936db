"""Direct optimisation: POET's ES on one fixed course (``aiga es``), the paper's baseline.

Wang et al. 2019 ("POET", section 4 and figure 4) compare POET against optimising an agent *directly*
on a target course with the same ES ("ES from scratch"): it solves easy courses and fails the very and
extremely challenging ones that POET's agents solve. This module is that baseline, and also the
simplest end-to-end user of the machinery (``aiga.core.es``, ``aiga.core.workers``,
``aiga.core.runstore``). Reference code: uber-research/poet ``original_poet`` branch, ``poet_algo.py``
``MultiESOptimizer.ind_es_step`` with one niche (an ES step, then an evaluation of the new θ).

Per iteration ``t``: one ES step (noise key ``("es", t)``), then the *score* of the new θ from one
evaluation rollout. The course is deterministic (fixed ground and initial push per seed), so the
reference's 5 evaluation rollouts were 5 identical numbers (poet.md defect 5): one suffices.

Run directory (``runs/es-<timestamp>/``): metrics per iteration ``return/best``, ``return/mean`` (of the
2·pairs population), ``score`` (θ after the step), ``score/best``, ``env_steps`` (this iteration,
population + evaluation), ``env_steps/total``, ``lr``, ``sigma``, ``grad_norm``; checkpoints hold θ, Adam
moments, the best θ so far and the scalars (t, lr, σ, totals). No random generator is live after the
initial θ is drawn (noise is keyed by the iteration), so a checkpoint needs no RNG state and a resumed run
is bit-identical to an uninterrupted one with any number of workers. Wall-clock figures (steps/s) are not
reproducible, so they go to the progress bar and to the run's ``info`` table (``steps_per_s``,
``wall_seconds``), never to the digested metrics.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from aiga.core.config import AigaError, check_choice, check_range, param
from aiga.core.es import ESConfig, ESState, es_step
from aiga.core.progress import progress
from aiga.core.runstore import RunContext, run_status, start_run
from aiga.core.seeding import make_rng
from aiga.envs.walker.evaluate import SIMS

SYSTEM = "es"


@dataclass(frozen=True)
class DirectESConfig:
    """Everything that defines an ``aiga es`` run (and so its digest)."""

    seed: int = param(0, "seed of the run: initial policy and ES noise")
    iterations: int = param(1000, "ES steps (iteration budget)")
    course_roughness: float = param(0.0, "course roughness in [0, 10] (0 = flat)")
    course_pit_gap: tuple[float, float] | None = param(
        None, "pit gap interval 'lo hi' in [0, 8] (unset: no pits)")
    course_stump_height: tuple[float, float] | None = param(
        None, "stump height interval 'lo hi' in [0, 5] (unset: no stumps)")
    course_stair_height: tuple[float, float] | None = param(
        None, "stair height interval (reference code only)")
    course_stair_steps: tuple[int, int] | None = param(
        None, "stair count interval (with course_stair_height)")
    course_seed: int = param(0, "course seed: fixes the ground, the obstacles and the initial push")
    sim: str = param("fast", "walker simulator: fast (compiled, about 5x Box2D's speed in training, "
                             "validated against it: docs/walker.md) or box2d (the reference)")
    max_steps: int = param(2000, "episode cap in steps (the reference's 2000)")
    es: ESConfig = param(ESConfig(), "POET's ES hyperparameters")
    checkpoint_every: int = param(1, "iterations between checkpoints (the last iteration always checkpoints)")
    stop_score: float | None = param(None, "stop early once the score of theta reaches this (e.g. 230)")
    curriculum_stages: int = param(0, "0: train on the course directly; K > 0: the POET paper's direct-path "
                                      "curriculum, K courses from flat to the course, moving on when solved")
    curriculum_advance: float = param(230.0, "the score at which the curriculum moves to its next course")

    def __post_init__(self) -> None:
        check_range("seed", self.seed, 0, 2**63 - 1)
        check_range("iterations", self.iterations, 1, None)
        check_choice("sim", self.sim, SIMS)
        check_range("max_steps", self.max_steps, 1, 100_000)
        check_range("checkpoint_every", self.checkpoint_every, 1, None)
        check_range("curriculum_stages", self.curriculum_stages, 0, 10_000)
        self.course_params()  # validates the course fields with CourseParams' own one-line errors

    def course_params(self) -> Any:
        from aiga.envs.walker.terrain import CourseParams

        return CourseParams(roughness=self.course_roughness, pit_gap=self.course_pit_gap,
                            stump_height=self.course_stump_height, stair_height=self.course_stair_height,
                            stair_steps=self.course_stair_steps, seed=self.course_seed)


# Named courses for ``--course``: the flat start of POET, and the hard course of the walker benchmark
# (every one of POET's three difficulty criteria almost met).
COURSES: dict[str, dict[str, Any]] = {
    "flat": {},
    "hard": {"roughness": 4.5, "pit_gap": (5.4, 6.0), "stump_height": (2.0, 2.4)},
}


def course_preset(course: str | None) -> dict[str, Any]:
    """Config fields for ``--course NAME`` or ``--course FILE.toml`` (a table of CourseParams fields)."""
    if course is None:
        return {}
    if course in COURSES:
        fields = COURSES[course]
    elif course.endswith(".toml"):
        from aiga.core.config import load_toml
        from aiga.envs.walker.terrain import CourseParams

        data = load_toml(course)
        data = data.get("course", data)  # either a bare table or a [course] table
        params = CourseParams.from_dict(data)
        if params.cppn is not None:
            raise AigaError("aiga es takes parametric courses; CPPN courses are not supported yet")
        fields = {k: v for k, v in params.to_dict().items() if v is not None and k != "cppn"}
    else:
        raise AigaError(f"--course must be one of {', '.join(COURSES)} or a .toml file, got {course!r}")
    return {f"course_{k}": list(v) if isinstance(v, tuple) else v for k, v in fields.items()}


def curriculum_course(cfg: DirectESConfig, stage: int) -> Any:
    """Course ``stage`` of the direct-path curriculum (POET paper, section 4.3: the control that "builds a
    curriculum along the direct path from the flat environment to the target"): every obstacle parameter
    at ``stage / K`` of its target value, so stage 0 is flat and stage K the target; same course seed."""
    from aiga.envs.walker.terrain import CourseParams

    target = cfg.course_params()
    k = cfg.curriculum_stages
    if k == 0 or stage >= k:
        return target
    f = stage / k

    def part(interval: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if interval is None or f == 0 else (round(interval[0] * f, 6), round(interval[1] * f, 6))

    return CourseParams(roughness=round(target.roughness * f, 6), pit_gap=part(target.pit_gap),
                        stump_height=part(target.stump_height), seed=target.seed)


def make_objective(cfg: DirectESConfig, stage: int | None = None) -> Any:
    """The walker-course objective the workers evaluate (picklable, cached by its key in workers): the
    course itself, or the curriculum's course ``stage``."""
    from aiga.envs.walker.evaluate import CourseObjective

    params = cfg.course_params() if stage is None else curriculum_course(cfg, stage)
    return CourseObjective(params, cfg.max_steps, sim=cfg.sim)


def initial_theta(cfg: DirectESConfig) -> np.ndarray:
    from aiga.core.policy import MLPPolicy

    return MLPPolicy().init(make_rng(cfg.seed, "policy-init"))


@dataclass(frozen=True)
class DirectESResult:
    run_dir: str
    iterations_done: int
    score: float
    best_score: float
    reached: bool  # stop_score was reached


def train(
    *,
    resume: str | None = None,
    run_dir: str | None = None,
    preset: dict[str, Any] | None = None,
    config_file: str | None = None,
    overrides: dict[str, Any] | None = None,
    workers: int | None = None,
    ray: str | None = None,
    objective: Any = None,
) -> DirectESResult:
    """Create or resume an ``es`` run and train until the budget (or ``stop_score``); see module docs."""
    from aiga.core.workers import make_evaluator

    evaluator = make_evaluator(workers, ray)  # fails (one line) before anything is written
    try:
        ctx = start_run(SYSTEM, DirectESConfig, resume=resume, run_dir=run_dir, preset=preset,
                        config_file=config_file, overrides=overrides)
        try:
            if objective is None:
                from aiga.envs.walker.evaluate import prepare_sim

                prepare_sim(ctx.config.sim)
            return _loop(ctx, evaluator, objective)
        finally:
            ctx.store.close()
    finally:
        evaluator.close()


def _loop(ctx: RunContext, evaluator: Any, objective: Any) -> DirectESResult:
    store, cfg = ctx.store, ctx.config
    es_cfg: ESConfig = cfg.es
    given = objective
    if ctx.checkpoint is not None:
        ck = ctx.checkpoint
        state = ESState.from_arrays(ck.arrays, ck.meta.get("es", {}))
        try:
            best_theta = np.asarray(ck.arrays["best_theta"])
            score, best_score = float(ck.meta["score"]), float(ck.meta["best_score"])
            total_steps = int(ck.meta["env_steps_total"])
        except (KeyError, TypeError, ValueError) as e:
            raise AigaError(f"checkpoint of {store.path} lacks {e}; it was not written by aiga es") from None
        start = ck.iteration + 1
        stage = int(ck.meta.get("stage", cfg.curriculum_stages))
    else:
        stage = 0
        state = ESState.initial(initial_theta(cfg), es_cfg)
        best_theta, score, best_score, total_steps, start = state.theta, -np.inf, -np.inf, 0, 0
    objective = given if given is not None else make_objective(cfg, stage)
    reached = cfg.stop_score is not None and score >= cfg.stop_score and stage >= cfg.curriculum_stages
    info = store.info()
    wall_before = float(info.get("wall_seconds", 0.0))
    t_run = time.perf_counter()
    done = start
    with run_status(store), progress(cfg.iterations, "es", initial=start) as bar:
        for it in range(start, cfg.iterations):
            if reached:
                break
            t0 = time.perf_counter()
            state, stats = es_step(state, es_cfg, objective, evaluator, cfg.seed, ("es", it))
            ev = evaluator.evaluate([(objective, state.theta)])
            score = float(ev.returns[0])
            if score > best_score:
                best_score, best_theta = score, state.theta
            steps = stats.env_steps + ev.env_steps
            total_steps += steps
            figures = {
                "return/best": stats.best, "return/mean": stats.mean,
                "score": score, "score/best": best_score,
                "env_steps": steps, "env_steps/total": total_steps,
                "lr": state.lr, "sigma": state.sigma, "grad_norm": stats.grad_norm,
            }
            if cfg.curriculum_stages:
                figures["curriculum/stage"] = stage
                if stage < cfg.curriculum_stages and score >= cfg.curriculum_advance:
                    stage += 1  # solved this stage's course: the next iteration trains on the next one
                    course = curriculum_course(cfg, stage).to_dict()
                    store.log_event(it, "curriculum stage",
                                    {"stage": stage, "score": score, "course": course})
                    objective = given if given is not None else make_objective(cfg, stage)
            store.log_metrics(it, figures)
            reached = (cfg.stop_score is not None and score >= cfg.stop_score
                       and stage >= cfg.curriculum_stages)
            last = it == cfg.iterations - 1 or reached
            if (it + 1) % cfg.checkpoint_every == 0 or last:
                meta = {"es": state.meta(), "score": score, "best_score": best_score,
                        "env_steps_total": total_steps, "stage": stage}
                store.save_checkpoint(it, {**state.to_arrays(), "best_theta": best_theta}, meta)
            dt = time.perf_counter() - t0
            store.set_info(steps_per_s=f"{steps / dt:.1f}",
                           wall_seconds=f"{wall_before + time.perf_counter() - t_run:.1f}")
            bar.update(1, best=stats.best, mean=stats.mean, score=score, steps_s=round(steps / dt))
            done = it + 1
            if reached:
                bar.write(f"score {score:.1f} reached stop_score {cfg.stop_score:g} at iteration {it}")
    return DirectESResult(str(store.path), done, float(score), float(best_score), bool(reached))


def config_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(DirectESConfig)]
