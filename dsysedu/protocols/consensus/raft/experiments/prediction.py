"""Predicting a leader failure from heartbeat gaps alone (chapter 3.1.3), scored against the crashes.

:func:`predict_leader_failures` raises an alarm when a node's leader has been silent for a
threshold; :func:`score_predictions` compares the alarms with the crash that really happened
in a :func:`~dsysedu.protocols.consensus.raft.experiments.timeouts.leader_crash_run`;
:func:`prediction_experiment` sweeps thresholds over seeds (precision, recall, detection delay).

References
----------
.. [1] N. Hayashibara et al., "The phi accrual failure detector", SRDS 2004 (suspicion from
   heartbeat inter-arrival times).
"""
from __future__ import annotations

import math

import pandas as pd

from ..messages import AppendEntries
from ..node import Raft
from .timeouts import leader_crash_run

__all__ = ["predict_leader_failures", "score_predictions", "prediction_experiment", "prediction_summary"]


def predict_leader_failures(trace, threshold: float) -> pd.DataFrame:
    """Predict "my leader has failed" from heartbeat gaps alone, and say when it was right.

    Each node watches the node it last heard AppendEntries from: its leader. If that leader
    sends it nothing for ``threshold`` seconds, the node raises an alarm, once per silence
    (the next AppendEntries ends it). A node that is crashed or paused watches nothing. The
    alarm is *correct* when the suspect was in fact crashed at that moment; a leader that is
    only paused or slow makes a false alarm.

    Parameters
    ----------
    trace : Trace
    threshold : float
        Seconds of silence before an alarm.

    Returns
    -------
    pandas.DataFrame
        One row per alarm: ``node, suspect, time, correct``.

    Examples
    --------
    >>> trace = leader_crash_run(seed=3, election_timeout=1.0)
    >>> alarms = predict_leader_failures(trace, threshold=0.3)
    >>> len(alarms), bool(alarms.correct.all())   # the 4 survivors, each right
    (4, True)
    """
    crashed_during = _down_intervals(trace)
    watch: dict = {}          # node -> (its leader, when that leader's last AppendEntries came)
    alarms = []

    def due(now):
        for n in [n for n, (_s, last) in watch.items() if last + threshold <= now]:
            suspect, last = watch.pop(n)
            at = last + threshold
            alarms.append((n, suspect, at, any(a <= at < b for a, b in crashed_during.get(suspect, ()))))

    for time, kind, node, peer, _mid, msg, _v in trace.rows:
        due(time)
        if kind == "deliver" and isinstance(msg, AppendEntries):
            watch[node] = (peer, time)
        elif kind in ("crash", "pause"):
            watch.pop(node, None)
    due(trace.end_time)
    df = pd.DataFrame(alarms, columns=["node", "suspect", "time", "correct"])
    return df.sort_values(["time", "node"], kind="stable").reset_index(drop=True)


def _down_intervals(trace) -> dict:
    out, since = {}, {}
    for time, kind, node, *_ in trace.rows:
        if kind == "crash":
            since[node] = time
        elif kind == "recover" and node in since:
            out.setdefault(node, []).append((since.pop(node), time))
    for node, t in since.items():
        out.setdefault(node, []).append((t, math.inf))
    return out


def score_predictions(trace, alarms: pd.DataFrame) -> dict:
    """Compare alarms with the leader crash of a :func:`leader_crash_run` trace.

    Returns
    -------
    dict
        ``alarms``, ``correct`` (alarms whose suspect was crashed), ``crashes`` (0 or 1),
        ``detected`` (1 if some node raised a correct alarm about the crashed leader),
        ``delay_s`` (first correct alarm minus the crash time; ``nan`` if not detected),
        ``raft_delay_s`` (when Raft itself reacted: the first election started after the crash).
    """
    leader, at = trace.meta["leader_crash"]
    hit = alarms[alarms.correct & (alarms.suspect == leader) & (alarms.time >= at)]
    raft = next((r[0] - at for r in trace.rows if r[0] >= at and r[1] == "observe" and r[5] == "term"), math.nan)
    return {"alarms": len(alarms), "correct": int(alarms.correct.sum()), "crashes": int(leader is not None),
            "detected": int(leader is not None and len(hit) > 0),
            "delay_s": float(hit.time.min() - at) if len(hit) else math.nan, "raft_delay_s": raft}


def prediction_experiment(thresholds=(0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8), seeds=range(20),
                          latency_median: float = 0.02, pauses: float = 0.1, election_timeout: float = 1.0,
                          **run_params) -> pd.DataFrame:
    """Score the heartbeat-gap predictor over seeds and thresholds.

    Each seed is one :func:`leader_crash_run` of :class:`~dsysedu.protocols.consensus.raft.node.Raft` (5 nodes,
    the given latency, random pauses as false-alarm bait, one leader crash). Raft runs with a
    cautious ``election_timeout`` (timers of 1-2 s by default), so a prediction could start
    the election sooner than Raft's own timer. Every threshold reads the same traces.

    Returns
    -------
    pandas.DataFrame
        One row per (threshold, seed): ``threshold_s, seed`` and the keys of
        :func:`score_predictions`.

    Examples
    --------
    >>> df = prediction_experiment(thresholds=[0.5], seeds=[0, 1])
    >>> int(df.detected.sum())
    2
    """
    rows = []
    for seed in seeds:
        trace = leader_crash_run(Raft, latency_median=latency_median, pauses=pauses, seed=seed,
                                 election_timeout=election_timeout, **run_params)
        for th in thresholds:
            rows.append({"threshold_s": th, "seed": seed,
                         **score_predictions(trace, predict_leader_failures(trace, th))})
    return pd.DataFrame(rows)


def prediction_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Pool :func:`prediction_experiment` runs per threshold.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``threshold_s``: ``alarms``; ``precision``, the share of alarms that were
        right; ``recall``, the share of leader crashes detected; ``false_per_run``, false alarms
        per run; ``median_delay_s``, from the crash to the first right alarm; and
        ``raft_median_delay_s``, from the crash to Raft's own first election.
    """
    g = df.groupby("threshold_s")
    out = pd.DataFrame({"alarms": g.alarms.sum()})
    out["precision"] = g.correct.sum() / out.alarms.where(out.alarms > 0)
    out["recall"] = g.detected.sum() / g.crashes.sum()
    out["false_per_run"] = (g.alarms.sum() - g.correct.sum()) / g.size()
    out["median_delay_s"] = g.delay_s.median()
    out["raft_median_delay_s"] = g.raft_delay_s.median()
    return out
