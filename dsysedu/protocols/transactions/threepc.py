"""Three-phase commit (三阶段提交): a pre-commit round so that the survivors can finish without the coordinator.

Skeen's protocol [1]_ adds a round between the vote and the commit: when every vote is yes the
coordinator sends :class:`PreCommit`, and commits only after every participant has acknowledged
it. So no participant can have committed while another is still *uncertain* (voted yes, no
pre-commit yet). That is what lets the participants decide alone when the coordinator is gone:

* a participant that hears nothing for a while (its ``silence`` timer) asks the **backup**,
  the participant ``p1``, to take over; the backup asks every participant for its state
  (:class:`StateReq`), and from then on they listen to the backup, not to the coordinator;
* the backup's rule: anyone committed or pre-committed -> commit; otherwise abort. No one can
  have committed unless everyone was pre-committed, and a pre-committed participant can only
  have come from an all-yes vote, so both answers are safe.

Properties: :data:`three_atomicity` (no participant commits while another aborts) and
:data:`three_decides` (every participant eventually decides, as long as only the coordinator
crashes: the backup waits for every participant's state, as the crash-stop model with a
perfect failure detector allows). Two-phase commit fails the second with one coordinator crash.

Broken under partitions, on purpose: :class:`LocalTermination` lets each participant that hears
nothing decide from the one state it can see, its own (uncertain -> abort, pre-committed ->
commit). That is the termination rule applied on each side of a partition, Skeen's case: the
side holding a pre-committed participant commits, the side without one aborts.

References
----------
.. [1] D. Skeen, "Nonblocking commit protocols", SIGMOD 1981.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.check.model_checker import Model, eventually, invariant
from dsysedu.sim.faults import Partition
from dsysedu.sim.kernel import run
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["CanCommit", "Vote3", "PreCommit", "Ack", "DoCommit", "Abort3", "StateReq", "StateRep",
           "ThreePCCoordinator", "ThreePCParticipant", "LocalTermination", "threepc_scenario", "threepc_model",
           "three_atomicity", "three_decides", "BACKUP", "final_phases", "three_atomic", "skeen_partition"]

W, U, PC, C, A = "working", "uncertain", "precommitted", "committed", "aborted"
COORDINATOR, BACKUP = "c", "p1"


@dataclass(frozen=True)
class CanCommit:
    """Phase 1: can you commit?"""


@dataclass(frozen=True)
class Vote3:
    yes: bool


@dataclass(frozen=True)
class PreCommit:
    """Phase 2: everyone voted yes; get ready."""


@dataclass(frozen=True)
class Ack:
    """I am pre-committed."""


@dataclass(frozen=True)
class DoCommit:
    """Phase 3: commit."""


@dataclass(frozen=True)
class Abort3:
    """Abort."""


@dataclass(frozen=True)
class StateReq:
    """The backup takes over: what is your state?"""


@dataclass(frozen=True)
class StateRep:
    phase: str


class ThreePCCoordinator(Node):
    """Collects votes, pre-commits on all yes, commits on all acknowledgements; aborts on a no or a late vote."""
    state_fields = ("yes", "acks", "stage")

    def __init__(self, node_id, peers=(), vote_timeout=0.5):
        super().__init__(node_id, peers)
        self.vote_timeout = vote_timeout
        self.yes, self.acks, self.stage = frozenset(), frozenset(), "wait"

    def on_start(self, ctx):
        ctx.broadcast(CanCommit())
        ctx.set_timer("vote_timeout", self.vote_timeout)

    def on_timer(self, ctx, name):
        if name == "vote_timeout" and self.stage == "wait":
            self.stage = "abort"
            ctx.observe("decision", "abort")
            ctx.broadcast(Abort3())

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Vote3) and self.stage == "wait":
            if not msg.yes:
                self.on_timer(ctx, "vote_timeout")
                return
            self.yes = self.yes | {src}
            if len(self.yes) == len(self.peers):
                self.stage = "precommit"
                ctx.cancel_timer("vote_timeout")
                ctx.broadcast(PreCommit())
        elif isinstance(msg, Ack) and self.stage == "precommit":
            self.acks = self.acks | {src}
            if len(self.acks) == len(self.peers):
                self.stage = "commit"
                ctx.observe("decision", "commit")
                ctx.broadcast(DoCommit())


class ThreePCParticipant(Node):
    """Votes yes, acknowledges the pre-commit, obeys the backup once the backup has taken over.

    Observes ``phase``. The backup (``p1``) also runs the termination protocol.
    """
    state_fields = ("phase", "deposed", "states")
    durable = ("phase", "deposed")

    def __init__(self, node_id, peers=(), coordinator=COORDINATOR, silence=1.0):
        super().__init__(node_id, peers)
        self.coordinator, self.silence = coordinator, silence
        self.phase = W
        self.deposed = False        # the backup has taken over: ignore the coordinator
        self.states = None          # the backup, while it collects: ((participant, phase), ...)

    def participants(self):
        return tuple(p for p in self.peers if p != self.coordinator)

    def on_start(self, ctx):
        ctx.observe("phase", self.phase)
        ctx.set_timer("silence", self.silence)

    def set_phase(self, ctx, phase):
        if phase != self.phase:
            self.phase = phase
            ctx.observe("phase", phase)

    def on_timer(self, ctx, name):
        if name != "silence" or self.phase in (C, A):
            return
        if self.id == BACKUP and self.states is None:
            self.deposed = True
            self.states = ((self.id, self.phase),)
            for p in self.participants():
                ctx.send(p, StateReq())
        elif self.id != BACKUP and self.phase == W:
            self.set_phase(ctx, A)  # it never voted: it may abort on its own

    def on_message(self, ctx, src, msg):
        if src == self.coordinator and self.deposed:
            return
        if isinstance(msg, CanCommit) and self.phase == W:
            self.set_phase(ctx, U)
            ctx.send(src, Vote3(True))
        elif isinstance(msg, CanCommit) and self.phase == A:
            ctx.send(src, Vote3(False))
        elif isinstance(msg, PreCommit) and self.phase == U:
            self.set_phase(ctx, PC)
            ctx.send(src, Ack())
        elif isinstance(msg, DoCommit) and self.phase != A:
            self.set_phase(ctx, C)
        elif isinstance(msg, Abort3) and self.phase != C:
            self.set_phase(ctx, A)
        elif isinstance(msg, StateReq):
            self.deposed = True
            ctx.send(src, StateRep(self.phase))
        elif isinstance(msg, StateRep) and self.states is not None:
            self.states = self.states + ((src, msg.phase),)
            if len(self.states) == len(self.participants()) + 1:
                self.terminate(ctx, {p for _, p in self.states})

    def terminate(self, ctx, seen):
        """The termination rule, on the states seen."""
        commit = bool(seen & {C, PC}) and A not in seen
        self.set_phase(ctx, C if commit else A)
        for p in self.participants():
            ctx.send(p, DoCommit() if commit else Abort3())


class LocalTermination(ThreePCParticipant):
    """BROKEN on purpose (under partitions): decides alone, from its own state, when it hears nothing.

    Each side of a partition applying the termination rule to what it can see: uncertain ->
    abort, pre-committed -> commit.
    """

    def on_timer(self, ctx, name):
        if name == "silence" and self.phase in (W, U, PC):
            self.set_phase(ctx, C if self.phase == PC else A)


def participant_ids(n):
    return tuple(f"p{i}" for i in range(1, n + 1))


def threepc_scenario(participants: int = 3, participant=ThreePCParticipant, **kwargs) -> Scenario:
    """Coordinator ``"c"``, backup ``"p1"`` and participants ``"p2"``... (at least 2 participants)."""
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 2:
        raise ValueError(f"participants must be an int >= 2 (p1 is the backup), got {participants!r}")
    ids = participant_ids(participants)
    return Scenario({COORDINATOR: ThreePCCoordinator, **{p: participant for p in ids}}, nodes=[COORDINATOR, *ids],
                    name="three-phase commit", **kwargs)


def _phases(s):
    return list(s.field("phase").values())


three_atomicity = invariant("atomicity", lambda s: not ({C, A} <= set(_phases(s))))
"""No participant commits while another aborts."""


def _decided_or_out_of_scope(s):
    if any(not s.is_up(n) for n in s.nodes if n != COORDINATOR):
        return True        # a participant crashed: beyond what this protocol claims
    return all(v in (C, A) for v in _phases(s))


three_decides = eventually("every participant eventually decides", _decided_or_out_of_scope)
"""Liveness when only the coordinator may crash (a crashed participant makes it hold vacuously)."""


def threepc_model(participants: int = 2, participant=ThreePCParticipant, **budget) -> Model:
    """Three-phase commit for the model checker (timers fire at any moment: suspicions may be wrong)."""
    sc = threepc_scenario(participants, participant)
    return Model(sc, name=f"3PC, {participants} participants",
                 final=lambda s: all(v in (C, A) for v in _phases(s)), **budget)


def final_phases(trace) -> dict:
    """Each participant's last observed phase."""
    return {e.node: e.value for e in trace.events if e.kind == "observe" and e.data == "phase"}


def three_atomic(trace) -> Verdict:
    """Atomicity on a run: not one participant committed and another aborted."""
    final = final_phases(trace)
    ok = not ({C, A} <= set(final.values()))
    return Verdict(ok, "atomicity", f"final phases {dict(sorted(final.items()))}")


def skeen_partition(seed=None, at: float = 0.025) -> pd.DataFrame:
    """Skeen's case: the network splits {c, p1} | {p2, p3} just as the pre-commits are on the wire.

    ``p1`` gets its pre-commit, ``p2`` and ``p3`` do not. One row per participant class: the
    final phases, atomicity, and whether everyone decided.
    """
    rows = []
    for cls in (ThreePCParticipant, LocalTermination):
        sc = threepc_scenario(3, cls, faults=[Partition([[COORDINATOR, "p1"], ["p2", "p3"]], at=at)], until=5.0)
        tr = run(sc, seed=seed)
        final = final_phases(tr)
        rows.append({"participants": cls.__name__, **final, "atomic": three_atomic(tr).ok,
                     "all decided": all(v in (C, A) for v in final.values())})
    return pd.DataFrame(rows).set_index("participants")
