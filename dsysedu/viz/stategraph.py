"""The reachable state graph of a small model: every state a dot, every action an arrow.

This is the object a model checker walks. Columns are distances from the initial state
(breadth-first layers), so a breadth-first search sweeps the picture from left to right
and a shortest counterexample runs left to right along its highlighted path. Bad states
(where the property fails) are red. Only for small models: a few hundred states at most.
"""
from __future__ import annotations

from matplotlib.lines import Line2D

from dsysedu.viz import style

__all__ = ["state_graph"]

STATE = style.OKABE_ITO["blue"]
PATH = style.OKABE_ITO["orange"]
BAD = style.FAULT


def state_graph(model_or_result, ax=None, bad=None, path=None, label=None, max_states: int = 300,
                symmetry: bool = False, title: str | None = None):
    """Draw the reachable states and transitions of a small model.

    Parameters
    ----------
    model_or_result : Model or Result
        A Result brings its model and its path (counterexample or witness).
    ax : matplotlib Axes, optional
    bad : callable(StateReader) -> bool or Property, optional
        States to paint red. A Property means: the states where an invariant fails (or, for
        ``reachable``, where the predicate holds). Default for a Result: the path's last state
        when it is a violation.
    path : sequence of states, optional
        States to join with a thick line (default: the Result's ``states_on_path``).
    label : callable(StateReader) -> str, optional
        A short text per state (drawn for up to 60 states).
    max_states : int
        Refuse (ValueError) to draw more states than this.
    symmetry : bool
        Draw one state per symmetry class.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        With ``ax.dsysedu_counts`` = ``{"states", "transitions", "bad", "path"}``.

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> from dsysedu.protocols.transactions.twopc import twopc_model, atomicity, MajorityCoordinator
    >>> r = check(twopc_model(3, MajorityCoordinator), atomicity)
    >>> state_graph(r, bad=atomicity, symmetry=True).dsysedu_counts
    {'states': 198, 'transitions': 604, 'bad': 6, 'path': 6}
    """
    from dsysedu.check.model_checker.result import Result
    from dsysedu.check.model_checker.search import Property
    from dsysedu.check.model_checker.state import Model, StateReader
    from dsysedu.check.model_checker import reachable_graph

    result = model_or_result if isinstance(model_or_result, Result) else None
    model = result.model if result is not None else model_or_result
    if not isinstance(model, Model):
        raise TypeError(f"state_graph takes a Model or a Result, got {model_or_result!r}")
    g = reachable_graph(model, max_states=max_states, symmetry=symmetry)
    if path is None and result is not None and result.states_on_path is not None:
        path = result.states_on_path
    path = list(path or ())
    if symmetry and model.symmetric and path:
        from dsysedu.check.model_checker.symmetry import Symmetry
        canon = Symmetry(model).canonical
        path = [canon(k) for k in path]
    if isinstance(bad, Property):
        pred = bad.predicate
        bad = (lambda s: not pred(s)) if bad.kind == "invariant" else pred
    if bad is not None and not callable(bad):
        raise TypeError(f"bad must be a predicate or a Property, got {bad!r}")
    bad_states = {k for k in g.nodes if bad is not None and bad(StateReader(model, k))}
    if bad is None and result is not None and result.verdict == "violation" and path:
        bad_states = {path[-1]}

    # columns by depth; within a column, order by the mean row of the predecessors
    layers: dict = {}
    for k, d in g.nodes(data="depth"):
        layers.setdefault(d, []).append(k)
    row: dict = {}
    for d in sorted(layers):
        def bary(k):
            preds = [row[p] for p in g.predecessors(k) if p in row and p != k]
            return sum(preds) / len(preds) if preds else 0.0
        members = sorted(layers[d], key=bary) if d else layers[d]
        n = len(members)
        for j, k in enumerate(members):
            row[k] = j - (n - 1) / 2
    pos = {k: (g.nodes[k]["depth"], row[k]) for k in g.nodes}

    if ax is None:
        import matplotlib.pyplot as plt
        width = min(14.0, 3.0 + 0.9 * len(layers))
        height = min(9.0, 2.0 + 0.32 * max(len(v) for v in layers.values()))
        _fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    on_path = set(zip(path, path[1:]))
    for a, b in {(a, b) for a, b in g.edges() if a != b}:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        hot = (a, b) in on_path
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=PATH if hot else style.EDGE,
                                    lw=2.6 if hot else 0.6, alpha=1.0 if hot else 0.55, shrinkA=4, shrinkB=4,
                                    mutation_scale=9 if hot else 6),
                    zorder=3 if hot else 1)
    ordinary = [k for k in g.nodes if k not in bad_states]
    size = 70 if g.number_of_nodes() <= 60 else 28
    ax.scatter([pos[k][0] for k in ordinary], [pos[k][1] for k in ordinary], s=size, color=STATE,
               edgecolor="white", linewidth=0.6, zorder=4)
    if bad_states:
        ax.scatter([pos[k][0] for k in bad_states], [pos[k][1] for k in bad_states], s=size * 1.6, color=BAD,
                   marker="X", edgecolor="black", linewidth=0.6, zorder=5)
    init = g.graph["initial"]
    ax.scatter([pos[init][0]], [pos[init][1]], s=size * 2.2, facecolor="none", edgecolor="black",
               linewidth=1.4, zorder=6)
    if path:
        ax.scatter([pos[k][0] for k in path if k in pos], [pos[k][1] for k in path if k in pos], s=size * 1.9,
                   facecolor="none", edgecolor=PATH, linewidth=1.6, zorder=6)
    if label is not None and g.number_of_nodes() <= 60:
        for k in g.nodes:
            ax.annotate(str(label(StateReader(model, k))), pos[k], xytext=(0, 7), textcoords="offset points",
                        ha="center", va="bottom", fontsize=style.FONT["small"], zorder=7)
    depth_max = max(layers)
    ax.set_xticks(range(depth_max + 1))
    ax.tick_params(axis="x", labelsize=style.FONT["tick"])
    ax.set_yticks([])
    ax.set_xlabel("actions from the initial state (BFS layer)", fontsize=style.FONT["label"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    counts = {"states": g.number_of_nodes(), "transitions": g.number_of_edges(), "bad": len(bad_states),
              "path": max(len(path) - 1, 0)}
    head = title or model.name or "state graph"
    ax.set_title(f"{head}\n{counts['states']} states, {counts['transitions']} transitions"
                 + (f", {counts['bad']} bad" if bad_states else "")
                 + (f", path of {counts['path']} actions" if path else ""), fontsize=style.FONT["title"])
    handles = [Line2D([], [], marker="o", ls="", color="black", markerfacecolor="none", markersize=9,
                      label="initial state"),
               Line2D([], [], marker="o", ls="", color=STATE, markersize=7, label="state")]
    if bad_states:
        handles.append(Line2D([], [], marker="X", ls="", color=BAD, markeredgecolor="black", markersize=9,
                              label="bad state"))
    if path:
        handles.append(Line2D([], [], color=PATH, lw=2.6, label="counterexample" if result is None or
                              result.verdict != "ok" else "witness"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              fontsize=style.FONT["legend"])
    ax.dsysedu_counts = counts
    return ax
