"""The failure-detection playground of chapter 3.4: a detector, its timeout or φ threshold, the network.

:data:`FAILURE_DETECTION` declares it: four nodes heartbeat each other every 0.1 s and one of them
crashes; the learner picks the detector (a plain heartbeat timeout, or φ accrual), moves the
*timeout* slider (heartbeat: seconds of silence before a suspicion) or the *φ threshold* slider
(φ accrual: how sure it must be), the link's latency and loss, the crash, and the seed. Every
change re-runs :func:`detector_scenario`; the table shows the detection time and the false
suspicions (:func:`~dsysedu.protocols.membership.experiments.heartbeat_metrics`), so moving one
slider walks along the trade-off curve of the chapter.

Examples
--------
>>> from dsysedu.widgets import Playground
>>> pg = Playground(FAILURE_DETECTION)
>>> slow = pg.measures["mean detection time (s)"]
>>> pg.controls["timeout"].value = 0.8                   # wait longer: a re-run
>>> pg.measures["mean detection time (s)"] > slow
True
"""
from __future__ import annotations

from dsysedu.protocols.membership.experiments import heartbeat_metrics
from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector, PhiAccrualDetector
from dsysedu.sim import Crash, LinkModel, Scenario, Uniform
from .playground import run_summary
from .spec import Choice, LinkSliders, NodeToggles, PlaygroundSpec, Seed, Slider

__all__ = ["FAILURE_DETECTION", "DETECTORS", "detector_scenario"]

DETECTORS = ("heartbeat", "phi accrual")
INTERVAL = 0.1   # seconds between heartbeats, for both detectors


def detector_scenario(detector: str = "heartbeat", timeout: float = 0.25, threshold: float = 3.0,
                      link=LinkModel(latency=Uniform(0.005, 0.12)), crash=(3,), crash_at=1.0, crash_until=None,
                      nodes: int = 4, until: float = 3.0) -> Scenario:
    """Four nodes heartbeating every 0.1 s, watched by the chosen detector; ``crash`` nodes go down.

    Parameters
    ----------
    detector : {"heartbeat", "phi accrual"}
    timeout : float
        Heartbeat detector: seconds of silence before it suspects (must exceed the interval).
    threshold : float
        φ accrual: suspect once φ exceeds it (φ = 3: wrong about once in a thousand).
    link : LinkModel
    crash : tuple of node ids
        Down from ``crash_at`` to ``crash_until`` (None: for good).
    nodes : int
    until : float

    Raises
    ------
    ValueError
        For an unknown detector or a timeout not longer than the heartbeat interval.
    """
    if detector not in DETECTORS:
        raise ValueError(f"detector must be one of {DETECTORS}, got {detector!r}")
    if detector == "heartbeat":
        if timeout <= INTERVAL:
            raise ValueError(f"a heartbeat timeout must be longer than the interval ({INTERVAL} s), got {timeout!r}")
        protocol, params = HeartbeatDetector, {"interval": INTERVAL, "timeout": timeout}
    else:
        protocol, params = PhiAccrualDetector, {"interval": INTERVAL, "threshold": threshold}
    faults = [Crash(n, at=crash_at, until=crash_until) for n in crash]
    return Scenario(protocol, nodes=nodes, params=params, link=link, faults=faults, until=until,
                    name=f"{detector} detector")


FAILURE_DETECTION = PlaygroundSpec(
    detector_scenario,
    controls=[Choice("detector", DETECTORS, buttons=True, width="110px", group="Detector",
                     tooltips=("suspect after a fixed silence", "suspect when φ, the improbability of the silence, "
                               "passes the threshold")),
              Slider("timeout", 0.12, 1.0, 0.02, group="Detector", label="timeout (s)"),
              Slider("threshold", 0.5, 16.0, 0.5, fmt=".1f", group="Detector", label="φ threshold"),
              LinkSliders("link", group="Network"),
              NodeToggles("crash", window=("crash_at", "crash_until"), group="Crashes"),
              Seed(group="Detector")],
    views=("topology", "spacetime"),
    measures=(run_summary, heartbeat_metrics),
    view_options={"color_by": "suspects"}, defaults={"seed": 7}, css="dsysedu-fd", fork=True)
