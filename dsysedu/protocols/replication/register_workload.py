"""The clients of the replicated register: a workload of reads and writes that records its history.

A :class:`Client` talks to one *home* replica of :mod:`dsysedu.protocols.replication.register` (CP or AP), one
operation at a time, and records each with ``ctx.observe("invoke", ...)`` and
``ctx.observe("complete", ...)``, which :meth:`~dsysedu.check.history.History.from_trace` turns
into the history that the linearizability checker reads.
"""
from __future__ import annotations

import math

from dsysedu.sim.validate import number, probability
from dsysedu.sim.node import Node
from .register import ClientReply, ClientRequest

__all__ = ["Client"]


class Client(Node):
    """Issues reads and writes at its home replica, one at a time, and records the history.

    Parameters
    ----------
    replica : node id
        The home replica (on the client's side of a partition).
    keys : tuple of str
        The keys it picks from, uniformly.
    write_share : float
        Probability that an operation is a write.
    think : float
        Mean pause (exponential, from ``ctx.rng``) before each operation, in seconds.
    timeout : float
        Seconds to wait for the replica's reply before giving up (``"info"`` for a write,
        ``"fail"`` for a read, see the module docstring).
    stop_at : float
        Invoke no operation at or after this time (so the run ends with answers, not questions).

    Notes
    -----
    Observes ``invoke`` and ``complete`` (the history); ``state`` ``"from cN"`` once (the
    colour its writes give the replicas in the topology view); ``outcome``: ``"idle"`` before the
    first operation, ``"waiting"`` while one is open, then ``"ok"``, ``"error"`` (fail) or
    ``"unknown"`` (info).

    Examples
    --------
    >>> from dsysedu.sim.node import Context
    >>> c = Client(5, replica=0, write_share=1.0)
    >>> ctx = Context(5, (0,)); c.on_timer(ctx, "next")
    >>> [e[2] for e in ctx.take_effects()][:3]
    [(1, 'write', 'x', 'c5-1'), 'waiting', ClientRequest(op=1, kind='write', key='x', value='c5-1')]
    """

    STATES = {"ok": "ok", "fail": "error", "info": "unknown"}

    def __init__(self, node_id, peers=(), replica=0, keys=("x",), write_share=0.5, think=0.1, timeout=0.5,
                 stop_at=math.inf):
        super().__init__(node_id, peers)
        probability("write_share", write_share)
        number("think", think, low=0.0, low_open=True)
        number("timeout", timeout, low=0.0, low_open=True)
        if not keys:
            raise ValueError("keys must name at least one key")
        self.replica, self.keys = replica, tuple(keys)
        self.write_share, self.think, self.timeout, self.stop_at = write_share, think, timeout, stop_at
        self.n = 0           # operations invoked so far
        self.open = None     # (op, kind) of the operation in flight

    def on_start(self, ctx):
        ctx.observe("state", f"from c{self.id}")  # the colour of its writes in the topology view
        ctx.observe("outcome", "idle")
        self._next(ctx)

    def _next(self, ctx):
        ctx.set_timer("next", ctx.rng.expovariate(1.0 / self.think))

    def on_timer(self, ctx, name):
        if name == "next":
            if ctx.now >= self.stop_at or self.open is not None:
                return
            self.n += 1
            kind = "write" if ctx.rng.random() < self.write_share else "read"
            key = self.keys[int(ctx.rng.random() * len(self.keys))]
            value = f"c{self.id}-{self.n}" if kind == "write" else None
            self.open = (self.n, kind)
            ctx.observe("invoke", (self.n, kind, key, value))
            ctx.observe("outcome", "waiting")
            ctx.send(self.replica, ClientRequest(self.n, kind, key, value))
            ctx.set_timer("timeout", self.timeout)
        elif name == "timeout" and self.open is not None:
            op, kind = self.open
            self._complete(ctx, op, "info" if kind == "write" else "fail", None)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, ClientReply) and self.open is not None and msg.op == self.open[0]:
            ctx.cancel_timer("timeout")
            self._complete(ctx, msg.op, msg.status, msg.result)

    def _complete(self, ctx, op, status, result):
        self.open = None
        ctx.observe("complete", (op, status, result))
        ctx.observe("outcome", self.STATES[status])
        self._next(ctx)
