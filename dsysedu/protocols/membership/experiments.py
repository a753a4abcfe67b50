"""The failure-detection experiments of chapters 2.1 and 3.4, as functions the lessons call.

Each builds a scenario, steps a run, or reshapes measurements for a picture; the notebooks keep
the claims (their assertions) and the seeds. Everything here is deterministic for a given seed.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dsysedu.sim import Crash, LinkModel, Scenario, Simulation
from dsysedu.sim.validate import number, positive_int

from .failure_detectors import HeartbeatDetector, PhiAccrualDetector, detector_quality

__all__ = ["heartbeat_scenario", "suspicion_reading", "phi_over_time", "tradeoff_points", "heartbeat_metrics"]


def heartbeat_scenario(link: LinkModel | None = None, *, nodes: int = 4, interval: float = 0.1,
                       timeout: float = 0.25, faults=None, until: float = 3.0, seed: int = 0) -> Scenario:
    """Heartbeat detectors on ``nodes`` nodes; by default the last node crashes at t = 1 s.

    Every node heartbeats every ``interval`` seconds and suspects a peer silent for ``timeout``.

    Parameters
    ----------
    link : LinkModel, optional
        Default: the simulator's default link.
    nodes : int
    interval, timeout : float
    faults : sequence of faults, optional
        Default ``[Crash(nodes - 1, at=1.0)]``; pass ``[]`` for none.
    until : float
    seed : int
        The scenario's default seed (a playground's seed control starts there).

    Examples
    --------
    >>> from dsysedu import run
    >>> trace = run(heartbeat_scenario(nodes=3), seed=1)
    >>> trace.value_at("suspects", 2.0)[0] == {2}
    True
    """
    positive_int("heartbeat_scenario nodes", nodes, low=2)
    faults = [Crash(nodes - 1, at=1.0)] if faults is None else list(faults)
    return Scenario(HeartbeatDetector, nodes=nodes, params={"interval": interval, "timeout": timeout},
                    **({} if link is None else {"link": link}), faults=faults, until=until, seed=seed,
                    name=f"heartbeats (timeout {timeout:g} s)")


def suspicion_reading(crashed=3):
    """A function that reads a node's suspects in words, for a timeline with one crashed node.

    Returns a function ``suspects -> str``: ``"nobody"``, ``"node 3 only"`` (right) or
    ``"a live node (mistake)"``.

    Examples
    --------
    >>> read = suspicion_reading(crashed=5)
    >>> read(frozenset()), read({5}), read({2, 5})
    ('nobody', 'node 5 only', 'a live node (mistake)')
    """
    def reading(suspects):
        if not suspects:
            return "nobody"
        return f"node {crashed} only" if suspects == {crashed} else "a live node (mistake)"
    return reading


def phi_over_time(scenario: Scenario, observer, peer, times: Iterable[float], seed=None):
    """Step a φ accrual run and read, at each of ``times``, the φ that ``observer`` holds for ``peer``.

    The simulation runs in step mode (:meth:`~dsysedu.sim.Simulation.run_until`) to each time
    in turn, so the level is read between events, as a node would see it.

    Parameters
    ----------
    scenario : Scenario
        Of :class:`~dsysedu.protocols.membership.failure_detectors.PhiAccrualDetector` nodes.
    observer, peer : node ids
    times : increasing floats
    seed : None or int
        The run's seed (default: the scenario's).

    Returns
    -------
    (pandas.Series, Trace)
        φ indexed by time (named ``"phi"``), and the trace of the run up to the last time.

    Examples
    --------
    >>> from dsysedu import Scenario
    >>> sc = Scenario(PhiAccrualDetector, nodes=2, until=1.0)
    >>> level, trace = phi_over_time(sc, 0, 1, [0.5, 0.9], seed=1)
    >>> bool((level >= 0).all()), len(level)
    (True, 2)
    """
    if not (isinstance(scenario.protocol, type) and issubclass(scenario.protocol, PhiAccrualDetector)):
        raise TypeError(f"phi_over_time needs a PhiAccrualDetector scenario, not {scenario.protocol!r}")
    times = [number("phi_over_time time", t, low=0.0) for t in times]
    if any(b < a for a, b in zip(times, times[1:])):
        raise ValueError("phi_over_time times must not decrease")
    sim = Simulation(scenario, seed=seed)
    level = []
    for t in times:
        sim.run_until(t)
        level.append(sim.nodes[observer].phi_of(peer, t))
    return pd.Series(level, index=pd.Index(times, name="time"), name="phi"), sim.trace


def tradeoff_points(frames: dict) -> pd.DataFrame:
    """Several :func:`~dsysedu.protocols.membership.failure_detectors.tradeoff` tables as one
    long table for :func:`dsysedu.viz.curves`: a ``setting`` column (the dict's keys) and a
    ``value`` column (the swept parameter's value, from ``params``: ``"timeout=0.15"`` gives
    ``"0.15"``).

    Examples
    --------
    >>> t = pd.DataFrame({"params": ["timeout=0.2", "timeout=0.5"], "mean_detection_time": [0.2, 0.5]})
    >>> tradeoff_points({"heartbeat": t})[["setting", "value"]].values.tolist()
    [['heartbeat', '0.2'], ['heartbeat', '0.5']]
    """
    if not frames:
        raise ValueError("tradeoff_points needs at least one table")
    parts = [df.assign(setting=name, value=df["params"].astype(str).str.partition("=")[2])
             for name, df in frames.items()]
    return pd.concat(parts, ignore_index=True)


def heartbeat_metrics(trace) -> dict:
    """What a heartbeat playground shows after each run: detection time, mistakes, their length.

    Examples
    --------
    >>> from dsysedu import run
    >>> heartbeat_metrics(run(heartbeat_scenario(nodes=3), seed=1))["false suspicions"]
    0
    """
    q = detector_quality(trace)
    return {"mean detection time (s)": round(q["mean_detection_time"], 3),
            "false suspicions": q["false_suspicions"], "mean mistake (s)": round(q["mean_mistake_duration"], 3)}
