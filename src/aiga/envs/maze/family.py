"""The maze as an ``EnvFamily`` (``get_family("maze")``): what POET, PLR⊥ and ACCEL see of it.

Parameters are ``MazeParams``: the level's ASCII rows (jaxued's prefab format), frozen and hashable, so
a maze can be a dictionary key in a score cache or POET archive and is readable in an event log. The
random choices mirror the JAX generators used inside the fast UED loops (``generators.py``): ``sample`` is
jaxued's DR generator (``n_walls`` draws with replacement), ``initial`` an empty room, ``mutate`` one of
minimax's edits (flip a tile or move the goal; ``n_edits`` of them, no-ops re-drawn so the child differs
when it can). ``descriptor`` is the wall map flattened plus the normalised goal and agent positions, so
``distance`` counts differing tiles (plus how far the goal and agent moved).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aiga.core.config import AigaError
from aiga.envs.maze.level import Level, from_str, is_valid, make_level, to_str
from aiga.envs.maze.objective import POLICY_SIZES


@dataclass(frozen=True)
class MazeParams:
    """One maze level in text form (``#`` wall, ``.`` free, ``G`` goal, ``>v<^`` agent)."""

    rows: tuple[str, ...]

    @staticmethod
    def from_level(level: Level) -> MazeParams:
        return MazeParams(tuple(to_str(level).split("\n")))

    def level(self) -> Level:
        return from_str("\n".join(self.rows))


class MazeFamily:
    """Grid mazes of the UED papers (13×13 interior by default)."""

    name = "maze"
    #: The ES agent POET evolves on mazes (``aiga.envs.maze.objective``): 79 inputs → 40 → 3 actions.
    policy_sizes = POLICY_SIZES

    def __init__(self, height: int = 13, width: int = 13, n_walls: int = 25, n_edits: int = 1) -> None:
        if height < 2 or width < 2:
            raise AigaError("maze size must be at least 2x2")
        if not 0 <= n_walls <= height * width:
            raise AigaError(f"n_walls must be in [0, {height * width}], got {n_walls}")
        self.height, self.width, self.n_walls, self.n_edits = height, width, n_walls, max(1, n_edits)

    def initial(self) -> MazeParams:
        from aiga.envs.maze.level import empty_level

        return MazeParams.from_level(empty_level(self.height, self.width))

    def sample(self, rng: np.random.Generator) -> MazeParams:
        h, w = self.height, self.width
        n = h * w
        walls = np.zeros(n, bool)
        if self.n_walls:
            walls[rng.integers(0, n, self.n_walls)] = True
        free = np.flatnonzero(~walls)
        agent = int(rng.choice(free))
        free = free[free != agent]
        goal = int(rng.choice(free))
        d = int(rng.integers(4))
        level = make_level(walls.reshape(h, w), (goal % w, goal // w), (agent % w, agent // w), d)
        return MazeParams.from_level(level)

    def mutate(self, params: MazeParams, rng: np.random.Generator) -> MazeParams:
        lv = params.level()
        walls = lv.wall_map.copy()
        h, w = walls.shape
        goal, agent = [int(v) for v in lv.goal_pos], [int(v) for v in lv.agent_pos]
        for _ in range(self.n_edits):
            special = {goal[1] * w + goal[0], agent[1] * w + agent[0]}
            cand = [i for i in range(h * w) if i not in special]
            free = [i for i in cand if not walls.flat[i]]
            if rng.random() < 0.5 or not free:  # flip a tile
                i = int(rng.choice(cand))
                walls.flat[i] = ~walls.flat[i]
            else:  # move the goal
                i = int(rng.choice(free))
                goal = [i % w, i // w]
        return MazeParams.from_level(make_level(walls, goal, agent, int(lv.agent_dir)))

    def descriptor(self, params: MazeParams) -> np.ndarray:
        lv = params.level()
        h, w = lv.wall_map.shape
        pos = np.array([lv.goal_pos[0] / w, lv.goal_pos[1] / h, lv.agent_pos[0] / w, lv.agent_pos[1] / h])
        return np.concatenate([lv.wall_map.reshape(-1).astype(np.float64), pos])

    def distance(self, a: MazeParams, b: MazeParams) -> float:
        return float(np.linalg.norm(self.descriptor(a) - self.descriptor(b)))

    def describe(self, params: MazeParams) -> str:
        lv = params.level()
        return (f"maze {lv.wall_map.shape[1]}x{lv.wall_map.shape[0]}, {int(lv.wall_map.sum())} walls, "
                f"goal ({int(lv.goal_pos[0])},{int(lv.goal_pos[1])}), "
                f"agent ({int(lv.agent_pos[0])},{int(lv.agent_pos[1])})")

    def to_dict(self, params: MazeParams) -> dict[str, Any]:
        return {"rows": list(params.rows)}

    def from_dict(self, data: dict[str, Any]) -> MazeParams:
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise AigaError("maze params: expected a table with a 'rows' list of strings")
        p = MazeParams(tuple(str(r) for r in data["rows"]))
        if not is_valid(p.level()):
            raise AigaError("maze params: goal and agent must be distinct free tiles inside the maze")
        return p
