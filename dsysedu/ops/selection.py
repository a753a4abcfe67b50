"""Technology selection by required properties (技术选型): measure the options, filter, keep the Pareto front.

The "technologies" are the replicated registers of the course's CAP lesson
(:func:`~dsysedu.protocols.replication.cap.cap_scenario`): ABD majority quorums (CP) and
last-writer-wins replicas with anti-entropy (AP, pushing each write at once or only syncing), at
several numbers of replicas. Each is run under the same client workload, three times per seed: with a
partition (a minority cut from a majority), with two replicas crashed, and without a fault. :func:`measure_options`
fills one row per option with the four properties chapter 8.4 names:

``consistency``
    share of runs whose history is linearizable (the checker's verdict), and the share of
    reads that were stale;
``availability``
    share of the operations invoked *during the partition* that completed, and
    ``crash_availability``: the same share after two replicas crash (no partition);
``latency``
    median duration of a completed operation without a partition, in milliseconds;
``cost``
    replicas, and messages sent per completed operation without a partition.

:func:`select` keeps the options that meet the requirements; :func:`pareto_front` marks the options
that no other option beats on every property at once (the only ones worth choosing between).
Real selection does the same over databases and brokers with their documented guarantees (Jepsen's
reports are where those guarantees are tested) and a load test of one's own.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.check.history import History
from dsysedu.protocols.replication.cap import cap_measures, cap_scenario
from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import run

__all__ = ["Option", "OPTIONS", "measure_options", "select", "pareto_front", "OBJECTIVES"]

PARTITION_AT, HEAL_AT = 0.5, 2.0


@dataclass(frozen=True)
class Option:
    """One technology: a name and the :func:`cap_scenario` arguments that build it."""
    name: str
    mode: str
    replicas: int
    eager: bool = True


OPTIONS = (Option("ABD 3", "CP", 3), Option("ABD 5", "CP", 5), Option("ABD 7", "CP", 7),
           Option("LWW eager 3", "AP", 3), Option("LWW eager 5", "AP", 5), Option("LWW lazy 3", "AP", 3, False))
"""The options measured in chapter 8.4: ABD majority quorums over 3, 5 or 7 replicas; last writer wins over 3 or 5
replicas pushing each write at once (eager), or over 3 replicas leaving it to periodic anti-entropy (lazy)."""

#: column -> +1 if more is better, -1 if less is better: what the Pareto front compares
OBJECTIVES = {"linearizable": 1, "stale_reads": -1, "availability": 1, "crash_availability": 1, "latency_ms": -1,
              "messages_per_op": -1, "replicas": -1}


def _scenario(o: Option, fault: str):
    crashes = [Crash(0, at=PARTITION_AT), Crash(1, at=PARTITION_AT)] if fault == "crash" else []
    return cap_scenario(o.mode, o.replicas, 4, partition="default" if fault == "partition" else None,
                        partition_at=PARTITION_AT, heal_at=HEAL_AT, eager=o.eager, faults=crashes)


def _answered_after(trace, start, end=float("inf")) -> float:
    during = [op for op in History.from_trace(trace) if start <= op.invoke < end]
    return sum(op.status == "ok" for op in during) / len(during) if during else 1.0


def measure_options(options=OPTIONS, seeds=range(3)) -> pd.DataFrame:
    """Run every option on every seed, with and without a partition; one row of properties per option.

    Returns
    -------
    pandas.DataFrame
        Indexed by option name: ``mode``, ``replicas``, ``linearizable`` (share of partitioned runs),
        ``stale_reads``, ``availability``, ``crash_availability``, ``latency_ms``, ``messages_per_op``
        (means over seeds).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    rows = []
    for o in options:
        if not isinstance(o, Option):
            raise TypeError(f"options must be Option values, got {o!r}")
        lin, stale, avail, crashed, lat, msgs = [], [], [], [], [], []
        for seed in seeds:
            cut = run(_scenario(o, "partition"), seed=seed)
            m = cap_measures(cut)
            lin.append(bool(m.linearizable))
            stale.append(m.stale_reads)
            avail.append(_answered_after(cut, PARTITION_AT, HEAL_AT))
            crashed.append(_answered_after(run(_scenario(o, "crash"), seed=seed), PARTITION_AT + 0.1))
            calm = run(_scenario(o, "none"), seed=seed)
            ok = [op for op in History.from_trace(calm) if op.status == "ok"]
            lat.append(1000 * float(np.median([op.complete - op.invoke for op in ok])) if ok else np.inf)
            msgs.append(sum(r[1] == "send" for r in calm.rows) / max(1, len(ok)))
        rows.append({"option": o.name, "mode": o.mode, "replicas": o.replicas, "linearizable": float(np.mean(lin)),
                     "stale_reads": float(np.mean(stale)), "availability": float(np.mean(avail)),
                     "crash_availability": float(np.mean(crashed)),
                     "latency_ms": float(np.mean(lat)), "messages_per_op": float(np.mean(msgs))})
    return pd.DataFrame(rows).set_index("option")


def select(table: pd.DataFrame, **require) -> pd.DataFrame:
    """The options that meet every requirement: ``column=(low, high)`` bounds, either may be None.

    Examples
    --------
    >>> t = pd.DataFrame({"availability": [1.0, 0.6], "linearizable": [0.0, 1.0]}, index=["AP", "CP"])
    >>> list(select(t, linearizable=(1.0, None)).index), list(select(t, availability=(0.99, None)).index)
    (['CP'], ['AP'])
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"select() takes the DataFrame of measure_options(), got {table!r}")
    keep = pd.Series(True, index=table.index)
    for column, bounds in require.items():
        if column not in table.columns:
            raise ValueError(f"no property {column!r}; the properties are {list(table.columns)}")
        if not (isinstance(bounds, tuple) and len(bounds) == 2):
            raise TypeError(f"{column}: a requirement is a (low, high) pair, None for no bound; got {bounds!r}")
        low, high = bounds
        if low is not None:
            keep &= table[column] >= low
        if high is not None:
            keep &= table[column] <= high
    return table[keep]


def pareto_front(table: pd.DataFrame, objectives=None) -> pd.Series:
    """True for each option that no other option dominates (at least as good everywhere, better somewhere).

    ``objectives``: column -> +1 (more is better) or -1 (less is better); default :data:`OBJECTIVES`
    restricted to the table's columns.
    """
    objectives = {k: v for k, v in (objectives or OBJECTIVES).items() if k in table.columns}
    if not objectives:
        raise ValueError(f"none of the objectives is a column of the table; columns: {list(table.columns)}")
    if any(v not in (1, -1) for v in objectives.values()):
        raise ValueError("each objective's direction is +1 (more is better) or -1 (less is better)")
    values = np.column_stack([table[k].to_numpy(dtype=float) * v for k, v in objectives.items()])
    front = []
    for i in range(len(values)):
        dominated = any(np.all(values[j] >= values[i]) and np.any(values[j] > values[i])
                        for j in range(len(values)) if j != i)
        front.append(not dominated)
    return pd.Series(front, index=table.index, name="pareto")
