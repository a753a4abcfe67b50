"""Predict and hand over, or detect and elect: a leader in a gray failure (chapter 3.1.3).

:func:`gray_failure_run` runs five Raft nodes with a client command every 10 ms, and makes
whichever node leads at 2 s slower and slower (its handlers take 2, 4, 8, then 16 ms each, a
quarter of a second apart: the queue of events behind it grows) before it crashes for good at
3 s. Plain :class:`~dsysedu.protocols.consensus.raft.node.Raft` *detects* the failure after the
crash, when a follower's election timer runs out; :class:`~dsysedu.protocols.consensus.raft.transfer.RaftTransfer`
*predicts* it from the leader's own growing round trips and hands leadership over before the
crash. :func:`handover_experiment` runs both on the same seeds and reads, from what the client
saw, how long the service was unavailable: the longest time between two acknowledged commands.

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §3.10.
.. [2] P. Huang et al., "Gray failure: the Achilles' heel of cloud-scale systems", HotOS 2017.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dsysedu.sim.faults import Crash, Slow
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Scenario
from ..messages import ClientRequest
from ..node import Raft
from ..transfer import RaftTransfer
from .timeouts import _current_leader

__all__ = ["RAMP", "gray_failure_run", "client_gaps", "handover_experiment"]

#: (time, seconds per handler) of the leader's gray failure; it crashes at ``crash_at``
RAMP = ((2.0, 0.002), (2.25, 0.004), (2.5, 0.008), (2.75, 0.016))
CLIENT = 10_000   # the client id of the probe commands


def gray_failure_run(protocol=Raft, *, seed=0, nodes: int = 5, ramp=RAMP, crash_at: float | None = 3.0,
                     until: float = 4.0, every: float = 0.01, **params):
    """Run Raft with a leader that slows down (``ramp``) and then crashes, under a steady client.

    Parameters
    ----------
    protocol : Raft subclass
    seed : int
    nodes : int
    ramp : sequence of (time, delay)
        From each time on, every handler of the node that led at the first time takes ``delay``
        seconds (:class:`~dsysedu.sim.faults.Slow`). An empty ramp: no gray failure.
    crash_at : float or None
        When that node crashes for good (None: never).
    until : float
    every : float
        Seconds between client commands; each goes to the lowest-numbered node that is not the
        node that fails.
    **params
        For every node (``election_timeout``, ``heartbeat``, ``transfer_factor``...).

    Returns
    -------
    Trace
        ``trace.meta["gray"]`` is ``(failing node, asked node, ramp start, crash_at)``.
    """
    base = {"election_timeout": 0.15, "heartbeat": 0.05, "client_retry": 0.02}
    base.update(params)
    sc = Scenario(protocol, nodes=nodes, params=base, until=until, seed=seed,
                  link=LinkModel(latency=Uniform(0.002, 0.006)), name=f"gray failure ({protocol.__name__})")
    sim = Simulation(sc)
    start = ramp[0][0] if ramp else (crash_at if crash_at is not None else until / 2)
    events = sorted([(t, "slow", d) for t, d in ramp] + ([(crash_at, "crash", None)] if crash_at is not None else []))
    failing = asked = None
    seq, t = 0, every
    while t < until - 0.5:
        while events and events[0][0] <= t:
            at, kind, delay = events.pop(0)
            sim.run_until(at)
            if failing is None:
                failing = _current_leader(sim)
                if failing is None:
                    failing = 0
            if kind == "slow":
                sim.apply(Slow(failing, at=at, delay=delay))
            else:
                sim.apply(Crash(failing, at=at))
        sim.run_until(t)
        if failing is None and t >= start:
            failing = _current_leader(sim)
        if t >= 1.0:   # a leader is there by then: the client starts
            if asked is None:
                leader = _current_leader(sim)
                asked = min(n for n in sc.node_ids if n != leader)
            seq += 1
            sim.inject(asked, ClientRequest(CLIENT, seq, ("set", "k", seq)))
        t = round(t + every, 9)
    trace = sim.run()
    trace.meta["gray"] = (failing, asked, start, crash_at)
    return trace


def client_gaps(trace, since: float) -> dict:
    """What the client saw from ``since`` on: the longest gap between acknowledged commands, their
    median latency, how many were acknowledged, and the handovers (``transfer`` observations)."""
    acks = trace.observations("ack")
    acks = acks[[isinstance(v, tuple) and v[0] == CLIENT for v in acks.value]]
    times = np.sort(acks.time.to_numpy())
    times = times[times >= since]
    bounds = np.concatenate(([since], times, [trace.end_time - 0.5]))
    gaps = np.diff(bounds)
    transfers = trace.observations("transfer")
    return {"longest_gap_s": float(gaps.max()) if len(gaps) else math.nan, "acked": int(len(times)),
            "transfers": int(len(transfers)),
            "first_transfer_s": float(transfers.time.min()) if len(transfers) else math.nan}


def handover_experiment(seeds=range(20), protocols=None, **run_params) -> pd.DataFrame:
    """Detect-after-crash (Raft) against predict-and-hand-over (RaftTransfer), per seed.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``policy, seed`` and the keys of :func:`client_gaps` from the start of the
        ramp, plus ``leader_changes`` (the highest term minus the term at the start of the ramp).
    """
    protocols = protocols or {"detect after the crash (Raft)": Raft,
                              "predict and hand over (RaftTransfer)": RaftTransfer}
    rows = []
    for name, protocol in protocols.items():
        for seed in seeds:
            trace = gray_failure_run(protocol, seed=seed, **run_params)
            _failing, _asked, start, _crash = trace.meta["gray"]
            terms = trace.observations("term")
            before = terms[terms.time <= start].value
            rows.append({"policy": name, "seed": seed, **client_gaps(trace, since=start - 0.25),
                         "leader_changes": int(terms.value.max()) - (int(before.max()) if len(before) else 0)})
    return pd.DataFrame(rows)
