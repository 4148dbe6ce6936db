"""RL² on Bernoulli bandits (Duan et al. 2016, Table 1): mean total reward of RL² and of the baselines
(random, Gittins, Thompson sampling, UCB1) on the same 1,000 held-out trials, one JSON line.

Settings: k = 5 arms with n = 100 pulls (the headline row: RL² 78.7, Gittins 78.3, UCB1 78.0, TS 74.7),
plus n = 10 (k = 5) and n = 500 (k = 10, the paper's row for that horizon). RL² trains with PPO for
``--iterations`` iterations or until ``--budget-s`` seconds per setting have passed (both reported), far
below the paper's budget (pytorch_rl2: ≈240k steps per update, up to 12,000 updates). RL² uses the
defaults of ``aiga rl2`` unless ``--set FIELD=VALUE`` overrides them (``--set layer_norm=false --set
entropy_decay=0 --set lr_decay=0`` gives the earlier tanh-GRU setup). The Gittins table
is dynamic programming in O(n³) and is skipped above n = 200. Pinned to one thread:

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" OMP_NUM_THREADS=1 \
        .venv/bin/python bench/rl2_bandits.py
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
    ap.add_argument("--settings", default="5x100,5x10,10x500", help="comma-separated KxN (arms x pulls)")
    ap.add_argument("--iterations", type=int, default=None,
                    help="PPO iterations per setting at most (default: that of `aiga rl2`)")
    ap.add_argument("--budget-s", default="300",
                    help="training seconds per setting at most "
                         "(one value, or one per setting, comma-separated)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a default of `aiga rl2` (RL2Config), repeatable, e.g. "
                         "--set layer_norm=false --set entropy_decay=0")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import jax

    from aiga.core.config import from_dict, to_dict
    from aiga.meta.common import mean_ci95
    from aiga.meta.rl2 import RL2Config, baselines, held_out_tasks, make_rl2, paper_values

    overrides = dict(kv.split("=", 1) for kv in args.set)

    out: dict = {"bench": "rl2_bandits", "threads": 1, "eval_trials": 1000, "settings": {}}
    settings = args.settings.split(",")
    budgets = [float(b) for b in args.budget_s.split(",")]
    budgets = budgets * len(settings) if len(budgets) == 1 else budgets
    for setting, budget in zip(settings, budgets, strict=True):
        k, n = (int(v) for v in setting.lower().split("x"))
        fixed = {"arms": k, "episodes": n, "seed": args.seed, "eval_trials": 1000}
        if args.iterations is not None:
            fixed["iterations"] = args.iterations
        cfg = from_dict(RL2Config, {**overrides, **fixed})
        m = make_rl2(cfg)
        chunk = jax.jit(lambda s, m=m: jax.lax.scan(lambda c, _: m.update(c), s, None, length=5))
        state = jax.jit(m.init)(jax.random.PRNGKey(cfg.seed))
        tasks, key = held_out_tasks(cfg)
        evaluate = jax.jit(m.evaluate)
        t0, c0, done, curve = time.perf_counter(), time.process_time(), 0, []
        while done < cfg.iterations and time.perf_counter() - t0 < budget:
            state, figs = chunk(state)
            done += 5
            if done % 50 == 0:
                curve.append([done, round(float(evaluate(state.params, tasks, key).mean()), 2)])
        train_s = time.perf_counter() - t0
        train_cpu_s = time.process_time() - c0  # one thread: about the wall time on an idle core
        res = {"rl2": [round(v, 2) for v in mean_ci95(evaluate(state.params, tasks, key))]}
        t1 = time.perf_counter()
        res.update({name: [round(v, 2) for v in mean_ci95(v)] for name, v in baselines(cfg).items()})
        out["settings"][f"k{k}_n{n}"] = {
            "config": {f: v for f, v in to_dict(cfg).items() if f not in ("eval_every", "log_every",
                                                                            "checkpoint_every")},
            "iterations": done, "budget_s": budget, "train_seconds": round(train_s, 1),
            "train_cpu_seconds": round(train_cpu_s, 1),
            "env_steps": done * cfg.trials * n,
            "baseline_seconds": round(time.perf_counter() - t1, 1), "mean_total_reward_ci95": res,
            "paper": paper_values(cfg), "eval_curve": curve,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
