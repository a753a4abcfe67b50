"""Raft's log as a model: client commands, replication, commit, apply, and (optionally) snapshots.

:func:`~dsysedu.protocols.consensus.raft.model.raft_election_model` explores elections with empty
logs. :func:`raft_log_model` gives the servers work: each command of ``commands`` is a client's
:class:`~dsysedu.protocols.consensus.raft.messages.ClientRequest` in flight from outside
(``src=None``) to one server, which takes it through Raft's own client path (a leader appends it;
a follower forwards it to the leader it knows, or keeps it and retries); the leader replicates
with AppendEntries, commits on a majority and every server applies. With ``cls=CompactingRaft``
(or a subclass) servers also take snapshots every ``snapshot_every`` applied entries and a leader
sends its snapshot (InstallSnapshot) to a follower that lacks the compacted entries.

The bounds
----------
Raft's state space is infinite: terms grow, and a leader's heartbeat timer and a server's
client-retry timer resend for ever, so copies of the same message could pile up in flight without
end. The model bounds all three. **The bounds are the model's, not Raft's**: Raft itself has
none of them, and a verdict holds for the bounded model only.

* **Terms**: a server's election timer fires only while its ``current_term`` is below
  ``max_term`` (as in the election model).
* **Heartbeats**: the ``heartbeat`` timer fires only at a leader, at most ``heartbeats`` times per
  leadership, and only when it has news: its commit index rose since its last heartbeat (without
  losses that is all a heartbeat can tell: entries already travel with every proposal, and every
  reply asks for the next ones), or, when the model may lose messages (a ``drops`` or ``crashes``
  budget), some follower's ``match_index`` is behind the leader's log (a resend). The model's node
  class keeps the count in a field ``beats`` and the last commit index announced in ``announced``
  (both 0 whenever the server is not a leader, so that followers carry no stale count). Excluded:
  a candidate's RequestVote retries (a lost vote request is not retried, as in the election model),
  heartbeats with nothing new to say, and leaders that heartbeat more often than the bound. With
  ``heartbeats=0`` a follower that was not in the majority never learns the commit index.
* **Client retries**: the ``client_retry`` timer fires only at a server that has a leader to send
  to (it leads, or it knows a leader or has a hint: a retry with nowhere to go changes nothing but
  the count), at most ``retries`` times while it holds requests (field ``retries``, back to 0 when
  it holds none). Excluded: clients that retry more often.
* **Logs** then stay short by themselves: a leader appends a command at most once per term (Raft's
  ``_propose`` looks for it first), so a log holds at most ``len(commands) * max_term`` entries
  (plus one no-op per term with ``noop=True``), and every chain of AppendEntries and replies ends
  (each delivery answers with at most one message, and the indexes it moves are bounded).

With these bounds every state has finitely many successors and finitely many states are
reachable. Two reductions keep the count down without changing what the servers do:
``compress=True`` drops messages that can no longer change anything (:func:`stale_log_message`), and
``forget=True`` (the default) resets, after every handler, the fields that no handler reads in the
server's present role (``next_index`` and ``match_index`` of a non-leader, ``votes`` of a
non-candidate, ``heard_from`` without CheckQuorum). The tests check both on small models: the same
node states are reached (up to the forgotten fields).

Sizes, measured (3 servers, one command, symmetric, ``compress=True``; ``tests/protocols/test_raft_log_model.py``
and ``benchmarks/consensus.py``): Raft with terms up to 1, messages in any order, one heartbeat per
leader and no client retry: 54,311 states, about 2 s; terms up to 2 with FIFO links
(``fifo=True``), no heartbeat, no retry: 73,596 states; CompactingRaft (a snapshot after every
entry) in the same model: 75,448 states, about 3 s. With messages in any order, terms up to 2 pass
a million states: old RequestVotes and duplicate AppendEntries may arrive in any order, and each
order is a state. Raft is meant to survive reordering, so FIFO links here are a bound of the
model, like the others.

The properties
--------------
State forms of Figure 3 of [1]_, read over the servers' fields (a compacted prefix is compared
through the snapshot's state, its index and its term):

* :data:`state_machine_safety_invariant`: two servers that applied the same index hold the same
  state machine there (compared at the lowest index both can rebuild: a snapshot, or the empty
  store), and applied the same command at every index above it that both applied;
* :data:`log_matching_invariant`: two logs with an entry of the same index and term agree on
  every entry up to it that both still hold (above both snapshots);
* :data:`leader_completeness_invariant`: a leader of term T holds every entry that a server of
  term <= T knows to be committed (up to its ``commit_index``), unless the leader has compacted
  past that index;
* :data:`snapshot_committed_invariant`: every snapshot covers committed entries only: its
  ``(index, term)`` is in the log (or is the snapshot point) of every leader of a term at least
  the snapshot holder's, and two snapshots of one index hold the same state.

:data:`log_safety_invariant` is their conjunction (one search instead of four). What the bounds
hide, concretely: :class:`~dsysedu.protocols.consensus.raft.variants.RaftNoUpToDateCheck` is caught
with terms up to 2 (9 actions), but :class:`~dsysedu.protocols.consensus.raft.variants.RaftCommitOldTerm`
passes there: with three servers, Figure 8's mistake needs an entry of term 1 committed by counting in
term 3 and overwritten by the leader of term 4, and a model with terms up to 4 passes a million states.
:data:`committed_everywhere` (every server applied a client's command) and
:data:`snapshot_installed` (a follower installed its leader's snapshot) are ``reachable``
properties: a check that finds them shows the model is not vacuous.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, Figure 3 and §7 (log compaction).

Examples
--------
>>> from dsysedu.check.model_checker import check
>>> r = check(raft_log_model(max_term=1, symmetric=True, compress=True, fifo=True), log_safety_invariant)
>>> r.verdict
'ok'
"""
from __future__ import annotations

from dsysedu.check.model_checker.search import Property
from dsysedu.check.model_checker.state import Model
from dsysedu.sim.scenario import Input, Scenario
from .messages import CANDIDATE, LEADER, PRECANDIDATE, ClientReply, ClientRequest
from .model import stale_reply
from .node import Raft
from .snapshots import CompactingRaft, InstallSnapshotReply
from .state_machine import KeyValueStore

__all__ = ["raft_log_model", "stale_log_message", "state_machine_safety_invariant", "log_matching_invariant",
           "leader_completeness_invariant", "snapshot_committed_invariant", "log_safety_invariant",
           "committed_everywhere", "snapshot_installed"]

CLIENT = "client"
"""The client id of the model's requests; command ``k`` (from 0) is request ``(CLIENT, k + 1)``."""

# methods a class may override and keep forget=True: none of them reads the fields forget resets
_FORGET_SAFE = frozenset({"log_ok", "can_commit", "apply_committed", "append", "applied", "apply", "take_snapshot"})

# the handlers stale_log_message reasons about, with the classes whose versions it was checked against
_RELIED_ON = ("on_request_vote_reply", "on_append_entries_reply", "start_election", "become_leader", "_step_down",
              "_set_term", "on_client_reply", "on_install_snapshot_reply")


class _Bounded:
    """The model's bounds as node fields (mixed in front of the checked class; never used by the simulator).

    ``beats`` counts the heartbeats of this leadership, ``retries`` the client retries while
    requests are held; both go back to 0 when they no longer matter, so they split no states
    needlessly. ``installed`` turns true when the server installs a leader's snapshot.
    """

    forget = True

    def __init__(self, node_id, peers=(), **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.beats = 0
        self.announced = 0
        self.retries = 0
        self.installed = False

    def on_timer(self, ctx, name):
        if name == "heartbeat" and self.role == LEADER:
            self.beats += 1
            self.announced = self.commit_index
        elif name == "client_retry":
            self.retries += 1
        super().on_timer(ctx, name)
        self._tidy()

    def on_message(self, ctx, src, msg):
        super().on_message(ctx, src, msg)
        self._tidy()

    def _tidy(self) -> None:
        if self.role != LEADER:
            self.beats = self.announced = 0
        if not self.pending:
            self.retries = 0
        if not self.forget:
            return
        # fields that no handler reads in the server's present role (see raft_log_model's ``forget``)
        if self.role != LEADER:
            self.next_index, self.match_index = {}, {}
            if hasattr(self, "sending"):
                self.sending = {}
        if self.role not in (CANDIDATE, PRECANDIDATE):
            self.votes = frozenset()
        if not self.check_quorum:
            self.heard_from = frozenset()

    def install(self, ctx, index, term, store, leader) -> None:
        super().install(ctx, index, term, store, leader)
        self.installed = True


def _bounded_class(cls, forget: bool):
    fields = ("beats", "announced", "retries") + (("installed",) if issubclass(cls, CompactingRaft) else ())
    body = {"state_fields": tuple(cls.state_fields) + fields, "__module__": __name__, "forget": forget,
            "__doc__": f"{cls.__name__} with the model's bounds (see raft_log_model)."}
    return type(cls.__name__, (_Bounded, cls), body)


def stale_log_message(node, src, msg) -> bool:
    """Can ``msg`` from ``src`` no longer change anything at ``node`` (now or later)?

    :func:`~dsysedu.protocols.consensus.raft.model.stale_reply` (vote and AppendEntries replies
    of terms the node has left), plus an InstallSnapshotReply of a term below the node's (ignored
    now and for ever: terms only grow and are durable), and a ClientReply for a request the node
    no longer holds (a request enters ``pending`` only when its client's message arrives from
    outside, and each arrives once; a crash empties ``pending``). That last rule assumes no
    ``duplicates`` budget: :func:`raft_log_model` leaves it out when the model may duplicate.
    """
    if isinstance(msg, InstallSnapshotReply):
        return msg.term < node.current_term
    if isinstance(msg, ClientReply):
        try:
            pending = node.pending
        except AttributeError:   # crashed: comes back holding no requests
            return True
        return (msg.client_id, msg.seq) not in pending
    return stale_reply(node, src, msg)


def _stale_but_client_replies(node, src, msg) -> bool:
    """:func:`stale_log_message` for models that may duplicate a client's request: the copy may put
    the request back into ``pending``, so a ClientReply for it may matter again."""
    return not isinstance(msg, ClientReply) and stale_log_message(node, src, msg)


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def raft_log_model(cls=Raft, max_term: int = 1, commands=("x",), nodes=("a", "b", "c"), *, client_at=None,
                   heartbeats: int = 1, retries: int = 1, snapshot_every: int | None = None, chunk_size: int = 4,
                   noop: bool = False, symmetric: bool = False, compress: bool = False, forget: bool = True,
                   **budget) -> Model:
    """Raft with client commands, replication, commit and apply (and snapshots), bounded.

    Parameters
    ----------
    cls : Raft subclass
        :class:`~dsysedu.protocols.consensus.raft.node.Raft`, a broken variant, or
        :class:`~dsysedu.protocols.consensus.raft.snapshots.CompactingRaft` (or a subclass).
    max_term : int
        Election timers fire only below this term (>= 1).
    commands : sequence of str
        One client request per command (``("set", "key", command)``), in flight from the start.
        Strings that are not node ids (ids are renamed under symmetry).
    nodes : sequence of str
        The servers (at least one), on a complete graph.
    client_at : str, optional
        The server every client request goes to (default: the first node).
    heartbeats : int
        Heartbeats a leader may send per leadership (>= 0).
    retries : int
        Client retries a server may make while it holds requests (>= 0).
    snapshot_every : int, optional
        For a CompactingRaft class (required there, refused otherwise): snapshot every this many
        applied entries.
    chunk_size : int
        Items per InstallSnapshot chunk (CompactingRaft only).
    noop : bool
        A new leader appends a no-op entry (§8). Off by default: it adds an entry per term.
    symmetric : bool
        Treat the nodes as interchangeable (they run the same class on a complete graph; the
        client's server is not special to the model's symmetry: a state with the requests at
        another server is the same state renamed).
    compress : bool
        Remove messages that can no longer change anything (:func:`stale_log_message`). Raises
        ValueError for a class that overrides a handler that rule relies on.
    forget : bool
        Reset the fields that no handler reads in a server's present role, after every handler:
        ``next_index``, ``match_index`` and ``sending`` when it is not a leader (become_leader sets
        them afresh), ``votes`` when it is not a candidate (an election starts them afresh), and
        ``heard_from`` (read only by CheckQuorum, which the model leaves off). Behaviour is the same;
        states that differed only in such leftovers become one. Raises ValueError for a class that
        overrides handlers beyond those of the broken variants (which may read them).
    budget
        ``drops``, ``duplicates``, ``crashes``, ``recoveries``, and ``fifo`` (see :class:`Model`).

    Returns
    -------
    Model

    Raises
    ------
    TypeError, ValueError
        For a class that is not Raft, or a bad bound, command, node list or option.
    """
    if not (isinstance(cls, type) and issubclass(cls, Raft)):
        raise TypeError(f"cls must be Raft or a subclass of it, got {cls!r}")
    _check_int("max_term", max_term, 1)
    _check_int("heartbeats", heartbeats, 0)
    _check_int("retries", retries, 0)
    for name, flag in (("noop", noop), ("symmetric", symmetric), ("compress", compress), ("forget", forget)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
        raise TypeError(f"nodes must be a sequence of str node ids, got {nodes!r}")
    nodes = tuple(nodes)
    if not nodes or not all(isinstance(n, str) for n in nodes) or len(set(nodes)) != len(nodes):
        raise ValueError(f"nodes must be one or more distinct str node ids, got {list(nodes)!r}")
    if isinstance(commands, (str, bytes)) or not hasattr(commands, "__iter__"):
        raise TypeError(f"commands must be a sequence of str, got {commands!r}")
    commands = tuple(commands)
    if not commands or not all(isinstance(c, str) for c in commands):
        raise ValueError(f"commands must be one or more str, got {list(commands)!r}")
    if any(c in nodes or c == CLIENT for c in commands):
        raise ValueError(f"commands must not be node ids or {CLIENT!r} (ids are renamed under symmetry): "
                         f"got {list(commands)!r} with nodes {list(nodes)!r}")
    if CLIENT in nodes:
        raise ValueError(f"{CLIENT!r} names the model's client; choose other node ids")
    client_at = nodes[0] if client_at is None else client_at
    if client_at not in nodes:
        raise ValueError(f"client_at must be one of the nodes {list(nodes)!r}, got {client_at!r}")
    compacting = issubclass(cls, CompactingRaft)
    params = {"noop": noop}
    if compacting:
        if snapshot_every is None:
            raise ValueError(f"{cls.__name__} compacts its log: give snapshot_every (an int >= 1)")
        _check_int("snapshot_every", snapshot_every, 1)
        _check_int("chunk_size", chunk_size, 1)
        params.update(snapshot_every=snapshot_every, chunk_size=chunk_size)
    elif snapshot_every is not None:
        raise ValueError(f"snapshot_every needs a log-compacting class (CompactingRaft or a subclass), "
                         f"not {cls.__name__}")
    if forget:
        base = CompactingRaft if compacting else Raft
        own = {n for k in cls.__mro__[:cls.__mro__.index(base)] for n, v in vars(k).items()
               if callable(v) or isinstance(v, (classmethod, staticmethod))}
        changed = sorted(n for n in own if not n.startswith("__") and n not in _FORGET_SAFE)
        if changed:
            raise ValueError(f"forget=True relies on {base.__name__}'s handlers reading next_index, match_index, "
                             f"sending and votes only in their roles; {cls.__name__} changes "
                             f"{', '.join(changed)}: check it with forget=False")
    if compress:
        base = CompactingRaft if compacting else Raft
        changed = [h for h in _RELIED_ON if hasattr(base, h) and getattr(cls, h) is not getattr(base, h)]
        if changed or "current_term" not in cls.durable:
            raise ValueError(f"compress=True relies on {base.__name__}'s own "
                             f"{', '.join(changed) or 'durable current_term'}; {cls.__name__} changes it: "
                             f"check it with compress=False")
    inputs = [Input(0.0, client_at, ClientRequest(CLIENT, k + 1, ("set", "key", c))) for k, c in enumerate(commands)]
    sc = Scenario(_bounded_class(cls, forget), nodes=list(nodes), params=params, inputs=inputs,
                  name=f"Raft log ({cls.__name__})")

    lossy = bool(budget.get("drops") or budget.get("crashes"))

    def fire(node, name):
        if name == "election":
            return node.current_term < max_term
        if name == "heartbeat":
            if node.role != LEADER or node.beats >= heartbeats:
                return False
            if node.commit_index > node.announced:
                return True   # news for the followers: the commit index
            # a resend: useful only if a message may have been lost, and only to a follower behind
            last = _snap(node)[0] + len(node.log)
            return lossy and any(m < last for m in node.match_index.values())
        if name == "client_retry":
            return node.retries < retries and (node.role == LEADER or node.leader_id is not None
                                               or node.hint is not None)
        return False

    what = f", snapshots every {snapshot_every}" if compacting else ""
    return Model(sc, fire=fire, symmetric=nodes if symmetric else (),
                 discard=(None if not compress else stale_log_message if not budget.get("duplicates")
                          else _stale_but_client_replies),
                 name=f"{cls.__name__} log, {len(nodes)} nodes, terms <= {max_term}, "
                      f"{len(commands)} command{'s' if len(commands) != 1 else ''}{what}", **budget)


# ------------------------------------------------------------------------------ reading a server

def _snap(node) -> tuple:
    """``(snapshot_index, snapshot_term)`` of a server (0, 0 for plain Raft, crashed or not)."""
    return getattr(node, "snapshot_index", 0), getattr(node, "snapshot_term", 0)


def _entries(node) -> dict:
    """``{index: (term, command)}`` of the entries a server holds above its snapshot."""
    first = _snap(node)[0] + 1
    return {first + k: e for k, e in enumerate(node.log)}


def _up(s):
    return [n for n in s.nodes if s.is_up(n)]


def _leaders(s):
    return [n for n in _up(s) if s[n].role == LEADER]


# ------------------------------------------------------------------------------ the properties

def _applied(node):
    """``(first, base store, commands)``: the state machine at index ``first`` and the commands
    applied above it, up to ``last_applied``."""
    first = _snap(node)[0]
    base = node.snapshot if first else KeyValueStore()
    log = node.log
    # a server of a broken variant may lose entries it applied: compare only those it still holds
    applied = min(node.last_applied, first + len(log))
    return first, base, tuple(log[i - first - 1][1] for i in range(first + 1, applied + 1))


def _store_at(first, base, commands, index):
    for command in commands[:index - first]:
        base = base.apply(command)[0]
    return base


def _sms(s) -> bool:
    views = [_applied(s[n]) for n in _up(s)]
    for k, (fa, ba, ca) in enumerate(views):
        for fb, bb, cb in views[k + 1:]:
            lo, hi = max(fa, fb), min(fa + len(ca), fb + len(cb))
            if lo > hi:
                continue
            if _store_at(fa, ba, ca, lo) != _store_at(fb, bb, cb, lo):
                return False
            if ca[lo - fa:hi - fa] != cb[lo - fb:hi - fb]:
                return False
    return True


def _log_matching(s) -> bool:
    logs = [_entries(s[n]) for n in s.nodes]
    for k, a in enumerate(logs):
        for b in logs[k + 1:]:
            common = sorted(set(a) & set(b))
            same = [i for i in common if a[i][0] == b[i][0]]
            if same and any(a[i] != b[i] for i in common if i <= same[-1]):
                return False
    return True


def _holds(leader, index, entry) -> bool:
    """Does ``leader`` hold ``entry`` at ``index`` (or has it compacted past ``index``)?"""
    snap = _snap(leader)[0]
    if index <= snap:
        return True
    return _entries(leader).get(index) == entry


def _leader_completeness(s) -> bool:
    for name in _leaders(s):
        leader = s[name]
        for n in _up(s):
            node = s[n]
            if n == name or node.current_term > leader.current_term:
                continue
            entries = _entries(node)
            if any(not _holds(leader, i, entries[i]) for i in range(_snap(node)[0] + 1, node.commit_index + 1)):
                return False
    return True


def _snapshot_committed(s) -> bool:
    snaps = {n: _snap(s[n]) for n in s.nodes}
    stores = {n: s[n].snapshot for n in s.nodes if snaps[n][0]}
    for k, a in enumerate(sorted(stores)):   # snapshot agreement: one state per index
        for b in sorted(stores)[k + 1:]:
            if snaps[a] == snaps[b] and stores[a] != stores[b] or snaps[a][0] == snaps[b][0] and snaps[a] != snaps[b]:
                return False
    for name in _leaders(s):
        leader = s[name]
        lsnap = snaps[name][0]
        for n, (index, term) in snaps.items():
            if not index or n == name or s[n].current_term > leader.current_term or index < lsnap:
                continue
            if index == lsnap and snaps[name][1] != term:
                return False
            held = _entries(leader).get(index)
            if index > lsnap and (held is None or held[0] != term):
                return False
    return True


def _all(s) -> bool:
    return _sms(s) and _log_matching(s) and _leader_completeness(s) and _snapshot_committed(s)


state_machine_safety_invariant = Property("state machine safety (logs)", "invariant", _sms)
"""No two up servers applied different commands at one index (a snapshot's state stands for its prefix)."""

log_matching_invariant = Property("log matching (logs)", "invariant", _log_matching)
"""Two logs with an entry of the same index and term agree on every entry up to it that both hold."""

leader_completeness_invariant = Property("leader completeness (logs)", "invariant", _leader_completeness)
"""A leader holds every entry a server of a term no higher than the leader's knows is committed."""

snapshot_committed_invariant = Property("snapshots hold committed entries", "invariant", _snapshot_committed)
"""Every snapshot's (index, term) is in the log of every leader of a term at least its holder's;
snapshots of one index are equal."""

log_safety_invariant = Property("Raft log safety", "invariant", _all)
"""The four invariants above at once."""

committed_everywhere = Property("a command applied on every server", "reachable",
                                lambda s: all(s.is_up(n) and s[n].state_machine.sessions for n in s.nodes))
"""Every server is up and has applied a client's command (its state machine answered a request)."""

snapshot_installed = Property("a snapshot installed", "reachable",
                              lambda s: any(s.is_up(n) and getattr(s[n], "installed", False) for n in s.nodes))
"""A follower installed its leader's snapshot (CompactingRaft models)."""
