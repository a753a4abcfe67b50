"""The experiments of chapter 3.1b (consensus in practice), one table each.

:func:`kv_verdicts`
    The Raft key-value store under the nemesis, judged by the linearizability checker over
    many seeds, for several configurations (read paths, broken variants, compaction).
:func:`stale_read_table`
    A cut-off leader and its clients: which read paths return stale data, with a clock that
    drifts or jumps.
:func:`compaction_sweep`
    Log compaction under random faults: safety and liveness, snapshots taken and installed,
    and how many entries each server still holds.
:func:`pipeline_costs`
    Messages per committed command with and without pipelining.
"""
from __future__ import annotations

import pandas as pd

from dsysedu.protocols.consensus.raft.jepsen import check_kv_run, kv_run, stale_read_run
from dsysedu.protocols.consensus.raft.node import Raft
from dsysedu.protocols.consensus.raft.pipeline import PipelinedRaft
from dsysedu.protocols.consensus.raft.properties import client_liveness, raft_safety
from dsysedu.protocols.consensus.raft.scenarios import chaos_scenario
from dsysedu.protocols.consensus.raft.snapshots import CompactingRaft
from dsysedu.sim.kernel import run
from .costs import raft_commit_cost

__all__ = ["kv_verdicts", "stale_read_table", "stale_read_example", "compaction_sweep", "pipeline_costs",
           "held_entries"]


def kv_verdicts(configs: dict, seeds=range(100), servers: int = 5, clients: int = 3) -> pd.DataFrame:
    """One row per configuration: runs, violations, the first violating seed.

    Parameters
    ----------
    configs : dict name -> dict
        Keyword arguments of :func:`~dsysedu.protocols.consensus.raft.jepsen.kv_scenario`
        (``read_path``, ``protocol``, ``check_quorum``...).

    Examples
    --------
    >>> kv_verdicts({"log": {}}, seeds=range(3)).violations.tolist()
    [0]
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("kv_verdicts needs at least one seed")
    rows = []
    for name, kw in configs.items():
        bad = []
        for seed in seeds:
            verdict = check_kv_run(kv_run(seed, servers, clients=clients, **kw))
            if not verdict.ok:
                bad.append(seed)
        rows.append({"configuration": name, "runs": len(seeds), "violations": len(bad),
                     "first_violating_seed": bad[0] if bad else None})
    return pd.DataFrame(rows)


def stale_read_table(clocks: dict, paths=("lease", "read_index"), seeds=range(20)) -> pd.DataFrame:
    """Runs of :func:`~dsysedu.protocols.consensus.raft.jepsen.stale_read_scenario` with stale reads, per path and clock.

    Parameters
    ----------
    clocks : dict name -> dict
        Keyword arguments of the scenario for each row: ``drift``, ``jump``, ``others_drift``,
        ``timer_clock``, ``latency``.
    """
    seeds = list(seeds)
    rows = []
    for clock, kw in clocks.items():
        for path in paths:
            bad = sum(not check_kv_run(stale_read_run(path, s, **kw)).ok for s in seeds)
            rows.append({"clock": clock, "read path": path, "runs": len(seeds), "stale runs": bad})
    return pd.DataFrame(rows)


def held_entries(trace) -> dict:
    """How many log entries each server holds at the end of a run (its log minus its snapshot)."""
    obs = trace.observations()
    last = obs[obs.key == "log_len"].groupby("node").value.last().to_dict()
    snaps = obs[obs.key == "snapshot"].groupby("node").value.last().to_dict()
    return {n: last.get(n, 0) - (snaps[n][0] if n in snaps else 0) for n in trace.nodes}


def compaction_sweep(seeds=range(200), snapshot_every: int = 2, chunk_size: int = 2, requests: int = 12,
                     nodes: int = 5) -> pd.DataFrame:
    """Compacting Raft under random faults, one row per seed.

    Columns: ``seed, safe, live, snapshots, installs, chunks, log_end, held_max`` (the highest
    index written, and the most entries any server still holds at the end).
    """
    rows = []
    for seed in seeds:
        trace = run(chaos_scenario(nodes, protocol=CompactingRaft, snapshot_every=snapshot_every,
                                   chunk_size=chunk_size, requests=requests), seed=seed)
        keys = trace.observations().key
        lens = trace.observations("log_len")
        rows.append({"seed": seed, "safe": raft_safety(trace).ok,
                     "live": client_liveness(trace, within=1.5, after=2.0).ok,
                     "snapshots": int((keys == "snapshot").sum()), "installs": int((keys == "installed").sum()),
                     "chunks": int((keys == "chunk").sum()), "log_end": int(lens.value.max()),
                     "held_max": max(held_entries(trace).values())})
    return pd.DataFrame(rows)


def pipeline_costs(seeds=range(5), nodes: int = 5) -> pd.DataFrame:
    """Messages and latency per committed command: Raft as Figure 2 states it, and pipelined."""
    rows = []
    for name, protocol in (("Raft (Figure 2)", Raft), ("pipelined", PipelinedRaft)):
        for seed in seeds:
            for r in raft_commit_cost(seed, nodes=nodes, protocol=protocol).itertuples():
                rows.append({"leader": name, "seed": seed, "messages": r.messages, "latency_ms": r.latency_s * 1000})
    return pd.DataFrame(rows)


def stale_read_example(path: str = "lease", seeds=range(20), **clock) -> tuple:
    """The first seed whose :func:`~dsysedu.protocols.consensus.raft.jepsen.stale_read_scenario` run
    returned stale data, with its trace: ``(seed, trace)``. ValueError if none did."""
    for seed in seeds:
        trace = stale_read_run(path, seed, **clock)
        if not check_kv_run(trace).ok:
            return seed, trace
    raise ValueError(f"no stale read on the {path} path with {clock or 'a true clock'} in seeds {seeds!r}")
