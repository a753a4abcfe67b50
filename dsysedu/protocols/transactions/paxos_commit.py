"""Paxos Commit: one Paxos instance per participant's vote, so that no single coordinator can block.

Gray and Lamport [1]_ keep two-phase commit's rule (commit if and only if every resource
manager is prepared) and replace the one place it is written down, the coordinator's log, by
consensus. Each resource manager (RM) ``pi`` owns one instance of Paxos that chooses *its*
vote, ``prepared`` or ``aborted``. The instances share ``2F + 1`` **acceptors**
(``a1``... ``a(2F+1)``), and ``F + 1`` **leaders** (the transaction manager ``c`` and the
backups ``b1``... ``bF``):

1. ``c`` sends :class:`CommitPrepare` to every RM;
2. each RM answers with a phase-2a message :class:`P2a` for its own instance, ballot 0, to
   every acceptor: ballot 0 belongs to the RM, so it needs no phase 1 [1]_;
3. an acceptor accepts (unless it has promised a higher ballot) and tells the ballot's owner
   with :class:`P2b` (ballot 0: ``c``);
4. a leader that has ``F + 1`` acceptors' :class:`P2b` with one ballot for an instance knows
   that instance's value; when all are ``prepared`` it decides commit, as soon as one is
   ``aborted`` it decides abort, and sends :class:`CommitOutcome` to every RM.

When a leader hears too little (its ``takeover`` timer), it runs ordinary Paxos for *every*
instance with its own ballot (leader ``k`` of ``K`` owns ballots ``k, k + K, ...``):
:class:`P1a` to the acceptors, and on ``F + 1`` :class:`P1b` answers it proposes, per instance,
the value accepted with the highest ballot, or ``aborted`` if none was. A value once chosen
stays chosen, so two leaders can never decide differently, even when a backup takes over
from a leader that is only slow.

The paper's ``2F + 1`` "coordinators" are the acceptors here, and its leader runs on one of
them; we run the leaders as nodes of their own so that a space-time view shows the roles
apart, and ``F + 1`` of them so that ``F`` crashes leave one.

With ``F = 0`` there is one acceptor; put it on the coordinator's machine and the messages
are two-phase commit's: Prepare, the RM's vote (its phase 2a), the decision. Gray and Lamport:
"the classic Two-Phase Commit algorithm is obtained as the special F = 0 case", and "in the
fault-free case, this algorithm requires one extra message delay" [1]_ (the acceptors' report
to the leader). ``fast=True`` makes the acceptors send their :class:`P2b` to the RMs as well,
so the RMs learn the outcome without that delay ("Faster Paxos Commit" in [1]_). We send one
:class:`P2b` per vote to each RM, so that variant's messages grow as ``N**2``; bundling an
acceptor's reports into one message per RM would keep them linear.

Properties: :data:`pc_atomicity` (no RM commits while another aborts), :data:`pc_agreement`
(no two leaders decide differently) and :data:`pc_decides` (every RM eventually decides with
up to ``F`` crashes of ``c`` or acceptors; see its note). Broken on purpose:
:class:`BlindLeader`, a leader that takes over and proposes ``aborted`` everywhere without
reading what the acceptors accepted.

The rules are those of Lamport's TLA+ specification [2]_: ballot 0 is the RM's own, a leader
proposes the value of the highest ballot among a majority's phase-1b answers or ``aborted``,
and the outcome is commit when every instance chose ``prepared``, abort when one chose
``aborted``. The specification leaves leader selection out; here it is the ``takeover`` timers.

References
----------
.. [1] J. Gray and L. Lamport, "Consensus on transaction commit", ACM Transactions on Database
   Systems 31(1), 2006.
.. [2] L. Lamport, ``PaxosCommit.tla``, in the TLA+ examples repository (github.com/tlaplus/Examples,
   ``specifications/transaction_commit``).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model, eventually, invariant
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

from .twopc import ABORTED, COMMITTED, PREPARED, WORKING

__all__ = ["CommitPrepare", "P1a", "P1b", "P2a", "P2b", "CommitOutcome", "ResourceManager", "Acceptor",
           "CommitLeader", "BlindLeader", "paxos_commit_ids", "paxos_commit_scenario", "paxos_commit_model",
           "pc_atomicity", "pc_agreement", "pc_decides", "chosen_values", "commit_rule"]

# The phases are 2PC's (.twopc); the value each instance chooses is an RM's PREPARED or ABORTED.


@dataclass(frozen=True)
class CommitPrepare:
    """The transaction manager asks every RM to prepare."""


@dataclass(frozen=True)
class P1a:
    """Phase 1a: a leader's ballot, for every instance at once."""
    ballot: int


@dataclass(frozen=True)
class P1b:
    """Phase 1b: a promise, with what this acceptor accepted: ``((rm, ballot, value), ...)``."""
    ballot: int
    accepted: tuple


@dataclass(frozen=True)
class P2a:
    """Phase 2a: accept ``value`` for ``rm``'s instance in ``ballot``."""
    rm: str
    ballot: int
    value: str


@dataclass(frozen=True)
class P2b:
    """Phase 2b: I accepted ``value`` for ``rm``'s instance in ``ballot``."""
    rm: str
    ballot: int
    value: str


@dataclass(frozen=True)
class CommitOutcome:
    """The decision, sent to every RM."""
    commit: bool


def chosen_values(votes, quorum: int) -> dict:
    """``{rm: value}`` for each instance where ``quorum`` acceptors accepted one value in one ballot.

    ``votes``: iterable of ``(rm, ballot, value, acceptor)``.
    """
    count: dict = {}
    for rm, ballot, value, acc in votes:
        count.setdefault((rm, ballot, value), set()).add(acc)
    return {rm: value for (rm, _b, value), accs in sorted(count.items()) if len(accs) >= quorum}


def commit_rule(chosen: dict, rms) -> str | None:
    """Two-phase commit's rule on the chosen votes: ``"abort"`` as soon as one is aborted,
    ``"commit"`` when every RM's is prepared, None while undecided."""
    if ABORTED in chosen.values():
        return "abort"
    if all(chosen.get(rm) == PREPARED for rm in rms):
        return "commit"
    return None


class ResourceManager(Node):
    """A participant: prepares on request and proposes its vote, ballot 0, to every acceptor.

    Parameters
    ----------
    acceptors : tuple of node ids
    rms : tuple of node ids
        All RMs (with ``fast``, to know when every instance is chosen).
    abort_after : float or None
        Seconds until it aborts on its own if not asked to prepare by then (None: never).
    fast : bool
        Also learn the outcome from the acceptors' :class:`P2b` (Faster Paxos Commit).

    Observes ``phase`` (``working``, ``prepared``, ``committed``, ``aborted``). Its vote, once
    cast, is on disk: ballot 0 must never carry two values.
    """
    state_fields = ("phase", "vote", "votes")
    durable = ("phase", "vote")

    def __init__(self, node_id, peers=(), acceptors=("a1",), rms=(), abort_after=None, fast=False):
        super().__init__(node_id, peers)
        self.acceptors, self.rms, self.abort_after, self.fast = tuple(acceptors), tuple(rms), abort_after, fast
        self.phase = WORKING
        self.vote = None
        self.votes = frozenset()        # with fast: (rm, ballot, value, acceptor) from P2b

    def on_start(self, ctx):
        ctx.observe("phase", self.phase)
        if self.phase == WORKING and self.abort_after is not None:
            ctx.set_timer("unilateral_abort", self.abort_after)

    def on_timer(self, ctx, name):
        if name == "unilateral_abort" and self.phase == WORKING:
            self.set_phase(ctx, ABORTED)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, CommitPrepare):
            if self.vote is None:
                if self.phase == WORKING:
                    self.set_phase(ctx, PREPARED)     # from now on only the instances decide
                    ctx.cancel_timer("unilateral_abort")
                self.vote = PREPARED if self.phase == PREPARED else ABORTED
            for a in self.acceptors:
                ctx.send(a, P2a(self.id, 0, self.vote))
        elif isinstance(msg, CommitOutcome):
            self.learn(ctx, msg.commit)
        elif isinstance(msg, P2b) and self.fast and self.phase not in (COMMITTED, ABORTED):
            self.votes = self.votes | {(msg.rm, msg.ballot, msg.value, src)}
            rule = commit_rule(chosen_values(self.votes, len(self.acceptors) // 2 + 1), self.rms)
            if rule is not None:
                self.learn(ctx, rule == "commit")

    def learn(self, ctx, commit: bool) -> None:
        """The outcome; the first one counts (a correct protocol never sends another)."""
        if self.phase in (COMMITTED, ABORTED):
            return
        ctx.cancel_timer("unilateral_abort")
        self.set_phase(ctx, COMMITTED if commit else ABORTED)

    def set_phase(self, ctx, phase) -> None:
        if phase != self.phase:
            self.phase = phase
            ctx.observe("phase", phase)


class Acceptor(Node):
    """Accepts phase-2a values unless it promised a higher ballot; answers phase 1a with what it accepted.

    Parameters
    ----------
    leaders : tuple of node ids
        Leader ``k`` (1-based) owns ballots ``k, k + K, ...``; ballot 0 is reported to the first.
    rms : tuple of node ids
        With ``fast``, each :class:`P2b` goes to every RM as well.
    """
    state_fields = ("promised", "accepted")
    durable = ("promised", "accepted")

    def __init__(self, node_id, peers=(), leaders=("c",), rms=(), fast=False):
        super().__init__(node_id, peers)
        self.leaders, self.rms, self.fast = tuple(leaders), tuple(rms), fast
        self.promised = -1
        self.accepted = {}          # rm -> (ballot, value)

    def owner(self, ballot: int) -> str:
        return self.leaders[0] if ballot == 0 else self.leaders[(ballot - 1) % len(self.leaders)]

    def on_message(self, ctx, src, msg):
        if isinstance(msg, P1a):
            top = max([self.promised, *(b for b, _v in self.accepted.values())])
            if msg.ballot > top:
                self.promised = msg.ballot
                ctx.send(src, P1b(msg.ballot, tuple((rm, b, v) for rm, (b, v) in sorted(self.accepted.items()))))
        elif isinstance(msg, P2a):
            b0 = self.accepted.get(msg.rm, (-1, None))[0]
            if msg.ballot >= self.promised and msg.ballot >= b0:
                self.accepted = {**self.accepted, msg.rm: (msg.ballot, msg.value)}
                out = P2b(msg.rm, msg.ballot, msg.value)
                ctx.send(self.owner(msg.ballot), out)
                if self.fast:
                    for rm in self.rms:
                        ctx.send(rm, out)


class CommitLeader(Node):
    """The transaction manager (the first leader) or a backup: learns the instances, decides, takes over.

    Parameters
    ----------
    acceptors, rms, leaders : tuples of node ids
    takeover : float or None
        Seconds before it starts its own ballot if it has not decided (backups: ``takeover``
        times their rank, so that they do not all start at once), then again after
        ``takeover * K``, ``2 * takeover * K``, ... while undecided; None: never.
    max_rounds : int or None
        How many ballots it may start (None: unbounded; the model checker uses 1).

    Observes ``decision`` (``"commit"`` or ``"abort"``) and ``ballot`` when it starts one.
    """
    state_fields = ("votes", "decision", "ballot", "promises", "round")
    durable = ("round",)        # never reuse a ballot after a crash

    def __init__(self, node_id, peers=(), acceptors=("a1",), rms=(), leaders=("c",), takeover=1.0, max_rounds=None):
        super().__init__(node_id, peers)
        self.acceptors, self.rms, self.leaders = tuple(acceptors), tuple(rms), tuple(leaders)
        self.takeover, self.max_rounds = takeover, max_rounds
        self.votes = frozenset()        # (rm, ballot, value, acceptor) from P2b
        self.decision = None
        self.ballot = None              # the ballot this leader runs phase 1 for
        self.promises = frozenset()     # (acceptor, accepted) from P1b
        self.round = 0

    @property
    def rank(self) -> int:
        return self.leaders.index(self.id) + 1

    @property
    def quorum(self) -> int:
        return len(self.acceptors) // 2 + 1

    def on_start(self, ctx):
        if self.rank == 1:
            for rm in self.rms:
                ctx.send(rm, CommitPrepare())
        if self.takeover is not None:
            ctx.set_timer("takeover", self.takeover * self.rank)

    def on_timer(self, ctx, name):
        if name != "takeover" or self.decision is not None:
            return
        if self.max_rounds is not None and self.round >= self.max_rounds:
            return
        self.ballot = self.rank + len(self.leaders) * self.round
        self.round += 1
        self.promises = frozenset()
        ctx.observe("ballot", self.ballot)
        for a in self.acceptors:
            ctx.send(a, P1a(self.ballot))
        if self.takeover is not None and (self.max_rounds is None or self.round < self.max_rounds):
            # try again if this ballot stalls, waiting twice as long each time: leaders that keep
            # pre-empting each other (duelling) end up far enough apart for one ballot to finish
            ctx.set_timer("takeover", self.takeover * len(self.leaders) * 2 ** (self.round - 1))

    def on_message(self, ctx, src, msg):
        if self.decision is not None:
            return
        if isinstance(msg, CommitOutcome):      # another leader decided
            self.decision = "commit" if msg.commit else "abort"
            ctx.cancel_timer("takeover")
        elif isinstance(msg, P2b):
            self.votes = self.votes | {(msg.rm, msg.ballot, msg.value, src)}
            rule = commit_rule(chosen_values(self.votes, self.quorum), self.rms)
            if rule is not None:
                self.decide(ctx, rule)
        elif isinstance(msg, P1b) and msg.ballot == self.ballot and len(self.promises) < self.quorum:
            self.promises = self.promises | {(src, msg.accepted)}
            if len(self.promises) == self.quorum:
                for rm, value in sorted(self.proposals().items()):
                    for a in self.acceptors:
                        ctx.send(a, P2a(rm, self.ballot, value))

    def proposals(self) -> dict:
        """Per instance: the value accepted with the highest ballot among the promises, else aborted."""
        best: dict = {}
        for _acc, accepted in self.promises:
            for rm, b, v in accepted:
                if rm not in best or b > best[rm][0]:
                    best[rm] = (b, v)
        return {rm: best[rm][1] if rm in best else ABORTED for rm in self.rms}

    def decide(self, ctx, rule: str) -> None:
        """Tell every RM, and the other leaders (so that they do not take over)."""
        self.decision = rule
        ctx.observe("decision", rule)
        ctx.cancel_timer("takeover")
        for n in (*self.rms, *(ld for ld in self.leaders if ld != self.id)):
            ctx.send(n, CommitOutcome(rule == "commit"))


class BlindLeader(CommitLeader):
    """BROKEN on purpose: takes over and proposes ``aborted`` for every instance, ignoring the promises.

    A slow leader is not a dead one: if ``c`` has already learned "all prepared" and told an
    RM to commit, the blind backup gets "abort" chosen in its higher ballot and tells another
    RM to abort.
    """

    def proposals(self) -> dict:
        return {rm: ABORTED for rm in self.rms}


def paxos_commit_ids(participants: int, f: int) -> tuple:
    """``(rms, acceptors, leaders)``: ``p1..pN``, ``a1..a(2F+1)``, ``c, b1..bF``."""
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise ValueError(f"participants must be an int >= 1, got {participants!r}")
    if isinstance(f, bool) or not isinstance(f, int) or not 0 <= f <= 3:
        raise ValueError(f"f (crashes tolerated) must be an int in 0..3, got {f!r}")
    return (tuple(f"p{i}" for i in range(1, participants + 1)), tuple(f"a{i}" for i in range(1, 2 * f + 2)),
            ("c", *(f"b{i}" for i in range(1, f + 1))))


def paxos_commit_scenario(participants: int = 3, f: int = 1, *, leader=CommitLeader, fast: bool = False,
                          takeover: float | None = 1.0, tm_takeover: bool = True, abort_after=None,
                          max_rounds=None, **kwargs) -> Scenario:
    """Paxos Commit on the simulator: RMs ``p*``, acceptors ``a*``, leaders ``c`` and ``b*``.

    ``tm_takeover=False``: ``c`` never starts a ballot of its own (it then cannot finish for an
    RM that never votes; the model checker uses it, where RMs always vote, to stay small).
    ``abort_after``: None, a number for every RM, or a dict RM -> seconds (None: never).
    ``kwargs`` go to :class:`~dsysedu.sim.Scenario` (``faults``, ``link``, ``until``...).
    """
    rms, accs, leaders = paxos_commit_ids(participants, f)
    if takeover is not None and (isinstance(takeover, bool) or not isinstance(takeover, (int, float))
                                 or not takeover > 0):
        raise ValueError(f"takeover must be None or seconds > 0, got {takeover!r}")
    if not isinstance(fast, bool) or not isinstance(tm_takeover, bool):
        raise TypeError(f"fast and tm_takeover must be True or False, got {fast!r} and {tm_takeover!r}")
    if not (isinstance(leader, type) and issubclass(leader, CommitLeader)):
        raise TypeError(f"leader must be CommitLeader or a subclass (e.g. BlindLeader), got {leader!r}")
    if max_rounds is not None and (isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 0):
        raise ValueError(f"max_rounds must be None or an int >= 0, got {max_rounds!r}")
    aborts = abort_after if isinstance(abort_after, dict) else {rm: abort_after for rm in rms}
    if set(aborts) - set(rms):
        raise ValueError(f"abort_after names unknown RMs {sorted(set(aborts) - set(rms))}; RMs are {list(rms)}")
    node_params = {rm: {"acceptors": accs, "rms": rms, "abort_after": aborts.get(rm), "fast": fast} for rm in rms}
    node_params.update({a: {"leaders": leaders, "rms": rms, "fast": fast} for a in accs})
    node_params.update({ld: {"acceptors": accs, "rms": rms, "leaders": leaders,
                             "takeover": takeover if tm_takeover or ld != "c" else None,
                             "max_rounds": max_rounds} for ld in leaders})
    protocol = {**{rm: ResourceManager for rm in rms}, **{a: Acceptor for a in accs},
                **{ld: leader for ld in leaders}}
    return Scenario(protocol, nodes=[*leaders, *rms, *accs], node_params=node_params,
                    name=f"Paxos Commit, F = {f}", **kwargs)


def _phases(s):
    return list(s.field("phase").values())


def _outcomes(s) -> set:
    """What the up RMs ended with and what the up leaders decided, as committed/aborted."""
    out = {v for v in _phases(s) if v in (COMMITTED, ABORTED)}
    out |= {COMMITTED if v == "commit" else ABORTED for v in s.field("decision").values() if v}
    return out


pc_atomicity = invariant("atomicity", lambda s: not ({COMMITTED, ABORTED} <= _outcomes(s)))
"""No RM commits while another RM aborts or a leader decides abort (and the other way round)."""

pc_agreement = invariant("leaders agree", lambda s: len({v for v in s.field("decision").values() if v}) <= 1)
"""No two leaders decide differently."""


def _decided_or_out_of_scope(s):
    last = max((n for n in s.nodes if str(n).startswith(("c", "b"))), key=lambda n: (n != "c", n))
    if not s.is_up(last) or any(not s.is_up(n) for n in s.nodes if str(n).startswith("p")):
        return True
    return all(v in (COMMITTED, ABORTED) for v in _phases(s))


pc_decides = eventually("every RM eventually decides", _decided_or_out_of_scope)
"""Every RM eventually decides, when the crashes hit ``c`` or acceptors.

A model bounds the ballots (each leader starts at most ``max_rounds``), and with bounded
ballots two leaders can spend them all pre-empting each other; the last backup is then the
leader of last resort, and its crash (or an RM's) makes the property hold vacuously. That
leaders eventually stop duelling is Paxos's own liveness assumption; the simulator, whose
backups wait longer by rank, shows it run by run."""


def paxos_commit_model(participants: int = 2, f: int = 1, *, leader=CommitLeader, fast: bool = False,
                       max_rounds: int = 1, abort_after=1.0, takeover: float | None = 1.0, symmetric: bool = True,
                       **budget) -> Model:
    """Paxos Commit for the model checker: timers fire at any moment (a backup may take over from a
    leader that is only slow), each backup starts at most ``max_rounds`` ballots.

    The transaction manager ``c`` starts no ballot of its own here (``tm_takeover=False``): its
    only use is to finish for an RM that never votes, and RMs always vote in the model. The
    acceptors are interchangeable when ``symmetric``. ``budget``: ``drops``, ``duplicates``,
    ``crashes``, ``recoveries`` (see :class:`Model`).

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(paxos_commit_model(1, 1, leader=BlindLeader), pc_atomicity).verdict
    'violation'
    >>> check(paxos_commit_model(1, 0, crashes=1), pc_decides).verdict     # F = 0 blocks, as 2PC does
    'violation'
    """
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 0:
        raise ValueError(f"max_rounds must be an int >= 0, got {max_rounds!r}")
    sc = paxos_commit_scenario(participants, f, leader=leader, fast=fast, takeover=takeover, tm_takeover=False,
                               abort_after=abort_after, max_rounds=max_rounds)
    name = f"Paxos Commit{' (' + leader.__name__ + ')' if leader is not CommitLeader else ''}, " \
           f"{participants} RMs, F = {f}"
    return Model(sc, name=name, symmetric=paxos_commit_ids(participants, f)[1] if symmetric else (),
                 final=lambda s: all(v in (COMMITTED, ABORTED) for v in _phases(s)), **budget)
