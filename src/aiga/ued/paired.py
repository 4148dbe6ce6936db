"""PAIRED (Dennis, Jaques et al. 2020, "Emergent Complexity and Zero-shot Transfer via Unsupervised
Environment Design", NeurIPS) on mazes.

Each cycle: the adversary (an LSTM policy over the 169 tiles, ``networks.adversary_apply``) builds
``num_envs`` levels step by step (goal, agent, then ``n_walls`` walls; ``generators.adversary_*``); the
protagonist and the antagonist each play every level for ``num_steps`` steps (auto-replay, so several
episodes); regret = antagonist **max** return − protagonist **mean** return (clipped at 0 with
``regret_clip``); both students take a PPO step on their own rollouts; the adversary takes a PPO step with
the regret as its single terminal reward. References: jaxued ``examples/maze_paired.py`` (after its Aug
2024 fix of the swapped mean/max), dcd ``--ued_algo paired``, google-research ``adversarial_env``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from aiga.envs.maze import generators
from aiga.ued import common, networks, scores
from aiga.ued.config import UEDConfig
from aiga.ued.ppo import Trajectory, gae, make_optimizer, ppo_update, student_rollout, update_student


class PAIREDState(NamedTuple):
    key: jax.Array
    protagonist: common.Student
    antagonist: common.Student
    adversary: common.Student


class AdversaryTrajectory(NamedTuple):
    image: jax.Array
    time: jax.Array
    noise: jax.Array
    resets: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array


def adversary_steps(cfg: UEDConfig) -> int:
    return cfg.n_walls + 2


def adversary_settings(cfg: UEDConfig):
    return common.ppo_settings(cfg, ent_coef=cfg.adversary_ent_coef, num_steps=adversary_steps(cfg))


def init(cfg: UEDConfig, key: jax.Array) -> PAIREDState:
    key, kp, ka, kd = jax.random.split(key, 4)
    adv_params = networks.init_adversary(kd, adversary_steps(cfg), noise_dim=cfg.noise_dim,
                                         conv_filters=cfg.adversary_filters, hidden=cfg.hidden)
    adversary = common.Student(adv_params, make_optimizer(adversary_settings(cfg)).init(adv_params))
    return PAIREDState(key, common.init_student(cfg, kp), common.init_student(cfg, ka), adversary)


def build_levels(params: Any, key: jax.Array, cfg: UEDConfig):
    """The adversary's construction episode for a batch: (levels, its trajectory)."""
    n, steps = cfg.num_envs, adversary_steps(cfg)
    k_reset, k_run = jax.random.split(key)
    state = jax.vmap(generators.adversary_reset, in_axes=(0, None, None, None))(
        jax.random.split(k_reset, n), 13, 13, cfg.noise_dim)

    def body(c, k):
        st, carry = c
        ka, ks = jax.random.split(k)
        obs = jax.vmap(generators.adversary_obs)(st)
        carry, logits, value = networks.adversary_apply(params, obs.image[None], obs.time[None],
                                                        obs.noise[None], jnp.zeros((1, n), bool), carry)
        action = jax.random.categorical(ka, logits[0])
        logp = jnp.take_along_axis(jax.nn.log_softmax(logits[0]), action[:, None], -1)[:, 0]
        st = jax.vmap(generators.adversary_step)(st, action, jax.random.split(ks, n))
        return (st, carry), AdversaryTrajectory(obs.image, obs.time, obs.noise, jnp.zeros(n, bool), action,
                                                logp, value[0])

    (final, _), traj = jax.lax.scan(body, (state, networks.initial_carry(n, cfg.hidden)),
                                    jax.random.split(k_run, steps))
    return jax.vmap(generators.adversary_level)(final), traj


def make_step(cfg: UEDConfig):
    s = common.ppo_settings(cfg)
    s_adv = adversary_settings(cfg)
    opt, opt_adv = make_optimizer(s), make_optimizer(s_adv)

    def step(state: PAIREDState):
        key, k_build, k_pro, k_ant, k_up1, k_up2, k_up3 = jax.random.split(state.key, 7)
        levels, adv_traj = build_levels(state.adversary.params, k_build, cfg)

        pro_traj, pro_last = student_rollout(state.protagonist.params, levels, k_pro, s)
        ant_traj, ant_last = student_rollout(state.antagonist.params, levels, k_ant, s)
        pro_mean, _, _ = scores.episode_returns(pro_traj.done, pro_traj.reward)
        _, ant_max, _ = scores.episode_returns(ant_traj.done, ant_traj.reward)
        regret = scores.paired_regret(ant_max, pro_mean, cfg.regret_clip)

        def update(student: common.Student, traj: Trajectory, last, k):
            p, o, losses, _ = update_student(student.params, student.opt_state, opt, traj, last, k, s)
            return common.Student(p, o), losses

        protagonist, pro_losses = update(state.protagonist, pro_traj, pro_last, k_up1)
        antagonist, _ = update(state.antagonist, ant_traj, ant_last, k_up2)

        # The adversary's only reward is the regret, at its last construction step.
        t = adversary_steps(cfg)
        rewards = jnp.zeros((t, cfg.num_envs)).at[-1].set(regret)
        dones = jnp.zeros((t, cfg.num_envs), bool).at[-1].set(True)
        adv, targets = gae(rewards, adv_traj.value, dones, jnp.zeros(cfg.num_envs), s_adv.gamma,
                           s_adv.gae_lambda)
        a = adv_traj
        p, o, adv_losses = ppo_update(state.adversary.params, state.adversary.opt_state, opt_adv,
                                      networks.adversary_apply, (a.image, a.time, a.noise), a.resets,
                                      a.action, a.log_prob, a.value, adv, targets, k_up3, s_adv)
        new = PAIREDState(key, protagonist, antagonist, common.Student(p, o))
        m = {**common.rollout_metrics(cfg, levels, pro_traj), **common.named_losses(pro_losses),
             "regret/paired": regret.mean(),
             "train/antagonist_return": scores.episode_returns(ant_traj.done, ant_traj.reward)[0].mean(),
             "adversary/entropy": adv_losses["entropy"],
             "adversary/noise_std": adv_traj.noise[0].std()}
        return new, m, levels

    return step


def student_params(state: PAIREDState) -> Any:
    return state.protagonist.params
