"""An isolation anomaly drawn: the transactions of its cycle and the dependencies that close it."""
from __future__ import annotations

import math

from dsysedu.viz import style

__all__ = ["anomaly_view", "DEPENDENCY_COLORS"]

#: one colour per dependency kind (write-write, write-read, read-write, real time, process order)
DEPENDENCY_COLORS = {"ww": style.OKABE_ITO["blue"], "wr": style.OKABE_ITO["bluish_green"],
                     "rw": style.OKABE_ITO["vermillion"], "realtime": style.OKABE_ITO["reddish_purple"],
                     "process": style.OKABE_ITO["orange"]}


def anomaly_view(verdict, name: str | None = None, ax=None, transactions=None):
    """Draw the evidence cycle of one anomaly of an :class:`~dsysedu.check.isolation.IsolationVerdict`.

    Transactions sit on a circle; each arrow is a dependency, coloured and labelled by kind
    (``ww``, ``wr``, ``rw``, ``realtime``, ``process``); the reasons are listed under the picture.
    ``transactions`` (the history) adds each transaction's micro-operations to its label.

    Returns the matplotlib Axes.

    Examples
    --------
    >>> from dsysedu.check.isolation import Transaction, check_isolation
    >>> h = [Transaction(1, "a", [("r", "x", []), ("append", "x", 1)]),
    ...      Transaction(2, "b", [("r", "x", []), ("append", "x", 2)]), Transaction(3, "c", [("r", "x", [1, 2])])]
    >>> ax = anomaly_view(check_isolation(h), transactions=h)
    >>> ax.get_title(loc="left")
    'G-single: a cycle of 2 transactions'
    """
    cycle = verdict.cycle(name)
    name = name or next(n for n in verdict.anomalies if verdict.anomalies[n] is cycle)
    if ax is None:
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    ops = {t.id: t.ops for t in (transactions or ())}
    nodes = [a for a, _, _, _ in cycle]
    n = len(nodes)
    pos = {t: (math.cos(math.pi / 2 + 2 * math.pi * i / n), 0.2 + 0.75 * math.sin(math.pi / 2 + 2 * math.pi * i / n))
           for i, t in enumerate(nodes)}
    if n == 2:
        pos = {nodes[0]: (-0.8, 0.2), nodes[1]: (0.8, 0.2)}
    for a, kind, b, _ in cycle:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        color = DEPENDENCY_COLORS.get(kind, style.EDGE)
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=2.2, shrinkA=24, shrinkB=24,
                                    connectionstyle="arc3,rad=0.25"))
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = (y1 - y0) * 0.18, -(x1 - x0) * 0.18          # beside the arc, on its bulge
        ax.text(mx + dx, my + dy, kind, color=color, fontsize=style.FONT["label"], ha="center", va="center",
                fontweight="bold", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
    for t, (x, y) in pos.items():
        ax.scatter([x], [y], s=900, color=style.OKABE_ITO["sky_blue"], edgecolors="black", linewidths=0.8, zorder=3)
        ax.text(x, y, f"T{t}", ha="center", va="center", fontsize=style.FONT["node"], zorder=4)
        if t in ops:
            label = "\n".join(f"{o[0]} {o[1]}={list(o[2]) if o[0] == 'r' else o[2]}" for o in ops[t])
            ax.text(x, y - 0.2, label, ha="center", va="top", fontsize=style.FONT["small"], family="monospace")
    why = "\n".join(f"T{a} → T{b} ({kind}): {reason}" for a, kind, b, reason in cycle)
    ax.text(0.0, 0.0, why, transform=ax.transAxes, ha="left", va="bottom", fontsize=style.FONT["small"])
    ax.set_xlim(-1.6, 1.6)
    low = min(y for _, y in pos.values()) - 0.45 - 0.11 * len(cycle)     # room for the labels and reasons
    ax.set_ylim(low, 1.1 if n > 2 else 0.65)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"{name}: a cycle of {n} transaction{'s' * (n != 1)}", fontsize=style.FONT["title"], loc="left")
    return ax
