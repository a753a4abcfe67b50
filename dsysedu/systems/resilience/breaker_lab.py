"""The circuit breaker against a dependency that falls sick and recovers, with the parameters of real breakers.

:class:`SickService` answers quickly while healthy and, during its ``sick`` windows, answers
``Fail`` only after ``sick_latency`` seconds (a request that ends in a timeout). A
:class:`WindowBreaker` is the course's :class:`~.circuit_breaker.CircuitBreaker` with the
tripping rules of the breakers people use at work, chosen by a :data:`PRESETS` entry:

=============  ====================================================================================
``ours``       2 failures in a row trip it; open 1 s (the course's breaker)
``pybreaker``  ``fail_max=5`` failures in a row; ``reset_timeout=60`` s open (pybreaker's defaults)
``Hystrix``    at least 20 requests in a 10 s rolling window and >= 50 % of them errors; 5 s sleep
``resilience4j`` >= 50 % failures among the last 100 calls (at least 100 recorded); 60 s open
``none``       no breaker: every request goes to the dependency
=============  ====================================================================================

Half-open, every preset lets one trial call through (resilience4j permits 10 by default and
judges their failure rate; Hystrix and pybreaker use one). Each request's latency and outcome
is observed as ``call`` ``(rid, seconds, outcome)`` with outcome ``ok``, ``fail`` or
``refused`` (failed fast by the open breaker, in 0 s).

:func:`drive_ours` and :func:`drive_pybreaker` feed the same sequence of call outcomes to our
breaker's handlers and to a ``pybreaker.CircuitBreaker``, one call at a time, and return the
state after each call, so the two implementations can be compared step by step.
"""
from __future__ import annotations

import contextlib
from collections import deque
from datetime import datetime, timedelta, timezone

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Context, Node, SEND, SET_TIMER
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number
from .circuit_breaker import BREAKER, CircuitBreaker, CLOSED, Call, Fail, HALF_OPEN, Ok, OPEN, SERVICE

__all__ = ["SickService", "WindowBreaker", "PRESETS", "breaker_lab_scenario", "breaker_lab_summary",
           "breaker_states", "breaker_lab_table", "drive_ours", "drive_pybreaker", "compare_with_pybreaker"]

#: tripping rules: ``rule`` is "consecutive" (``threshold`` failures in a row), "time" (error share
#: over the last ``window`` seconds) or "count" (error share over the last ``window`` calls)
PRESETS = {
    "ours": {"rule": "consecutive", "threshold": 2, "cooldown": 1.0},
    "pybreaker": {"rule": "consecutive", "threshold": 5, "cooldown": 60.0},
    "Hystrix": {"rule": "time", "window": 10.0, "min_calls": 20, "error_rate": 0.5, "cooldown": 5.0},
    "resilience4j": {"rule": "count", "window": 100, "min_calls": 100, "error_rate": 0.5, "cooldown": 60.0},
    "none": {"rule": "none", "cooldown": 1.0},
}


class SickService(Node):
    """Answers Ok after ``latency`` s; during a ``sick`` window, Fail after ``sick_latency`` s.

    Observes ``health`` (``"healthy"`` or ``"sick"``) when it changes.
    """
    state_fields = ()

    def __init__(self, node_id, peers=(), sick=((10.0, 40.0),), latency=0.02, sick_latency=1.0):
        super().__init__(node_id, peers)
        self.sick = tuple((float(a), float(b)) for a, b in sick)
        if any(not 0 <= a < b for a, b in self.sick):
            raise ValueError(f"sick must be (start, end) windows with 0 <= start < end, got {sick!r}")
        self.latency = number("latency", latency, low=0.0)
        self.sick_latency = number("sick_latency", sick_latency, low=0.0)

    def is_sick(self, t) -> bool:
        return any(a <= t < b for a, b in self.sick)

    def on_start(self, ctx):
        ctx.observe("health", "healthy")
        for a, b in self.sick:
            ctx.set_timer(("health", a), a)
            ctx.set_timer(("health", b), b)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Call):
            sick = self.is_sick(ctx.now)
            ctx.set_timer(("reply", src, msg.rid, not sick), self.sick_latency if sick else self.latency)

    def on_timer(self, ctx, name):
        if name[0] == "health":
            ctx.observe("health", "sick" if self.is_sick(ctx.now) else "healthy")
        elif name[0] == "reply":
            _, dst, rid, ok = name
            ctx.send(dst, Ok(rid) if ok else Fail(rid))


class WindowBreaker(CircuitBreaker):
    """The course's breaker with a chosen tripping rule (see :data:`PRESETS`), numbering its calls.

    Parameters
    ----------
    rule : "consecutive", "time", "count" or "none"
    threshold : int
        Failures in a row ("consecutive").
    window : float or int
        Seconds ("time") or calls ("count") that the error share is taken over.
    min_calls : int
        Calls the window must hold before the share counts.
    error_rate : float
        Share of failures in the window that trips the breaker.
    """
    state_fields = ("mode", "previous", "failures", "in_flight", "trial")

    def __init__(self, node_id, peers=(), service=SERVICE, rule="consecutive", threshold=2, cooldown=1.0,
                 request_every=0.05, max_in_flight=1000, window=10.0, min_calls=20, error_rate=0.5):
        if rule not in ("consecutive", "time", "count", "none"):
            raise ValueError(f"rule must be 'consecutive', 'time', 'count' or 'none', got {rule!r}")
        super().__init__(node_id, peers, service=service, threshold=threshold, cooldown=cooldown,
                         request_every=request_every, max_in_flight=max_in_flight)
        self.rule, self.window, self.min_calls = rule, window, min_calls
        self.error_rate = number("error_rate", error_rate, low=0.0, high=1.0)
        self.outcomes = deque()       # (time, ok) of recent calls, closed only
        self.sent = {}                # rid -> send time
        self.next_rid = 0
        self.trial = None

    def allowed(self) -> bool:
        return self.rule == "none" or super().allowed()

    def on_timer(self, ctx, name):
        if name == "request":
            self.next_rid += 1
            rid = self.next_rid
            if self.allowed():
                self.in_flight += 1
                self.sent[rid] = ctx.now
                if self.mode == HALF_OPEN:
                    self.trial = rid
                ctx.send(self.service, Call(rid))
            else:
                ctx.observe("call", (rid, 0.0, "refused"))     # fail fast
            ctx.set_timer("request", self.request_every)
        elif name == "cooldown" and self.mode == OPEN:
            self.move(ctx, HALF_OPEN)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, (Ok, Fail)) or msg.rid not in self.sent:
            return
        ok = isinstance(msg, Ok)
        ctx.observe("call", (msg.rid, ctx.now - self.sent.pop(msg.rid), "ok" if ok else "fail"))
        self.in_flight -= 1
        if self.rule == "none":
            return
        if self.mode == HALF_OPEN and msg.rid == self.trial:
            self.trial = None
            if ok:
                self.outcomes.clear()
                self.move(ctx, CLOSED)
            else:
                self.trip(ctx)
        elif self.mode == CLOSED:
            self.record(ctx.now, ok)
            if self.should_trip(ctx.now):
                self.outcomes.clear()
                self.trip(ctx)

    def record(self, now, ok) -> None:
        if self.rule == "consecutive":
            self.failures = 0 if ok else self.failures + 1
            return
        self.outcomes.append((now, ok))
        if self.rule == "count":
            while len(self.outcomes) > self.window:
                self.outcomes.popleft()

    def should_trip(self, now) -> bool:
        if self.rule == "consecutive":
            return self.failures >= self.threshold
        if self.rule == "time":
            while self.outcomes and self.outcomes[0][0] <= now - self.window:
                self.outcomes.popleft()
        calls = len(self.outcomes)
        fails = sum(1 for _t, ok in self.outcomes if not ok)
        return calls >= self.min_calls and fails >= self.error_rate * calls


def breaker_lab_scenario(preset="ours", sick=((10.0, 40.0),), until: float = 100.0, request_every: float = 0.05,
                         sick_latency: float = 1.0, **kwargs) -> Scenario:
    """A client behind a breaker of ``preset`` (a :data:`PRESETS` name or a dict) and a :class:`SickService`."""
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)} or a dict of WindowBreaker parameters, "
                             f"got {preset!r}")
        params = dict(PRESETS[preset])
    elif isinstance(preset, dict):
        params = dict(preset)
    else:
        raise TypeError(f"preset must be a name of PRESETS or a dict, got {preset!r}")
    params["request_every"] = request_every
    return Scenario({BREAKER: WindowBreaker, SERVICE: SickService}, nodes=[BREAKER, SERVICE],
                    node_params={BREAKER: params, SERVICE: {"sick": sick, "sick_latency": sick_latency}},
                    link=LinkModel(latency=0.001), until=until,
                    name=f"circuit breaker ({preset if isinstance(preset, str) else 'custom'})", **kwargs)


def _calls(trace):
    return [(r[0], *r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "call"]


def breaker_lab_summary(trace, sick=(10.0, 40.0)) -> dict:
    """What the breaker did while the dependency was sick, and how fast it let traffic back.

    ``mean_latency_sick``: mean seconds a request took to be answered (refusals count 0 s), for
    requests made in the sick window; ``refused``: share of them failed fast; ``load_sick``:
    calls that reached the dependency in the window; ``back_after``: seconds from the end of
    the sickness until the breaker was closed again (None: never).
    """
    a, b = sick
    rows = [c for c in _calls(trace)]
    # a call's request time is its answer time minus its latency
    in_window = [(t - lat, lat, out) for t, _rid, lat, out in rows if a <= t - lat < b]
    load = sum(1 for r in trace.rows if r[1] == "deliver" and r[2] == SERVICE and isinstance(r[5], Call)
               and a <= r[0] < b)
    back = None
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "breaker" and r[0] >= b and r[6] == CLOSED:
            back = r[0] - b
            break
    modes = [r[6] for r in trace.rows if r[1] == "observe" and r[5] == "breaker"]
    if back is None and modes and modes[-1] == CLOSED and OPEN not in modes:
        back = 0.0
    return {"mean_latency_sick": sum(lat for _t, lat, _o in in_window) / max(1, len(in_window)),
            "refused": sum(o == "refused" for *_x, o in in_window) / max(1, len(in_window)),
            "load_sick": load, "back_after": back}


def breaker_lab_table(traces: dict, sick=(10.0, 40.0)):
    """:func:`breaker_lab_summary` of each trace (name -> trace), one row per name."""
    import pandas as pd
    return pd.DataFrame({name: breaker_lab_summary(t, sick) for name, t in traces.items()}).T


def breaker_states(traces: dict, until=None):
    """One Trace whose lanes are the breakers of ``traces`` (name -> trace) and the dependency's health.

    The lanes hold the observed ``breaker`` modes (``closed``, ``open``, ``half_open``); the lane
    ``dependency`` holds ``healthy`` / ``sick``. Draw it with ``timeline(..., "breaker")``.
    """
    from dsysedu.sim.trace import Trace
    rows, end = [], 0.0
    first = next(iter(traces.values()))
    for r in first.rows:
        if r[1] == "observe" and r[5] == "health":
            rows.append((r[0], "observe", "dependency", None, None, "breaker", r[6]))
    for name, trace in traces.items():
        end = max(end, trace.end_time)
        rows += [(r[0], "observe", name, None, None, "breaker", r[6]) for r in trace.rows
                 if r[1] == "observe" and r[5] == "breaker"]
    rows.sort(key=lambda r: r[0])
    return Trace(["dependency", *traces], rows, end_time=end if until is None else until, ended_by="time")


# -- step by step against pybreaker ---------------------------------------------

def drive_ours(outcomes, times, threshold=5, cooldown=60.0) -> list:
    """Our breaker's handlers fed one call at a time: ``outcomes[i]`` (True = ok) at ``times[i]``.

    Returns the mode after each call, and ``"refused"`` in place of a call the breaker refused:
    a list of ``(mode, refused)``.
    """
    b = CircuitBreaker(BREAKER, [SERVICE], threshold=threshold, cooldown=cooldown, max_in_flight=1)
    cooldown_due, out = None, []

    def step(handler, now, *args):
        nonlocal cooldown_due
        ctx = Context(BREAKER, [SERVICE])
        ctx.now = now
        handler(ctx, *args)
        sent = False
        for e in ctx.effects:
            if e[0] == SET_TIMER and e[1] == "cooldown":
                cooldown_due = now + e[2]
            sent |= e[0] == SEND
        return sent

    for ok, t in zip(outcomes, times):
        if cooldown_due is not None and t >= cooldown_due:
            due, cooldown_due = cooldown_due, None
            step(b.on_timer, due, "cooldown")
        if step(b.on_timer, t, "request"):
            step(b.on_message, t, SERVICE, Ok() if ok else Fail())
            out.append((b.mode, False))
        else:
            out.append((b.mode, True))
    return out


class _Failure(Exception):
    pass


@contextlib.contextmanager
def _simulated_clock(module, now):
    """pybreaker reads ``datetime.now(UTC)``; during the drive it reads the simulated time instead."""
    real = module.datetime

    class SimulatedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=now[0])

    module.datetime = SimulatedDatetime
    try:
        yield
    finally:
        module.datetime = real


def drive_pybreaker(outcomes, times, fail_max=5, reset_timeout=60.0) -> list:
    """A ``pybreaker.CircuitBreaker`` fed the same calls as :func:`drive_ours`; same result shape.

    pybreaker's states are named ``closed``, ``open`` and ``half-open``; they are returned in our
    spelling (``half_open``).
    """
    import pybreaker
    cb = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout)
    now, out, made = [0.0], [], []

    def call(ok):
        made.append(True)
        if not ok:
            raise _Failure()

    with _simulated_clock(pybreaker, now):
        for ok, t in zip(outcomes, times):
            now[0] = t
            made.clear()
            try:
                cb.call(call, ok)
            except (pybreaker.CircuitBreakerError, _Failure):
                pass     # CircuitBreakerError: refused, or the call that tripped the breaker
            out.append((cb.current_state.replace("-", "_"), not made))
    return out


def compare_with_pybreaker(outcomes, times, threshold=5, cooldown=60.0):
    """Both drives side by side: a DataFrame with ``time``, ``ok`` and the (mode, refused) of each breaker."""
    import pandas as pd
    return pd.DataFrame({"time": list(times), "ok": list(outcomes),
                         "ours": drive_ours(outcomes, times, threshold, cooldown),
                         "pybreaker": drive_pybreaker(outcomes, times, threshold, cooldown)})
