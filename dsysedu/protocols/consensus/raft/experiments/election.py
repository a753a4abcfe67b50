"""How long a Raft election takes, and what the heartbeat interval does to it (chapter 3.1.3).

After a leader crashes, each follower waits for its own election timer, drawn uniformly from
``[T, 2T]`` (T the election timeout) and restarted at the last heartbeat it heard. The first
timer to run out starts an election, which takes one round trip when no other timer runs out
meanwhile. :func:`election_times` measures the time from the crash to the next leader over
many seeds, so that its distribution can be set beside the timer range; :func:`heartbeat_sweep`
varies the heartbeat interval under one election timeout, and counts the elections that no
crash caused (a follower whose timer ran out while the leader was alive).

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §5.6 (broadcastTime << electionTimeout << MTBF) and §9.3 with Figure 16
   (the time to elect a new leader after a crash, against the randomness of the timeout).
"""
from __future__ import annotations

import math

import pandas as pd

from dsysedu.sim.validate import number
from ..node import Raft
from .timeouts import leader_crash_run

__all__ = ["election_time", "election_times", "heartbeat_sweep"]


def election_time(trace) -> dict:
    """Read one :func:`~.timeouts.leader_crash_run` trace: the election after the crash.

    Returns
    -------
    dict
        ``election_s``: seconds from the leader crash to the next ``leader`` observation
        (``nan`` if nobody was elected before the end); ``spurious``: elections started before
        the crash beyond the first one (each election raises the term), i.e. elections while a
        leader was alive; ``candidacies``: elections (terms) from the crash to the next leader;
        ``messages_per_s``: messages sent per second from 1 s to the crash (heartbeats, their
        replies, and any election's messages).
    """
    crashed, at = trace.meta["leader_crash"]
    if crashed is None:
        return {"election_s": math.nan, "spurious": math.nan, "candidacies": math.nan, "messages_per_s": math.nan}
    sent = sum(1 for time, kind, *_ in trace.rows if kind == "send" and 1.0 <= time < at)
    rate = sent / (at - 1.0) if at > 1.0 else math.nan
    terms = trace.observations("term")
    before = terms[terms.time <= at]
    top_before = int(before.value.max()) if len(before) else 0
    led = trace.observations("leader")
    after = led[(led.time > at) & (led.node != crashed)]
    if after.empty:
        return {"election_s": math.nan, "spurious": max(0, top_before - 1), "candidacies": math.nan,
                "messages_per_s": rate}
    first = after.iloc[0]
    return {"election_s": float(first.time - at), "spurious": max(0, top_before - 1),
            "candidacies": int(first.value) - top_before, "messages_per_s": rate}


def election_times(seeds=range(100), *, election_timeout: float = 0.15, heartbeat: float = 0.05,
                   latency_median: float = 0.005, sigma: float = 0.5, loss: float = 0.0, nodes: int = 5,
                   until: float = 4.0) -> pd.DataFrame:
    """Crash the leader once per seed and measure the election that follows.

    Parameters
    ----------
    seeds : iterable of int
        One run each (:func:`~.timeouts.leader_crash_run`, crash between 2 s and 3 s).
    election_timeout, heartbeat : float
        Seconds; the timers are drawn from ``[election_timeout, 2 * election_timeout]``.
    latency_median, sigma : float
        Log-normal link latency.
    loss : float
        Probability that a message is lost (a lost heartbeat is what a short interval covers).
    nodes : int
    until : float

    Returns
    -------
    pandas.DataFrame
        One row per seed: ``seed``, ``election_timeout``, ``heartbeat`` and the keys of
        :func:`election_time`.

    Raises
    ------
    ValueError
        If a time is not positive, or the heartbeat is not shorter than the election timeout
        (followers would time out between two heartbeats of a live leader).

    Examples
    --------
    >>> df = election_times(seeds=range(3))
    >>> bool(((df.election_s > 0.15 - 0.05) & (df.election_s < 0.35)).all())
    True
    """
    number("election_timeout", election_timeout, low=0.0, low_open=True)
    number("heartbeat", heartbeat, low=0.0, low_open=True)
    if heartbeat >= election_timeout:
        raise ValueError(f"heartbeat must be shorter than election_timeout ({heartbeat} >= {election_timeout} s): "
                         "a follower would time out between two heartbeats of a live leader")
    rows = []
    for seed in seeds:
        trace = leader_crash_run(Raft, latency_median=latency_median, sigma=sigma, loss=loss, nodes=nodes, seed=seed,
                                 until=until, election_timeout=election_timeout, heartbeat=heartbeat)
        rows.append({"seed": seed, "election_timeout": election_timeout, "heartbeat": heartbeat,
                     **election_time(trace)})
    return pd.DataFrame(rows)


def heartbeat_sweep(heartbeats=(0.01, 0.025, 0.05, 0.1, 0.14), seeds=range(20), *, election_timeout: float = 0.15,
                    **params) -> pd.DataFrame:
    """:func:`election_times` for several heartbeat intervals under one election timeout.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``heartbeat``: ``election_median_s`` (median seconds from the crash to the
        next leader), ``spurious`` (mean elections per run while the leader was alive),
        ``messages_per_s`` (mean messages sent per second by the whole cluster before the crash).
    """
    frames = [election_times(seeds, election_timeout=election_timeout, heartbeat=h, **params) for h in heartbeats]
    df = pd.concat(frames, ignore_index=True)
    g = df.groupby("heartbeat")
    return pd.DataFrame({"election_median_s": g.election_s.median(), "spurious": g.spurious.mean(),
                         "messages_per_s": g.messages_per_s.mean()})
