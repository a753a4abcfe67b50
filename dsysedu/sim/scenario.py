"""Scenario: a plain, validated description of one experiment.

A Scenario says which protocol runs on which nodes, over which links, with
which faults and inputs, for how long. It holds no running state: run it with
:func:`dsysedu.sim.run` (or :class:`Simulation` to step through it). Every bad
value raises ``ValueError`` or ``TypeError`` naming the field, the value and
what is allowed, before anything runs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Hashable, Mapping

import networkx as nx
import numpy as np

from .validate import number, positive_int
from .faults import Nemesis, validate_faults
from .network import LinkModel
from .node import Node, check_message
from .streams import normalize_seed

__all__ = ["Scenario", "Input", "MAX_COMPLETE", "MAX_NODES", "MAX_LINKS", "TIMER_CLOCKS"]

# Size limits. A complete graph of n nodes has n(n-1)/2 links: 10,000 nodes were 50 million links,
# 54 s and 6 GB to build. Beyond MAX_COMPLETE nodes, give a sparse graph.
MAX_COMPLETE = 2_000
MAX_NODES = 100_000
MAX_LINKS = 2_000_000
TIMER_CLOCKS = ("true", "local")  # what a node's timers count: see Scenario.timer_clock


@dataclass(frozen=True)
class Input:
    """A message from outside the system (a client, an operator) delivered to ``node`` at ``at``.

    The node's ``on_message`` sees ``src=None``.
    """
    at: float
    node: Hashable
    msg: Any

    def __post_init__(self):
        number("Input.at", self.at, low=0.0)
        check_message(self.msg)


def _is_protocol(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, Node)


@dataclass(frozen=True)
class Scenario:
    """One experiment, ready to run.

    Parameters
    ----------
    protocol : Node subclass, or dict node -> Node subclass
        What every node runs (or each node, when a dict covering all nodes is given).
    nodes : int, list of node ids, or networkx.Graph
        ``3`` means nodes 0, 1, 2 on a complete graph; a list means those ids on a complete
        graph (both at most ``MAX_COMPLETE`` = 2,000 nodes); a graph gives ids and links (each
        edge is a link both ways; at most ``MAX_NODES`` nodes and ``MAX_LINKS`` links).
    params : dict
        Keyword arguments passed to every node's constructor.
    node_params : dict node -> dict
        Per-node keyword arguments, overriding ``params``.
    link : LinkModel
        The default link model (latency, loss, duplication, reordering).
    links : dict (src, dst) -> LinkModel
        Per-link overrides; a key ``(u, v)`` applies to the directed link u -> v only.
    clock_offset, clock_drift : float or dict node -> float
        Each node's physical clock reads ``offset + (1 + drift) * t`` (drift in [-0.5, 0.5]).
    timer_clock : str
        What a node's timers count. ``"true"`` (the default): a timer of ``d`` seconds fires
        ``d`` seconds of true time later, whatever the node's clock does; drift then shows only
        in what ``ctx.clock()`` reads. ``"local"``: timers count the node's own oscillator, as a
        real server's monotonic timers do, so a timer of ``d`` seconds fires after
        ``d / (1 + drift)`` seconds of true time (a clock 30 % slow waits 1/0.7 times longer).
        Clock jumps (``ClockJump``) step the wall clock only and never move a pending timer,
        with either setting, because real timers run on a monotonic clock.
    faults : list of Fault
        Scheduled faults (Crash, Partition, CutLink, Slow, Pause, ClockJump, ...).
    nemesis : Nemesis or None
        Random faults drawn from the run's seed, added to ``faults``.
    inputs : list of Input
        Messages from outside (clients), delivered at given times.
    until : float
        Simulated seconds to run (> 0).
    max_events : int
        Upper bound on handled events; a run that reaches it stops and says so
        (``trace.ended_by == "max_events"``).
    max_rows : int
        Upper bound on the trace's rows (about 350 bytes each: the default, 5 million, is
        under 2 GB). A handler may send many messages per event, so ``max_events`` alone
        does not bound memory; a run that reaches it stops (``ended_by == "max_rows"``), at
        most a slice of events past the bound.
    seed : int
        The default seed for ``run``.
    stamp_clocks : bool
        Stamp every process step with Lamport and vector clocks (``trace.to_frame()`` shows them).

    Examples
    --------
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> sc = Scenario(Flood, nodes=5, until=1.0)
    >>> sc.node_ids
    (0, 1, 2, 3, 4)
    """
    protocol: Any
    nodes: Any = 3
    params: Mapping = field(default_factory=dict)
    node_params: Mapping = field(default_factory=dict)
    link: LinkModel = field(default_factory=LinkModel)
    links: Mapping = field(default_factory=dict)
    clock_offset: Any = 0.0
    clock_drift: Any = 0.0
    timer_clock: str = "true"
    faults: tuple = ()
    nemesis: Nemesis | None = None
    inputs: tuple = ()
    until: float = 10.0
    max_events: int = 1_000_000
    max_rows: int = 5_000_000
    seed: int = 0
    stamp_clocks: bool = False
    name: str = ""

    def __post_init__(self):
        graph = self._build_graph(self.nodes)
        ids = tuple(sorted(graph.nodes, key=sort_key))
        object.__setattr__(self, "_graph", graph)
        object.__setattr__(self, "_ids", ids)
        known = set(ids)
        # protocol
        if isinstance(self.protocol, Mapping):
            missing = known - set(self.protocol)
            extra = set(self.protocol) - known
            if missing or extra:
                raise ValueError(f"protocol mapping must name exactly the nodes {list(ids)}; "
                                 f"missing {sorted(missing, key=repr)}, unknown {sorted(extra, key=repr)}")
            for n, p in self.protocol.items():
                if not _is_protocol(p):
                    raise TypeError(f"protocol[{n!r}] must be a Node subclass, got {p!r}")
        elif not _is_protocol(self.protocol):
            raise TypeError(f"protocol must be a Node subclass (or a dict node -> Node subclass), got {self.protocol!r}")
        if not isinstance(self.params, Mapping):
            raise TypeError(f"params must be a dict of keyword arguments, got {self.params!r}")
        if not isinstance(self.node_params, Mapping):
            raise TypeError(f"node_params must be a dict node -> dict, got {self.node_params!r}")
        for n, p in self.node_params.items():
            if n not in known:
                raise ValueError(f"node_params names unknown node {n!r}; nodes are {list(ids)}")
            if not isinstance(p, Mapping):
                raise TypeError(f"node_params[{n!r}] must be a dict, got {p!r}")
        # links
        if not isinstance(self.link, LinkModel):
            raise TypeError(f"link must be a LinkModel, got {self.link!r}")
        if not isinstance(self.links, Mapping):
            raise TypeError(f"links must be a dict (src, dst) -> LinkModel, got {self.links!r}")
        for key, lm in self.links.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise TypeError(f"links keys must be (src, dst) pairs, got {key!r}")
            u, v = key
            if u not in known or v not in known:
                raise ValueError(f"links[{key!r}] names an unknown node; nodes are {list(ids)}")
            if not graph.has_edge(u, v):
                raise ValueError(f"links[{key!r}]: there is no link between {u!r} and {v!r} in the topology")
            if not isinstance(lm, LinkModel):
                raise TypeError(f"links[{key!r}] must be a LinkModel, got {lm!r}")
        # clocks
        for fname, low, high in (("clock_offset", None, None), ("clock_drift", -0.5, 0.5)):
            val = getattr(self, fname)
            if isinstance(val, Mapping):
                for n, x in val.items():
                    if n not in known:
                        raise ValueError(f"{fname} names unknown node {n!r}; nodes are {list(ids)}")
                    number(f"{fname}[{n!r}]", x, low=low, high=high)
            else:
                number(fname, val, low=low, high=high)
        if not isinstance(self.timer_clock, str) or self.timer_clock not in TIMER_CLOCKS:
            raise ValueError(f"timer_clock must be one of {list(TIMER_CLOCKS)}, got {self.timer_clock!r}")
        # faults, inputs, bounds
        object.__setattr__(self, "faults", validate_faults(self.faults, ids, graph))
        if self.nemesis is not None and not isinstance(self.nemesis, Nemesis):
            raise TypeError(f"nemesis must be a Nemesis or None, got {self.nemesis!r}")
        if self.nemesis is not None:
            self.nemesis.check_size(len(ids))
        inputs = tuple(self.inputs) if self.inputs is not None else ()
        for i, inp in enumerate(inputs):
            if not isinstance(inp, Input):
                raise TypeError(f"inputs[{i}] must be an Input(at, node, msg), got {inp!r}")
            if inp.node not in known:
                raise ValueError(f"inputs[{i}] names unknown node {inp.node!r}; nodes are {list(ids)}")
        object.__setattr__(self, "inputs", inputs)
        number("until", self.until, low=0.0, low_open=True)
        positive_int("max_events", self.max_events)
        positive_int("max_rows", self.max_rows)
        if isinstance(self.seed, np.random.Generator):  # draw once, so every run of this scenario agrees
            object.__setattr__(self, "seed", normalize_seed(self.seed))
        else:
            normalize_seed(self.seed)
        if not isinstance(self.stamp_clocks, bool):
            raise TypeError(f"stamp_clocks must be True or False, got {self.stamp_clocks!r}")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {self.name!r}")
        # last, what each protocol asks of the whole scenario (topology, parameters naming nodes)
        classes = set(self.protocol.values()) if isinstance(self.protocol, Mapping) else {self.protocol}
        for cls in sorted(classes, key=lambda c: c.__qualname__):
            cls.check_scenario(self)

    @staticmethod
    def _build_graph(nodes) -> nx.Graph:
        if isinstance(nodes, nx.Graph):
            if nodes.is_directed():
                raise TypeError("nodes must be an undirected networkx.Graph (links work both ways)")
            if nodes.number_of_nodes() == 0:
                raise ValueError("nodes: the graph has no nodes; give at least 1")
            if nodes.number_of_nodes() > MAX_NODES or nodes.number_of_edges() > MAX_LINKS:
                raise ValueError(
                    f"nodes: the graph has {nodes.number_of_nodes():,} nodes and {nodes.number_of_edges():,} links; "
                    f"at most {MAX_NODES:,} nodes and {MAX_LINKS:,} links (each link is state in the "
                    f"simulator: about 1 KB, so the cap keeps a run under a few GB)")
            g = nx.Graph()
            g.add_nodes_from(nodes.nodes)
            g.add_edges_from((u, v) for u, v in nodes.edges if u != v)
            try:
                sorted(g.nodes, key=sort_key)
            except TypeError:
                raise TypeError("node ids must be of one sortable kind (all ints or all strs)") from None
            return g
        if isinstance(nodes, bool):
            raise TypeError(f"nodes must be an int, a list of ids or a networkx.Graph, got {nodes!r}")
        if isinstance(nodes, int):
            if nodes > MAX_COMPLETE:
                raise ValueError(f"nodes={nodes:,}: an int means a complete graph, at most {MAX_COMPLETE:,} nodes "
                                 f"({MAX_COMPLETE * (MAX_COMPLETE - 1) // 2:,} links; 10,000 nodes would be 50 million "
                                 f"links, about 6 GB); for more, give a sparse networkx.Graph "
                                 f"(e.g. nx.random_regular_graph(4, n))")
            positive_int("nodes", nodes, low=1, high=MAX_COMPLETE)
            return nx.complete_graph(nodes)
        if isinstance(nodes, (list, tuple)):
            if not nodes:
                raise ValueError("nodes: the list is empty; give at least 1 node id")
            if len(nodes) > MAX_COMPLETE:
                raise ValueError(f"nodes: a list means a complete graph, at most {MAX_COMPLETE:,} nodes "
                                 f"({MAX_COMPLETE * (MAX_COMPLETE - 1) // 2:,} links), got {len(nodes):,}; for more, "
                                 f"give a sparse networkx.Graph (e.g. nx.random_regular_graph)")
            if len(set(nodes)) != len(nodes):
                raise ValueError(f"nodes: the ids must be distinct, got {list(nodes)}")
            for n in nodes:
                if n is None or isinstance(n, (bool, float)):
                    raise TypeError(f"node ids must be ints or strs, got {n!r}")
            g = nx.complete_graph(list(nodes))
            try:
                sorted(g.nodes, key=sort_key)
            except TypeError:
                raise TypeError("node ids must be of one sortable kind (all ints or all strs)") from None
            return g
        raise TypeError(f"nodes must be an int, a list of ids or a networkx.Graph, got {nodes!r}")

    # -- read-only views ----------------------------------------------------
    @property
    def graph(self) -> nx.Graph:
        """The topology (a copy: edit the scenario with :meth:`replace`)."""
        return self._graph.copy()

    @property
    def node_ids(self) -> tuple:
        return self._ids

    def protocol_of(self, node) -> type:
        return self.protocol[node] if isinstance(self.protocol, Mapping) else self.protocol

    def params_of(self, node) -> dict:
        p = dict(self.params)
        p.update(self.node_params.get(node, {}))
        return p

    def link_of(self, src, dst) -> LinkModel:
        return self.links.get((src, dst), self.link)

    def offset_of(self, node) -> float:
        v = self.clock_offset
        return float(v.get(node, 0.0)) if isinstance(v, Mapping) else float(v)

    def drift_of(self, node) -> float:
        v = self.clock_drift
        return float(v.get(node, 0.0)) if isinstance(v, Mapping) else float(v)

    def replace(self, **changes) -> "Scenario":
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            allowed = ", ".join(f.name for f in dataclasses.fields(self))
            raise TypeError(f"Scenario has no field(s) {sorted(unknown)}; fields are: {allowed}")
        if "nodes" not in changes:
            changes["nodes"] = self._graph
        return dataclasses.replace(self, **changes)

    def run(self, seed=None):
        """Run this scenario to its bound and return the Trace (see :func:`dsysedu.sim.run`)."""
        from .kernel import run
        return run(self, seed=seed)


def sort_key(n):
    return (0, n, "") if isinstance(n, int) else (1, 0, str(n))
