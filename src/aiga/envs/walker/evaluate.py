"""Score many policy parameter vectors on one walker course, with one batched policy forward per step.

POET (Wang et al. 2019) scores every ES perturbation of a niche's agent on the niche's fixed course:
the reference (uber-research/poet, ``niches/box2d/model.py: simulate``) runs one environment per
parameter vector and calls the 24-40-40-4 tanh MLP once per step per environment. Here B simulators of
the same course step in lockstep and the policy runs once per step for all still-running walkers
(``MLPPolicy.forward`` with batched matmuls); walkers that finish drop out. The course geometry is
generated once and shared. Every walker's trajectory is exactly what it would be alone (the tests check
batched == one-at-a-time), because each simulator is independent and each row of the batched forward
is computed independently.

Lengths count the steps an episode took (the reference reports the last loop index, one less).

``sim`` chooses the simulator: ``"box2d"`` (the reference, ``box2d_env``) or ``"fast"`` (``fast_sim``, the
compiled re-implementation of Box2D's algorithms for this scene, validated against Box2D in
``tests/envs/walker/test_walker_fast_*.py``; the walkers run in lockstep chunks, the solver's loops
vectorised over them, the policy inside the compiled loop).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import numpy as np

from aiga.core.config import AigaError
from aiga.core.policy import POET_WALKER_SIZES, MLPPolicy
from aiga.envs.walker.constants import MAX_EPISODE_STEPS
from aiga.envs.walker.terrain import Course, CourseParams, generate_course

SIMS = ("box2d", "fast")
"""The walker simulators: the Box2D reference and the compiled one (``fast_sim``)."""


def check_sim(sim: str) -> str:
    if sim not in SIMS:
        raise AigaError(f"sim must be one of {', '.join(SIMS)}; got {sim!r}")
    return sim


def prepare_sim(sim: str) -> None:
    """Have simulator ``sim`` ready in this process before a run hands work to its workers. The compiled
    simulator compiles on its first use in an installation (about two minutes) and loads from numba's
    cache on disk after that; compiled here first, the workers (processes started from this one) load it
    instead of each compiling it at once, and the user reads why the first run waits (a progress line,
    the library's one way to talk while it works)."""
    if check_sim(sim) != "fast":
        return
    from aiga.core.progress import progress
    from aiga.envs.walker import fast_sim

    if fast_sim.compiled_in_cache():
        fast_sim.warm_up()
        return
    with progress(None, "compiling the fast walker simulator (first use; about two minutes, then cached)"):
        fast_sim.warm_up()


def evaluate_batch(params: CourseParams | Course, thetas: np.ndarray, max_steps: int = MAX_EPISODE_STEPS,
                   sim: str = "box2d", parallel: bool = False, _arrays=None) -> tuple[np.ndarray, np.ndarray]:
    """Episode returns (B,) and lengths (B,) of policies ``thetas`` (B, 2804) on one course.

    ``sim="fast"`` runs the compiled simulator (``parallel=True``: walkers spread over numba's threads).
    """
    policy = MLPPolicy(POET_WALKER_SIZES)
    check_sim(sim)
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim == 1:
        thetas = thetas[None, :]
    if thetas.ndim != 2 or thetas.shape[1] != policy.num_params:
        raise AigaError(f"thetas must have shape (B, {policy.num_params}), got {thetas.shape}")
    if int(max_steps) < 1:
        raise AigaError(f"max_steps must be at least 1, got {max_steps}")
    course = params if isinstance(params, Course) else generate_course(params)
    batch = thetas.shape[0]
    if sim == "fast":
        from aiga.envs.walker.fast_sim import CourseArrays, rollout_batch

        if batch == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        arrays = _arrays if _arrays is not None else CourseArrays(course)
        returns, lengths, _ = rollout_batch(arrays, thetas, int(max_steps), parallel=parallel)
        return returns, lengths
    from aiga.envs.walker.box2d_env import WalkerCourseSim

    returns = np.zeros(batch, dtype=np.float64)
    lengths = np.zeros(batch, dtype=np.int64)
    if batch == 0:
        return returns, lengths
    sims = [WalkerCourseSim(course, max_steps=max_steps) for _ in range(batch)]
    obs = np.stack([sim.reset() for sim in sims])
    active = np.arange(batch)
    layers = policy.layers(thetas)
    while active.size:
        actions = policy.forward(layers, obs)
        keep = []
        for row, i in enumerate(active):
            o, r, terminated, truncated = sims[i].step(actions[row])
            returns[i] += r
            lengths[i] += 1
            obs[row] = o
            if not (terminated or truncated):
                keep.append(row)
        if len(keep) < active.size:  # some walkers finished: shrink the batch (a copy, rarely)
            for row in set(range(active.size)) - set(keep):
                sims[active[row]] = None  # free the finished world now
            keep_idx = np.asarray(keep, dtype=np.int64)
            active = active[keep_idx]
            obs = obs[keep_idx]
            layers = policy.layers(thetas[active])
    return returns, lengths


FAST_PAIRS_PER_TASK = 64


class CourseObjective:
    """A picklable recipe for "score thetas on this course": tiny, importable without side effects.

    Workers cache ``build()``'s result by ``cache_key()`` so the course is generated once per worker.
    """

    def __init__(self, params: CourseParams, max_steps: int = MAX_EPISODE_STEPS, sim: str = "box2d") -> None:
        self.params = params
        self.max_steps = int(max_steps)
        self.sim = check_sim(sim)

    def __repr__(self) -> str:
        return f"CourseObjective({self.params.describe()}, max_steps={self.max_steps}, sim={self.sim!r})"

    @property
    def pairs_per_task(self) -> int:
        """Smallest task an evaluator should cut for this objective (0: the evaluator's own size). The
        compiled simulator steps a task's rollouts in lockstep chunks of 64 and refills a chunk's lanes as
        episodes end, so it wants 128 rollouts per task: an ES step on flat ground ran at 7.0k steps/s of
        CPU with 8 pairs per task, 18.0k with 64 (docs/walker.md). Results do not depend on it."""
        return FAST_PAIRS_PER_TASK if self.sim == "fast" else 0

    @property
    def thetas_per_task(self) -> int:
        return 2 * FAST_PAIRS_PER_TASK if self.sim == "fast" else 0

    def cache_key(self) -> str:
        blob = json.dumps({"params": self.params.to_dict(), "max_steps": self.max_steps}, sort_keys=True)
        return f"walker-{self.sim}:" + hashlib.sha256(blob.encode()).hexdigest()[:32]

    def build(self) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        course = generate_course(self.params)
        max_steps = self.max_steps
        sim = self.sim
        arrays = None
        if sim == "fast":  # the course's fixture arrays, built once per worker
            from aiga.envs.walker.fast_sim import CourseArrays

            arrays = CourseArrays(course)

        def objective(thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return evaluate_batch(course, thetas, max_steps=max_steps, sim=sim, _arrays=arrays)

        return objective

    def __getstate__(self) -> dict:
        return {"params": self.params.to_dict(), "max_steps": self.max_steps, "sim": self.sim}

    def __setstate__(self, state: dict) -> None:
        self.params = CourseParams.from_dict(state["params"])
        self.max_steps = state["max_steps"]
        self.sim = state.get("sim", "box2d")


class FastCourseObjective(CourseObjective):
    """``CourseObjective`` on the compiled simulator (``sim="fast"``)."""

    def __init__(self, params: CourseParams, max_steps: int = MAX_EPISODE_STEPS) -> None:
        super().__init__(params, max_steps, sim="fast")
