"""A sharded store as simulator nodes: a router that scatters queries to shards and gathers the answers.

A :class:`ShardRouter` knows a placement (any strategy of :mod:`.sharding`). A point read
(``Get``) goes to the one shard that holds the key; a range query (``Scan`` over ``lo .. hi-1``)
goes to every shard that holds a key of the range, and is answered when the last of them has
answered (scatter-gather). Each :class:`Shard` answers after an exponential service time, so
the more shards a query touches, the longer it waits for the slowest: the cost of a cross-shard
query, in messages and in latency (:func:`query_costs`).

The router observes ``query`` ``(kind, shards touched, latency)`` per answered query.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int
from .sharding import STRATEGIES

__all__ = ["Get", "Scan", "ShardAsk", "ShardAnswer", "Shard", "ShardRouter", "sharded_scenario", "query_costs",
           "ROUTER"]

ROUTER = "router"


@dataclass(frozen=True)
class Get:
    key: int


@dataclass(frozen=True)
class Scan:
    lo: int
    hi: int


@dataclass(frozen=True)
class ShardAsk:
    qid: int
    lo: int
    hi: int


@dataclass(frozen=True)
class ShardAnswer:
    qid: int
    count: int


class Shard(Node):
    """Holds its keys; answers how many keys of ``[lo, hi)`` it has after an exponential service time."""

    def __init__(self, node_id, peers=(), keys=(), service_time=0.01):
        super().__init__(node_id, peers)
        self.keys = frozenset(keys)
        self.service_time = number("service_time", service_time, low=0.0, low_open=True)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, ShardAsk):
            ctx.set_timer(("answer", src, msg.qid, msg.lo, msg.hi), ctx.rng.expovariate(1 / self.service_time))

    def on_timer(self, ctx, name):
        _, src, qid, lo, hi = name
        ctx.send(src, ShardAnswer(qid, sum(lo <= k < hi for k in self.keys)))


class ShardRouter(Node):
    """Routes ``Get`` to one shard and scatters ``Scan`` to every shard with keys in the range."""

    def __init__(self, node_id, peers=(), placement=None):
        super().__init__(node_id, peers)
        if placement is None or not hasattr(placement, "node_for"):
            raise TypeError("placement must be a sharding strategy (see dsysedu.systems.storage.sharding)")
        self.placement = placement
        self.next_qid = 0
        self.open: dict = {}             # qid -> (kind, started, shards asked, answers still due)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, (Get, Scan)):
            lo, hi = (msg.key, msg.key + 1) if isinstance(msg, Get) else (msg.lo, msg.hi)
            shards = sorted({self.placement.node_for(k) for k in range(lo, hi)}, key=str)
            qid = self.next_qid
            self.next_qid += 1
            self.open[qid] = (type(msg).__name__, ctx.now, len(shards), len(shards))
            for s in shards:
                ctx.send(s, ShardAsk(qid, lo, hi))
        elif isinstance(msg, ShardAnswer) and msg.qid in self.open:
            kind, started, asked, due = self.open[msg.qid]
            if due == 1:
                del self.open[msg.qid]
                ctx.observe("query", (kind, asked, ctx.now - started))
            else:
                self.open[msg.qid] = (kind, started, asked, due - 1)


def sharded_scenario(strategy: str = "consistent hashing", shards: int = 8, keys: int = 10_000, queries: int = 200,
                     scan_width: int = 100, service_time: float = 0.01, seed=0) -> Scenario:
    """A router over ``shards`` shards placing ``keys`` keys with ``strategy`` (a name of ``STRATEGIES``),
    asked ``queries`` point reads and as many range scans of ``scan_width`` keys, one every 10 ms."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {sorted(STRATEGIES)}, got {strategy!r}")
    n = positive_int("shards", shards)
    names = [f"shard{i}" for i in range(n)]
    make = STRATEGIES[strategy]
    placement = make(names, keys) if strategy == "range" else make(names)
    held = {s: [] for s in names}
    for k in range(keys):
        held[placement.node_for(k)].append(k)
    rng = random.Random(normalize_seed(seed))            # which keys are asked: the workload, fixed by the seed
    inputs = []
    for i in range(queries):
        inputs.append(Input(0.01 * (2 * i), ROUTER, Get(rng.randrange(keys))))
        lo = rng.randrange(keys - scan_width)
        inputs.append(Input(0.01 * (2 * i + 1), ROUTER, Scan(lo, lo + scan_width)))
    params = {ROUTER: {"placement": placement}, **{s: {"keys": tuple(held[s]), "service_time": service_time}
                                                  for s in names}}
    return Scenario({ROUTER: ShardRouter, **{s: Shard for s in names}}, nodes=[ROUTER, *names], node_params=params,
                    link=LinkModel(latency=0.001), inputs=tuple(inputs), until=0.02 * queries + 5.0,
                    name=f"sharded store ({strategy})")


def query_costs(strategies=("range", "mod N", "consistent hashing"), seed=0, **kwargs) -> pd.DataFrame:
    """Mean shards touched and mean latency per query kind and strategy: ``strategy, query, shards, latency``."""
    rows = []
    for name in strategies:
        t = run(sharded_scenario(name, seed=seed, **kwargs), seed=seed)
        for _time, _n, (kind, asked, lat) in [(r[0], r[2], r[6]) for r in t.rows
                                              if r[1] == "observe" and r[5] == "query"]:
            rows.append({"strategy": name, "query": "point read" if kind == "Get" else "range scan",
                         "shards": asked, "latency": lat})
    df = pd.DataFrame(rows).groupby(["strategy", "query"], as_index=False)[["shards", "latency"]].mean()
    order = {name: i for i, name in enumerate(strategies)}
    return df.sort_values(["strategy", "query"], key=lambda c: c.map(order) if c.name == "strategy" else c,
                          ignore_index=True)
