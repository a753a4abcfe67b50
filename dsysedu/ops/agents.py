"""The hybrid architecture (混合架构): services, an AI agent and a human console on one message bus.

Every participant is an ordinary simulator node, so one run's space-time diagram shows
humans, agents and services together:

::

    inventory ─┐  telemetry   ┌──────┐  telemetry  ┌───────┐  proposal  ┌─────────┐
    orders   ──┼────────────▶ │ bus  │ ──────────▶ │ agent │ ─────────▶ │ console │ (a human)
               │◀──────────── │      │ ◀────────────────────────────── │         │
               └  command     └──────┘            command (approved)   └─────────┘

* :class:`BusService` publishes a :class:`Telemetry` event (its p99 latency) every
  ``period`` seconds. From ``sick_at`` on its latency climbs (a leak) until it is restarted;
  a restart takes ``restart_time`` seconds.
* :class:`Bus` forwards each :class:`Publish` to the topic's subscribers (a Kafka or NATS topic,
  reduced to its routing).
* :class:`Agent` consumes telemetry, keeps an EWMA baseline per service (learned only from
  reports within ``normal`` times it, so a slow leak cannot drag the baseline up with it), and
  after ``patience`` reports above ``factor`` times the baseline proposes a :class:`Suggestion`
  (restart that service). It proposes; it never acts.
* :class:`Console` is the boundary node where a :class:`~dsysedu.ops.humans.SimulatedHuman`
  sits: it answers each proposal after the human's response time, approves or rejects it, and
  publishes the approved :class:`Command`. With ``autonomous=True`` the console approves at
  once (the agent acting alone), for comparison.

:func:`hybrid_summary` measures, per sick service, when the agent proposed, when the human
decided, and when the service was healthy again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

from .humans import APPROVE, HumanTask, SimulatedHuman

__all__ = ["Telemetry", "Publish", "Suggestion", "Command", "BusService", "Bus", "Agent", "Console",
           "hybrid_scenario", "hybrid_summary", "BUS", "AGENT", "CONSOLE", "TOPICS", "LANES"]

BUS, AGENT, CONSOLE = "bus", "agent", "console"
#: the nodes, in the order the space-time view draws them: services, the bus, the agent, the human
LANES = ("inventory", "orders", BUS, AGENT, CONSOLE)


@dataclass(frozen=True)
class Telemetry:
    """A service's p99 latency (s) at time ``at``."""
    service: str
    at: float
    p99: float


@dataclass(frozen=True)
class Suggestion:
    """The agent's proposal: ``verb`` the ``service``, and why."""
    id: int
    service: str
    verb: str
    reason: str


@dataclass(frozen=True)
class Command:
    """An approved action, addressed to ``service``."""
    action: int
    service: str
    verb: str


@dataclass(frozen=True)
class Publish:
    """A message for every subscriber of ``topic``."""
    topic: str
    event: object


#: topic -> the message types it carries
TOPICS = {"telemetry": Telemetry, "proposals": Suggestion, "commands": Command}


class BusService(Node):
    """A service that reports its p99 every ``period`` s; sick from ``sick_at`` until restarted."""

    def __init__(self, node_id, peers=(), period=1.0, base_p99=0.05, sick_at=None, growth=0.02,
                 restart_time=5.0):
        super().__init__(node_id, peers)
        self.period = number("period", period, low=0.0, low_open=True)
        self.base_p99 = number("base_p99", base_p99, low=0.0, low_open=True)
        self.sick_at = None if sick_at is None else number("sick_at", sick_at, low=0.0)
        self.growth = number("growth", growth, low=0.0)
        self.restart_time = number("restart_time", restart_time, low=0.0)
        self.sick_since = None
        self.restarting = False

    def on_start(self, ctx):
        ctx.set_timer("report", self.period)
        if self.sick_at is not None and self.sick_at >= ctx.now:
            ctx.set_timer("sicken", self.sick_at - ctx.now)   # a time; a crash and recovery after it is a restart

    def on_timer(self, ctx, name):
        if name == "sicken":
            self.sick_since = ctx.now
            ctx.observe("health", "sick")
        elif name == "restarted":
            self.restarting, self.sick_since = False, None
            ctx.observe("health", "healthy")
        elif name == "report":
            ctx.set_timer("report", self.period)
            if self.restarting:
                return
            p99 = self.base_p99 * (1 + 0.1 * ctx.rng.random())
            if self.sick_since is not None:
                p99 += self.growth * (ctx.now - self.sick_since)
            ctx.send(BUS, Publish("telemetry", Telemetry(self.id, ctx.now, round(p99, 4))))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Command) and msg.service == self.id and msg.verb == "restart" and not self.restarting:
            self.restarting = True
            ctx.observe("health", "restarting")
            ctx.set_timer("restarted", self.restart_time)


class Bus(Node):
    """Routes each :class:`Publish` to the topic's subscribers (sorted), as the message inside it."""

    def __init__(self, node_id, peers=(), subscribers=None):
        super().__init__(node_id, peers)
        self.subscribers = {t: tuple(sorted(s)) for t, s in (subscribers or {}).items()}
        unknown = sorted(set(self.subscribers) - set(TOPICS))
        if unknown:
            raise ValueError(f"unknown topics {unknown}; the topics are {sorted(TOPICS)}")

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Publish) and isinstance(msg.event, TOPICS.get(msg.topic, ())):
            for dst in self.subscribers.get(msg.topic, ()):
                ctx.send(dst, msg.event)


class Agent(Node):
    """Proposes a restart after ``patience`` reports above ``factor`` times the service's EWMA baseline.

    Its baselines are lost in a crash; its suggestion counter is not, so suggestion ids stay unique.
    """

    durable = ("next_id",)

    def __init__(self, node_id, peers=(), factor=3.0, patience=3, alpha=0.1, warmup=5, normal=1.5):
        super().__init__(node_id, peers)
        self.factor = number("factor", factor, low=1.0)
        self.normal = number("normal", normal, low=1.0, high=self.factor)
        self.patience = positive_int("patience", patience)
        self.alpha = number("alpha", alpha, low=0.0, low_open=True, high=1.0)
        self.warmup = positive_int("warmup", warmup)
        self.baseline: dict = {}      # service -> (ewma, reports seen)
        self.high: dict = {}          # service -> reports in a row above the line
        self.proposed: dict = {}      # service -> action id while a proposal is open
        self.next_id = 0

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Telemetry):
            self.consume(ctx, msg)

    def consume(self, ctx, t: Telemetry) -> None:
        ewma, seen = self.baseline.get(t.service, (t.p99, 0))
        above = seen >= self.warmup and t.p99 > self.factor * ewma
        self.high[t.service] = self.high.get(t.service, 0) + 1 if above else 0
        if seen < self.warmup or t.p99 <= self.normal * ewma:
            # only normal-looking reports teach the baseline: a slow leak would otherwise drag it along
            self.baseline[t.service] = (ewma + self.alpha * (t.p99 - ewma), seen + 1)
            self.proposed.pop(t.service, None)         # healthy again: a later episode may be proposed
        if above and self.high[t.service] >= self.patience and t.service not in self.proposed:
            action = Suggestion(self.next_id, t.service, "restart",
                            f"p99 {t.p99:.3f} s > {self.factor:g} x baseline {ewma:.3f} s, {self.patience} times")
            self.next_id += 1
            self.proposed[t.service] = action.id
            ctx.observe("proposal", (action.id, action.service, action.reason))
            ctx.send(BUS, Publish("proposals", action))


class _Draw:
    """``random.Random`` seen through the two calls :meth:`SimulatedHuman.respond` makes."""

    def __init__(self, rng):
        self.rng = rng

    def random(self):
        return self.rng.random()

    def standard_normal(self):
        return self.rng.gauss(0.0, 1.0)


class Console(Node):
    """The human boundary node: a :class:`SimulatedHuman` approves or rejects each proposal.

    ``risky`` names services whose restart a careful human rejects (restarting them loses work);
    with ``autonomous=True`` every proposal is approved at once.
    """

    def __init__(self, node_id, peers=(), human=None, risky=(), autonomous=False):
        super().__init__(node_id, peers)
        self.human = human if human is not None else SimulatedHuman("operator", median=30.0, sigma=0.5,
                                                                    error_rate=0.05, absent=0.0)
        if not isinstance(self.human, SimulatedHuman):
            raise TypeError(f"human must be a SimulatedHuman, got {self.human!r}")
        self.risky, self.autonomous = frozenset(risky), bool(autonomous)
        self.waiting: dict = {}

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Suggestion):
            return
        if self.autonomous:
            return self.decide(ctx, msg, APPROVE)
        task = HumanTask(msg.id, "agent proposal", f"{msg.verb} {msg.service}: {msg.reason}",
                         msg.service in self.risky, ctx.now)
        delay, verdict = self.human.respond(_Draw(ctx.rng), task)
        if delay is None:
            ctx.observe("decision", (msg.id, msg.service, "unanswered"))
            return
        self.waiting[msg.id] = (msg, verdict)
        ctx.set_timer(("answer", msg.id), delay)

    def on_timer(self, ctx, name):
        msg, verdict = self.waiting.pop(name[1])
        self.decide(ctx, msg, verdict)

    def decide(self, ctx, msg: Suggestion, verdict: str) -> None:
        ctx.observe("decision", (msg.id, msg.service, verdict))
        if verdict == APPROVE:
            ctx.send(BUS, Publish("commands", Command(msg.id, msg.service, msg.verb)))


def hybrid_scenario(sick: dict | None = None, duration: float = 120.0, human: SimulatedHuman | None = None,
                    risky=(), autonomous: bool = False, latency: float = 0.2, period: float = 2.0,
                    factor: float = 3.0, patience: int = 3, link: LinkModel | None = None, faults=(),
                    nemesis=None) -> Scenario:
    """Two services, the bus, the agent and the console as a Scenario.

    ``sick`` maps a service (``inventory``, ``orders``) to the time it starts to degrade
    (default: inventory at 30 s). ``latency`` is every hop's (a bus delivers in batches: a
    Kafka consumer polls), ``period`` the seconds between a service's reports. ``link`` replaces
    the plain link of that latency (loss, duplication); ``faults`` and ``nemesis`` as in any Scenario.
    """
    services = ("inventory", "orders")
    sick = {"inventory": 30.0} if sick is None else dict(sick)
    unknown = sorted(set(sick) - set(services))
    if unknown:
        raise ValueError(f"sick names unknown services {unknown}; the services are {list(services)}")
    duration = number("duration", duration, low=0.0, low_open=True)
    nodes = list(LANES)
    protocol = {**{s: BusService for s in services}, BUS: Bus, AGENT: Agent, CONSOLE: Console}
    params = {**{s: {"sick_at": sick.get(s), "period": period} for s in services},
              BUS: {"subscribers": {"telemetry": (AGENT,), "proposals": (CONSOLE,), "commands": services}},
              AGENT: {"factor": factor, "patience": patience},
              CONSOLE: {"human": human, "risky": tuple(risky), "autonomous": autonomous}}
    return Scenario(protocol, nodes=nodes, node_params=params, link=link or LinkModel(latency=latency),
                    faults=list(faults), nemesis=nemesis, until=duration, name="agent, human and services on a bus")


def hybrid_summary(trace) -> pd.DataFrame:
    """Per sick episode: ``service, sick, proposed, decided, verdict, healthy`` (times in s; NaN if never)
    and ``time_to_heal``."""
    obs = trace.observations()
    rows = []
    health = obs[obs["key"] == "health"]
    proposals = obs[obs["key"] == "proposal"]
    decisions = obs[obs["key"] == "decision"]
    for _, h in health[health["value"] == "sick"].iterrows():
        service, t0 = h["node"], h["time"]
        prop = proposals[(proposals["time"] >= t0) & (proposals["value"].map(lambda v: v[1]) == service)]
        proposed = float(prop["time"].iloc[0]) if len(prop) else math.nan
        decided, verdict = math.nan, "none"
        if len(prop):
            aid = prop["value"].iloc[0][0]
            dec = decisions[decisions["value"].map(lambda v: v[0]) == aid]
            if len(dec):
                decided, verdict = float(dec["time"].iloc[0]), dec["value"].iloc[0][2]
        later = health[(health["node"] == service) & (health["time"] > t0) & (health["value"] == "healthy")]
        healthy = float(later["time"].iloc[0]) if len(later) else math.nan
        rows.append({"service": service, "sick": float(t0), "proposed": proposed, "decided": decided,
                     "verdict": verdict, "healthy": healthy, "time_to_heal": healthy - float(t0)})
    return pd.DataFrame(rows, columns=["service", "sick", "proposed", "decided", "verdict", "healthy",
                                       "time_to_heal"])
