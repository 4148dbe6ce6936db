"""How many steps the compiled simulator's trajectories stay with Box2D's, closed loop, per policy.

The rank check (``walker_rank_agreement.py``) says whether the two simulators order returns alike; this
says *when* their walkers part. Each of N perturbations θ + σ·N(0, 1) of a walker runs in both simulators
on the same course, each simulator's policy acting on its own observations; after every step we take the
largest difference of any body pose (x, y, angle) and record, per policy, the first step at which it
exceeds each threshold, or at which one simulator ends the episode and the other does not (the
episode's length when neither happens: both end it at the same step or run it to the end). Float32
positions near the walker's start have an ulp of about 5e-7, so the smallest threshold is a few ulps.
Prints one JSON line: per threshold, the median and mean first step over the policies.

Usage: ``OMP_NUM_THREADS=1 python bench/walker_agreement_horizon.py [--theta FILE.npy] [--sigma 0.05]
[--policies 16] [--max-steps 400] [--course flat|rough|stumps+pits|hard]``. docs/walker.md has figures.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from walker_transfer import COURSES, DATA  # noqa: E402 - the sibling bench's courses and data

THRESHOLDS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--theta", type=Path, default=DATA / "walker_fast_trained_theta.npy")
    ap.add_argument("--sigma", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--policies", type=int, default=16)
    ap.add_argument("--max-steps", type=int, default=400)
    ap.add_argument("--course", choices=sorted(COURSES), default="flat")
    args = ap.parse_args()
    if args.policies < 1 or args.max_steps < 1 or args.sigma < 0:
        ap.error("--policies and --max-steps must be at least 1 and --sigma at least 0")
    if not args.theta.is_file():
        ap.error(f"--theta: no such file: {args.theta}")

    from aiga.core.policy import MLPPolicy
    from aiga.envs.walker.box2d_env import WalkerCourseSim
    from aiga.envs.walker.fast_sim import FastWalkerBatch
    from aiga.envs.walker.terrain import generate_course

    policy = MLPPolicy()
    try:
        theta = np.load(args.theta)
    except (OSError, ValueError) as e:
        ap.error(f"--theta: cannot read {args.theta} as a .npy array ({e})")
    if theta.shape != (policy.num_params,):
        ap.error(f"--theta: expected {policy.num_params} parameters, got an array of shape {theta.shape}")
    n, horizon = args.policies, args.max_steps
    thetas = theta + args.sigma * np.random.default_rng(args.seed).standard_normal((n, theta.size))
    course = generate_course(COURSES[args.course])
    ref = [WalkerCourseSim(course, max_steps=horizon) for _ in range(n)]
    fast = FastWalkerBatch(course, n, max_steps=horizon)
    ref_obs = np.array([sim.reset() for sim in ref])
    fast_obs = fast.reset()
    first = np.full((n, len(THRESHOLDS)), horizon)
    threshold_row = np.array(THRESHOLDS)[None, :]
    running = np.ones(n, dtype=bool)  # both simulators still running this walker
    for t in range(horizon):
        ref_act = policy.act_batch(thetas, ref_obs)
        fast_act = policy.act_batch(thetas, fast_obs)
        ref_end = np.zeros(n, dtype=bool)
        for i, sim in enumerate(ref):
            if running[i]:
                ref_obs[i], _, ref_end[i], _ = sim.step(ref_act[i])
        fast_obs, _, fast_end, _ = fast.step(fast_act)  # both return fresh arrays
        ref_pose = np.array([[[b.position.x, b.position.y, b.angle] for b in (sim.hull, *sim.legs)]
                             for sim in ref])
        fast_pose = np.concatenate([fast.hull_position(), fast.state()["a"][:, :, None]], axis=2)
        gap = np.abs(ref_pose - fast_pose).max(axis=(1, 2))[:, None]
        parted = running[:, None] & ((gap > threshold_row) | (ref_end != fast_end)[:, None])
        first[parted & (first == horizon)] = t
        running &= ~(ref_end | fast_end)
        if not running.any():
            break
    print(json.dumps({"theta": args.theta.name, "sigma": args.sigma, "course": args.course, "policies": n,
                      "max_steps": horizon,
                      "median_first_step_over": {f"{th:g}": float(np.median(first[:, j]))
                                                 for j, th in enumerate(THRESHOLDS)},
                      "mean_first_step_over": {f"{th:g}": round(float(first[:, j].mean()), 1)
                                               for j, th in enumerate(THRESHOLDS)}}))


if __name__ == "__main__":
    main()
