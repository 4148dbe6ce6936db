"""Exact shortest paths on hand-made mazes (expectations counted by hand)."""

import pytest

pytest.importorskip("jax")

from aiga.envs.maze.level import from_str  # noqa: E402
from aiga.envs.maze.paths import INF, path_info  # noqa: E402


def test_straight_line():
    info = path_info(from_str(">.G"))
    assert int(info.path_length) == 2 and int(info.optimal_steps) == 2
    assert float(info.optimal_return) == pytest.approx(1 - 0.9 * 2 / 250)


def test_turns_count():
    info = path_info(from_str("G.<"))  # facing the goal: two forwards
    assert int(info.optimal_steps) == 2
    info = path_info(from_str("<.G"))  # facing away: two turns, then two forwards
    assert int(info.path_length) == 2 and int(info.optimal_steps) == 4


def test_trivial_maze_detour():
    # jaxued's TrivialMaze: up 2, right 2, down 1, into the goal = 6 moves; + 3 turns = 9 actions.
    info = path_info(from_str("...\n.#.\n>#G"))
    assert bool(info.solvable)
    assert int(info.path_length) == 6
    assert int(info.optimal_steps) == 9
    assert float(info.optimal_return) == pytest.approx(1 - 0.9 * 9 / 250)


def test_unsolvable_and_horizon():
    info = path_info(from_str(">.#G\n..##"))
    assert not bool(info.solvable)
    assert int(info.path_length) == INF and float(info.optimal_return) == 0.0
    info = path_info(from_str("...\n.#.\n>#G"), 5)  # solvable, but not within 5 steps
    assert bool(info.solvable) and float(info.optimal_return) == 0.0
