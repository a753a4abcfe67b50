"""A message queue (消息队列) with acks, redelivery, a visibility timeout and a dead-letter queue.

Three kinds of node, in the manner of Amazon SQS or a RabbitMQ work queue:

- a :class:`Producer` publishes messages (Poisson arrivals, with an optional burst) and resends
  each one until the broker confirms it (so a publish survives a lost message or a broker crash);
- a :class:`Broker` keeps the messages on disk (its queue is ``durable``), hands each to one
  consumer that asks for work (``Receive``, held until a message is there: long polling) and
  hides it for ``visibility_timeout`` seconds. A message that is not acknowledged in time
  becomes visible again and is redelivered; after ``max_attempts`` deliveries it is moved to
  the dead-letter queue (死信队列) instead;
- a :class:`Consumer` processes one message at a time (``process_time`` seconds), applies its
  *effect* to the :class:`Store` (the database; observed there as ``effect``) and, once the store
  has answered, acknowledges it. With ``ack="before"`` it acknowledges on
  receipt, before processing (auto-commit): a crash while processing then loses the message.

Acknowledging after the effect gives *at-least-once* delivery: a lost ack, or a consumer that
crashes between its effect and its ack, means the message is processed again, and its effect
applied twice. An idempotent consumer (``idempotent=True``) records the ids it has applied in
the same durable store as the effect and skips a message it has seen: the effect then happens
exactly once per message (:func:`queue_summary` counts duplicates). The ids live in the
store, not in the consumer, because a redelivered message usually reaches another consumer.

Properties (:func:`no_message_lost`, :func:`effects_once`) read the trace. Measures:
:func:`queue_summary`, :func:`backlog`, :func:`throughput`.

References
----------
.. [1] Amazon SQS Developer Guide, "Visibility timeout" and "Dead-letter queues".
.. [2] G. Hohpe and B. Woolf, *Enterprise Integration Patterns*, Addison-Wesley 2003
   ("Guaranteed Delivery", "Dead Letter Channel", "Idempotent Receiver").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Publish", "Confirm", "Receive", "Deliver", "Ack", "Apply", "Applied", "Producer", "Broker", "Consumer",
           "Store", "queue_scenario", "queue_summary", "backlog", "throughput", "message_latency", "no_message_lost",
           "effects_once", "BROKER", "PRODUCER", "STORE", "POISON"]

BROKER, PRODUCER, STORE = "broker", "producer", "store"
#: a message body that every consumer fails to process (it ends in the dead-letter queue)
POISON = "poison"


@dataclass(frozen=True)
class Publish:
    mid: int
    body: str = ""


@dataclass(frozen=True)
class Confirm:
    mid: int


@dataclass(frozen=True)
class Receive:
    """A consumer asks for one message (the broker holds the request until one is there)."""


@dataclass(frozen=True)
class Deliver:
    mid: int
    body: str
    attempt: int


@dataclass(frozen=True)
class Ack:
    mid: int


@dataclass(frozen=True)
class Apply:
    """A consumer applies the effect of message ``mid``; ``idempotent`` asks the store to skip a seen id."""
    mid: int
    idempotent: bool = False


@dataclass(frozen=True)
class Applied:
    mid: int


class Producer(Node):
    """Publishes ``count`` messages at Poisson times, resending each until it is confirmed.

    Parameters
    ----------
    rate : float
        Messages per second outside the burst.
    count : int
        How many messages to publish.
    burst : tuple ``(start, end, rate)`` or None
        A burst: between ``start`` and ``end`` the rate is ``rate``.
    poison : tuple of int
        Message ids whose body is :data:`POISON`.
    retry_every : float
        Seconds between resends of unconfirmed messages.

    Observes ``published`` (the id) when a message is first sent.
    """
    durable = ("sent", "unconfirmed")

    def __init__(self, node_id, peers=(), broker=BROKER, rate=20.0, count=100, burst=None, poison=(),
                 retry_every=0.5):
        super().__init__(node_id, peers)
        self.broker = broker
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.count = positive_int("count", count, low=0)
        if burst is not None:
            start, end, brate = burst
            number("burst start", start, low=0.0)
            number("burst end", end, low=start)
            number("burst rate", brate, low=0.0, low_open=True)
        self.burst = burst
        self.poison = frozenset(poison)
        self.retry_every = number("retry_every", retry_every, low=0.0, low_open=True)
        self.sent = 0
        self.unconfirmed: dict = {}

    def rate_at(self, t: float) -> float:
        if self.burst is not None and self.burst[0] <= t < self.burst[1]:
            return self.burst[2]
        return self.rate

    def on_start(self, ctx):
        if self.sent < self.count:
            ctx.set_timer("publish", ctx.rng.expovariate(self.rate_at(ctx.now)))
        if self.unconfirmed:
            ctx.set_timer("retry", self.retry_every)

    def on_timer(self, ctx, name):
        if name == "publish":
            mid = self.sent
            self.sent += 1
            body = POISON if mid in self.poison else f"m{mid}"
            self.unconfirmed[mid] = body
            ctx.observe("published", mid)
            ctx.send(self.broker, Publish(mid, body))
            if self.sent < self.count:
                ctx.set_timer("publish", ctx.rng.expovariate(self.rate_at(ctx.now)))
            ctx.set_timer("retry", self.retry_every)
        elif name == "retry" and self.unconfirmed:
            for mid in sorted(self.unconfirmed):
                ctx.send(self.broker, Publish(mid, self.unconfirmed[mid]))
            ctx.set_timer("retry", self.retry_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Confirm):
            self.unconfirmed.pop(msg.mid, None)


class Broker(Node):
    """The queue: durable messages, long-polled receives, visibility timeouts, a dead-letter queue.

    Parameters
    ----------
    visibility_timeout : float
        Seconds a delivered message stays hidden; unacknowledged by then, it is redelivered.
    max_attempts : int or None
        Deliveries before a message goes to the dead-letter queue (None: never).

    Observes ``backlog`` (messages not yet acknowledged) and ``dead_letter`` (an id).
    After a crash the queue survives; the messages that were out become visible at once.
    """
    durable = ("ready", "inflight", "known", "dead", "acked")

    def __init__(self, node_id, peers=(), visibility_timeout=1.0, max_attempts=None):
        super().__init__(node_id, peers)
        self.visibility_timeout = number("visibility_timeout", visibility_timeout, low=0.0, low_open=True)
        if max_attempts is not None:
            positive_int("max_attempts", max_attempts)
        self.max_attempts = max_attempts
        self.ready: list = []            # (mid, body, deliveries so far), oldest first
        self.inflight: dict = {}         # mid -> (body, deliveries)
        self.known: set = set()
        self.acked: set = set()
        self.dead: list = []
        self.waiting: list = []          # consumers with a Receive held

    def on_start(self, ctx):
        ctx.observe("backlog", self.backlog())

    def on_recover(self, ctx):
        # the visibility timers died with the process: what was out is visible again
        self.ready = [(m, b, n) for m, (b, n) in sorted(self.inflight.items())] + self.ready
        self.inflight = {}
        ctx.observe("backlog", self.backlog())

    def backlog(self) -> int:
        return len(self.ready) + len(self.inflight)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Publish):
            if msg.mid not in self.known:        # a resend of a stored message is only confirmed again
                self.known.add(msg.mid)
                self.ready.append((msg.mid, msg.body, 0))
                ctx.observe("backlog", self.backlog())
            ctx.send(src, Confirm(msg.mid))
        elif isinstance(msg, Receive):
            if src not in self.waiting:
                self.waiting.append(src)
        elif isinstance(msg, Ack):
            if msg.mid in self.inflight:
                del self.inflight[msg.mid]
                self.acked.add(msg.mid)
                ctx.cancel_timer(("visible", msg.mid))
                ctx.observe("backlog", self.backlog())
        self.dispatch(ctx)

    def dispatch(self, ctx) -> None:
        while self.ready and self.waiting:
            consumer = self.waiting.pop(0)
            mid, body, n = self.ready.pop(0)
            self.inflight[mid] = (body, n + 1)
            ctx.send(consumer, Deliver(mid, body, n + 1))
            ctx.set_timer(("visible", mid), self.visibility_timeout)

    def on_timer(self, ctx, name):
        mid = name[1]
        if mid not in self.inflight:
            return
        body, n = self.inflight.pop(mid)
        if self.max_attempts is not None and n >= self.max_attempts:
            self.dead.append(mid)
            ctx.observe("dead_letter", mid)
            ctx.observe("backlog", self.backlog())
        else:
            self.ready.append((mid, body, n))
        self.dispatch(ctx)


class Consumer(Node):
    """Takes one message at a time, has the store apply its effect, acknowledges it.

    Parameters
    ----------
    process_time : float
        Seconds per message.
    ack : {"after", "before"}
        Acknowledge after the effect (at-least-once) or on receipt (auto-commit: at-most-once).
    idempotent : bool
        Ask the store to skip a message whose id it has already applied.
    poll_every : float
        Seconds after which an unanswered ``Receive`` is sent again (it may have been lost), and
        after which a consumer that has not heard from the store gives the message up (unacknowledged,
        it comes back after its visibility timeout).

    Observes ``failed`` (a poison message, never acknowledged).
    """

    def __init__(self, node_id, peers=(), broker=BROKER, store=STORE, process_time=0.05, ack="after",
                 idempotent=False, poll_every=1.0):
        super().__init__(node_id, peers)
        if ack not in ("after", "before"):
            raise ValueError(f"ack must be 'after' (at-least-once) or 'before' (auto-commit), got {ack!r}")
        self.broker, self.store = broker, store
        self.process_time = number("process_time", process_time, low=0.0)
        self.ack, self.idempotent = ack, bool(idempotent)
        self.poll_every = number("poll_every", poll_every, low=0.0, low_open=True)
        self.inbox: list = []
        self.busy = False
        self.current = None               # the id whose effect the store is applying

    def on_start(self, ctx):
        self.ask(ctx)

    def ask(self, ctx) -> None:
        ctx.send(self.broker, Receive())
        ctx.set_timer("poll", self.poll_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Deliver):
            ctx.cancel_timer("poll")
            if self.ack == "before":
                ctx.send(self.broker, Ack(msg.mid))
            self.inbox.append(msg)
            self.next(ctx)
        elif isinstance(msg, Applied):
            if self.ack == "after":
                ctx.send(self.broker, Ack(msg.mid))   # even a late answer: the effect has happened
            if msg.mid == self.current:
                ctx.cancel_timer("store")
                self.done(ctx)

    def next(self, ctx) -> None:
        if not self.busy and self.inbox:
            self.busy = True
            msg = self.inbox.pop(0)
            ctx.set_timer(("process", msg.mid, msg.body), self.process_time)

    def done(self, ctx) -> None:
        self.busy, self.current = False, None
        if self.inbox:
            self.next(ctx)
        else:
            self.ask(ctx)

    def on_timer(self, ctx, name):
        if name == "poll":
            self.ask(ctx)
            return
        if name == "store":                       # the store did not answer: give the message up
            self.done(ctx)
            return
        _, mid, body = name
        if body == POISON:
            ctx.observe("failed", mid)            # no ack: it comes back until it is dead-lettered
            self.done(ctx)
        else:
            self.current = mid
            ctx.send(self.store, Apply(mid, self.idempotent))
            ctx.set_timer("store", self.poll_every)


class Store(Node):
    """The database the effects go to; it keeps the ids it applied in the same (durable) transaction.

    Observes ``effect`` (an id, each time an effect is applied) and ``skipped`` (a duplicate it did not
    apply because the consumer asked for idempotence).
    """
    durable = ("applied", "applications")

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.applied: set = set()
        self.applications = 0            # effects applied, duplicates included

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Apply):
            if msg.idempotent and msg.mid in self.applied:
                ctx.observe("skipped", msg.mid)
            else:
                self.applied.add(msg.mid)
                self.applications += 1
                ctx.observe("effect", msg.mid)
            ctx.send(src, Applied(msg.mid))


def queue_scenario(consumers: int = 2, rate: float = 20.0, count: int = 100, burst=None, process_time: float = 0.05,
                   visibility_timeout: float = 1.0, max_attempts=None, ack: str = "after", idempotent: bool = False,
                   poison=(), loss: float = 0.0, latency: float = 0.005, faults=(), nemesis=None,
                   until: float = 30.0) -> Scenario:
    """A producer, a broker, ``consumers`` consumers ``c0, c1, ...`` and the store they write to.

    ``loss`` is the loss probability of the links between broker and consumers (acks, receives and
    deliveries may be lost); the producer's link is reliable but its resends would cover loss too.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> s = queue_summary(run(queue_scenario(count=20), seed=1))
    >>> s["published"], s["lost"], s["duplicates"]
    (20, 0, 0)
    """
    n = positive_int("consumers", consumers)
    loss = number("loss", loss, low=0.0, high=0.99)
    names = [f"c{i}" for i in range(n)]
    protocol = {PRODUCER: Producer, BROKER: Broker, STORE: Store, **{c: Consumer for c in names}}
    node_params = {PRODUCER: {"rate": rate, "count": count, "burst": burst, "poison": tuple(poison)},
                   BROKER: {"visibility_timeout": visibility_timeout, "max_attempts": max_attempts},
                   **{c: {"process_time": process_time, "ack": ack, "idempotent": idempotent} for c in names}}
    lossy = LinkModel(latency=latency, loss=loss)
    links = {pair: lossy for c in names for pair in ((BROKER, c), (c, BROKER))}
    return Scenario(protocol, nodes=[PRODUCER, BROKER, STORE, *names], node_params=node_params,
                    link=LinkModel(latency=latency), links=links, faults=tuple(faults), nemesis=nemesis,
                    until=until, name="message queue")


def _observed(trace, key) -> list:
    return [(r[0], r[2], r[6]) for r in trace.rows if r[1] == "observe" and r[5] == key]


def queue_summary(trace) -> dict:
    """What happened to the messages of a :func:`queue_scenario` run.

    Keys: ``published``; ``processed`` (distinct ids whose effect was applied); ``effects`` (applications,
    duplicates included); ``duplicates`` (= effects - processed); ``dead_lettered``; ``lost`` (published,
    never applied and not dead-lettered); ``mean_latency`` and ``p99_latency`` (publish to first effect,
    seconds); ``max_backlog``.
    """
    published = {m: t for t, _n, m in _observed(trace, "published")}
    first: dict = {}
    effects = 0
    for t, _n, m in _observed(trace, "effect"):
        effects += 1
        first.setdefault(m, t)
    dead = {m for _t, _n, m in _observed(trace, "dead_letter")}
    lat = np.array([first[m] - published[m] for m in first if m in published])
    backlogs = [v for _t, _n, v in _observed(trace, "backlog")]
    return {"published": len(published), "processed": len(first), "effects": effects,
            "duplicates": effects - len(first), "dead_lettered": len(dead),
            "lost": len(set(published) - set(first) - dead),
            "mean_latency": float(lat.mean()) if len(lat) else float("nan"),
            "p99_latency": float(np.quantile(lat, 0.99)) if len(lat) else float("nan"),
            "max_backlog": max(backlogs, default=0)}


def backlog(trace) -> pd.Series:
    """The broker's backlog (messages not yet acknowledged) over time, as a step series."""
    obs = _observed(trace, "backlog")
    return pd.Series([v for *_x, v in obs], index=pd.Index([t for t, *_x in obs], name="time (s)"),
                     name="backlog")


def message_latency(trace) -> pd.Series:
    """Seconds from publish to first effect of each processed message, indexed by its publish time."""
    published = {m: t for t, _n, m in _observed(trace, "published")}
    first: dict = {}
    for t, _n, m in _observed(trace, "effect"):
        first.setdefault(m, t)
    ms = sorted((m for m in first if m in published), key=lambda m: published[m])
    return pd.Series([first[m] - published[m] for m in ms], name="latency (s)",
                     index=pd.Index([published[m] for m in ms], name="published at (s)"))


def throughput(trace, bin_width: float = 0.5) -> pd.DataFrame:
    """Messages published and effects applied per second, in bins of ``bin_width`` seconds."""
    number("bin_width", bin_width, low=0.0, low_open=True)
    edges = np.arange(0.0, trace.end_time + bin_width, bin_width)
    out = {}
    for key, label in (("published", "arriving"), ("effect", "processed")):
        times = [t for t, *_x in _observed(trace, key)]
        out[label] = np.histogram(times, bins=edges)[0] / bin_width
    return pd.DataFrame(out, index=pd.Index(edges[:-1], name="time (s)"))


def no_message_lost(trace) -> Verdict:
    """Every published message had its effect applied or was dead-lettered."""
    s_pub = {m for *_x, m in _observed(trace, "published")}
    done = {m for *_x, m in _observed(trace, "effect")} | {m for *_x, m in _observed(trace, "dead_letter")}
    lost = sorted(s_pub - done)
    if lost:
        return Verdict(False, "no message lost", f"{len(lost)} published messages never processed: {lost[:10]}")
    return Verdict(True, "no message lost", f"all {len(s_pub)} published messages processed or dead-lettered")


def effects_once(trace) -> Verdict:
    """No message had its effect applied twice (what an idempotent consumer guarantees)."""
    seen, twice = set(), []
    for i, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "effect":
            if r[6] in seen:
                twice.append(i)
            seen.add(r[6])
    if twice:
        return Verdict(False, "effects once", f"{len(twice)} duplicate effects", twice[:20])
    return Verdict(True, "effects once", f"{len(seen)} messages, each applied once")
