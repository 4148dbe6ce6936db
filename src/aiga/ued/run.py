"""The run loop of every maze UED method: jit the method's cycle, log, evaluate, checkpoint, resume.

The whole training state (student(s), optimiser moments, level buffer, the method's PRNG key) is one
pytree of arrays; a checkpoint is that pytree flattened to named arrays (``.npz``, no pickle) and a resume
rebuilds the pytree from a freshly initialised template, so a resumed run continues bit for bit (XLA on
one machine is deterministic). Rows of cycle ``t`` are committed before the checkpoint of the state after
``t`` (the run-store contract). Evaluations use keys derived from (seed, cycle), never from the training
key, so evaluating more or less often does not change training.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from aiga.core.config import AigaError
from aiga.core.progress import progress
from aiga.core.runstore import RunContext
from aiga.envs.maze import suite
from aiga.envs.maze.level import index, to_dict
from aiga.ued.config import UEDConfig

MODULES = {"dr": "aiga.ued.dr", "plr": "aiga.ued.plr", "accel": "aiga.ued.accel", "paired": "aiga.ued.paired"}
SNAPSHOT_LEVELS = 8


def method_module(method: str):
    return importlib.import_module(MODULES[method])


def compiled_step(cfg: UEDConfig):
    """The jitted cycle for ``cfg`` (cached on the fields that shape it, so runs in one process that differ
    only in budget, evaluation or checkpoint cadence compile once)."""
    return _compiled_step(dataclasses.replace(cfg, iterations=0, eval_every=0, checkpoint_every=1,
                                              snapshot_every=1, eval_attempts=1, eval_horizon="1",
                                              eval_suite="default"))


@functools.cache
def _compiled_step(cfg: UEDConfig):
    return jax.jit(method_module(cfg.method).make_step(cfg))


def initial_state(cfg: UEDConfig) -> Any:
    return method_module(cfg.method).init(cfg, jax.random.PRNGKey(cfg.seed))


def state_to_arrays(state: Any) -> dict[str, np.ndarray]:
    leaves, _ = jax.tree_util.tree_flatten_with_path(state)
    return {f"{i:04d}{jax.tree_util.keystr(path)}": np.asarray(leaf) for i, (path, leaf) in enumerate(leaves)}


def arrays_to_state(template: Any, arrays: dict[str, np.ndarray]) -> Any:
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    names = [f"{i:04d}{jax.tree_util.keystr(path)}" for i, (path, _) in enumerate(leaves)]
    if sorted(names) != sorted(arrays):
        raise AigaError("checkpoint does not match this method's state (was it written by another version?)")
    out = []
    for name, (_, leaf) in zip(names, leaves, strict=True):
        a = arrays[name]
        if a.shape != np.shape(leaf) or a.dtype != np.asarray(leaf).dtype:
            raise AigaError(f"checkpoint array {name} has shape {a.shape} {a.dtype}, expected "
                            f"{np.shape(leaf)} {np.asarray(leaf).dtype}")
        out.append(jnp.asarray(a))
    return jax.tree_util.tree_unflatten(treedef, out)


def suite_names(cfg: UEDConfig) -> tuple[str, ...]:
    if cfg.eval_suite == "default":
        return suite.DEFAULT_SUITE
    if cfg.eval_suite == "jaxued":
        return suite.JAXUED_SUITE
    names = tuple(n.strip() for n in cfg.eval_suite.split(",") if n.strip())
    for n in names:
        suite.maze_info(n)  # raises AigaError for unknown names
    return names


def env_steps_per_cycle(cfg: UEDConfig) -> int:
    steps = cfg.num_envs * cfg.num_steps
    if cfg.schedule == "parallel":
        from aiga.ued.parallel import n_parts

        return n_parts(cfg) * steps
    if cfg.method == "paired":
        return 2 * steps + cfg.num_envs * (cfg.n_walls + 2)
    return steps


def evaluate(cfg: UEDConfig, params: Any, it: int) -> dict[str, float]:
    from aiga.ued.evaluate import evaluate_suite

    horizon: int | str = cfg.eval_horizon if cfg.eval_horizon == "reference" else int(cfg.eval_horizon)
    key = jax.random.fold_in(jax.random.PRNGKey(cfg.seed ^ 0x5EED), it)
    res = evaluate_suite(params, key, suite_names(cfg), cfg.eval_attempts, horizon, cfg.hidden)
    out = {}
    for name, r in res.items():
        out[f"heldout/{name}/solve_rate"] = r["solve_rate"]
        out[f"heldout/{name}/return"] = r["return"]
    return out


def train(ctx: RunContext) -> dict[str, float]:
    """Run (or continue) the UED run in ``ctx`` to ``cfg.iterations`` cycles; returns the last metrics."""
    cfg: UEDConfig = ctx.config
    store = ctx.store
    mod = method_module(cfg.method)
    state = initial_state(cfg)
    start = 0
    if ctx.checkpoint is not None:
        state = arrays_to_state(state, ctx.checkpoint.arrays)
        start = ctx.checkpoint.iteration
    step = compiled_step(cfg)
    last: dict[str, float] = {}
    with progress(cfg.iterations, f"ued {cfg.method}", initial=start) as bar:
        for it in range(start + 1, cfg.iterations + 1):
            state, m, levels = step(state)
            metrics = {k: float(v) for k, v in m.items()}
            metrics["env_steps"] = float(it * env_steps_per_cycle(cfg))
            final = it == cfg.iterations
            if (cfg.eval_every and it % cfg.eval_every == 0) or final:
                metrics.update(evaluate(cfg, mod.student_params(state), it))
            store.log_metrics(it, metrics)
            if it % cfg.snapshot_every == 0 or it == 1 or final:
                lv = jax.tree_util.tree_map(np.asarray, levels)
                n = min(SNAPSHOT_LEVELS, cfg.num_envs)
                store.log_event(it, "levels", {"levels": [to_dict(index(lv, i))["rows"] for i in range(n)]})
            if it % cfg.checkpoint_every == 0 or final:
                store.save_checkpoint(it, state_to_arrays(state), {"method": cfg.method})
            last = metrics
            figures = {"return": metrics["train/return"]}
            if "heldout/mean/solve_rate" in metrics:
                figures["heldout"] = metrics["heldout/mean/solve_rate"]
            bar.update(1, **figures)
    return last
