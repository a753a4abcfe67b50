"""Gossip benchmark: 10,000-node push gossip to full spread, and 1,000-node SWIM.

Run:  .venv/bin/python benchmarks/gossip.py      (about half a minute on 2 cores)

The last line printed is one JSON object with the keys

* ``push_10k_s``: wall seconds for the event simulator (:class:`dsysedu.protocols.membership.gossip.protocol.Gossip`,
  push, fanout 1, stop=None) to inform all of a 10,000-node random 8-regular graph
  (a complete graph on 10,000 nodes has 50 million links: too many to build). Target <= 1.5 s.
  Best of ``REPEATS`` runs; the trace records every event, as in the lessons.
  ``push_10k_s_median`` is the median of the same runs (the machine may be shared: the best
  says what the code can do, the median what a learner will see).
* ``push_10k_rounds_kernel_s``: the same spread (complete graph, sampled without building edges)
  in the numpy round kernel :func:`~dsysedu.protocols.membership.gossip.rounds.simulate_rounds`, best of ``REPEATS``.
* ``push_10k_rounds`` (the best event run's last-informed time in rounds) and
  ``push_10k_rounds_kernel`` (mean over the kernel runs): rounds to full spread
  (``pittel_10k`` = log2 N + ln N for comparison).
* ``push_sum_10k_s``: wall seconds for 40 rounds of push-sum averaging on 10,000 nodes (complete
  graph) in :func:`~dsysedu.protocols.membership.aggregation.push_sum_rounds`, best of ``REPEATS``, and
  ``push_sum_10k_rounds_to_1e-3`` (mean over the runs): rounds until every estimate is within 0.001
  of the average, relative to the spread of the values.
* ``swim_1k_s``: wall seconds for 1,000-node SWIM (``SwimDetector`` of
  ``dsysedu.protocols.membership.failure_detectors.swim``) over 60 simulated seconds with one crash,
  or null with a ``swim_note`` when that detector is not available.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import networkx as nx  # noqa: E402

from dsysedu.protocols.membership.gossip import (gossip_scenario, pittel_rounds, rounds_to_full_spread,  # noqa: E402
                                      run_to_full_spread, simulate_rounds, spread_stats)
from dsysedu.protocols.membership.aggregation import push_sum_rounds, rounds_to_error  # noqa: E402

REPEATS = 3
N = 10_000


def push_event_s() -> tuple[float, float, float]:
    """Best and median wall seconds of the event simulator to full spread, and the rounds it took."""
    g = nx.random_regular_graph(8, N, seed=1)
    sc = gossip_scenario(g, mode="push", fanout=1, until=200.0)
    best, rounds, times = math.inf, None, []
    for seed in range(REPEATS):
        t0 = time.perf_counter()
        tr = run_to_full_spread(sc, seed=seed)
        dt = time.perf_counter() - t0
        times.append(dt)
        st = spread_stats(tr)
        assert st.residue == 0.0, f"push reached {st.informed} of {N}"
        if dt < best:
            best, rounds = dt, st.time_to_last / 1.0  # round_time = 1 s: rounds of the best run
        print(f"  event simulator, seed {seed}: {dt:.3f} s, {len(tr.rows):,} trace rows, "
              f"last node at t={st.time_to_last:.2f}", flush=True)
    return best, statistics.median(times), rounds


def push_kernel_s() -> tuple[float, float]:
    """Best wall seconds of the round kernel to full spread, and its mean rounds."""
    best, rounds = math.inf, []
    for seed in range(REPEATS):
        t0 = time.perf_counter()
        counts = simulate_rounds(N, "push", fanout=1, seed=seed)
        best = min(best, time.perf_counter() - t0)
        assert counts[-1] == N
        rounds.append(rounds_to_full_spread(counts, N))
    return best, sum(rounds) / len(rounds)


def push_sum_s() -> tuple[float, float]:
    """Best wall seconds of 40 push-sum rounds on 10,000 nodes, and the mean rounds to a 0.001 error."""
    best, rounds = math.inf, []
    values = [float(i % 100) for i in range(N)]
    for seed in range(REPEATS):
        t0 = time.perf_counter()
        run = push_sum_rounds(N, values, rounds=40, seed=seed)
        best = min(best, time.perf_counter() - t0)
        rounds.append(rounds_to_error(run, 1e-3))
    return best, sum(rounds) / len(rounds)


def swim_1k_s():
    """Wall seconds of 1,000-node SWIM, 60 simulated seconds, one crash; (None, note) if unavailable."""
    try:
        from dsysedu.protocols.membership.failure_detectors import SwimDetector
    except ImportError as exc:
        return None, f"SWIM lives in dsysedu/protocols/membership/failure_detectors/swim.py (not importable: {exc})"
    from dsysedu import Scenario, run
    from dsysedu.sim.faults import Crash
    sc = Scenario(SwimDetector, nodes=1000, faults=[Crash(7, at=10.0)], until=60.0, max_events=50_000_000)
    t0 = time.perf_counter()
    tr = run(sc, seed=1)
    dt = time.perf_counter() - t0
    detected = sum(1 for v in tr.value_at("faulty", 60.0).values() if v and 7 in v)
    return dt, f"SwimDetector, defaults; {len(tr.rows):,} trace rows; {detected} of 999 live nodes confirmed the crash"


def main() -> dict:
    res = {}
    ev, ev_median, ev_rounds = push_event_s()
    res["push_10k_s"] = round(ev, 3)
    res["push_10k_s_median"] = round(ev_median, 3)
    res["push_10k_rounds"] = round(ev_rounds, 2)
    print(f"push gossip, 10,000 nodes, event simulator (8-regular): best {res['push_10k_s']} s, "
          f"median {res['push_10k_s_median']} s", flush=True)
    ker, ker_rounds = push_kernel_s()
    res["push_10k_rounds_kernel_s"] = round(ker, 4)
    res["push_10k_rounds_kernel"] = ker_rounds
    res["pittel_10k"] = round(pittel_rounds(N), 2)
    print(f"push gossip, 10,000 nodes, round kernel (complete): {res['push_10k_rounds_kernel_s']} s, "
          f"{ker_rounds:g} rounds (Pittel {res['pittel_10k']})", flush=True)
    ps, ps_rounds = push_sum_s()
    res["push_sum_10k_s"] = round(ps, 4)
    res["push_sum_10k_rounds_to_1e-3"] = ps_rounds
    print(f"push-sum, 10,000 nodes, 40 rounds (complete): {res['push_sum_10k_s']} s, "
          f"{ps_rounds:g} rounds to a 0.001 error", flush=True)
    sw, note = swim_1k_s()
    res["swim_1k_s"] = None if sw is None else round(sw, 3)
    res["swim_note"] = note
    print(f"SWIM, 1,000 nodes, 60 s: {res['swim_1k_s']} s ({note})", flush=True)
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
