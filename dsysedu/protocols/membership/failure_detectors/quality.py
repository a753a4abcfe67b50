"""How good is a failure detector? Completeness, accuracy and the quality-of-service numbers, from a trace.

Chandra and Toueg's properties [1]_ as verdicts (:func:`completeness`, :func:`accuracy`),
Chen, Toueg and Aguilera's measures [2]_ as numbers (:func:`detector_quality`: detection
time, false-suspicion rate, mistake duration), and :func:`tradeoff`, which sweeps a
detector's parameters against jitter and loss. Every function reads the ``suspects`` (or
another) observations of any detector.

References
----------
.. [1] T. D. Chandra and S. Toueg, "Unreliable failure detectors for reliable distributed
   systems", Journal of the ACM 43(2), 1996.
.. [2] W. Chen, S. Toueg and M. K. Aguilera, "On the quality of service of failure
   detectors", IEEE Transactions on Computers 51(5), 2002.
"""
from __future__ import annotations

import functools
import math

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.faults import Crash
from dsysedu.sim.network import Constant, LinkModel, LogNormal
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int
from dsysedu.sweep import sweep

__all__ = ["detector_quality", "completeness", "accuracy", "tradeoff"]


def _timelines(trace, key):
    """Per observer: list of (time, seq, frozenset) of its ``key`` observations, and crash spans."""
    obs = {n: [] for n in trace.nodes}
    crashes = {n: [] for n in trace.nodes}   # node -> [(crash time, recover time or None, seq)]
    for seq, r in enumerate(trace.rows):
        t, kind, node = r[0], r[1], r[2]
        if kind == "observe" and r[5] == key:
            obs.setdefault(node, []).append((t, seq, frozenset(r[6])))
        elif kind == "crash":
            crashes.setdefault(node, []).append([t, None, seq])
            obs.setdefault(node, []).append((t, seq, None))  # a crashed node outputs nothing
        elif kind == "recover" and crashes.get(node):
            crashes[node][-1][1] = t
    return obs, crashes


def _spans(timeline, member, end):
    """Intervals ``[start, stop, seq_of_start]`` during which ``member`` is in the observer's output."""
    out, cur = [], None
    for t, seq, value in timeline:
        inside = value is not None and member in value
        if inside and cur is None:
            cur = [t, end, seq]
        elif not inside and cur is not None:
            cur[1] = t
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def _crashed_at(crashes, node, t) -> bool:
    return any(c <= t and (r is None or t < r) for c, r, _ in crashes.get(node, ()))


def detector_quality(trace, detector_key: str = "suspects") -> dict:
    """Completeness, accuracy and the QoS metrics of Chen, Toueg and Aguilera [2]_ from a trace.

    A node is *correct* if it never crashes during the run (paused and slow nodes are
    correct: suspecting them is a mistake).

    Parameters
    ----------
    trace : Trace
        A run of a detector that observes ``(detector_key, frozenset)``.
    detector_key : str
        The observation key holding the detector's output.

    Returns
    -------
    dict
        ``detections``: DataFrame ``crashed, crash_time, observer, detection_time`` (NaN when
        the observer never suspected the crashed node for good); ``mistakes``: DataFrame
        ``observer, suspect, start, end, duration, seq``; and the numbers
        ``mean_detection_time``, ``max_detection_time``, ``strong_completeness``,
        ``false_suspicions``, ``false_suspicion_rate`` (per ordered observer pair per second),
        ``mean_mistake_duration``, ``strong_accuracy``, ``weak_accuracy``.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector
    >>> t = run(Scenario(HeartbeatDetector, nodes=3, faults=[Crash(2, at=1.0)], until=2.0))
    >>> q = detector_quality(t)
    >>> q["strong_completeness"], q["false_suspicions"]
    (True, 0)
    """
    end = trace.end_time
    obs, crashes = _timelines(trace, detector_key)
    nodes = list(trace.nodes)
    correct = [n for n in nodes if not crashes.get(n)]
    det_rows = []
    for c in nodes:
        for ct, rt, _ in crashes.get(c, ()):
            stop = end if rt is None else rt
            for o in correct:
                spans = _spans(obs[o], c, end)
                # detection: the start of the suspicion that lasts until the crash ends (or the run)
                d = math.nan
                for s, e, _ in spans:
                    if s <= stop and e >= stop and e > ct:
                        d = max(s, ct) - ct
                det_rows.append((c, ct, o, d))
    detections = pd.DataFrame(det_rows, columns=["crashed", "crash_time", "observer", "detection_time"])
    mis_rows = []
    for o in nodes:
        for q in nodes:
            if q == o:
                continue
            for s, e, seq in _spans(obs[o], q, end):
                if _crashed_at(crashes, q, s):
                    continue
                # a mistake ends when the suspicion is withdrawn, or becomes true when q crashes
                later = [c for c, _, _ in crashes.get(q, ()) if s < c < e]
                stop = min(later) if later else e
                mis_rows.append((o, q, s, stop, stop - s, seq))
    mistakes = pd.DataFrame(mis_rows, columns=["observer", "suspect", "start", "end", "duration", "seq"])
    pairs = len(nodes) * (len(nodes) - 1)
    ever_suspected = set(mistakes["suspect"])
    return {
        "detections": detections,
        "mistakes": mistakes,
        "mean_detection_time": float(detections["detection_time"].mean()) if len(detections) else math.nan,
        "max_detection_time": float(detections["detection_time"].max()) if len(detections) else math.nan,
        "strong_completeness": bool(detections["detection_time"].notna().all()),
        "false_suspicions": int(len(mistakes)),
        "false_suspicion_rate": len(mistakes) / (pairs * end) if pairs and end > 0 else 0.0,
        "mean_mistake_duration": float(mistakes["duration"].mean()) if len(mistakes) else 0.0,
        "strong_accuracy": len(mistakes) == 0,
        "weak_accuracy": any(n not in ever_suspected for n in correct),
    }


def completeness(trace, key: str = "suspects", strong: bool = True) -> Verdict:
    """Check that every crashed node is suspected at the end of the run by every correct node
    (``strong``) or by some correct node (weak).

    The verdict's events are the crash rows that were not detected.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector
    >>> completeness(run(Scenario(HeartbeatDetector, nodes=3, faults=[Crash(1, at=0.5)], until=1.5))).ok
    True
    """
    end = trace.end_time
    obs, crashes = _timelines(trace, key)
    correct = [n for n in trace.nodes if not crashes.get(n)]
    name = ("strong" if strong else "weak") + " completeness"
    bad, missed = [], []
    for c in trace.nodes:
        if not crashes.get(c) or crashes[c][-1][1] is not None:
            continue  # never crashed, or recovered: nothing to detect at the end
        seq = crashes[c][-1][2]
        holders = [o for o in correct if obs[o] and obs[o][-1][2] is not None and c in obs[o][-1][2]]
        if (strong and len(holders) < len(correct)) or (not strong and not holders):
            bad.append(seq)
            missed.append((c, sorted(set(correct) - set(holders), key=repr)))
    if bad:
        c, who = missed[0]
        return Verdict(False, name, f"crashed node {c!r} not suspected at t={end:g} by {who}", bad)
    return Verdict(True, name, f"every crashed node suspected by {'every' if strong else 'some'} correct node")


def accuracy(trace, key: str = "suspects", strong: bool = True) -> Verdict:
    """Check strong accuracy (no node suspected before it crashes) or weak accuracy (some
    correct node is never suspected by anyone).

    The verdict's events are the observations that began a wrong suspicion.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector
    >>> accuracy(run(Scenario(HeartbeatDetector, nodes=3, until=1.0))).ok
    True
    """
    q = detector_quality(trace, key)
    m = q["mistakes"]
    if strong:
        if len(m):
            first = m.sort_values("start").to_dict("records")[0]  # per-column types: node ids stay ints
            return Verdict(False, "strong accuracy",
                           f"node {first['observer']!r} suspected live node {first['suspect']!r} "
                           f"at t={first['start']:g} ({len(m)} mistakes)", tuple(m["seq"]))
        return Verdict(True, "strong accuracy", "no node was suspected before it crashed")
    if q["weak_accuracy"]:
        return Verdict(True, "weak accuracy", "some correct node was never suspected")
    return Verdict(False, "weak accuracy", "every correct node was suspected at some time", tuple(m["seq"]))


def _tradeoff_scenario(seed, *, point, jitter, loss, grid, detector, nodes, median_latency, crash_at, until):
    latency = LogNormal(median_latency, jitter) if jitter > 0 else Constant(median_latency)
    return Scenario(detector, nodes=nodes, params=grid[point], link=LinkModel(latency=latency, loss=loss),
                    faults=(Crash(nodes - 1, at=crash_at),), until=until)


def _quality_summary(trace, detector_key):
    q = detector_quality(trace, detector_key)
    return {"mean_detection_time": q["mean_detection_time"], "false_suspicion_rate": q["false_suspicion_rate"],
            "false_suspicions": q["false_suspicions"], "strong_completeness": q["strong_completeness"],
            "durations": tuple(q["mistakes"]["duration"])}


def tradeoff(detector, params_grid, jitter_values=(0.0,), loss_values=(0.0,), seeds=(0, 1, 2), *,
             nodes=4, median_latency=0.01, crash_at=2.0, until=5.0, detector_key="suspects",
             executor=None, progress=False) -> pd.DataFrame:
    """Sweep a detector's parameters against network jitter and loss: detection time vs mistakes.

    Each run has ``nodes`` nodes on links with log-normal latency (median ``median_latency``,
    shape ``jitter``; constant when jitter is 0) and loss ``loss``; the last node crashes at
    ``crash_at``. One row per (params, jitter, loss), averaged over ``seeds`` (the mistake
    duration is the mean over all mistakes of all seeds). ``detector_key`` picks the output
    measured (``"faulty"`` for SWIM's confirmed failures). The runs go through
    :func:`dsysedu.sweep`: ``executor`` (a process pool, a Dask client) runs them elsewhere,
    with the same frame; ``progress`` shows a progress bar.

    Returns
    -------
    DataFrame
        ``detector, params, jitter, loss, mean_detection_time, false_suspicion_rate,
        false_suspicions, mean_mistake_duration, completeness`` (share of seeds with strong
        completeness).

    Examples
    --------
    >>> from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector
    >>> df = tradeoff(HeartbeatDetector, [{"timeout": 0.3}], seeds=[0], until=3.0)
    >>> round(float(df["false_suspicion_rate"][0]), 3)
    0.0
    """
    if not (isinstance(detector, type) and issubclass(detector, Node)):
        raise TypeError(f"tradeoff detector must be a Node subclass, got {detector!r}")
    positive_int("tradeoff nodes", nodes, low=2)
    number("tradeoff crash_at", crash_at, low=0.0)
    number("tradeoff until", until, low=crash_at, low_open=True)
    grid = list(params_grid)
    for params in grid:
        if not isinstance(params, dict):
            raise TypeError(f"tradeoff params_grid items must be dicts, got {params!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("tradeoff seeds must hold at least one seed")
    if not grid:
        return pd.DataFrame()
    build = functools.partial(_tradeoff_scenario, grid=grid, detector=detector, nodes=nodes,
                              median_latency=median_latency, crash_at=crash_at, until=until)
    runs = sweep(build, functools.partial(_quality_summary, detector_key=detector_key), seeds=seeds,
                 params={"point": range(len(grid)), "jitter": list(jitter_values), "loss": list(loss_values)},
                 executor=executor, progress=progress, description=f"{detector.__name__} trade-off")
    rows = []
    for (point, jitter, loss), qs in runs.groupby(["point", "jitter", "loss"], sort=False):
        durations = pd.Series([d for ds in qs.durations for d in ds], dtype=float)
        rows.append({
            "detector": detector.__name__,
            "params": ", ".join(f"{k}={v}" for k, v in sorted(grid[point].items())),
            "jitter": jitter, "loss": loss,
            "mean_detection_time": float(pd.Series(list(qs.mean_detection_time)).mean()),
            "false_suspicion_rate": sum(qs.false_suspicion_rate) / len(qs),
            "false_suspicions": sum(qs.false_suspicions) / len(qs),
            "mean_mistake_duration": float(durations.mean()) if len(durations) else 0.0,
            "completeness": sum(qs.strong_completeness) / len(qs),
        })
    return pd.DataFrame(rows)
