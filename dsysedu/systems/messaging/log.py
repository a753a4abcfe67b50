"""A partitioned log in the manner of Kafka (事件流): partitions, offsets, consumer groups, rebalance, replay.

A :class:`LogBroker` keeps ``partitions`` append-only logs on disk. A :class:`LogProducer` sends
records ``(key, value)``; the broker puts a record in partition ``crc32(key) mod partitions`` at
the next *offset* (its index in that partition), so all records of one key are in one partition,
in the order they were produced. Nothing is deleted when it is read: the log is kept, and any
reader may read it again from any offset (*replay*).

The broker is also the *group coordinator* of one consumer group. :class:`LogConsumer` members
join, send heartbeats, and receive an assignment: each partition goes to exactly one member
(ranges over the sorted members, Kafka's ``RangeAssignor``), together with the group's committed
offset for it. A member fetches from its position, processes the batch, *commits* the new
offset and fetches again. When a member stops sending heartbeats for ``session_timeout``
seconds (it crashed), the coordinator starts a new *generation* and rebalances: the dead
member's partitions move to the others, who resume from the last committed offset, so records
processed but not yet committed are processed again (at-least-once). Commits and fetches of an
old generation are refused (Kafka's fencing of zombie members).

An operator can reset the group's offsets (``ResetOffsets`` as an input, like
``kafka-consumer-groups --reset-offsets --to-offset``): the group then replays the log from there.

Properties: :func:`per_partition_order` (each member reads each partition in offset order without
gaps, and a replay reads the same records), :func:`nothing_skipped` (every record appended was
consumed). Measures: :func:`log_summary`, :func:`ownership`.

References
----------
.. [1] J. Kreps, N. Narkhede and J. Rao, "Kafka: a distributed messaging system for log processing",
   NetDB 2011.
.. [2] Apache Kafka documentation, "Consumer groups", "Offsets and consumer position".
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Produce", "JoinGroup", "Heartbeat", "Assignment", "Fetch", "Records", "Commit", "ResetOffsets",
           "partition_of", "range_assign", "LogBroker", "LogProducer", "LogConsumer", "AutoCommitConsumer", "log_scenario",
           "per_partition_order", "nothing_skipped", "log_summary", "ownership", "LOG_BROKER", "LOG_PRODUCER"]

LOG_BROKER, LOG_PRODUCER = "broker", "producer"


@dataclass(frozen=True)
class Produce:
    key: str
    value: int


@dataclass(frozen=True)
class JoinGroup:
    pass


@dataclass(frozen=True)
class Heartbeat:
    generation: int


@dataclass(frozen=True)
class Assignment:
    """Generation ``generation``: this member owns ``partitions``, pairs ``(partition, committed offset)``."""
    generation: int
    partitions: tuple


@dataclass(frozen=True)
class Fetch:
    partition: int
    offset: int
    generation: int


@dataclass(frozen=True)
class Records:
    """Records of ``partition`` from ``offset`` on: a tuple of ``(key, value)``."""
    partition: int
    offset: int
    records: tuple


@dataclass(frozen=True)
class Commit:
    partition: int
    offset: int
    generation: int


@dataclass(frozen=True)
class ResetOffsets:
    """Operator input: set every partition's committed offset to ``offset`` (or its end, if shorter)."""
    offset: int = 0


def partition_of(key: str, partitions: int) -> int:
    """The partition of ``key``: ``crc32(key) mod partitions`` (stable across runs, unlike ``hash``).

    >>> partition_of("user-1", 4) == partition_of("user-1", 4)
    True
    """
    return zlib.crc32(str(key).encode()) % positive_int("partitions", partitions)


def range_assign(members, partitions: int) -> dict:
    """Kafka's range assignment: sorted members get consecutive ranges, the first ones one more.

    >>> range_assign(["b", "a"], 5)
    {'a': (0, 1, 2), 'b': (3, 4)}
    """
    members = sorted(members)
    out, start = {}, 0
    for i, m in enumerate(members):
        n = partitions // len(members) + (1 if i < partitions % len(members) else 0)
        out[m] = tuple(range(start, start + n))
        start += n
    return out


class LogBroker(Node):
    """The partitioned log and the group coordinator.

    Parameters
    ----------
    partitions : int
    session_timeout : float
        Seconds without a heartbeat after which a member is declared dead.
    max_batch : int
        Records per fetch.

    Observes ``appended`` ``(partition, offset, key, value)``, ``generation`` and ``assignment``
    (``(generation, ((member, partitions), ...))``) at each rebalance, and ``committed`` ``(partition, offset)``.
    """
    durable = ("logs", "committed", "generation")   # the generation too, as Kafka keeps it in __consumer_offsets

    def __init__(self, node_id, peers=(), partitions=3, session_timeout=1.0, max_batch=10):
        super().__init__(node_id, peers)
        self.partitions = positive_int("partitions", partitions)
        self.session_timeout = number("session_timeout", session_timeout, low=0.0, low_open=True)
        self.max_batch = positive_int("max_batch", max_batch)
        self.logs = [[] for _ in range(self.partitions)]
        self.committed = {p: 0 for p in range(self.partitions)}
        self.generation = 0
        self.members: dict = {}          # member -> time of its last heartbeat
        self.owner: dict = {}            # partition -> member

    def on_start(self, ctx):
        ctx.set_timer("sessions", self.session_timeout / 2)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Produce):
            p = partition_of(msg.key, self.partitions)
            self.logs[p].append((msg.key, msg.value))
            ctx.observe("appended", (p, len(self.logs[p]) - 1, msg.key, msg.value))
        elif isinstance(msg, JoinGroup):
            self.members[src] = ctx.now
            self.rebalance(ctx)
        elif isinstance(msg, Heartbeat):
            if src not in self.members:          # a member we had declared dead: it joins again
                self.members[src] = ctx.now
                self.rebalance(ctx)
            self.members[src] = ctx.now
        elif isinstance(msg, Fetch):
            if msg.generation == self.generation and self.owner.get(msg.partition) == src:
                log = self.logs[msg.partition]
                ctx.send(src, Records(msg.partition, msg.offset,
                                      tuple(log[msg.offset:msg.offset + self.max_batch])))
        elif isinstance(msg, Commit):
            if msg.generation == self.generation and self.owner.get(msg.partition) == src:
                self.committed[msg.partition] = msg.offset
                ctx.observe("committed", (msg.partition, msg.offset))
        elif isinstance(msg, ResetOffsets):
            for p in range(self.partitions):
                self.committed[p] = min(msg.offset, len(self.logs[p]))
            self.rebalance(ctx)

    def on_timer(self, ctx, name):
        dead = sorted(m for m, seen in self.members.items() if ctx.now - seen > self.session_timeout)
        for m in dead:
            del self.members[m]
        if dead:
            self.rebalance(ctx)
        ctx.set_timer("sessions", self.session_timeout / 2)

    def rebalance(self, ctx) -> None:
        self.generation += 1
        plan = range_assign(self.members, self.partitions) if self.members else {}
        self.owner = {p: m for m, ps in plan.items() for p in ps}
        ctx.observe("generation", self.generation)
        ctx.observe("assignment", (self.generation, tuple(sorted(plan.items()))))
        for m, ps in sorted(plan.items()):
            ctx.send(m, Assignment(self.generation, tuple((p, self.committed[p]) for p in ps)))


class LogProducer(Node):
    """Sends ``count`` records at Poisson times, ``rate`` per second; keys ``k0 .. k{keys-1}`` in turn, values counting per key."""
    durable = ("sent",)

    def __init__(self, node_id, peers=(), broker=LOG_BROKER, rate=20.0, count=100, keys=6):
        super().__init__(node_id, peers)
        self.broker = broker
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.count = positive_int("count", count, low=0)
        self.keys = positive_int("keys", keys)
        self.sent = 0

    def on_start(self, ctx):
        if self.count:
            ctx.set_timer("produce", ctx.rng.expovariate(self.rate))

    def on_timer(self, ctx, name):
        key = f"k{self.sent % self.keys}"
        ctx.send(self.broker, Produce(key, self.sent // self.keys))
        self.sent += 1
        if self.sent < self.count:
            ctx.set_timer("produce", ctx.rng.expovariate(self.rate))


class LogConsumer(Node):
    """A member of the consumer group: fetch, process, commit, fetch again.

    Parameters
    ----------
    process_time : float
        Seconds per record.
    heartbeat_every, poll_every : float
        Seconds between heartbeats; seconds before fetching again from an empty partition
        (or after a fetch that got no answer).

    Observes ``consumed`` ``(partition, offset, key, value, generation)`` per record processed.
    """

    def __init__(self, node_id, peers=(), broker=LOG_BROKER, process_time=0.01, heartbeat_every=0.3,
                 poll_every=0.2):
        super().__init__(node_id, peers)
        self.broker = broker
        self.process_time = number("process_time", process_time, low=0.0)
        self.heartbeat_every = number("heartbeat_every", heartbeat_every, low=0.0, low_open=True)
        self.poll_every = number("poll_every", poll_every, low=0.0, low_open=True)
        self.generation = 0
        self.position: dict = {}         # partition -> next offset to process
        self.batch: dict = {}            # partition -> (offset, records) being processed

    def on_start(self, ctx):
        ctx.send(self.broker, JoinGroup())
        ctx.set_timer("heartbeat", self.heartbeat_every)

    def fetch(self, ctx, p) -> None:
        ctx.send(self.broker, Fetch(p, self.position[p], self.generation))
        ctx.set_timer(("poll", p), self.poll_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Assignment) and msg.generation > self.generation:
            for p in sorted(self.position):
                ctx.cancel_timer(("poll", p))
                ctx.cancel_timer(("process", p))
            self.generation = msg.generation
            self.position = dict(msg.partitions)
            self.batch = {}
            for p in sorted(self.position):
                self.fetch(ctx, p)
        elif isinstance(msg, Records) and self.position.get(msg.partition) == msg.offset \
                and msg.partition not in self.batch:
            p = msg.partition
            if msg.records:
                ctx.cancel_timer(("poll", p))
                self.batch[p] = (msg.offset, msg.records)
                ctx.set_timer(("process", p), self.process_time * len(msg.records))
            # an empty answer: the ("poll", p) timer fetches again

    def on_timer(self, ctx, name):
        if name == "heartbeat":
            ctx.send(self.broker, Heartbeat(self.generation))
            ctx.set_timer("heartbeat", self.heartbeat_every)
            return
        kind, p = name
        if p not in self.position:
            return
        if kind == "process":
            offset, records = self.batch.pop(p)
            for i, (key, value) in enumerate(records):
                ctx.observe("consumed", (p, offset + i, key, value, self.generation))
            self.position[p] = offset + len(records)
            ctx.send(self.broker, Commit(p, self.position[p], self.generation))
        if p not in self.batch:
            self.fetch(ctx, p)


class AutoCommitConsumer(LogConsumer):
    """BROKEN on purpose: commits a batch when it arrives, before processing it (at-most-once).

    A crash while the batch is processed loses it: the next owner starts after it.
    """

    def on_message(self, ctx, src, msg):
        super().on_message(ctx, src, msg)
        if isinstance(msg, Records) and self.batch.get(msg.partition, (None,))[0] == msg.offset and msg.records:
            ctx.send(self.broker, Commit(msg.partition, msg.offset + len(msg.records), self.generation))


def log_scenario(consumers: int = 3, partitions: int = 6, rate: float = 30.0, count: int = 300, keys: int = 12,
                 process_time: float = 0.02, session_timeout: float = 1.0, reset_at=None, reset_to: int = 0,
                 faults=(), nemesis=None, until: float = 30.0, consumer=None) -> Scenario:
    """A producer, the broker and a group of ``consumers`` members ``m0, m1, ...``.

    ``consumer`` is the members' class (default :class:`LogConsumer`).

    ``reset_at`` (seconds) sends the broker ``ResetOffsets(reset_to)`` then: the group replays.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> t = run(log_scenario(count=60, until=10.0), seed=1)
    >>> bool(per_partition_order(t)), bool(nothing_skipped(t))
    (True, True)
    """
    n = positive_int("consumers", consumers)
    names = [f"m{i}" for i in range(n)]
    inputs = () if reset_at is None else (Input(reset_at, LOG_BROKER, ResetOffsets(reset_to)),)
    return Scenario({LOG_PRODUCER: LogProducer, LOG_BROKER: LogBroker, **{m: consumer or LogConsumer for m in names}},
                    nodes=[LOG_PRODUCER, LOG_BROKER, *names],
                    node_params={LOG_PRODUCER: {"rate": rate, "count": count, "keys": keys},
                                 LOG_BROKER: {"partitions": partitions, "session_timeout": session_timeout},
                                 **{m: {"process_time": process_time} for m in names}},
                    link=LinkModel(latency=0.005), faults=tuple(faults), nemesis=nemesis, inputs=inputs,
                    until=until, name="partitioned log")


def _rows(trace, key):
    return [(i, r[0], r[2], r[6]) for i, r in enumerate(trace.rows) if r[1] == "observe" and r[5] == key]


def per_partition_order(trace) -> Verdict:
    """Per-partition order: within one generation a member reads a partition at consecutive offsets,
    and every reading of an offset (first time or replay) sees the record that was appended there."""
    appended = {(p, o): (k, v) for _i, _t, _n, (p, o, k, v) in _rows(trace, "appended")}
    last: dict = {}
    for i, _t, member, (p, o, k, v, gen) in _rows(trace, "consumed"):
        if appended.get((p, o)) != (k, v):
            return Verdict(False, "per-partition order", f"{member} read {(k, v)} at {p}:{o}, "
                           f"where {appended.get((p, o))} was appended", (i,))
        prev = last.get((member, p, gen))
        if prev is not None and o != prev + 1:
            return Verdict(False, "per-partition order", f"{member} read {p}:{o} after {p}:{prev}", (i,))
        last[(member, p, gen)] = o
    return Verdict(True, "per-partition order", f"{len(last)} (member, partition, generation) runs in order")


def nothing_skipped(trace) -> Verdict:
    """Every appended record was consumed at least once."""
    appended = {(p, o) for _i, _t, _n, (p, o, _k, _v) in _rows(trace, "appended")}
    consumed = {(p, o) for _i, _t, _n, (p, o, *_x) in _rows(trace, "consumed")}
    missing = sorted(appended - consumed)
    if missing:
        return Verdict(False, "nothing skipped", f"{len(missing)} records never consumed, first {missing[:5]}")
    return Verdict(True, "nothing skipped", f"all {len(appended)} records consumed")


def log_summary(trace) -> dict:
    """``appended``, ``consumed`` (readings, replays included), ``reprocessed`` (readings beyond the first),
    ``generations`` (rebalances) and ``partitions`` (how many partitions had records)."""
    appended = _rows(trace, "appended")
    consumed = [(p, o) for _i, _t, _n, (p, o, *_x) in _rows(trace, "consumed")]
    gens = _rows(trace, "generation")
    return {"appended": len(appended), "consumed": len(consumed), "reprocessed": len(consumed) - len(set(consumed)),
            "generations": gens[-1][3] if gens else 0,
            "partitions": len({v[0] for *_x, v in appended})}


def ownership(trace) -> pd.DataFrame:
    """Who owned which partition in each generation: columns ``time, generation, member, partitions``."""
    rows = []
    for _i, t, _n, (gen, plan) in _rows(trace, "assignment"):
        rows += [{"time": t, "generation": gen, "member": m, "partitions": ps} for m, ps in plan] or \
                [{"time": t, "generation": gen, "member": None, "partitions": ()}]
    return pd.DataFrame(rows, columns=["time", "generation", "member", "partitions"])
