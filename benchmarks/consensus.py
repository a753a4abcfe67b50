"""Consensus benchmark: a 5-node Raft run with a leader crash, the randomized Raft sweep, Paxos decisions.

Run:  .venv/bin/python benchmarks/consensus.py      (about 15 s on the 2-vCPU development VM)

The last line printed is one JSON object with the keys

``raft5_10s_ms``
    Wall milliseconds to simulate a 5-node Raft cluster (10 ms links, 50 ms heartbeats,
    150-300 ms election timers) for 10 simulated seconds, node 0 leading until it crashes at
    5 s and another node taking over; the trace records every event, as in the lessons.
    Median of ``RUNS`` runs, seeds 0 to ``RUNS - 1``. Target: at most 20 ms.
``raft_seeds_per_s``
    Randomized fault runs per wall second, each exactly as in
    ``tests/protocols/test_raft_sweep.py`` (its ``check_run``: a chaos scenario with crashes,
    pauses, partitions, loss, duplication and reordering, then every safety, agreement,
    validity, termination and client-liveness check), over ``SWEEP_SEEDS`` seeds for each of
    3, 5 and 7 nodes.
``paxos_decisions_per_s``
    Single-decree Paxos decisions per wall second: 5 nodes, one proposer, 10 ms links, a run
    per decision (until every node has decided and the run is quiet).

``raft_log_model_states`` and ``raft_log_model_states_per_s``
    The model checker on Raft's log with compaction, as chapter 3.1b checks it:
    ``raft_log_model(CompactingRaft, max_term=2, snapshot_every=1, heartbeats=0, retries=0,
    symmetric=True, compress=True, fifo=True)`` with ``log_safety_invariant`` (3 servers, one
    command, terms up to 2, FIFO links), explored in full: the number of states and the states
    per wall second (best of ``MODEL_RUNS`` checks, each on a fresh model).

Wall-clock times come from ``time.perf_counter``; one process, no parallelism.
"""
from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import time

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, REPO)

from dsysedu import Crash, Scenario, run  # noqa: E402
from dsysedu.protocols.consensus.raft.properties import leaders  # noqa: E402
from dsysedu.protocols.consensus.paxos import Paxos  # noqa: E402
from dsysedu.protocols.consensus.raft import Raft  # noqa: E402

RUNS = 20
SWEEP_SEEDS = 40
PAXOS_RUNS = 400
MODEL_RUNS = 3


def raft5_10s_ms() -> float:
    """Median wall ms of a 10 s, 5-node Raft run with one leader crash."""
    sc = Scenario(Raft, nodes=5, node_params={0: {"election_timeout": 0.05}}, faults=[Crash(0, at=5.0)], until=10.0)
    times = []
    for seed in range(RUNS):
        t0 = time.perf_counter()
        trace = run(sc, seed=seed)
        times.append((time.perf_counter() - t0) * 1000)
        terms = leaders(trace)
        assert terms[1][0][0] == 0 and terms[max(terms)][0][0] != 0, f"seed {seed}: no failover"
    return statistics.median(times)


def _sweep_module():
    path = os.path.join(REPO, "tests", "protocols", "test_raft_sweep.py")
    spec = importlib.util.spec_from_file_location("raft_sweep", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def raft_seeds_per_s() -> float:
    """Randomized fault runs (scenario + every check) per wall second, as the sweep test runs them."""
    sweep = _sweep_module()
    count = 0
    t0 = time.perf_counter()
    for nodes in (3, 5, 7):
        for seed in range(SWEEP_SEEDS):
            verdict = sweep.check_run(nodes, seed)
            assert verdict, f"{nodes} nodes, seed {seed}: {verdict}"
            count += 1
    return count / (time.perf_counter() - t0)


def paxos_decisions_per_s() -> float:
    """Single-decree Paxos runs (one decision each) per wall second."""
    sc = Scenario(Paxos, nodes=5, params={"proposers": (0,)}, until=3.0)
    t0 = time.perf_counter()
    for seed in range(PAXOS_RUNS):
        trace = run(sc, seed=seed)
        assert len(trace.observations("decided")) == 5
    return PAXOS_RUNS / (time.perf_counter() - t0)


def multipaxos_decisions_per_s() -> float:
    """Multi-Paxos decisions (slots chosen at the leader) per wall second: 5 nodes, 200 commands
    arriving at the leader 5 ms apart, constant 10 ms links, one stable leader."""
    from dsysedu.protocols.consensus.multipaxos import multipaxos_calm_scenario
    probe = run(multipaxos_calm_scenario(5, commands=0, until=1.0), seed=0)
    leader = probe.observations("leader").node.iloc[-1]
    sc = multipaxos_calm_scenario(5, commands=200, spacing=0.005, at_node=leader)
    t0 = time.perf_counter()
    trace = run(sc, seed=0)
    elapsed = time.perf_counter() - t0
    decided = trace.observations("decided")
    chosen = len(decided[decided.node == leader])
    assert chosen == 200, f"{chosen} of 200 commands chosen"
    return chosen / elapsed


def raft_kv_checked_runs_per_s(seeds: int = 100) -> float:
    """Chaos runs of the Raft key-value store (5 servers, 3 clients, the nemesis until 3 s, 5 s
    simulated) with the clients' history checked for linearizability, per wall second."""
    from dsysedu.protocols.consensus.raft.jepsen import check_kv_run, kv_run
    t0 = time.perf_counter()
    for seed in range(seeds):
        verdict = check_kv_run(kv_run(seed, 5, clients=3))
        assert verdict, f"seed {seed}: {verdict}"
    return seeds / (time.perf_counter() - t0)


def raft_log_model_rate() -> tuple[int, float]:
    """States of the compacted-log Raft model (explored in full) and the best states per wall second."""
    from dsysedu.check.model_checker import check
    from dsysedu.protocols.consensus.raft import CompactingRaft
    from dsysedu.protocols.consensus.raft.log_model import log_safety_invariant, raft_log_model
    best, states = 0.0, None
    for _ in range(MODEL_RUNS):
        model = raft_log_model(CompactingRaft, max_term=2, snapshot_every=1, heartbeats=0, retries=0, symmetric=True,
                               compress=True, fifo=True)
        t0 = time.perf_counter()
        r = check(model, log_safety_invariant)
        elapsed = time.perf_counter() - t0
        assert r.verdict == "ok", r.message
        states = r.states
        best = max(best, r.states / elapsed)
    return states, best


def main() -> dict:
    res = {}
    res["raft5_10s_ms"] = round(raft5_10s_ms(), 1)
    print(f"Raft, 5 nodes, 10 s, leader crash: {res['raft5_10s_ms']} ms (median of {RUNS})", flush=True)
    res["raft_seeds_per_s"] = round(raft_seeds_per_s(), 1)
    print(f"randomized Raft fault runs:        {res['raft_seeds_per_s']} runs/s (3, 5, 7 nodes)", flush=True)
    res["paxos_decisions_per_s"] = round(paxos_decisions_per_s(), 1)
    print(f"single-decree Paxos:               {res['paxos_decisions_per_s']} decisions/s", flush=True)
    res["multipaxos_decisions_per_s"] = round(multipaxos_decisions_per_s(), 1)
    print(f"Multi-Paxos (stable leader):       {res['multipaxos_decisions_per_s']} decisions/s", flush=True)
    res["raft_kv_checked_runs_per_s"] = round(raft_kv_checked_runs_per_s(), 1)
    print(f"Raft KV chaos runs, history checked: {res['raft_kv_checked_runs_per_s']} runs/s", flush=True)
    states, rate = raft_log_model_rate()
    res["raft_log_model_states"], res["raft_log_model_states_per_s"] = states, round(rate)
    print(f"model checker, Raft log + snapshots: {states:,} states at {rate:,.0f} states/s", flush=True)
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
