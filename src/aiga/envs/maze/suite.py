"""The held-out maze suite of the UED papers, as data in the package (``data/heldout.json``).

Fixed layouts (transcribed from jaxued ``environments/maze/level.py`` prefabs, identical to minimax
``envs/maze/maze_ood.py`` and dcd ``envs/multigrid/maze.py``): SixteenRooms, SixteenRooms2, Labyrinth,
LabyrinthFlipped, Labyrinth2, StandardMaze, StandardMaze2, StandardMaze3 (13×13), SmallCorridor (13×13)
and LargeCorridor (19×19) whose goal is one of 10 / 16 fixed tiles per episode.

Procedural ones (minimax draws a new instance per episode): FourRooms (17×17), SimpleCrossing (9×9, 5
crossings; MiniGrid's SimpleCrossingS11N5), PerfectMaze S/M/XL (13, 19, 101). Here each is stored as 10
fixed instances, one per evaluation attempt, drawn once by the generators below with seed 0 — so every run
is scored on the same mazes (``python -m aiga.envs.maze.suite`` rewrites the file; a test checks it is
reproducible).

Evaluation protocol (``aiga.ued.evaluate``): ``attempts`` episodes per maze (default 10, attempt ``k`` plays
instance ``k mod n``), horizon either one number for every maze (jaxued: 250) or ``"reference"``: each
maze's ``reference_horizon`` (minimax: ``2·(h+2)·(w+2)``, 450 on 13×13; 4·… for SimpleCrossing; 250
for FourRooms).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from aiga.core.config import AigaError
from aiga.envs.maze.level import Level, from_dict, make_level, to_dict

#: The suite the references report (dcd's 12 of the ACCEL paper + jaxued's extra three variants).
DEFAULT_SUITE = ("SixteenRooms", "SixteenRooms2", "Labyrinth", "LabyrinthFlipped", "Labyrinth2",
                 "StandardMaze", "StandardMaze2", "StandardMaze3", "SmallCorridor", "LargeCorridor",
                 "FourRooms", "SimpleCrossing", "PerfectMazeMedium")
#: jaxued's eight prefabs (its maze_plr.py evaluation set).
JAXUED_SUITE = DEFAULT_SUITE[:8]

_DATA = "heldout.json"


@cache
def _load() -> dict[str, Any]:
    try:
        text = resources.files("aiga.envs.maze").joinpath("data", _DATA).read_text()
    except FileNotFoundError:
        raise AigaError("the held-out maze data file is missing from the package (reinstall aiga)") from None
    return json.loads(text)


def names() -> list[str]:
    return list(_load()["mazes"])


def maze_info(name: str) -> dict[str, Any]:
    mazes = _load()["mazes"]
    if name not in mazes:
        raise AigaError(f"unknown held-out maze {name!r} (known: {', '.join(mazes)})")
    return mazes[name]


def instances(name: str) -> list[Level]:
    """The stored instances of maze ``name`` (one for fixed layouts)."""
    return [from_dict(d) for d in maze_info(name)["instances"]]


def reference_horizon(name: str) -> int:
    return int(maze_info(name)["reference_horizon"])


# ----------------------------------------------------------------------------- generators (numpy)


def four_rooms(rng: np.random.Generator, size: int = 17) -> Level:
    """MiniGrid FourRooms as minimax draws it: a cross of walls with one random door per arm."""
    walls = np.zeros((size, size), bool)
    mid = size // 2
    walls[mid, :] = True
    walls[:, mid] = True
    room = size // 2
    xd = rng.integers(0, room, 2) + np.array([0, room + 1])
    yd = rng.integers(0, room, 2) + np.array([0, room + 1])
    walls[mid, xd] = False
    walls[yd, mid] = False
    return _place(rng, walls)


def simple_crossing(rng: np.random.Generator, size: int = 9, n_crossings: int = 5) -> Level:
    """MiniGrid SimpleCrossing: ``n_crossings`` full-length walls on odd rows/columns, one opening in each
    where a random monotone path from the top-left to the bottom-right corner crosses it."""
    walls = np.zeros((size, size), bool)
    lines = [("row", i) for i in range(1, size - 1, 2)] + [("col", i) for i in range(1, size - 1, 2)]
    chosen = [lines[i] for i in rng.permutation(len(lines))[:n_crossings]]
    for kind, i in chosen:
        if kind == "row":
            walls[i, :] = True
        else:
            walls[:, i] = True
    moves = np.array([0] * (size - 1) + [1] * (size - 1))
    rng.shuffle(moves)
    x = y = 0
    for m in moves:  # carve the path: every wall it steps on becomes an opening
        x, y = (x + 1, y) if m == 0 else (x, y + 1)
        walls[y, x] = False
    return make_level(walls, (size - 1, size - 1), (0, 0), 0)


def perfect_maze(rng: np.random.Generator, size: int = 13) -> Level:
    """A perfect maze (one path between any two cells) by randomised depth-first search on the odd grid,
    as minimax's ``PerfectMaze``; goal and agent on random free tiles, direction random."""
    if size % 2 == 0:
        raise ValueError("perfect maze size must be odd")
    walls = np.ones((size, size), bool)
    n = size // 2 + 1
    seen = np.zeros((n, n), bool)
    start = (int(rng.integers(n)), int(rng.integers(n)))
    stack = [start]
    seen[start[1], start[0]] = True
    walls[2 * start[1], 2 * start[0]] = False
    while stack:
        cx, cy = stack[-1]
        nbrs = [(cx + dx, cy + dy) for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1))
                if 0 <= cx + dx < n and 0 <= cy + dy < n and not seen[cy + dy, cx + dx]]
        if not nbrs:
            stack.pop()
            continue
        nx, ny = nbrs[int(rng.integers(len(nbrs)))]
        seen[ny, nx] = True
        walls[2 * ny, 2 * nx] = False
        walls[cy + ny, cx + nx] = False  # the wall between (2cx,2cy) and (2nx,2ny)
        stack.append((nx, ny))
    return _place(rng, walls)


def _place(rng: np.random.Generator, walls: np.ndarray) -> Level:
    free = np.flatnonzero(~walls.reshape(-1))
    g, a = rng.choice(free, 2, replace=False)
    w = walls.shape[1]
    return make_level(walls, (g % w, g // w), (a % w, a // w), int(rng.integers(4)))


# ------------------------------------------------------------------------------ fixed layouts

_FIXED = {
    "SixteenRooms": """
...#..#..#...
.>.......#...
...#..#......
#.###.##.###.
...#.........
......#..#...
##.#.##.###.#
...#.....#...
...#..#......
.####.##.#.##
...#..#..#...
......#....G.
...#.....#...""",
    "SixteenRooms2": """
...#.....#...
.>....#..#...
...#..#..#...
####.##.###.#
...#..#......
......#..#...
#.#####.#####
...#..#..#...
...#.........
##.##.##.####
...#..#..#...
......#....G.
...#..#..#...""",
    "Labyrinth": """
.............
.###########.
.#.........#.
.#.#######.#.
.#.#.....#.#.
.#.#.###.#.#.
.#.#.#G#.#.#.
.#.#.#.#.#.#.
.#...#...#.#.
.#########.#.
.....#.....#.
####.#.#####.
>....#.......""",
    "LabyrinthFlipped": """
.............
.###########.
.#.........#.
.#.#######.#.
.#.#.....#.#.
.#.#.###.#.#.
.#.#.#G#.#.#.
.#.#.#.#.#.#.
.#.#...#...#.
.#.#########.
.#.....#.....
.#####.#.####
.......#....<""",
    "Labyrinth2": """
>#...........
.#.#########.
.#.#.......#.
.#.#.#####.#.
.#.#.#...#.#.
...#.#.#.#.#.
####.#G#.#.#.
...#.###.#.#.
.#.#.....#.#.
.#.#######.#.
.#.........#.
.###########.
.............""",
    "StandardMaze": """
.....#>...#..
.###.####.##.
.#...........
.########.###
........#....
######.#####.
....#..#.....
.##...##.####
..#.#..#...#.
#.#.##.###.#.
#.#..#...#...
#.##.###.###.
...#..G#.#...""",
    "StandardMaze2": """
...#.#....#..
.#.#.####...#
.#........#..
.########.###
...#..#.#.#.G
##.#.##.#.#..
>#.#....#.##.
.#.##.###..#.
.#..#..###.#.
.##.##.#.#.#.
.#...#.#.#.#.
.#.#.#.#.#.#.
...#...#.....""",
    "StandardMaze3": """
...>#.#......
.####.#.####.
.#....#.#....
...####.#.#.#
##.#....#.#..
...#.##.#.##.
.#.#.#..#..#G
.#.#.#.###.##
.#...#.#.#...
.###.#.#.###.
.#...#.#...#.
.#.###.#.#.#.
.#...#...#...""",
}


def _corridor(size: int) -> np.ndarray:
    """minimax's Small/LargeCorridor wall map: teeth on odd columns, a full wall across the middle row."""
    walls = np.zeros((size, size), bool)
    walls[1:size - 1, 1:size - 1:2] = True
    walls[size // 2, 1:size - 1] = True
    return walls


def _corridor_instances(rng: np.random.Generator, size: int) -> list[Level]:
    walls = _corridor(size)
    mid = size // 2
    goals = [(x, mid - 1) for x in range(2, size - 1, 2)] + [(x, mid + 1) for x in range(2, size - 1, 2)]
    out = []
    for _ in range(10):
        g = goals[int(rng.integers(len(goals)))]
        out.append(make_level(walls, g, (0, mid), int(rng.integers(4))))
    return out


def build() -> dict[str, Any]:
    """The suite's data (what ``data/heldout.json`` holds), deterministic."""
    mazes: dict[str, Any] = {}

    def add(name: str, levels: list[Level], source: str, horizon_factor: int = 2, horizon: int = 0) -> None:
        h, w = levels[0].wall_map.shape
        mazes[name] = {"source": source, "height": h, "width": w,
                       "reference_horizon": horizon or horizon_factor * (h + 2) * (w + 2),
                       "instances": [to_dict(lv) for lv in levels]}

    from aiga.envs.maze.level import from_str

    for name, text in _FIXED.items():
        add(name, [from_str(text)], "fixed layout (jaxued prefab = minimax maze_ood = dcd)")
    rng = np.random.default_rng(0)
    add("SmallCorridor", _corridor_instances(rng, 13), "fixed layout, goal one of 10 tiles (minimax)")
    add("LargeCorridor", _corridor_instances(rng, 19), "fixed layout, goal one of 16 tiles (minimax)")
    add("FourRooms", [four_rooms(rng) for _ in range(10)], "10 draws of minimax FourRooms 17x17",
        horizon=250)
    add("SimpleCrossing", [simple_crossing(rng) for _ in range(10)],
        "10 draws of MiniGrid SimpleCrossingS11N5 (9x9 interior)", horizon_factor=4)
    add("PerfectMazeSmall", [perfect_maze(rng, 13) for _ in range(10)], "10 draws, 13x13")
    add("PerfectMazeMedium", [perfect_maze(rng, 19) for _ in range(10)], "10 draws, 19x19")
    add("PerfectMazeExtraLarge", [perfect_maze(rng, 101) for _ in range(2)], "2 draws, 101x101")
    return {"version": 1, "mazes": mazes}


def write(path: Path | None = None) -> Path:
    path = path or Path(__file__).with_name("data") / _DATA
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(build(), indent=1) + "\n")
    return path


if __name__ == "__main__":
    print(write())
