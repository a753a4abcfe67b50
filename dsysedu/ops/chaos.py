"""Chaos engineering (混沌工程) against the simulated service system: the lab, its probes and its actions.

A chaos experiment asks one question: *does the system stay in its steady state (稳态) when this
goes wrong?* Chaos Toolkit (``chaostoolkit``, ``chaostoolkit-lib``) states an experiment as JSON:
a ``steady-state-hypothesis`` made of probes with tolerances, a ``method`` of actions that inject
the fault, and ``rollbacks`` that undo it. It runs the hypothesis, then the method, then the
hypothesis again, then the rollbacks, and writes a journal of everything it saw.

Here the system is not a real cluster but a :class:`ChaosLab`: a live, seeded
:class:`~dsysedu.sim.kernel.Simulation` of :func:`~dsysedu.ops.services.service_scenario`
(client → gateway → {inventory, orders} → store). The functions of this module are Chaos
Toolkit's *python provider* activities (``"module": "dsysedu.ops.chaos"``, ``"func"``,
``"arguments"``), and each finds the lab in the run's ``configuration`` under ``"lab"``:

==========================  =====================  ==========================================================
function                    kind                   what it does
==========================  =====================  ==========================================================
:func:`error_ratio`         probe                  share of requests that failed, over the last ``window`` s
:func:`latency_p99`         probe                  p99 duration (seconds) over the last ``window`` s
:func:`request_rate`        probe                  requests answered per second over the last ``window`` s
:func:`inject_fault`        action                 one fault on one service, now (the blast radius: 爆炸半径)
:func:`let_time_pass`       action                 advance simulated time (Chaos Toolkit's pauses are wall time)
:func:`end_faults`          action (rollback)      end every fault still in force, now
==========================  =====================  ==========================================================

:func:`window_measures` is what the probes compute, for any window of any list of spans.

Probes only read: each looks back over ``window`` simulated seconds ending at the lab's *now*, so
the probes of one hypothesis all see the same requests. Only actions move time. A probe's output
is a dict (``{"value": 0.0, "service": "client", "from": 5.0, "to": 10.0, "requests": 98}``) and
the tolerance a ``range`` on its ``"value"`` (``"target": "value"``), so the journal says by
itself which simulated window each reading covered.

Determinism: the lab's simulation, its seed and the actions' simulated times fix every reading;
Chaos Toolkit's wall-clock timestamps are the only thing that differs between two runs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.faults import Crash, CutLink, Pause, Recover, RestoreLink, Resume, Slow
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.validate import number

from .services import CLIENT, GATEWAY, STORE_NODE, SERVICES, TOPOLOGY, service_scenario
from .telemetry import spans

__all__ = ["ChaosLab", "InjectedFault", "FAULTS", "TARGETS", "lab_of", "error_ratio", "latency_p99",
           "request_rate", "inject_fault", "let_time_pass", "end_faults", "PROBES", "ACTIONS", "user_series",
           "window_measures"]

#: the faults an action may inject, each confined to one service
FAULTS = {
    "slow": "every handler of the service takes `delay` seconds longer (a gray failure)",
    "pause": "the service freezes (a long GC pause): requests wait, then are handled late",
    "crash": "the service stops; requests to it are lost until it recovers",
    "cut": "the links from the service's callers to it are cut: its requests are lost, it stays up",
}
#: services a fault may target (the client is the load generator, not part of the system)
TARGETS = (GATEWAY, *SERVICES, STORE_NODE)
PROBES = ("error_ratio", "latency_p99", "request_rate")
ACTIONS = ("inject_fault", "let_time_pass", "end_faults")


@dataclass
class InjectedFault:
    """One fault the lab injected: on ``service``, from ``at`` to ``until`` (None while in force)."""
    service: str
    fault: str
    at: float
    until: float | None = None
    delay: float = 0.0

    def as_dict(self) -> dict:
        return {"service": self.service, "fault": self.fault, "at": self.at, "until": self.until,
                "delay": self.delay}


class ChaosLab:
    """The system a chaos experiment runs against: a live, seeded run of the traced service system.

    Parameters
    ----------
    seed : int
        The run's seed: the same seed and the same actions give the same readings.
    rate : float
        Client requests per second (Poisson).
    warmup : float
        Simulated seconds run before the experiment starts, so the first hypothesis has data.
    horizon : float
        The longest the lab may run (simulated seconds); an action that would pass it is refused.
    scenario : Scenario, optional
        A :func:`~dsysedu.ops.services.service_scenario` without faults, instead of building one.
    **service_options
        Passed to :func:`~dsysedu.ops.services.service_scenario` (``timeout``, ``retries``,
        ``work``, ``error_rate``, ...).

    Examples
    --------
    >>> lab = ChaosLab(seed=7, warmup=5.0)
    >>> lab.now
    5.0
    >>> error_ratio(window=5.0, configuration={"lab": lab})["value"]
    0.0
    """

    def __init__(self, seed: int = 7, rate: float = 20.0, warmup: float = 10.0, horizon: float = 60.0,
                 scenario=None, **service_options):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.seed = seed
        self.warmup = number("warmup", warmup, low=0.0, low_open=True)
        self.horizon = number("horizon", horizon, low=self.warmup, low_open=True)
        if scenario is None:
            scenario = service_scenario(rate=rate, duration=self.horizon, **service_options)
        elif service_options or set(scenario.node_ids) != set(TOPOLOGY) or scenario.faults or scenario.nemesis:
            raise ValueError("scenario must be a service_scenario without faults (the experiment injects them), "
                             "and comes instead of service options")
        self.scenario = scenario
        self.sim = Simulation(self.scenario, seed=seed)
        self.faults: list[InjectedFault] = []
        self.log: list[str] = []       # Chaos Toolkit's log lines of the last run (see chaos_journal)
        self._spans, self._rows_seen = [], -1
        self.sim.run_until(self.warmup)

    @property
    def now(self) -> float:
        """The lab's simulated time: everything up to it has happened."""
        return self.sim.now

    @property
    def trace(self):
        """The run so far (a :class:`~dsysedu.sim.trace.Trace`)."""
        return self.sim.trace

    def spans(self) -> list:
        """The spans of the run so far (read again only when the run grew)."""
        if len(self.sim.rows) != self._rows_seen:
            self._spans, self._rows_seen = spans(self.sim.trace), len(self.sim.rows)
        return self._spans

    def advance(self, seconds: float) -> tuple:
        """Run ``seconds`` more of simulated time; returns ``(from, to)``."""
        seconds = number("seconds", seconds, low=0.0)
        start = self.now
        if start + seconds > self.horizon + 1e-9:
            raise ValueError(f"the lab runs to {self.horizon:g} s at most; now is {start:g} s, so at most "
                             f"{self.horizon - start:g} s more can pass (asked {seconds:g})")
        self.sim.run_until(start + seconds)
        self.sim.trace.end_time = start + seconds
        return start, start + seconds

    def in_force(self) -> list[InjectedFault]:
        """Faults injected and not ended yet (a fault with a duration ends by itself)."""
        return [f for f in self.faults if f.until is None or f.until > self.now]

    def inject(self, service: str, fault: str, duration: float | None = None, delay: float = 0.05) -> InjectedFault:
        """Inject one fault on one service now (see :data:`FAULTS`).

        Raises
        ------
        ValueError
            For an unknown service or fault, or while another fault is in force: one fault at a
            time keeps the blast radius to one service.
        """
        if service not in TARGETS:
            raise ValueError(f"service must be one of {TARGETS} (the client is the load, not the system), "
                             f"got {service!r}")
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {tuple(FAULTS)}, got {fault!r}")
        if duration is not None:
            duration = number("duration", duration, low=0.0, low_open=True)
        delay = number("delay", delay, low=0.0, low_open=True)
        busy = self.in_force()
        if busy:
            raise ValueError(f"{busy[0].fault} on {busy[0].service} is still in force: one fault at a time keeps "
                             f"the blast radius to one service; end it first (end_faults)")
        now = self.now
        until = None if duration is None else now + duration
        for f in self._faults(service, fault, delay, now, until):
            self.sim.apply(f)
        record = InjectedFault(service, fault, now, until, delay if fault == "slow" else 0.0)
        self.faults.append(record)
        return record

    @staticmethod
    def _faults(service, fault, delay, at, until) -> list:
        if fault == "slow":
            return [Slow(service, at=at, delay=delay, until=until)]
        if fault == "pause":
            return [Pause(service, at=at, until=until)]
        if fault == "crash":
            return [Crash(service, at=at, until=until)]
        return [CutLink(caller, service, at=at, until=until) for caller in _callers(service)]

    def end(self) -> list[InjectedFault]:
        """End every fault still in force, now; returns them."""
        ended = []
        for f in self.in_force():
            for undo in _undo(f, self.now):
                self.sim.apply(undo)
            f.until = self.now
            ended.append(f)
        return ended


def _callers(service) -> list:
    return sorted(caller for caller, callees in TOPOLOGY.items() if service in callees)


def _undo(f: InjectedFault, now: float) -> list:
    if f.fault == "slow":
        return [Slow(f.service, at=now, delay=0.0)]
    if f.fault == "pause":
        return [Resume(f.service, at=now)]
    if f.fault == "crash":
        return [Recover(f.service, at=now)]
    return [RestoreLink(caller, f.service, at=now) for caller in _callers(f.service)]


_CLI_LABS: dict = {}   # id of a run's configuration["lab"] settings -> (those settings, their lab)


def lab_of(configuration) -> ChaosLab:
    """The :class:`ChaosLab` of a Chaos Toolkit run, from its ``configuration["lab"]``.

    :func:`dsysedu.ops.chaos_journal.run_experiment` passes the lab object itself. Under the
    ``chaos run`` command line, ``configuration["lab"]`` is the file's settings (``{"seed": 7,
    ...}``): the first activity builds the lab from them and the run's later activities, which see
    the same settings object, find it again.

    Raises ValueError when the run has neither.
    """
    lab = (configuration or {}).get("lab")
    if isinstance(lab, ChaosLab):
        return lab
    if isinstance(lab, dict):
        kept = _CLI_LABS.get(id(lab))
        if kept is None or kept[0] is not lab:
            _CLI_LABS.clear()                   # one run at a time per process: forget the previous one
            kept = _CLI_LABS[id(lab)] = (lab, ChaosLab(**lab))
        return kept[1]
    raise ValueError("this activity needs the run's configuration to hold a ChaosLab (or its settings) under 'lab';"
                     f" run the experiment with dsysedu.ops.chaos_journal.run_experiment or `chaos run`, got {lab!r}")


# -- probes: read the last `window` seconds ---------------------------------------------------------
def window_measures(items, service: str, start: float, end: float) -> dict:
    """What ``service``'s requests that ended in ``(start, end]`` show: ``requests``, ``errors``,
    ``error_ratio``, ``p99`` (seconds) and ``rate`` (per second); ratios and p99 are 0 without requests.

    ``items`` are spans (:func:`~dsysedu.ops.telemetry.spans`); ``service="client"`` reads the
    users' requests (the client's root spans, after every retry), a service name its server spans.
    The probes below are this function over the lab's last ``window`` seconds.
    """
    if service != CLIENT and service not in TARGETS:
        raise ValueError(f"service must be 'client' (what users see) or one of {TARGETS}, got {service!r}")
    kind = "internal" if service == CLIENT else "server"
    mine = [s for s in items if s.service == service and s.kind == kind and start < s.end <= end
            and (s.finished or s.status == "ERROR")]
    bad = sum(s.status == "ERROR" for s in mine)
    return {"requests": len(mine), "errors": bad, "error_ratio": bad / len(mine) if mine else 0.0,
            "p99": float(np.quantile([s.duration for s in mine], 0.99)) if mine else 0.0,
            "rate": len(mine) / (end - start) if end > start else 0.0}


def _probe(configuration, window, service, key) -> dict:
    lab = lab_of(configuration)
    window = number("window", window, low=0.0, low_open=True)
    t1 = lab.now
    t0 = max(0.0, t1 - window)
    m = window_measures(lab.spans(), service, t0, t1)
    return {"value": float(m[key]), "service": service, "from": round(t0, 6), "to": round(t1, 6),
            "requests": m["requests"]}


def error_ratio(window: float = 5.0, service: str = CLIENT, configuration=None) -> dict:
    """Probe: the share of ``service``'s requests that ended in an error over the last ``window`` s.

    ``service="client"`` (the default) counts the users' requests, after every retry; a service
    name counts the requests that service served. 0 when no request ended in the window.
    """
    return _probe(configuration, window, service, "error_ratio")


def latency_p99(window: float = 5.0, service: str = CLIENT, configuration=None) -> dict:
    """Probe: the 99th percentile of request durations (seconds) over the last ``window`` s.

    Failed requests count with the time they took to fail. 0 when no request ended in the window.
    """
    return _probe(configuration, window, service, "p99")


def request_rate(window: float = 5.0, service: str = CLIENT, configuration=None) -> dict:
    """Probe: requests of ``service`` answered (well or not) per simulated second over the last ``window`` s."""
    return _probe(configuration, window, service, "rate")


# -- actions -------------------------------------------------------------------------------------------
def inject_fault(service: str, fault: str, duration: float | None = None, delay: float = 0.05,
                 configuration=None) -> dict:
    """Action: inject ``fault`` (one of :data:`FAULTS`) on ``service`` now, for ``duration`` s
    (None: until :func:`end_faults`). ``delay`` is the extra seconds per handler of a ``slow``
    fault. Returns the fault with its simulated times."""
    return lab_of(configuration).inject(service, fault, duration, delay).as_dict()


def let_time_pass(seconds: float, configuration=None) -> dict:
    """Action: let ``seconds`` of simulated time pass (what a wall-clock pause is in a real system)."""
    start, end = lab_of(configuration).advance(seconds)
    return {"from": round(start, 6), "to": round(end, 6)}


def end_faults(configuration=None) -> dict:
    """Action (a rollback): end every fault still in force, now. Returns what it ended and when."""
    lab = lab_of(configuration)
    ended = lab.end()
    return {"at": round(lab.now, 6), "ended": [f.as_dict() for f in ended]}


# -- what users saw, window by window (for the views) ------------------------------------------------------
def user_series(source, window: float = 0.5, end: float | None = None) -> pd.DataFrame:
    """The users' requests (the client's root spans) per window of ``window`` simulated seconds.

    ``source`` is a :class:`ChaosLab`, a trace or a list of spans. Columns: ``start, end,
    requests, errors, error_ratio`` (NaN without requests), ``p99`` (seconds; NaN without
    requests), counted at each request's end, from 0 to ``end`` (default: the last request's end).
    """
    window = number("window", window, low=0.0, low_open=True)
    items = source.spans() if isinstance(source, ChaosLab) else spans(source) if hasattr(source, "rows") \
        else list(source)
    mine = [s for s in items if s.service == CLIENT and s.kind == "internal" and s.parent_id is None
            and (s.finished or s.status == "ERROR")]
    last = end if end is not None else max((s.end for s in mine), default=0.0)
    n = max(1, int(np.ceil(last / window - 1e-9)))
    idx = np.array([min(n - 1, int(s.end // window)) for s in mine], dtype=int)
    dur = np.array([s.duration for s in mine])
    err = np.array([s.status == "ERROR" for s in mine], dtype=bool)
    rows = []
    for w in range(n):
        sel = idx == w
        k = int(sel.sum())
        rows.append({"start": w * window, "end": (w + 1) * window, "requests": k, "errors": int(err[sel].sum()),
                     "error_ratio": float(err[sel].mean()) if k else float("nan"),
                     "p99": float(np.quantile(dur[sel], 0.99)) if k else float("nan")})
    return pd.DataFrame(rows)
