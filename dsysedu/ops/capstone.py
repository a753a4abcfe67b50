"""The capstone (综合案例): one small shop that uses every layer of the course in one seeded run.

::

    client ─▶ gateway ─┬─▶ web0 ─┐                       ┌─▶ stock
      (traced)  (p2c + └─▶ web1 ─┴─▶ orders ─▶ broker ─▶ fulfil ─▶ orch ─┼─▶ payment
              breakers)              (idempotent  (queue)  (consumer) (saga) └─▶ shipping
                                      publish)                          │
                                                                   ledger ─▶ kv0, kv1, kv2 (Raft)

* **tracing** (:mod:`dsysedu.ops.services`): every checkout is a W3C trace from the client down to
  ``orders``;
* **a balancer and circuit breakers**: the :class:`BalancedGateway` sends each call to one web
  server chosen by the power of two choices (chapter 4.3) among those whose breaker (chapter 5)
  lets calls through;
* **a queue** (:mod:`dsysedu.systems.messaging.queue`): ``orders`` publishes each accepted order
  once (its id comes from the trace id, an idempotency key), ``fulfil`` consumes it;
* **a saga** (:mod:`dsysedu.protocols.transactions.saga`): stock, payment and shipping, with
  compensations when the payment is declined;
* **a replicated store under Raft** (:mod:`dsysedu.protocols.consensus.raft`): the ``ledger``
  records each saga's outcome in a three-node Raft cluster, following leader hints;
* **a chaos experiment**: a gray failure of ``web1`` and a crash of a Raft node, with steady-state
  hypotheses checked on the run (:func:`hypotheses`); **alerts** on the gateway's latency
  (:func:`latency_alerts`).

:func:`capstone_scenario` builds it; :func:`layer_views` reads the one trace from each layer's
point of view.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dsysedu.check import Verdict
from dsysedu.protocols.consensus.raft.messages import ClientReply, ClientRequest
from dsysedu.protocols.consensus.raft.node import Raft
from dsysedu.protocols.consensus.raft.properties import raft_safety
from dsysedu.protocols.transactions.saga import STEPS, Order, Orchestrator, Service as SagaService, effect_status
from dsysedu.protocols.transactions.saga_runs import saga_verdicts
from dsysedu.sim.faults import Crash, Slow
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.trace import Trace
from dsysedu.sim.validate import number
from dsysedu.systems.messaging.queue import Ack, Broker, Confirm, Deliver, Publish, Receive

from .alerting import Threshold, alerts, sli_frame
from .chaos import ChaosLab
from .chaos_journal import BLAST_RADIUS, read_journal, run_experiment
from .agents import Bus, Command, Console, Publish as BusPublish, Suggestion
from .autoscaling import hpa_desired
from .humans import APPROVE, SimulatedHuman
from .services import LoadClient, Request, TracedService
from .telemetry import red_metrics, spans
from .tracecontext import TraceParent

__all__ = ["WEB", "STANDBY", "KV", "Demand", "ScalingAgent", "ClusterRaft", "BalancedGateway", "OrderDesk", "OrderConsumer", "Record", "RecordingOrchestrator",
           "Ledger", "DecliningPayment", "capstone_graph", "capstone_scenario", "subtrace", "latency_alerts", "hypotheses",
           "layer_views", "formal_checks", "capstone_experiment", "run_capstone_experiment", "CHAOS_TARGETS",
           "LAYERS"]

WEB = ("web0", "web1")
STANDBY = ("web2",)        # a web server the autoscaler may bring in, once a person approves
KV = ("kv0", "kv1", "kv2")
LAYERS = ("formal", "algorithms", "engineering", "patterns", "AI and humans", "operations")


@dataclass(frozen=True)
class Demand:
    """The gateway's report: its p99 latency (s) and requests over the last period, and its web servers."""
    at: float
    p99: float
    requests: int
    replicas: int


class ScalingAgent(Node):
    """The autoscaler: the Kubernetes HPA rule of chapter 6 (:func:`~dsysedu.ops.autoscaling.hpa_desired`)
    on the gateway's p99 latency against ``target_p99``, capped at ``max_replicas``. When it wants more
    web servers than the gateway has, it *proposes* a scale-up on the bus (topic ``proposals``), once
    per size; a person at the console decides. It never acts.

    Observes ``proposal`` ``(id, service, reason)``.
    """

    def __init__(self, node_id, peers=(), target_p99=0.15, max_replicas=3, bus="bus"):
        super().__init__(node_id, peers)
        self.target_p99 = number("target_p99", target_p99, low=0.0, low_open=True)
        self.max_replicas, self.bus = max_replicas, bus
        self.proposed: tuple = ()
        self.next_id = 0

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Demand) or msg.requests == 0:
            return
        want = min(self.max_replicas, hpa_desired(msg.replicas, msg.p99, self.target_p99))
        if want > msg.replicas and want not in self.proposed:
            self.proposed = self.proposed + (want,)
            s = Suggestion(self.next_id, "web", f"scale to {want}",
                           f"p99 {msg.p99:.3f} s over {msg.replicas} servers, target {self.target_p99:g} s")
            self.next_id += 1
            ctx.observe("proposal", (s.id, s.service, s.reason))
            ctx.send(self.bus, BusPublish("proposals", s))


class ClusterRaft(Raft):
    """Raft whose cluster is named (``cluster``), not every neighbour: the ledger talks to it too."""
    needs_complete_graph = False

    def __init__(self, node_id, peers=(), cluster=KV, **params):
        super().__init__(node_id, tuple(p for p in cluster if p != node_id), **params)


class BalancedGateway(TracedService):
    """A traced gateway that sends each call to *one* web server: power of two choices over the
    calls in flight, among the servers whose circuit breaker is closed (or half-open after its
    cooldown). A breaker opens after ``threshold`` failed calls in a row.

    Every ``report_every`` seconds it tells the ``scaler`` its p99 latency over that time
    (:class:`Demand`); an approved :class:`~dsysedu.ops.agents.Command` ``"scale to n"`` brings
    servers from ``standby`` into the pool.

    Observes ``route`` (the server of each call), ``breaker`` ``(server, "open" | "closed")`` and
    ``replicas`` (the servers in the pool, when it changes).
    """

    def __init__(self, node_id, peers=(), backends=WEB, standby=STANDBY, threshold=3, cooldown=1.0,
                 scaler="scaler", report_every=1.0, **kwargs):
        super().__init__(node_id, peers, calls=("web",), **kwargs)
        self.backends, self.standby = tuple(backends), tuple(standby)
        self.threshold, self.cooldown = threshold, number("cooldown", cooldown, low=0.0, low_open=True)
        everyone = self.backends + self.standby
        self.failures = {b: 0 for b in everyone}
        self.open_until = {b: None for b in everyone}
        self.in_flight = {b: 0 for b in everyone}
        self.target: dict = {}
        self.scaler, self.report_every = scaler, number("report_every", report_every, low=0.0, low_open=True)
        self.started: dict = {}
        self.durations: list = []

    def on_start(self, ctx):
        ctx.observe("replicas", len(self.backends))
        if self.scaler in self.peers:
            ctx.set_timer(("demand",), self.report_every)

    def accept(self, ctx, src, msg) -> None:
        super().accept(ctx, src, msg)
        sid = next(reversed(self.open))            # the server span accept() just opened
        self.started[sid] = ctx.now

    def finish(self, ctx, sid, ok: bool, why: str) -> None:
        if sid in self.started:
            self.durations.append(ctx.now - self.started.pop(sid))
        super().finish(ctx, sid, ok, why)

    def on_timer(self, ctx, name):
        if name[0] == "demand":
            p99 = float(np.quantile(self.durations, 0.99)) if self.durations else 0.0
            ctx.send(self.scaler, Demand(ctx.now, round(p99, 4), len(self.durations), len(self.backends)))
            self.durations = []
            ctx.set_timer(("demand",), self.report_every)
            return
        super().on_timer(ctx, name)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Command):
            if msg.service == "web" and msg.verb.startswith("scale to "):
                want = int(msg.verb.rsplit(" ", 1)[1])
                while len(self.backends) < want and self.standby:
                    self.backends, self.standby = self.backends + self.standby[:1], self.standby[1:]
                ctx.observe("replicas", len(self.backends))
            return
        super().on_message(ctx, src, msg)

    def pick(self, ctx):
        allowed = [b for b in self.backends if self.open_until[b] is None or ctx.now >= self.open_until[b]]
        choices = allowed or list(self.backends)
        two = ctx.rng.sample(choices, min(2, len(choices)))
        return min(two, key=lambda b: self.in_flight[b])      # a tie goes to the first of the random two

    def call(self, ctx, sid, dst, attempt: int) -> None:
        req = self.open[sid]
        tp: TraceParent = req["tp"]
        target = self.pick(ctx)
        cid = self._start_span(ctx, tp.trace_id, sid, f"call {target}", "client",
                               (("peer", str(target)), ("attempt", attempt)))
        self.outgoing[cid] = (sid, dst, attempt)
        self.target[cid] = target
        self.in_flight[target] += 1
        ctx.observe("route", target)
        ctx.send(target, Request(tp.child(cid).header(), req["op"]))
        ctx.set_timer(("timeout", cid), self.timeout)

    def _settle(self, ctx, cid, ok: bool) -> None:
        target = self.target.pop(cid, None)
        if target is None:
            return
        self.in_flight[target] -= 1
        if ok:
            if self.open_until[target] is not None:
                ctx.observe("breaker", (target, "closed"))
            self.failures[target], self.open_until[target] = 0, None
            return
        self.failures[target] += 1
        if self.failures[target] >= self.threshold:
            if self.open_until[target] is None or ctx.now >= self.open_until[target]:
                ctx.observe("breaker", (target, "open"))
            self.open_until[target] = ctx.now + self.cooldown

    def answered(self, ctx, src, msg) -> None:
        if msg.call in self.outgoing:
            self._settle(ctx, msg.call, msg.ok)
        super().answered(ctx, src, msg)

    def timed_out(self, ctx, cid) -> None:
        if cid in self.outgoing:
            self._settle(ctx, cid, False)
        super().timed_out(ctx, cid)


class OrderDesk(TracedService):
    """Accepts a checkout and publishes the order to the queue once: its id comes from the trace id,
    so a retried checkout is the same order (an idempotency key). Resends until confirmed.

    Observes ``accepted`` (the order id) the first time it sees an order.
    """

    def __init__(self, node_id, peers=(), broker="broker", resend=0.2, **kwargs):
        super().__init__(node_id, peers, calls=(), **kwargs)
        self.broker, self.resend = broker, resend
        self.unconfirmed: dict = {}
        self.seen: set = set()

    def worked(self, ctx, sid) -> None:
        req = self.open.get(sid)
        if req is not None:
            order = "o" + req["tp"].trace_id[:8]
            if order not in self.seen:
                self.seen.add(order)
                ctx.observe("accepted", order)
                mid = int(req["tp"].trace_id[:8], 16)
                self.unconfirmed[mid] = order
                ctx.send(self.broker, Publish(mid, order))
                ctx.set_timer(("resend", mid), self.resend)
        super().worked(ctx, sid)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Confirm):
            self.unconfirmed.pop(msg.mid, None)
            ctx.cancel_timer(("resend", msg.mid))
        else:
            super().on_message(ctx, src, msg)

    def on_timer(self, ctx, name):
        if name[0] == "resend":
            if name[1] in self.unconfirmed:
                ctx.send(self.broker, Publish(name[1], self.unconfirmed[name[1]]))
                ctx.set_timer(name, self.resend)
            return
        super().on_timer(ctx, name)


class OrderConsumer(Node):
    """Takes orders off the queue one at a time and starts a saga for each (the orchestrator ignores
    a saga it already knows, so a redelivered order is harmless); acknowledges after handing it on."""

    def __init__(self, node_id, peers=(), broker="broker", orchestrator="orch"):
        super().__init__(node_id, peers)
        self.broker, self.orchestrator = broker, orchestrator

    def on_start(self, ctx):
        ctx.send(self.broker, Receive())

    def on_recover(self, ctx):
        ctx.send(self.broker, Receive())

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Deliver):
            ctx.send(self.orchestrator, Order(msg.body))
            ctx.send(self.broker, Ack(msg.mid))
            ctx.send(self.broker, Receive())


@dataclass(frozen=True)
class Record:
    """A saga ended: write its outcome to the store."""
    saga: str
    outcome: str


class RecordingOrchestrator(Orchestrator):
    """The saga orchestrator, which also tells the ``ledger`` how each saga ended."""

    def __init__(self, node_id, peers=(), ledger="ledger", **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.ledger = ledger

    def send_next(self, ctx, saga) -> None:
        req = self.next_request(saga)
        super().send_next(ctx, saga)
        if req is not None and req[0] == "end":
            ctx.send(self.ledger, Record(saga, req[1]))


class Ledger(Node):
    """A Raft client: writes ``(saga, outcome)`` into the replicated store, one request per record,
    following leader hints and retrying every ``retry`` seconds until the leader answers.

    Observes ``recorded`` ``(saga, outcome)`` when the store acknowledges a write.
    """

    def __init__(self, node_id, peers=(), cluster=KV, retry=0.15):
        super().__init__(node_id, peers)
        self.cluster, self.retry = tuple(cluster), retry
        self.leader = self.cluster[0]
        self.pending: dict = {}          # seq -> (saga, outcome)
        self.seq = 0
        self.done: set = set()

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Record):
            if msg.saga in self.done or any(s == msg.saga for s, _ in self.pending.values()):
                return
            self.seq += 1
            self.pending[self.seq] = (msg.saga, msg.outcome)
            self.ask(ctx, self.seq)
        elif isinstance(msg, ClientReply) and msg.client_id == self.id and msg.seq in self.pending:
            if msg.ok:
                saga, outcome = self.pending.pop(msg.seq)
                self.done.add(saga)
                ctx.cancel_timer(("retry", msg.seq))
                ctx.observe("recorded", (saga, outcome))
            elif msg.leader_hint in self.cluster and msg.leader_hint != self.leader:
                self.leader = msg.leader_hint
                self.ask(ctx, msg.seq)

    def ask(self, ctx, seq) -> None:
        saga, outcome = self.pending[seq]
        ctx.send(self.leader, ClientRequest(self.id, seq, ("set", saga, outcome)))
        ctx.set_timer(("retry", seq), self.retry)

    def on_timer(self, ctx, name):
        _, seq = name
        if seq in self.pending:          # no answer: the node may be down or not the leader; try the next
            self.leader = self.cluster[(self.cluster.index(self.leader) + 1) % len(self.cluster)]
            self.ask(ctx, seq)


def capstone_graph() -> nx.Graph:
    """Who can talk to whom (a link per pair that exchanges messages)."""
    g = nx.Graph()
    g.add_edges_from([("client", "gateway"), *[("gateway", w) for w in WEB], *[(w, "orders") for w in WEB],
                      ("orders", "broker"), ("broker", "fulfil"), ("fulfil", "orch"),
                      *[("orch", s) for s in STEPS], ("orch", "ledger"), *[("ledger", k) for k in KV],
                      *[(a, b) for i, a in enumerate(KV) for b in KV[i + 1:]],
                      *[("gateway", w) for w in STANDBY], *[(w, "orders") for w in STANDBY],
                      ("gateway", "scaler"), ("scaler", "bus"), ("bus", "console"), ("bus", "gateway")])
    return g


def capstone_scenario(rate: float = 8.0, duration: float = 12.0, chaos: bool = True, decline_every: int = 7,
                      resilient: bool = True, human: SimulatedHuman | None = None, drain: float = 4.0) -> Scenario:
    """The shop, under a chaos experiment when ``chaos``: ``web1`` slow (a gray failure, 0.4 s per
    handler) from 3 s to 7 s and the Raft leader ``kv0`` (its short election timeout makes it the
    first leader) crashed from 5 s to 8 s.

    Parameters
    ----------
    rate : float
        Checkouts per second (Poisson), > 0.
    duration : float
        Seconds during which checkouts arrive; the run lasts ``duration + drain``.
    chaos : bool
        Inject the two faults.
    decline_every : int
        Every this-many-th order's payment is declined (its saga compensates); 0: none.
    resilient : bool
        False takes the resilience out of the front: no retries at the client or the gateway, and
        breakers that never open (the balancer still picks by calls in flight).
    human : SimulatedHuman, optional
        The person at the console who approves or rejects the autoscaler's proposals (default: an
        on-call engineer answering in about 1.5 s, never wrong, never away).
    """
    if not isinstance(resilient, bool) or not isinstance(chaos, bool):
        raise TypeError(f"chaos and resilient must be True or False, got {chaos!r}, {resilient!r}")
    rate = number("rate", rate, low=0.0, low_open=True, high=200.0)
    duration = number("duration", duration, low=1.0, high=120.0)
    if isinstance(decline_every, bool) or not isinstance(decline_every, int) or decline_every < 0:
        raise ValueError(f"decline_every must be an int >= 0, got {decline_every!r}")
    g = capstone_graph()
    protocol = {"client": LoadClient, "gateway": BalancedGateway, **{w: TracedService for w in WEB + STANDBY},
                "scaler": ScalingAgent, "bus": Bus, "console": Console,
                "orders": OrderDesk, "broker": Broker, "fulfil": OrderConsumer, "orch": RecordingOrchestrator,
                **{s: SagaService for s in STEPS}, "ledger": Ledger, **{k: ClusterRaft for k in KV}}
    traced = {"timeout": 0.5, "retries": 2, "work": 0.005}
    params = {"client": {"calls": ("gateway",), "rate": rate, "stop": duration, "timeout": 1.5, "retries": 1},
              "gateway": {**traced, "retries": 2},
              **{w: {**traced, "calls": ("orders",), "work": 0.01} for w in WEB + STANDBY},
              "scaler": {"target_p99": 0.15, "max_replicas": len(WEB + STANDBY)},
              "bus": {"subscribers": {"proposals": ("console",), "commands": ("gateway",)}},
              "console": {"human": human or SimulatedHuman("on-call", median=1.5, sigma=0.3, error_rate=0.0,
                                                           absent=0.0)},
              "orders": {**traced},
              "broker": {"visibility_timeout": 1.0},
              "orch": {"services": STEPS, "retry_after": 0.2},
              **{s: {"step": i + 1} for i, s in enumerate(STEPS)},
              **{k: {"cluster": KV, "client_retry": 0.1, "heartbeat": 0.03} for k in KV}}
    params["kv0"]["election_timeout"] = 0.08      # kv0 times out first and leads term 1: the chaos crashes the leader
    if not resilient:
        params["client"]["retries"] = 0
        params["gateway"].update(retries=0, threshold=10 ** 9)
    faults = [Slow("web1", at=3.0, delay=0.4, until=7.0), Crash("kv0", at=5.0, until=8.0)] if chaos else []
    sc = Scenario(protocol, nodes=g, node_params=params, link=LinkModel(latency=Uniform(0.001, 0.003)),
                  faults=faults, until=duration + drain, name="the shop (capstone)")
    if decline_every:
        sc = _with_declines(sc, decline_every)
    return sc


class DecliningPayment(SagaService):
    """The payment step, declining every ``decline_every``-th new saga it sees (a card refused)."""

    def __init__(self, node_id, peers=(), decline_every=7, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.decline_every, self.seen = decline_every, 0

    def act(self, ctx, saga) -> str:
        if effect_status(self.ledger, saga) == "none":
            self.seen += 1
            if self.decline_every and self.seen % self.decline_every == 0:
                self.record(ctx, saga, "refuse")
                return "refuse"
        return super().act(ctx, saga)


def _with_declines(sc: Scenario, every: int) -> Scenario:
    import dataclasses
    protocol = dict(sc.protocol)
    protocol["payment"] = DecliningPayment
    params = {k: dict(v) for k, v in sc.node_params.items()}
    params["payment"] = {**params.get("payment", {}), "decline_every": every}
    return dataclasses.replace(sc, protocol=protocol, node_params=params)


def subtrace(trace, nodes) -> Trace:
    """The rows of ``trace`` that happen at ``nodes`` (or, for network-wide rows, everywhere)."""
    keep = set(nodes)
    rows = [r for r in trace.rows if r[2] in keep or r[2] is None]
    return Trace(sorted(keep, key=str), rows, seed=trace.seed, end_time=trace.end_time, meta=dict(trace.meta))


def latency_alerts(trace, threshold: float = 0.5, window: float = 1.0) -> pd.DataFrame:
    """The alerts of :mod:`dsysedu.ops.alerting` on the users' checkouts: a static threshold on their
    p99 latency per ``window`` (:class:`~dsysedu.ops.alerting.Threshold` over
    :func:`~dsysedu.ops.alerting.sli_frame`). Columns ``rule, severity, fired, resolved``."""
    frame = sli_frame(trace, window=window, slow=threshold)
    return alerts(frame, Threshold("p99", above=threshold, name=f"checkout p99 > {threshold:g} s"))


def hypotheses(trace) -> dict:
    """The chaos experiment's steady-state hypotheses, each a Verdict:

    * ``checkouts``: at least 99 % of the checkouts the client finished succeeded (the SLO);
    * ``every order recorded``: every accepted order's saga outcome is in the ledger by the end;
    * ``raft safety`` and the ``saga`` properties, on their nodes' part of the run;
    * ``scaling approved``: the web pool grew only after a person approved the autoscaler's proposal.
    """
    roots = [s for s in spans(trace) if s.parent_id is None and s.finished]
    ok = sum(s.status == "OK" for s in roots)
    share = ok / len(roots) if roots else 0.0
    accepted = {e.value for e in trace.events if e.kind == "observe" and e.data == "accepted"}
    recorded = {e.value[0] for e in trace.events if e.kind == "observe" and e.data == "recorded"}
    missing = sorted(accepted - recorded)
    out = {"checkouts": Verdict(share >= 0.99, "checkouts succeed", f"{ok} of {len(roots)} ({share:.1%})"),
           "every order recorded": Verdict(not missing, "every accepted order recorded",
                                           f"{len(accepted & recorded)} of {len(accepted)} recorded"
                                           + (f"; missing {missing[:3]}" if missing else "")),
           "raft safety": raft_safety(subtrace(trace, KV)),
           "scaling approved": _approved_scaling(trace)}
    sagas = subtrace(trace, ("orch", *STEPS))
    for v in saga_verdicts(sagas):
        out[v.property] = v
    return out


def _approved_scaling(trace) -> Verdict:
    """Every time the gateway's pool grew, a person had approved a proposal before."""
    approved, grew, bad = 0, 0, []
    last = None
    for e in trace.events:
        if e.kind != "observe":
            continue
        if e.data == "decision" and e.value[2] == APPROVE:
            approved += 1
        elif e.data == "replicas":
            if last is not None and e.value > last:
                grew += 1
                if grew > approved:
                    bad.append(round(e.time, 3))
            last = e.value
    return Verdict(not bad, "no scaling without a human's approval",
                   f"{grew} scale-up(s), {approved} approval(s)" + (f"; unapproved at {bad}" if bad else ""))


def _down(trace, node) -> list:
    out, since = [], None
    for e in trace.events:
        if e.node == node and e.kind in ("crash", "recover"):
            if e.kind == "crash":
                since = e.time
            elif since is not None:
                out.append((since, e.time))
                since = None
    if since is not None:
        out.append((since, trace.end_time))
    return out


def layer_views(trace) -> dict:
    """The one run as each layer sees it: name -> DataFrame (or dict) for :func:`dsysedu.viz.capstone.layer_panels`.

    * ``algorithms``: the Raft cluster's leader over time (``time, leader, term``);
    * ``engineering``: calls per second to each web server and the queue's largest backlog in each second;
    * ``patterns``: sagas ended per second by outcome;
    * ``AI and humans``: the web servers in the pool over time, when the autoscaler proposed and when
      a person approved (or rejected);
    * ``operations``: the users' p99 per second (:func:`~dsysedu.ops.alerting.sli_frame`), the alerts and
      the fault windows.
    """
    obs = trace.observations()
    leaders = obs[(obs.key == "leader") & obs.node.isin(KV)][["time", "node", "value"]]
    routes = obs[(obs.key == "route")]
    seconds = np.arange(0, int(trace.end_time) + 1)
    per_web = pd.DataFrame({w: np.histogram(routes[routes.value == w].time, bins=np.append(seconds, seconds[-1] + 1))[0]
                            for w in WEB + STANDBY}, index=seconds)
    backlog_rows = obs[obs.key == "backlog"][["time", "value"]].to_numpy()
    most, last = [], 0
    for sec in seconds:                       # the largest backlog within each second
        inside = [v for t, v in backlog_rows if sec <= t < sec + 1]
        most.append(max([last, *inside]))
        last = inside[-1] if inside else last
    backlog = pd.Series(most, index=seconds, name="backlog")
    sagas = obs[obs.key == "saga"]
    sagas = sagas[sagas.value.map(lambda v: v[1] in ("done", "compensated"))]
    ended = pd.DataFrame({o: np.histogram(sagas[sagas.value.map(lambda v: v[1] == o)].time,
                                          bins=np.append(seconds, seconds[-1] + 1))[0]
                          for o in ("done", "compensated")}, index=seconds)
    users = sli_frame(trace, window=1.0)[["start", "p99", "error_ratio"]]
    replicas = obs[(obs.key == "replicas") & (obs.node == "gateway")]
    decisions = obs[obs.key == "decision"]
    verdict = decisions.value.map(lambda v: v[2])
    ai = {"time": list(replicas.time), "replicas": list(replicas.value),
          "proposed": list(obs[obs.key == "proposal"].time),
          "approved": list(decisions.time[verdict == APPROVE]), "rejected": list(decisions.time[verdict != APPROVE])}
    faults = {n: _down(trace, n) for n in KV}
    slow, since = [], {}
    for e in trace.events:                    # a Slow fault's rows: its delay when it starts, 0.0 when it ends
        if e.kind == "slow":
            if e.value and e.node not in since:
                since[e.node] = e.time
            elif not e.value and e.node in since:
                slow.append((since.pop(e.node), e.time))
    slow += [(t, trace.end_time) for t in since.values()]
    return {"algorithms": leaders.rename(columns={"value": "term"}), "engineering": {"calls": per_web, "backlog": backlog},
            "AI and humans": ai,
            "patterns": ended, "operations": {"p99": users, "alerts": latency_alerts(trace), "crashes": faults,
                                              "slow": slow}}


def formal_checks() -> pd.DataFrame:
    """The model-checker verdicts behind the shop's parts (chapters 2.3, 3.1, 3.3, 4.1 and 5):
    ``part, property, verdict, states``, one row per model."""
    from dsysedu.check.model_checker import check
    from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model
    from dsysedu.protocols.transactions.saga import reverse_order, saga_model
    from dsysedu.systems.messaging.queue_checking import acked_means_applied, queue_model
    from dsysedu.systems.resilience.circuit_breaker import breaker_model, one_trial
    rows = []
    for part, model, prop in (("ledger: Raft election", raft_election_model(), election_safety_invariant),
                              ("saga", saga_model(), reverse_order),
                              ("queue", queue_model(), acked_means_applied),
                              ("breaker", breaker_model(), one_trial)):
        r = check(model, prop)
        rows.append({"part": part, "property": prop.name, "verdict": r.verdict, "states": r.states})
    return pd.DataFrame(rows)


#: the services a chaos experiment may target in the shop (everything but the load generator)
CHAOS_TARGETS = ("gateway", *WEB, *STANDBY, "orders", "broker", "fulfil", "orch", *STEPS, "ledger", *KV)


def _activity(kind, name, func, **arguments):
    return {"type": kind, "name": name,
            "provider": {"type": "python", "module": "dsysedu.ops.chaos", "func": func, "arguments": arguments}}


def capstone_experiment(seed: int = 7, warmup: float = 3.0) -> dict:
    """The shop's chaos experiment in Chaos Toolkit's JSON format (run by :mod:`dsysedu.ops.chaos_journal`).

    * steady-state hypothesis: over the last 3 s the users' checkouts fail at most 1 % of the time
      and their p99 stays under 250 ms;
    * method: ``web1`` slow (0.4 s per handler) for 4 s, 0.5 s of calm, then the Raft leader ``kv0``
      crashed for 3 s, then 2.5 s to settle (one fault at a time: the lab's rule);
    * rollbacks: end any fault still in force; blast radius: ``web1`` and ``kv0``.
    """
    window = 3.0
    probes = [dict(_activity("probe", "users' error ratio", "error_ratio", window=window, service="client"),
                   tolerance={"type": "range", "target": "value", "range": [0, 0.01]}),
              dict(_activity("probe", "users' p99 latency (s)", "latency_p99", window=window, service="client"),
                   tolerance={"type": "range", "target": "value", "range": [0, 0.25]})]
    return {
        "version": "1.0.0",
        "title": "The shop survives a slow web server and the loss of its ledger's leader",
        "description": "web1 turns slow for 4 s (a gray failure), then the Raft leader kv0 crashes for 3 s. "
                       "Hypothesis: checkouts keep failing at most 1 % of the time, with a p99 under 250 ms.",
        "tags": ["dsysedu", "capstone", "gray-failure", "leader-crash"],
        "extensions": [{"name": BLAST_RADIUS, "services": ["web1", "kv0"]}],
        "configuration": {"lab": {"seed": seed, "warmup": warmup}},
        "steady-state-hypothesis": {"title": "checkouts succeed and stay fast", "probes": probes},
        "method": [_activity("action", "web1 turns slow", "inject_fault", service="web1", fault="slow", duration=4.0,
                             delay=0.4),
                   _activity("action", "let the gray failure run", "let_time_pass", seconds=4.5),
                   _activity("action", "the ledger's leader crashes", "inject_fault", service="kv0", fault="crash",
                             duration=3.0),
                   _activity("action", "let it recover and settle", "let_time_pass", seconds=5.5)],
        "rollbacks": [_activity("action", "end every fault", "end_faults")],
    }


def run_capstone_experiment(seed: int = 7, **scenario_options) -> tuple:
    """Run :func:`capstone_experiment` with Chaos Toolkit against a lab of the shop
    (:func:`capstone_scenario` without its scheduled faults); let the run drain to its end.

    Returns ``(lab, journal)``: ``lab.trace`` is the one run (every layer's view reads it),
    ``journal`` Chaos Toolkit's (:func:`~dsysedu.ops.chaos_journal.read_journal` reads it back).
    """
    sc = capstone_scenario(chaos=False, **scenario_options)
    lab = ChaosLab(seed=seed, warmup=3.0, horizon=sc.until, scenario=sc, targets=CHAOS_TARGETS)
    journal = run_experiment(capstone_experiment(seed), lab)
    lab.advance(lab.horizon - lab.now)
    return lab, journal
