"""RPC (远程过程调用) down a call chain: the caller blocks, so a slow callee slows every caller above it.

A :class:`RpcClient` calls service ``s0`` (Poisson arrivals); ``s0`` calls ``s1``, ``s1`` calls
``s2``, and so on to the end of the chain. Each :class:`RpcService` has ``workers`` threads.
A request takes a thread, does ``work`` seconds of its own work, then calls the next service and
*holds the thread while it waits for the answer*: a synchronous call looks like a local one, and
this is its price. When the last service is slow, its callers' threads are all waiting on it,
their queues grow, and the latency that the client sees is the slowness of the deepest service
plus every queue above it (:func:`chain_latency`, :func:`cascade_table`).

Observes: ``latency`` at the client (per answered request), ``queue`` at each service (requests
waiting for a thread) at every change.

References
----------
.. [1] A. D. Birrell and B. J. Nelson, "Implementing remote procedure calls", *ACM TOCS* 2(1), 1984.
.. [2] J. Dean and L. A. Barroso, "The Tail at Scale", *CACM* 56(2), 2013 (latency in fan-out and chains).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Call", "Reply", "RpcService", "RpcClient", "rpc_chain_scenario", "chain_latency", "cascade_table",
           "RPC_CLIENT"]

RPC_CLIENT = "client"


@dataclass(frozen=True)
class Call:
    rid: int


@dataclass(frozen=True)
class Reply:
    rid: int


class RpcService(Node):
    """A service with ``workers`` threads; a thread is held while the downstream call is out.

    Parameters
    ----------
    downstream : node id or None
        The service this one calls (None: the end of the chain).
    work : float
        Seconds of own work per request.
    workers : int
        Threads; requests beyond them wait in a FIFO queue.
    """

    def __init__(self, node_id, peers=(), downstream=None, work=0.01, workers=4):
        super().__init__(node_id, peers)
        self.downstream = downstream
        self.work = number("work", work, low=0.0)
        self.workers = positive_int("workers", workers)
        self.queue: deque = deque()      # (caller, rid)
        self.busy = 0
        self.waiting: dict = {}          # rid -> caller, while the downstream call is out

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Call):
            self.queue.append((src, msg.rid))
            ctx.observe("queue", len(self.queue))
            self.start(ctx)
        elif isinstance(msg, Reply) and msg.rid in self.waiting:
            self.finish(ctx, self.waiting.pop(msg.rid), msg.rid)

    def start(self, ctx) -> None:
        started = False
        while self.busy < self.workers and self.queue:
            caller, rid = self.queue.popleft()
            self.busy += 1
            started = True
            ctx.set_timer(("work", rid, caller), self.work)
        if started:
            ctx.observe("queue", len(self.queue))

    def on_timer(self, ctx, name):
        _, rid, caller = name
        if self.downstream is None:
            self.finish(ctx, caller, rid)
        else:
            self.waiting[rid] = caller              # the thread stays busy: the call blocks
            ctx.send(self.downstream, Call(rid))

    def finish(self, ctx, caller, rid) -> None:
        ctx.send(caller, Reply(rid))
        self.busy -= 1
        self.start(ctx)


class RpcClient(Node):
    """Sends ``count`` calls to ``target`` at Poisson times (``rate`` per second); observes each ``latency``."""

    def __init__(self, node_id, peers=(), target="s0", rate=50.0, count=200):
        super().__init__(node_id, peers)
        self.target = target
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.count = positive_int("count", count)
        self.sent: dict = {}
        self.next_rid = 0

    def on_start(self, ctx):
        ctx.set_timer("call", ctx.rng.expovariate(self.rate))

    def on_timer(self, ctx, name):
        rid = self.next_rid
        self.next_rid += 1
        self.sent[rid] = ctx.now
        ctx.send(self.target, Call(rid))
        if self.next_rid < self.count:
            ctx.set_timer("call", ctx.rng.expovariate(self.rate))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Reply) and msg.rid in self.sent:
            ctx.observe("latency", ctx.now - self.sent.pop(msg.rid))


def rpc_chain_scenario(depth: int = 3, work: float = 0.01, slow: float = 0.0, workers: int = 4, rate: float = 50.0,
                       count: int = 200, latency: float = 0.001, until: float = 60.0) -> Scenario:
    """A client and a chain ``s0 -> s1 -> ... -> s{depth-1}``; the last service's work is ``work + slow``."""
    depth = positive_int("depth", depth)
    number("slow", slow, low=0.0)
    names = [f"s{i}" for i in range(depth)]
    params = {s: {"downstream": names[i + 1] if i + 1 < depth else None, "work": work + (slow if i == depth - 1 else 0),
                  "workers": workers} for i, s in enumerate(names)}
    params[RPC_CLIENT] = {"rate": rate, "count": count}
    return Scenario({RPC_CLIENT: RpcClient, **{s: RpcService for s in names}}, nodes=[RPC_CLIENT, *names],
                    node_params=params, link=LinkModel(latency=latency), until=until, name="RPC chain")


def chain_latency(trace) -> dict:
    """``mean``, ``p99`` latency at the client, ``answered`` calls, and ``max_queue`` per service."""
    lat = np.array([r[6] for r in trace.rows if r[1] == "observe" and r[5] == "latency"])
    queues: dict = {}
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "queue":
            queues[r[2]] = max(queues.get(r[2], 0), r[6])
    return {"mean": float(lat.mean()) if len(lat) else float("nan"),
            "p99": float(np.quantile(lat, 0.99)) if len(lat) else float("nan"),
            "answered": len(lat), "max_queue": dict(sorted(queues.items()))}


def cascade_table(slows=(0.0, 0.04, 0.07, 0.09), depth: int = 3, seeds=range(3), **kwargs) -> pd.DataFrame:
    """Mean and p99 client latency, and the first service's longest queue, against the last service's slowness.

    One row per ``(slow, seed)``: ``slow, seed, mean, p99, queue_s0, queue_last``.
    """
    rows = []
    for slow in slows:
        for seed in seeds:
            s = chain_latency(run(rpc_chain_scenario(depth=depth, slow=slow, **kwargs), seed=seed))
            rows.append({"slow": slow, "seed": seed, "mean": s["mean"], "p99": s["p99"],
                         "queue_s0": s["max_queue"].get("s0", 0),
                         "queue_last": s["max_queue"].get(f"s{depth - 1}", 0)})
    return pd.DataFrame(rows)
