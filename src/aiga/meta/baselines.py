"""Hand-designed algorithms for the RL² task families, so every RL² figure comes with its reference table.

Bandits (Duan et al. 2016, Table 1): random, Gittins index, Thompson sampling (TS) and UCB1.
Tabular MDPs (Table 2): random, posterior sampling for RL (PSRL, Osband et al. 2013) and, as an upper
bound that no learner can beat on average, the optimal policy of the true MDP.

The Gittins index here is the *finite-horizon* index for Bernoulli arms with a uniform Beta(1, 1)
prior: with h pulls left, the index of an arm with s successes and f failures is the per-pull
retirement reward λ at which playing the arm (optimally, with the option to retire later) and retiring
now are equally good. It is computed by dynamic programming over (s, f, h) for a grid of λ, with linear
interpolation of the root (the advantage of playing is piecewise linear and strictly decreasing in λ).
Cost O(n³·grid) time and O(n²·grid) memory, so it is offered for small n (default limit 200). The
discounted index (``gittins_index_discounted``) is given for comparison with Gittins' published tables.

All policies run as pure JAX functions vmapped over trials, on exactly the trials the RL² agent is
scored on.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from aiga.core.config import AigaError

GITTINS_MAX_N = 200


def gittins_table(n: int, grid: int = 513) -> np.ndarray:
    """Finite-horizon Gittins indices ``G[s, f, h]`` for s + f ≤ n − h, 1 ≤ h ≤ n (other entries 0).

    With the calibration value V_h(λ, s, f) = max(hλ, C_h(λ, s, f)) and the value of playing once more
    C_h = μ(1 + V_{h−1}(s+1, f)) + (1 − μ)V_{h−1}(s, f+1), μ = (s+1)/(s+f+2), the index is the root of
    C_h(λ) − hλ. Only the states reachable with h pulls left are kept (s + f ≤ n − h).
    """
    if n > GITTINS_MAX_N:
        raise AigaError(f"the Gittins table costs O(n³) time: n = {n} is above the limit of {GITTINS_MAX_N}")
    lam = np.linspace(0.0, 1.0, grid)
    step = 1.0 / (grid - 1)
    table = np.zeros((n + 1, n + 1, n + 1))
    v = np.zeros((grid, n + 1, n + 1))  # V_0 on s, f in [0, n]
    for h in range(1, n + 1):
        m = n - h + 1  # states s, f in [0, m) are needed at this horizon
        s = np.arange(m)[:, None]
        f = np.arange(m)[None, :]
        mu = (s + 1.0) / (s + f + 2.0)
        cont = mu * (1.0 + v[:, 1 : m + 1, :m]) + (1.0 - mu) * v[:, :m, 1 : m + 1]
        adv = cont - h * lam[:, None, None]  # strictly decreasing in λ, > 0 at λ = 0, ≤ 0 at λ = 1
        pos = np.clip((adv > 0).sum(axis=0) - 1, 0, grid - 2)  # last grid point with adv > 0
        a0 = np.take_along_axis(adv, pos[None], 0)[0]
        a1 = np.take_along_axis(adv, pos[None] + 1, 0)[0]
        root = lam[pos] + step * a0 / np.where(a0 - a1 > 0, a0 - a1, 1.0)
        table[:m, :m, h] = np.where(s + f <= n - h, root, 0.0)
        v = np.maximum(h * lam[:, None, None], cont)
    return table


def gittins_index_discounted(a: float, b: float, gamma: float, depth: int = 1000, tol: float = 1e-7) -> float:
    """Gittins' discounted index of a Bernoulli arm with a Beta(a, b) posterior, by bisection on the
    retirement reward λ (Gittins 1979 calibration) and backward induction over the posteriors reachable in
    ``depth`` pulls (beyond them, the better of retiring and the posterior mean forever)."""
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        lam = 0.5 * (lo + hi)
        retire = lam / (1.0 - gamma)
        s = np.arange(depth + 1)
        mu = (a + s) / (a + b + depth)
        v = np.maximum(retire, mu / (1.0 - gamma))  # diagonal s + f = depth, indexed by s
        for d in range(depth - 1, -1, -1):
            s = np.arange(d + 1)
            mu = (a + s) / (a + b + d)
            v = np.maximum(retire, mu * (1.0 + gamma * v[1 : d + 2]) + (1.0 - mu) * gamma * v[: d + 1])
        if v[0] > retire + 1e-12:
            lo = lam
        else:
            hi = lam
    return 0.5 * (lo + hi)


# ------------------------------------------------------------------------------------------ bandits


def _argmax_random_ties(key: Any, scores: Any) -> Any:
    import jax
    import jax.numpy as jnp

    best = scores >= scores.max() - 1e-12
    return jnp.argmax(jnp.where(best, jax.random.uniform(key, scores.shape), -1.0))


def bandit_policy(name: str, n: int, gittins: Any = None) -> Any:
    """``policy(key, successes, failures, t) -> arm`` for t = 0..n−1 pulls done so far."""
    import jax
    import jax.numpy as jnp

    def random(key: Any, s: Any, f: Any, t: Any) -> Any:
        return jax.random.randint(key, (), 0, s.shape[0])

    def ucb1(key: Any, s: Any, f: Any, t: Any) -> Any:
        # Auer et al. 2002: each arm once, then the mean + √(2 ln t / nᵢ)
        pulls = s + f
        ucb = s / jnp.maximum(pulls, 1) + jnp.sqrt(2.0 * jnp.log(jnp.maximum(t, 1)) / jnp.maximum(pulls, 1))
        return _argmax_random_ties(key, jnp.where(pulls == 0, jnp.inf, ucb))

    def thompson(key: Any, s: Any, f: Any, t: Any) -> Any:
        k1, k2 = jax.random.split(key)
        return _argmax_random_ties(k2, jax.random.beta(k1, 1.0 + s, 1.0 + f))

    def gittins_policy(key: Any, s: Any, f: Any, t: Any) -> Any:
        si, fi = s.astype(jnp.int32), f.astype(jnp.int32)
        return _argmax_random_ties(key, gittins[si, fi, n - t])

    table = {"random": random, "ucb1": ucb1, "thompson": thompson, "gittins": gittins_policy}
    return table[name]


def run_bandit(policy: Any, probs: Any, n: int, key: Any) -> Any:
    """Total reward of one trial of ``n`` pulls of the arms ``probs`` under ``policy``."""
    import jax
    import jax.numpy as jnp

    k = probs.shape[0]

    def step(carry: Any, t: Any) -> tuple[Any, Any]:
        s, f, key = carry
        key, ka, kr = jax.random.split(key, 3)
        a = policy(ka, s, f, t)
        r = jax.random.bernoulli(kr, probs[a]).astype(jnp.float32)
        s = s.at[a].add(r)
        f = f.at[a].add(1.0 - r)
        return (s, f, key), r

    _, rewards = jax.lax.scan(step, (jnp.zeros(k), jnp.zeros(k), key), jnp.arange(n))
    return rewards.sum()


@functools.lru_cache(maxsize=16)
def _bandit_runner(name: str, n: int) -> Any:
    """Jitted ``(probs [trials, k], keys, gittins table) -> totals``, cached so repeated runs compile once."""
    import jax

    def run(probs: Any, keys: Any, table: Any) -> Any:
        pol = bandit_policy(name, n, table)
        return jax.vmap(lambda p, k: run_bandit(pol, p, n, k))(probs, keys)

    return jax.jit(run)


def bandit_baselines(probs: Any, n: int, key: Any,
                     names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Total reward per trial of each baseline on the trials ``probs`` ([trials, k])."""
    import jax
    import jax.numpy as jnp

    if names is None:
        names = ("random", "thompson", "ucb1")
        if n <= GITTINS_MAX_N:
            names = ("random", "gittins", "thompson", "ucb1")
    table = jnp.asarray(gittins_table(n), dtype=jnp.float32) if "gittins" in names else jnp.zeros((1, 1, 1))
    out = {}
    keys = jax.random.split(key, probs.shape[0])
    for i, name in enumerate(names):
        sub = jax.vmap(lambda k, i=i: jax.random.fold_in(k, i))(keys)
        out[name] = np.asarray(_bandit_runner(name, n)(probs, sub, table))
    return out


# ------------------------------------------------------------------------------------------ MDPs


def run_mdp(env: Any, params: Any, key: Any, policy: str) -> Any:
    """Total reward of one trial (``env.episodes`` episodes) under ``random``, ``optimal`` or ``psrl``.

    PSRL (Osband, Russo & Van Roy 2013): at each episode's start, draw an MDP from the posterior
    (Dirichlet(1 + counts) transitions; mean rewards from the conjugate Normal posterior of the prior
    N(1, 1) with unit noise, matching how tasks are generated) and follow its optimal finite-horizon
    policy for the episode.
    """
    import jax
    import jax.numpy as jnp

    from aiga.meta.mdps import value_iteration

    S, A, T = env.num_states, env.num_actions, env.episode_length
    q_true = value_iteration(params.transitions, params.rewards, T)

    def episode(carry: Any, _: Any) -> tuple[Any, Any]:
        counts, rsum, key = carry
        key, kp, kr, ke = jax.random.split(key, 4)
        if policy == "psrl":
            trans = jax.random.dirichlet(kp, 1.0 + counts)
            n = counts.sum(-1)
            prec = 1.0 / env.reward_std**2 + n / env.noise_std**2
            mean = (env.reward_mean / env.reward_std**2 + rsum / env.noise_std**2) / prec
            rew = mean + jax.random.normal(kr, (S, A)) / jnp.sqrt(prec)
            q = value_iteration(trans, rew, T)
        else:
            q = q_true

        def step(c: Any, t: Any) -> tuple[Any, Any]:
            state, counts, rsum, key = c
            key, ka, ks = jax.random.split(key, 3)
            if policy == "random":
                a = jax.random.randint(ka, (), 0, A)
            else:
                a = _argmax_random_ties(ka, q[t, state])
            nxt, _, r = env.step(ks, params, state, a)
            counts = counts.at[state, a, nxt].add(1.0)
            rsum = rsum.at[state, a].add(r)
            return (nxt, counts, rsum, key), r

        s0, _ = env.reset(params)
        (_, counts, rsum, _), rs = jax.lax.scan(step, (s0, counts, rsum, ke), jnp.arange(T))
        return (counts, rsum, key), rs.sum()

    init = (jnp.zeros((S, A, S)), jnp.zeros((S, A)), key)
    _, totals = jax.lax.scan(episode, init, None, length=env.episodes)
    return totals.sum()


@functools.lru_cache(maxsize=16)
def _mdp_runner(env: Any, name: str) -> Any:
    import jax

    return jax.jit(jax.vmap(lambda p, k: run_mdp(env, p, k, name)))


def mdp_baselines(env: Any, params: Any, key: Any,
                  names: tuple[str, ...] = ("random", "psrl", "optimal")) -> dict[str, np.ndarray]:
    """Total reward per trial of each baseline on the MDPs ``params`` (batched on the leading axis)."""
    import jax

    out = {}
    trials = params.rewards.shape[0]
    for i, name in enumerate(names):
        keys = jax.random.split(jax.random.fold_in(key, i), trials)
        out[name] = np.asarray(_mdp_runner(env, name)(params, keys))
    return out
