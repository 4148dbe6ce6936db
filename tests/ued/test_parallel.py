"""minimax's parallel PLR⊥/ACCEL schedule (``--schedule parallel``) on tiny buffers with hand-computed
expectations: which levels make the batch, which get the gradient, what the buffer holds after a cycle."""

import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from aiga.core.config import ConfigError, from_dict  # noqa: E402
from aiga.envs.maze.level import empty_level, make_level, stack  # noqa: E402
from aiga.ued import buffer as lb  # noqa: E402
from aiga.ued import common, parallel, plr  # noqa: E402
from aiga.ued.config import SMOKE, UEDConfig  # noqa: E402
from aiga.ued.ppo import make_optimizer, student_rollout, update_student  # noqa: E402


def _cfg(**kw):
    return from_dict(UEDConfig, {**SMOKE, "schedule": "parallel", "buffer_unique": False, **kw})


def _same(a, b):
    la, lb_ = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return all(np.array_equal(x, y) for x, y in zip(la, lb_, strict=True))


def _level(goal_x: int):
    """Distinct small levels: an empty 13x13 room whose goal sits at (goal_x, 12)."""
    return make_level(np.zeros((13, 13), bool), (goal_x, 12), (0, 0), 0)


def _goal_xs(levels) -> list[int]:
    return [int(x) for x in np.asarray(levels.goal_pos)[:, 0]]


def _full_buffer(scores):
    """A buffer holding levels with goal x = 0, 1, 2, ... and the given scores (max return = 10 + slot)."""
    buf = lb.init_buffer(empty_level(), 4)
    for i, s in enumerate(scores):
        buf = lb.insert(buf, _level(i), jnp.float32(s), jnp.float32(10 + i))
    return buf


def test_schedule_is_validated():
    assert from_dict(UEDConfig, {}).schedule == "sequential"  # the default keeps today's behaviour
    with pytest.raises(ConfigError, match="schedule must be one of"):
        _cfg(schedule="both")
    with pytest.raises(ConfigError, match="PLR/ACCEL schedule"):
        _cfg(method="dr")
    with pytest.raises(ConfigError, match="maze family only"):
        _cfg(method="plr", family="walker")
    with pytest.raises(ConfigError, match="accel_parents"):
        _cfg(method="accel", accel_parents=1)


def test_warm_accel_cycle_refreshes_replays_then_offers_fresh_then_edits():
    # 4 full slots with scores .5 .2 .9 .1; batch [fresh F | replay of slot 2 | edit C], one level each.
    cfg = _cfg(method="accel", num_envs=1, minibatches=1)
    buf = _full_buffer([0.5, 0.2, 0.9, 0.1])
    levels = stack([_level(7), _level(2), _level(9)])
    batch = parallel.ParallelBatch(levels, jnp.array([2]), jnp.array(True), buf)
    scores = jnp.array([0.3, 0.05, 0.7], jnp.float32)
    max_ret = jnp.array([0.31, 0.55, 0.71], jnp.float32)
    out = parallel.parallel_buffer_update(cfg, buf, batch, scores, max_ret)
    # slot 2 first gets .05 (its new score, max return .55); the fresh .3 then evicts the lowest score,
    # which is now slot 2 (.05), and the edit's .7 evicts the next lowest, slot 3 (.1).
    np.testing.assert_allclose(np.asarray(out.scores), [0.5, 0.2, 0.3, 0.7])
    assert _goal_xs(out.levels) == [0, 1, 7, 9]
    np.testing.assert_allclose(np.asarray(out.max_returns), [10, 11, 0.31, 0.71])
    assert int(out.size) == 4 and int(out.episode_count) == int(buf.episode_count) + 2  # two offers


def test_warm_plr_cycle_keeps_a_replayed_level_whose_score_rose():
    cfg = _cfg(method="plr", num_envs=1, minibatches=1)
    buf = _full_buffer([0.5, 0.2, 0.9, 0.1])
    batch = parallel.ParallelBatch(stack([_level(7), _level(1)]), jnp.array([1]), jnp.array(True), buf)
    out = parallel.parallel_buffer_update(cfg, buf, batch, jnp.array([0.15, 0.6], jnp.float32),
                                          jnp.array([0.2, 0.65], jnp.float32))
    # slot 1 refreshed to .6; the fresh .15 beats only slot 3 (.1)
    np.testing.assert_allclose(np.asarray(out.scores), [0.5, 0.6, 0.9, 0.15])
    assert _goal_xs(out.levels) == [0, 1, 2, 7]
    np.testing.assert_allclose(np.asarray(out.max_returns), [10, 0.65, 12, 0.2])


def test_cold_cycle_offers_every_level_and_refreshes_nothing():
    # 2 of 4 slots filled (.5, .2); cold: the whole batch is fresh, offered in order F1 F2 F3.
    cfg = _cfg(method="accel", num_envs=1, minibatches=1)
    buf = _full_buffer([0.5, 0.2])
    levels = stack([_level(7), _level(8), _level(9)])
    batch = parallel.ParallelBatch(levels, jnp.array([0]), jnp.array(False), buf)
    out = parallel.parallel_buffer_update(cfg, buf, batch, jnp.array([0.3, 0.05, 0.7], jnp.float32),
                                          jnp.array([0.3, 0.1, 0.7], jnp.float32))
    # F1, F2 fill slots 2, 3; F3 (.7) then replaces the lowest, F2 (.05); slot 0 is not refreshed
    np.testing.assert_allclose(np.asarray(out.scores), [0.5, 0.2, 0.3, 0.7])
    assert _goal_xs(out.levels) == [0, 1, 7, 9]
    assert int(out.size) == 4 and int(out.episode_count) == int(buf.episode_count) + 3


def test_batch_is_fresh_while_cold_and_fresh_replay_edits_once_warm():
    cfg = _cfg(method="accel", num_envs=2, minibatches=1, buffer_size=4, min_fill=0.5, n_edits=3)
    n = cfg.num_envs
    cold = parallel.parallel_levels(cfg, lb.init_buffer(empty_level(), 4), jax.random.PRNGKey(0))
    assert not bool(cold.warm) and cold.levels.wall_map.shape == (3 * n, 13, 13)
    assert int(cold.levels.wall_map.sum()) == 0  # ACCEL's fresh levels: empty rooms, in all three parts
    assert _same(cold.buffer, lb.init_buffer(empty_level(), 4))  # no replay draw was kept

    walls = np.zeros((13, 13), bool)
    walls[5, 2:9] = True  # a wall segment, so buffer levels are recognisable
    buf = lb.init_buffer(empty_level(), 4)
    for i in range(2):  # half full = min_fill
        buf = lb.insert(buf, make_level(walls, (10 + i, 12), (0, 0), 0), jnp.float32(i), jnp.float32(0))
    warm = parallel.parallel_levels(cfg, buf, jax.random.PRNGKey(1))
    assert bool(warm.warm)
    lv = jax.tree_util.tree_map(np.asarray, warm.levels)
    assert lv.wall_map[:n].sum() == 0  # fresh part: empty rooms
    idx = np.asarray(warm.idx)
    assert np.array_equal(lv.goal_pos[n:2 * n, 0], 10 + idx)  # replay part: the drawn slots
    assert np.array_equal(lv.wall_map[n:2 * n], np.stack([walls] * n))
    for j in range(n):  # edit part: a child of the replayed level j, at most n_edits edits away
        parent, child = n + j, 2 * n + j
        changed = int((lv.wall_map[child] != lv.wall_map[parent]).sum())
        changed += int(not np.array_equal(lv.goal_pos[child], lv.goal_pos[parent]))
        assert changed <= cfg.n_edits
        assert np.array_equal(lv.agent_pos[child], lv.agent_pos[parent])
    assert int(warm.buffer.episode_count) == int(buf.episode_count) + n  # each replay draw counts


def test_gradient_only_on_replayed_levels_and_none_while_cold():
    cfg = _cfg(method="accel", num_envs=2, minibatches=1, buffer_size=4, min_fill=0.5)
    n = cfg.num_envs
    step = jax.jit(parallel.make_step(cfg))
    state = plr.init(cfg, jax.random.PRNGKey(0))
    s1, m1, _ = step(state)
    # cold: robust PLR takes no gradient, not one bit changes; all 3n fresh levels were offered
    assert _same(s1.student, state.student) and float(m1["cycle/kind"]) == plr.NEW
    assert int(s1.buffer.size) == 4 and [int(c) for c in s1.counts] == [1, 0, 0]
    # warm: the update is PPO on exactly the replay columns n:2n of the cycle's rollout
    s2, m2, _ = step(s1)
    assert float(m2["cycle/kind"]) == plr.REPLAY and [int(c) for c in s2.counts] == [2, 1, 1]
    _, k_batch, k_roll, k_upd = jax.random.split(s1.key, 4)
    settings = common.ppo_settings(cfg)
    opt = make_optimizer(settings)

    @jax.jit
    def replay_and_fresh_updates(state):
        batch = parallel.parallel_levels(cfg, state.buffer, k_batch)
        traj, last_value = student_rollout(state.student.params, batch.levels, k_roll, settings)
        columns = {"replay": slice(n, 2 * n), "fresh": slice(0, n)}
        out = {}
        for name, c in columns.items():
            cols = jax.tree_util.tree_map(lambda x, c=c: x[:, c], traj)
            out[name] = update_student(state.student.params, state.student.opt_state, opt, cols,
                                       last_value[c], k_upd, settings)[0]
        return out

    want = replay_and_fresh_updates(s1)
    got = jax.tree_util.tree_leaves(s2.student.params)

    def close(params):
        return all(np.allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
                   for a, b in zip(got, jax.tree_util.tree_leaves(params), strict=True))

    assert not _same(want["replay"], s1.student.params)
    assert close(want["replay"])  # the update is PPO on the replay columns n:2n of this cycle's rollout
    assert not close(want["fresh"])  # and not on the fresh columns 0:n


def test_parallel_resume_is_identical(tmp_path):
    from aiga.cli import main
    from aiga.core.runstore import RunStore

    common = ["ued", "--method", "plr", "--preset", "smoke", "--seed", "3", "--schedule", "parallel",
              "--buffer-size", "4"]  # smoke evaluates every 2 cycles: both runs evaluate at 2 and 4
    assert main([*common, "--iterations", "4", "--run-dir", str(tmp_path / "a")]) == 0
    assert main([*common, "--iterations", "2", "--run-dir", str(tmp_path / "b")]) == 0
    assert main(["ued", "--resume", str(tmp_path / "b"), "--iterations", "4"]) == 0
    with RunStore.open(tmp_path / "a", readonly=True) as a, RunStore.open(tmp_path / "b", readonly=True) as b:
        assert a.digest() == b.digest()
        # 2 parts (fresh | replay) of num_envs levels x num_steps per cycle
        assert list(a.series("env_steps")[1]) == [2 * 4 * 24 * i for i in (1, 2, 3, 4)]
        assert list(a.series("cycle/kind")[1]) == [plr.NEW, plr.REPLAY, plr.REPLAY, plr.REPLAY]
        assert from_dict(UEDConfig, a.config()).schedule == "parallel"
