"""Clocks on the space-time diagram: physical, Lamport and vector, and where they disagree.

Each node's physical clock reads ``offset + (1 + drift) * t`` (plus any jumps), as
:class:`~dsysedu.sim.Scenario` sets it; no two agree. Happens-before (发生在先, Lamport [1]_)
is the order that messages and program order impose. Three facts to check on a run:

* physical timestamps can contradict it: a message can be received "before" it was sent,
  by the two clocks' readings;
* Lamport clocks never contradict it (``a -> b`` implies ``L(a) < L(b)``), but they order
  concurrent events too, so ``L(a) < L(b)`` does not imply ``a -> b``;
* vector clocks characterize it exactly (Fidge [2]_, Mattern [3]_): ``a -> b`` if and only
  if ``V(a) < V(b)``.

:func:`causality_graph` rebuilds happens-before from the trace alone (program order plus
send-to-receive edges, then reachability), so the clocks are checked against something
they were not computed from. :func:`clocks_view` draws the run twice: in true time with
the logical clocks written on it (the engine's :func:`~dsysedu.viz.spacetime`), and in the
nodes' own clock readings, where a contradicted message points backwards.

References
----------
.. [1] L. Lamport, "Time, clocks, and the ordering of events in a distributed system",
   Communications of the ACM 21(7), 1978.
.. [2] C. J. Fidge, "Timestamps in message-passing systems that preserve the partial
   ordering", 11th Australian Computer Science Conference, 1988.
.. [3] F. Mattern, "Virtual time and global states of distributed systems", Parallel and
   Distributed Algorithms, 1989.
"""
from __future__ import annotations

from typing import Mapping

import networkx as nx
import pandas as pd

from dsysedu.sim.validate import number
from dsysedu.sim.trace import PROCESS_KINDS, Trace
from dsysedu.viz import style
from ._index import as_trace
from .spacetime import spacetime

__all__ = ["physical_stamps", "spread_offsets", "clock_table", "causality_graph", "clock_comparison",
           "skew_table", "clocks_view", "skew_and_drift_view"]

_KINDS = ("send", "deliver")


def _per_node(name, value, nodes, low=None, high=None) -> dict:
    if isinstance(value, Mapping):
        unknown = set(value) - set(nodes)
        if unknown:
            raise ValueError(f"{name} names unknown nodes {sorted(unknown, key=repr)}; nodes are {list(nodes)}")
        return {n: number(f"{name}[{n!r}]", value.get(n, 0.0), low=low, high=high) for n in nodes}
    v = number(name, value, low=low, high=high)
    return {n: v for n in nodes}


def physical_stamps(trace: Trace, clock_offset=0.0, clock_drift=0.0) -> list:
    """Each event's physical timestamp on its own node's clock (None for events of no node).

    The reading is ``offset + (1 + drift) * t`` plus the ``clock_jump`` events so far (and the
    rate changes of ``clock_drift`` events, which keep the reading continuous), the
    clock that :meth:`~dsysedu.sim.Context.clock` gives a handler. Offsets and drifts are a
    number for all nodes or a dict node -> number, as in :class:`~dsysedu.sim.Scenario`.

    Examples
    --------
    >>> from dsysedu.sim import Trace
    >>> tr = Trace([0, 1], [(1.0, "send", 0, 1, 0, "m", None), (1.1, "deliver", 1, 0, 0, "m", None)])
    >>> physical_stamps(tr, clock_offset={0: 0.2, 1: 0.0})
    [1.2, 1.1]
    """
    offset = _per_node("clock_offset", clock_offset, trace.nodes)
    drift = dict(_per_node("clock_drift", clock_drift, trace.nodes, low=-0.5, high=0.5))
    offset = dict(offset)
    jump = {n: 0.0 for n in trace.nodes}
    out = []
    for r in trace.rows:
        t, kind, node = r[0], r[1], r[2]
        if kind == "clock_jump" and node in jump:
            jump[node] += r[6]
        elif kind == "clock_drift" and node in drift:
            offset[node] += (drift[node] - r[6]) * t
            drift[node] = r[6]
        out.append(offset[node] + (1.0 + drift[node]) * t + jump[node] if node in offset else None)
    return out


def spread_offsets(nodes, skew: float) -> dict:
    """Clock offsets spread evenly over ``[-skew/2, skew/2]``: the first node behind, the last ahead.

    Examples
    --------
    >>> spread_offsets([0, 1, 2], 0.02)
    {0: -0.01, 1: 0.0, 2: 0.01}
    """
    skew = number("skew", skew, low=0.0)
    nodes = list(nodes)
    if len(nodes) == 1:
        return {nodes[0]: 0.0}
    return {n: round(skew * (i / (len(nodes) - 1) - 0.5), 12) for i, n in enumerate(nodes)}


def _events(trace, kinds):
    kinds = tuple(kinds)
    bad = set(kinds) - PROCESS_KINDS
    if bad:
        raise ValueError(f"kinds must be process steps {sorted(PROCESS_KINDS)}, got {sorted(bad)}")
    return [s for s, r in enumerate(trace.rows) if r[1] in kinds and r[2] in trace.nodes]


def clock_table(trace, clock_offset=0.0, clock_drift=0.0, kinds=_KINDS) -> pd.DataFrame:
    """One row per event of the given kinds: ``seq, node, kind, time, physical, lamport, vector``."""
    trace = as_trace(trace)
    phys = physical_stamps(trace, clock_offset, clock_drift)
    lam, vc = trace.clocks()
    rows = [{"seq": s, "node": trace.rows[s][2], "kind": trace.rows[s][1], "time": trace.rows[s][0],
             "physical": phys[s], "lamport": lam[s], "vector": vc[s]} for s in _events(trace, kinds)]
    return pd.DataFrame(rows, columns=["seq", "node", "kind", "time", "physical", "lamport", "vector"])


def causality_graph(trace) -> nx.DiGraph:
    """Happens-before as a graph, built without clocks: one vertex per process step (its ``seq``),
    an edge from each step to the next step of the same node, and from each send to its receives.

    ``a`` happens before ``b`` exactly when there is a path from ``a`` to ``b``.
    """
    trace = as_trace(trace)
    g = nx.DiGraph()
    last: dict = {}
    send_of: dict = {}
    for s, r in enumerate(trace.rows):
        kind, node, mid = r[1], r[2], r[4]
        if kind not in PROCESS_KINDS or node not in trace.nodes:
            continue
        g.add_node(s, node=node, kind=kind)
        if node in last:
            g.add_edge(last[node], s)
        last[node] = s
        if kind == "send":
            send_of[mid] = s
        elif kind == "deliver" and mid in send_of:
            g.add_edge(send_of[mid], s)
    return g


def clock_comparison(trace, clock_offset=0.0, clock_drift=0.0, kinds=_KINDS) -> dict:
    """Compare physical, Lamport and vector clocks with happens-before on every pair of events.

    Returns
    -------
    dict
        ``pairs`` (unordered pairs of events of ``kinds``), ``ordered`` (pairs related by
        happens-before), ``concurrent``; ``physical_contradictions``: pairs ``a -> b`` whose
        physical stamps say ``b`` came strictly first; ``lamport_contradictions``: pairs
        ``a -> b`` with ``L(a) >= L(b)`` (always 0); ``lamport_orders_concurrent``: concurrent
        pairs to which Lamport clocks give different values (an order that is not causal);
        ``vector_mismatches``: pairs where ``V(a) < V(b)`` disagrees with ``a -> b`` (always 0);
        ``contradicted``: the contradicted ``(a, b)`` seq pairs; ``backward_messages``: the
        messages received, by the clocks' readings, before they were sent, as ``(send, receive)``.

    Examples
    --------
    >>> from dsysedu.sim import Trace
    >>> tr = Trace([0, 1], [(1.0, "send", 0, 1, 0, "m", None), (1.1, "deliver", 1, 0, 0, "m", None)])
    >>> c = clock_comparison(tr, clock_offset={0: 0.2, 1: 0.0})
    >>> c["physical_contradictions"], c["lamport_contradictions"], c["backward_messages"]
    (1, 0, [(0, 1)])
    """
    trace = as_trace(trace)
    phys = physical_stamps(trace, clock_offset, clock_drift)
    lam, vc = trace.clocks()
    events = _events(trace, kinds)
    g = causality_graph(trace)
    reach = {s: nx.descendants(g, s) for s in events}
    less = lambda a, b: a != b and all(x <= y for x, y in zip(a, b))  # noqa: E731
    counts = dict(pairs=0, ordered=0, concurrent=0, physical_contradictions=0, lamport_contradictions=0,
                  lamport_orders_concurrent=0, vector_mismatches=0)
    contradicted = []
    for i, a in enumerate(events):
        for b in events[i + 1:]:
            counts["pairs"] += 1
            ab, ba = b in reach[a], a in reach[b]
            for x, y, hb in ((a, b, ab), (b, a, ba)):
                if less(vc[x], vc[y]) != hb:
                    counts["vector_mismatches"] += 1
                if hb:
                    counts["ordered"] += 1
                    if lam[x] >= lam[y]:
                        counts["lamport_contradictions"] += 1
                    if phys[y] < phys[x]:
                        counts["physical_contradictions"] += 1
                        contradicted.append((x, y))
            if not ab and not ba:
                counts["concurrent"] += 1
                if lam[a] != lam[b]:
                    counts["lamport_orders_concurrent"] += 1
    send_of = {r[4]: s for s, r in enumerate(trace.rows) if r[1] == "send"}
    backward = [(send_of[r[4]], s) for s, r in enumerate(trace.rows)
                if r[1] == "deliver" and r[4] in send_of and phys[s] < phys[send_of[r[4]]]]
    return {**counts, "contradicted": contradicted, "backward_messages": backward}


def skew_table(trace, skews, clock_drift=0.0, kinds=_KINDS) -> pd.DataFrame:
    """:func:`clock_comparison` of one run for several clock skews (offsets from :func:`spread_offsets`).

    The run does not change (its handlers never read the physical clock); only the stamps do.
    Columns: ``skew, physical_contradictions, backward_messages, lamport_contradictions, concurrent``.
    """
    trace = as_trace(trace)
    rows = []
    for skew in skews:
        c = clock_comparison(trace, spread_offsets(trace.nodes, skew), clock_drift, kinds)
        rows.append({"skew": float(skew), "physical_contradictions": c["physical_contradictions"],
                     "backward_messages": len(c["backward_messages"]),
                     "lamport_contradictions": c["lamport_contradictions"], "concurrent": c["concurrent"]})
    return pd.DataFrame(rows)


def _restamped(trace, phys) -> Trace:
    """The same events, each at its node's physical clock reading (events of no node keep true time)."""
    rows = [(r[0] if p is None else p,) + tuple(r[1:]) for r, p in zip(trace.rows, phys)]
    end = max([0.0] + [p for p in phys if p is not None])
    return Trace(trace.nodes, rows, graph=trace.graph, seed=trace.seed, end_time=end, ended_by="quiescent")


def clocks_view(trace, clock_offset=0.0, clock_drift=0.0, stamps="lamport", t_range=None, fig=None):
    """Two space-time diagrams of one run: true time with logical clocks, and the nodes' own clocks.

    Top: the run in true time, each send and receive labelled with its Lamport (or vector)
    clock. Bottom: the same events placed at their physical timestamps; a message whose
    receive is stamped before its send points backwards and is ringed. The titles count
    the pairs ``a -> b`` that the physical stamps put the other way round.

    Parameters
    ----------
    trace : Trace
    clock_offset, clock_drift : float or dict node -> float
        The nodes' clocks, as in :class:`~dsysedu.sim.Scenario`.
    stamps : "lamport" or "vector"
    t_range : (float, float), optional
        The stretch of true time to show (the bottom panel shows the same events).
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.dsysedu_comparison``, the :func:`clock_comparison` it drew.

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}), seed=1)
    >>> fig = clocks_view(tr, clock_offset={0: 0.0, 1: 0.02, 2: -0.02})
    """
    import matplotlib.pyplot as plt
    trace = as_trace(trace)
    if stamps not in ("lamport", "vector"):
        raise ValueError(f"stamps must be 'lamport' or 'vector', got {stamps!r}")
    comp = clock_comparison(trace, clock_offset, clock_drift)
    phys = physical_stamps(trace, clock_offset, clock_drift)
    if fig is None:
        fig = plt.figure(figsize=(11, 2 * max(2.6, 0.55 * len(trace.nodes) + 1.4)), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    name = "Lamport" if stamps == "lamport" else "vector"
    spacetime(trace, ax=top, stamps=stamps, t_range=t_range, legend=True,
              title=f"true time, {name} clocks: {comp['lamport_contradictions']} pairs out of causal order")
    ringed = sorted({s for pair in comp["backward_messages"] for s in pair})
    shifted = _restamped(trace, phys)
    lo, hi = (-float("inf"), float("inf")) if t_range is None else t_range
    inside = [p for r, p in zip(trace.rows, phys) if p is not None and lo <= r[0] <= hi]
    p_range = None
    if inside:  # the readings can start below 0 (a clock behind) and end past the last true time
        pad = 0.01 * (max(inside) - min(inside) or 1.0)
        p_range = (min(inside) - pad, max(inside) + pad)
    spacetime(shifted, ax=bottom, highlight=ringed or None, t_range=p_range, legend=True,
              title=(f"physical clocks: {comp['physical_contradictions']} of {comp['ordered']} causal pairs "
                     f"stamped the wrong way round; {len(comp['backward_messages'])} messages received "
                     "'before' they were sent (ringed)"))
    bottom.set_xlabel("the node's own clock reading (s)", fontsize=style.FONT["label"])
    fig.dsysedu_comparison = comp
    return fig


def skew_and_drift_view(trace, skew_ms: float = 30.0, drift_percent: float = 0.0):
    """:func:`clocks_view` (vector stamps) in the units of two sliders: the clocks spread over
    ``skew_ms`` milliseconds (:func:`spread_offsets`), and the last node's clock also running
    ``drift_percent`` % fast (or slow, when negative).

    Only these three parameters, so that ``ipywidgets.interact`` makes exactly two sliders.
    Returns the Figure.

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}), seed=1)
    >>> fig = skew_and_drift_view(tr, skew_ms=20, drift_percent=5)
    """
    last = list(trace.nodes)[-1]
    return clocks_view(trace, spread_offsets(trace.nodes, skew_ms / 1000), {last: drift_percent / 100}, stamps="vector")
