"""AutoML-Zero demo benchmark: speed (individuals/s, FEC on, one process, one core) and success rate.

Runs the ``demo`` preset (the reference's run_demo.sh: rediscover linear regression) once per seed, each
for at most ``--minutes``, on one island in this process, and prints one JSON line:

    individuals_per_s          individuals evaluated per wall-clock second, counted as the reference counts
                               them (every child, FEC hits included), over all seeds
    individuals_per_cpu_s      the same per second of CPU time of this process (robust on a shared machine)
    seeds_solved / seeds_tried seeds whose best candidate reached fitness >= 0.9999 on the search tasks and
                               on the 100 select tasks within the time limit
    median_seconds_to_solve    median wall time to solve, over the solved seeds (null if none)

Targets (issue 7): individuals_per_s >= 20,000 (the C++ original: 21.8k/s) and >= 8 of 10 seeds solved.
Numba compilation happens before timing starts. Usage: python bench/automl_zero_demo.py --seeds 10 --minutes 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--first-seed", type=int, default=0)
    args = ap.parse_args()

    from aiga.automl_zero.config import AutoMLZeroConfig
    from aiga.automl_zero.evolution import Search
    from aiga.automl_zero.presets import preset
    from aiga.core.config import from_dict

    base = {**preset("demo"), "islands": 1}
    # warm-up: compile every kernel outside the timed region
    warm = Search(
        from_dict(AutoMLZeroConfig, {**base, "individuals_per_iteration": 2000, "select_tasks": 2}), 1
    )
    warm.step()
    warm.close()

    per_seed = []
    total_ind = 0
    total_wall = 0.0
    total_cpu = 0.0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        cfg = from_dict(AutoMLZeroConfig, {**base, "seed": seed})
        s = Search(cfg, 1)
        t0, c0 = time.perf_counter(), time.process_time()
        solved_s = None
        while time.perf_counter() - t0 < args.minutes * 60:
            s.step()
            if s.solved_at is not None:
                solved_s = time.perf_counter() - t0
                break
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        m = s.metrics()
        per_seed.append(
            {
                "seed": seed,
                "solved": solved_s is not None,
                "seconds": round(wall, 2),
                "individuals": s.individuals,
                "best_fitness": round(s.best_fitness, 7),
                "select_fitness": round(s.best_select, 7) if s.best_select >= 0 else None,
                "fec_hit_rate": round(m["fec_hit_rate"], 4),
                "experiments": s.experiment + 1,
            }
        )
        total_ind += s.individuals
        total_wall += wall
        total_cpu += cpu
        s.close()
    solved = [p["seconds"] for p in per_seed if p["solved"]]
    print(
        json.dumps(
            {
                "bench": "automl_zero_demo",
                "individuals_per_s": round(total_ind / total_wall),
                "individuals_per_cpu_s": round(total_ind / total_cpu),
                "seeds_solved": len(solved),
                "seeds_tried": len(per_seed),
                "median_seconds_to_solve": statistics.median(solved) if solved else None,
                "minutes_per_seed": args.minutes,
                "load_average_1min": round(os.getloadavg()[0], 2),
                "per_seed": per_seed,
            }
        )
    )


if __name__ == "__main__":
    main()
