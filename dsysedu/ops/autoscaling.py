"""Autoscaling (自动扩缩容): a daily load with bursts, the Kubernetes HPA rule, and a replica simulator.

The load is requests per second sampled every ``step`` seconds: a daily cycle (a cosine with
its trough at night), a little noise, and a few *bursts* (突发) at random moments that no
forecast can see coming (:func:`daily_load`).

The reactive scaler is the Horizontal Pod Autoscaler's rule as the Kubernetes documentation
states it ("Horizontal Pod Autoscaling", kubernetes.io, algorithm details):

* ``desired = ceil(current * metric / target)`` (:func:`hpa_desired`);
* no change while ``metric / target`` is within the tolerance of 1 (default 0.1, the
  ``--horizontal-pod-autoscaler-tolerance`` flag);
* a scale-down waits for the stabilisation window (default 300 s,
  ``--horizontal-pod-autoscaler-downscale-stabilization``): the controller applies the
  *highest* recommendation of the last 300 s, so a short dip does not remove pods that a
  moment later are needed again;
* the controller runs every sync period (15 s by default), the ``step`` here.

Here the metric is requests per second per replica, and ``target`` the requests per second
one replica should carry. Replicas not yet ready count as carrying nothing, as the HPA
assumes of not-yet-ready pods when it scales up, so ``desired = ceil(rps / target)``
whenever the tolerance does not hold the count still. A new replica is paid for at once but serves only after
``startup`` seconds (pull, start, readiness probe): that lag is what a reactive rule cannot
avoid and a forecast can. :func:`simulate` runs any scaler (this one, the predictive one of
:mod:`dsysedu.ops.forecast`, a guarded model of :mod:`dsysedu.ops.guard`) against a load and
counts SLO violations (a step whose load exceeds ``slo_utilisation`` of the ready capacity,
where queues and so latency grow without bound) and cost (replica-hours).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import number, positive_int

__all__ = ["Load", "daily_load", "hpa_desired", "HPA", "ScaleRun", "simulate", "pareto_front", "capacity_frame", "DAY"]

DAY = 86_400.0


@dataclass(frozen=True)
class Load:
    """Requests per second ``rps[i]`` during ``[t[i], t[i] + step)``; ``bursts`` as ``(start, end)`` seconds."""
    t: np.ndarray
    rps: np.ndarray
    step: float
    bursts: tuple

    def __len__(self) -> int:
        return len(self.rps)

    def window(self, start: float, end: float) -> "Load":
        """The part from ``start`` to ``end`` seconds (times kept as they were)."""
        sel = (self.t >= start) & (self.t < end)
        return Load(self.t[sel], self.rps[sel], self.step, tuple(b for b in self.bursts if b[1] > start
                                                                  and b[0] < end))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"t": self.t, "hour": self.t / 3600.0, "rps": self.rps})


def daily_load(days: int = 5, step: float = 15.0, base: float = 300.0, amplitude: float = 200.0,
               bursts_per_day: float = 3.0, burst_size=(0.5, 1.2), burst_minutes=(5.0, 30.0), noise: float = 0.04,
               rise_minutes: float | None = None, seed=None) -> Load:
    """A daily cycle plus bursts, seeded.

    ``rps = (base - amplitude * cos(2 pi t / day)) * (1 + noise * N(0, 1))``, the trough at
    midnight and the peak at noon. With ``rise_minutes``, office hours instead: ``base - amplitude``
    at night, ``base + amplitude`` from 08:00 to 20:00, each change a logistic step whose whole
    course (1 % to 99 % of it) takes about ``rise_minutes``, as when a business opens. Then a Poisson number of bursts a day (``bursts_per_day``),
    each adding ``size * rps`` (``size`` uniform in ``burst_size``) for a duration uniform in
    ``burst_minutes``.

    Raises
    ------
    ValueError
        ``amplitude > base`` (the load would go negative), or a bad count or range.
    """
    days = positive_int("days", days)
    step = number("step", step, low=0.0, low_open=True)
    base = number("base", base, low=0.0, low_open=True)
    amplitude = number("amplitude", amplitude, low=0.0)
    if amplitude > base:
        raise ValueError(f"amplitude must be <= base so that the load stays positive, got {amplitude} > {base}")
    number("bursts_per_day", bursts_per_day, low=0.0)
    number("noise", noise, low=0.0, high=0.5)
    for label, (lo, hi) in (("burst_size", burst_size), ("burst_minutes", burst_minutes)):
        if not 0 <= lo <= hi:
            raise ValueError(f"{label} must be (low, high) with 0 <= low <= high, got {(lo, hi)}")
    seed = normalize_seed(seed)
    rng, bursts_rng = numpy_stream(seed, "load"), numpy_stream(seed, "bursts")
    t = np.arange(0.0, days * DAY, step)
    if rise_minutes is None:
        shape = -np.cos(2 * np.pi * t / DAY)
    else:
        width = number("rise_minutes", rise_minutes, low=0.0, low_open=True) * 60.0 / 8.0   # 1 % to 99 %: 9.2 widths
        hour = t % DAY
        shape = 2.0 * (_logistic((hour - 8 * 3600.0) / width) - _logistic((hour - 20 * 3600.0) / width)) - 1.0
    rps = (base + amplitude * shape) * (1 + noise * rng.standard_normal(len(t)))
    bursts = []
    for d in range(days):
        for _ in range(int(bursts_rng.poisson(bursts_per_day))):
            start = d * DAY + bursts_rng.uniform(0, DAY)
            end = start + 60.0 * bursts_rng.uniform(*burst_minutes)
            size = bursts_rng.uniform(*burst_size)
            rps[(t >= start) & (t < end)] *= 1 + size
            bursts.append((float(start), float(end)))
    return Load(t, np.maximum(rps, 0.0), step, tuple(sorted(bursts)))


def _logistic(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x)))


def hpa_desired(current: int, metric: float, target: float, tolerance: float = 0.1) -> int:
    """The HPA's rule: ``ceil(current * metric / target)``, or ``current`` within the tolerance.

    >>> hpa_desired(4, 75.0, 50.0), hpa_desired(4, 52.0, 50.0), hpa_desired(4, 20.0, 50.0)
    (6, 4, 2)
    """
    ratio = metric / target
    if abs(ratio - 1.0) <= tolerance:
        return current
    return int(math.ceil(current * ratio))


class HPA:
    """The reactive Horizontal Pod Autoscaler (sync every ``step``, the 300 s scale-down window).

    Parameters
    ----------
    target : float
        Requests per second one ready replica should carry (> 0).
    min_replicas, max_replicas : int
    tolerance : float
        No change while ``|metric / target - 1| <= tolerance`` (Kubernetes' default 0.1).
    stabilisation : float
        Seconds of recommendations whose highest is applied on a scale-down (default 300).
    """

    name = "reactive (HPA)"

    def __init__(self, target: float = 50.0, min_replicas: int = 2, max_replicas: int = 200,
                 tolerance: float = 0.1, stabilisation: float = 300.0):
        self.target = number("target", target, low=0.0, low_open=True)
        self.min_replicas = positive_int("min_replicas", min_replicas)
        self.max_replicas = positive_int("max_replicas", max_replicas, low=self.min_replicas)
        self.tolerance = number("tolerance", tolerance, low=0.0, high=1.0)
        self.stabilisation = number("stabilisation", stabilisation, low=0.0)
        self.reset()

    def reset(self) -> None:
        self.recent: deque = deque()       # (time, recommendation)

    def recommend(self, now: float, current: int, ready: int, rps: float) -> int:
        """The replica count to have after this sync, given ``current`` replicas (``ready`` serving)."""
        metric = rps / max(current, 1)     # replicas not yet ready count as carrying nothing (see the module doc)
        raw = min(self.max_replicas, max(self.min_replicas, hpa_desired(current, metric, self.target,
                                                                          self.tolerance)))
        self.recent.append((now, raw))
        while self.recent and self.recent[0][0] < now - self.stabilisation:
            self.recent.popleft()
        if raw >= current:
            return raw
        return min(current, max(r for _, r in self.recent))      # scale down only to the window's highest

    def __repr__(self) -> str:
        return f"HPA(target={self.target:g}, tolerance={self.tolerance:g}, stabilisation={self.stabilisation:g})"


@dataclass(frozen=True)
class ScaleRun:
    """One scaler against one load: a row per step (``t, rps, replicas, ready, capacity, violation``)."""
    scaler: str
    frame: pd.DataFrame
    step: float

    @property
    def violation_minutes(self) -> float:
        return float(self.frame["violation"].sum() * self.step / 60.0)

    @property
    def replica_hours(self) -> float:
        return float(self.frame["replicas"].sum() * self.step / 3600.0)

    def violations_by_burst(self, bursts, after: float = 300.0) -> dict:
        """Violation minutes ``in_bursts`` (each burst extended by ``after`` seconds) and ``outside`` them."""
        t = self.frame["t"].to_numpy()
        inside = np.zeros(len(t), bool)
        for a, b in bursts:
            inside |= (t >= a) & (t < b + after)
        v = self.frame["violation"].to_numpy()
        return {"in_bursts": float(v[inside].sum() * self.step / 60.0),
                "outside": float(v[~inside].sum() * self.step / 60.0)}

    def summary(self) -> dict:
        return {"scaler": self.scaler, "violation_minutes": self.violation_minutes,
                "replica_hours": self.replica_hours, "peak_replicas": int(self.frame["replicas"].max())}


def simulate(load: Load, scaler, per_replica: float = 60.0, startup: float = 180.0, initial: int | None = None,
             slo_utilisation: float = 0.9, name: str | None = None) -> ScaleRun:
    """Run ``scaler`` against ``load`` one sync period at a time.

    ``scaler.recommend(now, current, ready, rps)`` returns the replica count wanted; a replica
    added at ``now`` serves from ``now + startup``; one removed stops at once. A step violates
    the SLO when ``rps > slo_utilisation * per_replica * ready``.

    Parameters
    ----------
    per_replica : float
        Requests per second one replica can serve at 100 % (its capacity).
    startup : float
        Seconds from a replica's creation to its readiness (>= 0).
    initial : int, optional
        Replicas at the start (ready); default enough for the first step at the scaler's target.
    """
    per_replica = number("per_replica", per_replica, low=0.0, low_open=True)
    startup = number("startup", startup, low=0.0)
    slo_utilisation = number("slo_utilisation", slo_utilisation, low=0.0, low_open=True, high=1.0)
    if not hasattr(scaler, "recommend"):
        raise TypeError(f"scaler must have recommend(now, current, ready, rps), got {scaler!r}")
    if hasattr(scaler, "reset"):
        scaler.reset()
    if initial is None:
        initial = max(1, math.ceil(load.rps[0] / getattr(scaler, "target", per_replica * 0.7)))
    ready_at: list[float] = [load.t[0] - startup] * positive_int("initial", initial)
    rows = np.empty((len(load), 4))
    for i, (now, rps) in enumerate(zip(load.t, load.rps)):
        ready = sum(1 for r in ready_at if r <= now)
        rows[i] = (len(ready_at), ready, per_replica * ready, rps > slo_utilisation * per_replica * ready)
        want = int(scaler.recommend(float(now), len(ready_at), ready, float(rps)))
        if want > len(ready_at):
            ready_at.extend([now + startup] * (want - len(ready_at)))
        elif want < len(ready_at):
            ready_at.sort()                       # remove the youngest (not yet ready) first
            del ready_at[max(want, 0):]
    frame = pd.DataFrame({"t": load.t, "hour": load.t / 3600.0, "rps": load.rps, "replicas": rows[:, 0].astype(int),
                          "ready": rows[:, 1].astype(int), "capacity": rows[:, 2], "violation": rows[:, 3] > 0})
    return ScaleRun(name or getattr(scaler, "name", type(scaler).__name__), frame, load.step)


def pareto_front(frame: pd.DataFrame, x: str = "replica_hours", y: str = "violation_minutes") -> pd.Series:
    """True for the rows no other row beats on both ``x`` and ``y`` (lower is better on both).

    >>> import pandas as pd
    >>> pareto_front(pd.DataFrame({"replica_hours": [1, 2, 3], "violation_minutes": [5, 1, 2]})).tolist()
    [True, True, False]
    """
    for col in (x, y):
        if col not in frame.columns:
            raise ValueError(f"no column {col!r}; the columns are {list(frame.columns)}")
    xs, ys = frame[x].to_numpy(float), frame[y].to_numpy(float)
    keep = [not np.any((xs <= xs[i]) & (ys <= ys[i]) & ((xs < xs[i]) | (ys < ys[i]))) for i in range(len(xs))]
    return pd.Series(keep, index=frame.index, name="pareto")


def capacity_frame(runs, start: float, end: float) -> pd.DataFrame:
    """Load and each run's usable capacity (``slo_utilisation`` of the ready replicas' capacity) from
    ``start`` to ``end`` seconds: index hour, one column per run plus ``load``.

    ``runs`` maps a label to ``(ScaleRun, slo_utilisation)`` or to a :class:`ScaleRun` (then 0.9).
    """
    out = None
    for label, item in runs.items():
        run, slo = item if isinstance(item, tuple) else (item, 0.9)
        f = run.frame[(run.frame["t"] >= start) & (run.frame["t"] < end)].set_index("hour")
        if out is None:
            out = pd.DataFrame({"load": f["rps"]})
        out[label] = f["capacity"] * slo
    if out is None:
        raise ValueError("runs is empty")
    return out
