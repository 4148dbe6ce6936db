"""RL²: fast reinforcement learning via slow reinforcement learning (Duan et al. 2016), in pure JAX.

Reference code: lucaslingle/pytorch_rl2 (PyTorch, PPO, GRU; reproduces the paper's bandit and MDP
tables). A recurrent policy receives at every step the observation, the previous action, the previous
reward and the "done" flag of the previous step, and its hidden state is kept across the episodes of a
*trial* (one task, several episodes) and reset to zero only between trials. The outer ("slow") learner
maximises the total reward of the whole trial, so exploring in early episodes pays off in later ones,
and the GRU's activations come to implement the "fast" RL algorithm.

The outer learner here is PPO (clipped surrogate, GAE) on whole trials: since every trial starts from a
zero hidden state, the update recomputes the policy over each trial's inputs exactly, with no stored
hidden states. Rollouts and updates are one XLA program (``lax.scan`` over time, ``vmap`` over trials),
and ``make_train(config)`` returns a pure ``train(key)`` that several seeds can run at once with
``jax.vmap`` (PureJaxRL style).

Networks: inputs [one-hot obs, one-hot previous action, previous reward, previous done] → GRU → linear
softmax policy, and a second GRU → linear value, as pytorch_rl2's separate policy and value networks
(Duan et al. use a GRU with an embedding of (s, a, r, d); the GRU's input weights are that linear
embedding). The default cell is pytorch_rl2's (``rl2/agents/architectures/gru.py``): layer norm on each
of the four pre-activations, a forget bias of 1 and a ReLU candidate; on k = 5, n = 100 bandits it
learned several times faster than a plain tanh GRU (``layer_norm=false``), see docs/meta.md. We default to
64 units instead of the reference's 256, and to an entropy bonus and a learning rate that decay linearly,
so that a laptop trains in well under an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from aiga.core.config import check_choice, check_range, param


@dataclass(frozen=True)
class RL2Config:
    """Settings of one RL² run. Defaults: Bernoulli bandits with k = 5 arms and n = 100 pulls."""

    seed: int = param(0, "random seed of the whole run")
    iterations: int = param(1200, "PPO iterations (each: a batch of trials, then several epochs of updates)")
    env: str = param("bandit", "task family: bandit (Bernoulli arms) or mdp (random tabular MDPs)")
    arms: int = param(5, "bandit arms k")
    episodes: int = param(100, "episodes per trial n (for bandits, pulls: one pull is one episode)")
    mdp_states: int = param(10, "states of each random MDP")
    mdp_actions: int = param(5, "actions of each random MDP")
    mdp_horizon: int = param(10, "steps per MDP episode")
    hidden: int = param(64, "units of each GRU (policy and value)")
    layer_norm: bool = param(True, "pytorch_rl2's GRU cell: layer norm on the four pre-activations, "
                                    "forget bias 1, ReLU candidate (false: the standard tanh GRU)")
    trials: int = param(128, "trials per PPO iteration (each with its own task)")
    epochs: int = param(4, "PPO epochs per iteration")
    minibatches: int = param(4, "minibatches (of trials) per epoch")
    lr: float = param(1e-3, "Adam learning rate")
    clip: float = param(0.1, "PPO clipping ε (pytorch_rl2: 0.10)")
    entropy_coef: float = param(0.05, "entropy bonus at the start (pytorch_rl2: 0.01 throughout, with "
                                      "far larger batches)")
    entropy_final: float = param(0.0, "entropy bonus after entropy_decay iterations (linear in between)")
    entropy_decay: int = param(1000, "iterations over which the entropy bonus goes linearly from "
                                     "entropy_coef to entropy_final (0 = constant entropy_coef)")
    lr_final: float = param(1e-4, "learning rate after lr_decay iterations, linear in between (-1 = lr)")
    lr_decay: int = param(1000, "iterations over which the learning rate goes linearly to lr_final "
                                "(0 = constant lr)")
    value_coef: float = param(0.5, "weight of the value loss")
    gamma: float = param(0.99, "discount across the whole trial")
    gae_lambda: float = param(0.3, "GAE λ (pytorch_rl2: 0.3)")
    max_grad_norm: float = param(0.5, "clip the global gradient norm (0 = off)")
    eval_every: int = param(25, "iterations between evaluations on the held-out trials")
    eval_trials: int = param(1000, "held-out trials, the same for RL² and every baseline")
    log_every: int = param(5, "iterations per scanned chunk (one progress update and metrics row)")
    checkpoint_every: int = param(25, "iterations between checkpoints")

    def __post_init__(self) -> None:
        check_range("seed", self.seed, 0)
        check_range("iterations", self.iterations, 1)
        check_choice("env", self.env, ("bandit", "mdp"))
        check_range("arms", self.arms, 2, 1000)
        check_range("episodes", self.episodes, 1, 100000)
        check_range("mdp_states", self.mdp_states, 1, 1000)
        check_range("mdp_actions", self.mdp_actions, 1, 1000)
        check_range("mdp_horizon", self.mdp_horizon, 1, 10000)
        check_range("hidden", self.hidden, 1)
        check_range("trials", self.trials, 1)
        check_range("epochs", self.epochs, 1)
        check_range("minibatches", self.minibatches, 1, self.trials)
        if self.trials % self.minibatches:
            from aiga.core.config import ConfigError

            raise ConfigError(f"trials ({self.trials}) must be a multiple of minibatches "
                              f"({self.minibatches})")
        check_range("lr", self.lr, 0.0, 1.0)
        check_range("clip", self.clip, 0.0, 1.0)
        check_range("entropy_coef", self.entropy_coef, 0.0)
        check_range("entropy_final", self.entropy_final, 0.0)
        check_range("entropy_decay", self.entropy_decay, 0)
        if self.lr_final != -1.0:
            check_range("lr_final", self.lr_final, 0.0, 1.0)
        check_range("lr_decay", self.lr_decay, 0)
        check_range("value_coef", self.value_coef, 0.0)
        check_range("gamma", self.gamma, 0.0, 1.0)
        check_range("gae_lambda", self.gae_lambda, 0.0, 1.0)
        check_range("max_grad_norm", self.max_grad_norm, 0.0)
        for f in ("eval_every", "eval_trials", "log_every", "checkpoint_every"):
            check_range(f, getattr(self, f), 1)


def make_env(config: RL2Config) -> Any:
    from aiga.meta.bandits import BernoulliBandit
    from aiga.meta.mdps import TabularMDP

    if config.env == "bandit":
        return BernoulliBandit(k=config.arms, n=config.episodes)
    return TabularMDP(config.mdp_states, config.mdp_actions, config.mdp_horizon, config.episodes)


# ------------------------------------------------------------------------------------------ network


def init_gru_net(key: Any, num_inputs: int, hidden: int, num_outputs: int, out_scale: float,
                 layer_norm: bool = False) -> dict[str, Any]:
    """A GRU and its linear head. ``layer_norm``: pytorch_rl2's cell (``rl2/agents/architectures/gru.py``):
    no linear biases, Xavier-normal input and gate weights, orthogonal candidate recurrence, and a gain
    and shift per layer norm."""
    import jax
    import jax.numpy as jnp

    k1, k2, k3, k4, k5, _ = jax.random.split(key, 6)
    ortho = jax.nn.initializers.orthogonal()
    head = {"out_w": out_scale * ortho(k3, (hidden, num_outputs)), "out_b": jnp.zeros((num_outputs,))}
    if layer_norm:
        xavier = jax.nn.initializers.glorot_normal()
        net = {"wx_zr": xavier(k1, (num_inputs, 2 * hidden)), "wh_zr": xavier(k2, (hidden, 2 * hidden)),
               "wx_n": xavier(k4, (num_inputs, hidden)), "wh_n": ortho(k5, (hidden, hidden))}
        for name, width in (("x_zr", 2 * hidden), ("h_zr", 2 * hidden), ("x_n", hidden), ("h_n", hidden)):
            net[f"ln_{name}_g"] = jnp.ones((width,))
            net[f"ln_{name}_b"] = jnp.zeros((width,))
        return net | head
    glorot = jax.nn.initializers.glorot_uniform()
    return {
        "gru_wi": glorot(k1, (num_inputs, 3 * hidden)),
        "gru_wh": jnp.concatenate([ortho(k, (hidden, hidden)) for k in jax.random.split(k2, 3)], axis=1),
        "gru_bi": jnp.zeros((3 * hidden,)),
        "gru_bh": jnp.zeros((3 * hidden,)),
    } | head


def init_network(key: Any, num_inputs: int, hidden: int, num_actions: int,
                 layer_norm: bool = False) -> dict[str, Any]:
    """Separate policy and value networks, each a GRU with a linear head, as in pytorch_rl2
    (``PolicyNetwork``/``ValueNetwork``): the value's large regression gradients then cannot swamp the
    policy's. The policy head starts near zero, i.e. near-uniform."""
    import jax

    kp, kv = jax.random.split(key)
    return {"policy": init_gru_net(kp, num_inputs, hidden, num_actions, 0.01, layer_norm),
            "value": init_gru_net(kv, num_inputs, hidden, 1, 1.0, layer_norm)}


#: pytorch_rl2's ``LayerNorm`` epsilon (inside the square root) and its GRU's forget bias.
LN_EPS = 1e-8
FORGET_BIAS = 1.0


def layer_norm(x: Any, g: Any, b: Any) -> Any:
    """Layer norm over the last axis, as pytorch_rl2: g ⊙ (x − μ) / √(σ² + 1e-8) + b."""
    import jax.numpy as jnp

    c = x - x.mean(axis=-1, keepdims=True)
    return g * c / jnp.sqrt((c * c).mean(axis=-1, keepdims=True) + LN_EPS) + b


def gru_cell(params: dict[str, Any], h: Any, x: Any) -> Any:
    """One GRU step; the cell is chosen by the parameters present.

    Standard (PyTorch's convention, Cho et al.): r, z gates; n = tanh(W x + r ⊙ (U h + b));
    h' = (1−z)n + zh. Layer-normed (pytorch_rl2, ``reset_after``): [z, r] = LN(W_zr x) + LN(U_zr h),
    z = σ(z − 1), r = σ(r); ĥ = ReLU(LN(W_n x) + r ⊙ LN(U_n h)); h' = (1−z)h + zĥ. The forget bias of 1
    starts the cell keeping most of its state (at zero pre-activation only σ(−1) ≈ 0.27 of the candidate
    is mixed in), so what the trial's early pulls taught it fades slowly.
    """
    import jax
    import jax.numpy as jnp

    if "wx_zr" in params:
        p = params
        zr = (layer_norm(x @ p["wx_zr"], p["ln_x_zr_g"], p["ln_x_zr_b"])
              + layer_norm(h @ p["wh_zr"], p["ln_h_zr_g"], p["ln_h_zr_b"]))
        z, r = jnp.split(zr, 2, axis=-1)
        z = jax.nn.sigmoid(z - FORGET_BIAS)
        r = jax.nn.sigmoid(r)
        hhat = jax.nn.relu(layer_norm(x @ p["wx_n"], p["ln_x_n_g"], p["ln_x_n_b"])
                           + r * layer_norm(h @ p["wh_n"], p["ln_h_n_g"], p["ln_h_n_b"]))
        return (1.0 - z) * h + z * hhat
    gi = x @ params["gru_wi"] + params["gru_bi"]
    gh = h @ params["gru_wh"] + params["gru_bh"]
    ir, iz, inn = jnp.split(gi, 3, axis=-1)
    hr, hz, hn = jnp.split(gh, 3, axis=-1)
    r = jax.nn.sigmoid(ir + hr)
    z = jax.nn.sigmoid(iz + hz)
    n = jnp.tanh(inn + r * hn)
    return (1.0 - z) * n + z * h


def agent_step(params: dict[str, Any], h: Any, x: Any) -> tuple[Any, Any, Any]:
    """One step of both recurrent networks: ``h`` stacks the policy's and the value's states [2, H]."""
    hp = gru_cell(params["policy"], h[0], x)
    hv = gru_cell(params["value"], h[1], x)
    logits = hp @ params["policy"]["out_w"] + params["policy"]["out_b"]
    value = (hv @ params["value"]["out_w"] + params["value"]["out_b"])[..., 0]
    return jnp_stack(hp, hv), logits, value


def jnp_stack(a: Any, b: Any) -> Any:
    import jax.numpy as jnp

    return jnp.stack([a, b])


def agent_input(num_obs: int, num_actions: int, obs: Any, prev_action: Any, prev_reward: Any,
                prev_done: Any) -> Any:
    """(observation, previous action, previous reward, done) as one vector; ``prev_action`` −1 = none yet."""
    import jax
    import jax.numpy as jnp

    return jnp.concatenate([
        jax.nn.one_hot(obs, num_obs),
        jax.nn.one_hot(prev_action, num_actions),  # all zeros for −1 at the trial's first step
        jnp.atleast_1d(prev_reward).astype(jnp.float32),
        jnp.atleast_1d(prev_done).astype(jnp.float32),
    ])


# ------------------------------------------------------------------------------------------ rollouts


class Trajectory(NamedTuple):
    """One trial, time on the leading axis: inputs seen, actions, their log-probs, values, rewards and
    the hidden states *before* each step (``h_in`` [time, 2, H]: policy and value GRUs; zeros at the
    trial's start only)."""

    inputs: Any
    actions: Any
    logp: Any
    values: Any
    rewards: Any
    h_in: Any


def rollout(env: Any, params: dict[str, Any], env_params: Any, key: Any, hidden: int) -> Trajectory:
    """Run one trial: ``env.episodes`` episodes of ``env.episode_length`` steps on one task. The hidden
    state starts at zero and is carried across episode boundaries (only the env resets there)."""
    import jax
    import jax.numpy as jnp

    T = env.episode_length
    length = env.episodes * T
    s0, o0 = env.reset(env_params)

    def step(carry: Any, t: Any) -> tuple[Any, Trajectory]:
        h, state, obs, pa, pr, pd, key = carry
        key, ka, ks = jax.random.split(key, 3)
        x = agent_input(env.num_obs, env.num_actions, obs, pa, pr, pd)
        h_new, logits, value = agent_step(params, h, x)
        a = jax.random.categorical(ka, logits)
        logp = jax.nn.log_softmax(logits)[a]
        state, obs, r = env.step(ks, env_params, state, a)
        done = (t + 1) % T == 0
        rs, ro = env.reset(env_params)
        state = jnp.where(done, rs, state)
        obs = jnp.where(done, ro, obs)
        return (h_new, state, obs, a, r, done, key), Trajectory(x, a, logp, value, r, h)

    init = (jnp.zeros((2, hidden)), s0, o0, jnp.int32(-1), jnp.float32(0.0), False, key)
    _, traj = jax.lax.scan(step, init, jnp.arange(length))
    return traj


def replay(params: dict[str, Any], inputs: Any, hidden: int) -> tuple[Any, Any]:
    """Logits and values along one trial's recorded inputs, from a zero hidden state."""
    import jax
    import jax.numpy as jnp

    def step(h: Any, x: Any) -> tuple[Any, tuple[Any, Any]]:
        h, logits, value = agent_step(params, h, x)
        return h, (logits, value)

    _, (logits, values) = jax.lax.scan(step, jnp.zeros((2, hidden)), inputs)
    return logits, values


def gae(rewards: Any, values: Any, gamma: float, lam: float) -> Any:
    """Generalised advantage estimates over one trial; the trial's end is terminal (no bootstrap)."""
    import jax
    import jax.numpy as jnp

    next_values = jnp.append(values[1:], 0.0)
    deltas = rewards + gamma * next_values - values

    def back(acc: Any, d: Any) -> tuple[Any, Any]:
        acc = d + gamma * lam * acc
        return acc, acc

    _, adv = jax.lax.scan(back, jnp.float32(0.0), deltas, reverse=True)
    return adv


# ------------------------------------------------------------------------------------------ training


class TrainState(NamedTuple):
    params: dict[str, Any]
    opt_state: Any
    key: Any
    iteration: Any  # PPO iterations done (drives the entropy schedule; the optimiser counts its own steps)


class RL2(NamedTuple):
    config: RL2Config
    env: Any
    init: Any       # key -> TrainState
    update: Any     # TrainState -> (TrainState, figures)
    train: Any      # key -> (TrainState, figures per iteration); pure, vmappable over seeds
    evaluate: Any   # (params, env_params [trials], key) -> total reward per trial
    rollout: Any    # (params, env_params, key) -> Trajectory


def make_rl2(config: RL2Config) -> RL2:
    import jax
    import jax.numpy as jnp
    import optax

    env = make_env(config)
    H, A = config.hidden, env.num_actions
    num_inputs = env.num_obs + A + 2
    steps_per_iteration = config.epochs * config.minibatches
    opt = optax.adam(lr_schedule(config, steps_per_iteration), eps=1e-5)
    if config.max_grad_norm > 0:
        opt = optax.chain(optax.clip_by_global_norm(config.max_grad_norm), opt)

    def init(key: Any) -> TrainState:
        key, k = jax.random.split(key)
        params = init_network(k, num_inputs, H, A, config.layer_norm)
        return TrainState(params, opt.init(params), key, jnp.int32(0))

    def run(params: Any, env_params: Any, key: Any) -> Trajectory:
        return rollout(env, params, env_params, key, H)

    def ppo_loss(params: Any, batch: Any, ent_coef: Any) -> tuple[Any, Any]:
        traj, adv, ret = batch
        logits, values = jax.vmap(lambda x: replay(params, x, H))(traj.inputs)
        logp_all = jax.nn.log_softmax(logits)
        logp = jnp.take_along_axis(logp_all, traj.actions[..., None], axis=-1)[..., 0]
        ratio = jnp.exp(logp - traj.logp)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        pg = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - config.clip, 1 + config.clip) * adv).mean()
        vf = 0.5 * ((values - ret) ** 2).mean()
        ent = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
        loss = pg + config.value_coef * vf - ent_coef * ent
        return loss, {"policy_loss": pg, "value_loss": vf, "entropy": ent,
                      "approx_kl": ((ratio - 1) - jnp.log(ratio)).mean()}

    def update(state: TrainState) -> tuple[TrainState, dict[str, Any]]:
        key, kt, kr, kp = jax.random.split(state.key, 4)
        env_params = jax.vmap(env.sample_params)(jax.random.split(kt, config.trials))
        keys = jax.random.split(kr, config.trials)
        traj = jax.vmap(run, in_axes=(None, 0, 0))(state.params, env_params, keys)
        adv = jax.vmap(lambda r, v: gae(r, v, config.gamma, config.gae_lambda))(traj.rewards, traj.values)
        ret = adv + traj.values
        mb = config.trials // config.minibatches
        ent_coef = entropy_schedule(config, state.iteration)

        def epoch(carry: Any, k: Any) -> tuple[Any, Any]:
            perm = jax.random.permutation(k, config.trials).reshape(config.minibatches, mb)

            def minibatch(carry: Any, idx: Any) -> tuple[Any, Any]:
                params, opt_state = carry
                batch = jax.tree.map(lambda a: a[idx], (traj, adv, ret))
                grads, figs = jax.grad(ppo_loss, has_aux=True)(params, batch, ent_coef)
                updates, opt_state = opt.update(grads, opt_state, params)
                return (optax.apply_updates(params, updates), opt_state), figs

            return jax.lax.scan(minibatch, carry, perm)

        (params, opt_state), figs = jax.lax.scan(epoch, (state.params, state.opt_state),
                                                 jax.random.split(kp, config.epochs))
        figs = jax.tree.map(jnp.mean, figs)
        figs["trial_reward"] = traj.rewards.sum(axis=1).mean()
        figs["entropy_coef"] = ent_coef
        return TrainState(params, opt_state, key, state.iteration + 1), figs

    def train(key: Any) -> tuple[TrainState, dict[str, Any]]:
        return jax.lax.scan(lambda s, _: update(s), init(key), None, length=config.iterations)

    def evaluate(params: Any, env_params: Any, key: Any) -> Any:
        keys = jax.random.split(key, env_params_count(env_params))
        traj = jax.vmap(run, in_axes=(None, 0, 0))(params, env_params, keys)
        return traj.rewards.sum(axis=1)

    return RL2(config, env, init, update, train, evaluate, run)


def entropy_schedule(config: RL2Config, iteration: Any) -> Any:
    """Entropy bonus of PPO iteration ``iteration`` (0-based): ``entropy_coef`` going linearly to
    ``entropy_final`` over ``entropy_decay`` iterations, then constant. A fixed number of iterations (not
    a fraction of ``iterations``) so that a run resumed with a larger budget keeps its past schedule."""
    import jax.numpy as jnp

    if config.entropy_decay == 0:
        return jnp.float32(config.entropy_coef)
    frac = jnp.minimum(jnp.asarray(iteration, jnp.float32) / config.entropy_decay, 1.0)
    return jnp.float32(config.entropy_coef) + frac * (config.entropy_final - config.entropy_coef)


def lr_schedule(config: RL2Config, steps_per_iteration: int) -> Any:
    """Adam's learning rate per minibatch step: ``lr`` going linearly to ``lr_final`` over ``lr_decay``
    PPO iterations (each of ``epochs × minibatches`` steps), then constant; a plain float when constant."""
    import optax

    final = config.lr if config.lr_final < 0 else config.lr_final
    if config.lr_decay == 0 or final == config.lr:
        return config.lr
    return optax.linear_schedule(config.lr, final, config.lr_decay * steps_per_iteration)


def env_params_count(env_params: Any) -> int:
    import jax

    return jax.tree.leaves(env_params)[0].shape[0]


def held_out_tasks(config: RL2Config) -> tuple[Any, Any]:
    """The ``eval_trials`` held-out tasks and the key of their rollouts: fixed by the seed, shared by RL²
    and every baseline, and independent of training (a separate stream of the seed)."""
    import jax

    env = make_env(config)
    base = jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x5EED)
    kt, kr = jax.random.split(base)
    return jax.jit(jax.vmap(env.sample_params))(jax.random.split(kt, config.eval_trials)), kr


def make_train(config: RL2Config) -> Any:
    """PureJaxRL-style entry point: a pure ``train(key)`` (``jax.jit(jax.vmap(train))`` for many seeds)."""
    return make_rl2(config).train


#: Duan et al. (2016) Tables 1–2, total reward per trial (as re-tabulated in the project's reference notes):
#: (k arms, n pulls) -> {method: value}; MDPs: n episodes -> {method: value}.
PAPER_BANDITS: dict[tuple[int, int], dict[str, float]] = {
    (5, 10): {"random": 5.0, "gittins": 6.6, "thompson": 5.7, "ucb1": 6.7, "rl2": 6.7},
    (5, 100): {"random": 49.9, "gittins": 78.3, "thompson": 74.7, "ucb1": 78.0, "rl2": 78.7},
    (50, 100): {"random": 49.8, "gittins": 85.2, "thompson": 64.5, "ucb1": 84.3, "rl2": 84.9},
    (10, 500): {"random": 249.0, "gittins": 437.8, "thompson": 429.5, "ucb1": 437.1, "rl2": 432.5},
    (50, 500): {"random": 249.6, "gittins": 463.7, "thompson": 427.2, "ucb1": 457.6, "rl2": 438.9},
}
PAPER_MDPS: dict[int, dict[str, float]] = {
    10: {"random": 100.1, "psrl": 138.1, "rl2": 156.2},
    100: {"random": 999.4, "psrl": 1939.5, "rl2": 1913.7},
}


def paper_values(config: RL2Config) -> dict[str, float]:
    if config.env == "bandit":
        return PAPER_BANDITS.get((config.arms, config.episodes), {})
    if (config.mdp_states, config.mdp_actions, config.mdp_horizon) == (10, 5, 10):
        return PAPER_MDPS.get(config.episodes, {})
    return {}


def baselines(config: RL2Config) -> dict[str, Any]:
    """Total reward per held-out trial of each hand-designed baseline (same trials as RL²'s evaluation)."""
    import jax

    from aiga.meta.baselines import bandit_baselines, mdp_baselines

    tasks, key = held_out_tasks(config)
    key = jax.random.fold_in(key, 1)  # baselines' own randomness, distinct from RL²'s evaluation rollouts
    if config.env == "bandit":
        return bandit_baselines(tasks, config.episodes, key)
    return mdp_baselines(make_env(config), tasks, key)
