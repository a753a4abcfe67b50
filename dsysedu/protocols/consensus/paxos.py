"""Single-decree Paxos: proposers, acceptors and learners agree on one value.

Every node runs :class:`Paxos` and is an acceptor and a learner; the nodes named in
``proposers`` also propose. A proposal carries a *ballot* ``(round, proposer)``: ballots
are totally ordered and no two proposers share one. As in [1]_:

Phase 1
    (a) A proposer picks a ballot ``b`` higher than any it has seen and sends
    ``Prepare(b)`` to the acceptors. (b) An acceptor that has promised nothing higher
    promises ``b`` and answers with the highest-ballot proposal it has accepted, if any.
Phase 2
    (a) With promises from a majority, the proposer sends ``Accept(b, v)``, where ``v`` is
    the value of the highest-ballot proposal among the answers, or its own value if there
    is none. (b) An acceptor accepts unless it has promised a higher ballot.
Learning
    Each acceptor tells every learner what it accepted; a value accepted by a majority
    under one ballot is chosen.

A proposer that learns of a higher ballot abandons its own (the optimisation at the end
of §2.2 of [1]_) and starts again above it. It learns from a :class:`Nack` (an acceptor
refusing it, naming the ballot it promised) or, at once, from its own acceptor promising
someone else's higher ballot. Two proposers that start again *at once* take turns
pre-empting each other for ever: the livelock of §2.4 of [1]_, shown by
:func:`dueling_scenario` (with Nacks alone and equal link delays, the duel would end after
one round: the instant reaction through the proposer's own acceptor is what sustains it).
With ``backoff=True`` a refused proposer waits a random, growing time first, and one of
them gets through.

Invariants (checked on traces by :mod:`dsysedu.protocols.consensus.properties`): *agreement* (only one
value is chosen, and learners learn only that value), *validity* (a chosen value was
proposed), and, once faults stop and with backoff, *termination*.

References
----------
.. [1] L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dsysedu.sim.validate import number
from dsysedu.sim.faults import Nemesis
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sim.chaos import chaos_weather

__all__ = ["Prepare", "Promise", "Accept", "Accepted", "Nack", "Decided", "Query", "Paxos", "PaxosIgnoresAccepted",
           "dueling_scenario", "late_proposer_scenario", "chaos_scenario"]


@dataclass(frozen=True)
class Prepare:
    ballot: tuple


@dataclass(frozen=True)
class Promise:
    """I promise to accept nothing below ``ballot``; here is the last proposal I accepted (or None)."""
    ballot: tuple
    accepted_ballot: tuple | None
    accepted_value: Any


@dataclass(frozen=True)
class Accept:
    ballot: tuple
    value: Any


@dataclass(frozen=True)
class Accepted:
    """Sent by an acceptor to every learner."""
    ballot: tuple
    value: Any


@dataclass(frozen=True)
class Nack:
    """Your ``ballot`` is refused: I promised ``promised``."""
    ballot: tuple
    promised: tuple


@dataclass(frozen=True)
class Decided:
    """The chosen value, for a learner that missed the Accepted messages."""
    value: Any


@dataclass(frozen=True)
class Query:
    """An undecided node asks: has a value been chosen?"""


class Paxos(Node):
    """A Paxos node: acceptor and learner, and proposer if it is named in ``proposers``.

    Parameters
    ----------
    proposers : tuple
        The nodes that propose.
    value : any
        What this node proposes (default ``"v<id>"``).
    start : float
        When a proposer first proposes, in seconds from the start of the run.
    backoff : bool
        After a refusal, wait a random time in ``[0, backoff_base * 2**k]`` (``k`` the number of
        refusals so far, capped at 5) before trying again. When False, retry at once.
    backoff_base : float
        Seconds; the first backoff window.
    retry_timeout : float
        A proposer that hears nothing (lost messages, crashed acceptors) tries again after this long;
        an undecided node asks its peers for the decision this often.

    Notes
    -----
    Durable: ``promised``, ``accepted_ballot``, ``accepted_value`` (an acceptor must not forget a
    promise) and ``round`` (a proposer must not reuse a ballot). Observations: ``role``
    (``proposer`` or ``acceptor``), ``proposed`` (a proposer's own value), ``ballot`` (each ballot
    a proposer tries), ``decided`` (the chosen value, once per node and run).

    Examples
    --------
    >>> from dsysedu.sim import run, Scenario
    >>> trace = run(Scenario(Paxos, nodes=3, params={"proposers": (0, 1)}, until=2.0), seed=2)
    >>> sorted(set(trace.observations("decided").value))
    ['v1']
    """

    durable = ("promised", "accepted_ballot", "accepted_value", "round")
    state_fields = ("promised", "accepted_ballot", "accepted_value", "round", "ballot", "phase", "promises",
                    "highest", "value", "refusals", "accepted_by", "decided")

    needs_complete_graph = True   # the acceptors are the node and its peers: a ring would decide two values

    @classmethod
    def check_scenario(cls, scenario) -> None:
        """A complete graph, and proposers that are nodes of the scenario (else nothing is ever proposed)."""
        super().check_scenario(scenario)
        for node in scenario.node_ids:
            if scenario.protocol_of(node) is cls:
                proposers = scenario.params_of(node).get("proposers", (0,))
                if isinstance(proposers, (str, bytes)) or not hasattr(proposers, "__iter__"):
                    raise TypeError(f"Paxos proposers must be a list of node ids, got {proposers!r}")
                unknown = [p for p in proposers if p not in scenario.node_ids]
                if unknown or not proposers:
                    raise ValueError(f"Paxos proposers must be nodes of the scenario {list(scenario.node_ids)}, "
                                     f"got {list(proposers)!r}")

    def __init__(self, node_id, peers=(), proposers=(0,), value=None, start=0.0, backoff=True, backoff_base=0.05,
                 retry_timeout=0.3):
        super().__init__(node_id, peers)
        self.proposers = tuple(proposers)
        self.start = number("Paxos start", start, low=0.0)
        self.backoff_base = number("Paxos backoff_base", backoff_base, low=0.0, low_open=True)
        self.retry_timeout = number("Paxos retry_timeout", retry_timeout, low=0.0, low_open=True)
        if not isinstance(backoff, bool):
            raise TypeError(f"Paxos backoff must be True or False, got {backoff!r}")
        self.backoff = backoff
        self.acceptors = tuple(sorted((node_id,) + self.peers))
        self.majority = len(self.acceptors) // 2 + 1
        # acceptor (durable)
        self.promised = None
        self.accepted_ballot = None
        self.accepted_value = None
        # proposer
        self.round = 0
        self.value = f"v{node_id}" if value is None else value
        self.ballot = None
        self.phase = "idle"          # idle, prepare, accept, waiting
        self.promises = frozenset()
        self.highest = None          # (accepted_ballot, value) with the highest ballot among the promises
        self.refusals = 0
        # learner
        self.accepted_by: dict = {}  # ballot -> acceptors that accepted it
        self.decided = None

    @property
    def is_proposer(self) -> bool:
        return self.id in self.proposers

    def on_start(self, ctx):
        ctx.observe("role", "proposer" if self.is_proposer else "acceptor")
        if self.is_proposer:
            ctx.observe("proposed", self.value)
            ctx.set_timer("propose", max(0.0, self.start - ctx.now))
        else:
            ctx.set_timer("query", self.retry_timeout)

    def on_timer(self, ctx, name):
        if self.decided is not None:
            return
        if name == "propose":
            self.prepare(ctx)
        elif name == "query":
            ctx.broadcast(Query())
            ctx.set_timer("query", self.retry_timeout)

    # -- proposer ------------------------------------------------------------------------
    def prepare(self, ctx) -> None:
        """Phase 1a: a ballot higher than any seen, sent to every acceptor."""
        self.round += 1
        self.ballot = (self.round, self.id)
        self.phase = "prepare"
        self.promises = frozenset()
        self.highest = None
        ctx.observe("ballot", self.ballot)
        for a in self.acceptors:
            ctx.send(a, Prepare(self.ballot))
        ctx.set_timer("propose", self.retry_timeout)

    def on_promise(self, ctx, src, m: Promise) -> None:
        if self.phase != "prepare" or m.ballot != self.ballot:
            return
        self.promises = self.promises | {src}
        if m.accepted_ballot is not None and (self.highest is None or m.accepted_ballot > self.highest[0]):
            self.highest = (m.accepted_ballot, m.accepted_value)
        if len(self.promises) >= self.majority:
            # Phase 2a: the value of the highest-ballot proposal reported, else our own.
            self.phase = "accept"
            value = self.choose_value()
            for a in self.acceptors:
                ctx.send(a, Accept(self.ballot, value))
            ctx.set_timer("propose", self.retry_timeout)

    def choose_value(self):
        """The value of the highest-numbered proposal the promises reported, else our own (§2.2)."""
        return self.value if self.highest is None else self.highest[1]

    def on_nack(self, ctx, src, m: Nack) -> None:
        if m.ballot == self.ballot and self.phase in ("prepare", "accept"):
            self.preempted(ctx, m.promised)

    def preempted(self, ctx, higher: tuple) -> None:
        """Another proposer has begun a higher ballot: abandon ours (§2.2) and try again."""
        self.round = max(self.round, higher[0])   # the next ballot will beat ``higher``
        self.phase = "waiting"
        self.refusals += 1
        if self.backoff:
            window = self.backoff_base * 2 ** min(self.refusals - 1, 5)
            ctx.set_timer("propose", ctx.rng.uniform(0.0, window))
        else:
            self.prepare(ctx)   # at once: the dueling proposers of Paxos Made Simple §2.4

    # -- acceptor ------------------------------------------------------------------------
    def on_prepare(self, ctx, src, m: Prepare) -> None:
        """Phase 1b."""
        if self.promised is None or m.ballot >= self.promised:
            self.promised = m.ballot
            ctx.send(src, Promise(m.ballot, self.accepted_ballot, self.accepted_value))
        else:
            ctx.send(src, Nack(m.ballot, self.promised))
        if (src != self.id and self.decided is None and self.phase in ("prepare", "accept") and self.ballot is not None
              and m.ballot > self.ballot):
            self.preempted(ctx, m.ballot)  # our own acceptor just promised a higher ballot

    def on_accept(self, ctx, src, m: Accept) -> None:
        """Phase 2b: accept unless a higher ballot was promised."""
        if self.promised is None or m.ballot >= self.promised:
            self.promised = m.ballot
            self.accepted_ballot = m.ballot
            self.accepted_value = m.value
            ctx.broadcast(Accepted(m.ballot, m.value), include_self=True)
        else:
            ctx.send(src, Nack(m.ballot, self.promised))

    # -- learner -------------------------------------------------------------------------
    def on_accepted(self, ctx, src, m: Accepted) -> None:
        by = self.accepted_by.get(m.ballot, frozenset()) | {src}
        self.accepted_by[m.ballot] = by
        if len(by) >= self.majority:
            self.decide(ctx, m.value)

    def decide(self, ctx, value) -> None:
        if self.decided is None:
            self.decided = value
            self.phase = "idle"
            ctx.observe("decided", value)
            ctx.cancel_timer("propose")
            ctx.cancel_timer("query")

    def on_message(self, ctx, src, msg):
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            getattr(self, handler)(ctx, src, msg)
        elif isinstance(msg, Decided):
            self.decide(ctx, msg.value)
        elif isinstance(msg, Query) and self.decided is not None:
            ctx.send(src, Decided(self.decided))


class PaxosIgnoresAccepted(Paxos):
    """BROKEN on purpose: in phase 2 a proposer always proposes its own value, ignoring the
    values the acceptors reported having accepted.

    A value already chosen can then be replaced by another, and two learners decide
    differently: an *agreement* violation. See :func:`late_proposer_scenario`.
    """

    def choose_value(self):
        return self.value


_HANDLERS = {Prepare: "on_prepare", Promise: "on_promise", Accept: "on_accept", Accepted: "on_accepted",
             Nack: "on_nack"}


def dueling_scenario(backoff: bool = False, *, nodes: int = 3, until: float = 3.0, seed: int = 0) -> Scenario:
    """Two proposers (nodes 0 and 1) start at the same moment; links take 10 ms.

    Without backoff each refused proposer retries at once with a higher ballot, which makes
    the other's Accept fail, and so on: no value is chosen before ``until`` (the livelock of
    Paxos Made Simple §2.4). With ``backoff=True`` one of them waits, the other finishes.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> len(run(dueling_scenario(backoff=False)).observations("decided"))
    0
    >>> len(run(dueling_scenario(backoff=True)).observations("decided"))
    3
    """
    return Scenario(Paxos, nodes=nodes, params={"proposers": (0, 1), "backoff": backoff},
                    link=LinkModel(latency=0.01), until=until, seed=seed,
                    name=f"dueling proposers ({'backoff' if backoff else 'no backoff'})")


def late_proposer_scenario(protocol=Paxos, *, seed: int = 0) -> Scenario:
    """A value is chosen on one side of a partition; a second proposer tries after it heals.

    Five nodes, 10 ms links, partition {0, 1, 2} | {3, 4} until t=1. Node 0 proposes ``"v0"``
    at t=0 and nodes 0-2 choose it. Node 3 proposes ``"v3"`` at t=1. Correct Paxos: the promises
    report ``"v0"`` as accepted, node 3 proposes ``"v0"`` and everyone decides ``"v0"``.
    :class:`PaxosIgnoresAccepted`: node 3 pushes ``"v3"`` through, and nodes 3 and 4 decide it.
    """
    from dsysedu.sim.faults import Partition
    return Scenario(protocol, nodes=5, params={"proposers": (0, 3)}, node_params={3: {"start": 1.0}},
                    link=LinkModel(latency=0.01), faults=[Partition(((0, 1, 2), (3, 4)), at=0.0, until=1.0)],
                    until=2.0, seed=seed, name=f"late proposer ({protocol.__name__})")


def chaos_scenario(nodes: int = 5, *, seed: int = 0, proposers: int = 3, stop: float = 2.0, until: float = 5.0,
                   backoff: bool = True, nemesis: Nemesis | None = None, link: LinkModel | None = None) -> Scenario:
    """Several proposers, each with its own value, starting at random times under random faults.

    Crashes, pauses and partitions come from a :class:`~dsysedu.sim.Nemesis` until ``stop``;
    links lose, duplicate and reorder messages for the whole run. The proposers are the first
    ``proposers`` nodes; each starts at a random time in ``[0, stop)``.

    Examples
    --------
    >>> from dsysedu.protocols.consensus import agreement
    >>> agreement(chaos_scenario(3, seed=1).run()).ok
    True
    """
    seed = normalize_seed(seed)   # once: the workload and the run share it
    rnd = stream(seed, "workload")
    nemesis, link = chaos_weather(stop, nemesis, link, loss=0.05)
    chosen = tuple(range(min(proposers, nodes)))
    node_params = {p: {"start": rnd.uniform(0.0, stop)} for p in chosen}
    return Scenario(Paxos, nodes=nodes, params={"proposers": chosen, "backoff": backoff}, node_params=node_params,
                    link=link, nemesis=nemesis, until=until, seed=seed, name=f"Paxos chaos ({nodes} nodes)")
