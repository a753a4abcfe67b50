"""The client side of a Raft server: hold a client's request, find the leader, answer once applied.

A client hands its request to any server. Figure 2 says nothing of clients; §8 of [1]_
and chapter 6 of [2]_ do, and :class:`ClientRequests` follows them:

* a follower forwards the request to the leader it knows (or answers a forwarded request
  with "not me, try ``leader_hint``"), and keeps the requests its own clients gave it in
  ``pending``, re-sending them every ``client_retry`` seconds until they are applied (a
  real client would retry; here the server does it for the client, so that every request
  of a run has a fate the checkers can read);
* the leader appends the request to its log once per term and answers when the entry is
  applied;
* the state machine's session table (:class:`~dsysedu.protocols.consensus.raft.state_machine.KeyValueStore`)
  applies each ``(client_id, seq)`` once, and answers a request it already applied from
  the table.

:class:`ClientRequests` is a mixin of :class:`~dsysedu.protocols.consensus.raft.node.Raft`:
its methods read the node's ``role``, ``leader_id``, ``log``, ``last_applied`` and
``state_machine``, and call ``append``, ``replicate`` and ``advance_commit_index``; its own
fields (``pending``, ``waiting``, ``hint``) are set by ``Raft.__init__`` with the rest of the
node's state.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §8.
.. [2] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §6.
"""
from __future__ import annotations

from .messages import LEADER, ClientReply, ClientRequest, Command

__all__ = ["ClientRequests"]


class ClientRequests:
    """The handlers of a Raft server for its clients' requests (a mixin of ``Raft``).

    Observations: ``redirect`` ``(client_id, seq, leader)`` when the node forwards a client's
    request, and ``ack`` ``(client_id, seq)`` when the node a client asked learns that its
    command was applied.
    """

    def on_client_request(self, ctx, src, m: ClientRequest) -> None:
        rid = (m.client_id, m.seq)
        if src is None and rid not in self.pending:
            self.pending[rid] = m  # we answer this client: keep its request until it is applied
            ctx.set_timer("client_retry", self.client_retry)
        if self.state_machine.answered(rid):
            self._answer(ctx, rid, self.state_machine.result_of(rid), src)   # from the session table
        elif self.role == LEADER:
            if src is not None:
                self.waiting[rid] = src
            self._propose(ctx, m)
        elif src is not None:
            ctx.send(src, ClientReply(m.client_id, m.seq, False, self.leader_id))  # redirect
        else:
            self._forward(ctx, m)

    def on_client_reply(self, ctx, src, m: ClientReply) -> None:
        rid = (m.client_id, m.seq)
        if rid not in self.pending:
            return
        if m.ok:
            del self.pending[rid]
            ctx.observe("ack", rid)
        elif m.leader_hint is not None and m.leader_hint != self.id:
            self.hint = m.leader_hint   # used at the next retry

    def _propose(self, ctx, m: ClientRequest) -> None:
        rid = (m.client_id, m.seq)
        for term, command in self.log[self.last_applied - self.snapshot_index:]:
            if term == self.current_term and isinstance(command, Command) and (command.client_id, command.seq) == rid:
                return  # already in the log in our term, on its way to commit
        # Not yet in our term. An entry of an older term would wait for an entry of ours to be
        # committed (Figure 8); with no noop and no other clients, none would come, so we append
        # the request again: the state machine applies it once, whichever entry commits first.
        self.append(ctx, Command(m.client_id, m.seq, m.command))
        self.replicate(ctx)
        self.advance_commit_index(ctx)  # a cluster of one commits at once

    def _forward(self, ctx, m: ClientRequest) -> None:
        target = self.leader_id if self.leader_id is not None else self.hint
        if target is not None and target != self.id:
            ctx.observe("redirect", (m.client_id, m.seq, target))
            ctx.send(target, m)

    def _answer(self, ctx, rid, result, src=None) -> None:
        if rid in self.pending:
            del self.pending[rid]
            ctx.observe("ack", rid)
        peer = self.waiting.pop(rid, None) if src is None else src
        if peer is not None:
            ctx.send(peer, ClientReply(rid[0], rid[1], True, self.leader_id, result))

    def serve_pending(self, ctx) -> None:
        """Re-send the requests our clients are still waiting for (the ``client_retry`` timer)."""
        for rid in sorted(self.pending, key=repr):
            m = self.pending[rid]
            if self.role == LEADER:
                self._propose(ctx, m)
            else:
                self._forward(ctx, m)
        if self.pending:
            ctx.set_timer("client_retry", self.client_retry)
