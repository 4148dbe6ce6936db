"""Time one ES step of POET's population (256 antithetic pairs = 512 rollouts) on the flat course.

The same step (same θ, same noise key, so the very same 512 rollouts) runs on a local pool of 1 worker
and then of 2 workers, in the same process, BLAS pinned to one thread. Prints one JSON line:

    seconds_per_step_1, seconds_per_step_2   wall time of the step (population rollouts + gradient + Adam)
    scaling                                  seconds_per_step_1 / seconds_per_step_2 (2 idle cores: ~2)
    overhead_fraction                        share of the 2-worker wall time not spent inside rollouts
                                             (1 - rollout seconds / (2 x wall)): pickling, noise
                                             regeneration, waiting on the slowest chunk, the update
    overhead_fraction_1                      the same for 1 worker
    env_steps, steps_per_s_1, steps_per_s_2  environment steps of the step and their rates
    noise_seconds_per_vector                 cost of regenerating one 2,804-float perturbation

Usage: ``OMP_NUM_THREADS=1 python bench/es_step.py [--pairs 256] [--max-steps 2000] [--seed 0] [--sim box2d]``
(``--sim fast``: the compiled simulator, ``docs/walker.md``; its workers run it on one thread each).
The workers are warmed up (started, course built) before timing. Each figure is one step: on a machine
shared with other jobs, compare the two columns of the same run, not runs across time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--max-steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sim", choices=("box2d", "fast"), default="box2d")
    args = ap.parse_args()
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

    import numpy as np

    from aiga.core.es import ESConfig, ESState, es_step
    from aiga.core.noise import perturbation
    from aiga.core.policy import MLPPolicy
    from aiga.core.seeding import make_rng
    from aiga.core.workers import PoolEvaluator
    from aiga.envs.walker.evaluate import CourseObjective
    from aiga.envs.walker.terrain import CourseParams

    policy = MLPPolicy()
    cfg = ESConfig(pairs=args.pairs)
    state = ESState.initial(policy.init(make_rng(args.seed, "policy-init")), cfg)
    objective = CourseObjective(CourseParams.flat(), args.max_steps, sim=args.sim)

    t0 = time.perf_counter()
    for i in range(200):
        perturbation(args.seed, (1, 2), i, policy.num_params)
    noise_s = (time.perf_counter() - t0) / 200

    out = {"sim": args.sim, "pairs": args.pairs, "population": 2 * args.pairs, "max_steps": args.max_steps,
           "num_params": policy.num_params, "noise_seconds_per_vector": round(noise_s, 7)}
    thetas = {}
    for n in (1, 2):
        with PoolEvaluator(n) as ev:
            # start the workers and build the course (load the compiled simulator) in each: one task per
            # worker, and a task holds at least the objective's own minimum of rollouts
            per_task = max(1, int(getattr(objective, "thetas_per_task", 0) or 0))
            ev.evaluate([(objective, state.theta)] * n * per_task)
            t0 = time.perf_counter()
            new, stats = es_step(state, cfg, objective, ev, args.seed, ("bench", 0))
            wall = time.perf_counter() - t0
            # rollout seconds of the step, measured inside the workers
            busy = ev.last_eval_seconds
        thetas[n] = new.theta
        out[f"seconds_per_step_{n}"] = round(wall, 3)
        out[f"steps_per_s_{n}"] = round(stats.env_steps / wall, 1)
        out[f"overhead_fraction_{n}" if n == 1 else "overhead_fraction"] = round(1 - busy / (n * wall), 4)
        out["env_steps"] = stats.env_steps
    out["scaling"] = round(out["seconds_per_step_1"] / out["seconds_per_step_2"], 3)
    out["identical_theta"] = bool(np.array_equal(thetas[1], thetas[2]))
    out["cpus"] = len(os.sched_getaffinity(0))
    out["load_avg_1min"] = os.getloadavg()[0]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
