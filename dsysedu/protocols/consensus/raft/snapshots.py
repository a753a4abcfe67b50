"""Log compaction: snapshots of the state machine, and InstallSnapshot for followers left behind.

A Raft log grows with every command, for ever. §7 of [1]_ compacts it: once a prefix of the
log is applied, the state machine *is* that prefix, so a server writes the state machine down
(a snapshot, with the index and term of the last entry it covers) and throws the prefix away.
:class:`CompactingRaft` does it every ``snapshot_every`` applied entries:

* the snapshot holds the key-value store and its session table at ``snapshot_index``, and is
  durable with ``snapshot_index`` and ``snapshot_term``; after a crash the server starts from it;
* the consistency check of AppendEntries uses ``snapshot_index``/``snapshot_term`` for the entry
  just before the log (Figure 13: "lastIncludedIndex, lastIncludedTerm");
* a leader that must send a follower entries it has already compacted (the follower was down or
  cut off for long) sends its snapshot instead, in chunks of ``chunk_size`` items (the
  ``InstallSnapshot`` RPC of Figure 13, with ``offset`` and ``done``); the follower keeps the
  entries after the snapshot if its log agrees there, and otherwise discards its log.

Only committed, applied entries are ever compacted: a snapshot never contains a command that a
later leader could still overwrite. :class:`RaftSnapshotsUncommitted` breaks that rule on
purpose, and the checkers (state machine safety, and :func:`snapshot_agreement`: two snapshots
of one index hold the same state) catch it.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §7 and Figure 13.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dsysedu.check import Verdict
from dsysedu.sim.validate import positive_int
from .messages import CANDIDATE, LEADER, PRECANDIDATE
from .node import Raft
from .state_machine import KeyValueStore

__all__ = ["InstallSnapshot", "InstallSnapshotReply", "CompactingRaft", "RaftSnapshotsUncommitted",
           "snapshot_agreement", "state_digest", "snapshot_scenario", "transfer_chunks"]


@dataclass(frozen=True)
class InstallSnapshot:
    """One chunk of the leader's snapshot: ``data`` holds items ``offset..offset+len(data)-1``."""
    term: int
    leader_id: object
    last_index: int
    last_term: int
    offset: int
    data: tuple
    done: bool


@dataclass(frozen=True)
class InstallSnapshotReply:
    """``next_offset``: the chunk the follower expects next (``done``: it has installed the snapshot)."""
    term: int
    last_index: int
    next_offset: int
    done: bool


def state_digest(store: KeyValueStore) -> str:
    """A short fingerprint of a state machine (equal stores, equal digests, on every run)."""
    return hashlib.sha256(repr((store.data, store.sessions)).encode()).hexdigest()[:12]


def _items(store: KeyValueStore) -> tuple:
    return tuple(("d", k, v) for k, v in store.data) + tuple(("s", r, v) for r, v in store.sessions)


def _store(items) -> KeyValueStore:
    return KeyValueStore(tuple((k, v) for tag, k, v in items if tag == "d"),
                         tuple((r, v) for tag, r, v in items if tag == "s"))


class CompactingRaft(Raft):
    """Raft with snapshots every ``snapshot_every`` applied entries and InstallSnapshot in chunks.

    Parameters
    ----------
    snapshot_every : int
        Take a snapshot each time the applied index reaches a multiple of this.
    chunk_size : int
        Items (keys and session records) per InstallSnapshot message.
    **kwargs
        As :class:`~dsysedu.protocols.consensus.raft.node.Raft`.

    Notes
    -----
    Observations: Raft's, plus ``snapshot`` ``(index, term, digest)`` when a server takes or
    installs a snapshot, ``installed`` ``(index, term, leader, kept)`` when a follower installs its
    leader's (``kept``: it kept the entries after the snapshot), and ``chunk`` ``(follower, offset)``
    for each chunk a leader sends.
    """

    durable = Raft.durable + ("snapshot_index", "snapshot_term", "snapshot")
    state_fields = Raft.state_fields + ("snapshot_index", "snapshot_term", "snapshot", "sending", "receiving")

    def __init__(self, node_id, peers=(), snapshot_every=16, chunk_size=4, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.snapshot_every = positive_int("CompactingRaft snapshot_every", snapshot_every, high=100_000)
        self.chunk_size = positive_int("CompactingRaft chunk_size", chunk_size, high=100_000)
        self.snapshot = KeyValueStore()
        self.sending: dict = {}      # leader: follower -> offset of the chunk on its way
        self.receiving = None        # follower: (last_index, last_term, items so far)

    # -- start and recovery ----------------------------------------------------------------
    def on_start(self, ctx):
        if self.snapshot_index:   # after a crash: the state machine starts from the snapshot
            self.state_machine = self.snapshot
            self.last_applied = self.commit_index = self.snapshot_index
        super().on_start(ctx)

    # -- taking snapshots ---------------------------------------------------------------------
    def applied(self, ctx, index: int) -> None:
        if index % self.snapshot_every == 0:
            self.take_snapshot(ctx, index)

    def take_snapshot(self, ctx, index: int) -> None:
        """Write the state machine down as of ``index`` (applied) and drop the log up to it."""
        term = self.term_at(index)
        self.log = self.log[index - self.snapshot_index:]
        self.snapshot_index, self.snapshot_term = index, term
        self.snapshot = self.state_machine
        ctx.observe("snapshot", (index, term, state_digest(self.snapshot)))

    # -- the leader: entries it no longer has go as a snapshot ----------------------------------
    def become_leader(self, ctx) -> None:
        self.sending = {}
        super().become_leader(ctx)

    def send_append_entries(self, ctx, peer) -> None:
        if self.next_index[peer] <= self.snapshot_index:
            self.send_snapshot_chunk(ctx, peer)
        else:
            super().send_append_entries(ctx, peer)

    def send_snapshot_chunk(self, ctx, peer) -> None:
        items = _items(self.snapshot)
        offset = self.sending.get(peer, 0)
        if offset > len(items):
            offset = 0
        data = items[offset:offset + self.chunk_size]
        done = offset + len(data) >= len(items)
        self.sending[peer] = offset
        ctx.observe("chunk", (peer, offset))
        ctx.send(peer, InstallSnapshot(self.current_term, self.id, self.snapshot_index, self.snapshot_term, offset,
                                       data, done))

    def on_install_snapshot_reply(self, ctx, src, m: InstallSnapshotReply) -> None:
        if m.term > self.current_term:
            self._step_down(ctx, m.term)
            return
        if self.role != LEADER or m.term != self.current_term or src not in self.next_index:
            return
        self.heard_from = self.heard_from | {src}
        if m.last_index != self.snapshot_index:
            self.sending.pop(src, None)   # an answer about an older snapshot: start over with ours
            self.send_append_entries(ctx, src)
            return
        if m.done:
            self.sending.pop(src, None)
            self.match_index[src] = max(self.match_index[src], m.last_index)
            self.next_index[src] = max(self.next_index[src], m.last_index + 1)
            self.advance_commit_index(ctx)
            if self.next_index[src] <= self.last_log_index():
                self.send_append_entries(ctx, src)
        elif m.next_offset != self.sending.get(src):
            # the follower wants the chunk at next_offset (the next one, or a restart after it lost
            # what it had); an answer asking for the chunk already on its way changes nothing: without
            # this rule every heartbeat's resent chunk would start one more chain of chunks
            self.sending[src] = m.next_offset
            self.send_snapshot_chunk(ctx, src)

    # -- the follower ------------------------------------------------------------------------
    def on_install_snapshot(self, ctx, src, m: InstallSnapshot) -> None:
        if m.term < self.current_term:
            ctx.send(src, InstallSnapshotReply(self.current_term, m.last_index, 0, False))
            return
        if m.term > self.current_term or self.role in (CANDIDATE, PRECANDIDATE):
            self._step_down(ctx, m.term)
        elif self.role == LEADER:
            return   # two leaders in one term: only a broken variant gets here
        self.note_leader(ctx, m.leader_id)
        self.hint = None
        self._reset_election_timer(ctx)
        if m.last_index <= self.snapshot_index or m.last_index <= self.commit_index:
            # we have all of it already (committed or compacted): nothing to install
            ctx.send(src, InstallSnapshotReply(self.current_term, m.last_index, 0, True))
            return
        if m.offset == 0:
            self.receiving = (m.last_index, m.last_term, ())
        if self.receiving is None or self.receiving[:2] != (m.last_index, m.last_term) \
                or m.offset != len(self.receiving[2]):
            expected = 0 if self.receiving is None or self.receiving[:2] != (m.last_index, m.last_term) \
                else len(self.receiving[2])
            ctx.send(src, InstallSnapshotReply(self.current_term, m.last_index, expected, False))
            return
        self.receiving = (m.last_index, m.last_term, self.receiving[2] + m.data)
        if not m.done:
            ctx.send(src, InstallSnapshotReply(self.current_term, m.last_index, len(self.receiving[2]), False))
            return
        self.install(ctx, m.last_index, m.last_term, _store(self.receiving[2]), src)
        self.receiving = None
        ctx.send(src, InstallSnapshotReply(self.current_term, m.last_index, 0, True))

    def install(self, ctx, index: int, term: int, store: KeyValueStore, leader) -> None:
        """Figure 13, steps 6-8: keep the entries after the snapshot if the log agrees there, else
        discard the log; the state machine becomes the snapshot."""
        kept = self.snapshot_index < index <= self.last_log_index() and self.term_at(index) == term
        self.log = self.log[index - self.snapshot_index:] if kept else ()
        self.snapshot_index, self.snapshot_term, self.snapshot = index, term, store
        self.state_machine = store
        self.last_applied = index
        ctx.observe("installed", (index, term, leader, kept))   # first: the checkers rebuild the log from it
        ctx.observe("snapshot", (index, term, state_digest(store)))
        if index > self.commit_index:
            self.commit_index = index
            ctx.observe("commit_index", index)
        ctx.observe("log_len", self.last_log_index())
        ctx.observe("last_entry", (self.last_log_index(), self.last_log_term()))
        for rid in sorted(self.pending, key=repr):   # requests the snapshot already answers
            if store.answered(rid):
                self._answer(ctx, rid, store.result_of(rid))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, InstallSnapshot):
            self.on_install_snapshot(ctx, src, msg)
        elif isinstance(msg, InstallSnapshotReply):
            self.on_install_snapshot_reply(ctx, src, msg)
        else:
            super().on_message(ctx, src, msg)


class RaftSnapshotsUncommitted(CompactingRaft):
    """BROKEN on purpose: a snapshot covers the whole log, committed or not.

    When the log holds ``snapshot_every`` entries past the last snapshot, the server applies
    all of them (committed or not) and compacts: a command that a later leader overwrites is
    already in the state machine and in the snapshot, and is installed on followers.
    """

    def apply_committed(self, ctx) -> None:
        super().apply_committed(ctx)
        last = self.last_log_index()
        if last - self.snapshot_index >= self.snapshot_every and last > self.last_applied:
            while self.last_applied < last:
                self.last_applied += 1
                command = self.entry(self.last_applied)[1]
                self.apply(command)
                ctx.observe("applied", (self.last_applied, command))
            self.take_snapshot(ctx, last)

    def append(self, ctx, command) -> None:
        super().append(ctx, command)
        self.apply_committed(ctx)


def transfer_chunks(trace, since: float):
    """The chunks a leader sent from ``since`` up to the first install after it (``chunk``
    observations, ``value`` = ``(follower, offset)``); ValueError if nothing was installed then."""
    installed = trace.observations("installed")
    installed = installed[installed.time > since]
    if installed.empty:
        raise ValueError(f"no snapshot was installed after t={since}")
    chunks = trace.observations("chunk")
    return chunks[(chunks.time > since) & (chunks.time <= installed.time.iloc[0])]


def snapshot_agreement(trace) -> Verdict:
    """Two snapshots of the same index hold the same state (compared by digest)."""
    prop = "snapshot agreement"
    first: dict = {}
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "snapshot":
            index, _term, digest = r[6]
            have = first.setdefault(index, (digest, seq, r[2]))
            if have[0] != digest:
                return Verdict(False, prop, f"index {index}: node {have[2]!r} and node {r[2]!r} hold different "
                                            f"snapshots", (have[1], seq))
    return Verdict(True, prop, f"{len(first)} snapshot indexes, one state each")


def snapshot_scenario(protocol=CompactingRaft, *, snapshot_every: int = 4, chunk_size: int = 1, seed: int = 0,
                      **params) -> "Scenario":
    """A follower cut off while the others commit and compact: it comes back to an InstallSnapshot.

    Three servers with PreVote, 10 ms links; server 0 times out first and leads. Server 2 is cut
    off from 0.2 s to 1.2 s while 14 client commands (``k=0`` ... ``k=13``) arrive, one every
    50 ms from 0.3 s. Servers 0 and 1 take a snapshot every ``snapshot_every`` applied entries;
    when server 2 returns, the entries it lacks are gone from the leader's log, and the leader
    sends its snapshot in chunks of ``chunk_size`` items.
    """
    from dsysedu.sim.faults import Partition
    from dsysedu.sim.network import LinkModel
    from dsysedu.sim.scenario import Input, Scenario
    from .messages import ClientRequest
    inputs = [Input(0.3 + 0.05 * i, 0, ClientRequest("c", i + 1, ("set", "k", i))) for i in range(14)]
    base = dict({"snapshot_every": snapshot_every, "chunk_size": chunk_size, "prevote": True}, **params)
    return Scenario(protocol, nodes=3, params=base, node_params={0: {"election_timeout": 0.05}},
                    link=LinkModel(latency=0.01), faults=[Partition(((0, 1), (2,)), at=0.2, until=1.2)],
                    inputs=inputs, until=2.0, seed=seed, name=f"a follower behind a snapshot ({protocol.__name__})")
