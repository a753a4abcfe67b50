"""Small protocols that exercise the engine: flooding and ping/echo (request/reply is in request_reply.py).

They are the first examples a learner reads, so they stay short.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.node import Node

__all__ = ["Rumor", "Flood", "Ping", "Pong", "PingEcho"]


@dataclass(frozen=True)
class Rumor:
    origin: int
    text: str = "hello"


class Flood(Node):
    """Flooding broadcast: the origin tells its neighbours; whoever hears it first tells theirs.

    Observes ``informed`` (True when a node first hears the rumor) and ``role``
    (``origin``, ``informed`` or ``waiting``). Every node forwards once, so on a connected
    graph without loss everyone hears it, with one message per link direction at most.
    """

    def __init__(self, node_id, peers=(), origin=0):
        super().__init__(node_id, peers)
        self.origin = origin
        self.informed = False

    def on_start(self, ctx):
        if self.id == self.origin and not self.informed:
            self.informed = True
            ctx.observe("role", "origin")
            ctx.observe("informed", True)
            ctx.broadcast(Rumor(self.id))
        elif not self.informed:
            ctx.observe("role", "waiting")

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Rumor) and not self.informed:
            self.informed = True
            ctx.observe("role", "informed")
            ctx.observe("informed", True)
            for p in self.peers:
                if p != src:
                    ctx.send(p, msg)


@dataclass(frozen=True)
class Ping:
    seq: int


@dataclass(frozen=True)
class Pong:
    seq: int


class PingEcho(Node):
    """Node ``pinger`` pings every peer each ``interval`` seconds; the others echo.

    The pinger observes ``rtt`` (round-trip time of each answered ping) and ``alive``
    (how many peers answered the last round).
    """

    def __init__(self, node_id, peers=(), pinger=0, interval=0.1, rounds=10):
        super().__init__(node_id, peers)
        self.pinger = pinger
        self.interval = interval
        self.rounds = rounds
        self.seq = 0
        self.sent_at: dict = {}
        self.answered: set = set()

    def on_start(self, ctx):
        ctx.observe("role", "pinger" if self.id == self.pinger else "echo")
        if self.id == self.pinger:
            ctx.set_timer("ping", 0.0)

    def on_timer(self, ctx, name):
        if self.seq > 0:
            ctx.observe("alive", len(self.answered))
        if self.seq >= self.rounds:
            return
        self.seq += 1
        self.answered = set()
        self.sent_at[self.seq] = ctx.now
        ctx.broadcast(Ping(self.seq))
        ctx.set_timer("ping", self.interval)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Ping):
            ctx.send(src, Pong(msg.seq))
        elif isinstance(msg, Pong) and msg.seq == self.seq:
            self.answered.add(src)
            ctx.observe("rtt", ctx.now - self.sent_at[msg.seq])


