"""A Pareto front view: options as points on two properties, the undominated ones joined.

Chapter 8.4 measures technologies on several properties; a picture shows two at a time. Each
option is a labelled point, coloured and shaped by a category (CP or AP, say); the options that no
other beats on both axes are the front, joined by a staircase (the region it bounds is what can be
had; everything below and to the wrong side is a worse choice).
"""
from __future__ import annotations

import pandas as pd

from dsysedu.ops.selection import pareto_front
from dsysedu.viz import style

from .curves import MARKERS, _new_axes

__all__ = ["pareto_plot", "pareto_panels"]

_LIFT = (4, -13, 14, -23, 24)   # points above (+) or below (-) a point for its 1st, 2nd... crowded label


def pareto_plot(table: pd.DataFrame, x: str, y: str, *, better=(1, 1), by: str | None = None, ax=None,
                title: str | None = None, xlabel: str | None = None, ylabel: str | None = None, short=None):
    """Draw ``table``'s options at ``(x, y)`` and the Pareto front of those two properties; return the Axes.

    Parameters
    ----------
    table : DataFrame
        One row per option (index: the option's name).
    x, y : str
        Columns to draw.
    better : pair of +1 / -1
        For each axis, +1 if more is better, -1 if less is better.
    by : str, optional
        A column of categories: one colour and marker each.
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str, optional
    short : callable(str) -> str, optional
        Shortens the option names written next to the points.

    Examples
    --------
    >>> t = pd.DataFrame({"cost": [1, 2, 3], "avail": [0.5, 0.9, 0.8]}, index=["a", "b", "c"])
    >>> ax = pareto_plot(t, "cost", "avail", better=(-1, 1))
    >>> [line.get_label() for line in ax.get_lines()][-1]
    'Pareto front'
    """
    for col in (x, y) + ((by,) if by else ()):
        if col not in table.columns:
            raise ValueError(f"no column {col!r}; columns: {list(table.columns)}")
    if len(better) != 2 or any(b not in (1, -1) for b in better):
        raise ValueError(f"better is a pair of +1 / -1 (one per axis), got {better!r}")
    ax = ax if ax is not None else _new_axes(figsize=(5.6, 3.6))
    front = pareto_front(table[[x, y]], {x: better[0], y: better[1]})
    groups = list(dict.fromkeys(table[by])) if by else [None]
    for i, g in enumerate(groups):
        part = table if g is None else table[table[by] == g]
        ax.plot(part[x], part[y], linestyle="none", marker=MARKERS[i % len(MARKERS)], markersize=7,
                color=style.series_color(i), label=str(g) if g is not None else None, zorder=3)
    for (name, row), k in zip(table.iterrows(), _crowding(table[x], table[y])):
        ax.annotate(short(name) if short else str(name), (row[x], row[y]), textcoords="offset points",
                    xytext=(6, _LIFT[min(k, len(_LIFT) - 1)]), fontsize=style.FONT["small"],
                    color=style.ANNOTATION)
    best = table[front].sort_values(x, ascending=better[0] == -1)
    ax.plot(best[x], best[y], color=style.ANNOTATION, linestyle="--", linewidth=1.2,
            drawstyle="steps-post" if better[0] != better[1] else "default", label="Pareto front", zorder=2)
    ax.set_xlabel(xlabel or x, fontsize=style.FONT["label"])
    ax.set_ylabel(ylabel or y, fontsize=style.FONT["label"])
    ax.tick_params(labelsize=style.FONT["tick"])
    if title:
        ax.set_title(title, fontsize=style.FONT["title"])
    ax.margins(x=0.25, y=0.15)
    ax.legend(fontsize=style.FONT["legend"], framealpha=0.85, loc="best")
    return ax


def _crowding(xs, ys, near_x: float = 0.2, near_y: float = 0.08) -> list:
    """For each point, how many earlier points sit near it (a share of each axis's range; wider
    along x, where a label runs): its label goes that many lines lower, so that labels do not overlap."""
    def scaled(v):
        v = v.to_numpy(dtype=float)
        span = v.max() - v.min()
        return (v - v.min()) / span if span > 0 else v * 0.0
    px, py = scaled(xs), scaled(ys)
    return [sum(abs(px[j] - px[i]) < near_x and abs(py[j] - py[i]) < near_y for j in range(i)) for i in range(len(px))]


def pareto_panels(table: pd.DataFrame, panels, *, by: str | None = None, short=None, figsize=(10.0, 3.8)):
    """Several :func:`pareto_plot` s side by side; ``panels``: ``(x, y, better, xlabel, ylabel)`` each.

    Returns the array of Axes.
    """
    import matplotlib.pyplot as plt   # here, so that importing the views does not start pyplot
    panels = list(panels)
    if not panels:
        raise ValueError("panels must hold at least one (x, y, better, xlabel, ylabel)")
    axes = plt.subplots(1, len(panels), figsize=figsize, layout="constrained", squeeze=False)[1][0]
    for ax, (x, y, better, xlabel, ylabel) in zip(axes, panels):
        pareto_plot(table, x, y, better=better, by=by, ax=ax, xlabel=xlabel, ylabel=ylabel, short=short)
    return axes
