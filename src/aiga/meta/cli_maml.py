"""``aiga maml``: train MAML (sinusoids by default, Omniglot with ``--dataset omniglot --data-path P``)
under the run contract, then print and draw its report; ``aiga maml report RUN`` redraws it.

JAX is imported only inside the command so that ``aiga --help`` stays fast.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any

from aiga.core.config import AigaError, cli_overrides, load_toml
from aiga.meta.maml import OMNIGLOT_PRESET, MAMLConfig

SYSTEM = "maml"


def add_parser(subparsers: Any, name: str = SYSTEM) -> argparse.ArgumentParser:
    from aiga.meta.common import add_train_report_parser

    return add_train_report_parser(
        subparsers, name, MAMLConfig, run,
        help="MAML / first-order MAML / Meta-SGD on sinusoids or Omniglot (JAX)",
        description="Model-agnostic meta-learning (Finn et al. 2017). 'aiga maml' trains with the paper's "
                    "sinusoid setup and ends with its report; 'aiga maml report RUN' redraws a run's report. "
                    "--dataset omniglot selects the 5-way 1-shot preset (α 0.4, meta-batch 32).")


def _preset(args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    dataset = overrides.get("dataset")
    if dataset is None and args.config:
        dataset = load_toml(args.config).get("dataset")
    return dict(OMNIGLOT_PRESET) if dataset == "omniglot" else {}


def run(args: argparse.Namespace) -> int:
    from aiga.meta.common import report_requested

    if report_requested(args, SYSTEM, report):
        return 0
    from aiga.core.runstore import run_status, start_run

    overrides = cli_overrides(args)
    path = overrides.get("data_path")
    if path and not Path(path).exists():  # refuse before a run directory is made
        raise AigaError(f"Omniglot path {path} does not exist")
    ctx = start_run(SYSTEM, MAMLConfig, resume=args.resume, run_dir=args.run_dir,
                    preset=_preset(args, overrides), config_file=args.config, overrides=overrides)
    with ctx.store, run_status(ctx.store):
        train_run(ctx)
        text = report(ctx.store.path)
    print(text)
    return 0


@functools.lru_cache(maxsize=2)
def _compiled(cfg: MAMLConfig) -> tuple[Any, Any, Any]:
    """The run's pure functions and their jitted chunk/evaluation wrappers, built once per configuration
    (a resumed run in the same process, as in the tests, reuses the compiled programs)."""
    import jax

    from aiga.meta.maml import make_maml

    m = make_maml(cfg)
    chunk_fn = jax.jit(lambda s, d, n: jax.lax.scan(lambda c, _: m.update(c, d), s, None, length=n),
                       static_argnums=2)
    return m, chunk_fn, jax.jit(m.evaluate, static_argnums=3)


def train_run(ctx: Any) -> Any:
    """Train (or continue) the run of ``ctx`` to ``config.iterations`` meta-steps."""
    import jax
    import numpy as np

    from aiga.meta.common import drive, flatten_named, mean_ci95, unflatten_named

    cfg: MAMLConfig = ctx.config
    store = ctx.store
    m, chunk_fn, eval_fn = _compiled(cfg)
    state = m.init(jax.random.PRNGKey(cfg.seed))
    start = 0
    if ctx.checkpoint is not None:
        state = unflatten_named(state, ctx.checkpoint.arrays, where=f"checkpoint of {store.path}")
        start = ctx.checkpoint.iteration
    data, eval_data = m.sampler.data, m.eval_sampler.data
    eval_key = jax.random.fold_in(jax.random.PRNGKey(cfg.seed), 0xE7A1)  # the same held-out tasks throughout
    last = {"it": start}

    def after_chunk(it: int, s: Any, figs: dict[str, Any]) -> dict[str, float]:
        row = {f"train/{k}": float(np.mean(v)) for k, v in figs.items()}
        prev, last["it"] = last["it"], it
        if it // cfg.eval_every > prev // cfg.eval_every or it == cfg.iterations:
            final = it == cfg.iterations
            n = cfg.final_eval_tasks if final else cfg.eval_tasks
            losses, accs = (np.asarray(a) for a in eval_fn(s.meta_params, eval_data, eval_key, n))
            for step in sorted({0, 1, cfg.eval_steps}):
                row[f"eval/loss_step{step}"] = float(losses[:, step].mean())
                if m.sampler.loss == "xent":
                    row[f"eval/acc_step{step}"] = float(accs[:, step].mean())
            if final:
                summary = {"tasks": n, "loss": [mean_ci95(losses[:, j]) for j in range(losses.shape[1])]}
                if m.sampler.loss == "xent":
                    summary["accuracy"] = [mean_ci95(accs[:, j]) for j in range(accs.shape[1])]
                store.log_event(it, "final_eval", summary)
        store.log_metrics(it, row)
        shown = {"post": row["train/loss_post"]}
        if "eval/loss_step1" in row:
            shown["eval1"] = row["eval/loss_step1"]
        return shown

    def save(it: int, s: Any) -> None:
        store.save_checkpoint(it, flatten_named(s), {"iteration": it})

    return drive(ctx, state=state, start=start, total=cfg.iterations, chunk=cfg.log_every,
                 checkpoint_every=cfg.checkpoint_every, run_chunk=lambda s, n: chunk_fn(s, data, n),
                 after_chunk=after_chunk, save=save, desc=f"maml {cfg.dataset}")


def report(run_dir: Any) -> str:
    """Learning curves, the final evaluation table and (sinusoids) fits before/after adaptation as PNGs."""
    import jax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from aiga.core.config import from_dict
    from aiga.core.runstore import RunStore
    from aiga.meta.common import unflatten_named
    from aiga.meta.maml import inner_adapt, make_maml

    with RunStore.open(run_dir, SYSTEM, readonly=True) as store:
        cfg = from_dict(MAMLConfig, store.config())
        ckpt = store.load_checkpoint()
        if ckpt is None:
            raise AigaError(f"{store.path} has no checkpoint yet: nothing to report")
        names = sorted({r[1] for r in store.metrics()})
        series = {n: store.series(n) for n in names}
        finals = store.events("final_eval")
        media = store.path / "media"
    media.mkdir(exist_ok=True)
    lines = [f"MAML on {cfg.dataset} ({'first-order' if cfg.first_order else 'second-order'}"
             f"{', Meta-SGD' if cfg.meta_sgd else ''}), {ckpt.iteration} meta-steps, run {store.path}"]

    fig, ax = plt.subplots(figsize=(7, 4))
    for n in names:
        if n.startswith("train/loss") or n.startswith("eval/loss"):
            it, v = series[n]
            ax.plot(it, v, label=n)
    ax.set_xlabel("meta-step")
    ax.set_ylabel("query loss" + (" (MSE)" if cfg.dataset == "sinusoid" else " (cross-entropy)"))
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(f"MAML {cfg.dataset}: learning curves")
    fig.tight_layout()
    curves = media / "maml_curves.png"
    fig.savefig(curves, dpi=110)
    plt.close(fig)
    lines.append(f"learning curves: {curves}")

    if finals:
        ev = finals[-1]["data"]
        lines.append(f"held-out evaluation on {ev['tasks']} tasks (mean ± 95% CI) after k inner steps:")
        for j, (mu, ci) in enumerate(ev["loss"]):
            if j in (0, 1, 5, cfg.eval_steps):
                acc = ""
                if "accuracy" in ev:
                    a_mu, a_ci = ev["accuracy"][j]
                    acc = f"   accuracy {100 * a_mu:.1f} ± {100 * a_ci:.1f}%"
                lines.append(f"  k={j:2d}  loss {mu:.4f} ± {ci:.4f}{acc}")

    if cfg.dataset == "sinusoid":
        m = make_maml(cfg)
        state = unflatten_named(m.init(jax.random.PRNGKey(cfg.seed)), ckpt.arrays, where="checkpoint")
        theta, alpha = state.meta_params["theta"], m.alpha(state.meta_params)
        tasks = m.sampler.sample((), jax.random.PRNGKey(2024), 4)
        grid = np.linspace(-5, 5, 200)[:, None]
        fig, axes = plt.subplots(1, 4, figsize=(14, 3.3), sharey=True)
        for i, ax in enumerate(axes):
            task = jax.tree.map(lambda a, i=i: a[i], tasks)
            amp, phase = float(task.info.amplitude), float(task.info.phase)
            ax.plot(grid, amp * np.sin(grid - phase), "k-", lw=2, label="ground truth")
            ax.plot(grid, m.model.apply(theta, grid), ":", label="pre-update")
            for steps, style in ((1, "--"), (10, "-")):
                p = inner_adapt(m.loss, m.model, theta, alpha, task.support_x, task.support_y, steps, True)
                ax.plot(grid, m.model.apply(p, grid), style, label=f"{steps} grad step{'s' * (steps > 1)}")
            ax.plot(task.support_x[:, 0], task.support_y[:, 0], "^", color="purple",
                    label=f"{cfg.k_shot} used for grad")
            ax.set_title(f"A={amp:.2f}, φ={phase:.2f}")
        axes[0].legend(fontsize=7)
        fig.suptitle(f"MAML, K={cfg.k_shot}: fits before and after adaptation (α={cfg.inner_lr})")
        fig.tight_layout()
        fits = media / "maml_sinusoid_fits.png"
        fig.savefig(fits, dpi=110)
        plt.close(fig)
        lines.append(f"sinusoid fits before/after adaptation: {fits}")
    return "\n".join(lines)
