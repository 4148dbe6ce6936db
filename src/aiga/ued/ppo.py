"""Recurrent PPO pieces shared by every UED method: student rollouts on levels, GAE, the clipped update.

Follows jaxued ``examples/maze_plr.py`` (``sample_trajectories_rnn``, ``compute_gae``,
``update_actor_critic_rnn``), which follows dcd/minimax: ``num_envs`` levels played for ``num_steps``
steps each with auto-replay (a finished episode restarts the same level), the LSTM state reset where the
previous step ended an episode, GAE(γ, λ), advantages normalised per minibatch, ratio clip 0.2, clipped
value loss ``0.5·max((V−R)², (V_clip−R)²)``, loss = policy + ``vf_coef``·value − ``ent_coef``·entropy, Adam
(eps 1e-5) after global-norm clipping 0.5; ``epochs`` passes over ``minibatches`` splits of the envs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from aiga.envs.maze import env as maze
from aiga.envs.maze.level import Level
from aiga.ued import networks


@dataclass(frozen=True)
class PPOSettings:
    """The PPO hyperparameters (static under jit)."""

    num_envs: int = 32
    num_steps: int = 256
    epochs: int = 5
    minibatches: int = 1
    gamma: float = 0.995
    gae_lambda: float = 0.98
    clip_eps: float = 0.2
    ent_coef: float = 1e-3
    vf_coef: float = 0.5
    lr: float = 1e-4
    max_grad_norm: float = 0.5
    max_episode_steps: int = 250
    hidden: int = networks.HIDDEN


def make_optimizer(s: PPOSettings) -> optax.GradientTransformation:
    return optax.chain(optax.clip_by_global_norm(s.max_grad_norm), optax.adam(s.lr, eps=1e-5))


class Trajectory(NamedTuple):
    """A rollout, every field [T, B] (images [T, B, 5, 5, 3])."""

    image: jax.Array
    agent_dir: jax.Array
    resets: jax.Array  #: the previous step ended an episode (LSTM state is zeroed before this step)
    action: jax.Array
    reward: jax.Array
    done: jax.Array
    log_prob: jax.Array
    value: jax.Array


def student_rollout(params: Any, levels: Level, key: jax.Array, s: PPOSettings
                    ) -> tuple[Trajectory, jax.Array]:
    """Play ``levels`` (a batch of B) for ``s.num_steps`` steps with auto-replay; returns the trajectory
    and the bootstrap value of the last observation."""
    start = jax.vmap(maze.reset_to_level)(levels)
    obs0 = jax.vmap(maze.get_obs)(start)
    b = obs0.agent_dir.shape[0]
    step = jax.vmap(maze.step_auto_replay, in_axes=(0, 0, 0, None))

    def body(c, k):
        state, obs, carry, last_done = c
        carry, logits, value = networks.student_apply(params, obs.image[None], obs.agent_dir[None],
                                                      last_done[None], carry)
        logits, value = logits[0], value[0]
        action = jax.random.categorical(k, logits)
        logp = jnp.take_along_axis(jax.nn.log_softmax(logits), action[:, None], axis=-1)[:, 0]
        state, nobs, reward, done = step(state, start, action, s.max_episode_steps)
        out = Trajectory(obs.image, obs.agent_dir, last_done, action, reward, done, logp, value)
        return (state, nobs, carry, done), out

    init = (start, obs0, networks.initial_carry(b, s.hidden), jnp.zeros(b, bool))
    (_, obs, carry, last_done), traj = jax.lax.scan(body, init, jax.random.split(key, s.num_steps))
    _, _, last_value = networks.student_apply(params, obs.image[None], obs.agent_dir[None], last_done[None],
                                              carry)
    return traj, last_value[0]


def gae(rewards: jax.Array, values: jax.Array, dones: jax.Array, last_value: jax.Array,
        gamma: float, lam: float) -> tuple[jax.Array, jax.Array]:
    """Generalised advantage estimates and value targets, [T, B] each."""

    def body(c, x):
        adv, next_value = c
        r, v, d = x
        nd = 1.0 - d.astype(jnp.float32)
        delta = r + gamma * next_value * nd - v
        adv = delta + gamma * lam * nd * adv
        return (adv, v), adv

    init = (jnp.zeros_like(last_value), last_value)
    _, adv = jax.lax.scan(body, init, (rewards, values, dones), reverse=True)
    return adv, adv + values


def ppo_loss(logits: jax.Array, values: jax.Array, actions: jax.Array, old_logp: jax.Array,
             old_values: jax.Array, advantages: jax.Array, targets: jax.Array, clip_eps: float,
             vf_coef: float, ent_coef: float) -> tuple[jax.Array, dict[str, jax.Array]]:
    logp_all = jax.nn.log_softmax(logits)
    logp = jnp.take_along_axis(logp_all, actions[..., None], axis=-1)[..., 0]
    entropy = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
    ratio = jnp.exp(logp - old_logp)
    a = (advantages - advantages.mean()) / (advantages.std() + 1e-5)
    l_clip = -jnp.minimum(ratio * a, jnp.clip(ratio, 1 - clip_eps, 1 + clip_eps) * a).mean()
    v_clipped = old_values + jnp.clip(values - old_values, -clip_eps, clip_eps)
    l_vf = 0.5 * jnp.maximum((values - targets) ** 2, (v_clipped - targets) ** 2).mean()
    loss = l_clip + vf_coef * l_vf - ent_coef * entropy
    return loss, {"policy_loss": l_clip, "value_loss": l_vf, "entropy": entropy}


def ppo_update(params: Any, opt_state: Any, opt: optax.GradientTransformation, apply_seq, inputs: tuple,
               resets: jax.Array, actions: jax.Array, old_logp: jax.Array, old_values: jax.Array,
               advantages: jax.Array, targets: jax.Array, key: jax.Array, s: PPOSettings
               ) -> tuple[Any, Any, dict[str, jax.Array]]:
    """``s.epochs`` × ``s.minibatches`` clipped-PPO steps over a [T, B] batch (minibatches split B).

    ``apply_seq(params, *inputs, resets, carry) -> (carry, logits, values)`` replays the recurrent
    network over whole sequences from a zero state, as every reference does."""
    b = actions.shape[1]
    mb = b // s.minibatches

    def epoch(c, k):
        params, opt_state = c
        perm = jax.random.permutation(k, b)

        def minibatch(c2, idx):
            params, opt_state = c2
            take = lambda x: jnp.take(x, idx, axis=1)  # noqa: E731

            def loss_fn(p):
                _, logits, values = apply_seq(p, *(take(x) for x in inputs), take(resets),
                                              networks.initial_carry(mb, s.hidden))
                return ppo_loss(logits, values, take(actions), take(old_logp), take(old_values),
                                take(advantages), take(targets), s.clip_eps, s.vf_coef, s.ent_coef)

            (_, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
            updates, opt_state = opt.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), aux

        (params, opt_state), aux = jax.lax.scan(minibatch, (params, opt_state),
                                                perm.reshape(s.minibatches, mb))
        return (params, opt_state), aux

    (params, opt_state), aux = jax.lax.scan(epoch, (params, opt_state), jax.random.split(key, s.epochs))
    return params, opt_state, jax.tree_util.tree_map(jnp.mean, aux)


def update_student(params: Any, opt_state: Any, opt: optax.GradientTransformation, traj: Trajectory,
                   last_value: jax.Array, key: jax.Array, s: PPOSettings):
    """GAE on ``traj`` then the PPO update; returns (params, opt_state, losses, advantages)."""
    adv, targets = gae(traj.reward, traj.value, traj.done, last_value, s.gamma, s.gae_lambda)
    params, opt_state, losses = ppo_update(params, opt_state, opt, networks.student_apply,
                                           (traj.image, traj.agent_dir), traj.resets, traj.action,
                                           traj.log_prob, traj.value, adv, targets, key, s)
    return params, opt_state, losses, adv
