"""Resilience and antifragility (韧性, 反脆弱性): a cluster that comes out of stress better than it went in.

The system is a five-node Raft cluster (:mod:`dsysedu.protocols.consensus.raft`) whose leader
crashes once per run (:func:`~dsysedu.protocols.consensus.raft.experiments.timeouts.leader_crash_run`).
Its one adaptive part is the election timeout. The stress is a slow, jittery network (log-normal
link latency, median 40 ms): with the 100 ms timeout tuned for a LAN, followers give up on
a live leader and start needless elections, and the cluster spends time without a leader.

* **Resilient**: under the stress the cluster keeps its safety and still fails over (Raft's
  safety does not depend on timing); :func:`stress_table` measures how much it degrades.
* **Antifragile**, two ways. Offline, as chaos engineering does: :func:`heartbeat_gaps` reads
  the heartbeat gaps the followers saw during stressed runs, :func:`learned_timeout` turns them
  into a timeout, and the same stress on fresh seeds is run again with it. Online:
  :class:`~dsysedu.protocols.consensus.raft.experiments.timeouts.AdaptiveRaft` learns the
  timeout from the gaps it measures while the stress lasts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dsysedu.protocols.consensus.raft.experiments.timeouts import AdaptiveRaft, availability, leader_crash_run
from dsysedu.protocols.consensus.raft.messages import AppendEntries
from dsysedu.protocols.consensus.raft.node import Raft
from dsysedu.sim.validate import number

__all__ = ["heartbeat_gaps", "learned_timeout", "stress_table", "CALM", "STRESSED"]

CALM, STRESSED = 0.005, 0.04     # median one-way link latency (s) of the calm and the stressed network


def heartbeat_gaps(trace) -> np.ndarray:
    """Seconds between consecutive AppendEntries a follower received from the same leader."""
    last, gaps = {}, []
    for e in trace.events:
        if e.kind == "deliver" and isinstance(e.data, AppendEntries):
            key = (e.node, e.data.leader_id, e.data.term)
            if key in last:
                gaps.append(e.time - last[key])
            last[key] = e.time
    return np.array(gaps)


def learned_timeout(traces, quantile: float = 0.999, margin: float = 1.5) -> float:
    """An election timeout learned from stressed runs: ``margin`` times the ``quantile`` of their gaps.

    Raft draws the timer from ``[timeout, 2 * timeout]``, so a follower gives up on a live leader
    only when a gap exceeds at least the timeout.
    """
    number("quantile", quantile, low=0.0, high=1.0, low_open=True)
    number("margin", margin, low=1.0)
    gaps = np.concatenate([heartbeat_gaps(t) for t in traces] or [np.array([])])
    if not len(gaps):
        raise ValueError("the runs hold no heartbeat gaps to learn from (no leader sent two heartbeats)")
    return float(margin * np.quantile(gaps, quantile))


def _row(stage, network, seed, trace, timeout):
    return {"stage": stage, "network": network, "seed": seed, "timeout": timeout, **availability(trace)}


def stress_table(learn_seeds=range(5), test_seeds=range(100, 110), timeout: float = 0.1) -> tuple:
    """Before, after and online learning, on the calm and the stressed network.

    Returns
    -------
    (DataFrame, float)
        One row per run: ``stage`` ("tuned for calm", "learned from stress", "adaptive"),
        ``network`` ("calm", "stressed"), ``seed``, ``timeout`` (the configured one) and the keys
        of :func:`~dsysedu.protocols.consensus.raft.experiments.timeouts.availability`
        (``elections``, ``first_leader_s``, ``leaderless_s``, ``failover_s``); and the learned
        timeout. The learning runs (``learn_seeds``) and the test runs (``test_seeds``) differ.
    """
    timeout = number("timeout", timeout, low=0.0, low_open=True)
    lessons = [leader_crash_run(Raft, latency_median=STRESSED, seed=s, election_timeout=timeout) for s in learn_seeds]
    learned = learned_timeout(lessons)
    rows = []
    for network, latency in (("calm", CALM), ("stressed", STRESSED)):
        for seed in test_seeds:
            for stage, protocol, t in (("tuned for calm", Raft, timeout), ("learned from stress", Raft, learned),
                                       ("adaptive", AdaptiveRaft, timeout)):
                trace = leader_crash_run(protocol, latency_median=latency, seed=seed, election_timeout=t)
                rows.append(_row(stage, network, seed, trace, t))
    return pd.DataFrame(rows), learned
