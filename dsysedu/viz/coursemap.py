"""The course map: the chapters as a tree, written ones in colour."""
from __future__ import annotations

from dsysedu.viz import style

__all__ = ["course_map"]


def course_map(ax=None, graph=None):
    """Draw the course as a tree: course -> parts -> chapters; planned chapters in grey.

    Parameters
    ----------
    ax : matplotlib Axes, optional
    graph : networkx.DiGraph, optional
        Default: :func:`dsysedu.course.course_graph`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from dsysedu.course import course_graph
    g = course_graph() if graph is None else graph
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 6.5))
    parts = list(g.successors("dsysedu"))
    chapters = [(p, c) for p in parts for c in g.successors(p)]
    n = len(chapters)
    y_of = {c: n - 1 - i for i, (_, c) in enumerate(chapters)}
    part_y = {p: sum(y_of[c] for c in g.successors(p)) / len(list(g.successors(p))) for p in parts}
    root_y = sum(part_y.values()) / len(parts)
    for p in parts:
        ax.plot([0.05, 0.32], [root_y, part_y[p]], color=style.CONNECTOR, lw=1, zorder=1)
        for c in g.successors(p):
            ax.plot([0.38, 0.5], [part_y[p], y_of[c]], color=style.CONNECTOR, lw=1, zorder=1)
    ax.text(0.0, root_y, "dsysedu", ha="center", va="center", fontsize=12, weight="bold",
            bbox=dict(boxstyle="round", fc=style.OKABE_ITO["blue"], ec="none", alpha=0.9), color="white")
    for p in parts:
        ax.text(0.35, part_y[p], p, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round", fc=style.OKABE_ITO["orange"], ec="none", alpha=0.9))
    for _, c in chapters:
        ok = g.nodes[c]["available"]
        ax.text(0.51, y_of[c], c + ("" if ok else "  (planned)"), ha="left", va="center", fontsize=9.5,
                color="black" if ok else style.FAINT,
                bbox=dict(boxstyle="round", fc=style.AVAILABLE if ok else style.PLANNED,
                          ec=style.OKABE_ITO["bluish_green"] if ok else style.EMPTY_SLOT))
    ax.set_xlim(-0.1, 1.25)
    ax.set_ylim(-1, n)
    ax.axis("off")
    ax.set_title("The course map (green: ready to open)", loc="left")
    return ax
