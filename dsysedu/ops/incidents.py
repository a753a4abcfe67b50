"""Incidents (故障事件) injected into the traced service system, and the remedies that end them.

An :class:`Incident` is ground truth for alerting: what went wrong, where, from when to when.
Each kind becomes something the engine does to the run of :mod:`dsysedu.ops.services`:

================  =================================================================================
``crash``         the service's node crashes at ``start`` and recovers at ``end`` (``Crash``)
``slow``          every handler of the service takes ``severity`` seconds more (``Slow``, a gray failure)
``slow_link``     the link ``caller <-> callee`` (``target`` is the pair) gains ``severity`` seconds
                  of latency each way: a time-dependent latency on that link only
``partition``     the service is cut off from every other node (``Partition``)
``error_rate``    the service's own work fails with probability ``severity`` (a bad deploy)
================  =================================================================================

A :class:`Remedy` is what an operator (or an automated runbook) does at time ``at``:
``restart`` ends a ``crash`` or ``slow`` of its target, ``rollback`` an ``error_rate``,
``reroute`` a ``slow_link`` and ``failover`` a ``partition``. A remedy only ends incidents that
have begun and are still going on at ``at``; it changes nothing before ``at``, so a run with
remedies is the same run as without them up to the first remedy (the tests check this).

Examples
--------
>>> from dsysedu.sim import run
>>> sc = incident_scenario([Incident("error_rate", "orders", 2.0, 4.0, severity=0.5)], duration=6.0)
>>> trace = run(sc, seed=1)
>>> any(r[5] == "span_end" and r[6][2] == "internal error" for r in trace.rows)
True
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dsysedu.sim.faults import Crash, Partition, Slow
from dsysedu.sim.network import Latency
from dsysedu.sim.validate import number

from .services import CLIENT, TOPOLOGY, LoadClient, TracedService, service_scenario

__all__ = ["Incident", "Remedy", "FaultyService", "SlowDuring", "incident_scenario", "remedied", "bad_day",
           "INCIDENT_KINDS", "REMEDIES", "SERVICE_NODES"]

INCIDENT_KINDS = ("crash", "slow", "slow_link", "partition", "error_rate")
#: which remedy ends which kind of incident
REMEDIES = {"restart": ("crash", "slow"), "rollback": ("error_rate",), "reroute": ("slow_link",),
            "failover": ("partition",)}
#: the nodes an incident may hit (every node but the load client)
SERVICE_NODES = tuple(v for v in TOPOLOGY if v != CLIENT)
_DEFAULT_SEVERITY = {"crash": 0.0, "slow": 0.01, "slow_link": 0.15, "partition": 0.0, "error_rate": 0.2}
_CALLS = tuple((caller, callee) for caller, callees in TOPOLOGY.items() for callee in callees if caller != CLIENT)


def _check_target(kind: str, target):
    if kind == "slow_link":
        pair = tuple(target) if isinstance(target, (tuple, list)) else None
        if pair not in _CALLS:
            raise ValueError(f"a slow_link incident's target is a (caller, callee) pair, one of {list(_CALLS)}; "
                             f"got {target!r}")
        return pair
    if target not in SERVICE_NODES:
        raise ValueError(f"a {kind} incident's target is one of {list(SERVICE_NODES)}, got {target!r}")
    return target


@dataclass(frozen=True)
class Incident:
    """Something that goes wrong in the service system from ``start`` to ``end`` (simulated seconds).

    Parameters
    ----------
    kind : str
        One of :data:`INCIDENT_KINDS`.
    target : str or (str, str)
        The service (a node of :data:`SERVICE_NODES`), or a ``(caller, callee)`` pair for ``slow_link``.
    start, end : float
        ``0 <= start < end``.
    severity : float, optional
        Seconds of extra delay (``slow``: per handler; ``slow_link``: per message) or the failure
        probability (``error_rate``, in (0, 1]); unused by ``crash`` and ``partition``.
        Defaults: 0.01 s, 0.15 s, 0.2.
    """
    kind: str
    target: object
    start: float
    end: float
    severity: float | None = None

    def __post_init__(self):
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"Incident.kind must be one of {INCIDENT_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "target", _check_target(self.kind, self.target))
        start = number("Incident.start", self.start, low=0.0)
        end = number("Incident.end", self.end, low=0.0)
        if end <= start:
            raise ValueError(f"Incident.end must be after Incident.start, got start={start!r}, end={end!r}")
        severity = _DEFAULT_SEVERITY[self.kind] if self.severity is None else self.severity
        if self.kind == "error_rate":
            severity = number("Incident.severity (an error rate)", severity, low=0.0, low_open=True, high=1.0)
        else:
            severity = number("Incident.severity", severity, low=0.0)
        object.__setattr__(self, "severity", severity)

    @property
    def label(self) -> str:
        """``kind target``, e.g. ``crash inventory`` or ``slow_link orders->store``."""
        target = "->".join(self.target) if isinstance(self.target, tuple) else self.target
        return f"{self.kind} {target}"


@dataclass(frozen=True)
class Remedy:
    """An action at time ``at``: ``restart``, ``rollback``, ``reroute`` or ``failover`` of ``target``."""
    action: str
    target: object
    at: float

    def __post_init__(self):
        if self.action not in REMEDIES:
            raise ValueError(f"Remedy.action must be one of {sorted(REMEDIES)}, got {self.action!r}")
        kind = "slow_link" if self.action == "reroute" else "crash"
        object.__setattr__(self, "target", _check_target(kind, self.target))
        number("Remedy.at", self.at, low=0.0)


def remedied(incidents, remedies=()) -> list[Incident]:
    """The incidents as they happen with ``remedies``: each ends at the first remedy that fixes it.

    A remedy fixes an incident of one of its kinds (:data:`REMEDIES`) on the same target that has
    started by ``at`` (``start <= at``) and not yet ended (``at < end``).
    """
    out = []
    for inc in incidents:
        end = inc.end
        for r in remedies:
            if inc.kind in REMEDIES[r.action] and r.target == inc.target and inc.start <= r.at < end:
                end = r.at
        out.append(inc if end == inc.end else dataclasses.replace(inc, end=max(end, inc.start + 1e-9)))
    return out


@dataclass(frozen=True)
class SlowDuring(Latency):
    """The latency ``inner``, plus ``extra`` seconds for a message sent in ``[start, end)`` of a window.

    ``windows`` is a tuple of ``(start, end, extra)``: a link that turns slow, then recovers.
    """
    inner: Latency
    windows: tuple
    time_dependent = True

    def sample(self, rnd) -> float:
        return self.inner.sample(rnd)

    def sample_at(self, rnd, now: float) -> float:
        return self.inner.sample(rnd) + sum(extra for a, b, extra in self.windows if a <= now < b)

    @property
    def mean(self) -> float:
        return self.inner.mean


class FaultyService(TracedService):
    """A :class:`~dsysedu.ops.services.TracedService` whose own work also fails during error bursts.

    ``bursts`` is a tuple of ``(start, end, rate)``; outside them it behaves, and draws random
    numbers, exactly as a ``TracedService``.
    """

    def __init__(self, node_id, peers=(), bursts=(), **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.bursts = tuple(bursts)

    def worked(self, ctx, sid) -> None:
        rate = max((r for a, b, r in self.bursts if a <= ctx.now < b), default=0.0)
        if rate and sid in self.open and ctx.rng.random() < rate:
            self.finish(ctx, sid, False, "internal error")
            return
        super().worked(ctx, sid)


def _check_overlaps(incidents) -> None:
    def clash(a, b):
        return a.start < b.end and b.start < a.end
    for i, a in enumerate(incidents):
        for b in incidents[i + 1:]:
            same = a.kind == b.kind and (a.kind == "partition" or a.target == b.target)
            if same and clash(a, b):
                raise ValueError(f"incidents {a.label} [{a.start:g}, {a.end:g}) and {b.label} [{b.start:g}, "
                                 f"{b.end:g}) overlap; incidents of one kind on one target (and any two "
                                 f"partitions) must not")


def incident_scenario(incidents=(), remedies=(), rate: float = 10.0, duration: float = 600.0, **kwargs):
    """The traced service system with ``incidents`` injected and ``remedies`` applied.

    Parameters
    ----------
    incidents : sequence of Incident
        Incidents of one kind on one target (and any two partitions) must not overlap in time.
    remedies : sequence of Remedy
        Actions that end incidents early (see :func:`remedied`).
    rate, duration
        Requests per second and seconds of arrivals, as in :func:`~dsysedu.ops.services.service_scenario`.
    **kwargs
        Any other argument of :func:`~dsysedu.ops.services.service_scenario` (``loss``, ``timeout``,
        ``retries``, ``error_rate``...) except ``faults``.

    Returns
    -------
    Scenario
    """
    incidents = list(incidents)
    for x in incidents:
        if not isinstance(x, Incident):
            raise TypeError(f"incidents must be Incident objects, got {x!r}")
    for r in remedies:
        if not isinstance(r, Remedy):
            raise TypeError(f"remedies must be Remedy objects, got {r!r}")
    if "faults" in kwargs:
        raise TypeError("incident_scenario builds the faults from the incidents; give Incident objects, not faults")
    _check_overlaps(incidents)
    happening = remedied(incidents, remedies)
    faults, bursts, slow_links = [], {}, {}
    for x in sorted(happening, key=lambda x: (x.start, x.label)):
        if x.kind == "crash":
            faults.append(Crash(x.target, at=x.start, until=x.end))
        elif x.kind == "slow":
            faults.append(Slow(x.target, at=x.start, delay=x.severity, until=x.end))
        elif x.kind == "partition":
            faults.append(Partition(((x.target,), tuple(v for v in TOPOLOGY if v != x.target)), at=x.start,
                                    until=x.end))
        elif x.kind == "error_rate":
            bursts.setdefault(x.target, []).append((x.start, x.end, x.severity))
        else:
            slow_links.setdefault(x.target, []).append(x)
    base = service_scenario(rate=rate, duration=duration, faults=faults, **kwargs)
    links = dict(base.links)
    for (caller, callee), items in sorted(slow_links.items()):
        windows = tuple((x.start, x.end, x.severity) for x in items)
        for src, dst in ((caller, callee), (callee, caller)):
            model = base.link_of(src, dst)
            links[(src, dst)] = dataclasses.replace(model, latency=SlowDuring(model.latency, windows))
    protocol = {v: (LoadClient if v == CLIENT else FaultyService) for v in base.node_ids}
    params = {v: dict(p) for v, p in base.node_params.items()}
    for v, b in bursts.items():
        params[v]["bursts"] = tuple(b)
    return base.replace(protocol=protocol, node_params=params, links=links, name="traced services with incidents")


def bad_day() -> list:
    """The six incidents of chapter 9.2's "bad day" (run them for 720 s): every kind, three loud, three slow burns.

    *inventory* crashes (120-150 s), the *orders*-*store* link gains 50 ms each way (200-240 s),
    *orders* is partitioned off (290-305 s), half of *orders*' work fails (350-410 s), every
    handler of the *store* takes 8 ms more (460-510 s), 30 % of *inventory*'s work fails (560-680 s).
    """
    return [Incident("crash", "inventory", 120.0, 150.0),
            Incident("slow_link", ("orders", "store"), 200.0, 240.0, severity=0.05),
            Incident("partition", "orders", 290.0, 305.0),
            Incident("error_rate", "orders", 350.0, 410.0, severity=0.5),
            Incident("slow", "store", 460.0, 510.0, severity=0.008),
            Incident("error_rate", "inventory", 560.0, 680.0, severity=0.3)]
