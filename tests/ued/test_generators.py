"""Level generators: DR sampling, ACCEL edits and parent selection, the PAIRED adversary's construction."""

import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from aiga.envs.maze import generators as g  # noqa: E402
from aiga.envs.maze.level import Level  # noqa: E402
from aiga.ued.accel import select_parents  # noqa: E402


def test_sample_level_counts_and_empty_rooms():
    sample = jax.jit(g.sample_level, static_argnums=1)
    for seed in range(5):
        lv = sample(jax.random.PRNGKey(seed), 25)
        w = np.asarray(lv.wall_map)
        assert 1 <= w.sum() <= 25
        ax, ay = np.asarray(lv.agent_pos)
        gx, gy = np.asarray(lv.goal_pos)
        assert (ax, ay) != (gx, gy) and not w[ay, ax] and not w[gy, gx]
    assert int(sample(jax.random.PRNGKey(0), 0).wall_map.sum()) == 0


def test_mutation_keeps_agent_and_goal_free_and_edits_at_most_n():
    base = g.sample_level(jax.random.PRNGKey(3), 25)
    mut = jax.jit(g.mutate_level, static_argnums=2)
    for seed in range(5):
        child = mut(jax.random.PRNGKey(seed), base, 5)
        changed = int((np.asarray(child.wall_map) != np.asarray(base.wall_map)).sum())
        assert changed <= 5
        w = np.asarray(child.wall_map)
        assert not w[int(child.agent_pos[1]), int(child.agent_pos[0])]
        assert not w[int(child.goal_pos[1]), int(child.goal_pos[0])]
        assert np.asarray(child.agent_pos).tolist() == np.asarray(base.agent_pos).tolist()


def test_select_parents_ranks_flattened_scores():
    # six levels told apart by their goal x; scores laid out 2 x 3 (e.g. per process)
    goals = jnp.array([[[0, 12], [1, 12], [2, 12]], [[3, 12], [4, 12], [5, 12]]])
    levels = Level(jnp.zeros((2, 3, 13, 13), bool), goals, jnp.zeros((2, 3, 2), jnp.int32),
                   jnp.zeros((2, 3), jnp.int32))
    sc = jnp.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.7]])
    parents = jax.jit(select_parents, static_argnums=(2, 3))(levels, sc, 2, 4)
    # global top two: 0.9 (level 1) and 0.8 (level 3); dcd's per-row argsort picked levels 1 and 0 instead
    assert np.asarray(parents.goal_pos[:, 0]).tolist() == [1, 3, 1, 3]
    whole = select_parents(levels, sc, 0, 6)
    assert np.asarray(whole.goal_pos[:, 0]).tolist() == [0, 1, 2, 3, 4, 5]


def test_adversary_noise_is_random():
    reset_obs = jax.jit(lambda k: g.adversary_obs(g.adversary_reset(k, noise_dim=50)))
    z0, z1 = (np.asarray(reset_obs(jax.random.PRNGKey(i)).noise) for i in (0, 1))
    assert z0.shape == (50,) and np.all((z0 >= 0) & (z0 < 1))
    assert z0.std() > 0.15  # U[0,1) has std 0.29; jaxued's default multiplied it by a False flag (all 0)
    assert not np.allclose(z0, z1)


def test_adversary_construction_script():
    step, obs = jax.jit(g.adversary_step), jax.jit(g.adversary_obs)
    s = jax.jit(g.adversary_reset)(jax.random.PRNGKey(0))
    assert np.asarray(obs(s).image)[..., 0].max() == 1  # empty board, nothing shown yet
    s = step(s, jnp.int32(14), jax.random.PRNGKey(1))  # goal at (1, 1)
    assert np.asarray(s.goal_pos).tolist() == [1, 1]
    s = step(s, jnp.int32(14), jax.random.PRNGKey(2))  # agent on the goal -> placed at random elsewhere
    assert np.asarray(s.agent_pos).tolist() != [1, 1]
    agent = np.asarray(s.agent_pos).tolist()
    s = step(s, jnp.int32(15), jax.random.PRNGKey(3))  # wall at (2, 1)
    s = step(s, jnp.int32(14), jax.random.PRNGKey(4))  # wall on the goal: no-op
    s = step(s, jnp.int32(agent[1] * 13 + agent[0]), jax.random.PRNGKey(5))  # on the agent: no-op
    w = np.asarray(g.adversary_level(s).wall_map)
    assert w.sum() == 1 and w[1, 2]
    img = np.asarray(obs(s).image)
    assert img[1, 1, 0] == 8 and img[agent[1], agent[0], 0] == 10 and img[1, 2, 0] == 2
    assert int(s.time) == 5
