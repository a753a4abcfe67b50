"""The system model S = (P, C, M): processes, channels, messages; local and global state.

A distributed system is a triple ``S = (P, C, M)``: a finite set of processes ``P``, a set
of directed channels ``C`` between them, and the set ``M`` of messages the processes may
exchange (the protocol's vocabulary). At run time the part of ``M`` that matters is the
part on the wire: a :class:`SystemModel` taken from a trace at time ``t`` holds the messages
*in flight* then. Each process has a *local state* (本地状态); the *global state* (全局状态) is
the local states together with the messages still in the channels, and no process can
read it in one instant.

What can be had is a *cut* (割): a prefix of every process's history. A cut is
*consistent* when it holds every send whose receive it holds, that is when it is closed
under happens-before; only consistent cuts are global states that could have been seen
[1]_. :func:`is_consistent` checks a cut and names the offending receive;
:func:`global_state` reads the local states and channel contents of a cut, as the
Chandy-Lamport snapshot records them.

References
----------
.. [1] K. M. Chandy and L. Lamport, "Distributed snapshots: determining global states of
   distributed systems", ACM Transactions on Computer Systems 3(1), 1985.

Examples
--------
>>> from dsysedu import Scenario, run
>>> from dsysedu.protocols.basics.toys import PingEcho
>>> trace = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}), seed=1)
>>> model = SystemModel.from_trace(trace, t=0.105)
>>> model.processes, len(model.channels), len(model.messages)
((0, 1, 2), 6, 2)
>>> bool(is_consistent(trace, cut_at(trace, 0.05)))
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import networkx as nx

from dsysedu.check import Verdict
from dsysedu.sim.validate import number
from dsysedu.sim.trace import PROCESS_KINDS, Trace

__all__ = ["InFlight", "SystemModel", "process_events", "local_view", "cut_at", "is_consistent",
           "global_state", "consistent_cuts"]


@dataclass(frozen=True)
class InFlight:
    """One message of ``M`` on its channel ``src -> dst``: sent, not yet received."""
    msg_id: int
    src: Any
    dst: Any
    msg: Any
    send_time: float


@dataclass(frozen=True)
class SystemModel:
    """``S = (P, C, M)`` at one instant: processes, directed channels, and the messages of ``M`` in flight.

    Parameters
    ----------
    processes : sequence of node ids
        ``P``; at least one, distinct.
    channels : sequence of (src, dst) pairs, or None
        ``C``; each pair is a one-way channel between two processes of ``P``. ``None``
        means every ordered pair of distinct processes (a complete network).
    messages : sequence of InFlight
        The messages of ``M`` on the channels at this instant (the runtime view of ``M``); each
        must travel on a channel of ``C``.

    Raises
    ------
    ValueError
        If a channel or a message names a process outside ``P`` or a channel outside ``C``.

    Examples
    --------
    >>> s = SystemModel((0, 1, 2), channels=[(0, 1), (1, 2)])
    >>> s.graph.number_of_edges(), s.is_connected()   # one-way: 2 cannot reach 0
    (2, False)
    >>> SystemModel((0, 1, 2)).is_connected()           # channels=None: every ordered pair
    True
    """
    processes: tuple
    channels: tuple | None = None
    messages: tuple = ()

    def __post_init__(self):
        procs = tuple(self.processes)
        if not procs:
            raise ValueError("processes: P must hold at least one process")
        if len(set(procs)) != len(procs):
            raise ValueError(f"processes: the ids must be distinct, got {list(procs)}")
        object.__setattr__(self, "processes", procs)
        known = set(procs)
        if self.channels is None:
            chans = tuple((u, v) for u in procs for v in procs if u != v)
        else:
            chans = []
            for c in self.channels:
                if not (isinstance(c, tuple) and len(c) == 2):
                    raise TypeError(f"channels must be (src, dst) pairs, got {c!r}")
                if c[0] not in known or c[1] not in known:
                    raise ValueError(f"channel {c!r} names a process outside P = {list(procs)}")
                if c[0] == c[1]:
                    raise ValueError(f"channel {c!r} goes from a process to itself; channels join two processes")
                chans.append(c)
            chans = tuple(dict.fromkeys(chans))
        object.__setattr__(self, "channels", chans)
        cset = set(chans)
        msgs = tuple(self.messages)
        for m in msgs:
            if not isinstance(m, InFlight):
                raise TypeError(f"messages must be InFlight records, got {m!r}")
            if (m.src, m.dst) not in cset:
                raise ValueError(f"message {m.msg_id} travels on {m.src!r} -> {m.dst!r}, which is not a channel "
                                 f"of C (channels: {list(chans)})")
        object.__setattr__(self, "messages", msgs)

    @classmethod
    def from_trace(cls, trace: Trace, t: float) -> "SystemModel":
        """The system of a run at time ``t``: its nodes, its links both ways, the messages on the wire.

        Messages from outside (inputs) and a node's messages to itself are left out of ``M``.
        """
        t = number("t", t, low=0.0)
        graph = trace.graph if trace.graph is not None else nx.complete_graph(trace.nodes)
        chans = tuple(sorted({(u, v) for a, b in graph.edges for u, v in ((a, b), (b, a))}, key=repr))
        msgs = tuple(InFlight(m["msg_id"], m["src"], m["dst"], m["msg"], m["send_time"])
                     for m in trace.in_flight(t) if m["src"] is not None and m["src"] != m["dst"])
        return cls(trace.nodes, chans, msgs)

    @property
    def graph(self) -> nx.DiGraph:
        """``P`` as nodes, ``C`` as edges; each edge's ``in_flight`` lists its messages of ``M``."""
        g = nx.DiGraph()
        g.add_nodes_from(self.processes)
        for u, v in self.channels:
            g.add_edge(u, v, in_flight=[])
        for m in self.messages:
            g.edges[m.src, m.dst]["in_flight"].append(m)
        return g

    def is_connected(self) -> bool:
        """Can every process reach every other along channels? (strong connectivity)"""
        return nx.is_strongly_connected(self.graph)


# -- histories and cuts ------------------------------------------------------------

def process_events(trace: Trace) -> dict:
    """Each process's history: node -> list of the ``seq`` of its steps, in order.

    A step is an event that ticks the node's logical clocks (start, send, deliver, timer
    fire, observe, crash, recover), the events a cut is made of.
    """
    out = {n: [] for n in trace.nodes}
    for seq, r in enumerate(trace.rows):
        if r[1] in PROCESS_KINDS and r[2] in out:
            out[r[2]].append(seq)
    return out


def local_view(trace: Trace, node, until: float | None = None, times: bool = True) -> list:
    """What ``node`` itself saw: its own steps ``(time, kind, peer, message or key, value)`` up to ``until``.

    This is all the information a process has. Two runs in which a node's local view is the
    same are runs that the node cannot tell apart. ``times=False`` drops the timestamps.
    """
    if node not in trace.nodes:
        raise ValueError(f"unknown node {node!r}; nodes are {list(trace.nodes)}")
    out = []
    for r in trace.rows:
        if until is not None and r[0] > until:
            break
        if r[2] == node and r[1] in PROCESS_KINDS and r[1] != "crash":
            item = (r[1], r[3], r[5], r[6])
            out.append((r[0], *item) if times else item)
    return out


def cut_at(trace: Trace, times) -> dict:
    """The cut of the steps at or before a time per process: node -> how many of its steps.

    Parameters
    ----------
    times : float or dict node -> float
        One time for all processes (a cut at one instant of true time is always consistent),
        or a time per process (which may not be).
    """
    hist = process_events(trace)
    if isinstance(times, Mapping):
        unknown = set(times) - set(trace.nodes)
        if unknown:
            raise ValueError(f"cut_at: unknown nodes {sorted(unknown, key=repr)}; nodes are {list(trace.nodes)}")
        per = {n: number(f"times[{n!r}]", times.get(n, trace.end_time)) for n in trace.nodes}
    else:
        t = number("times", times)
        per = {n: t for n in trace.nodes}
    return {n: sum(1 for s in hist[n] if trace.rows[s][0] <= per[n]) for n in trace.nodes}


def _check_cut(trace, cut, hist):
    if not isinstance(cut, Mapping):
        raise TypeError(f"a cut is a dict node -> number of that node's steps, got {cut!r}")
    for n, k in cut.items():
        if n not in hist:
            raise ValueError(f"cut names unknown node {n!r}; nodes are {list(trace.nodes)}")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(hist[n]):
            raise ValueError(f"cut[{n!r}] must be an int from 0 to {len(hist[n])} (node {n!r} has "
                             f"{len(hist[n])} steps), got {k!r}")


def _members(trace, cut, hist) -> set:
    return {s for n, ss in hist.items() for s in ss[:cut.get(n, 0)]}


def is_consistent(trace: Trace, cut: Mapping) -> Verdict:
    """Is the cut consistent: does it hold the send of every receive it holds?

    Returns a :class:`~dsysedu.check.Verdict`; when violated, its events are the first receive
    whose send lies outside the cut, and that send.

    Examples
    --------
    >>> from dsysedu.sim import Trace
    >>> rows = [(0.0, "send", 0, 1, 0, "m", None), (0.1, "deliver", 1, 0, 0, "m", None)]
    >>> is_consistent(Trace([0, 1], rows), {0: 0, 1: 1}).ok
    False
    """
    hist = process_events(trace)
    _check_cut(trace, cut, hist)
    inside = _members(trace, cut, hist)
    send_of = {r[4]: s for s, r in enumerate(trace.rows) if r[1] == "send"}
    for s in sorted(inside):
        r = trace.rows[s]
        if r[1] == "deliver" and r[4] in send_of and send_of[r[4]] not in inside:
            return Verdict(False, "consistent cut",
                           f"node {r[2]!r} received message {r[4]} from node {r[3]!r}, but the cut does not hold "
                           f"its send (an effect without its cause)", (send_of[r[4]], s))
    return Verdict(True, "consistent cut", f"every receive in the cut ({len(inside)} steps) has its send in the cut")


def global_state(trace: Trace, cut: Mapping, keys=None) -> dict:
    """The global state a cut describes: local states plus channel contents.

    Returns ``{"local": {node: {key: last observed value}}, "channels": {(src, dst): [messages]},
    "consistent": bool}``. Channel contents are the messages sent inside the cut and not
    received inside it, as a Chandy-Lamport snapshot records them. ``keys`` limits the
    observed keys reported.
    """
    hist = process_events(trace)
    _check_cut(trace, cut, hist)
    inside = _members(trace, cut, hist)
    local = {n: {} for n in trace.nodes}
    sent, received = {}, set()
    for s in sorted(inside):
        time, kind, node, peer, mid, data, value = trace.rows[s]
        if kind == "observe" and (keys is None or data in keys):
            local[node][data] = value
        elif kind == "send":
            sent[mid] = (node, peer, data)
        elif kind == "deliver":
            received.add(mid)
    channels: dict = {}
    for mid, (src, dst, msg) in sorted(sent.items()):
        if mid not in received and src != dst:
            channels.setdefault((src, dst), []).append(msg)
    return {"local": local, "channels": channels, "consistent": is_consistent(trace, cut).ok}


def consistent_cuts(trace: Trace, limit: int = 100_000) -> list[dict]:
    """Every consistent cut of a (small) run, found by search from the empty cut.

    The consistent cuts form a lattice: from a consistent cut, adding the next step of one
    process keeps it consistent unless that step is a receive whose send is missing.

    Raises
    ------
    ValueError
        If there are more than ``limit`` cuts (the search stops there: never a hang).
    """
    hist = process_events(trace)
    nodes = list(trace.nodes)
    send_of = {r[4]: s for s, r in enumerate(trace.rows) if r[1] == "send"}
    owner = {s: (n, i) for n, ss in hist.items() for i, s in enumerate(ss)}
    start = tuple(0 for _ in nodes)
    seen, frontier = {start}, [start]
    while frontier:
        cut = frontier.pop()
        for j, n in enumerate(nodes):
            k = cut[j]
            if k >= len(hist[n]):
                continue
            r = trace.rows[hist[n][k]]
            if r[1] == "deliver" and r[4] in send_of:
                sn, si = owner[send_of[r[4]]]
                if cut[nodes.index(sn)] <= si:
                    continue
            nxt = cut[:j] + (k + 1,) + cut[j + 1:]
            if nxt not in seen:
                seen.add(nxt)
                if len(seen) > limit:
                    raise ValueError(f"more than limit={limit} consistent cuts; use a shorter run or raise the limit")
                frontier.append(nxt)
    return [dict(zip(nodes, c)) for c in sorted(seen)]
