"""A replicated read/write register, in a CP mode (majority quorums) and an AP mode (LWW).

Three kinds of node run in one :class:`~dsysedu.sim.Scenario` (built by
:func:`dsysedu.protocols.replication.cap.cap_scenario`):

* :class:`~dsysedu.protocols.replication.register_workload.Client` invokes reads and writes on a few keys at its *home* replica, one at a
  time, and records each with ``ctx.observe("invoke", ...)`` / ``ctx.observe("complete", ...)``
  so that :meth:`~dsysedu.check.history.History.from_trace` rebuilds the client history.
  Written values are unique (``"c5-3"``: the third operation of client 5).
* :class:`AbdReplica` (**CP**) is the ABD register of Attiya, Bar-Noy and Dolev [1]_
  (multi-writer form, [2]_): the home replica *coordinates* each operation in two phases.
  A write asks a majority for its highest tag ``(timestamp, writer)``, then stores
  ``((timestamp + 1, client), value)`` at a majority. A read asks a majority, takes the value
  with the highest tag and writes it back to a majority before it answers, so a later read can
  never see an older value (reads are linearizable). Any two majorities intersect, and that
  intersection carries the newest tag from one operation to the next. When no majority answers
  within ``timeout`` seconds the coordinator gives up: on the minority side of a partition the
  register is *unavailable*.
* :class:`LwwReplica` (**AP**) answers at once from its own copy. A write is tagged
  ``(clock, replica, counter)`` from the replica's physical clock (``ctx.clock()``, so clock
  skew matters), pushed to the other replicas at once (``eager``) and again by anti-entropy:
  every ``sync_interval`` seconds each replica sends its whole state to every other replica.
  Merging keeps the version with the highest tag: last writer wins (LWW).

Outcomes (Jepsen's words, see :mod:`dsysedu.check.history`): ``"ok"``; ``"fail"`` when the
operation certainly took no effect; ``"info"`` when it may or may not have. A CP coordinator
that times out in the first phase (asking for tags) has sent no ``Store`` yet, so the write
certainly did not happen: ``"fail"``. Once it has sent a ``Store`` some replica may hold the
value, and a later read may return it, so a time-out there is ``"info"``, never ``"fail"``.
A read changes nothing a sequential register could see (its write-back stores a value that is
already stored), so a read that times out is ``"fail"``. A client that hears nothing from its
replica (the replica crashed, say) does not know either: ``"info"`` for a write, ``"fail"`` for a read.

Lost writes. Each LWW version also carries a version vector [3]_ (one counter per replica).
When a merge drops a version that the kept version's vector does not dominate, the dropped
write was *concurrent* with the winner (or causally later but tagged earlier, under clock skew):
nothing that knew of it replaced it, the tie-break did. The replica records this with
``ctx.observe("discarded", (key, value))``; an acknowledged write discarded so is a *lost write*.
CP replicas never discard: a ``Store`` replaces a tag only with a higher one, in the order
that the linearizability check confirms.

Invariants: CP, every history is linearizable and an operation completes ``"ok"`` only after a
majority answered; AP, every request to a live replica is answered ``"ok"`` and, once the
network heals and anti-entropy runs, all replicas hold the same version of every key.

References
----------
.. [1] H. Attiya, A. Bar-Noy, D. Dolev, "Sharing memory robustly in message-passing systems",
   Journal of the ACM 42(1), 1995.
.. [2] N. Lynch, A. Shvartsman, "Robust emulation of shared memory using dynamic quorum-acknowledged
   broadcasts", FTCS 1997 (the multi-writer tags).
.. [3] D. S. Parker et al., "Detection of mutual inconsistency in distributed systems",
   IEEE Trans. Software Engineering 9(3), 1983.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dsysedu.sim.validate import number
from dsysedu.sim.node import Node

__all__ = ["ClientRequest", "ClientReply", "Query", "QueryReply", "Store", "StoreAck", "Replicate", "Sync",
           "AbdReplica", "LwwReplica", "SiblingReplica", "ZERO_TAG", "LWW_ZERO", "SHOWN_KEY",
           "covers", "writer_label"]

ZERO_TAG = (0, -1)           # CP tag of the initial value: (timestamp, writer)
LWW_ZERO = (-math.inf, -1, 0)  # AP tag of the initial value: (clock, replica, counter)


# -- messages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientRequest:
    """A client asks its replica to ``read`` or ``write`` ``key`` (``op`` numbers the client's operations)."""
    op: int
    kind: str
    key: str
    value: Any = None


@dataclass(frozen=True)
class ClientReply:
    """The outcome of operation ``op``: status ``"ok" | "fail" | "info"`` and the value read."""
    op: int
    status: str
    result: Any = None


@dataclass(frozen=True)
class Query:
    """ABD phase 1: "what is your tag and value for ``key``?" ``rid`` = (client, op)."""
    rid: tuple
    key: str


@dataclass(frozen=True)
class QueryReply:
    rid: tuple
    key: str
    tag: tuple
    value: Any


@dataclass(frozen=True)
class Store:
    """ABD phase 2: keep ``(tag, value)`` for ``key`` if the tag is higher than yours."""
    rid: tuple
    key: str
    tag: tuple
    value: Any


@dataclass(frozen=True)
class StoreAck:
    rid: tuple
    key: str


@dataclass(frozen=True)
class Replicate:
    """AP: one fresh write, pushed to the other replicas at once."""
    key: str
    tag: tuple
    value: Any
    vv: tuple


@dataclass(frozen=True)
class Sync:
    """AP anti-entropy: the sender's whole state, ``((key, tag, value, vv), ...)``."""
    entries: tuple


# -- CP: ABD majority quorums -----------------------------------------------------------

class AbdReplica(Node):
    """ABD register replica and coordinator (Attiya, Bar-Noy, Dolev 1995), multi-writer.

    Parameters
    ----------
    replicas : tuple of node ids
        All replicas (quorums are counted among them).
    quorum : int or None
        Answers a phase needs; ``None`` is a majority, ``len(replicas) // 2 + 1``. A smaller
        quorum is a broken variant: two quorums need not intersect, and the checker catches it.
    timeout : float
        Seconds a coordinator waits for a quorum before it gives up.
    write_back : bool
        Reads write the value back before answering. ``False`` is the broken variant whose
        reads can go back in time (a "new-old inversion"), which the checker catches.

    Notes
    -----
    ``store`` maps key -> ``(tag, value)`` and survives a crash (``durable``); ``ops`` maps the
    coordinated operation ``(client, op)`` -> ``(phase, kind, key, value, answered, tag, best)``.
    Observes ``holds`` ``(key, value)`` when its copy changes and ``state`` ``"from cN"`` (who
    wrote the value of ``x`` it holds).

    Examples
    --------
    >>> from dsysedu.sim.node import Context
    >>> r = AbdReplica(0, replicas=(0, 1, 2))
    >>> ctx = Context(0, (1, 2, 5), known=(0, 1, 2, 5))
    >>> r.on_message(ctx, 5, ClientRequest(1, "write", "x", "c5-1"))
    >>> [(e[1], e[2]) for e in ctx.take_effects() if e[0] == 0]
    [(0, Query(rid=(5, 1), key='x')), (1, Query(rid=(5, 1), key='x')), (2, Query(rid=(5, 1), key='x'))]
    """

    durable = ("store",)

    def __init__(self, node_id, peers=(), replicas=(0, 1, 2), quorum=None, timeout=0.3, write_back=True):
        super().__init__(node_id, peers)
        self.replicas = tuple(replicas)
        if quorum is None:
            quorum = len(self.replicas) // 2 + 1
        if isinstance(quorum, bool) or not isinstance(quorum, int) or not 1 <= quorum <= len(self.replicas):
            raise ValueError(f"quorum must be None (a majority) or an int in 1..{len(self.replicas)}, got {quorum!r}")
        number("timeout", timeout, low=0.0, low_open=True)
        self.quorum, self.timeout, self.write_back = quorum, float(timeout), bool(write_back)
        self.store: dict = {}
        self.ops: dict = {}

    def on_start(self, ctx):
        _observe_start(ctx, self.store)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, ClientRequest):
            rid = (src, msg.op)
            self.ops[rid] = ("query", msg.kind, msg.key, msg.value, (), ZERO_TAG, None)
            ctx.set_timer(("op",) + rid, self.timeout)
            for r in self.replicas:
                ctx.send(r, Query(rid, msg.key))
        elif isinstance(msg, Query):
            tag, value = self.store.get(msg.key, (ZERO_TAG, None))
            ctx.send(src, QueryReply(msg.rid, msg.key, tag, value))
        elif isinstance(msg, Store):
            if msg.tag > self.store.get(msg.key, (ZERO_TAG, None))[0]:
                self.store[msg.key] = (msg.tag, msg.value)
                _observe_holds(ctx, msg.key, msg.value)
            ctx.send(src, StoreAck(msg.rid, msg.key))
        elif isinstance(msg, QueryReply):
            self._on_query_reply(ctx, src, msg)
        elif isinstance(msg, StoreAck):
            op = self.ops.get(msg.rid)
            if op is None or op[0] != "store" or src in op[4]:
                return
            phase, kind, key, value, answered, tag, best = op
            answered += (src,)
            self.ops[msg.rid] = (phase, kind, key, value, answered, tag, best)
            if len(answered) >= self.quorum:
                self._finish(ctx, msg.rid, "ok", best if kind == "read" else None)

    def _on_query_reply(self, ctx, src, msg):
        op = self.ops.get(msg.rid)
        if op is None or op[0] != "query" or src in op[4]:
            return  # a late answer to a phase that is over
        phase, kind, key, value, answered, tag, best = op
        answered += (src,)
        if msg.tag > tag:
            tag, best = msg.tag, msg.value
        if len(answered) < self.quorum:
            self.ops[msg.rid] = (phase, kind, key, value, answered, tag, best)
            return
        if kind == "read" and not self.write_back:
            self._finish(ctx, msg.rid, "ok", best)
            return
        if kind == "write":  # a tag above every tag a majority has: (timestamp + 1, writer)
            tag, best = (tag[0] + 1, msg.rid[0]), value
        self.ops[msg.rid] = ("store", kind, key, value, (), tag, best)
        for r in self.replicas:
            ctx.send(r, Store(msg.rid, key, tag, best))

    def on_timer(self, ctx, name):
        rid = name[1:]
        op = self.ops.get(rid)
        if op is None:
            return
        phase, kind = op[0], op[1]
        # a write that reached the store phase may be on some replica: its outcome is unknown
        self._finish(ctx, rid, "info" if kind == "write" and phase == "store" else "fail", None)

    def _finish(self, ctx, rid, status, result):
        del self.ops[rid]
        ctx.cancel_timer(("op",) + rid)
        ctx.send(rid[0], ClientReply(rid[1], status, result))


# -- AP: last writer wins, anti-entropy -------------------------------------------------

def covers(a: tuple, b: tuple) -> bool:
    """True if version vector ``a`` has seen everything ``b`` has (``a >= b`` entry by entry)."""
    return all(x >= y for x, y in zip(a, b))


class LwwReplica(Node):
    """A replica that answers at once and reconciles later, last writer wins.

    Parameters
    ----------
    replicas : tuple of node ids
        All replicas (anti-entropy pushes to the others; version vectors have one entry each).
    sync_interval : float
        Seconds between anti-entropy rounds (each sends the whole state to every other replica).
    eager : bool
        Also push every write to the other replicas at once.

    Notes
    -----
    ``store`` maps key -> ``(tag, value, vv)``. Observes ``holds`` ``(key, value)`` when its copy
    changes, ``state`` ``"from cN"`` and ``discarded`` ``(key, value)`` when a merge drops a
    version not dominated by the one it keeps (see the module docstring).

    Examples
    --------
    >>> from dsysedu.sim.node import Context
    >>> r = LwwReplica(0, replicas=(0, 1))
    >>> ctx = Context(0, (1, 5)); r.on_message(ctx, 5, ClientRequest(1, "write", "x", "c5-1"))
    >>> r.store["x"][1], [e[2] for e in ctx.take_effects() if e[0] == 0][-1]
    ('c5-1', ClientReply(op=1, status='ok', result=None))
    """

    durable = ("store", "count")

    def __init__(self, node_id, peers=(), replicas=(0, 1, 2), sync_interval=0.2, eager=True):
        super().__init__(node_id, peers)
        self.replicas = tuple(replicas)
        if node_id not in self.replicas:
            raise ValueError(f"replica {node_id!r} is not among replicas {self.replicas}")
        number("sync_interval", sync_interval, low=0.0, low_open=True)
        self.sync_interval, self.eager = float(sync_interval), bool(eager)
        self.others = tuple(r for r in self.replicas if r != node_id)
        self.me = self.replicas.index(node_id)
        self.store: dict = {}
        self.count = 0  # writes tagged here (makes tags unique when the clock stands still)

    def on_start(self, ctx):
        _observe_start(ctx, self.store)
        ctx.set_timer("sync", self.sync_interval * (0.5 + ctx.rng.random()))

    def _current(self, key):
        return self.store.get(key, (LWW_ZERO, None, (0,) * len(self.replicas)))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, ClientRequest):
            if msg.kind == "write":
                self.count += 1
                _tag, _value, vv = self._current(msg.key)
                vv = vv[:self.me] + (vv[self.me] + 1,) + vv[self.me + 1:]
                tag = (ctx.clock(), self.id, self.count)
                self._merge(ctx, msg.key, tag, msg.value, vv)
                if self.eager:
                    for r in self.others:
                        ctx.send(r, Replicate(msg.key, tag, msg.value, vv))
                ctx.send(src, ClientReply(msg.op, "ok", None))
            else:
                ctx.send(src, ClientReply(msg.op, "ok", self._read(msg.key)))
        elif isinstance(msg, Replicate):
            self._merge(ctx, msg.key, msg.tag, msg.value, msg.vv)
        elif isinstance(msg, Sync):
            for key, tag, value, vv in msg.entries:
                self._merge(ctx, key, tag, value, vv)

    def on_timer(self, ctx, name):
        if name == "sync":
            entries = self._entries()
            if entries:
                for r in self.others:
                    ctx.send(r, Sync(entries))
            ctx.set_timer("sync", self.sync_interval)

    def _read(self, key):
        return self._current(key)[1]

    def _entries(self) -> tuple:
        return tuple((k, t, v, vv) for k, (t, v, vv) in sorted(self.store.items()))

    def _merge(self, ctx, key, tag, value, vv):
        """Keep the version with the higher tag; note a dropped version nobody had seen."""
        cur_tag, cur_value, cur_vv = self._current(key)
        if tag == cur_tag:
            return
        if tag > cur_tag:
            win, lose = (tag, value, vv), (cur_tag, cur_value, cur_vv)
        else:
            win, lose = (cur_tag, cur_value, cur_vv), (tag, value, vv)
        if lose[1] is not None and not covers(win[2], lose[2]):
            ctx.observe("discarded", (key, lose[1]))
        merged = tuple(max(a, b) for a, b in zip(cur_vv, vv))
        self.store[key] = (win[0], win[1], merged)
        if win[1] != cur_value:
            _observe_holds(ctx, key, win[1])


SHOWN_KEY = "x"  # the key whose writer colours a replica in the topology view


def writer_label(value) -> str:
    """``"c5-3"`` -> ``"from c5"`` (who wrote the value a replica holds); None -> ``"initial value"``;
    a tuple of siblings -> ``"siblings"``."""
    if value is None:
        return "initial value"
    if isinstance(value, tuple):
        return "siblings"
    return "from " + str(value).split("-")[0]


def _observe_holds(ctx, key, value) -> None:
    ctx.observe("holds", (key, value))
    if key == SHOWN_KEY:
        ctx.observe("state", writer_label(value))


def _observe_start(ctx, store) -> None:
    entry = store.get(SHOWN_KEY)
    ctx.observe("state", writer_label(None if entry is None else entry[1]))


class SiblingReplica(LwwReplica):
    """AP with version vectors instead of last writer wins: concurrent versions are all kept.

    A merge drops a version only when another version's vector dominates it (it was written by
    someone who had seen it), so nothing is ever discarded: no lost writes. The price is that a
    read may return several *siblings*, a sorted tuple of values, which the application must
    reconcile (Dynamo and Riak work this way). A write at a replica replaces all the siblings
    it holds, since its vector includes theirs.

    Notes
    -----
    ``store`` maps key -> a tuple of versions ``(tag, value, vv)``, pairwise concurrent.

    Examples
    --------
    >>> from dsysedu.sim.node import Context
    >>> r = SiblingReplica(0, replicas=(0, 1))
    >>> ctx = Context(0, (1,))
    >>> r.on_message(ctx, 1, Replicate("x", (1.0, 1, 1), "c5-1", (0, 1)))
    >>> r.on_message(ctx, 1, Replicate("x", (1.2, 0, 1), "c6-1", (1, 0)))
    >>> r._read("x")
    ('c5-1', 'c6-1')
    """

    def _current(self, key):
        versions = self.store.get(key, ())
        vv = tuple(max(col) for col in zip(*(v[2] for v in versions))) if versions else (0,) * len(self.replicas)
        return (LWW_ZERO, self._read(key), vv)

    def _read(self, key):
        values = sorted(v[1] for v in self.store.get(key, ()))
        if not values:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    def _entries(self) -> tuple:
        return tuple((k, t, v, vv) for k, versions in sorted(self.store.items()) for t, v, vv in versions)

    def _merge(self, ctx, key, tag, value, vv):
        versions = self.store.get(key, ())
        if any(covers(v[2], vv) for v in versions):
            return  # known already, or older than what is here
        before = self._read(key)
        self.store[key] = tuple(sorted([v for v in versions if not covers(vv, v[2])] + [(tag, value, vv)]))
        after = self._read(key)
        if after != before:
            _observe_holds(ctx, key, after)
