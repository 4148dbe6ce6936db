"""Maze levels as compact arrays, and their text form.

A level is what the references call a ``Level`` (jaxued ``environments/maze/level.py``, minimax
``envs/maze``): a boolean wall map of the free interior (13×13 for the canonical maze; the one-tile wall
border is implicit), the goal and agent positions as ``(x, y)``, and the agent's direction
(0 right, 1 down, 2 left, 3 up, MiniGrid's order). Everything is a fixed-shape array, so a batch of levels
is the same ``Level`` with a leading axis, a level buffer of 4000 levels is 4000 × 169 booleans, and the
whole thing travels through ``jit``/``vmap``/``lax.scan`` and into an ``.npz`` checkpoint unchanged.

Text form: jaxued's ASCII prefab format (``#`` wall, ``.`` free, ``G`` goal, ``>v<^`` agent and its
direction), so the held-out mazes can be compared character for character with the references.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from aiga.core.config import AigaError

#: direction index -> (dx, dy); MiniGrid's order, as in every reference.
DIR_TO_VEC = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)], dtype=np.int32)
_DIR_CHARS = ">v<^"


class Level(NamedTuple):
    """One maze (or a batch of them, with a leading axis on every field)."""

    wall_map: Any  #: bool [H, W], True = wall; row y, column x
    goal_pos: Any  #: int32 [2] (x, y)
    agent_pos: Any  #: int32 [2] (x, y)
    agent_dir: Any  #: int32 [] in 0..3

    @property
    def height(self) -> int:
        return int(np.shape(self.wall_map)[-2])

    @property
    def width(self) -> int:
        return int(np.shape(self.wall_map)[-1])


def make_level(wall_map: Any, goal_pos: Any, agent_pos: Any, agent_dir: int) -> Level:
    """A numpy ``Level`` with the canonical dtypes (bool walls, int32 positions and direction)."""
    return Level(np.asarray(wall_map, dtype=bool), np.asarray(goal_pos, dtype=np.int32),
                 np.asarray(agent_pos, dtype=np.int32), np.asarray(agent_dir, dtype=np.int32))


def empty_level(height: int = 13, width: int = 13) -> Level:
    """An empty room, agent top-left facing right, goal bottom-right (ACCEL's starting point is a batch of
    empty rooms with random goal/agent; this fixed one is the family's ``initial``)."""
    return make_level(np.zeros((height, width), bool), (width - 1, height - 1), (0, 0), 0)


def from_str(text: str) -> Level:
    """Parse jaxued's ASCII format; raise ``AigaError`` on anything malformed."""
    rows = [r for r in text.strip().split("\n")]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise AigaError("maze text: all rows must have the same length")
    walls = np.zeros((len(rows), len(rows[0])), bool)
    goal = agent = None
    adir = 0
    for y, row in enumerate(rows):
        for x, c in enumerate(row):
            if c == "#":
                walls[y, x] = True
            elif c == "G":
                if goal is not None:
                    raise AigaError("maze text: more than one goal")
                goal = (x, y)
            elif c in _DIR_CHARS:
                if agent is not None:
                    raise AigaError("maze text: more than one agent")
                agent, adir = (x, y), _DIR_CHARS.index(c)
            elif c != ".":
                raise AigaError(f"maze text: unexpected character {c!r} at row {y}, column {x}")
    if goal is None or agent is None:
        raise AigaError("maze text: needs one goal 'G' and one agent (one of > v < ^)")
    return make_level(walls, goal, agent, adir)


def to_str(level: Level) -> str:
    """The ASCII form of one (unbatched) level."""
    walls = np.asarray(level.wall_map, bool)
    grid = np.where(walls, "#", ".").astype("<U1")
    gx, gy = (int(v) for v in np.asarray(level.goal_pos))
    ax, ay = (int(v) for v in np.asarray(level.agent_pos))
    grid[ay, ax] = _DIR_CHARS[int(level.agent_dir) % 4]
    grid[gy, gx] = "G"
    return "\n".join("".join(r) for r in grid)


def to_dict(level: Level) -> dict[str, Any]:
    """JSON-able form: the ASCII rows (readable in a diff) plus the direction."""
    return {"rows": to_str(level).split("\n")}


def from_dict(data: dict[str, Any]) -> Level:
    try:
        rows = data["rows"]
    except (KeyError, TypeError):
        raise AigaError("maze level: expected a table with 'rows'") from None
    return from_str("\n".join(rows))


def stack(levels: list[Level]) -> Level:
    """A batch from a list of same-size levels."""
    return Level(*(np.stack([np.asarray(getattr(lv, f)) for lv in levels]) for f in Level._fields))


def index(levels: Level, i: int) -> Level:
    """Level ``i`` of a batch, as numpy arrays."""
    return Level(*(np.asarray(a)[i] for a in levels))


def is_valid(level: Level) -> bool:
    """The references' ``is_well_formatted``: agent and goal inside, distinct, not on walls."""
    w = np.asarray(level.wall_map, bool)
    h, wd = w.shape
    (gx, gy), (ax, ay) = np.asarray(level.goal_pos), np.asarray(level.agent_pos)
    inside = 0 <= gx < wd and 0 <= gy < h and 0 <= ax < wd and 0 <= ay < h
    return bool(inside and (gx, gy) != (ax, ay) and not w[gy, gx] and not w[ay, ax]
                and 0 <= int(level.agent_dir) < 4)
