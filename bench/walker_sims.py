"""Walker simulators side by side: the Box2D reference against the compiled one (``fast_sim``).

One process; threads pinned (OMP/BLAS 1 thread; numba's single-thread figures use the serial kernel, the
all-cores figure ``prange`` over chunks of walkers with numba's default thread count). The same courses
(flat, and the hard one: roughness 4.5, pit gap [5.4, 6.0], stump height [2.0, 2.4]) and the same random
24-40-40-4 tanh policies (N(0, 0.1^2), seed 0) in both. Box2D is batched as well as it can be:
``evaluate.evaluate_batch`` steps B simulators in lockstep with one batched policy forward per step. The
fast simulator runs at B = 1, 64 and 512, its walkers in lockstep chunks of ``--lanes`` (default the
module's ``LANES``, 64) with the policy inside the compiled loop, first with the reference's solver
iterations (180 velocity, 60 position), then with the cheaper setting given by ``--cheap VEL POS``
(default 30 10). Episodes are capped at ``--max-steps`` (default 400, POET's laptop preset); figures are
env steps per second of wall time, and (``*_cpu``) per second of this process's CPU time, which a busy
machine disturbs less. Prints one JSON line; ``ratio_b64`` = fast B=64 (reference iterations) / Box2D, both
on one thread, ``ratio_b64_cheap`` the same with the cheaper iterations; ``vector_lanes`` is the float32
vector width numba compiled for (16 with AVX-512, ``aiga.core.jit``).

    .venv/bin/python bench/walker_sims.py [--max-steps 400] [--box2d-batch 64] [--lanes 64] [--repeats 3]

The machine may be shared: every ratio compares figures measured in the same run, and the whole set is
measured ``--repeats`` times in interleaved rounds, each figure keeping its best round (a neighbour's load
only ever slows a round down).
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

from aiga.core.jit import float32_lanes  # noqa: E402
from aiga.core.policy import MLPPolicy  # noqa: E402
from aiga.envs.walker.evaluate import evaluate_batch  # noqa: E402
from aiga.envs.walker.fast_sim import LANES, CourseArrays, rollout_batch  # noqa: E402
from aiga.envs.walker.terrain import CourseParams, generate_course  # noqa: E402

COURSES = {
    "flat": CourseParams.flat(seed=0),
    "hard": CourseParams(roughness=4.5, pit_gap=(5.4, 6.0), stump_height=(2.0, 2.4), seed=1),
}


def _box2d(course, thetas, max_steps):
    t0, c0 = time.perf_counter(), time.process_time()
    _, lengths = evaluate_batch(course, thetas, max_steps=max_steps)
    steps = float(lengths.sum())
    return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0)


def _fast(arrays, thetas, max_steps, vel, pos, lanes, parallel=False):
    t0, c0 = time.perf_counter(), time.process_time()
    _, lengths, _ = rollout_batch(arrays, thetas, max_steps, vel, pos, parallel=parallel, lanes=lanes)
    steps = float(lengths.sum())
    return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-steps", type=int, default=400)
    ap.add_argument("--box2d-batch", type=int, default=64)
    ap.add_argument("--cheap", type=int, nargs=2, default=(30, 10), metavar=("VEL", "POS"))
    ap.add_argument("--lanes", type=int, default=LANES, help="walkers per lockstep chunk")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds; each figure keeps its best")
    args = ap.parse_args()
    if min(args.max_steps, args.box2d_batch, args.lanes, args.repeats, *args.cheap) < 1:
        ap.error("--max-steps, --box2d-batch, --lanes, --repeats and --cheap take counts of at least 1")
    policy = MLPPolicy()
    rng = np.random.default_rng(0)
    thetas = np.stack([policy.init(rng) for _ in range(512)])
    vel, pos = 180, 60
    cv, cp = args.cheap
    lanes = args.lanes
    out: dict = {"max_steps": args.max_steps, "cheap_iterations": [cv, cp], "lanes": lanes}
    t0 = time.perf_counter()
    warm = CourseArrays(generate_course(COURSES["flat"]))
    rollout_batch(warm, thetas[:1], 5, vel, pos)  # compile (or load the cache) outside the timings
    rollout_batch(warm, thetas[:2], 5, vel, pos, parallel=True)
    out["compile_or_load_s"] = round(time.perf_counter() - t0, 2)
    best: dict = {}

    def keep(key, figures):
        best[key] = tuple(max(a, b) for a, b in zip(best.get(key, figures), figures, strict=True))

    courses = {name: generate_course(params) for name, params in COURSES.items()}
    built = {name: (course, CourseArrays(course)) for name, course in courses.items()}
    for _ in range(args.repeats):
        for name, (course, arrays) in built.items():
            keep((name, "box2d"), _box2d(course, thetas[:args.box2d_batch], args.max_steps))
            keep((name, "b1"), _fast(arrays, thetas[:1], args.max_steps, vel, pos, lanes))
            keep((name, "b64"), _fast(arrays, thetas[:64], args.max_steps, vel, pos, lanes))
            keep((name, "b512"), _fast(arrays, thetas, args.max_steps, vel, pos, lanes))
            keep((name, "cheap"), _fast(arrays, thetas[:64], args.max_steps, cv, cp, lanes))
            keep((name, "all"), _fast(arrays, thetas, args.max_steps, vel, pos, lanes, parallel=True))
    for name in COURSES:
        box2d, box2d_cpu = best[(name, "box2d")]
        b64, b64_cpu = best[(name, "b64")]
        b64_cheap, b64_cheap_cpu = best[(name, "cheap")]
        out[name] = {
            "box2d_steps_per_s": round(box2d), "fast_b1_steps_per_s": round(best[(name, "b1")][0]),
            "fast_b64_steps_per_s": round(b64), "fast_b512_steps_per_s": round(best[(name, "b512")][0]),
            "fast_b64_cheap_steps_per_s": round(b64_cheap),
            "fast_all_cores_steps_per_s": round(best[(name, "all")][0]),
            "ratio_b64": round(b64 / box2d, 2), "ratio_b64_cheap": round(b64_cheap / box2d, 2),
            "box2d_cpu_steps_per_s": round(box2d_cpu), "fast_b64_cpu_steps_per_s": round(b64_cpu),
            "ratio_b64_cpu": round(b64_cpu / box2d_cpu, 2),
            "ratio_b64_cheap_cpu": round(b64_cheap_cpu / box2d_cpu, 2),
        }
    flat = out["flat"]
    summary = {k: flat[k] for k in ("box2d_steps_per_s", "fast_b64_steps_per_s", "fast_b512_steps_per_s",
                                    "ratio_b64", "fast_all_cores_steps_per_s", "ratio_b64_cheap",
                                    "ratio_b64_cpu")}
    summary["ratio_b64_hard"] = out["hard"]["ratio_b64"]
    summary["ratio_b64_cheap_hard"] = out["hard"]["ratio_b64_cheap"]
    summary["ratio_b64_cpu_hard"] = out["hard"]["ratio_b64_cpu"]
    import numba

    summary["numba_threads"] = numba.get_num_threads()
    summary["vector_lanes"] = float32_lanes()
    summary["repeats"] = args.repeats
    print(json.dumps({**summary, "courses": out}))


if __name__ == "__main__":
    main()
