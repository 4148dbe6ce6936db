"""Model-Agnostic Meta-Learning (Finn, Abbeel & Levine, ICML 2017), first-order MAML and Meta-SGD, in JAX.

Reference code: cbfinn/maml (TensorFlow 1, MIT), ``maml.py`` and ``main.py``. MAML meta-learns an
initialisation θ: for each task, ``inner_steps`` SGD steps on the support set give θ'ᵢ = θ − α∇L_support,
and the meta-loss is the query loss at θ'ᵢ averaged over a meta-batch of tasks, back-propagated through
the inner steps (second order). ``first_order=True`` stops the gradient through the inner gradients
(cbfinn's ``--stop_grad``; FOMAML). ``meta_sgd=True`` makes α a per-parameter array meta-learned with θ
(Li et al. 2017, "Meta-SGD").

The inner loop is a pure function: ``jax.grad`` inside ``lax.scan`` over inner steps, ``jax.vmap`` over
the tasks of the meta-batch, ``jax.jit`` around the whole meta-step, and training itself is a
``lax.scan`` over meta-steps (PureJaxRL's ``make_train(config)`` returning a pure ``train(rng)``), so
several seeds train at once with ``jax.vmap(train)``.

Networks follow the reference: for sinusoids a 1-40-40-1 ReLU MLP with weights drawn from a truncated
normal (std 0.01) and zero biases (``construct_fc_weights``); for Omniglot four blocks of [3×3 conv, 64
filters, stride 2, batch norm, ReLU], a mean over the remaining spatial positions, and a linear layer
whose weights are drawn from N(0, 1) (``construct_conv_weights``/``forward_conv``). As in the reference,
batch norm uses the statistics of the batch it sees (support or query set of one task), its offsets β are
meta-learned but not adapted in the inner loop (they are TensorFlow variables outside the ``weights``
dict that the inner loop updates), and it has no scale (``tf.contrib.layers.batch_norm`` default).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiga.core.config import ConfigError, check_choice, check_range, param
from aiga.meta.tasks import SinusoidSampler, TaskBatch, TaskSampler


@dataclass(frozen=True)
class MAMLConfig:
    """Settings of one MAML run. Defaults are the paper's sinusoid setup with K = 10 (cbfinn ``main.py``:
    ``--metatrain_iterations=70000 --norm=None --update_batch_size=10``)."""

    seed: int = param(0, "random seed of the whole run")
    iterations: int = param(70000, "meta-steps (outer Adam steps); the paper trains sinusoids for 70,000")
    dataset: str = param("sinusoid", "task distribution: sinusoid or omniglot")
    data_path: str = param("", "Omniglot images: a folder or zip in the brendenlake/omniglot layout")
    n_way: int = param(5, "classes per Omniglot task (N-way)")
    k_shot: int = param(10, "support examples per task (sinusoid) or per class (omniglot): K")
    k_query: int = param(0, "query examples per task/class in meta-training; 0 = same as k_shot (reference)")
    inner_steps: int = param(1, "inner-loop SGD steps during meta-training")
    inner_lr: float = param(0.01, "inner-loop step size α (the initial value when meta_sgd is on)")
    meta_lr: float = param(1e-3, "outer Adam learning rate β")
    meta_batch: int = param(25, "tasks per meta-step")
    first_order: bool = param(False, "first-order MAML: no gradient through the inner gradients")
    meta_sgd: bool = param(False, "Meta-SGD: learn a per-parameter inner step size with θ")
    grad_clip: float = param(0.0, "clip meta-gradient entries to [-c, c]; 0 = off (MiniImagenet: 10)")
    hidden: tuple[int, ...] = param((40, 40), "hidden layer widths of the sinusoid MLP")
    num_filters: int = param(64, "channels of each conv block (Omniglot)")
    image_size: int = param(28, "Omniglot images are resized to this many pixels a side")
    train_characters: int = param(0, "Omniglot characters for meta-training; 0 = two thirds of those found")
    eval_every: int = param(1000, "meta-steps between evaluations on held-out tasks")
    eval_tasks: int = param(100, "held-out tasks per evaluation during training")
    final_eval_tasks: int = param(600, "held-out tasks of the final evaluation (the paper uses 600)")
    eval_steps: int = param(10, "inner steps at test time (the reference uses 10)")
    eval_query: int = param(100, "query points per held-out task; 0 = same as k_query")
    log_every: int = param(100, "meta-steps per scanned chunk (one progress update and metrics row)")
    checkpoint_every: int = param(5000, "meta-steps between checkpoints")

    def __post_init__(self) -> None:
        check_range("seed", self.seed, 0)
        check_range("iterations", self.iterations, 1)
        check_choice("dataset", self.dataset, ("sinusoid", "omniglot"))
        check_range("n_way", self.n_way, 2)
        check_range("k_shot", self.k_shot, 1)
        check_range("k_query", self.k_query, 0)
        check_range("inner_steps", self.inner_steps, 1, 100)
        check_range("inner_lr", self.inner_lr, 0.0)
        check_range("meta_lr", self.meta_lr, 0.0, 1.0)
        check_range("meta_batch", self.meta_batch, 1)
        check_range("grad_clip", self.grad_clip, 0.0)
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden must be positive widths, got {self.hidden!r}")
        check_range("num_filters", self.num_filters, 1)
        check_range("image_size", self.image_size, 8, 105)
        check_range("train_characters", self.train_characters, 0)
        for f in ("eval_every", "log_every", "checkpoint_every"):
            check_range(f, getattr(self, f), 1)
        check_range("eval_tasks", self.eval_tasks, 1)
        check_range("final_eval_tasks", self.final_eval_tasks, 1)
        check_range("eval_steps", self.eval_steps, 1, 100)
        check_range("eval_query", self.eval_query, 0)
        if self.dataset == "omniglot" and self.k_shot + max(self.k_query, self.k_shot) > 20:
            raise ConfigError("omniglot has 20 drawings per character: k_shot + k_query must be at most 20")
        if self.dataset == "omniglot" and not self.data_path:
            raise ConfigError("dataset omniglot needs --data-path (a folder or zip of Omniglot images)")

    @property
    def query(self) -> int:
        return self.k_query or self.k_shot


#: the reference's Omniglot 5-way 1-shot command (cbfinn main.py header): meta-batch 32, α 0.4, one step
OMNIGLOT_PRESET: dict[str, Any] = {
    "dataset": "omniglot", "k_shot": 1, "k_query": 0, "inner_lr": 0.4, "inner_steps": 1, "meta_batch": 32,
    "iterations": 60000, "eval_query": 0, "eval_every": 500, "log_every": 20, "checkpoint_every": 500,
}


# ------------------------------------------------------------------------------------------ models


class Model(NamedTuple):
    """A network as pure functions. ``fast(name)`` says whether the inner loop adapts a parameter."""

    init: Any
    apply: Any
    fast: Any


def mlp(sizes: tuple[int, ...]) -> Model:
    """cbfinn's ``construct_fc_weights``/``forward_fc`` with ``--norm=None``: ReLU hidden layers."""
    import jax
    import jax.numpy as jnp

    def init(key: Any) -> dict[str, Any]:
        params = {}
        keys = jax.random.split(key, len(sizes) - 1)
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            params[f"w{i + 1}"] = 0.01 * jax.random.truncated_normal(keys[i], -2.0, 2.0, (a, b))
            params[f"b{i + 1}"] = jnp.zeros((b,))
        return params

    def apply(params: dict[str, Any], x: Any) -> Any:
        n = len(sizes) - 1
        h = x
        for i in range(1, n):
            h = jax.nn.relu(h @ params[f"w{i}"] + params[f"b{i}"])
        return h @ params[f"w{n}"] + params[f"b{n}"]

    return Model(init, apply, lambda name: True)


def conv3x3_s2_same(x: Any, w: Any) -> Any:
    """3×3 convolution, stride 2, TensorFlow 'SAME' padding (extra pad at the bottom/right), as nine
    strided slices and one matrix product. Same values as ``lax.conv_general_dilated``; written this way
    because XLA:CPU differentiates slices and matmuls twice far faster than convolutions (second-order
    MAML on Omniglot, meta-batch 32, vmapped over tasks: 1.26 s against 5.3 s per meta-step, one thread)."""
    import jax.numpy as jnp

    n, h, wd, c = x.shape
    ho, wo = -(-h // 2), -(-wd // 2)
    ph, pw = max((ho - 1) * 2 + 3 - h, 0), max((wo - 1) * 2 + 3 - wd, 0)
    x = jnp.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    cols = [x[:, i : i + 2 * (ho - 1) + 1 : 2, j : j + 2 * (wo - 1) + 1 : 2, :]
            for i in range(3) for j in range(3)]
    patches = jnp.concatenate(cols, axis=-1)  # [n, ho, wo, 9c], (i, j, c) order = HWIO flattening
    return patches @ w.reshape(9 * c, -1)


def conv4(n_way: int, channels: int = 64, in_channels: int = 1) -> Model:
    """The reference's Omniglot network: 4 × [3×3 conv stride 2 SAME, batch norm (batch statistics, offset
    only, ε = 1e-3), ReLU], mean over space, linear. Images are NHWC."""
    import jax
    import jax.numpy as jnp

    def init(key: Any) -> dict[str, Any]:
        ks = jax.random.split(key, 5)
        params: dict[str, Any] = {}
        cin = in_channels
        for i in range(4):
            fan_in, fan_out = 9 * cin, 9 * channels
            lim = (6.0 / (fan_in + fan_out)) ** 0.5  # Glorot uniform, TF's xavier_initializer_conv2d
            params[f"conv{i + 1}"] = jax.random.uniform(ks[i], (3, 3, cin, channels), minval=-lim, maxval=lim)
            params[f"b{i + 1}"] = jnp.zeros((channels,))
            params[f"bn{i + 1}"] = jnp.zeros((channels,))
            cin = channels
        params["w5"] = jax.random.normal(ks[4], (channels, n_way))
        params["b5"] = jnp.zeros((n_way,))
        return params

    def apply(params: dict[str, Any], x: Any) -> Any:
        h = x
        for i in range(1, 5):
            h = conv3x3_s2_same(h, params[f"conv{i}"]) + params[f"b{i}"]
            mean = h.mean(axis=(0, 1, 2))
            var = h.var(axis=(0, 1, 2))
            h = (h - mean) * jax.lax.rsqrt(var + 1e-3) + params[f"bn{i}"]
            h = jax.nn.relu(h)
        h = h.mean(axis=(1, 2))
        return h @ params["w5"] + params["b5"]

    return Model(init, apply, lambda name: not name.startswith("bn"))


def loss_fn(kind: str, model: Model) -> Any:
    """Per-task loss (and accuracy for classification): MSE as cbfinn's ``mse``, softmax cross-entropy
    as its ``xent`` (which divides by the update batch size, i.e. a mean over examples)."""
    import jax
    import jax.numpy as jnp

    if kind == "mse":
        def mse(params: Any, x: Any, y: Any) -> tuple[Any, Any]:
            pred = model.apply(params, x)
            return jnp.mean((pred - y) ** 2), jnp.nan

        return mse

    def xent(params: Any, x: Any, y: Any) -> tuple[Any, Any]:
        logits = model.apply(params, x)
        logp = jax.nn.log_softmax(logits)
        loss = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
        return loss, jnp.mean(jnp.argmax(logits, axis=1) == y)

    return xent


# ------------------------------------------------------------------------------------------ inner loop


def inner_adapt(loss: Any, model: Model, params: Any, alpha: Any, x: Any, y: Any, steps: int,
                first_order: bool) -> Any:
    """``steps`` SGD steps on (x, y) from ``params``: θ ← θ − α ⊙ ∇L(θ). ``alpha`` is a scalar or a
    pytree like ``params`` (Meta-SGD). With ``first_order`` the inner gradient is a constant to the
    outer differentiation (FOMAML), so no second derivatives are formed."""
    import jax

    def step(p: Any, _: Any) -> tuple[Any, None]:
        return _sgd_step(loss, model, p, alpha, x, y, first_order), None

    params, _ = jax.lax.scan(step, params, None, length=steps)
    return params


def _sgd_step(loss: Any, model: Model, p: Any, alpha: Any, x: Any, y: Any, first_order: bool) -> Any:
    import jax

    g = jax.grad(lambda q: loss(q, x, y)[0])(p)
    if first_order:
        g = jax.lax.stop_gradient(g)
    if not isinstance(alpha, dict):
        alpha = {k: alpha for k in p}
    return {k: (p[k] - alpha[k] * g[k]) if model.fast(k) else p[k] for k in p}


def adaptation_curve(loss: Any, model: Model, params: Any, alpha: Any, task: TaskBatch, steps: int) -> Any:
    """Query loss and accuracy of one task after 0, 1, ..., ``steps`` inner steps (for evaluation)."""
    import jax
    import jax.numpy as jnp

    def step(p: Any, _: Any) -> tuple[Any, Any]:
        q = loss(p, task.query_x, task.query_y)
        return _sgd_step(loss, model, p, alpha, task.support_x, task.support_y, True), q

    p, (ls, accs) = jax.lax.scan(step, params, None, length=steps)
    last_l, last_a = loss(p, task.query_x, task.query_y)
    return jnp.append(ls, last_l), jnp.append(accs, last_a)


# ------------------------------------------------------------------------------------------ training


class TrainState(NamedTuple):
    meta_params: dict[str, Any]   # {"theta": network parameters, "alpha": per-parameter α (Meta-SGD)}
    opt_state: Any
    key: Any


class MAML(NamedTuple):
    """The pure functions of one configuration (built once, jitted by the caller)."""

    config: MAMLConfig
    model: Model
    sampler: TaskSampler
    eval_sampler: TaskSampler
    loss: Any
    init: Any          # key -> TrainState
    update: Any        # (TrainState, data) -> (TrainState, figures)
    train: Any         # key -> (TrainState, figures of every meta-step); pure, vmappable over seeds
    evaluate: Any      # (meta_params, data, key, num_tasks) -> (losses, accs) [tasks, eval_steps + 1]
    alpha: Any         # meta_params -> inner step size(s)


def build_samplers(config: MAMLConfig) -> tuple[TaskSampler, TaskSampler]:
    """The meta-training sampler and the held-out one (Omniglot: disjoint characters)."""
    if config.dataset == "sinusoid":
        train = SinusoidSampler(k_shot=config.k_shot, k_query=config.query)
        return train, dataclasses.replace(train, k_query=config.eval_query or config.query)
    from aiga.meta.omniglot import omniglot_samplers

    return omniglot_samplers(config.data_path, n_way=config.n_way, k_shot=config.k_shot, k_query=config.query,
                             eval_query=config.eval_query or config.query, image_size=config.image_size,
                             train_characters=config.train_characters)


def make_maml(config: MAMLConfig, samplers: tuple[TaskSampler, TaskSampler] | None = None) -> MAML:
    """Build the pure functions of a MAML run for ``config``."""
    import jax
    import jax.numpy as jnp
    import optax

    sampler, eval_sampler = samplers if samplers is not None else build_samplers(config)
    if config.dataset == "sinusoid":
        model = mlp((1, *config.hidden, 1))
    else:
        model = conv4(config.n_way, config.num_filters)
    loss = loss_fn(sampler.loss, model)
    opt = optax.adam(config.meta_lr)
    if config.grad_clip > 0:
        opt = optax.chain(optax.clip(config.grad_clip), opt)

    def alpha_of(meta_params: dict[str, Any]) -> Any:
        return meta_params["alpha"] if config.meta_sgd else config.inner_lr

    def init(key: Any) -> TrainState:
        key, k = jax.random.split(key)
        theta = model.init(k)
        meta_params = {"theta": theta}
        if config.meta_sgd:
            meta_params["alpha"] = jax.tree.map(lambda p: jnp.full_like(p, config.inner_lr), theta)
        return TrainState(meta_params, opt.init(meta_params), key)

    def task_loss(meta_params: dict[str, Any], task: TaskBatch) -> tuple[Any, Any]:
        theta = meta_params["theta"]
        pre, pre_acc = loss(theta, task.query_x, task.query_y)
        adapted = inner_adapt(loss, model, theta, alpha_of(meta_params), task.support_x, task.support_y,
                              config.inner_steps, config.first_order)
        post, post_acc = loss(adapted, task.query_x, task.query_y)
        return post, (jax.lax.stop_gradient(pre), pre_acc, post_acc)

    def meta_loss(meta_params: dict[str, Any], tasks: TaskBatch) -> tuple[Any, Any]:
        post, aux = jax.vmap(task_loss, in_axes=(None, 0))(meta_params, tasks)
        return post.mean(), (post, *aux)

    def update(state: TrainState, data: Any) -> tuple[TrainState, dict[str, Any]]:
        key, k = jax.random.split(state.key)
        tasks = sampler.sample(data, k, config.meta_batch)
        grads, (post, pre, pre_acc, post_acc) = jax.grad(meta_loss, has_aux=True)(state.meta_params, tasks)
        updates, opt_state = opt.update(grads, state.opt_state, state.meta_params)
        meta_params = optax.apply_updates(state.meta_params, updates)
        figs = {"loss_pre": pre.mean(), "loss_post": post.mean()}
        if sampler.loss == "xent":
            figs.update(acc_pre=pre_acc.mean(), acc_post=post_acc.mean())
        return TrainState(meta_params, opt_state, key), figs

    def train(key: Any) -> tuple[TrainState, dict[str, Any]]:
        state = init(key)
        return jax.lax.scan(lambda s, _: update(s, sampler.data), state, None, length=config.iterations)

    def evaluate(meta_params: dict[str, Any], data: Any, key: Any, num_tasks: int) -> tuple[Any, Any]:
        tasks = eval_sampler.sample(data, key, num_tasks)
        theta, alpha = meta_params["theta"], alpha_of(meta_params)

        def one(task: TaskBatch) -> tuple[Any, Any]:
            return adaptation_curve(loss, model, theta, alpha, task, config.eval_steps)

        # lax.map bounds memory on conv tasks; sinusoid tasks are cheap either way
        return jax.lax.map(one, tasks, batch_size=min(num_tasks, 100))

    return MAML(config, model, sampler, eval_sampler, loss, init, update, train, evaluate, alpha_of)


def make_train(config: MAMLConfig) -> Any:
    """PureJaxRL-style entry point: a pure ``train(key)`` for ``config`` (``jax.jit(jax.vmap(train))``
    trains several seeds at once)."""
    return make_maml(config).train
