"""Forecasting the load (负载预测): Holt-Winters from statsmodels, a predictive scaler, batch work placed by forecast.

:func:`holt_winters_forecast` averages the load into buckets (15 minutes by default) and, at
the start of each day, fits ``statsmodels``' ``ExponentialSmoothing`` with an additive daily
season (Holt 1957, Winters 1960; Hyndman and Athanasopoulos, *Forecasting: Principles and
Practice*, ch. 8.3) on every bucket seen so far, then forecasts that whole day: a rolling
origin, so no forecast ever reads the future it predicts. A practitioner reaches for the same
model in ``statsmodels``, or for Prophet, or for the predictive scaling of a cloud autoscaler
(AWS EC2 Auto Scaling's predictive scaling forecasts a day ahead from two weeks of history).

:class:`ForecastModel` turns the forecast into a replica count: the load expected ``lead``
seconds from now (a replica's startup), times ``headroom``, over the target per replica.
:class:`PredictiveScaler` takes the larger of that and the reactive HPA rule, as predictive
scaling is run beside dynamic scaling in practice: the forecast provisions the daily cycle
before it arrives, and the reactive rule catches the bursts no forecast saw.

:func:`best_start` places batch work (a nightly report, a reindex) where the forecast is
lowest before its deadline; :func:`with_batch` adds it to a load.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dsysedu.sim.validate import number, positive_int

from .autoscaling import DAY, HPA, Load, pareto_front, simulate
from .guard import Observation, Proposal

__all__ = ["bucket_means", "holt_winters_forecast", "ForecastModel", "PredictiveScaler", "best_start", "with_batch",
           "evaluation_part", "compare_scalers", "batch_placement"]


def bucket_means(load: Load, bucket: float = 900.0) -> np.ndarray:
    """Mean requests per second over consecutive ``bucket``-second buckets (``bucket`` a multiple of the step)."""
    per = _per_bucket(load, bucket)
    n = len(load) // per
    return load.rps[: n * per].reshape(n, per).mean(axis=1)


def _per_bucket(load: Load, bucket: float) -> int:
    bucket = number("bucket", bucket, low=0.0, low_open=True)
    per = bucket / load.step
    if abs(per - round(per)) > 1e-9 or round(per) < 1 or (DAY / bucket) != int(DAY / bucket):
        raise ValueError(f"bucket must be a multiple of the step ({load.step:g} s) that divides a day, got {bucket:g}")
    return int(round(per))


def holt_winters_forecast(load: Load, train_days: int = 3, bucket: float = 900.0) -> np.ndarray:
    """A forecast of ``load.rps`` at every step, refitted each day on all earlier days (NaN in the first
    ``train_days``).

    Raises
    ------
    ValueError
        Fewer than 2 training days (a season must be seen twice), or no day left to forecast.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing     # heavy: imported when used

    train_days = positive_int("train_days", train_days, low=2)
    per = _per_bucket(load, bucket)
    season = int(DAY / bucket)
    means = bucket_means(load, bucket)
    days = len(means) // season
    if days <= train_days:
        raise ValueError(f"the load has {days} whole days; with train_days={train_days} none is left to forecast")
    out = np.full(len(load), np.nan)
    for d in range(train_days, days):
        fit = ExponentialSmoothing(means[: d * season], seasonal="add", seasonal_periods=season,
                                   initialization_method="heuristic").fit()
        ahead = np.asarray(fit.forecast(season))
        out[d * season * per: (d + 1) * season * per] = np.repeat(np.maximum(ahead, 0.0), per)
    return out


class ForecastModel:
    """Replicas for the load forecast ``lead`` seconds ahead: ``ceil(forecast * headroom / target)``.

    ``forecast`` is aligned with ``load.t`` (as :func:`holt_winters_forecast` returns it); it
    answers in ``took`` seconds (for the guard's deadline).
    """

    def __init__(self, load: Load, forecast, target: float = 50.0, lead: float = 180.0, headroom: float = 1.1,
                 took: float = 0.05):
        self.t0, self.step = float(load.t[0]), load.step
        self.forecast = np.asarray(forecast, dtype=float)
        if len(self.forecast) != len(load):
            raise ValueError(f"forecast has {len(self.forecast)} values for a load of {len(load)} steps")
        self.target = number("target", target, low=0.0, low_open=True)
        self.lead = number("lead", lead, low=0.0)
        self.headroom = number("headroom", headroom, low=0.0, low_open=True)
        self.took = number("took", took, low=0.0)

    def expected(self, now: float) -> float:
        """The forecast ``lead`` seconds after ``now`` (the last value past the end; NaN in training)."""
        i = min(len(self.forecast) - 1, int((now + self.lead - self.t0) // self.step))
        return float(self.forecast[i])

    def propose(self, obs: Observation) -> Proposal:
        f = self.expected(obs.now)
        if math.isnan(f):
            raise ValueError(f"no forecast at t={obs.now:g} s (inside the training days)")
        return Proposal(int(math.ceil(f * self.headroom / self.target)), self.took)


class PredictiveScaler:
    """``max(forecast model, reactive rule)``, within the reactive rule's replica range."""

    def __init__(self, model: ForecastModel, reactive: HPA | None = None, name: str = "predictive"):
        self.model = model
        self.reactive = reactive if reactive is not None else HPA(target=model.target)
        self.target = self.reactive.target
        self.name = name

    def reset(self) -> None:
        self.reactive.reset()

    def recommend(self, now, current, ready, rps) -> int:
        reactive = self.reactive.recommend(now, current, ready, rps)
        predicted = self.model.propose(Observation(now, current, ready, rps)).replicas
        return min(self.reactive.max_replicas, max(reactive, predicted))


def best_start(forecast, duration_steps: int, earliest: int, latest: int) -> int:
    """The step in ``[earliest, latest]`` where a run of ``duration_steps`` meets the least forecast load.

    >>> best_start([5, 4, 1, 1, 6, 0], 2, 0, 3)
    2
    """
    f = np.asarray(forecast, dtype=float)
    duration_steps = positive_int("duration_steps", duration_steps)
    if not 0 <= earliest <= latest or latest + duration_steps > len(f):
        raise ValueError(f"need 0 <= earliest <= latest and latest + duration_steps <= {len(f)}, "
                         f"got earliest={earliest}, latest={latest}, duration_steps={duration_steps}")
    if np.isnan(f[earliest: latest + duration_steps]).any():
        raise ValueError("the forecast has no value (NaN) inside the window; forecast past the training days")
    sums = np.convolve(f[earliest: latest + duration_steps], np.ones(duration_steps), mode="valid")
    return earliest + int(np.argmin(sums))


def with_batch(load: Load, start: int, duration_steps: int, rps: float) -> Load:
    """``load`` plus batch work worth ``rps`` requests per second from step ``start`` for ``duration_steps``."""
    number("rps", rps, low=0.0)
    out = load.rps.copy()
    out[start: start + positive_int("duration_steps", duration_steps)] += rps
    return Load(load.t, out, load.step, load.bursts)


def evaluation_part(load: Load, forecast) -> tuple[Load, np.ndarray]:
    """The days that have a forecast: ``(load from the first forecast step on, forecast there)``."""
    f = np.asarray(forecast, dtype=float)
    have = np.flatnonzero(~np.isnan(f))
    if not len(have):
        raise ValueError("the forecast has no value: every day was a training day")
    start = float(load.t[have[0]])
    return load.window(start, float(load.t[-1]) + load.step), f[have[0]:]


def compare_scalers(load: Load, forecast, targets=(30.0, 40.0, 50.0), headrooms=(1.0, 1.2), **simulate_kw):
    """Every reactive target, and every (target, headroom) of the predictive scaler, against ``load``.

    Returns a DataFrame with ``scaler, target, headroom, violation_minutes, replica_hours,
    peak_replicas, pareto`` (``pareto``: no other row is cheaper and better at once).
    """
    rows = []
    for target in targets:
        rows.append({**simulate(load, HPA(target=target), **simulate_kw).summary(), "target": target,
                     "headroom": float("nan"), "scaler": "reactive (HPA)"})
        for h in headrooms:
            model = ForecastModel(load, forecast, target=target, headroom=h, lead=simulate_kw.get("startup", 180.0))
            rows.append({**simulate(load, PredictiveScaler(model, HPA(target=target)), **simulate_kw).summary(),
                         "target": target, "headroom": h, "scaler": f"predictive, headroom {h:g}"})
    out = pd.DataFrame(rows)[["scaler", "target", "headroom", "violation_minutes", "replica_hours", "peak_replicas"]]
    out["pareto"] = pareto_front(out)
    return out


def batch_placement(load: Load, forecast, hours: float = 4.0, rps: float = 300.0, release_hour: float = 9.0,
                    target: float = 40.0, **simulate_kw) -> pd.DataFrame:
    """A batch job released at ``release_hour`` of the first day, due 24 h later: run at release, or at the
    start :func:`best_start` picks from the forecast; the reactive HPA serves both. One row each (and one
    without the job), with the start hour, violation minutes, replica-hours and peak replicas."""
    steps = positive_int("duration steps", int(round(hours * 3600.0 / load.step)))
    release = int(round(release_hour * 3600.0 / load.step))
    latest = release + int(DAY / load.step) - steps
    if latest + steps > len(load):
        raise ValueError(f"the load is too short for a job due 24 h after hour {release_hour:g}")
    rows = [{"placement": "no batch job", "start_hour": float("nan"),
             **simulate(load, HPA(target=target), **simulate_kw).summary()}]
    for name, start in (("at release", release), ("forecast trough", best_start(forecast, steps, release, latest))):
        run_ = simulate(with_batch(load, start, steps, rps), HPA(target=target), **simulate_kw)
        rows.append({"placement": name, "start_hour": float((load.t[start] - load.t[0]) / 3600.0), **run_.summary()})
    return pd.DataFrame(rows).drop(columns="scaler")
