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

from .healing import CONTROLLER, HEALING_CLIENT, healing_scenario, serving
from .services import CLIENT, GATEWAY, STORE_NODE, SERVICES, TOPOLOGY, service_scenario
from .telemetry import spans

__all__ = ["ChaosLab", "InjectedFault", "FAULTS", "TARGETS", "MACHINES", "SYSTEMS", "DESIRED", "lab_of",
           "error_ratio", "latency_p99", "request_rate", "replicas_serving", "inject_fault", "let_time_pass",
           "end_faults", "PROBES", "ACTIONS", "user_series", "user_requests", "window_measures", "fault_objects",
           "callers_of"]

#: the faults an action may inject, each confined to one service
FAULTS = {
    "slow": "every handler of the service takes `delay` seconds longer (a gray failure)",
    "pause": "the service freezes (a long GC pause): requests wait, then are handled late",
    "crash": "the service stops; requests to it are lost until it recovers",
    "cut": "the links from the service's callers to it are cut: its requests are lost, it stays up",
}
#: services a fault may target (the client is the load generator, not part of the system)
TARGETS = (GATEWAY, *SERVICES, STORE_NODE)
#: the systems a lab can run: the traced services of 9.1, or 9.3's replicated service on machines
#: (:func:`~dsysedu.ops.healing.healing_scenario`), with or without its reconciliation loop
SYSTEMS = ("services", "replicas")
MACHINES = ("w0", "w1", "w2", "w3", "w4")   # the replicated service's machines (faults target them)
DESIRED = 3                                  # its desired replicas
PROBES = ("error_ratio", "latency_p99", "request_rate", "replicas_serving")
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
    """The system a chaos experiment runs against: a live, seeded run of the traced service system
    (``system="services"``), or of the replicated service of 9.3 (``system="replicas"``: five
    machines running three replicas, a client, and with ``loop`` the reconciliation loop that
    restarts, reschedules and shifts traffic).

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
        A :func:`~dsysedu.ops.services.service_scenario` (or, for ``"replicas"``, a
        :func:`~dsysedu.ops.healing.healing_scenario`) without faults, instead of building one.
    system : {"services", "replicas"}
    loop : bool
        For ``"replicas"``: run the reconciliation loop.
    targets : tuple of str, optional
        The services faults may target in a ``scenario`` of other traced services (one with a
        ``client`` load generator, such as :func:`dsysedu.ops.capstone.capstone_scenario`).
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
                 scenario=None, system: str = "services", loop: bool = True, targets=None, **service_options):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        if system not in SYSTEMS:
            raise ValueError(f"system must be one of {SYSTEMS}, got {system!r}")
        self.seed, self.system = seed, system
        self.warmup = number("warmup", warmup, low=0.0, low_open=True)
        self.horizon = number("horizon", horizon, low=self.warmup, low_open=True)
        nodes = set(TOPOLOGY) if system == "services" else {HEALING_CLIENT, *MACHINES}
        if targets is not None:     # another system of traced services (the capstone's): its own targets
            if scenario is None or not set(targets) <= set(scenario.node_ids) or CLIENT in targets:
                raise ValueError(f"targets need a scenario that has them all (not the {CLIENT!r}), got {targets!r}")
            nodes = {CLIENT, *targets}
        if scenario is None:
            scenario = service_scenario(rate=rate, duration=self.horizon, **service_options) if system == "services" \
                else healing_scenario(workers=len(MACHINES), desired=DESIRED, loop=loop, duration=self.horizon,
                                      rate=rate, **service_options)
        elif service_options or not nodes <= set(scenario.node_ids) or scenario.faults or scenario.nemesis:
            raise ValueError(f"scenario must be a {system} scenario without faults (the experiment injects them), "
                             "and comes instead of service options")
        self.scenario = scenario
        self.targets = tuple(targets) if targets is not None else TARGETS if system == "services" else MACHINES
        self.sim = Simulation(self.scenario, seed=seed)
        self.faults: list[InjectedFault] = []
        self.log: list[str] = []       # Chaos Toolkit's log lines of the last run (see chaos_journal)
        self._spans, self._rows_seen, self._requests = [], -1, None
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
        """The spans of the run so far (read again only when the run grew); none for ``"replicas"``."""
        if len(self.sim.rows) != self._rows_seen:
            self._spans = spans(self.sim.trace) if self.system == "services" else []
            self._rows_seen, self._requests = len(self.sim.rows), None
        return self._spans

    def requests(self) -> tuple:
        """The users' requests so far: arrays ``(end, ok, duration)`` (durations NaN for ``"replicas"``,
        whose client records only whether a request was answered)."""
        self.spans()
        if self._requests is None:
            self._requests = user_requests(self.sim.trace, self._spans if self.system == "services" else None)
        return self._requests

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
        if service not in self.targets:
            raise ValueError(f"service must be one of {self.targets} (the client is the load, not the system), "
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
        for f in fault_objects(service, fault, delay, now, until, callers_of(self.scenario, service)):
            self.sim.apply(f)
        record = InjectedFault(service, fault, now, until, delay if fault == "slow" else 0.0)
        self.faults.append(record)
        return record

    def end(self) -> list[InjectedFault]:
        """End every fault still in force, now; returns them."""
        ended = []
        for f in self.in_force():
            for undo in _undo(f, self.now, callers_of(self.scenario, f.service)):
                self.sim.apply(undo)
            f.until = self.now
            ended.append(f)
        return ended


def callers_of(scenario, service) -> list:
    """Who calls ``service`` in a lab's scenario: its callers in the services' topology, or the
    replicated service's client and controller (a ``cut`` fault cuts their links to it)."""
    if service in TOPOLOGY:
        return sorted(caller for caller, callees in TOPOLOGY.items() if service in callees)
    return sorted(n for n in (HEALING_CLIENT, CONTROLLER) if n in scenario.node_ids)


def fault_objects(service, fault, delay, at, until, callers) -> list:
    """The engine's faults (:mod:`dsysedu.sim.faults`) of one of :data:`FAULTS` on ``service``."""
    if fault == "slow":
        return [Slow(service, at=at, delay=delay, until=until)]
    if fault == "pause":
        return [Pause(service, at=at, until=until)]
    if fault == "crash":
        return [Crash(service, at=at, until=until)]
    return [CutLink(caller, service, at=at, until=until) for caller in callers]


def _undo(f: InjectedFault, now: float, callers) -> list:
    if f.fault == "slow":
        return [Slow(f.service, at=now, delay=0.0)]
    if f.fault == "pause":
        return [Resume(f.service, at=now)]
    if f.fault == "crash":
        return [Recover(f.service, at=now)]
    return [RestoreLink(caller, f.service, at=now) for caller in callers]


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


def _user_measures(requests, start, end) -> dict:
    ends, ok, dur = requests
    sel = (ends > start) & (ends <= end)
    k, bad = int(sel.sum()), int((~ok[sel]).sum())
    return {"requests": k, "errors": bad, "error_ratio": bad / k if k else 0.0,
            "p99": float(np.quantile(dur[sel], 0.99)) if k else 0.0, "rate": k / (end - start) if end > start else 0.0}


def _probe(configuration, window, service, key) -> dict:
    lab = lab_of(configuration)
    window = number("window", window, low=0.0, low_open=True)
    t1 = lab.now
    t0 = max(0.0, t1 - window)
    if lab.system == "replicas":
        if service != CLIENT:
            raise ValueError(f"the replicated service's probes read its users: service must be 'client', got "
                             f"{service!r}")
        m = _user_measures(lab.requests(), t0, t1)
        if key == "p99":
            raise ValueError("the replicated service's client records no latencies: probe error_ratio, "
                             "request_rate or replicas_serving")
    else:
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


def replicas_serving(configuration=None) -> dict:
    """Probe (``"replicas"`` labs): how many replicas serve now, ready on a live machine."""
    lab = lab_of(configuration)
    if lab.system != "replicas":
        raise ValueError("replicas_serving reads a lab of system 'replicas'; this lab runs the services")
    s = serving(lab.trace)
    now = s[s["time"] <= lab.now + 1e-9]
    return {"value": float(now["serving"].iloc[-1]) if len(now) else 0.0, "service": "replicas",
            "from": round(lab.now, 6), "to": round(lab.now, 6), "requests": 0}


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
    """The users' requests per window of ``window`` simulated seconds (see :func:`user_requests`).

    ``source`` is a :class:`ChaosLab` or a trace. Columns: ``start, end, requests, errors,
    error_ratio`` (NaN without requests), ``p99`` (seconds; NaN without requests or latencies),
    counted at each request's end, from 0 to ``end`` (default: the last request's end).
    """
    window = number("window", window, low=0.0, low_open=True)
    ends, ok, dur = source.requests() if isinstance(source, ChaosLab) else user_requests(source)
    err = ~ok
    last = end if end is not None else float(ends.max(initial=0.0))
    n = max(1, int(np.ceil(last / window - 1e-9)))
    idx = np.minimum(n - 1, (ends // window).astype(int))
    rows = []
    for w in range(n):
        sel = idx == w
        k = int(sel.sum())
        rows.append({"start": w * window, "end": (w + 1) * window, "requests": k, "errors": int(err[sel].sum()),
                     "error_ratio": float(err[sel].mean()) if k else float("nan"),
                     "p99": float(np.quantile(dur[sel], 0.99)) if k else float("nan")})
    return pd.DataFrame(rows)


def user_requests(trace, items=None) -> tuple:
    """The users' requests of a lab's run as arrays ``(end, ok, duration)``, in order of ending.

    The traced services: the client's root spans (one per request, after every retry; ``items``
    may pass the spans already read). The replicated service: the client's ``request``
    observations, whose durations are unknown (NaN).
    """
    if HEALING_CLIENT in trace.nodes and MACHINES[0] in trace.nodes and GATEWAY not in trace.nodes:
        rows = [(t, bool(v[1])) for t, kind, node, _p, _m, key, v in trace.rows
                if kind == "observe" and key == "request" and node == HEALING_CLIENT]
        return (np.array([t for t, _ in rows], dtype=float), np.array([o for _, o in rows], dtype=bool),
                np.full(len(rows), np.nan))
    items = spans(trace) if items is None else items
    mine = [s for s in items if s.service == CLIENT and s.kind == "internal" and s.parent_id is None
            and (s.finished or s.status == "ERROR")]
    return (np.array([s.end for s in mine], dtype=float), np.array([s.status != "ERROR" for s in mine], dtype=bool),
            np.array([s.duration for s in mine], dtype=float))
