"""One broken server per lab, each a small change to the reference (or a classic wrong design).

Each must lose points and come back with a counterexample: the checkers can fail, and the broken
servers are what a learner's first try often looks like.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.exercises.labs import (Add, AddOk, Broadcast, BroadcastOk, EchoOk, GenerateOk, LabNode, Read, ReadOk)

from .references import reference


@dataclass(frozen=True)
class Tell:
    value: int


@dataclass(frozen=True)
class Increment:
    delta: int


class FireAndForget(LabNode):
    """Broadcast: tell every other server once, never again (a lost message loses the value)."""

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.messages = set()

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Broadcast):
            self.messages.add(msg.message)
            for n in self.node_ids:
                if n != self.id:
                    ctx.send(n, Tell(msg.message))
            ctx.send(src, BroadcastOk(msg.msg_id))
        elif isinstance(msg, Tell):
            self.messages.add(msg.value)
        elif isinstance(msg, Read):
            ctx.send(src, ReadOk(msg.msg_id, tuple(sorted(self.messages))))


class OperationCounter(LabNode):
    """Grow-only counter: send each add to the others once (a lost Increment is a lost add)."""

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.value = 0

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Add):
            self.value += msg.delta
            for n in self.node_ids:
                if n != self.id:
                    ctx.send(n, Increment(msg.delta))
            ctx.send(src, AddOk(msg.msg_id))
        elif isinstance(msg, Increment):
            self.value += msg.delta
        elif isinstance(msg, Read):
            ctx.send(src, ReadOk(msg.msg_id, self.value))


def broken_servers() -> dict:
    """lab -> a broken server class (built on the reference where the bug is a small change)."""
    echo, _ = reference("echo")
    ids, _ = reference("unique-ids")
    log, _ = reference("kafka")
    raft, raft_ns = reference("raft")

    class ShoutingEcho(echo):
        """Echo: answers in capitals."""
        def on_message(self, ctx, src, msg):
            ctx.send(src, EchoOk(msg.msg_id, msg.echo.upper()))

    class CountingIds(ids):
        """Unique ids: a counter per server, without the server's name (1 comes from every server)."""
        def on_message(self, ctx, src, msg):
            self.issued += 1
            ctx.send(src, GenerateOk(msg.msg_id, self.issued))

    class LocalLog(log):
        """Kafka: every server keeps its own log (offsets repeat, polls miss other servers' sends)."""
        def on_message(self, ctx, src, msg):
            ctx.send(src, self.handle(msg))

    RequestVote, Vote = raft_ns["RequestVote"], raft_ns["Vote"]

    class VotesTwice(raft):
        """Raft: grants every RequestVote of the current term, whoever it already voted for."""
        def on_message(self, ctx, src, msg):
            if isinstance(msg, RequestVote) and msg.term >= self.current_term:
                if msg.term > self.current_term:
                    self.set_term(ctx, msg.term)
                self.voted_for = src
                return ctx.send(src, Vote(self.current_term, True))
            return super().on_message(ctx, src, msg)

    return {"echo": ShoutingEcho, "unique-ids": CountingIds, "broadcast": FireAndForget,
            "g-counter": OperationCounter, "kafka": LocalLog, "raft": VotesTwice}
