"""Walker simulator throughput: aiga's POET course vs gymnasium's BipedalWalker-v3, side by side.

One process, one thread (OMP_NUM_THREADS=1 is set before numpy loads), the same number of steps and the
same random 24-40-40-4 tanh policy (N(0, 0.1^2) parameters, seed 0) choosing every action; an episode
that ends (fall, course end, or the 2000-step cap) is reset and counted, resets included in the time.
Runs (a) aiga's course with flat params, (b) aiga's course with roughness 4.5, pit gap [5.4, 6.0], stump
height [2.0, 2.4], (c) gymnasium's BipedalWalker-v3 (the unwrapped env, so no wrapper overhead is
charged to it). Prints one JSON line; ``ratio_flat`` = (a) / (c). Target: ratio_flat >= 1.3.

    OMP_NUM_THREADS=1 .venv/bin/python bench/walker_steps.py [--steps 20000] [--repeats 3]

Each figure is the best of ``--repeats`` interleaved rounds (least disturbed by other processes);
``ratio_flat_median_of_rounds`` is the median of the per-round ratios, a check on the headline ratio.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from aiga.core.policy import MLPPolicy  # noqa: E402
from aiga.envs.walker.box2d_env import WalkerCourseSim  # noqa: E402
from aiga.envs.walker.terrain import CourseParams  # noqa: E402

MAX_STEPS = 2000


def run_aiga(params: CourseParams, policy: MLPPolicy, theta: np.ndarray, steps: int) -> tuple[float, int]:
    sim = WalkerCourseSim(params, max_steps=MAX_STEPS)
    t0 = time.perf_counter()
    obs = sim.reset()
    episodes = 1
    for _ in range(steps):
        obs, _r, terminated, truncated = sim.step(policy.act(theta, obs))
        if terminated or truncated:
            obs = sim.reset()
            episodes += 1
    return steps / (time.perf_counter() - t0), episodes


def run_gymnasium(policy: MLPPolicy, theta: np.ndarray, steps: int) -> tuple[float, int]:
    import gymnasium

    env = gymnasium.make("BipedalWalker-v3").unwrapped
    t0 = time.perf_counter()
    obs, _ = env.reset(seed=0)
    episodes, n = 1, 0
    for _ in range(steps):
        obs, _r, terminated, _tr, _ = env.step(policy.act(theta, obs).astype(np.float32))
        n += 1
        if terminated or n >= MAX_STEPS:
            obs, _ = env.reset()
            episodes += 1
            n = 0
    env.close()
    return steps / (time.perf_counter() - t0), episodes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20000, help="steps per simulator per round")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the best is reported")
    args = ap.parse_args()
    policy = MLPPolicy()
    theta = policy.init(np.random.default_rng(0))
    flat = CourseParams.flat(seed=0)
    hard = CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=0)
    best = {"flat": 0.0, "hard": 0.0, "gym": 0.0}
    episodes = {}
    round_ratios = []
    for _ in range(args.repeats):
        this_round = {}
        for name, fn in (("flat", lambda: run_aiga(flat, policy, theta, args.steps)),
                         ("hard", lambda: run_aiga(hard, policy, theta, args.steps)),
                         ("gym", lambda: run_gymnasium(policy, theta, args.steps))):
            rate, eps = fn()
            best[name] = max(best[name], rate)
            episodes[name] = eps
            this_round[name] = rate
        round_ratios.append(this_round["flat"] / this_round["gym"])
    print(json.dumps({
        "aiga_flat_steps_per_s": round(best["flat"], 1),
        "aiga_hard_steps_per_s": round(best["hard"], 1),
        "gymnasium_steps_per_s": round(best["gym"], 1),
        "ratio_flat": round(best["flat"] / best["gym"], 3),
        "ratio_hard": round(best["hard"] / best["gym"], 3),
        "ratio_flat_median_of_rounds": round(float(np.median(round_ratios)), 3),
        "steps": args.steps,
        "repeats": args.repeats,
        "episodes_per_round": episodes,
        "threads": os.environ.get("OMP_NUM_THREADS"),
    }))


if __name__ == "__main__":
    main()
