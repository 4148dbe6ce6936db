"""MAML on sinusoids (Finn et al. 2017 §5.1): seconds per 100 meta-steps and test MSE, one JSON line.

Trains the paper's setup (1-40-40-1 ReLU MLP, α = 0.01, one inner step, Adam 1e-3, meta-batch 25) once
with K = 5 and once with K = 10, each for ``--iterations`` meta-steps (the paper's 70,000) or as many as
fit in half of ``--budget-s`` on this machine (reported). Test MSE is measured on 600 held-out sinusoids
after 1 and 10 inner steps on K support points, with 100 query points per task (the expected MSE equals
that of K query points; more points only narrow the interval), mean ± 95% CI over the tasks whose
adaptation stayed finite, with the number of diverged tasks (if any) and the median over all tasks.

Speed: seconds per 100 second-order meta-steps (meta-batch 25, K = 5 and 10), first-order beside it,
measured after compilation. XLA and BLAS are pinned to one thread, as the issue asks:

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" OMP_NUM_THREADS=1 \
        .venv/bin/python bench/maml_sinusoid.py
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=70000)
    ap.add_argument("--budget-s", type=float, default=300.0, help="wall-clock budget for both trainings")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tasks", type=int, default=600)
    args = ap.parse_args()

    import jax
    import numpy as np

    from aiga.meta.common import mean_ci95
    from aiga.meta.maml import MAMLConfig, make_maml

    def speed(k: int, first_order: bool) -> float:
        m = make_maml(MAMLConfig(k_shot=k, first_order=first_order))
        chunk = jax.jit(lambda s: jax.lax.scan(lambda c, _: m.update(c, ()), s, None, length=100))
        s = jax.block_until_ready(chunk(m.init(jax.random.PRNGKey(0)))[0])
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            s = jax.block_until_ready(chunk(s)[0])
            best = min(best, time.perf_counter() - t)
        return best

    out: dict = {"bench": "maml_sinusoid", "threads": 1, "meta_batch": 25, "inner_lr": 0.01}
    out["sec_per_100_meta_steps"] = {f"second_order_K{k}": round(speed(k, False), 4) for k in (5, 10)}
    out["sec_per_100_meta_steps"].update({f"first_order_K{k}": round(speed(k, True), 4) for k in (5, 10)})

    results, steps_done, train_s = {}, {}, {}
    for k in (5, 10):
        cfg = MAMLConfig(k_shot=k, iterations=args.iterations, seed=args.seed, eval_query=100)
        m = make_maml(cfg)
        chunk = jax.jit(lambda s, m=m: jax.lax.scan(lambda c, _: m.update(c, ()), s, None, length=1000))
        s = m.init(jax.random.PRNGKey(args.seed))
        t0, done = time.perf_counter(), 0
        while done < args.iterations and time.perf_counter() - t0 < args.budget_s / 2:
            s = jax.block_until_ready(chunk(s)[0])
            done += 1000
        steps_done[f"K{k}"] = done
        train_s[f"K{k}"] = round(time.perf_counter() - t0, 1)
        evaluate = jax.jit(m.evaluate, static_argnums=3)
        losses, _ = evaluate(s.meta_params, (), jax.random.PRNGKey(10**6), args.tasks)
        losses = np.asarray(losses)
        for j in (0, 1, 10):
            finite = np.isfinite(losses[:, j])
            mu, ci = mean_ci95(losses[finite, j])
            results[f"K{k}_steps{j}"] = [round(mu, 4), round(ci, 4)]
            if not finite.all():  # plain MAML has no inner-loop safeguard: say how many tasks diverged
                results[f"K{k}_steps{j}_diverged_tasks"] = int((~finite).sum())
                median = np.median(np.where(finite, losses[:, j], np.inf))  # diverged tasks count as +inf
                results[f"K{k}_steps{j}_median"] = round(float(median), 4)
    out.update(meta_steps=steps_done, train_seconds=train_s, test_tasks=args.tasks, test_mse=results)
    out["reference"] = {"meta_sgd_table_maml_mse_K5_K10": [1.13, 0.77],
                        "jax_prototype_70k_K5_step1": 0.58, "jax_prototype_70k_K10_steps1_10": [0.34, 0.13],
                        "target_sec_per_100": 0.1}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
