"""Wall time of one POET iteration with 5 niches at the ``laptop`` preset, and the share spent stepping
environments.

Five niches are set up as a run would have them (the flat start course and four mutants, agents taken
from a few ES steps on the flat course so episodes are not all instant falls), then one iteration that
includes a transfer round (iteration 10, a multiple of ``transfer_every``) is timed: five ES steps, five
evaluations, and the transfer round (20 direct scores, 20 proposal steps, 20 proposal scores).

Prints one JSON line:

    seconds_per_iteration        wall time of that iteration
    es_seconds, transfer_seconds the two parts
    env_steps, steps_per_s       environment steps of the iteration and their rate
    env_share                    share of the wall time spent inside rollouts (simulator + policy)
    workers                      evaluator processes (``--workers``; 1 = in this process)

Usage: ``OMP_NUM_THREADS=1 python bench/poet_iteration.py [--workers 1] [--variant poet] [--sim box2d]``
(``--sim fast``: the compiled simulator, ``docs/walker.md``).
On a machine shared with other jobs the absolute time moves; ``env_share`` is the stable figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--variant", choices=("poet", "enhanced"), default="poet")
    ap.add_argument("--warmup-steps", type=int, default=3, help="ES steps on flat before timing")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sim", choices=("box2d", "fast"), default="box2d")
    args = ap.parse_args()
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

    from aiga.core.config import from_dict
    from aiga.core.seeding import make_rng
    from aiga.core.workers import make_evaluator
    from aiga.poet.config import POETConfig, preset
    from aiga.poet.loop import POET, make_family

    cfg = from_dict(POETConfig, {**preset(args.variant, "laptop"), "seed": args.seed, "sim": args.sim})
    evaluator = make_evaluator(args.workers)
    try:
        poet = POET(cfg, make_family(cfg), evaluator)
        poet.start()
        for _ in range(args.warmup_steps):  # a few ES steps so the agent does more than fall at once
            poet.iteration += 1
            poet.es_steps(poet.iteration)
        rng = make_rng(args.seed, "bench-courses")
        root = poet.niches[0]
        env = root.env
        while len(poet.niches) < 5:
            env = poet.family.mutate(env, rng)
            poet._add_niche(env, root.es.theta, created_at=poet.iteration, parent=root.nid)
        poet.scores([(n.env, n.es.theta) for n in poet.niches])  # warm the workers' course caches
        poet.iteration = 9  # the next iteration (10) has a transfer round and no reproduction

        steps0 = poet.counters["env_steps"]
        _ENV_SECONDS[0] = 0.0
        t0 = time.perf_counter()
        poet.es_steps(10)
        t1 = time.perf_counter()
        poet.transfer(10)
        t2 = time.perf_counter()
        steps = poet.counters["env_steps"] - steps0
    finally:
        evaluator.close()
    wall = t2 - t0
    print(
        json.dumps(
            {
                "seconds_per_iteration": round(wall, 3),
                "es_seconds": round(t1 - t0, 3),
                "transfer_seconds": round(t2 - t1, 3),
                "env_steps": int(steps),
                "steps_per_s": round(steps / wall, 1),
                "workers": args.workers,
                "variant": args.variant,
                "sim": args.sim,
                "niches": 5,
                "env_share": round(_ENV_SECONDS[0] / (wall * max(1, args.workers)), 3),
            }
        )
    )
    return 0


_ENV_SECONDS = [0.0]  # seconds workers spent inside rollouts, summed over every evaluator call


def _patch_counting() -> None:
    """Sum the seconds workers spend inside objectives over every call (evaluate and antithetic_many)."""
    from aiga.core import workers

    for name in ("evaluate", "antithetic_many"):
        orig = getattr(workers.Evaluator, name)

        def wrapped(self, *a, _orig=orig, **k):
            out = _orig(self, *a, **k)
            _ENV_SECONDS[0] += self.last_eval_seconds
            return out

        setattr(workers.Evaluator, name, wrapped)


if __name__ == "__main__":
    _patch_counting()
    raise SystemExit(main())
