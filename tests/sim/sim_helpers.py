"""Test-only protocols, hypothesis strategies and trace helpers for the engine tests.

Imported by the test files of ``tests/sim`` as a plain module (pytest puts this folder on
``sys.path`` because it has no ``__init__.py``).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import networkx as nx
from hypothesis import strategies as st

from dsysedu.sim import (ClockDrift, ClockJump, Constant, Crash, CutLink, Exponential, Input, LinkModel, LogNormal, Node,
                         Partition, Pause, Scenario, Slow, Uniform)
from dsysedu.sim.faults import FAULT_KINDS
from dsysedu.sim.trace import PROCESS_KINDS

# --------------------------------------------------------------------------- protocols


@dataclass(frozen=True)
class Chat:
    sender: object
    seq: int
    hops: int


@dataclass(frozen=True)
class Note:
    """A message sent by a test driver from outside the system."""
    text: str


TIMER_NAMES = ("a", "b", ("t", 1))


class Chatter(Node):
    """Random traffic: random messages to random peers (and itself), random timers set,
    replaced and cancelled, values observed; every choice comes from ``ctx.rng``.

    Activity is bounded: replies stop after a few hops and each timer re-arms itself with
    a delay of at least ``min_delay``.
    """

    durable = ("sent",)

    def __init__(self, node_id, peers=(), min_delay=0.03, max_delay=0.3, max_hops=2):
        super().__init__(node_id, peers)
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.max_hops = max_hops
        self.sent = 0      # durable: survives a crash
        self.heard = 0     # volatile: resets on recovery

    def _targets(self):
        return self.peers + (self.id,)

    def _send_some(self, ctx, hops, k):
        r = ctx.rng
        for _ in range(k):
            dst = r.choice(self._targets())
            self.sent += 1
            kind = r.random()
            if kind < 0.7:
                msg = Chat(self.id, self.sent, hops)
            elif kind < 0.8:
                msg = ("pair", self.sent, hops)
            elif kind < 0.9:
                msg = f"s{self.sent}"
            else:
                msg = self.sent
            ctx.send(dst, msg)

    def _fiddle_timers(self, ctx):
        r = ctx.rng
        x = r.random()
        if x < 0.2:   # "a" is never cancelled: it keeps the node talking
            ctx.cancel_timer(r.choice(TIMER_NAMES[1:]))
        elif x < 0.45:
            ctx.set_timer(r.choice(TIMER_NAMES), r.uniform(self.min_delay, self.max_delay))

    def on_start(self, ctx):
        ctx.observe("heard", self.heard)
        ctx.set_timer("a", ctx.rng.uniform(0.0, self.max_delay))
        if ctx.rng.random() < 0.5:
            ctx.set_timer("b", ctx.rng.uniform(0.0, self.max_delay))

    def on_timer(self, ctx, name):
        r = ctx.rng
        self._send_some(ctx, 0, r.randint(0, 2))
        self._fiddle_timers(ctx)
        if name == "a":   # "a" keeps the traffic going
            ctx.set_timer("a", r.uniform(self.min_delay, self.max_delay))
        if r.random() < 0.3:
            ctx.observe("clock", ctx.clock())

    def on_message(self, ctx, src, msg):
        self.heard += 1
        ctx.observe("heard", self.heard)
        hops = msg.hops if isinstance(msg, Chat) else (msg[2] if isinstance(msg, tuple) else 0)
        if src is not None and hops < self.max_hops and ctx.rng.random() < 0.6:
            self._send_some(ctx, hops + 1, 1)
        self._fiddle_timers(ctx)


class Recorder(Node):
    """Observes every message (``got``) and timer (``fired``) it handles, with the time."""

    def on_message(self, ctx, src, msg):
        ctx.observe("got", (src, msg))

    def on_timer(self, ctx, name):
        ctx.observe("fired", name)


class Sender(Node):
    """On start sends ``Chat(id, k, 0)`` for k in range(count) to node ``to`` (every ``gap`` s)."""

    def __init__(self, node_id, peers=(), to=1, count=1, gap=0.0):
        super().__init__(node_id, peers)
        self.to, self.count, self.gap, self.k = to, count, gap, 0

    def on_start(self, ctx):
        if self.id != self.to:
            self._next(ctx)

    def _next(self, ctx):
        if self.k < self.count:
            ctx.send(self.to, Chat(self.id, self.k, 0))
            self.k += 1
            if self.gap > 0:
                ctx.set_timer("next", self.gap)
            else:
                self._next(ctx)

    def on_timer(self, ctx, name):
        self._next(ctx)

    def on_message(self, ctx, src, msg):
        ctx.observe("got", (src, msg))


class PingPong(Node):
    """Two nodes bounce a ball forever (only the time bound stops them)."""

    def on_start(self, ctx):
        if self.id == min(self.peers + (self.id,)):
            ctx.send(self.peers[0], Chat(self.id, 0, 0))

    def on_message(self, ctx, src, msg):
        ctx.send(src, Chat(self.id, msg.seq + 1, 0))


# --------------------------------------------------------------------------- strategies

times = st.integers(0, 250).map(lambda k: k / 100)   # a grid, so faults and arrivals collide


@st.composite
def latencies(draw, allow_constant=True):
    choices = ["uniform", "exponential", "lognormal"] + (["constant", "number"] if allow_constant else [])
    kind = draw(st.sampled_from(choices))
    if kind == "constant":
        return Constant(draw(st.integers(0, 10).map(lambda k: k / 100)))
    if kind == "number":
        return draw(st.integers(1, 10).map(lambda k: k / 100))
    if kind == "uniform":
        low = draw(st.integers(0, 5)) / 100
        return Uniform(low, low + draw(st.integers(1, 10)) / 100)
    if kind == "exponential":
        return Exponential(draw(st.integers(1, 5)) / 100, draw(st.integers(0, 3)) / 100)
    return LogNormal(draw(st.integers(1, 5)) / 100, draw(st.sampled_from([0.2, 0.5, 1.0])))


@st.composite
def link_models(draw, allow_constant=True, max_loss=0.4):
    return LinkModel(
        latency=draw(latencies(allow_constant)),
        loss=draw(st.one_of(st.just(0.0), st.floats(0.0, max_loss))),
        duplicate=draw(st.one_of(st.just(0.0), st.floats(0.0, 0.4))),
        reorder=draw(st.booleans()),
    )


@st.composite
def graphs(draw, min_nodes=2, max_nodes=7):
    n = draw(st.integers(min_nodes, max_nodes))
    if draw(st.booleans()):
        return nx.complete_graph(n)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    g.add_edges_from(p for p, k in zip(pairs, keep) if k)
    return g


@st.composite
def fault_lists(draw, nodes, max_faults=6, kinds=("crash", "partition", "cut", "pause", "slow", "jump", "drift"),
                graph=None):
    """Random faults over ``nodes``; a cut link joins neighbours of ``graph`` (any two nodes without one)."""
    nodes = list(nodes)
    out = []
    for _ in range(draw(st.integers(0, max_faults))):
        kind = draw(st.sampled_from(kinds))
        at = draw(times)
        until = draw(st.one_of(st.none(), times.map(lambda x, at=at: at + x / 2)))
        node = draw(st.sampled_from(nodes))
        if kind == "crash":
            out.append(Crash(node, at=at, until=until))
        elif kind == "pause":
            out.append(Pause(node, at=at, until=until))
        elif kind == "slow":
            out.append(Slow(node, at=at, delay=draw(st.integers(0, 20)) / 100, until=until))
        elif kind == "jump":
            out.append(ClockJump(node, at=at, delta=draw(st.floats(-5, 5))))
        elif kind == "drift":
            out.append(ClockDrift(node, at=at, drift=draw(st.floats(-0.5, 0.5))))
        elif kind == "cut" and len(nodes) >= 2:
            others = sorted(graph.neighbors(node)) if graph is not None else [v for v in nodes if v != node]
            if others:
                out.append(CutLink(node, draw(st.sampled_from(others)), at=at, until=until))
        elif kind == "partition" and len(nodes) >= 2:
            side = draw(st.lists(st.booleans(), min_size=len(nodes), max_size=len(nodes)))
            a = [v for v, s in zip(nodes, side) if s]
            b = [v for v, s in zip(nodes, side) if not s]
            if a and b:
                out.append(Partition((a, b), at=at, until=until))
    return out


@st.composite
def scenarios(draw, max_nodes=7, faults=True, inputs=True, allow_constant=True, max_until=2.0,
              max_events=4000, link=None, fault_kinds=None):
    """A random Chatter scenario: topology, links, clocks, faults, inputs, bounds."""
    g = draw(graphs(max_nodes=max_nodes))
    ids = sorted(g.nodes)
    lm = link if link is not None else draw(link_models(allow_constant))
    links = {}
    if link is None and g.number_of_edges() and draw(st.booleans()):
        u, v = draw(st.sampled_from(sorted(g.edges)))
        links[(v, u)] = draw(link_models(allow_constant))
    kw = {}
    if fault_kinds is not None:
        kw["kinds"] = fault_kinds
    fl = draw(fault_lists(ids, graph=g, **kw)) if faults else []
    ins = []
    if inputs:
        for _ in range(draw(st.integers(0, 3))):
            ins.append(Input(draw(times), draw(st.sampled_from(ids)), Note(draw(st.sampled_from("xyz")))))
    return Scenario(
        Chatter, nodes=g, link=lm, links=links, faults=fl, inputs=ins,
        clock_offset=draw(st.floats(-2, 2)), clock_drift=draw(st.floats(-0.1, 0.1)),
        until=draw(st.integers(2, int(max_until * 10)).map(lambda k: k / 10)),
        max_events=max_events, seed=draw(st.integers(0, 2**32)),
    )


# --------------------------------------------------------------------------- trace helpers


class StatusTimeline:
    """``trace.status_at`` evaluated once per distinct fault time, looked up for any time.

    The fault state only changes at fault rows, so the state at time ``t`` is
    ``status_at`` at the last fault time at or before ``t``.
    """

    FAULTS = frozenset(FAULT_KINDS)

    def __init__(self, trace):
        self.times = sorted({r[0] for r in trace.rows if r[1] in self.FAULTS})
        self.states = [trace.status_at(t) for t in self.times]
        self.clear = trace.status_at(-1.0)

    def at(self, t):
        i = bisect.bisect_right(self.times, t) - 1
        return self.clear if i < 0 else self.states[i]


def separated(status, src, dst) -> str | None:
    """Why ``src -> dst`` cannot carry messages in a ``status_at`` state, or None."""
    if (src, dst) in status["cut"]:
        return "cut"
    groups = status["groups"]
    if groups is not None and src != dst:
        side = {n: i for i, g in enumerate(groups) for n in g}
        if side[src] != side[dst]:
            return "partition"
    return None


def causal_graph(trace) -> nx.DiGraph:
    """Lamport's happened-before, built independently of the trace's vector clocks:
    program order of each node's process steps plus an edge from each send to each of
    its deliveries."""
    g = nx.DiGraph()
    last = {}
    sends = {}
    for i, (_t, kind, node, peer, mid, _d, _v) in enumerate(trace.rows):
        if kind not in PROCESS_KINDS:
            continue
        g.add_node(i)
        if node in last:
            g.add_edge(last[node], i)
        last[node] = i
        if kind == "send":
            sends[mid] = i
        elif kind == "deliver" and peer is not None:
            g.add_edge(sends[mid], i)
    return g
