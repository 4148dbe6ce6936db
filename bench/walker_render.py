"""Cost of walker pictures: a full 2000-step episode as GIF/MP4 next to the bare simulation, one process,
one thread. Prints one JSON line.

    OMP_NUM_THREADS=1 python bench/walker_render.py

The policy is the first of the random 24-40-40-4 policies (N(0, 0.1^2), seeds 0, 1, ...) that stays up
for all 2000 steps on the demo course, so every run draws the same 2000-step episode. Per-frame costs
are (render time - simulation time) / frames, measured side by side in the same process.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("AIGA_PROGRESS", "0")

import numpy as np  # noqa: E402

from aiga.core.policy import MLPPolicy  # noqa: E402
from aiga.envs.walker.box2d_env import WalkerCourseSim  # noqa: E402
from aiga.envs.walker.render import draw_course, render_episode  # noqa: E402
from aiga.envs.walker.terrain import CourseParams  # noqa: E402

COURSE = CourseParams(roughness=1.5, pit_gap=(0.8, 2.0), stump_height=(0.4, 1.2), seed=0)


def rollout(theta: np.ndarray) -> int:
    policy = MLPPolicy()
    layers = policy.layers(theta[None, :])
    sim = WalkerCourseSim(COURSE)
    obs = sim.reset()
    while True:
        obs, _, term, trunc = sim.step(policy.forward(layers, obs[None, :])[0])
        if term or trunc:
            return sim.steps


def main() -> None:
    policy = MLPPolicy()
    for seed in range(200):
        theta = policy.init(np.random.default_rng(seed))
        if rollout(theta) == 2000:
            break
    else:
        raise SystemExit("no random policy lasts 2000 steps")
    out: dict[str, float | int] = {"policy_seed": seed}
    t = time.perf_counter()
    rollout(theta)
    t_sim = time.perf_counter() - t
    out["sim_2000_steps_s"] = round(t_sim, 3)
    with tempfile.TemporaryDirectory() as d:
        render_episode(COURSE, theta, Path(d) / "warm.gif", max_steps=10)
        for ext, every in (("gif", 1), ("gif", 4), ("mp4", 2)):
            path = Path(d) / f"ep.{ext}"
            t = time.perf_counter()
            res = render_episode(COURSE, theta, path, every=every)
            dt = time.perf_counter() - t
            key = f"{ext}_every{every}"
            out[f"{key}_s"] = round(dt, 3)
            out[f"{key}_ms_per_frame"] = round((dt - t_sim) / res.frames * 1000, 2)
            out[f"{key}_kib"] = path.stat().st_size // 1024
        t = time.perf_counter()
        draw_course(COURSE).save(Path(d) / "course.png")
        out["course_png_s"] = round(time.perf_counter() - t, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
