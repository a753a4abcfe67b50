"""Transactions benchmark: simulated two-phase commit, Paxos Commit and sagas per wall second.

Run:  .venv/bin/python benchmarks/transactions.py      (a few seconds)

The last line printed is one JSON object. Each measure is one function below, registered in
``MEASURES``; a new protocol adds its function and one entry there. The keys:

* ``twopc_txn_per_s``: transactions per wall second of
  :func:`dsysedu.protocols.transactions.twopc_sim.twopc_sim_scenario` with 3 participants and
  ``TXNS`` transactions run one after another in one simulation (the logged coordinator, locking
  participants, no faults), best of ``REPEATS``; ``twopc_events`` the trace rows of one run.
* ``twopc_crash_runs_per_s``: single-transaction runs per wall second through
  :func:`~dsysedu.protocols.transactions.twopc_sim.run_with_crash_points`, the coordinator crashing
  before its log for 1 s (the step-by-step driver, as the chapter's crash-point table uses it).
* ``saga_runs_per_s``: orchestrated order sagas (a coordinator, 3 services, 10 ms links) per wall
  second, the failing step cycling through none, 1, 2 and 3, each run to its end and checked to have
  settled (all-done or all-compensated):
  :func:`dsysedu.protocols.transactions.saga_runs.saga_runs_per_s`, median of ``SAGA_REPEATS``
  batches of ``SAGA_RUNS`` runs; ``saga_choreography_runs_per_s`` the same for the choreographed saga.
* ``paxos_commit_txn_per_s``: fault-free Paxos Commit transactions per wall second, 3 RMs, F = 1
  (3 acceptors, 2 leaders), one simulation per transaction, each checked to have decided:
  :func:`dsysedu.protocols.transactions.paxos_commit_runs.paxos_commit_txn_per_s`, median of
  ``PC_REPEATS`` batches of ``PC_RUNS``; ``twopc_single_txn_per_s`` the same for the model-checked 2PC
  (:func:`~dsysedu.protocols.transactions.twopc.twopc_scenario`, 3 participants), one simulation per
  transaction, so that the two compare; ``paxos_commit_messages`` and ``paxos_commit_delays`` the
  messages and message delays (from the Prepare) until every RM knew the outcome, F = 1, and
  ``twopc_messages``, ``twopc_delays`` the same for 2PC
  (:func:`~dsysedu.protocols.transactions.paxos_commit_runs.commit_costs`).
"""
from __future__ import annotations

import json
import statistics
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dsysedu.protocols.transactions.twopc_sim import (atomic, run_with_crash_points,  # noqa: E402
                                                      twopc_sim_scenario)
from dsysedu.sim import run  # noqa: E402

REPEATS = 3
TXNS = 2_000
CRASH_RUNS = 200


def best_of(fn):
    best, out = float("inf"), None
    for _ in range(REPEATS):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def twopc() -> dict:
    sc = twopc_sim_scenario(3, transactions=TXNS, until=TXNS * 0.05)
    seconds, trace = best_of(lambda: run(sc, seed=1))
    assert atomic(trace) and len({e.value[0] for e in trace.events if e.kind == "observe" and e.data == "decision"}) == TXNS
    crash = twopc_sim_scenario(3, crash_at={"c": "before_log"}, until=3.0)
    crash_s, _ = best_of(lambda: [run_with_crash_points(crash, seed=s, downtime=1.0) for s in range(CRASH_RUNS)])
    return {"twopc_txn_per_s": round(TXNS / seconds), "twopc_events": len(trace.rows),
            "twopc_crash_runs_per_s": round(CRASH_RUNS / crash_s)}


SAGA_RUNS, SAGA_REPEATS = 400, 5


def saga() -> dict:
    from dsysedu.protocols.transactions.saga_runs import saga_runs_per_s
    saga_runs_per_s(50)                                   # warm up imports and caches
    out = {"saga_runs_per_s": statistics.median(saga_runs_per_s(SAGA_RUNS, seed=r * SAGA_RUNS)
                                                for r in range(SAGA_REPEATS)),
           "saga_choreography_runs_per_s": statistics.median(
               saga_runs_per_s(SAGA_RUNS, seed=r * SAGA_RUNS, style="choreography") for r in range(SAGA_REPEATS))}
    return {k: round(v) for k, v in out.items()}


PC_RUNS, PC_REPEATS = 200, 5


def paxos_commit() -> dict:
    from dsysedu.protocols.transactions.paxos_commit_runs import (commit_costs, decided_at,
                                                                  paxos_commit_txn_per_s)
    from dsysedu.protocols.transactions.twopc import twopc_scenario
    paxos_commit_txn_per_s(20)                            # warm up
    pc = statistics.median(paxos_commit_txn_per_s(PC_RUNS) for _ in range(PC_REPEATS))
    sc = twopc_scenario(3, node_params={p: {"abort_after": None} for p in ("p1", "p2", "p3")}, until=0.5)

    def twopc_batch():
        t = time.perf_counter()
        for s in range(PC_RUNS):
            assert decided_at(run(sc, seed=s)) is not None
        return PC_RUNS / (time.perf_counter() - t)
    two = statistics.median(twopc_batch() for _ in range(PC_REPEATS))
    costs = commit_costs(3)
    return {"paxos_commit_txn_per_s": round(pc), "twopc_single_txn_per_s": round(two),
            "paxos_commit_messages": int(costs.loc[("Paxos Commit", 1), "messages"]),
            "paxos_commit_delays": int(costs.loc[("Paxos Commit", 1), "message delays"]),
            "twopc_messages": int(costs.loc[("2PC", 0), "messages"]),
            "twopc_delays": int(costs.loc[("2PC", 0), "message delays"])}


MEASURES = [twopc, saga, paxos_commit]


def main() -> dict:
    out = {}
    for measure in MEASURES:
        out.update(measure())
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
