"""A Raft leader that knows what it has in flight: entries are sent once, unless something was lost.

Figure 2 tells the leader to send each follower "log entries starting at nextIndex", and
:class:`~dsysedu.protocols.consensus.raft.node.Raft` does that on every heartbeat. But
``nextIndex`` moves only when a reply comes back, so a heartbeat that fires while an
AppendEntries is on its way sends the same entries again: with 5-15 ms links and 50 ms
heartbeats, about one command in two travels twice (chapter 3.1's cost experiment).

:class:`PipelinedRaft` tracks what is in flight, as etcd's and the thesis's implementations
do ([1]_ §10.2.1, "pipelining"):

* after sending entries up to index ``i`` to a follower, the leader moves ``nextIndex`` to
  ``i + 1`` at once (optimistically) and may send the next batch before the first is
  acknowledged, up to ``window`` AppendEntries in flight per follower;
* a heartbeat to a follower with entries in flight carries *no* entries and names the last
  index the follower is known to hold (``matchIndex``), so it always matches and only carries
  the commit index;
* entries are sent again only for a cause: a rejection (the follower's log does not match), or
  no progress for ``retransmit`` seconds (a message lost): then ``nextIndex`` falls back to
  ``matchIndex + 1``.

The safety of Raft is untouched: what changes is only *when* the leader sends what Figure 2
allows it to send.

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §10.2.1.
"""
from __future__ import annotations

from dsysedu.sim.validate import number, positive_int
from .messages import LEADER, AppendEntries, AppendEntriesReply
from .node import Raft

__all__ = ["PipelinedRaft"]


class PipelinedRaft(Raft):
    """Raft whose leader tracks the AppendEntries in flight to each follower.

    Parameters
    ----------
    window : int
        At most this many AppendEntries carrying entries in flight per follower.
    retransmit : float or None
        Seconds without progress after which the leader sends the entries in flight again (a
        loss); default two heartbeats.
    **kwargs
        As :class:`~dsysedu.protocols.consensus.raft.node.Raft`.
    """

    state_fields = Raft.state_fields + ("in_flight", "sent_at", "last_sent")

    def __init__(self, node_id, peers=(), window=4, retransmit=None, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.window = positive_int("PipelinedRaft window", window, high=1000)
        default = 2 * self.heartbeat
        self.retransmit = number("PipelinedRaft retransmit", default if retransmit is None else retransmit,
                                 low=0.0, low_open=True)
        self.in_flight: dict = {}   # follower -> AppendEntries with entries not yet answered
        self.sent_at: dict = {}     # follower -> when the unanswered entries last made progress
        self.last_sent: dict = {}   # follower -> when we last sent it anything

    def become_leader(self, ctx) -> None:
        self.in_flight = {p: 0 for p in self.peers}
        self.sent_at, self.last_sent = {}, {}
        super().become_leader(ctx)

    def replicate(self, ctx) -> None:
        """Send each follower what it lacks, within the window; a follower that heard nothing from
        us for a heartbeat interval gets a heartbeat. Called on every heartbeat and new command."""
        for p in self.peers:
            ahead = self.next_index[p] - 1 > self.match_index[p]
            if ahead and ctx.now - self.sent_at.get(p, ctx.now) >= self.retransmit:
                self.next_index[p] = self.match_index[p] + 1   # no progress: something was lost
                self.in_flight[p] = 0
                ctx.observe("retransmit", (p, self.next_index[p]))
                ahead = False
            if self.next_index[p] <= self.last_log_index() and self.in_flight[p] < self.window:
                self.send_append_entries(ctx, p)
            elif ctx.now - self.last_sent.get(p, -1.0) >= self.heartbeat * 0.999:
                if ahead:
                    self._heartbeat(ctx, p)   # entries on the way: the commit index, from what the follower holds
                else:
                    self.send_append_entries(ctx, p)   # nothing in flight: the plain heartbeat of Figure 2

    def _heartbeat(self, ctx, peer) -> None:
        prev = self.match_index[peer]
        self.last_sent[peer] = ctx.now
        ctx.send(peer, AppendEntries(self.current_term, self.id, prev, self.term_at(prev), (), self.commit_index))

    def send_append_entries(self, ctx, peer) -> None:
        prev = self.next_index[peer] - 1
        entries = self.entries_from(prev + 1, self.max_entries)
        self.last_sent[peer] = ctx.now
        ctx.send(peer, AppendEntries(self.current_term, self.id, prev, self.term_at(prev), entries,
                                     self.commit_index))
        if entries:
            if not self.in_flight.get(peer):
                self.sent_at[peer] = ctx.now   # the oldest unanswered batch starts now
            self.next_index[peer] = prev + len(entries) + 1
            self.in_flight[peer] = self.in_flight.get(peer, 0) + 1

    def on_append_entries_reply(self, ctx, src, m: AppendEntriesReply) -> None:
        if not (self.role == LEADER and m.term == self.current_term and src in self.in_flight):
            super().on_append_entries_reply(ctx, src, m)
            return
        self.heard_from = self.heard_from | {src}
        if not m.success:
            self.in_flight[src] = 0
            super().on_append_entries_reply(ctx, src, m)   # back off and send again (Figure 2)
            return
        if m.index > self.match_index[src]:
            self.in_flight[src] = max(0, self.in_flight[src] - 1)
            self.sent_at[src] = ctx.now
            self.match_index[src] = m.index
            self.advance_commit_index(ctx)
        self.next_index[src] = max(self.next_index[src], m.index + 1)
        if self.next_index[src] <= self.last_log_index() and self.in_flight[src] < self.window:
            self.send_append_entries(ctx, src)   # more to send
