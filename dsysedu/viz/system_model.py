"""The system model S = (P, C, M) of chapter 2.1 drawn: processes, channels, messages in flight, and cuts."""
from __future__ import annotations

import networkx as nx

from dsysedu.viz import style

__all__ = ["system_model_view", "cuts_view"]


def system_model_view(system, ax=None, seed=0, title=None):
    """Draw a :class:`~dsysedu.formal.system_model.SystemModel`: ``P`` as circles, ``C`` as arrows,
    and the names of the messages ``M`` in flight on each channel.

    Returns the matplotlib Axes. ``seed`` fixes the layout.
    """
    g = system.graph
    if ax is None:
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    pos = style.layout(nx.Graph(g), seed=seed)
    busy = [(u, v) for u, v, d in g.edges(data=True) if d["in_flight"]]
    idle = [(u, v) for u, v, d in g.edges(data=True) if not d["in_flight"]]
    arc = "arc3,rad=0.12"  # both directions of a link side by side
    nx.draw_networkx_edges(g, pos, edgelist=idle, ax=ax, edge_color=style.EDGE, arrows=True,
                           connectionstyle=arc, arrowsize=12, node_size=900)
    nx.draw_networkx_edges(g, pos, edgelist=busy, ax=ax, edge_color=style.OKABE_ITO["blue"], width=2.2,
                           arrows=True, connectionstyle=arc, arrowsize=14, node_size=900)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=style.OKABE_ITO["sky_blue"], node_size=900,
                           edgecolors="black", linewidths=0.8)
    nx.draw_networkx_labels(g, pos, ax=ax, labels={p: f"p{p}" for p in g}, font_size=style.FONT["node"])
    for u, v in busy:
        (x0, y0), (x1, y1) = pos[u], pos[v]
        # label the arrow near its head, offset to the side its arc bends to
        x, y = x0 + 0.62 * (x1 - x0), y0 + 0.62 * (y1 - y0)
        dx, dy = (y1 - y0) * 0.12, -(x1 - x0) * 0.12
        names = ", ".join(type(m.msg).__name__ for m in g.edges[u, v]["in_flight"])
        ax.text(x + dx, y + dy, names, fontsize=style.FONT["small"], ha="center", va="center",
                color=style.OKABE_ITO["blue"], bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
    ax.set_axis_off()
    head = f"|P| = {len(system.processes)}, |C| = {len(system.channels)}, |M| in flight = {len(system.messages)}"
    ax.set_title(head if title is None else f"{title}\n{head}", fontsize=style.FONT["title"], loc="left")
    return ax


def cuts_view(trace, cuts, ax=None, **spacetime_args):
    """A space-time diagram of ``trace`` with cuts drawn across it, one black line each.

    Parameters
    ----------
    trace : Trace
    cuts : mapping label -> float or mapping node -> float
        Each cut: one time for every node, or a time per node (a cut need not be straight).
        Lines are solid, then dashed, then dotted, and named in a legend to the right.
    ax : matplotlib Axes, optional
    **spacetime_args
        Passed to :func:`dsysedu.viz.spacetime.spacetime` (``t_range``, ``highlight``, ``title``...).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 1}), seed=1)
    >>> ax = cuts_view(tr, {"straight": 0.01, "bent": {0: 0.01, 1: 0.03, 2: 0.01}})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['straight', 'bent']
    """
    from dsysedu.viz.spacetime import spacetime

    ax = spacetime(trace, ax=ax, legend=False, **spacetime_args)
    nodes = list(trace.nodes)
    for (label, times), line in zip(cuts.items(), ("-", "--", ":", "-.") * 4):
        at = [times[n] if hasattr(times, "__getitem__") else times for n in nodes]
        ax.plot(at, range(len(nodes)), line, color="black", lw=1.5, label=label)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.FONT["legend"], frameon=False)
    return ax
