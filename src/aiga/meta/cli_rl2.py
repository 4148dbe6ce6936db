"""``aiga rl2``: train RL² (Bernoulli bandits by default, random tabular MDPs with ``--env mdp``) under the
run contract, then print its table against the hand-designed baselines on the same held-out trials;
``aiga rl2 report RUN`` reprints it and redraws the learning curve.

JAX is imported only inside the command so that ``aiga --help`` stays fast.
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

from aiga.core.config import AigaError, cli_overrides
from aiga.meta.rl2 import RL2Config

SYSTEM = "rl2"


def add_parser(subparsers: Any, name: str = SYSTEM) -> argparse.ArgumentParser:
    from aiga.meta.common import add_train_report_parser

    return add_train_report_parser(
        subparsers, name, RL2Config, run,
        help="RL²: a GRU meta-learns to explore bandits and tabular MDPs (JAX, PPO)",
        description="RL² (Duan et al. 2016): a recurrent policy whose state persists across the episodes "
                    "of a trial, trained with PPO over many tasks, compared with Gittins, UCB1, Thompson "
                    "sampling, random (bandits) or PSRL and the optimal policy (MDPs). "
                    "'aiga rl2 report RUN' reprints a run's table.")


def run(args: argparse.Namespace) -> int:
    from aiga.meta.common import report_requested

    if report_requested(args, SYSTEM, report):
        return 0
    from aiga.core.runstore import run_status, start_run

    ctx = start_run(SYSTEM, RL2Config, resume=args.resume, run_dir=args.run_dir, config_file=args.config,
                    overrides=cli_overrides(args))
    with ctx.store, run_status(ctx.store):
        train_run(ctx)
        text = report(ctx.store.path)
    print(text)
    return 0


@functools.lru_cache(maxsize=2)
def _compiled(cfg: RL2Config) -> tuple[Any, Any, Any]:
    """The run's pure functions and jitted wrappers, built once per configuration and process."""
    import jax

    from aiga.meta.rl2 import make_rl2

    m = make_rl2(cfg)
    chunk_fn = jax.jit(lambda s, n: jax.lax.scan(lambda c, _: m.update(c), s, None, length=n),
                       static_argnums=1)
    return m, chunk_fn, jax.jit(m.evaluate)


def train_run(ctx: Any) -> Any:
    """Train (or continue) the run of ``ctx`` to ``config.iterations`` PPO iterations."""
    import jax
    import numpy as np

    from aiga.meta.common import drive, flatten_named, mean_ci95, unflatten_named
    from aiga.meta.rl2 import baselines, held_out_tasks

    cfg: RL2Config = ctx.config
    store = ctx.store
    m, chunk_fn, eval_fn = _compiled(cfg)
    state = m.init(jax.random.PRNGKey(cfg.seed))
    start = 0
    if ctx.checkpoint is not None:
        state = unflatten_named(state, ctx.checkpoint.arrays, where=f"checkpoint of {store.path}")
        start = ctx.checkpoint.iteration
    tasks, eval_key = held_out_tasks(cfg)
    if start == 0:
        base = baselines(cfg)
        store.log_event(0, "baselines", {k: mean_ci95(v) for k, v in base.items()})
    last = {"it": start}

    def after_chunk(it: int, s: Any, figs: dict[str, Any]) -> dict[str, float]:
        row = {f"train/{k}": float(np.mean(v)) for k, v in figs.items()}
        prev, last["it"] = last["it"], it
        if it // cfg.eval_every > prev // cfg.eval_every or it == cfg.iterations:
            totals = np.asarray(eval_fn(s.params, tasks, eval_key))
            row["eval/trial_reward"] = float(totals.mean())
            if it == cfg.iterations:
                store.log_event(it, "final_eval", {"rl2": mean_ci95(totals), "trials": int(totals.size)})
        store.log_metrics(it, row)
        shown = {"reward": row["train/trial_reward"], "entropy": row["train/entropy"]}
        if "eval/trial_reward" in row:
            shown["eval"] = row["eval/trial_reward"]
        return shown

    def save(it: int, s: Any) -> None:
        store.save_checkpoint(it, flatten_named(s), {"iteration": it})

    desc = f"rl2 bandit k={cfg.arms} n={cfg.episodes}" if cfg.env == "bandit" else f"rl2 mdp n={cfg.episodes}"
    return drive(ctx, state=state, start=start, total=cfg.iterations, chunk=cfg.log_every,
                 checkpoint_every=cfg.checkpoint_every, run_chunk=chunk_fn, after_chunk=after_chunk,
                 save=save, desc=desc)


def format_table(cfg: RL2Config, results: dict[str, tuple[float, float]], trials: int) -> str:
    """The RL² table against the baselines, with Duan et al.'s values beside ours where the paper has them."""
    from aiga.meta.rl2 import paper_values

    paper = paper_values(cfg)
    task = (f"Bernoulli bandits, k={cfg.arms} arms, n={cfg.episodes} pulls" if cfg.env == "bandit" else
            f"tabular MDPs |S|={cfg.mdp_states} |A|={cfg.mdp_actions} T={cfg.mdp_horizon}, "
            f"n={cfg.episodes} episodes")
    lines = [f"{task}: mean total reward per trial on the same {trials} held-out trials (± 95% CI)",
             f"  {'method':<10} {'ours':>18} {'paper':>8}"]
    for name, (mu, ci) in results.items():
        p = paper.get(name)
        lines.append(f"  {name:<10} {mu:>10.2f} ± {ci:<5.2f} {('' if p is None else f'{p:.1f}'):>8}")
    return "\n".join(lines)


def report(run_dir: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from aiga.core.config import from_dict
    from aiga.core.runstore import RunStore

    with RunStore.open(run_dir, SYSTEM, readonly=True) as store:
        cfg = from_dict(RL2Config, store.config())
        base = store.events("baselines")
        final = store.events("final_eval")
        train_it, train_r = store.series("train/trial_reward")
        eval_it, eval_r = store.series("eval/trial_reward")
        media = store.path / "media"
        path = store.path
    if not train_it.size:
        raise AigaError(f"{path} has no metrics yet: nothing to report")
    media.mkdir(exist_ok=True)
    results: dict[str, tuple[float, float]] = {}
    trials = cfg.eval_trials
    if final:
        results["rl2"] = tuple(final[-1]["data"]["rl2"])  # type: ignore[assignment]
    elif eval_it.size:
        results["rl2 (last eval)"] = (float(eval_r[-1]), float("nan"))
    if base:
        results.update({k: tuple(v) for k, v in base[-1]["data"].items()})  # type: ignore[misc]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(train_it, train_r, label="RL² (training trials)", alpha=0.6)
    if eval_it.size:
        ax.plot(eval_it, eval_r, "o-", label="RL² (held-out trials)")
    for i, (name, (mu, _)) in enumerate(results.items()):
        if not name.startswith("rl2"):
            ax.axhline(mu, ls="--", color=f"C{i + 2}", label=name)
    ax.set_xlabel("PPO iteration")
    ax.set_ylabel("total reward per trial")
    ax.legend(fontsize=8)
    arms = f" k={cfg.arms}" if cfg.env == "bandit" else ""
    ax.set_title(f"RL² on {cfg.env}{arms} n={cfg.episodes}")
    fig.tight_layout()
    png = media / "rl2_curve.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return "\n".join([f"RL² run {path}, {int(train_it[-1])} PPO iterations",
                      format_table(cfg, results, trials), f"learning curve: {png}"])
