"""Reading from a Raft cluster: through the log, with ReadIndex, or under a leader lease.

A read changes nothing, so writing it into the log (the ``"log"`` path: a ``get`` command like
any other) is correct but pays a log append, replication and a disk write per read. Chapter 6.4
of [1]_ gives two cheaper paths for the leader, and :class:`ReadRaft` implements both:

``"read_index"`` (ReadIndex, [1]_ §6.4)
    1. The leader must have committed an entry of its own term (its no-op), so that its commit
       index is at least that of any earlier leader. 2. It records its commit index as the read
       index. 3. It sends a round of heartbeats (``ReadPing``) and waits for a majority to answer
       in its term: then no newer leader can have existed when the read began. 4. Once it has
       applied up to the read index, it answers from its state machine. One round trip, no log
       write; safe whatever the clocks do.
``"lease"`` (leader leases, [1]_ §6.4.1)
    The leader counts a lease from the moment it *sent* a heartbeat round that a majority
    answered, and for ``lease`` seconds of its own clock it answers reads at once, without a
    round trip. This is safe only if no other leader can be elected within the lease: the
    followers must ignore candidates while they hear from a leader (CheckQuorum's vote lease,
    so ``check_quorum=True`` is required), and the lease must be shorter than the election
    timeout *as the followers measure it*. A clock that runs slow, or jumps back, stretches the
    lease in real time: then a deposed leader answers from a stale state machine.
``"local"`` (BROKEN on purpose)
    The leader answers from its state machine at once, with no check at all: a leader cut off
    by a partition keeps answering after the majority has elected another and moved on.

When the lease has run out, the lease path falls back to ReadIndex (as etcd does).

References
----------
.. [1] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §6.4.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.validate import number
from .messages import FOLLOWER, LEADER, ClientReply, ClientRequest
from .node import Raft

__all__ = ["ReadPing", "ReadPingAck", "ReadRaft", "READ_PATHS", "trusted_drift"]

READ_PATHS = ("log", "read_index", "lease", "local")


def trusted_drift(lease: float, election_timeout: float) -> float:
    """The clock drift a lease tolerates: the largest ``rho`` with ``lease * (1 + rho) <= election_timeout * (1 - rho)``.

    A lease counted on a clock that runs slow by ``rho`` lasts ``lease / (1 - rho)`` of real time;
    a follower whose clock runs fast by ``rho`` ends its vote lease after ``election_timeout / (1 + rho)``.
    The lease is safe while the first ends before the second.

    >>> round(trusted_drift(0.135, 0.15), 4)
    0.0526
    """
    lease = number("trusted_drift lease", lease, low=0.0, low_open=True)
    timeout = number("trusted_drift election_timeout", election_timeout, low=0.0, low_open=True)
    if lease > timeout:
        raise ValueError(f"a lease of {lease} s is longer than the election timeout of {timeout} s: it trusts no drift "
                         "at all and is unsafe even with perfect clocks")
    return (timeout - lease) / (timeout + lease)


@dataclass(frozen=True)
class ReadPing:
    """The leader asks: am I still your leader? (a heartbeat round, numbered)."""
    term: int
    leader_id: object
    round: int


@dataclass(frozen=True)
class ReadPingAck:
    term: int
    round: int


class ReadRaft(Raft):
    """Raft with a choice of read path for ``get`` requests from client nodes.

    Parameters
    ----------
    read_path : str
        One of :data:`READ_PATHS`.
    lease : float or None
        Lease length in seconds of the leader's own clock (``"lease"`` only); default 90 % of
        ``election_timeout``, which tolerates clocks about 5.3 % apart (:func:`trusted_drift`).
        A lease longer than ``election_timeout`` is refused.
    **kwargs
        As :class:`~dsysedu.protocols.consensus.raft.node.Raft`.

    Notes
    -----
    Observations: ``read`` ``(client_id, seq, path, read_index)`` when a read is answered without
    the log (``path`` is ``"read_index"``, ``"lease"`` or ``"local"``); ``lease_until`` the leader's
    lease end (its own clock) when a heartbeat round renews it.
    """

    state_fields = Raft.state_fields + ("reads", "ping_round", "ping_acks", "lease_until")

    def __init__(self, node_id, peers=(), read_path="read_index", lease=None, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        if read_path not in READ_PATHS:
            raise ValueError(f"ReadRaft read_path must be one of {READ_PATHS}, got {read_path!r}")
        self.read_path = read_path
        if read_path == "lease" and not self.check_quorum:
            raise ValueError("ReadRaft read_path='lease' needs check_quorum=True: without the vote lease a "
                             "follower votes for a new leader while the old one still trusts its lease")
        default = 0.9 * self.election_timeout
        self.lease = number("ReadRaft lease", default if lease is None else lease, low=0.0, low_open=True)
        trusted_drift(self.lease, self.election_timeout)   # refuses a lease longer than the election timeout
        self.reads: tuple = ()        # (client_id, seq, client, key, read_index or None, round)
        self.ping_round = 0
        self.ping_sent: dict = {}     # round -> the leader's clock when it was sent
        self.ping_acks: dict = {}     # round -> peers that answered it in our term
        self.confirmed = 0            # highest round a majority answered
        self.lease_until = float("-inf")
        self.quorum_clock = 0.0       # the leader's clock when it sent the last round a majority answered

    # -- the leader's rounds ---------------------------------------------------------------
    def send_ping(self, ctx) -> int:
        self.ping_round += 1
        r = self.ping_round
        self.ping_sent[r] = ctx.clock()
        self.ping_acks[r] = frozenset()
        for p in self.peers:
            ctx.send(p, ReadPing(self.current_term, self.id, r))
        if len(self.peers) == 0:
            self._confirm(ctx, r)
        return r

    def on_timer(self, ctx, name):
        if name == "check_quorum" and self.read_path == "lease":
            self.check_quorum_by_clock(ctx)
            return
        super().on_timer(ctx, name)
        if name == "heartbeat" and self.role == LEADER and self.read_path == "lease":
            self.send_ping(ctx)   # renew the lease with every heartbeat

    def check_quorum_by_clock(self, ctx) -> None:
        """CheckQuorum, measured like the lease: by the leader's own clock since the last round a
        majority answered. (A real server measures both with one clock; a slow one stretches both.)"""
        if self.role != LEADER:
            return
        if ctx.clock() - self.quorum_clock > self.election_timeout:
            self._step_down(ctx, self.current_term)
        else:
            ctx.set_timer("check_quorum", self.election_timeout)

    def become_leader(self, ctx) -> None:
        self.reads, self.ping_sent, self.ping_acks, self.confirmed = (), {}, {}, 0
        self.lease_until = float("-inf")
        self.quorum_clock = ctx.clock()
        super().become_leader(ctx)
        if self.read_path == "lease":
            self.send_ping(ctx)

    def _step_down(self, ctx, term) -> None:
        self.reads = ()   # their clients time out and ask again, elsewhere
        self.lease_until = float("-inf")
        super()._step_down(ctx, term)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, ReadPing):
            self.on_read_ping(ctx, src, msg)
        elif isinstance(msg, ReadPingAck):
            self.on_read_ping_ack(ctx, src, msg)
        else:
            super().on_message(ctx, src, msg)

    def on_read_ping(self, ctx, src, m: ReadPing) -> None:
        """A follower treats the ping as a heartbeat of the leader of its term (no entries)."""
        if m.term < self.current_term:
            ctx.send(src, ReadPingAck(self.current_term, m.round))   # a deposed leader: it steps down
            return
        if m.term == self.current_term and self.role == LEADER:
            return   # two leaders in one term: only a broken variant gets here
        if m.term > self.current_term or self.role != FOLLOWER:
            self._step_down(ctx, m.term)
        self.note_leader(ctx, m.leader_id)
        self._reset_election_timer(ctx)
        ctx.send(src, ReadPingAck(self.current_term, m.round))

    def on_read_ping_ack(self, ctx, src, m: ReadPingAck) -> None:
        if m.term > self.current_term:
            self._step_down(ctx, m.term)
            return
        if self.role != LEADER or m.term != self.current_term or m.round not in self.ping_acks:
            return
        self.heard_from = self.heard_from | {src}
        self.ping_acks[m.round] = self.ping_acks[m.round] | {src}
        if 1 + len(self.ping_acks[m.round]) >= self.majority:
            self._confirm(ctx, m.round)

    def _confirm(self, ctx, r: int) -> None:
        if r > self.confirmed:
            self.confirmed = r
            self.quorum_clock = max(self.quorum_clock, self.ping_sent[r])
            if self.read_path == "lease":
                self.lease_until = max(self.lease_until, self.ping_sent[r] + self.lease)
                ctx.observe("lease_until", self.lease_until)
        for old in [k for k in self.ping_acks if k <= r]:
            del self.ping_acks[old]
            self.ping_sent.pop(old, None)
        self._serve_reads(ctx)

    # -- reads -------------------------------------------------------------------------------
    def committed_in_term(self) -> bool:
        return self.commit_index > 0 and self.term_at(self.commit_index) == self.current_term

    def on_client_request(self, ctx, src, m: ClientRequest) -> None:
        if (self.read_path == "log" or src is None or src in self.peers or self.role != LEADER
                or not m.command or m.command[0] != "get"):
            super().on_client_request(ctx, src, m)
            return
        key = m.command[1]
        if self.read_path == "local":
            self._answer_read(ctx, (m.client_id, m.seq, src, key, None, 0), "local")
            return
        if (self.read_path == "lease" and self.committed_in_term() and ctx.clock() < self.lease_until
                and self.last_applied >= self.commit_index):
            self._answer_read(ctx, (m.client_id, m.seq, src, key, self.commit_index, 0), "lease")
            return
        read_index = self.commit_index if self.committed_in_term() else None
        self.reads = self.reads + ((m.client_id, m.seq, src, key, read_index, self.send_ping(ctx)),)

    def apply_committed(self, ctx) -> None:
        super().apply_committed(ctx)
        if self.role == LEADER and self.reads:
            self._serve_reads(ctx)

    def _serve_reads(self, ctx) -> None:
        keep = []
        for read in self.reads:
            cid, seq, client, key, read_index, r = read
            if read_index is None and self.committed_in_term():
                read_index = self.commit_index   # step 1 done: the no-op of our term is committed
                read = (cid, seq, client, key, read_index, r)
            if read_index is not None and r <= self.confirmed and self.last_applied >= read_index:
                self._answer_read(ctx, read, "read_index")
            else:
                keep.append(read)
        self.reads = tuple(keep)

    def _answer_read(self, ctx, read, path: str) -> None:
        cid, seq, client, key, read_index, _ = read
        ctx.observe("read", (cid, seq, path, read_index))
        ctx.send(client, ClientReply(cid, seq, True, self.id, self.state_machine.get(key)))
