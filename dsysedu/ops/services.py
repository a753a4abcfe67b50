"""A small traced service system (服务系统): a client, a gateway fanning out to two services, a store.

::

    client ──▶ gateway ──┬──▶ orders ────┬──▶ store
                         └──▶ inventory ─┘

Every node is a :class:`TracedService`, an ordinary simulator node. A request is a
:class:`Request` message carrying a W3C ``traceparent`` header
(:mod:`dsysedu.ops.tracecontext`); each hop

1. reads the header and opens a *server* span (服务端跨度) whose parent is the caller's span;
2. works for an exponential time (mean ``work``), may fail (``error_rate``);
3. calls each of its downstream services in parallel: one *client* span per attempt, whose id
   goes out as the ``parent-id`` of the header it sends; a call that times out (``timeout``)
   or answers an error is retried up to ``retries`` times after a backoff sleep
   (:func:`dsysedu.systems.resilience.backoff.backoff_sleep`, the retry policies of the
   resilience lesson); every retry is a new client span of the same trace;
4. answers its caller once every call succeeded, or with an error once one gave up.

The :class:`LoadClient` starts the traces: Poisson arrivals, a fresh 16-byte trace id per
request, the root span. Trace and span ids come from each node's seeded stream (``ctx.rng``), so
the same scenario and seed give the same ids.

Telemetry is observed, never printed: ``span_start`` ``(trace_id, span_id, parent_id, name,
kind, start, attributes)``, ``span_end`` ``(span_id, status, message)`` and ``log`` ``(level,
trace_id, span_id, message)``; :mod:`dsysedu.ops.telemetry` reads them back from the trace.
A span's start is the simulated time its handler began; its end is when the handler's effects
happened (for a :class:`~dsysedu.sim.faults.Slow` node, after the handler's delay).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.faults import Fault
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number
from dsysedu.systems.resilience.backoff import backoff_sleep, check_backoff

from .tracecontext import TraceParent, new_span_id, new_trace_id, parse_traceparent

__all__ = ["Request", "Response", "TracedService", "LoadClient", "service_scenario", "CLIENT", "GATEWAY",
           "SERVICES", "STORE_NODE", "TOPOLOGY"]

CLIENT = "client"
GATEWAY = "gateway"
STORE_NODE = "store"
SERVICES = ("inventory", "orders")
#: who calls whom
TOPOLOGY = {CLIENT: (GATEWAY,), GATEWAY: SERVICES, "inventory": (STORE_NODE,), "orders": (STORE_NODE,),
            STORE_NODE: ()}


@dataclass(frozen=True)
class Request:
    """A call: the W3C ``traceparent`` header and the operation's name."""
    traceparent: str
    op: str = "checkout"


@dataclass(frozen=True)
class Response:
    """The answer to the call whose client span is ``call`` (the request's ``parent-id``)."""
    call: str
    ok: bool


class TracedService(Node):
    """A service that opens a span per request, calls ``calls`` in parallel with retries, and answers.

    Parameters
    ----------
    calls : tuple of node ids
        Downstream services, called in sorted order.
    work : float
        Mean seconds of own work per request (exponential), >= 0.
    error_rate : float
        Probability in [0, 1] that a request fails in this service's own work.
    timeout : float
        Seconds a call may take before the caller gives up on that attempt (> 0).
    retries : int
        Further attempts after a failed one (>= 0).
    backoff : str or callable
        A policy of :data:`dsysedu.systems.resilience.backoff.BACKOFFS` (or a tenacity wait).
    base, cap : float
        The backoff's base and cap in seconds.
    """

    def __init__(self, node_id, peers=(), calls=(), work=0.005, error_rate=0.0, timeout=0.25, retries=2,
                 backoff="full", base=0.01, cap=0.2):
        super().__init__(node_id, peers)
        self.calls = tuple(sorted(calls))
        self.work = number("work", work, low=0.0)
        self.error_rate = number("error_rate", error_rate, low=0.0, high=1.0)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {retries!r}")
        self.retries = retries
        check_backoff(backoff)
        self.backoff, self.base, self.cap = backoff, number("base", base, low=0.0), number("cap", cap, low=0.0)
        self.open: dict = {}       # server span id -> its request's state
        self.outgoing: dict = {}   # client span id -> (server span id, dst, attempt)

    # -- spans and logs ---------------------------------------------------------
    def _start_span(self, ctx, trace_id, parent, name, kind, attrs=()) -> str:
        sid = new_span_id(ctx.rng)
        ctx.observe("span_start", (trace_id, sid, parent, name, kind, ctx.now, (("service", self.id),) + attrs))
        return sid

    @staticmethod
    def _log(ctx, level, trace_id, span_id, message) -> None:
        ctx.observe("log", (level, trace_id, span_id, message))

    # -- handlers ---------------------------------------------------------------
    def on_message(self, ctx, src, msg):
        if isinstance(msg, Request):
            self.accept(ctx, src, msg)
        elif isinstance(msg, Response):
            self.answered(ctx, src, msg)

    def accept(self, ctx, src, msg: Request) -> None:
        tp = parse_traceparent(msg.traceparent)
        sid = self._start_span(ctx, tp.trace_id, tp.parent_id, f"{self.id} {msg.op}", "server",
                               (("peer", str(src)),))
        self.open[sid] = {"caller": src, "call": tp.parent_id, "tp": tp, "op": msg.op, "pending": set(), "sleep": {}}
        self._log(ctx, "INFO", tp.trace_id, sid, f"{msg.op} received from {src}")
        ctx.set_timer(("work", sid), ctx.rng.expovariate(1.0 / self.work) if self.work > 0 else 0.0)

    def on_timer(self, ctx, name):
        kind = name[0]
        if kind == "work":
            self.worked(ctx, name[1])
        elif kind == "timeout":
            self.timed_out(ctx, name[1])
        elif kind == "retry":
            _, sid, dst, attempt = name
            if sid in self.open:
                self.call(ctx, sid, dst, attempt)

    def worked(self, ctx, sid) -> None:
        req = self.open.get(sid)
        if req is None:
            return
        if self.error_rate and ctx.rng.random() < self.error_rate:
            self.finish(ctx, sid, False, "internal error")
        elif not self.calls:
            self.finish(ctx, sid, True, "")
        else:
            for dst in self.calls:
                req["pending"].add(dst)
                self.call(ctx, sid, dst, 0)

    def call(self, ctx, sid, dst, attempt: int) -> None:
        req = self.open[sid]
        tp: TraceParent = req["tp"]
        cid = self._start_span(ctx, tp.trace_id, sid, f"call {dst}", "client",
                               (("peer", str(dst)), ("attempt", attempt)))
        self.outgoing[cid] = (sid, dst, attempt)
        ctx.send(dst, Request(tp.child(cid).header(), req["op"]))
        ctx.set_timer(("timeout", cid), self.timeout)

    def answered(self, ctx, src, msg: Response) -> None:
        entry = self.outgoing.pop(msg.call, None)
        if entry is None:
            return                                  # an answer to an attempt already given up on
        ctx.cancel_timer(("timeout", msg.call))
        sid, dst, attempt = entry
        ctx.observe("span_end", (msg.call, "OK" if msg.ok else "ERROR", "" if msg.ok else f"{dst} answered an error"))
        if sid not in self.open:
            return
        if msg.ok:
            pending = self.open[sid]["pending"]
            pending.discard(dst)
            if not pending:
                self.finish(ctx, sid, True, "")
        else:
            self.retry_or_fail(ctx, sid, dst, attempt, "an error")

    def timed_out(self, ctx, cid) -> None:
        entry = self.outgoing.pop(cid, None)
        if entry is None:
            return
        sid, dst, attempt = entry
        ctx.observe("span_end", (cid, "ERROR", f"no answer from {dst} in {self.timeout:g} s"))
        if sid in self.open:
            self.retry_or_fail(ctx, sid, dst, attempt, "no answer")

    def retry_or_fail(self, ctx, sid, dst, attempt: int, why: str) -> None:
        req = self.open[sid]
        trace_id = req["tp"].trace_id
        if attempt < self.retries:
            previous = req["sleep"].get(dst, self.base)
            sleep = backoff_sleep(self.backoff, attempt, previous, ctx.rng, base=self.base, cap=self.cap)
            req["sleep"][dst] = sleep
            self._log(ctx, "WARN", trace_id, sid, f"{dst} gave {why} (attempt {attempt + 1}); retry in {sleep:.3f} s")
            ctx.set_timer(("retry", sid, dst, attempt + 1), sleep)
        else:
            self._log(ctx, "ERROR", trace_id, sid, f"{dst} gave {why} after {attempt + 1} attempts; giving up")
            self.finish(ctx, sid, False, f"{dst} failed")

    def finish(self, ctx, sid, ok: bool, why: str) -> None:
        req = self.open.pop(sid)
        ctx.observe("span_end", (sid, "OK" if ok else "ERROR", why))
        self._log(ctx, "INFO" if ok else "ERROR", req["tp"].trace_id, sid,
                  f"{req['op']} answered {'ok' if ok else 'error: ' + why}")
        if req["caller"] is not None:
            ctx.send(req["caller"], Response(req["call"], ok))


class LoadClient(TracedService):
    """Starts a trace per request: Poisson arrivals (``rate`` per second) until ``stop`` seconds.

    Each request gets a fresh trace id and a root span (``client <op>``, no parent), then calls
    ``calls`` (the gateway) like any other service, with the same timeout and retries.
    """

    def __init__(self, node_id, peers=(), rate=20.0, stop=10.0, op="checkout", **kwargs):
        kwargs.setdefault("work", 0.0)
        super().__init__(node_id, peers, **kwargs)
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.stop = number("stop", stop, low=0.0)
        self.op = op

    def on_start(self, ctx):
        ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))

    def on_timer(self, ctx, name):
        if name[0] != "arrive":
            return super().on_timer(ctx, name)
        if ctx.now >= self.stop:
            return
        trace_id = new_trace_id(ctx.rng)
        sid = self._start_span(ctx, trace_id, None, f"client {self.op}", "internal")
        tp = TraceParent(trace_id, sid)
        self.open[sid] = {"caller": None, "call": None, "tp": tp, "op": self.op, "pending": set(self.calls),
                          "sleep": {}}
        self._log(ctx, "INFO", trace_id, sid, f"{self.op} started")
        for dst in self.calls:
            self.call(ctx, sid, dst, 0)
        ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))


def service_scenario(rate: float = 20.0, duration: float = 10.0, work: dict | None = None,
                     error_rate: dict | None = None, timeout: float = 0.25, retries: int = 2,
                     backoff: str = "full", latency: float = 0.002, loss: float = 0.0, faults=(), nemesis=None,
                     drain: float = 3.0) -> Scenario:
    """The client → gateway → {inventory, orders} → store system as a Scenario.

    Parameters
    ----------
    rate : float
        Requests per second from the client (Poisson), > 0.
    duration : float
        Seconds during which requests arrive (> 0); the run lasts ``duration + drain``.
    work : dict service -> float, optional
        Mean work per request; default 2 ms at the gateway, 5 ms at each service, 3 ms at the store.
    error_rate : dict service -> float, optional
        Probability that a service's own work fails; default 0 everywhere.
    timeout, retries, backoff
        Every caller's per-attempt timeout, further attempts and backoff policy.
    latency, loss : float
        One-way link latency (seconds) and loss probability of every link.
    faults : list of Fault
        Scheduled faults (``Slow("inventory", at=4, delay=0.05, until=6)``, ``Crash``...).
    nemesis : Nemesis, optional
        Random faults drawn from the run's seed.
    drain : float
        Seconds after the last arrival for answers, timeouts and retries to finish (>= 0).
    """
    rate = number("rate", rate, low=0.0, low_open=True)
    duration = number("duration", duration, low=0.0, low_open=True)
    drain = number("drain", drain, low=0.0)
    nodes = list(TOPOLOGY)
    defaults = {GATEWAY: 0.002, "inventory": 0.005, "orders": 0.005, STORE_NODE: 0.003, CLIENT: 0.0}
    for label, given in (("work", work), ("error_rate", error_rate)):
        unknown = sorted(set(given or {}) - set(nodes))
        if unknown:
            raise ValueError(f"{label} names unknown services {unknown}; the services are {nodes}")
    work = {**defaults, **(work or {})}
    errors = error_rate or {}
    for f in faults:
        if not isinstance(f, Fault):
            raise TypeError(f"faults must be Fault objects (Crash, Slow, ...), got {f!r}")
    params = {v: {"calls": TOPOLOGY[v], "work": work[v], "error_rate": errors.get(v, 0.0)} for v in nodes}
    params[CLIENT].update(rate=rate, stop=duration)
    protocol = {v: (LoadClient if v == CLIENT else TracedService) for v in nodes}
    number("timeout", timeout, low=0.0, low_open=True)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    check_backoff(backoff)
    for v, p in sorted(errors.items()):
        number(f"error_rate[{v!r}]", p, low=0.0, high=1.0)
    return Scenario(protocol, nodes=nodes, params={"timeout": timeout, "retries": retries, "backoff": backoff},
                    node_params=params, link=LinkModel(latency=latency, loss=loss), faults=list(faults),
                    nemesis=nemesis, until=duration + drain, name="traced services")
