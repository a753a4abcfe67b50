"""Multi-Paxos with a distinguished proposer: a log of slots, phase 1 once per leadership.

Single-decree Paxos (:mod:`.paxos`) agrees on one value and pays both phases for it. A
replicated log needs a value per *slot*, and running a fresh Paxos per slot would pay
phase 1 every time. Multi-Paxos (§3 of [1]_) lets one proposer, the *leader*, run phase 1
once for every slot it does not know to be chosen, with one ballot; after that each
command costs phase 2 only:

Phase 1, once per leadership
    A node that hears no leader for an election timeout picks a ballot ``(round, id)``
    higher than any it has seen and sends ``Prepare(ballot, first)``: "promise me this
    ballot for every slot from ``first`` on". Each acceptor that has promised nothing
    higher answers with *every* proposal it has accepted in those slots.
Recovery
    With promises from a majority, the new leader re-proposes, slot by slot, the value of
    the highest-ballot proposal reported (a value that may have been chosen must be kept,
    exactly as in single-decree Paxos), and fills a *gap* (a slot below the highest one
    reported for which nobody reported anything) with a no-op, so that the log executes in
    order without waiting for a slot no one will ever fill.
Phase 2, once per command
    ``Accept(ballot, slot, value)`` to every acceptor; an acceptor accepts unless it has
    promised a higher ballot and answers the leader with ``Accepted``. With a majority the
    leader knows the value is chosen and tells everyone (``Chosen``).
Learning and execution
    Every node executes the chosen values in slot order; a command submitted twice (a client
    retrying) may be chosen in two slots and is executed once. A node that has missed
    ``Chosen`` messages learns the leader's progress from its heartbeats and asks for what
    it lacks (``CatchUp``).

What Raft adds (chapter 3.1): Raft's leader never re-proposes values from other ballots.
Its *election restriction* (vote only for a candidate whose log is at least as up to date)
guarantees that the leader already holds every committed entry, so recovery is "the
leader's log wins" and the *log matching* property makes the logs prefixes of one another.
Multi-Paxos lets any node lead and repairs the log slot by slot in phase 1 instead; its
logs may have holes until recovery fills them. Both pay one round trip to a majority per
command in the steady state.

Invariants: agreement per slot (:func:`slot_agreement`: no two nodes learn different values
for one slot), validity (a chosen command was submitted), and execution of each command at
most once per node. :class:`MultiPaxosForgetsAccepted` breaks recovery on purpose.

References
----------
.. [1] L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001, §3 (implementing a
   state machine; the distinguished proposer and the no-op commands for gaps).
.. [2] R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex", ACM Computing
   Surveys 47(3), 2015 (the slot-based structure).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dsysedu.check import Verdict
from dsysedu.sim.chaos import chaos_weather
from dsysedu.sim.faults import Nemesis
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Input, Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sim.validate import number, positive_int

__all__ = ["Submit", "MPPrepare", "MPPromise", "MPAccept", "MPAccepted", "MPNack", "Chosen", "Heartbeat",
           "CatchUp", "NOOP", "MultiPaxos", "MultiPaxosForgetsAccepted", "slot_agreement", "executed_once",
           "multipaxos_chaos_scenario", "multipaxos_calm_scenario", "gap_scenario"]

NOOP = "noop"   # the value a new leader puts into a gap of the log


@dataclass(frozen=True)
class Submit:
    """A client's command ``op`` under a unique id ``cid`` (from outside: ``src`` is None)."""
    cid: str
    op: Any = None


@dataclass(frozen=True)
class MPPrepare:
    """Phase 1a for every slot from ``first`` on."""
    ballot: tuple
    first: int


@dataclass(frozen=True)
class MPPromise:
    """Phase 1b: the proposals this acceptor accepted in slots ``>= first``, as ``(slot, ballot, value)``."""
    ballot: tuple
    accepted: tuple


@dataclass(frozen=True)
class MPAccept:
    ballot: tuple
    slot: int
    value: Any


@dataclass(frozen=True)
class MPAccepted:
    """Sent by an acceptor to the leader whose ``Accept`` it took."""
    ballot: tuple
    slot: int


@dataclass(frozen=True)
class MPNack:
    """Your ``ballot`` is refused: I promised ``promised``."""
    ballot: tuple
    promised: tuple


@dataclass(frozen=True)
class Chosen:
    slot: int
    value: Any


@dataclass(frozen=True)
class Heartbeat:
    """The leader is alive, with ``ballot``, and knows every slot below ``chosen_upto`` to be chosen."""
    ballot: tuple
    chosen_upto: int


@dataclass(frozen=True)
class CatchUp:
    """A node asks the leader for the chosen values from slot ``first`` on."""
    first: int


def _label(value) -> str:
    """How a log value is observed: the command's id, or ``"noop"``."""
    return value.cid if isinstance(value, Submit) else str(value)


class MultiPaxos(Node):
    """A Multi-Paxos node: acceptor, learner, and leader when it wins phase 1.

    Parameters
    ----------
    election_timeout : float
        Seconds without a heartbeat before a node runs phase 1; each node waits a random time in
        ``[election_timeout, 2 * election_timeout)``.
    heartbeat : float
        Seconds between a leader's heartbeats; must be below ``election_timeout``.
    client_retry : float
        A node re-sends the commands its clients gave it (to the leader, or proposes them if it
        leads) this often until they are executed.
    catch_up_batch : int
        At most this many ``Chosen`` messages answer one ``CatchUp``.

    Notes
    -----
    Durable: ``promised``, ``accepted`` (an acceptor must not forget), ``round`` (a ballot is never
    reused), and the learned log with what was executed from it (``chosen``, ``first_unchosen``,
    ``applied_upto``, ``executed``: a replica persists its log and its state machine together). Observations:
    ``leader`` (a ballot won), ``decided`` ``(slot, label)`` once per slot and node, ``executed``
    ``(slot, cid)`` for each command applied, ``ack`` ``cid`` when a node's own client's command is
    executed, ``gap`` ``slot`` when a new leader fills a hole with a no-op.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> trace = run(multipaxos_calm_scenario(commands=3), seed=1)
    >>> slot_agreement(trace).ok, sorted(trace.observations("ack").value)
    (True, ['c1', 'c2', 'c3'])
    """

    durable = ("promised", "accepted", "round", "chosen", "first_unchosen", "applied_upto", "executed")
    state_fields = ("role", "ballot", "promised", "next_slot", "first_unchosen", "leader_id")
    needs_complete_graph = True   # every node is an acceptor of every other

    def __init__(self, node_id, peers=(), election_timeout=0.15, heartbeat=0.05, client_retry=0.2,
                 catch_up_batch=32):
        super().__init__(node_id, peers)
        self.election_timeout = number("MultiPaxos election_timeout", election_timeout, low=0.0, low_open=True)
        self.heartbeat = number("MultiPaxos heartbeat", heartbeat, low=0.0, low_open=True)
        if self.heartbeat >= self.election_timeout:
            raise ValueError(f"MultiPaxos heartbeat ({heartbeat!r} s) must be below election_timeout "
                             f"({election_timeout!r} s), or followers depose a live leader")
        self.client_retry = number("MultiPaxos client_retry", client_retry, low=0.0, low_open=True)
        self.catch_up_batch = positive_int("MultiPaxos catch_up_batch", catch_up_batch)
        self.acceptors = tuple(sorted((node_id,) + self.peers))
        self.majority = len(self.acceptors) // 2 + 1
        # acceptor (durable)
        self.promised = None
        self.accepted: dict = {}          # slot -> (ballot, value)
        # proposer
        self.round = 0
        self.ballot = None
        self.role = "follower"            # follower, candidate, leader
        self.promises: dict = {}          # acceptor -> its MPPromise.accepted
        self.next_slot = 0
        self.proposals: dict = {}         # slot -> value this leader is getting chosen
        self.votes: dict = {}             # slot -> acceptors that accepted it under our ballot
        self.leader_id = None
        # learner (``chosen`` durable)
        self.chosen: dict = {}            # slot -> value
        self.first_unchosen = 0
        self.executed: set = set()        # command ids applied
        self.applied_upto = 0             # slots below this are executed
        # this node's clients
        self.pending: dict = {}           # cid -> Submit

    # -- timers --------------------------------------------------------------------------
    def on_start(self, ctx):
        self._reset_election(ctx)

    def _reset_election(self, ctx) -> None:
        ctx.set_timer("election", self.election_timeout * (1.0 + ctx.rng.random()))

    def on_timer(self, ctx, name):
        if name == "election" and self.role != "leader":
            self.start_phase1(ctx)
        elif name == "heartbeat" and self.role == "leader":
            ctx.broadcast(Heartbeat(self.ballot, self.first_unchosen))
            self.resend_in_flight(ctx)
            ctx.set_timer("heartbeat", self.heartbeat)
        elif name == "retry":
            self._serve_pending(ctx)

    # -- phase 1 -------------------------------------------------------------------------
    def start_phase1(self, ctx) -> None:
        if self.promised is not None:
            self.round = max(self.round, self.promised[0])
        self.round += 1
        self.ballot = (self.round, self.id)
        self.role = "candidate"
        self.promises = {}
        ctx.observe("ballot", self.ballot)
        for a in self.acceptors:
            ctx.send(a, MPPrepare(self.ballot, self.first_unchosen))
        self._reset_election(ctx)

    def on_prepare(self, ctx, src, m: MPPrepare) -> None:
        if self.promised is None or m.ballot >= self.promised:
            self.promised = m.ballot
            accepted = tuple((s, b, v) for s, (b, v) in sorted(self.accepted.items()) if s >= m.first)
            ctx.send(src, MPPromise(m.ballot, accepted))
            if src != self.id and self.role != "follower" and self.ballot < m.ballot:
                self._step_down(ctx, m.ballot)
        else:
            ctx.send(src, MPNack(m.ballot, self.promised))

    def on_promise(self, ctx, src, m: MPPromise) -> None:
        if self.role != "candidate" or m.ballot != self.ballot:
            return
        self.promises[src] = m.accepted
        if len(self.promises) >= self.majority:
            self.become_leader(ctx)

    def recovered_values(self) -> dict:
        """Per slot, the value of the highest-ballot proposal the promises reported."""
        best: dict = {}
        for acc in self.promises.values():
            for slot, ballot, value in acc:
                if slot not in best or ballot > best[slot][0]:
                    best[slot] = (ballot, value)
        return {slot: value for slot, (_, value) in best.items()}

    def become_leader(self, ctx) -> None:
        self.role = "leader"
        self.leader_id = self.id
        ctx.observe("leader", self.ballot)
        recovered = self.recovered_values()
        top = max(list(recovered) + list(self.chosen) + [self.first_unchosen - 1])
        self.proposals, self.votes = {}, {}
        for slot in range(self.first_unchosen, top + 1):
            if slot in self.chosen:
                continue
            if slot not in recovered:
                ctx.observe("gap", slot)
            self.propose(ctx, slot, recovered.get(slot, NOOP))
        self.next_slot = top + 1
        ctx.cancel_timer("election")
        ctx.broadcast(Heartbeat(self.ballot, self.first_unchosen))
        ctx.set_timer("heartbeat", self.heartbeat)
        self._serve_pending(ctx)

    def _step_down(self, ctx, higher: tuple) -> None:
        self.round = max(self.round, higher[0])
        if self.role == "leader":
            ctx.cancel_timer("heartbeat")
        self.role = "follower"
        self.leader_id = None
        self._reset_election(ctx)

    # -- phase 2 -------------------------------------------------------------------------
    def propose(self, ctx, slot: int, value) -> None:
        self.proposals[slot] = value
        self.votes[slot] = frozenset()
        for a in self.acceptors:
            ctx.send(a, MPAccept(self.ballot, slot, value))

    def resend_in_flight(self, ctx) -> None:
        """Phase 2 again, for each slot still short of a majority, to the acceptors that have not
        answered: an Accept or an Accepted lost on the way would otherwise leave a hole that stops
        execution at every node."""
        for slot in sorted(self.proposals):
            for a in self.acceptors:
                if a not in self.votes[slot]:
                    ctx.send(a, MPAccept(self.ballot, slot, self.proposals[slot]))

    def in_log(self, m: Submit) -> bool:
        """Whether command ``m`` is already proposed by us or chosen in some slot."""
        return m in self.proposals.values() or m in self.chosen.values()

    def on_accept(self, ctx, src, m: MPAccept) -> None:
        if self.promised is None or m.ballot >= self.promised:
            self.promised = m.ballot
            self.accepted[m.slot] = (m.ballot, m.value)
            ctx.send(src, MPAccepted(m.ballot, m.slot))
            if src != self.id:
                if self.role != "follower":
                    self._step_down(ctx, m.ballot)
                self.leader_id = src
                self._reset_election(ctx)
        else:
            ctx.send(src, MPNack(m.ballot, self.promised))

    def on_accepted(self, ctx, src, m: MPAccepted) -> None:
        if self.role != "leader" or m.ballot != self.ballot or m.slot not in self.proposals:
            return
        self.votes[m.slot] = self.votes[m.slot] | {src}
        if len(self.votes[m.slot]) >= self.majority and m.slot not in self.chosen:
            value = self.proposals.pop(m.slot)
            del self.votes[m.slot]
            self.learn(ctx, m.slot, value)
            ctx.broadcast(Chosen(m.slot, value))

    def on_nack(self, ctx, src, m: MPNack) -> None:
        if m.ballot == self.ballot and self.role != "follower" and m.promised > self.ballot:
            self._step_down(ctx, m.promised)

    # -- learning ------------------------------------------------------------------------
    def learn(self, ctx, slot: int, value) -> None:
        if slot in self.chosen:
            return
        self.chosen[slot] = value
        ctx.observe("decided", (slot, _label(value)))
        self._advance(ctx)

    def _advance(self, ctx) -> None:
        """Execute the chosen values in slot order; a command chosen twice runs once."""
        while self.first_unchosen in self.chosen:
            self.first_unchosen += 1
        while self.applied_upto < self.first_unchosen:
            value = self.chosen[self.applied_upto]
            if isinstance(value, Submit) and value.cid not in self.executed:
                self.executed.add(value.cid)
                ctx.observe("executed", (self.applied_upto, value.cid))
                if self.pending.pop(value.cid, None) is not None:
                    ctx.observe("ack", value.cid)
            self.applied_upto += 1

    def on_chosen(self, ctx, src, m: Chosen) -> None:
        self.learn(ctx, m.slot, m.value)

    def on_heartbeat(self, ctx, src, m: Heartbeat) -> None:
        if self.promised is not None and m.ballot < self.promised:
            return   # a deposed leader's heartbeat: its Accepts will be refused
        if self.role != "follower" and self.ballot < m.ballot:
            self._step_down(ctx, m.ballot)
        if self.role == "follower":
            self.leader_id = src
            self._reset_election(ctx)
            if self.first_unchosen < m.chosen_upto:
                ctx.send(src, CatchUp(self.first_unchosen))

    def on_catch_up(self, ctx, src, m: CatchUp) -> None:
        sent = 0
        for slot in range(m.first, self.first_unchosen):
            if sent == self.catch_up_batch:
                break
            ctx.send(src, Chosen(slot, self.chosen[slot]))
            sent += 1

    # -- clients -------------------------------------------------------------------------
    def on_submit(self, ctx, src, m: Submit) -> None:
        if m.cid in self.executed:
            return
        if src is None and m.cid not in self.pending:
            self.pending[m.cid] = m
            ctx.set_timer("retry", self.client_retry)
        if self.role == "leader":
            if not self.in_log(m):
                self.propose(ctx, self.next_slot, m)
                self.next_slot += 1
        elif src is None and self.leader_id is not None and self.leader_id != self.id:
            ctx.send(self.leader_id, m)

    def _serve_pending(self, ctx) -> None:
        for cid in sorted(self.pending):
            m = self.pending[cid]
            if self.role == "leader":
                if not self.in_log(m):
                    self.propose(ctx, self.next_slot, m)
                    self.next_slot += 1
            elif self.leader_id is not None and self.leader_id != self.id:
                ctx.send(self.leader_id, m)
        if self.pending:
            ctx.set_timer("retry", self.client_retry)

    def on_message(self, ctx, src, msg):
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            getattr(self, handler)(ctx, src, msg)


class MultiPaxosForgetsAccepted(MultiPaxos):
    """BROKEN on purpose: a new leader ignores what the promises report and fills every slot it
    does not know to be chosen with a no-op.

    A command a majority accepted under the old leader (chosen, perhaps executed and acknowledged)
    is overwritten in that slot when the new leader's no-op is chosen at nodes that had not learned
    it yet: two nodes learn different values for one slot.
    """

    def recovered_values(self) -> dict:
        return {}


_HANDLERS = {MPPrepare: "on_prepare", MPPromise: "on_promise", MPAccept: "on_accept", MPAccepted: "on_accepted",
             MPNack: "on_nack", Chosen: "on_chosen", Heartbeat: "on_heartbeat", CatchUp: "on_catch_up",
             Submit: "on_submit"}


# ------------------------------------------------------------------------------ checkers

def slot_agreement(trace) -> Verdict:
    """No two nodes learn different values for one slot (and no node learns a slot twice differently)."""
    first: dict = {}
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "decided":
            slot, label = r[6]
            if slot in first and first[slot][2] != label:
                s0, n0, l0 = first[slot]
                return Verdict(False, "slot agreement", f"slot {slot}: node {n0!r} learned {l0!r}, node {r[2]!r} "
                                                        f"learned {label!r}", (s0, seq))
            first.setdefault(slot, (seq, r[2], label))
    return Verdict(True, "slot agreement", f"{len(first)} slots, one value each")


def executed_once(trace) -> Verdict:
    """Each node executes each command at most once, and all nodes execute the same command in a slot."""
    seen: dict = {}
    at_slot: dict = {}
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == "executed":
            slot, cid = r[6]
            if (r[2], cid) in seen:
                return Verdict(False, "executed once", f"node {r[2]!r} executed {cid!r} twice",
                               (seen[(r[2], cid)], seq))
            seen[(r[2], cid)] = seq
            if at_slot.setdefault(slot, (seq, cid))[1] != cid:
                return Verdict(False, "executed once", f"slot {slot} executed as {at_slot[slot][1]!r} and as "
                                                       f"{cid!r}", (at_slot[slot][0], seq))
    return Verdict(True, "executed once", f"{len(seen)} executions, none repeated")


# ------------------------------------------------------------------------------ scenarios

def multipaxos_calm_scenario(nodes: int = 5, *, commands: int = 10, start: float = 0.5, spacing: float = 0.05,
                             at_node: int | None = None, until: float | None = None, latency: float = 0.01,
                             protocol=MultiPaxos, seed: int = 0, **params) -> Scenario:
    """No faults, constant links: ``commands`` commands, one every ``spacing`` s from ``start``.

    Each command goes to ``at_node`` (default: node ``i % nodes`` for the ``i``-th), so that the
    cost of forwarding to the leader shows unless ``at_node`` is the leader.
    """
    commands = positive_int("multipaxos_calm_scenario commands", commands, low=0)
    inputs = [Input(start + i * spacing, (i % nodes) if at_node is None else at_node, Submit(f"c{i + 1}", i + 1))
              for i in range(commands)]
    end = start + commands * spacing + 1.0 if until is None else until
    return Scenario(protocol, nodes=nodes, params=params, link=LinkModel(latency=latency), inputs=inputs,
                    until=end, seed=seed, name=f"Multi-Paxos calm ({nodes} nodes, {commands} commands)")


def multipaxos_chaos_scenario(nodes: int = 5, *, seed: int = 0, stop: float = 2.0, until: float = 4.0,
                              commands: int = 12, nemesis: Nemesis | None = None, link: LinkModel | None = None,
                              protocol=MultiPaxos, **params) -> Scenario:
    """Random crashes, pauses and partitions until ``stop``; lossy, duplicating, reordering links;
    half of the commands during the faults, half in ``[stop, stop + 0.5)`` (those must execute).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> slot_agreement(run(multipaxos_chaos_scenario(3), seed=4)).ok
    True
    """
    seed = normalize_seed(seed)
    rnd = stream(seed, "workload")
    nemesis, link = chaos_weather(stop, nemesis, link, loss=0.02)
    inputs = []
    for i in range(commands):
        at = rnd.uniform(0.0, stop) if i < commands // 2 else stop + rnd.uniform(0.0, 0.5)
        inputs.append(Input(at, rnd.randrange(nodes), Submit(f"c{i + 1}", i + 1)))
    return Scenario(protocol, nodes=nodes, params=params, link=link, nemesis=nemesis,
                    inputs=sorted(inputs, key=lambda inp: inp.at), until=until, seed=seed,
                    name=f"Multi-Paxos chaos ({nodes} nodes, {protocol.__name__})")


def gap_scenario(protocol=MultiPaxos, *, seed: int = 0) -> Scenario:
    """A leader change that leaves a hole in the log, which the next leader fills with a no-op.

    Five nodes, 10 ms links; node 0 times out first and leads. A client gives node 1 command
    ``c1`` at t=1.000 s (node 1 forwards it) and node 0 command ``c2`` at t=1.015 s: the leader
    proposes them in slots 0 and 1. Its links to nodes 1-4 are cut while the Accepts for slot 0
    leave, and again from t=1.028 s: only the leader's own acceptor takes slot 0, a majority takes
    slot 1, and the leader learns that ``c2`` is chosen but cannot tell anyone before it crashes at
    t=1.037 s (it recovers at 1.6 s). The next leader's promises report ``c2`` in slot 1 and nothing
    in slot 0: a gap. It re-proposes ``c2`` in slot 1 and a no-op in slot 0; node 1, still holding
    ``c1`` for its client, re-sends it (slot 2), and ``c3`` arrives at node 2 at t=1.5 s (slot 3).

    With :class:`MultiPaxosForgetsAccepted` the new leader ignores the promises: ``c1`` and ``c3``
    take slots 0 and 1, and the recovered node 0, which learned ``c2`` in slot 1, disagrees.
    """
    from dsysedu.sim.faults import CutLink, Crash
    cut = [CutLink(0, n, at=at, until=until) for at, until in ((1.009, 1.012), (1.028, 1.045)) for n in range(1, 5)]
    return Scenario(protocol, nodes=5, params={"client_retry": 0.3}, node_params={0: {"election_timeout": 0.06}},
                    link=LinkModel(latency=0.01), faults=cut + [Crash(0, at=1.037, until=1.6)],
                    inputs=[Input(1.0, 1, Submit("c1", 1)), Input(1.015, 0, Submit("c2", 2)),
                            Input(1.5, 2, Submit("c3", 3))], until=2.5,
                    seed=seed, name=f"a gap after a leader change ({protocol.__name__})")
