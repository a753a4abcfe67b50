"""The bully algorithm (欺负算法, Garcia-Molina 1982): the highest live id becomes leader.

Every node knows every other node's id. The leader sends a :class:`Heartbeat` every
``heartbeat`` seconds. A node that hears nothing from the leader for ``timeout`` seconds
starts an election:

1. it sends :class:`Election` to every node with a higher id;
2. a higher node that is up answers :class:`Answer` ("I will take over") and starts its own
   election;
3. a node that gets no answer within ``answer_wait`` seconds has the highest id of those up:
   it announces :class:`Coordinator` to everyone and leads;
4. a node that got an answer waits for the Coordinator message, and starts again if none comes.

A node that recovers starts an election at once, and if its id is the highest it *bullies*
its way back to leadership. The algorithm assumes a synchronous system (timeouts that are
never wrong) and no partitions: with a partition each side elects its own leader, which is
why a leader that must act alone also needs a lease and fencing (:mod:`.leases`).

Property: :func:`agreed_on_highest` - after the faults stop, every live node follows the
highest live node.

References
----------
.. [1] H. Garcia-Molina, "Elections in a distributed computing system", IEEE Transactions on
   Computers C-31(1), 1982.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check import Verdict
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number

__all__ = ["Election", "Answer", "Coordinator", "Heartbeat", "BullyNode", "bully_scenario", "leaders_at",
           "agreed_on_highest", "election_messages"]


@dataclass(frozen=True)
class Election:
    """A lower node asks: is anyone higher than me up?"""


@dataclass(frozen=True)
class Answer:
    """A higher node is up and takes over the election."""


@dataclass(frozen=True)
class Coordinator:
    """The winner announces itself."""
    leader: int


@dataclass(frozen=True)
class Heartbeat:
    leader: int


class BullyNode(Node):
    """One node of the bully algorithm. Observes ``leader`` (the id it follows; its own when it leads)."""
    state_fields = ("leader", "electing", "answered")

    needs_complete_graph = True   # a node must reach every higher id to elect the highest

    def __init__(self, node_id, peers=(), heartbeat=0.1, timeout=0.35, answer_wait=0.1):
        super().__init__(node_id, peers)
        self.heartbeat = number("heartbeat", heartbeat, low=0.0, low_open=True)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.answer_wait = number("answer_wait", answer_wait, low=0.0, low_open=True)
        if self.timeout <= self.heartbeat:
            raise ValueError(f"timeout must exceed heartbeat ({heartbeat}), got {timeout}")
        self.leader = None
        self.electing = False
        self.answered = False

    def higher(self):
        return [p for p in self.peers if p > self.id]

    def on_start(self, ctx):
        self.start_election(ctx)

    def start_election(self, ctx) -> None:
        self.electing, self.answered = True, False
        for p in self.higher():                          # peers are sorted
            ctx.send(p, Election())
        ctx.set_timer("answer_wait", self.answer_wait)

    def become_leader(self, ctx) -> None:
        self.electing = False
        self.follow(ctx, self.id)
        ctx.broadcast(Coordinator(self.id))
        ctx.cancel_timer("leader_timeout")
        ctx.set_timer("heartbeat", self.heartbeat)

    def follow(self, ctx, leader) -> None:
        if leader != self.leader:
            self.leader = leader
            ctx.observe("leader", leader)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Election):
            ctx.send(src, Answer())
            if not self.electing and self.leader != self.id:
                self.start_election(ctx)
            elif self.leader == self.id:
                ctx.send(src, Coordinator(self.id))      # I lead already: tell the asker
        elif isinstance(msg, Answer) and self.electing:
            self.answered = True
            ctx.set_timer("answer_wait", self.timeout)   # now wait for the Coordinator
        elif isinstance(msg, (Coordinator, Heartbeat)):
            if msg.leader < self.id:                     # a lower node leads: bully it
                if not self.electing and self.leader != self.id:
                    self.start_election(ctx)
                elif self.leader == self.id:
                    ctx.send(src, Coordinator(self.id))
                return
            self.electing = False
            ctx.cancel_timer("answer_wait")
            ctx.cancel_timer("heartbeat")
            self.follow(ctx, msg.leader)
            ctx.set_timer("leader_timeout", self.timeout)

    def on_timer(self, ctx, name):
        if name == "answer_wait" and self.electing:
            if self.answered:
                self.start_election(ctx)                 # the higher node went quiet: try again
            else:
                self.become_leader(ctx)
        elif name == "heartbeat" and self.leader == self.id:
            ctx.broadcast(Heartbeat(self.id))
            ctx.set_timer("heartbeat", self.heartbeat)
        elif name == "leader_timeout" and self.leader != self.id:
            self.start_election(ctx)


def bully_scenario(n: int = 5, **kwargs) -> Scenario:
    """``n`` bully nodes with ids 0..n-1 (the highest live id should lead)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    return Scenario(BullyNode, nodes=n, name="bully election", **kwargs)


def leaders_at(trace, t: float) -> dict:
    """The leader each live node follows at time ``t``."""
    down = trace.status_at(t)["crashed"]
    return {n: v for n, v in trace.value_at("leader", t).items() if n not in down}


def agreed_on_highest(trace, t: float) -> Verdict:
    """At time ``t`` every live node follows the highest live node."""
    following = leaders_at(trace, t)
    if not following:
        return Verdict(True, "agreed on highest", "no node is up")
    top = max(following)
    wrong = {n: v for n, v in following.items() if v != top}
    if wrong:
        return Verdict(False, "agreed on highest", f"at t={t:g} the highest live node is {top}, "
                                                   f"but {wrong} follow others")
    return Verdict(True, "agreed on highest", f"at t={t:g} all {len(following)} live nodes follow {top}")


def election_messages(trace) -> int:
    """Election, Answer and Coordinator messages sent (heartbeats not counted)."""
    return sum(1 for r in trace.rows if r[1] == "send" and isinstance(r[5], (Election, Answer, Coordinator)))
