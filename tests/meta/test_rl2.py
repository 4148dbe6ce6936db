"""RL²'s recurrent state: carried across the episodes of a trial, zero at each trial's start."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

from aiga.meta.rl2 import RL2Config, agent_step, make_rl2, replay  # noqa: E402


@pytest.fixture(scope="module", params=[False, True], ids=["gru", "layer-norm-gru"])
def setup(request):
    cfg = RL2Config(env="mdp", mdp_states=3, mdp_actions=2, mdp_horizon=3, episodes=3, hidden=8, trials=8,
                    minibatches=2, layer_norm=request.param)
    m = make_rl2(cfg)
    state = jax.jit(m.init)(jax.random.PRNGKey(0))
    tasks = jax.vmap(m.env.sample_params)(jax.random.split(jax.random.PRNGKey(1), 4))
    trajs = jax.jit(jax.vmap(m.rollout, in_axes=(None, 0, 0)))(state.params, tasks, jax.random.split(
        jax.random.PRNGKey(2), 4))
    return cfg, m, state, jax.tree.map(np.asarray, trajs)


def test_hidden_state_persists_across_episodes(setup):
    cfg, m, state, traj = setup
    T = cfg.mdp_horizon
    for i in range(4):
        h_in, x = traj.h_in[i], traj.inputs[i]
        np.testing.assert_array_equal(h_in[0], 0.0)  # the trial starts from zero
        for t in range(1, h_in.shape[0]):            # every later step continues the previous one,
            expect = np.asarray(agent_step(state.params, jnp.asarray(h_in[t - 1]), jnp.asarray(x[t - 1]))[0])
            np.testing.assert_allclose(h_in[t], expect, atol=1e-6)
        for e in range(1, cfg.episodes):             # including across episode boundaries
            t = e * T
            assert np.abs(h_in[t]).max() > 1e-3
            assert x[t][-1] == 1.0                   # done flag of the previous step
            np.testing.assert_array_equal(x[t][: cfg.mdp_states], [1.0, 0.0, 0.0])  # env reset to state 0
        assert x[0][-1] == 0.0 and not x[0][cfg.mdp_states : cfg.mdp_states + cfg.mdp_actions].any()


def test_earlier_episodes_change_later_decisions(setup):
    cfg, m, state, traj = setup
    x = jnp.asarray(traj.inputs[0])
    logits, _ = replay(state.params, x, cfg.hidden)
    r_col = cfg.mdp_states + cfg.mdp_actions
    changed = x.at[1, r_col].add(5.0)  # a different reward seen in episode 1
    logits2, _ = replay(state.params, changed, cfg.hidden)
    T = cfg.mdp_horizon
    assert np.abs(np.asarray(logits2[2 * T :] - logits[2 * T :])).max() > 1e-5  # felt in episode 3
    np.testing.assert_array_equal(np.asarray(logits2[:1]), np.asarray(logits[:1]))  # not before it


def test_state_resets_between_trials(setup):
    cfg, m, state, traj = setup
    # replaying each trial from a zero state reproduces the log-probs recorded during the rollout ...
    for i in range(4):
        logits, _ = replay(state.params, jnp.asarray(traj.inputs[i]), cfg.hidden)
        logp = np.asarray(jax.nn.log_softmax(logits))[np.arange(len(traj.actions[i])), traj.actions[i]]
        np.testing.assert_allclose(logp, traj.logp[i], atol=1e-5)
    # ... and a trial's rollout does not depend on the trials run beside or before it
    tasks = jax.vmap(m.env.sample_params)(jax.random.split(jax.random.PRNGKey(1), 4))
    key3 = jax.random.split(jax.random.PRNGKey(2), 4)[3]
    one = m.rollout(state.params, jax.tree.map(lambda a: a[3], tasks), key3)
    np.testing.assert_allclose(np.asarray(one.h_in), traj.h_in[3], atol=1e-6)


@pytest.mark.slow
def test_ppo_update_improves_a_two_armed_bandit():
    cfg = RL2Config(arms=2, episodes=10, hidden=32, trials=128, iterations=150, lr=3e-3, minibatches=2)
    m = make_rl2(cfg)
    state, figs = jax.jit(m.train)(jax.random.PRNGKey(0))
    r = np.asarray(figs["trial_reward"])
    assert np.isfinite(r).all()
    # random play earns 5 per trial; learning to stick with a winning arm earns more
    assert r[-10:].mean() > r[:5].mean() + 0.5
