"""Domain randomisation on mazes: every cycle, fresh random levels, a rollout, a PPO update.

The baseline of every UED paper (dcd ``--ued_algo domain_randomization``, jaxued ``examples/maze_dr.py``):
levels from jaxued's generator with ``n_walls`` wall draws (25 by default), 32 levels × 256 steps per
update, PPO as in ``ppo.py``. Its surprising strength on the maze suite is one of jaxued's findings.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from aiga.ued import common
from aiga.ued.config import UEDConfig
from aiga.ued.ppo import make_optimizer, student_rollout, update_student


class DRState(NamedTuple):
    key: jax.Array
    student: common.Student


def init(cfg: UEDConfig, key: jax.Array) -> DRState:
    key, k = jax.random.split(key)
    return DRState(key, common.init_student(cfg, k))


def make_step(cfg: UEDConfig):
    s = common.ppo_settings(cfg)
    opt = make_optimizer(s)

    def step(state: DRState) -> tuple[DRState, dict[str, Any], Any]:
        key, k_lv, k_roll, k_upd = jax.random.split(state.key, 4)
        levels = common.random_levels(k_lv, cfg.num_envs, cfg.n_walls)
        traj, last_value = student_rollout(state.student.params, levels, k_roll, s)
        st = state.student
        params, opt_state, losses, _ = update_student(st.params, st.opt_state, opt, traj, last_value, k_upd,
                                                      s)
        metrics = {**common.rollout_metrics(cfg, levels, traj), **common.named_losses(losses)}
        return DRState(key, common.Student(params, opt_state)), metrics, levels

    return step


def student_params(state: DRState) -> Any:
    return state.student.params
