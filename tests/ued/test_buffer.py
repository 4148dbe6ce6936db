"""The PLR level buffer on a tiny buffer, hand-computed (incl. minimax <= 0.1's weighting bugs)."""

import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from aiga.envs.maze.level import Level, empty_level  # noqa: E402
from aiga.ued import buffer as lb  # noqa: E402

SCORES = jnp.array([3.0, 1.0, 2.0, -jnp.inf])  # slot 3 is empty (size 3)
# jitted once each: far fewer compilations than op-by-op dispatch
rank_weights = jax.jit(lb.rank_weights, static_argnums=2)
staleness_weights = jax.jit(lb.staleness_weights)
replay_weights = jax.jit(lb.replay_weights, static_argnums=(1, 2))
insert = jax.jit(lb.insert)


def test_rank_weights_exponent_one_over_beta():
    # ranks 1, 3, 2 -> (1/rank)^(1/0.5) = 1, 1/9, 1/4; sum 49/36
    w = np.asarray(rank_weights(SCORES, jnp.int32(3), 0.5))
    np.testing.assert_allclose(w, [36 / 49, 4 / 49, 9 / 49, 0.0], rtol=1e-6)
    # the temperature is an exponent: rank 2 vs rank 1 is (1/2)^2, not (1/2)/beta (minimax <= 0.1)
    assert w[2] / w[0] == pytest.approx(0.25)


def test_rank_weights_regressions_integer_buffer_and_rank_zero():
    w = np.asarray(rank_weights(SCORES, jnp.int32(3), 0.3))
    assert w.dtype == np.float32
    assert np.all(np.isfinite(w))  # no 1/0 at the top rank
    assert w[1] > 0  # an int32 buffer truncated every weight below the top to 0
    assert w.sum() == pytest.approx(1.0)


def test_staleness_and_mix():
    ts = jnp.array([1, 3, 2, 0])
    c = np.asarray(staleness_weights(ts, jnp.int32(4), jnp.int32(3)))
    np.testing.assert_allclose(c, [3 / 6, 1 / 6, 2 / 6, 0.0], rtol=1e-6)
    buf = lb.init_buffer(empty_level(3, 3), 4)._replace(scores=SCORES, timestamps=ts, size=jnp.int32(3),
                                                      episode_count=jnp.int32(4))
    p = np.asarray(replay_weights(buf, 0.5, 0.3))
    want = 0.7 * np.array([36, 4, 9, 0]) / 49 + 0.3 * np.array([3, 1, 2, 0]) / 6
    np.testing.assert_allclose(p, want, rtol=1e-6)


def test_staleness_uniform_when_all_fresh():
    c = np.asarray(staleness_weights(jnp.array([5, 5, 5, 0]), jnp.int32(5), jnp.int32(3)))
    np.testing.assert_allclose(c, [1 / 3, 1 / 3, 1 / 3, 0.0], rtol=1e-6)


def _lv(i):
    lv = empty_level(3, 3)
    return Level(lv.wall_map, np.array([2, 2], np.int32), np.array([i % 2, 0], np.int32), np.int32(i % 4))


def test_insert_fills_then_replaces_lowest_score():
    buf = lb.init_buffer(empty_level(3, 3), 2)
    buf = insert(buf, _lv(0), jnp.float32(1.0), jnp.float32(0.1))
    buf = insert(buf, _lv(1), jnp.float32(2.0), jnp.float32(0.2))
    buf = insert(buf, _lv(2), jnp.float32(0.5), jnp.float32(0.3))  # lower than every score: rejected
    assert np.asarray(buf.scores).tolist() == [1.0, 2.0]
    buf = insert(buf, _lv(3), jnp.float32(3.0), jnp.float32(0.4))  # replaces the score-1 level
    assert np.asarray(buf.scores).tolist() == [3.0, 2.0]
    assert int(buf.levels.agent_dir[0]) == 3 and float(buf.max_returns[0]) == pytest.approx(0.4)
    assert int(buf.size) == 2 and int(buf.episode_count) == 4
    assert np.asarray(buf.timestamps).tolist() == [4, 2]


def test_incomplete_levels_never_enter():
    buf = insert(lb.init_buffer(empty_level(3, 3), 2), _lv(0), jnp.float32(-jnp.inf), jnp.float32(0))
    assert int(buf.size) == 0


def test_sample_replay_updates_staleness_and_decision_respects_min_fill():
    buf = lb.init_buffer(empty_level(3, 3), 4)
    buf = insert(buf, _lv(1), jnp.float32(1.0), jnp.float32(0.0))
    new, idx = jax.jit(lb.sample_replay, static_argnums=(2, 3, 4))(buf, jax.random.PRNGKey(0), 3, 0.3, 0.3)
    assert np.asarray(idx).tolist() == [0, 0, 0]  # the only filled slot
    assert int(new.episode_count) == 4 and int(new.timestamps[0]) == 4
    # 1 of 4 slots filled: below min_fill 0.5 never replays; at min_fill 0.25 and replay_prob 1 always does
    keys = jax.random.split(jax.random.PRNGKey(1), 20)
    decide = jax.vmap(lb.replay_decision, in_axes=(None, 0, None, None))
    assert not np.asarray(decide(buf, keys, 1.0, 0.5)).any()
    assert np.asarray(decide(buf, keys, 1.0, 0.25)).all()
    empty = lb.init_buffer(empty_level(3, 3), 4)
    assert not np.asarray(decide(empty, keys, 1.0, 0.0)).any()  # nothing to replay yet


def test_unique_insert_updates_the_existing_entry():
    ins = jax.jit(lb.insert, static_argnames="unique")
    buf = lb.init_buffer(empty_level(3, 3), 3)
    buf = ins(buf, _lv(1), jnp.float32(1.0), jnp.float32(0.5), unique=True)
    buf = ins(buf, _lv(2), jnp.float32(2.0), jnp.float32(0.1), unique=True)
    buf = ins(buf, _lv(1), jnp.float32(0.2), jnp.float32(0.3), unique=True)  # same level as the first
    assert int(buf.size) == 2
    assert np.asarray(buf.scores)[:2].tolist() == pytest.approx([0.2, 2.0])
    assert float(buf.max_returns[0]) == pytest.approx(0.5)  # the larger max return is kept
    assert np.asarray(buf.timestamps)[:2].tolist() == [3, 2] and int(buf.episode_count) == 3
    dup = ins(buf, _lv(1), jnp.float32(0.2), jnp.float32(0.3), unique=False)
    assert int(dup.size) == 3  # without the check it is stored again
