"""Chapter 1: a client, a server and an unreliable link between them.

The client sends deposits and waits a while for each reply. When the wait runs
out it cannot know what happened: the request may have been lost (nothing
happened), or the reply may have been lost or late (the deposit happened).
:func:`outcomes` lays the two views side by side.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Request", "Reply", "Client", "Server", "RequestReply", "request_reply_scenario", "outcomes",
           "unknown_fraction", "sweep", "unknown_theory", "unknown_applied_theory", "link_metrics"]


@dataclass(frozen=True)
class Request:
    req_id: int
    amount: int = 1


@dataclass(frozen=True)
class Reply:
    req_id: int
    balance: int


class Client(Node):
    """Sends ``requests`` deposits to the server, one every ``interval`` s, each with a ``timeout``.

    Observes ``outcome`` as ``(req_id, "ok")`` when the reply arrives in time, or
    ``(req_id, "unknown")`` when the timeout fires first: the client cannot tell whether
    the deposit happened.
    """

    def __init__(self, node_id, peers=(), server=1, requests=20, interval=0.1, timeout=0.05):
        super().__init__(node_id, peers)
        self.server = server
        self.requests = requests
        self.interval = interval
        self.timeout = timeout
        self.next_id = 0
        self.waiting: set = set()

    def on_start(self, ctx):
        ctx.observe("role", "client")
        ctx.set_timer("send", 0.0)

    def on_timer(self, ctx, name):
        if name == "send":
            if self.next_id >= self.requests:
                return
            rid = self.next_id
            self.next_id += 1
            self.waiting.add(rid)
            ctx.send(self.server, Request(rid))
            ctx.set_timer(("timeout", rid), self.timeout)
            ctx.set_timer("send", self.interval)
        elif isinstance(name, tuple) and name[0] == "timeout":
            rid = name[1]
            if rid in self.waiting:
                self.waiting.discard(rid)
                ctx.observe("outcome", (rid, "unknown"))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Reply) and msg.req_id in self.waiting:
            self.waiting.discard(msg.req_id)
            ctx.cancel_timer(("timeout", msg.req_id))
            ctx.observe("outcome", (msg.req_id, "ok"))


class Server(Node):
    """Applies each deposit once (by request id) and replies with the balance. ``balance`` is durable."""

    durable = ("balance", "applied")

    def __init__(self, node_id, peers=(), **_ignored):
        super().__init__(node_id, peers)
        self.balance = 0
        self.applied: set = set()

    def on_start(self, ctx):
        ctx.observe("role", "server")

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Request):
            if msg.req_id not in self.applied:
                self.applied.add(msg.req_id)
                self.balance += msg.amount
                ctx.observe("applied", msg.req_id)
            if src is not None:  # a request from outside the system (an operator) gets no reply
                ctx.send(src, Reply(msg.req_id, self.balance))


RequestReply = {0: Client, 1: Server}
"""Protocol mapping for a two-node request/reply scenario: node 0 is the client, node 1 the server."""


def outcomes(trace) -> pd.DataFrame:
    """One row per request: what the client concluded and what the server did.

    Columns: ``req_id``, ``client`` (``ok``, ``unknown`` or ``pending`` when the run ended
    first), ``applied`` (did the server apply it?), ``case``: ``ok``, ``unknown-applied``
    (the client thinks it may have failed, but it happened), ``unknown-not-applied``, or
    ``pending``.
    """
    client: dict = {}
    applied: set = set()
    sent: set = set()
    for time, kind, node, peer, mid, data, value in trace.rows:
        if kind == "observe" and data == "outcome":
            client[value[0]] = value[1]
        elif kind == "observe" and data == "applied":
            applied.add(value)
        elif kind == "send" and isinstance(data, Request):
            sent.add(data.req_id)
    rows = []
    for rid in sorted(sent):
        c = client.get(rid, "pending")
        a = rid in applied
        case = c if c in ("ok", "pending") else ("unknown-applied" if a else "unknown-not-applied")
        rows.append({"req_id": rid, "client": c, "applied": a, "case": case})
    return pd.DataFrame(rows, columns=["req_id", "client", "applied", "case"])


def unknown_fraction(trace) -> float:
    """The share of finished requests whose outcome the client cannot know (it timed out)."""
    df = outcomes(trace)
    done = df[df.client != "pending"]
    return float((done.client == "unknown").mean()) if len(done) else 0.0


def sweep(knob: str, values, seeds=range(5), **fixed) -> pd.DataFrame:
    """Run the request/reply demo for each value of one knob and each seed.

    Parameters
    ----------
    knob : str
        A parameter of :func:`request_reply_scenario` (``loss``, ``timeout``, ``duplicate``...).
    values : iterable
        The values to try.
    seeds : iterable of int
        One run per seed and value.
    **fixed
        The other knobs, held fixed.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``knob value, seed, unknown`` (share of requests with unknown outcome),
        ``unknown_applied`` (share of all requests that timed out although the server applied them),
        ``ok``.

    Examples
    --------
    >>> df = sweep("loss", [0.0, 0.5], seeds=[1])
    >>> list(df.columns)
    ['loss', 'seed', 'unknown', 'unknown_applied', 'ok']
    """
    rows = []
    for v in values:
        for seed in seeds:
            tr = run(request_reply_scenario(**{knob: v}, **fixed), seed=seed)
            df = outcomes(tr)
            done = df[df.client != "pending"]
            n = max(len(done), 1)
            rows.append({knob: v, "seed": seed, "unknown": float((done.client == "unknown").sum() / n),
                         "unknown_applied": float((done.case == "unknown-applied").sum() / n),
                         "ok": float((done.client == "ok").sum() / n)})
    return pd.DataFrame(rows, columns=[knob, "seed", "unknown", "unknown_applied", "ok"])


def unknown_theory(loss: float) -> float:
    """Expected share of requests with unknown outcome when the timeout outlasts every round trip:
    the outcome is known only if both the request and the reply get through, ``(1 - loss)**2``."""
    return 1.0 - (1.0 - loss) ** 2


def unknown_applied_theory(loss: float) -> float:
    """Expected share that timed out although the server applied them: request through, reply lost."""
    return (1.0 - loss) * loss


def link_metrics(trace) -> dict:
    """The numbers the chapter 1 playground shows beside its picture."""
    cases = outcomes(trace).case.value_counts()
    return {"unknown outcome": unknown_fraction(trace),
            "timed out but applied": int(cases.get("unknown-applied", 0)),
            "timed out, not applied": int(cases.get("unknown-not-applied", 0))}


def request_reply_scenario(loss: float = 0.1, latency=None, reorder: bool = False, requests: int = 20,
                  interval: float = 0.1, timeout: float = 0.15, faults=(), duplicate: float = 0.0,
                  until: float | None = None) -> Scenario:
    """Chapter 1's two nodes: a client (0) sends deposits to a server (1) over an unreliable link."""
    positive_int("requests", requests, low=1, high=100_000)
    number("interval", interval, low=0.0, low_open=True)
    number("timeout", timeout, low=0.0, low_open=True)
    link = LinkModel(latency=Uniform(0.01, 0.06) if latency is None else latency, loss=loss,
                     duplicate=duplicate, reorder=reorder)
    until = requests * interval + timeout + 0.5 if until is None else until
    return Scenario(RequestReply, nodes=2, node_params={0: {"requests": requests, "interval": interval,
                                                            "timeout": timeout}},
                    link=link, faults=tuple(faults), until=until, name="request_reply")
