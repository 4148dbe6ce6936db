"""Maze transitions, view and reward on scripted levels (hand-computed expectations)."""

import numpy as np
import pytest

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from aiga.envs.maze import env as maze  # noqa: E402
from aiga.envs.maze.level import DIR_TO_VEC, from_str, to_str  # noqa: E402

# 5x5 interior: agent (0,0) facing right, a wall at (1,1), the goal at (3,3).
LEVEL = """
>....
.#...
.....
...G.
.....
"""


_jstep = jax.jit(maze.step, static_argnums=2)


def _step(state, a, t=250):
    return _jstep(state, jnp.int32(a), t)


def test_view_facing_right_hand_computed():
    s = maze.reset_to_level(from_str(LEVEL))
    img = np.asarray(maze.get_obs(s).image)
    # image[a, b]: a = 0 is two tiles to the agent's left (north when facing east), b = 4 is the agent's
    # own tile, b = 0 four tiles ahead. Rows y=-2, y=-1 are outside (walls); (1,1) is a wall at a=3, b=3.
    expected = np.array([[2, 2, 2, 2, 2],
                         [2, 2, 2, 2, 2],
                         [1, 1, 1, 1, 1],
                         [1, 1, 1, 2, 1],
                         [1, 1, 1, 1, 1]])
    assert img[..., 0].tolist() == expected.tolist()
    assert img[3, 3].tolist() == [2, 5, 0]  # MiniGrid wall encoding: object 2, colour grey (5)
    assert img[2, 4].tolist() == [1, 0, 0]  # own tile: empty, the agent is not drawn (see_agent=False)
    assert img.dtype == np.uint8


def _reference_view(level_text, d):
    """The references' procedure, transcribed: slice the 5x5 box, rotate by d+1 quarter turns, transpose."""
    lv = from_str(level_text)
    h, w = lv.wall_map.shape
    p = 4
    grid = np.full((h + 2 * p, w + 2 * p), 2)
    grid[p:p + h, p:p + w] = np.where(lv.wall_map, 2, 1)
    gx, gy = lv.goal_pos
    grid[gy + p, gx + p] = 8
    ax, ay = lv.agent_pos
    dv = DIR_TO_VEC[d]
    bounds = np.array([[ax, ay], [ax, ay] + dv * 4, [ax, ay] + (dv == 0) * 2, [ax, ay] - (dv == 0) * 2])
    xmin, ymin = bounds.min(0) + p
    box = grid[ymin:ymin + 5, xmin:xmin + 5]
    return np.rot90(box, d + 1).T


@pytest.mark.parametrize("d", [0, 1, 2, 3])
def test_view_matches_reference_procedure_and_geometry(d):
    text = """
.#..G..
...#...
#......
...>..#
.#.....
.....#.
..#....
"""
    lines = text.strip().split("\n")
    lines[3] = lines[3].replace(">", ">v<^"[d])
    text = "\n".join(lines)
    s = maze.reset_to_level(from_str(text))
    img = np.asarray(maze.get_obs(s).image)[..., 0]
    assert img.tolist() == _reference_view(text, d).tolist()
    # Geometry: image[a, b] is the tile (4-b) ahead and (2-a) to the left of the agent.
    lv = from_str(text)
    fwd, left = DIR_TO_VEC[d], DIR_TO_VEC[(d - 1) % 4]
    for a in range(5):
        for b in range(5):
            x, y = np.array([3, 3]) + (4 - b) * fwd + (2 - a) * left
            inside = 0 <= x < 7 and 0 <= y < 7
            want = 2 if not inside or lv.wall_map[y, x] else (8 if (x, y) == (4, 0) else 1)
            assert img[a, b] == want, (a, b)


def test_scripted_walk_to_goal_and_reward():
    s = maze.reset_to_level(from_str(LEVEL))
    for _ in range(3):
        s, _, r, done = _step(s, maze.FORWARD)
        assert float(r) == 0.0 and not bool(done)
    assert np.asarray(s.agent_pos).tolist() == [3, 0]
    s, _, _, _ = _step(s, maze.RIGHT)  # now facing down
    assert int(s.agent_dir) == 1
    s, _, _, _ = _step(s, maze.FORWARD)
    s, _, _, _ = _step(s, maze.FORWARD)
    assert np.asarray(s.agent_pos).tolist() == [3, 2]
    s, _, r, done = _step(s, maze.FORWARD)  # step 7 walks into the goal
    assert bool(done)
    assert float(r) == pytest.approx(1 - 0.9 * 7 / 250)
    assert np.asarray(s.agent_pos).tolist() == [3, 2]  # the goal tile itself is never entered


def test_walls_border_and_noop_actions_block():
    s = maze.reset_to_level(from_str(LEVEL))
    s, _, _, _ = _step(s, maze.LEFT)  # facing up, at the border
    assert int(s.agent_dir) == 3
    s, _, _, _ = _step(s, maze.FORWARD)
    assert np.asarray(s.agent_pos).tolist() == [0, 0]
    s, _, _, _ = _step(s, maze.LEFT)  # facing left: border again
    s, _, _, _ = _step(s, maze.FORWARD)
    assert np.asarray(s.agent_pos).tolist() == [0, 0]
    s, _, _, _ = _step(s, maze.LEFT)  # facing down
    s, _, _, _ = _step(s, maze.FORWARD)
    assert np.asarray(s.agent_pos).tolist() == [0, 1]
    s, _, _, _ = _step(s, maze.LEFT)  # facing right: (1,1) is a wall
    s, _, _, _ = _step(s, maze.FORWARD)
    assert np.asarray(s.agent_pos).tolist() == [0, 1]
    for a in (3, 4, 5, 6):  # pickup, drop, toggle, done do nothing
        s2, _, r, _ = _step(s, a)
        assert np.asarray(s2.agent_pos).tolist() == [0, 1] and int(s2.agent_dir) == 0 and float(r) == 0
    assert int(s2.time) == int(s.time) + 1


def test_timeout_and_auto_replay():
    lv = from_str(LEVEL)
    start = maze.reset_to_level(lv)
    s = start
    for t in range(1, 4):
        s, _, r, done = maze.step_auto_replay(s, start, jnp.int32(maze.FORWARD), 3)
        assert float(r) == 0.0
        assert bool(done) == (t == 3)
    # after the timeout the state is the level's start again
    assert int(s.time) == 0 and np.asarray(s.agent_pos).tolist() == [0, 0]


def test_ascii_round_trip():
    assert to_str(from_str(LEVEL)) == LEVEL.strip()
