"""Two-phase commit (两阶段提交): a coordinator asks, every participant votes, all commit or all abort.

Phase 1: the coordinator sends :class:`Prepare` to every participant; each answers with a
:class:`Vote`: yes if it can commit (it is then *prepared* and must not abort on its own),
no if it has already aborted. Phase 2: the coordinator decides commit only when *every*
vote is yes, abort as soon as one is no, and sends the :class:`Decision` to everyone [1]_.

A participant may abort on its own while it has not voted (a lock conflict, a full disk):
its ``unilateral_abort`` timer. Under the model checker the timer may fire at any moment,
which is how the model explores both votes.

The property: **atomicity** - no participant commits while another aborts
(:data:`atomicity`). Broken on purpose, and caught by the model checker:
:class:`MajorityCoordinator` commits on a majority of yes votes;
:class:`ForgetfulParticipant` keeps its vote in memory only, so after a crash it may abort
on its own although it voted yes.

References
----------
.. [1] J. Gray, "Notes on data base operating systems", in *Operating Systems: An Advanced
   Course*, LNCS 60, 1978 (the two-phase commit protocol).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model, deadlock_free, eventually, invariant, reachable
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["Prepare", "Vote", "Decision", "Coordinator", "Participant", "MajorityCoordinator",
           "ForgetfulParticipant", "twopc_scenario", "twopc_model", "atomicity", "all_decided",
           "commit_reachable", "no_deadlock", "WORKING", "PREPARED", "COMMITTED", "ABORTED", "COORDINATOR"]

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"
COORDINATOR = "c"


@dataclass(frozen=True)
class Prepare:
    """Phase 1: can you commit?"""


@dataclass(frozen=True)
class Vote:
    yes: bool


@dataclass(frozen=True)
class Decision:
    """Phase 2: the outcome, the same for everyone."""
    commit: bool


class Coordinator(Node):
    """Collects the votes; commits only on a yes from every participant (its peers).

    Observes ``decision`` (``"commit"`` or ``"abort"``).
    """
    state_fields = ("yes", "decision")

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.yes = frozenset()
        self.decision = None

    def on_start(self, ctx):
        ctx.broadcast(Prepare())

    def enough(self) -> bool:
        return len(self.yes) == len(self.peers)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Vote) or self.decision is not None:
            return
        if not msg.yes:
            self.decide(ctx, False)
            return
        self.yes = self.yes | {src}
        if self.enough():
            self.decide(ctx, True)

    def decide(self, ctx, commit: bool) -> None:
        self.decision = "commit" if commit else "abort"
        ctx.observe("decision", self.decision)
        ctx.broadcast(Decision(commit))


class Participant(Node):
    """Votes yes unless it has already aborted on its own; then does what the decision says.

    Parameters
    ----------
    abort_after : float or None
        Seconds until a unilateral abort (a local failure) if it has not voted by then;
        None: never (in the simulator). The model checker lets it happen at any moment.

    Observes ``phase`` (``working``, ``prepared``, ``committed``, ``aborted``).
    """
    state_fields = ("phase",)
    durable = ("phase",)

    def __init__(self, node_id, peers=(), coordinator=COORDINATOR, abort_after=1.0):
        super().__init__(node_id, peers)
        self.coordinator = coordinator
        self.abort_after = abort_after
        self.phase = WORKING

    def on_start(self, ctx):
        ctx.observe("phase", self.phase)
        if self.phase == WORKING and self.abort_after is not None:
            ctx.set_timer("unilateral_abort", self.abort_after)

    def on_timer(self, ctx, name):
        if name == "unilateral_abort" and self.phase == WORKING:
            self.set_phase(ctx, ABORTED)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Prepare):
            if self.phase == WORKING:
                self.set_phase(ctx, PREPARED)        # from now on, only the coordinator decides
                ctx.cancel_timer("unilateral_abort")
                ctx.send(src, Vote(True))
            elif self.phase == ABORTED:
                ctx.send(src, Vote(False))
        elif isinstance(msg, Decision):
            ctx.cancel_timer("unilateral_abort")
            self.set_phase(ctx, COMMITTED if msg.commit else ABORTED)

    def set_phase(self, ctx, phase) -> None:
        if phase != self.phase:
            self.phase = phase
            ctx.observe("phase", phase)


class MajorityCoordinator(Coordinator):
    """BROKEN on purpose: commits as soon as a majority of participants voted yes.

    "Most of them are ready" is not "all of them are ready": a participant that aborted on
    its own is told to commit (it stays aborted), or - worse - the others commit while it
    has aborted. The model checker finds the shortest such run.
    """

    def enough(self) -> bool:
        return len(self.yes) > len(self.peers) // 2


class ForgetfulParticipant(Participant):
    """BROKEN on purpose: its vote is not written to disk (nothing is durable).

    After a crash it comes back *working*, may abort on its own, and does, although it
    voted yes and the coordinator may already have decided commit.
    """
    durable = ()


def participant_ids(n: int) -> tuple:
    return tuple(f"p{i}" for i in range(1, n + 1))


def twopc_scenario(participants: int = 3, coordinator=Coordinator, participant=Participant, **kwargs) -> Scenario:
    """A coordinator ``"c"`` and participants ``"p1"``... ``"pN"`` for the simulator (or a Model)."""
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise ValueError(f"participants must be an int >= 1, got {participants!r}")
    ids = participant_ids(participants)
    protocol = {COORDINATOR: coordinator, **{p: participant for p in ids}}
    return Scenario(protocol, nodes=[COORDINATOR, *ids], name="two-phase commit", **kwargs)


def twopc_model(participants: int = 3, coordinator=Coordinator, participant=Participant, *, symmetric: bool = True,
                **budget) -> Model:
    """Two-phase commit as a model: participants interchangeable when ``symmetric``.

    ``budget``: ``drops``, ``duplicates``, ``crashes``, ``recoveries`` (see :class:`Model`).

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(twopc_model(3, MajorityCoordinator), atomicity).verdict
    'violation'
    """
    sc = twopc_scenario(participants, coordinator, participant)
    ids = participant_ids(participants)
    variant = ", ".join(c.__name__ for c, d in ((coordinator, Coordinator), (participant, Participant)) if c is not d)
    return Model(sc, symmetric=ids if symmetric else (), final=all_decided_state,
                 name=f"2PC{' (' + variant + ')' if variant else ''}, {participants} participants", **budget)


def _states(s):
    return s.field("phase").values()   # the participants that are up (the coordinator has no such field)


def all_decided_state(s) -> bool:
    """Every participant committed or aborted."""
    return all(v in (COMMITTED, ABORTED) for v in _states(s))


atomicity = invariant("atomicity", lambda s: not ({COMMITTED, ABORTED} <= set(_states(s))))
"""No participant commits while another aborts."""

no_deadlock = deadlock_free("no deadlock")
all_decided = eventually("all decided", all_decided_state)
commit_reachable = reachable("commit reachable", lambda s: s[COORDINATOR].decision == "commit")
