"""Raft: consensus on a replicated log, as Figure 2 of the paper states it.

Every node runs :class:`Raft`. A node is a *follower*, a *candidate* or the *leader*
(and, with PreVote on, a *precandidate*). Time is cut into *terms*; each term begins
with an election, and at most one leader wins it. The leader takes client commands,
appends them to its log and copies the log to the followers with AppendEntries; an
entry is *committed* once the leader has stored it on a majority, and every node
applies committed entries, in log order, to its key-value state machine.

The handlers read like Figure 2 of [1]_: "Rules for Servers", then the receiver
implementation of RequestVote and AppendEntries. What the figure leaves to the text
is marked where it is used: the no-op entry a new leader appends (§8), the faster
back-off hint (end of §5.3), client sessions that apply each command once (§8 and
[2]_ §6.3), PreVote ([2]_ §9.6) and CheckQuorum ([2]_ §6.2, with the vote lease of
§4.2.3). Here the cluster is the node and its neighbours in the scenario, fixed for the
run; single-server membership change ([2]_ §4) is the subclass in :mod:`.membership`.

The safety properties of Figure 3, checked on traces by :mod:`dsysedu.protocols.consensus.raft.properties`:

Election Safety
    at most one leader is elected in a given term;
Leader Append-Only
    a leader never overwrites or deletes entries in its log;
Log Matching
    if two logs contain an entry with the same index and term, the logs are identical
    in all entries up through that index;
Leader Completeness
    if an entry is committed in a term, it is in the logs of the leaders of all higher terms;
State Machine Safety
    no two nodes apply different commands at the same log index.

The package around this module: the messages (:mod:`.messages`), the key-value state
machine with its session table (:mod:`.state_machine`), the client side of a server
(:mod:`.clients`), and deliberately broken variants kept as lesson material
(:mod:`.variants`: the tests show that the checkers catch each one).

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014. Figure 2 (the rules), Figure 3 (the properties), Figure 8 (why a
   leader must not commit an entry of an old term by counting replicas).
.. [2] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014.
"""
from __future__ import annotations

from dsysedu.sim.node import Node
from dsysedu.sim.validate import number, positive_int
from .clients import ClientRequests
from .messages import (CANDIDATE, FOLLOWER, LEADER, NOOP, PRECANDIDATE, AppendEntries, AppendEntriesReply,
                       ClientReply, ClientRequest, Command, PreVote, PreVoteReply, RequestVote, RequestVoteReply)
from .state_machine import KeyValueStore

__all__ = ["Raft"]


class Raft(ClientRequests, Node):
    """One Raft server (Figure 2 of Ongaro & Ousterhout, 2014).

    Parameters
    ----------
    node_id, peers
        Given by the simulator; the cluster is this node and its peers.
    election_timeout : float
        Seconds; each election timer is drawn from ``[election_timeout, 2 * election_timeout]``
        with the node's own random stream.
    heartbeat : float
        Seconds between a leader's AppendEntries rounds (keep it well below ``election_timeout``).
    prevote : bool
        Ask for PreVotes before starting an election, so that a node cut off from the leader
        does not raise its term and disrupt the cluster when it comes back ([2] §9.6).
    check_quorum : bool
        A leader that has not heard from a majority within an election timeout steps down,
        and a follower ignores RequestVotes of higher terms for one minimum election timeout,
        measured on its own clock, after it last heard from its leader ([2] §6.2, §4.2.3).
    fast_backoff : bool
        Followers answer a failed AppendEntries with the conflicting term and its first index,
        so that the leader skips a whole term per round trip instead of one entry (§5.3).
    noop : bool
        A new leader appends a no-op entry of its term at once (§8), which commits the entries
        of earlier terms without waiting for a client.
    max_entries : int
        At most this many entries per AppendEntries.
    client_retry : float
        Seconds between retries of the client requests this node holds for its clients.
    servers : iterable of node ids or None
        The Raft cluster, when the scenario also holds other nodes (clients): only these
        neighbours are peers (voters, log replicas); the others may send client requests and get
        answers. Default: this node and every neighbour.

    Notes
    -----
    Durable (survives a crash): ``current_term``, ``voted_for``, ``log``. Everything else,
    including the state machine (``state_machine``, a
    :class:`~dsysedu.protocols.consensus.raft.state_machine.KeyValueStore`), is rebuilt after
    recovery by applying the log again as the commit index becomes known. Client requests are
    handled by the methods of :class:`~dsysedu.protocols.consensus.raft.clients.ClientRequests`.

    The log is a tuple of ``(term, command)`` entries; index ``i`` (from 1, as in the paper)
    is ``log[i - 1]``. A command is :data:`NOOP` or a :class:`Command`.

    Observations: ``role``, ``term``, ``voted_for``, ``commit_index``, ``log_len``,
    ``last_entry`` (``(index, term)`` or None) whenever they change; ``leader`` (value: the
    term) when a node becomes leader; ``entry`` ``(index, term, command)`` for each entry a node
    writes (the log is cut after ``index``: that is how the checkers rebuild every log);
    ``applied`` ``(index, command)`` for each entry applied; ``redirect``
    ``(client_id, seq, leader)`` when a node forwards a client's request; ``ack``
    ``(client_id, seq)`` when the node a client asked learns that its command was applied.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> trace = run(Scenario(Raft, nodes=3, until=1.0), seed=1)
    >>> sorted(set(trace.observations("leader").value))
    [1]
    """

    durable = ("current_term", "voted_for", "log")
    state_fields = ("current_term", "voted_for", "log", "commit_index", "last_applied", "role", "leader_id",
                    "votes", "next_index", "match_index", "heard_from", "leader_heard_at", "state_machine", "pending", "waiting",
                    "hint")

    needs_complete_graph = True   # the majority is counted among the peers: a ring would elect two leaders

    def __init__(self, node_id, peers=(), election_timeout=0.15, heartbeat=0.05, prevote=False,
                 check_quorum=False, fast_backoff=False, noop=True, max_entries=16, client_retry=0.1,
                 servers=None):
        super().__init__(node_id, peers)
        if servers is not None:
            if isinstance(servers, (str, bytes)) or not hasattr(servers, "__iter__"):
                raise TypeError(f"Raft servers must be a list of node ids, got {servers!r}")
            servers = tuple(servers)
            if node_id not in servers:
                raise ValueError(f"Raft servers {list(servers)!r} must include this node ({node_id!r})")
            missing = [s for s in servers if s != node_id and s not in self.peers]
            if missing:
                raise ValueError(f"Raft servers {missing!r} are not linked to node {node_id!r}")
            self.peers = tuple(p for p in self.peers if p in servers)
        self.election_timeout = number("Raft election_timeout", election_timeout, low=0.0, low_open=True)
        self.heartbeat = number("Raft heartbeat", heartbeat, low=0.0, low_open=True)
        self.client_retry = number("Raft client_retry", client_retry, low=0.0, low_open=True)
        self.max_entries = positive_int("Raft max_entries", max_entries)
        for name, flag in (("prevote", prevote), ("check_quorum", check_quorum), ("fast_backoff", fast_backoff),
                           ("noop", noop)):
            if not isinstance(flag, bool):
                raise TypeError(f"Raft {name} must be True or False, got {flag!r}")
        self.prevote, self.check_quorum, self.fast_backoff, self.noop = prevote, check_quorum, fast_backoff, noop
        self.majority = (len(self.peers) + 1) // 2 + 1
        # persistent state on all servers
        self.current_term = 0
        self.voted_for = None
        self.log: tuple = ()
        # the log's compacted prefix (:mod:`.snapshots`): ``log[0]`` holds index ``snapshot_index + 1``.
        # Plain Raft never compacts: both stay 0 and the log is the whole log.
        self.snapshot_index = 0
        self.snapshot_term = 0
        # volatile state on all servers
        self.commit_index = 0
        self.last_applied = 0
        self.role = FOLLOWER
        self.leader_id = None
        self.leader_heard_at = 0.0   # this node's clock when it last heard from leader_id (check_quorum)
        # volatile state on candidates and leaders
        self.votes = frozenset()
        self.next_index: dict = {}
        self.match_index: dict = {}
        self.heard_from = frozenset()
        # the state machine the log is applied to (with the session table: each request once)
        self.state_machine = KeyValueStore()
        # the clients' requests in progress (see ClientRequests)
        self.pending: dict = {}    # requests clients sent to this node, until applied
        self.waiting: dict = {}    # leader: request forwarded by a peer -> that peer
        self.hint = None           # a leader hint from a redirect

    # -- small helpers -------------------------------------------------------------------
    def last_log_index(self) -> int:
        return self.snapshot_index + len(self.log)

    def last_log_term(self) -> int:
        return self.log[-1][0] if self.log else self.snapshot_term

    def term_at(self, index: int) -> int | None:
        """The term of the entry at ``index`` (0 for index 0; None inside a compacted prefix)."""
        if index == self.snapshot_index:
            return self.snapshot_term
        if index < self.snapshot_index:
            return None
        return self.log[index - self.snapshot_index - 1][0]

    def entry(self, index: int) -> tuple:
        """The ``(term, command)`` entry at ``index`` (above the compacted prefix)."""
        return self.log[index - self.snapshot_index - 1]

    def entries_from(self, index: int, count: int) -> tuple:
        """Up to ``count`` entries from ``index`` on (above the compacted prefix)."""
        start = index - self.snapshot_index - 1
        return self.log[start:start + count]

    def _reset_election_timer(self, ctx) -> None:
        ctx.set_timer("election", ctx.rng.uniform(self.election_timeout, 2 * self.election_timeout))

    def _set_role(self, ctx, role) -> None:
        if role != self.role:
            self.role = role
            ctx.observe("role", role)

    def _set_term(self, ctx, term) -> None:
        self.current_term = term
        ctx.observe("term", term)
        if self.voted_for is not None:
            self.voted_for = None
            ctx.observe("voted_for", None)

    def _set_log(self, ctx, log, first_changed: int) -> None:
        self.log = log
        for i in range(first_changed, self.last_log_index() + 1):
            term, command = self.entry(i)
            ctx.observe("entry", (i, term, command))
        ctx.observe("log_len", self.last_log_index())
        ctx.observe("last_entry", (self.last_log_index(), self.last_log_term()) if self.last_log_index() else None)

    def _step_down(self, ctx, term) -> None:
        """All servers: a message with term T > currentTerm sets currentTerm = T and makes us a follower."""
        was_leader = self.role == LEADER
        if term > self.current_term:
            self._set_term(ctx, term)
        self._set_role(ctx, FOLLOWER)
        self.leader_id = None
        if was_leader:
            ctx.cancel_timer("check_quorum")
            self._reset_election_timer(ctx)
        ctx.cancel_timer("heartbeat")   # a follower neither sends heartbeats nor asks for votes

    # -- start ---------------------------------------------------------------------------
    def on_start(self, ctx):
        ctx.observe("role", self.role)
        ctx.observe("term", self.current_term)
        ctx.observe("voted_for", self.voted_for)
        ctx.observe("commit_index", self.commit_index)
        ctx.observe("log_len", self.last_log_index())
        ctx.observe("last_entry", (self.last_log_index(), self.last_log_term()) if self.last_log_index() else None)
        self._reset_election_timer(ctx)

    # -- timers --------------------------------------------------------------------------
    def on_timer(self, ctx, name):
        if name == "election":
            self.election_timeout_elapsed(ctx)
        elif name == "heartbeat":
            if self.role == LEADER:
                self.replicate(ctx)
                ctx.set_timer("heartbeat", self.heartbeat)
            elif self.role in (CANDIDATE, PRECANDIDATE):
                self.request_votes(ctx)   # servers retry RPCs that get no answer (§5.1)
                ctx.set_timer("heartbeat", self.heartbeat)
        elif name == "check_quorum":
            if self.role == LEADER:
                if len(self.heard_from | {self.id}) < self.majority:
                    self._step_down(ctx, self.current_term)   # cut off from a majority: stop leading
                else:
                    self.heard_from = frozenset()
                    ctx.set_timer("check_quorum", self.election_timeout)
        elif name == "client_retry":
            self.serve_pending(ctx)

    def election_timeout_elapsed(self, ctx) -> None:
        """Followers (and candidates): no word from a leader, no vote granted: start an election."""
        if self.role == LEADER:
            return
        self.leader_id = None
        if self.prevote:
            self.start_prevote(ctx)
        else:
            self.start_election(ctx)

    def start_prevote(self, ctx) -> None:
        self._set_role(ctx, PRECANDIDATE)
        self.votes = frozenset({self.id})
        self._reset_election_timer(ctx)
        if len(self.votes) >= self.majority:
            self.start_election(ctx)
            return
        self.request_votes(ctx)
        ctx.set_timer("heartbeat", self.heartbeat)

    def start_election(self, ctx) -> None:
        """Candidates: increment currentTerm, vote for self, reset the election timer, send RequestVote."""
        self.current_term += 1
        ctx.observe("term", self.current_term)
        self._set_role(ctx, CANDIDATE)
        self.voted_for = self.id
        ctx.observe("voted_for", self.id)
        self.votes = frozenset({self.id})
        self._reset_election_timer(ctx)
        if len(self.votes) >= self.majority:
            self.become_leader(ctx)
            return
        self.request_votes(ctx)
        ctx.set_timer("heartbeat", self.heartbeat)

    def request_votes(self, ctx) -> None:
        """Ask every peer whose vote we do not have yet (a PreVote when we are a precandidate)."""
        kind = PreVote if self.role == PRECANDIDATE else RequestVote
        term = self.current_term + 1 if self.role == PRECANDIDATE else self.current_term
        msg = kind(term, self.id, self.last_log_index(), self.last_log_term())
        for p in self.peers:
            if p not in self.votes:
                ctx.send(p, msg)

    def become_leader(self, ctx) -> None:
        self._set_role(ctx, LEADER)
        self.leader_id = self.id
        ctx.observe("leader", self.current_term)
        ctx.cancel_timer("election")
        self.next_index = {p: self.last_log_index() + 1 for p in self.peers}
        self.match_index = {p: 0 for p in self.peers}
        if self.noop:
            self.append(ctx, NOOP)
        self.replicate(ctx)
        ctx.set_timer("heartbeat", self.heartbeat)
        if self.check_quorum:
            self.heard_from = frozenset()
            ctx.set_timer("check_quorum", self.election_timeout)
        if len(self.peers) == 0:
            self.advance_commit_index(ctx)

    # -- messages ------------------------------------------------------------------------
    def on_message(self, ctx, src, msg):
        match msg:
            case AppendEntries():
                self.on_append_entries(ctx, src, msg)
            case AppendEntriesReply():
                self.on_append_entries_reply(ctx, src, msg)
            case RequestVote():
                self.on_request_vote(ctx, src, msg)
            case RequestVoteReply():
                self.on_request_vote_reply(ctx, src, msg)
            case PreVote():
                self.on_pre_vote(ctx, src, msg)
            case PreVoteReply():
                self.on_pre_vote_reply(ctx, src, msg)
            case ClientRequest():
                self.on_client_request(ctx, src, msg)
            case ClientReply():
                self.on_client_reply(ctx, src, msg)

    # RequestVote RPC, receiver implementation
    def log_ok(self, last_log_index: int, last_log_term: int) -> bool:
        """Is a candidate's log at least as up-to-date as ours (§5.4.1)? Later last term wins;
        with equal last terms, the longer log wins."""
        mine = self.last_log_term()
        return last_log_term > mine or (last_log_term == mine and last_log_index >= self.last_log_index())

    def note_leader(self, ctx, leader) -> None:
        """A message from the leader of our term: remember who leads, and when (on our own clock)."""
        self.leader_id = leader
        self.leader_heard_at = ctx.clock()

    def in_vote_lease(self, ctx) -> bool:
        """Do we still hear from a leader? A leader does; a follower for one minimum election
        timeout on its own clock after the leader's last message ([2] §4.2.3). A fast clock
        shortens this in real time, a slow one stretches it."""
        if self.leader_id is None:
            return False
        return self.role == LEADER or ctx.clock() - self.leader_heard_at < self.election_timeout

    def on_request_vote(self, ctx, src, m: RequestVote) -> None:
        if self.check_quorum and m.term > self.current_term and self.in_vote_lease(ctx):
            return  # we hear from a leader: a disruptive candidate gets no answer ([2] §4.2.3)
        if m.term > self.current_term:
            self._step_down(ctx, m.term)
        grant = (m.term == self.current_term and self.voted_for in (None, m.candidate_id)
                 and self.log_ok(m.last_log_index, m.last_log_term))
        if grant:
            if self.voted_for != m.candidate_id:
                self.voted_for = m.candidate_id
                ctx.observe("voted_for", m.candidate_id)
            self._reset_election_timer(ctx)
        ctx.send(src, RequestVoteReply(self.current_term, grant))

    def on_request_vote_reply(self, ctx, src, m: RequestVoteReply) -> None:
        if m.term > self.current_term:
            self._step_down(ctx, m.term)
        elif self.role == CANDIDATE and m.term == self.current_term and m.vote_granted:
            self.votes = self.votes | {src}
            if len(self.votes) >= self.majority:
                self.become_leader(ctx)

    def on_pre_vote(self, ctx, src, m: PreVote) -> None:
        # Grant only if we too have lost the leader (our timer ran out, or we never had one)
        # and would vote for this log in that term. Nobody's term changes.
        grant = (m.term > self.current_term and self.leader_id is None
                 and self.log_ok(m.last_log_index, m.last_log_term))
        ctx.send(src, PreVoteReply(m.term if grant else self.current_term, grant))

    def on_pre_vote_reply(self, ctx, src, m: PreVoteReply) -> None:
        if not m.vote_granted:
            if m.term > self.current_term:
                self._step_down(ctx, m.term)
        elif self.role == PRECANDIDATE and m.term == self.current_term + 1:
            self.votes = self.votes | {src}
            if len(self.votes) >= self.majority:
                self.start_election(ctx)

    # AppendEntries RPC, receiver implementation
    def on_append_entries(self, ctx, src, m: AppendEntries) -> None:
        # 1. Reply false if term < currentTerm.
        if m.term < self.current_term:
            ctx.send(src, AppendEntriesReply(self.current_term, False, m.prev_log_index))
            return
        if m.term > self.current_term or self.role in (CANDIDATE, PRECANDIDATE):
            self._step_down(ctx, m.term)   # a leader of our term exists: candidates give way
        elif self.role == LEADER:
            # Two leaders in one term cannot happen in Raft (Election Safety); a broken variant
            # can get here, and then the message is refused.
            ctx.send(src, AppendEntriesReply(self.current_term, False, m.prev_log_index))
            return
        self.note_leader(ctx, m.leader_id)
        self.hint = None
        self._reset_election_timer(ctx)
        # 2. Reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm.
        #    (An index inside our compacted prefix matches: it is committed, the same everywhere.)
        prev = m.prev_log_index
        if prev > self.last_log_index() or (prev >= self.snapshot_index and self.term_at(prev) != m.prev_log_term):
            ctx.send(src, self._rejection(m))
            return
        # 3. If an existing entry conflicts with a new one (same index, different terms),
        #    delete the existing entry and all that follow it. 4. Append new entries not in the log.
        log = self.log
        for i, entry in enumerate(m.entries):
            index = prev + 1 + i
            if index <= self.snapshot_index:
                continue  # compacted here: committed, so the same entry
            pos = index - self.snapshot_index - 1
            if pos < len(log):
                if log[pos][0] == entry[0]:
                    continue  # the same entry (Log Matching)
                log = log[:pos]
            self._set_log(ctx, log + m.entries[i:], index)
            break
        # 5. If leaderCommit > commitIndex, commitIndex = min(leaderCommit, index of last new entry).
        last_new = prev + len(m.entries)
        if m.leader_commit > self.commit_index:
            new_commit = min(m.leader_commit, last_new)
            if new_commit > self.commit_index:
                self.commit_index = new_commit
                ctx.observe("commit_index", new_commit)
                self.apply_committed(ctx)
        ctx.send(src, AppendEntriesReply(self.current_term, True, last_new))

    def _rejection(self, m: AppendEntries) -> AppendEntriesReply:
        if not self.fast_backoff:
            return AppendEntriesReply(self.current_term, False, m.prev_log_index)
        if m.prev_log_index > self.last_log_index():
            return AppendEntriesReply(self.current_term, False, m.prev_log_index, self.last_log_index() + 1, 0)
        term = self.term_at(m.prev_log_index)
        first = m.prev_log_index
        while first > self.snapshot_index + 1 and self.term_at(first - 1) == term:
            first -= 1
        return AppendEntriesReply(self.current_term, False, m.prev_log_index, first, term)

    def on_append_entries_reply(self, ctx, src, m: AppendEntriesReply) -> None:
        if m.term > self.current_term:
            self._step_down(ctx, m.term)
            return
        if self.role != LEADER or m.term != self.current_term:
            return
        self.heard_from = self.heard_from | {src}
        if m.success:
            if m.index > self.match_index[src]:
                self.match_index[src] = m.index
                self.advance_commit_index(ctx)
            self.next_index[src] = max(self.next_index[src], m.index + 1)
            if self.next_index[src] <= self.last_log_index():
                self.send_append_entries(ctx, src)  # more to send
            return
        # The follower's log does not match at m.index: back off and retry.
        if self.fast_backoff and m.conflict_index:
            nxt = m.conflict_index
            if m.conflict_term:
                last = max((i for i in range(self.snapshot_index + 1, self.last_log_index() + 1)
                            if self.term_at(i) == m.conflict_term), default=0)
                if last:
                    nxt = last + 1
        else:
            nxt = m.index   # decrement nextIndex (by one: the request's prevLogIndex + 1, minus one)
        self.next_index[src] = max(self.match_index[src] + 1, min(self.next_index[src], nxt, self.last_log_index() + 1))
        self.send_append_entries(ctx, src)

    # -- the leader ----------------------------------------------------------------------
    def append(self, ctx, command) -> None:
        """Leader Append-Only: a leader only adds entries at the end of its log."""
        self._set_log(ctx, self.log + ((self.current_term, command),), self.last_log_index() + 1)

    def replicate(self, ctx) -> None:
        for p in self.peers:
            self.send_append_entries(ctx, p)

    def send_append_entries(self, ctx, peer) -> None:
        prev = self.next_index[peer] - 1
        entries = self.entries_from(prev + 1, self.max_entries)
        ctx.send(peer, AppendEntries(self.current_term, self.id, prev, self.term_at(prev), entries,
                                     self.commit_index))

    def can_commit(self, index: int) -> bool:
        """Only entries of the leader's current term are committed by counting replicas (§5.4.2)."""
        return self.term_at(index) == self.current_term

    def advance_commit_index(self, ctx) -> None:
        """Leaders: if there is N > commitIndex with matchIndex[i] >= N on a majority and
        log[N].term == currentTerm, set commitIndex = N."""
        for n in range(self.last_log_index(), self.commit_index, -1):
            if not self.can_commit(n):
                continue
            if 1 + sum(1 for p in self.peers if self.match_index[p] >= n) >= self.majority:
                self.commit_index = n
                ctx.observe("commit_index", n)
                self.apply_committed(ctx)
                return

    # -- the state machine ---------------------------------------------------------------
    def apply_committed(self, ctx) -> None:
        """All servers: while commitIndex > lastApplied, apply log[lastApplied + 1]."""
        while self.last_applied < self.commit_index:
            self.last_applied += 1
            index = self.last_applied
            command = self.entry(index)[1]
            result = self.apply(command)
            ctx.observe("applied", (index, command))
            rid = self.request_id(command)
            if rid is not None:
                self._answer(ctx, rid, result)
            self.applied(ctx, index)

    def applied(self, ctx, index: int) -> None:
        """Called after each entry is applied (plain Raft does nothing; a compacting server snapshots)."""

    def request_id(self, command):
        """``(client_id, seq)`` of an entry a client is waiting for, or None (a no-op)."""
        return (command.client_id, command.seq) if isinstance(command, Command) else None

    def apply(self, command):
        """Apply one command to the state machine (each ``(client_id, seq)`` once) and return its result."""
        self.state_machine, result = self.state_machine.apply(command)
        return result
