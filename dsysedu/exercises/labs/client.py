"""The two kinds of node in a lab: the learner's server (:class:`LabNode`) and the grader's client.

A lab runs, as Maelstrom does, *servers* ``"n0"``, ``"n1"``... that the learner writes and
*clients* ``"c0"``, ``"c1"``... (and final readers ``"r0"``...) that the grader writes. A client
sends one request at a time to a server, waits for the reply or a timeout, and records each operation
for the checkers as two observations (see :mod:`dsysedu.check.history`)::

    ctx.observe("invoke", (op_id, kind, key, value))
    ctx.observe("complete", (op_id, status, result))   # "ok", "fail" (error 11) or "info" (timeout)

Examples
--------
>>> class Quiet(LabNode):
...     pass
>>> Quiet("n1", ["n0", "n2", "c0"]).node_ids
('n0', 'n1', 'n2')
"""
from __future__ import annotations

from dsysedu.sim.node import Node

from .messages import (REQUESTS, TEMPORARILY_UNAVAILABLE, AddOk, BroadcastOk, CommitOffsetsOk, EchoOk, Error,
                       GenerateOk, ListCommittedOffsetsOk, PollOk, ReadOk, SendOk, WriteOk)

__all__ = ["LabNode", "LabClient", "is_server", "request_for", "result_of"]


def is_server(node_id) -> bool:
    """Servers are named ``"n0"``, ``"n1"``...; clients ``"c..."`` and final readers ``"r..."``."""
    return isinstance(node_id, str) and node_id.startswith("n")


class LabNode(Node):
    """The base class of a learner's server.

    Attributes
    ----------
    node_ids : tuple of str
        Every server of the cluster, this one included, sorted (Maelstrom's ``init`` message gives
        the same list). A server may send to every other server and answers clients through
        ``ctx.send(src, reply)``.
    """

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.node_ids = tuple(sorted([node_id, *(p for p in self.peers if is_server(p))]))


def request_for(kind: str, msg_id: int, key, value):
    """The request message of one client operation (``kind`` as in :data:`~.messages.REQUESTS`)."""
    if kind not in REQUESTS:
        raise ValueError(f"unknown operation kind {kind!r}; kinds are {sorted(REQUESTS)}")
    if kind == "echo":
        return REQUESTS[kind](msg_id, value)
    if kind == "generate":
        return REQUESTS[kind](msg_id)
    if kind in ("broadcast", "add"):
        return REQUESTS[kind](msg_id, value)
    if kind == "read":
        return REQUESTS[kind](msg_id, key)
    if kind in ("poll", "commit"):
        return REQUESTS[kind](msg_id, ((key, value),))
    if kind == "list_committed":
        return REQUESTS[kind](msg_id, (key,))
    return REQUESTS[kind](msg_id, key, value)      # send, write


_ANSWERS = {"echo": EchoOk, "generate": GenerateOk, "broadcast": BroadcastOk, "read": ReadOk, "add": AddOk,
            "send": SendOk, "poll": PollOk, "commit": CommitOffsetsOk, "list_committed": ListCommittedOffsetsOk,
            "write": WriteOk}


def result_of(kind: str, key, reply) -> tuple:
    """``(status, result)`` that a client records for ``reply`` to an operation of ``kind``.

    A reply of the wrong type is recorded as ``ok`` with a ``("wrong reply", type name)`` result,
    which no checker accepts, so the learner sees it in the verdict.
    """
    if isinstance(reply, Error):
        return ("fail" if reply.code == TEMPORARILY_UNAVAILABLE else "info"), None
    if type(reply) is not _ANSWERS[kind]:
        return "ok", ("wrong reply", type(reply).__name__)
    if kind == "echo":
        return "ok", reply.echo
    if kind == "generate":
        return "ok", reply.id
    if kind == "read":
        value = reply.value
        if isinstance(value, (list, tuple, set, frozenset)) and key is None:
            try:                                             # the broadcast lab's messages, as a set
                value = tuple(sorted(set(value)))
            except TypeError:
                value = tuple(sorted(set(value), key=repr))
        return "ok", value
    if kind == "send":
        return "ok", reply.offset
    if kind == "poll":
        return "ok", tuple(tuple(p) for p in dict(reply.msgs).get(key, ()))
    if kind == "list_committed":
        return "ok", dict(reply.offsets).get(key)
    return "ok", None


class LabClient(Node):
    """A client of a lab: runs ``plan`` one operation at a time against ``server``.

    Parameters
    ----------
    plan : tuple of (kind, key, value)
        The operations, in order.
    server : str
        The server it asks first.
    start, gap, timeout : float
        When the first operation starts, the pause after each one, and how long it waits for
        a reply before it records the outcome as unknown (``"info"``).
    rotate : bool
        After a failure or a timeout, ask the next server of the cluster (as a client of a
        replicated service looks for its leader).
    """

    state_fields = ("next", "waiting", "target", "results")   # the rest is configuration

    def __init__(self, node_id, peers=(), plan=(), server="n0", start=0.0, gap=0.05, timeout=1.0, rotate=False):
        super().__init__(node_id, peers)
        self.plan = tuple(plan)
        self.servers = tuple(sorted(p for p in self.peers if is_server(p)))
        self.start, self.gap, self.timeout, self.rotate = float(start), float(gap), float(timeout), bool(rotate)
        self.next = 0            # index of the next operation of the plan
        self.waiting = None      # the msg_id of the operation in flight
        self.target = server
        self.results = ()        # (kind, result) of each operation answered ok, for the model checker

    def on_start(self, ctx):
        if self.plan:
            ctx.set_timer("next", self.start)

    def on_timer(self, ctx, name):
        if name == "next":
            if self.next < len(self.plan) and self.waiting is None:
                kind, key, value = self.plan[self.next]
                self.waiting = self.next + 1
                ctx.observe("invoke", (self.waiting, kind, key, value))
                ctx.send(self.target, request_for(kind, self.waiting, key, value))
                ctx.set_timer(("timeout", self.waiting), self.timeout)
        elif name == ("timeout", self.waiting):
            self._done(ctx, "info", None)

    def on_message(self, ctx, src, msg):
        if self.waiting is None or getattr(msg, "in_reply_to", None) != self.waiting:
            return                   # a late or stray reply: the operation was already given up
        kind, key, _value = self.plan[self.waiting - 1]
        status, result = result_of(kind, key, msg)
        ctx.cancel_timer(("timeout", self.waiting))
        self._done(ctx, status, result)

    def _done(self, ctx, status, result):
        ctx.observe("complete", (self.waiting, status, result))
        if status == "ok":
            self.results = self.results + ((self.plan[self.waiting - 1][0], result),)
        elif self.rotate and self.servers:
            self.target = self.servers[(self.servers.index(self.target) + 1) % len(self.servers)]
        self.waiting = None
        self.next += 1
        if self.next < len(self.plan):
            ctx.set_timer("next", self.gap)
