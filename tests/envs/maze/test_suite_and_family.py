"""The held-out mazes load exactly; the maze EnvFamily behaves (hand-checked facts)."""

import json
from importlib import resources

import numpy as np
import pytest

from aiga.envs.family import get_family
from aiga.envs.maze import suite
from aiga.envs.maze.family import MazeParams
from aiga.envs.maze.level import to_str

# minimax envs/maze/maze_ood.py lists SixteenRooms as 0/1 rows with goal (11, 11), agent (1, 1), dir 0:
MINIMAX_SIXTEEN_ROOMS = [
    "0 0 0 1 0 0 1 0 0 1 0 0 0",
    "0 0 0 0 0 0 0 0 0 1 0 0 0",
    "0 0 0 1 0 0 1 0 0 0 0 0 0",
    "1 0 1 1 1 0 1 1 0 1 1 1 0",
    "0 0 0 1 0 0 0 0 0 0 0 0 0",
    "0 0 0 0 0 0 1 0 0 1 0 0 0",
    "1 1 0 1 0 1 1 0 1 1 1 0 1",
    "0 0 0 1 0 0 0 0 0 1 0 0 0",
    "0 0 0 1 0 0 1 0 0 0 0 0 0",
    "0 1 1 1 1 0 1 1 0 1 0 1 1",
    "0 0 0 1 0 0 1 0 0 1 0 0 0",
    "0 0 0 0 0 0 1 0 0 0 0 0 0",
    "0 0 0 1 0 0 0 0 0 1 0 0 0",
]


def test_sixteen_rooms_equals_minimax_listing():
    (lv,) = suite.instances("SixteenRooms")
    want = np.array([[int(c) for c in r.split()] for r in MINIMAX_SIXTEEN_ROOMS], bool)
    assert (lv.wall_map == want).all()
    assert lv.goal_pos.tolist() == [11, 11] and lv.agent_pos.tolist() == [1, 1] and int(lv.agent_dir) == 0


@pytest.mark.parametrize("name, goal, agent, d", [
    ("Labyrinth", (6, 6), (0, 12), 0),
    ("LabyrinthFlipped", (6, 6), (12, 12), 2),
    ("Labyrinth2", (6, 6), (0, 0), 0),
    ("StandardMaze", (6, 12), (6, 0), 0),
    ("StandardMaze2", (12, 4), (0, 6), 0),
    ("StandardMaze3", (12, 6), (3, 0), 0),
])
def test_fixed_mazes_positions(name, goal, agent, d):
    (lv,) = suite.instances(name)
    assert lv.wall_map.shape == (13, 13)
    assert tuple(lv.goal_pos) == goal and tuple(lv.agent_pos) == agent and int(lv.agent_dir) == d
    assert suite.reference_horizon(name) == 2 * 15 * 15


def test_labyrinth_text_exact():
    (lv,) = suite.instances("Labyrinth")
    assert to_str(lv).split("\n")[-1] == ">....#......."
    assert to_str(lv).split("\n")[6] == ".#.#.#G#.#.#."


def test_corridors_and_procedural_suites():
    small = suite.instances("SmallCorridor")
    assert len(small) == 10
    for lv in small:
        assert lv.agent_pos.tolist() == [0, 6]
        assert lv.goal_pos[1] in (5, 7) and lv.goal_pos[0] in (2, 4, 6, 8, 10)
        assert lv.wall_map[6, 1:12].all() and not lv.wall_map[6, 0] and not lv.wall_map[6, 12]
    assert suite.instances("LargeCorridor")[0].wall_map.shape == (19, 19)
    assert suite.reference_horizon("SimpleCrossing") == 4 * 11 * 11
    assert suite.reference_horizon("FourRooms") == 250
    for lv in suite.instances("FourRooms"):
        assert lv.wall_map[8].sum() == 17 - 2 and lv.wall_map[:, 8].sum() == 17 - 2  # one door per arm


def test_data_file_is_reproducible():
    text = resources.files("aiga.envs.maze").joinpath("data", "heldout.json").read_text()
    assert json.loads(text) == suite.build()


def test_perfect_maze_is_perfect():
    # a perfect maze on an n x n cell grid has n*n cells and n*n - 1 passages: free tiles = 2 n^2 - 1
    for lv in suite.instances("PerfectMazeSmall"):
        assert (~lv.wall_map).sum() == 2 * 7 * 7 - 1


def test_maze_family_protocol():
    fam = get_family("maze")
    rng = np.random.default_rng(1)
    p = fam.sample(rng)
    assert isinstance(p, MazeParams) and hash(p) == hash(MazeParams(p.rows))
    lv = p.level()
    assert lv.wall_map.sum() <= 25 and tuple(lv.agent_pos) != tuple(lv.goal_pos)
    child = fam.mutate(p, rng)
    assert child != p
    # one edit changes one tile (distance 1) or moves the goal (distance = how far, normalised)
    assert 0 < fam.distance(p, child) <= np.sqrt(2) + 1
    assert fam.distance(p, p) == 0.0
    assert fam.from_dict(fam.to_dict(child)) == child
    assert fam.initial().level().wall_map.sum() == 0
    assert fam.descriptor(p).shape == (13 * 13 + 4,)


def test_family_rejects_bad_dict():
    from aiga.core.config import AigaError

    with pytest.raises(AigaError):
        get_family("maze").from_dict({"rows": ["G>", "#x"]})
    with pytest.raises(AigaError):
        get_family("maze").from_dict({"walls": []})
