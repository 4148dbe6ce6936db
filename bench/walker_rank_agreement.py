"""Rank agreement of the compiled simulator with Box2D, beside Box2D's agreement with itself.

For 64 perturbations θ + σ·N(0, 1) of a walker (default: the tests' walker), on the behaviour tests' three
courses, 400-step episodes: Spearman's rank correlation of the returns in the fast simulator against
Box2D's, and the "floor": Box2D against Box2D with every θ multiplied by (1 + 1e-9), which measures how
much the walkers' falls hang on float rounding. Prints one JSON line with, per course, ``spearman``,
``floor``, ``falls_box2d`` / ``falls_fast`` (returns below -50) and ``median_abs_diff``.

Usage: ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python bench/walker_rank_agreement.py [--theta FILE.npy]
[--sigma 0.2] [--seed 7] [--iterations VEL POS]`` (the fast simulator's solver iterations, default Box2D's
180 60: fewer is what would make it faster, and this shows what it does to the agreement). A stronger Box2D
walker: ``bench/walker_transfer.py --sim box2d --iterations 150 --save FILE.npy``. docs/walker.md: the
tables.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from walker_transfer import COURSES as _ALL  # noqa: E402 - the sibling bench's courses and data
from walker_transfer import DATA  # noqa: E402

from aiga.core.config import AigaError  # noqa: E402
from aiga.envs.walker.constants import POSITION_ITERATIONS, VELOCITY_ITERATIONS  # noqa: E402
from aiga.envs.walker.fast_sim import _check_iterations  # noqa: E402

COURSES = {name: _ALL[name] for name in ("flat", "rough", "stumps+pits")}
DEFAULT_THETA = DATA / "poet_walker_theta.npy"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--theta", type=Path, default=DEFAULT_THETA)
    ap.add_argument("--sigma", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--policies", type=int, default=64)
    ap.add_argument("--max-steps", type=int, default=400)
    ap.add_argument("--iterations", type=int, nargs=2, default=(VELOCITY_ITERATIONS, POSITION_ITERATIONS),
                    metavar=("VEL", "POS"), help="the fast simulator's velocity and position iterations")
    args = ap.parse_args()
    if min(args.policies, args.max_steps) < 2 or args.sigma < 0:
        ap.error("--policies and --max-steps must be at least 2 and --sigma at least 0")
    if not args.theta.is_file():
        ap.error(f"--theta: no such file: {args.theta}")
    try:
        vel_iters, pos_iters = _check_iterations(*args.iterations)
    except AigaError as err:
        ap.error(f"--iterations: {err}")

    from scipy.stats import spearmanr

    from aiga.envs.walker.evaluate import evaluate_batch
    from aiga.envs.walker.fast_sim import CourseArrays, rollout_batch
    from aiga.envs.walker.terrain import Course, generate_course

    theta = np.load(args.theta)
    rng = np.random.default_rng(args.seed)
    thetas = theta + args.sigma * rng.standard_normal((args.policies, theta.size))
    out = {"theta": args.theta.name, "sigma": args.sigma, "seed": args.seed, "policies": args.policies,
           "max_steps": args.max_steps, "iterations": [vel_iters, pos_iters]}
    for name, course in COURSES.items():
        ref, _ = evaluate_batch(course, thetas, max_steps=args.max_steps)
        again, _ = evaluate_batch(course, thetas * (1 + 1e-9), max_steps=args.max_steps)
        arrays = CourseArrays(course if isinstance(course, Course) else generate_course(course))
        fast = rollout_batch(arrays, thetas, args.max_steps, velocity_iterations=vel_iters,
                             position_iterations=pos_iters)[0]
        out[name] = {"spearman": round(float(spearmanr(ref, fast).statistic), 3),
                     "floor": round(float(spearmanr(ref, again).statistic), 3),
                     "falls_box2d": int((ref < -50).sum()), "falls_fast": int((fast < -50).sum()),
                     "median_abs_diff": round(float(np.median(np.abs(ref - fast))), 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
