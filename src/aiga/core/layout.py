"""Layout of family trees (POET's course lineage) for pictures and the dashboard: one function both use."""

from __future__ import annotations

from typing import Any


def tree_rows(edges: list[tuple[Any, Any]]) -> dict[Any, float]:
    """Row of every node of a forest given ``(node, parent)`` pairs (iteratively: lineages can be deep)."""
    known = {n for n, _ in edges}
    children: dict[Any, list[Any]] = {}
    roots = []
    for n, p in edges:
        if p is None or p not in known:
            roots.append(n)
        else:
            children.setdefault(p, []).append(n)
    rows: dict[Any, float] = {}
    leaf = 0.0
    for root in roots:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            kids = children.get(node, [])
            if done or not kids:
                if kids:
                    rows[node] = (rows[kids[0]] + rows[kids[-1]]) / 2
                else:
                    rows[node] = leaf
                    leaf += 1
                continue
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
    return rows
