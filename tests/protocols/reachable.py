"""The tests' independent state counts: every state reachable from ``init``, by plain graph search.

The model checker's pinned counts are reproduced by hand-written successor functions (or the
model's own ``successors``) walked by this one loop, which shares nothing with the checker's search.
"""
from __future__ import annotations


def reachable(init, successors) -> set:
    """Every state reachable from ``init``, where ``successors(state)`` yields the next states."""
    seen, todo = {init}, [init]
    while todo:
        for t in successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen
