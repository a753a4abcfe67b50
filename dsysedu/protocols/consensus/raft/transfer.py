"""Leadership transfer: a leader that sees itself slowing down hands over before it fails.

Ongaro's thesis (§3.10) adds *leadership transfer* to Raft: the leader brings a follower's log
up to date and sends it ``TimeoutNow``; the follower starts an election at once, without
waiting for its timer, and wins it (its log is as up-to-date as any), in about one round trip.
The thesis uses it for planned maintenance. :class:`RaftTransfer` triggers it with a *precursor
signal*: the leader measures the round trip of its own AppendEntries to each follower (from
sending to handling the reply, queueing included) and watches the round trip to a majority. A
leader in a gray failure, alive but ever slower (a failing disk, a CPU hog, a long GC), sees that
round trip grow as the events queue up behind its slow handlers, long before its followers'
timers run out or it crashes. When the round trip to a majority exceeds ``transfer_factor`` times
the fastest one seen in its term (and ``transfer_floor`` seconds), it hands leadership to its
most up-to-date follower.

Safety is untouched: TimeoutNow only starts an ordinary election earlier; the election
restriction and the commit rule are the same. What can go wrong is liveness: a transfer on a
false alarm costs an election. The handlers observe ``transfer`` (the target) at the leader and
``timeout_now`` (the old leader) at the target.

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §3.10
   (leadership transfer, TimeoutNow).
.. [2] P. Huang et al., "Gray failure: the Achilles' heel of cloud-scale systems", HotOS 2017
   (a component that is slow but not dead, and is seen as healthy by its failure detector).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.validate import number
from .messages import LEADER
from .node import Raft

__all__ = ["TimeoutNow", "RaftTransfer"]


@dataclass(frozen=True)
class TimeoutNow:
    """The leader to its chosen successor: start an election now (thesis §3.10)."""
    term: int
    leader_id: int


class RaftTransfer(Raft):
    """Raft whose leader hands over leadership when its own AppendEntries round trips grow.

    Parameters
    ----------
    transfer_factor : float
        Hand over when the smoothed round trip exceeds this many times the fastest one seen in
        the term (> 1).
    transfer_floor : float
        ... and exceeds this many seconds (ordinary jitter on a fast network stays below it).
    alpha : float
        Weight of a new sample in the smoothed round trip (as TCP's SRTT, RFC 6298).
    **kwargs
        As :class:`~dsysedu.protocols.consensus.raft.node.Raft`; PreVote and CheckQuorum are
        refused (a TimeoutNow election must not wait for a pre-vote, nor be ignored under the vote
        lease, and this class does not model the thesis's flag that lets it through).

    Raises
    ------
    ValueError
        For ``prevote=True``, ``check_quorum=True``, a factor not above 1, or a floor or alpha out
        of range.
    """

    def __init__(self, node_id, peers=(), transfer_factor: float = 3.0, transfer_floor: float = 0.02,
                 alpha: float = 0.25, **kwargs):
        if kwargs.get("prevote") or kwargs.get("check_quorum"):
            raise ValueError("RaftTransfer does not combine with prevote or check_quorum: a TimeoutNow election "
                             "would be stopped by them (set both to False)")
        super().__init__(node_id, peers, **kwargs)
        self.transfer_factor = number("RaftTransfer transfer_factor", transfer_factor, low=1.0, low_open=True)
        self.transfer_floor = number("RaftTransfer transfer_floor", transfer_floor, low=0.0)
        self.alpha = number("RaftTransfer alpha", alpha, low=0.0, high=1.0, low_open=True)
        self.sent_at: dict = {}     # leader: peer -> when its oldest unanswered AppendEntries was sent
        self.rtts: dict = {}        # leader: peer -> smoothed round trip of AppendEntries this term
        self.fastest = None         # leader: the fastest round trip this term
        self.transferring = None    # leader: the successor chosen, once it decided to hand over
        self.told = False           # leader: TimeoutNow sent to it

    # -- the leader measures itself ---------------------------------------------------------
    def become_leader(self, ctx) -> None:
        self.sent_at, self.rtts, self.fastest, self.transferring, self.told = {}, {}, None, None, False
        super().become_leader(ctx)

    def send_append_entries(self, ctx, peer) -> None:
        self.sent_at.setdefault(peer, ctx.now)
        super().send_append_entries(ctx, peer)

    def on_append_entries_reply(self, ctx, src, m) -> None:
        if self.role == LEADER and m.term == self.current_term and src in self.sent_at:
            self.learn(src, ctx.now - self.sent_at.pop(src))
        super().on_append_entries_reply(ctx, src, m)
        if self.role == LEADER:
            self.maybe_transfer(ctx)

    def learn(self, peer, sample: float) -> None:
        """One round-trip sample from ``peer``: its smoothed value, and the fastest of the term."""
        old = self.rtts.get(peer)
        self.rtts[peer] = sample if old is None else (1 - self.alpha) * old + self.alpha * sample
        self.fastest = sample if self.fastest is None else min(self.fastest, sample)

    def quorum_rtt(self):
        """The round trip to a majority: the smoothed round trip of the follower whose answer completes
        a majority (a slow follower alone does not move it; a slow leader moves them all)."""
        need = self.majority - 1
        if need < 1 or len(self.rtts) < need:
            return None
        return sorted(self.rtts.values())[need - 1]

    def degraded(self) -> bool:
        """The precursor signal: is our round trip to a majority far above its best, and above the floor?"""
        q = self.quorum_rtt()
        return q is not None and q > self.transfer_floor and q > self.transfer_factor * self.fastest

    def maybe_transfer(self, ctx) -> None:
        """Leaders: when degraded, send TimeoutNow to the follower that is furthest along.

        The thesis (§3.10) first brings the successor's log fully up to date. A leader that is
        already slow cannot afford the wait (its queue only grows), so this one hands over at once
        to the follower with the highest ``matchIndex``; should that follower lack an entry that a
        majority holds, the election restriction makes it lose, and an ordinary election follows.
        """
        if self.told or not self.degraded() or not self.peers:
            return
        self.transferring = max(sorted(self.peers), key=lambda p: self.match_index[p])
        ctx.observe("transfer", self.transferring)
        ctx.send(self.transferring, TimeoutNow(self.current_term, self.id))
        self.told = True

    # -- the successor -----------------------------------------------------------------
    def on_message(self, ctx, src, msg):
        if isinstance(msg, TimeoutNow):
            self.on_timeout_now(ctx, src, msg)
        else:
            super().on_message(ctx, src, msg)

    def on_timeout_now(self, ctx, src, m: TimeoutNow) -> None:
        """A follower told by its leader of this term to take over: start an election now."""
        if m.term != self.current_term or self.role == LEADER:
            return
        ctx.observe("timeout_now", src)
        self.leader_id = None
        self.start_election(ctx)
