"""Pictures of mazes (numpy RGB arrays; no JAX): walls grey, goal green, agent red with a mark on the side
it faces, an optional path as a blue trail. Used by ``aiga ued --report`` and the docs."""

from __future__ import annotations

import numpy as np

from aiga.envs.maze.level import Level

WALL = (100, 100, 100)
FLOOR = (0, 0, 0)
GOAL = (0, 200, 0)
AGENT = (230, 40, 40)
PATH = (60, 120, 255)


def render_level(level: Level, tile: int = 8, path: np.ndarray | None = None) -> np.ndarray:
    """An ``(H+2)·tile × (W+2)·tile × 3`` uint8 image including the wall border."""
    walls = np.asarray(level.wall_map, bool)
    h, w = walls.shape
    grid = np.ones((h + 2, w + 2), bool)
    grid[1:-1, 1:-1] = walls
    img = np.zeros((h + 2, w + 2, 3), np.uint8)
    img[grid] = WALL
    img[~grid] = FLOOR
    if path is not None and len(path):
        for x, y in np.asarray(path):
            img[y + 1, x + 1] = PATH
    gx, gy = (int(v) for v in np.asarray(level.goal_pos))
    ax, ay = (int(v) for v in np.asarray(level.agent_pos))
    img[gy + 1, gx + 1] = GOAL
    img[ay + 1, ax + 1] = AGENT
    big = np.kron(img, np.ones((tile, tile, 1), np.uint8))
    # a white mark on the side the agent faces
    d = int(np.asarray(level.agent_dir))
    y0, x0 = (ay + 1) * tile, (ax + 1) * tile
    q = max(1, tile // 4)
    c = tile // 2
    if d == 0:
        big[y0 + c - q:y0 + c + q, x0 + tile - q:x0 + tile] = 255
    elif d == 1:
        big[y0 + tile - q:y0 + tile, x0 + c - q:x0 + c + q] = 255
    elif d == 2:
        big[y0 + c - q:y0 + c + q, x0:x0 + q] = 255
    else:
        big[y0:y0 + q, x0 + c - q:x0 + c + q] = 255
    return big
