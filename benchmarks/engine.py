"""Engine benchmark: delivered messages per second, re-run + redraw, a 10,000-node spread.

Run:  .venv/bin/python benchmarks/engine.py      (about a minute on 2 cores)

The last line printed is one JSON object with the keys
``msgs_per_s_5``, ``msgs_per_s_1000``, ``simpy_direct_msgs_per_s``,
``rerun_redraw_ms``, ``spread_10k_s`` (and the ratios, and ``scrub_redraw_ms``). Wall-clock figures from
time.perf_counter, best of ``REPEATS`` runs for throughput, median for redraw.
The trace records every event, as in the lessons.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import networkx as nx  # noqa: E402
import simpy  # noqa: E402

from dsysedu import LinkModel, Node, Scenario, Uniform, run  # noqa: E402
from dsysedu.protocols.basics.toys import Flood  # noqa: E402

REPEATS = 3
MESSAGES = 200_000


@dataclass(frozen=True)
class Token:
    hops: int


class Relay(Node):
    """Each node starts ``tokens`` tokens; whoever gets one passes it on to its next peer."""

    def __init__(self, node_id, peers=(), tokens=4):
        super().__init__(node_id, peers)
        self.tokens = tokens
        self.next = 0

    def on_start(self, ctx):
        for _ in range(self.tokens):
            self._pass(ctx, Token(0))

    def on_message(self, ctx, src, msg):
        self._pass(ctx, Token(msg.hops + 1))

    def _pass(self, ctx, msg):
        peers = self.peers
        self.next = (self.next + 1) % len(peers)
        ctx.send(peers[self.next], msg)


def engine_rate(n_nodes: int, graph=None) -> float:
    """Delivered messages per wall second through Scenario/run, trace recording on."""
    nodes = graph if graph is not None else n_nodes
    sc = Scenario(Relay, nodes=nodes, params={"tokens": 4}, link=LinkModel(latency=Uniform(0.001, 0.002)),
                  until=1e9, max_events=MESSAGES + 10 * n_nodes)
    best = 0.0
    for seed in range(REPEATS):
        t0 = time.perf_counter()
        tr = run(sc, seed=seed)
        dt = time.perf_counter() - t0
        delivered = sum(1 for r in tr.rows if r[1] == "deliver")
        best = max(best, delivered / dt)
    return best


def simpy_direct_rate() -> float:
    """SimPy's minimal event path: a timeout whose callback calls a handler directly."""
    best = 0.0
    for _ in range(REPEATS):
        env = simpy.Environment()
        count = [0]

        def handler(ev):
            count[0] += 1
            if count[0] < MESSAGES:
                env.timeout(0.0015).callbacks.append(handler)

        for _ in range(20):
            env.timeout(0.0015).callbacks.append(handler)
        t0 = time.perf_counter()
        env.run()
        best = max(best, count[0] / (time.perf_counter() - t0))
    return best


def redraw_ms() -> dict:
    """Median ms for a control change (re-run + redraw) and a scrub (redraw) in the chapter 1 dashboard."""
    from dsysedu.widgets.playground import benchmark_rerun_redraw
    return benchmark_rerun_redraw(repeats=15)


def spread_10k_s() -> float:
    """Seconds for flooding to reach all of a 10,000-node random 4-regular graph."""
    g = nx.random_regular_graph(4, 10_000, seed=1)
    sc = Scenario(Flood, nodes=g, link=LinkModel(latency=Uniform(0.01, 0.03)), until=100.0)
    t0 = time.perf_counter()
    tr = run(sc, seed=1)
    dt = time.perf_counter() - t0
    informed = {r[2] for r in tr.rows if r[1] == "observe" and r[5] == "informed"}
    assert len(informed) == 10_000, f"flood reached {len(informed)} of 10000"
    return dt


def main() -> dict:
    res = {}
    res["msgs_per_s_5"] = round(engine_rate(5))
    print(f"engine, 5 nodes:      {res['msgs_per_s_5']:>10,} delivered msgs/s", flush=True)
    g = nx.random_regular_graph(8, 1000, seed=2)
    res["msgs_per_s_1000"] = round(engine_rate(1000, g))
    print(f"engine, 1,000 nodes:  {res['msgs_per_s_1000']:>10,} delivered msgs/s", flush=True)
    res["simpy_direct_msgs_per_s"] = round(simpy_direct_rate())
    print(f"SimPy timeout->handler:{res['simpy_direct_msgs_per_s']:>10,} events/s", flush=True)
    res["ratio_5_vs_simpy"] = round(res["msgs_per_s_5"] / res["simpy_direct_msgs_per_s"], 3)
    res["ratio_1000_vs_simpy"] = round(res["msgs_per_s_1000"] / res["simpy_direct_msgs_per_s"], 3)
    rr = redraw_ms()
    res["rerun_redraw_ms"] = round(rr["rerun_redraw_ms"], 1)
    res["scrub_redraw_ms"] = round(rr["scrub_redraw_ms"], 1)
    print(f"re-run + redraw:      {res['rerun_redraw_ms']} ms (median)", flush=True)
    print(f"scrub redraw:         {res['scrub_redraw_ms']} ms (median)", flush=True)
    res["spread_10k_s"] = round(spread_10k_s(), 3)
    print(f"flood 10,000 nodes:   {res['spread_10k_s']} s", flush=True)
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
