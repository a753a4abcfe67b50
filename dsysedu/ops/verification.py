"""Formal methods in practice (形式化方法): what model checking found in this course, and where it stops.

Two halves of chapter 8.1.

*Where it paid.* :data:`MODEL_CHECKS` lists the course's model-checked protocols, each with the
property that matters and the broken variant its chapter keeps beside it (a coordinator that
commits on a majority, a lock without fencing, a consumer that acks before it applies...).
:func:`model_check_record` runs every one of them through
:func:`~dsysedu.check.model_checker.check` and returns the table: verdict, states explored, and the
length of the shortest counterexample for the broken one.

*Where it stops.* A model is not the implementation. :class:`NarrowTokenLock` is the lease lock of
:mod:`dsysedu.protocols.coordination.fencing_model` with one implementation detail changed: its
fencing token lives in a field of ``bits`` bits, so after ``2**bits - 1`` grants it wraps to 0,
and the fenced storage silently refuses every later holder's write. The model checker cannot see
this at its size (at most 4 clients, so at most 4 grants, never a wrap), and the wrap is not in
the model at all: the specification's token is an unbounded integer. Such limits are real:
ZooKeeper's transaction id keeps a counter in its low 32 bits, and the rollover of that counter
had to be handled on its own (ZOOKEEPER-1277: it forces a new leader election). :func:`validation_runs` closes the gap from
the other side: it checks each seeded trace of the implementation against the model with
:func:`~dsysedu.check.trace_validation.validate_trace`, which names the first step the
specification does not allow.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from dsysedu.check.model_checker import Model, check
from dsysedu.check.trace_validation import TraceValidation, validate_trace
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model
from dsysedu.protocols.consensus.raft.log_model import log_safety_invariant, raft_log_model
from dsysedu.protocols.consensus.raft.snapshots import CompactingRaft, RaftSnapshotsUncommitted
from dsysedu.protocols.consensus.raft.variants import RaftForgetsVote
from dsysedu.protocols.coordination.fencing_model import (FencedStore, ForgetfulLock, LeaseHolder, LeaseLock,
                                                           lease_model, no_older_token, one_writer_per_token)
from dsysedu.protocols.coordination.leases import LOCK, STORAGE, AskLease, LeaseDenied, LeaseGranted
from dsysedu.protocols.coordination.mutex import ImpatientClient, mutex_model, mutual_exclusion
from dsysedu.protocols.transactions.paxos_commit import BlindLeader, paxos_commit_model, pc_atomicity
from dsysedu.protocols.transactions.saga import ForwardCompensation, reverse_order, saga_model
from dsysedu.protocols.transactions.threepc import LocalTermination, three_atomicity, threepc_model
from dsysedu.protocols.transactions.twopc import MajorityCoordinator, atomicity, twopc_model
from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number
from dsysedu.systems.messaging.queue_checking import acked_means_applied, queue_model
from dsysedu.systems.patterns.event_sourcing import ArrivalOrderReadModel, event_sourcing_model, read_model_consistent
from dsysedu.systems.resilience.circuit_breaker import EagerBreaker, breaker_model, one_trial

__all__ = ["ModelCheck", "MODEL_CHECKS", "model_check_record", "NarrowTokenLock", "lease_implementation_scenario",
           "lease_spec", "lost_writes", "validation_runs"]


@dataclass(frozen=True)
class ModelCheck:
    """One of the course's model checks: a model, its property, and its broken variant.

    ``right()`` and ``broken()`` build the two models; ``bug`` says in words what the broken one
    gets wrong.
    """
    section: str
    protocol: str
    property: object
    right: Callable[[], Model]
    broken: Callable[[], Model]
    bug: str


# chapter 3.1b's compacted-log model: one command, a snapshot after every applied entry
_LOG_MODEL = dict(max_term=2, snapshot_every=1, heartbeats=0, retries=0, symmetric=True, compress=True, fifo=True)

MODEL_CHECKS = (
    ModelCheck("2.3", "Raft election (3 servers, term 1)", election_safety_invariant,
               lambda: raft_election_model(crashes=1, recoveries=1),
               lambda: raft_election_model(RaftForgetsVote, crashes=1, recoveries=1),
               "a server forgets its vote across a crash"),
    ModelCheck("3.1b", "Raft log with snapshots (3 servers, terms <= 2, FIFO)", log_safety_invariant,
               lambda: raft_log_model(CompactingRaft, **_LOG_MODEL),
               lambda: raft_log_model(RaftSnapshotsUncommitted, **_LOG_MODEL),
               "a snapshot takes in an entry not yet committed"),
    ModelCheck("2.3", "two-phase commit (3 participants)", atomicity, lambda: twopc_model(3),
               lambda: twopc_model(3, MajorityCoordinator), "the coordinator commits on a majority of yes votes"),
    ModelCheck("3.3", "three-phase commit (2 participants)", three_atomicity, lambda: threepc_model(2),
               lambda: threepc_model(2, LocalTermination), "a participant decides alone on a timeout"),
    ModelCheck("3.3", "Paxos Commit (1 participant, F = 1)", pc_atomicity, lambda: paxos_commit_model(1, 1),
               lambda: paxos_commit_model(1, 1, leader=BlindLeader), "a backup leader skips phase 1"),
    ModelCheck("3.3", "orchestrated saga", reverse_order, lambda: saga_model(),
               lambda: saga_model(ForwardCompensation), "compensations run in forward order"),
    ModelCheck("2.3", "lock server (2 clients)", mutual_exclusion, lambda: mutex_model(2),
               lambda: mutex_model(2, ImpatientClient), "a client enters before its grant"),
    ModelCheck("5.2", "leases and fencing (2 clients)", no_older_token, lambda: lease_model(2),
               lambda: lease_model(2, fencing=False), "the storage does not check tokens"),
    ModelCheck("5.2", "leases and fencing (2 clients)", one_writer_per_token, lambda: lease_model(2),
               lambda: lease_model(2, lock=ForgetfulLock), "the lock forgets its token counter"),
    ModelCheck("4.1", "queue with acks (1 message)", acked_means_applied, lambda: queue_model(count=1, ack="after"),
               lambda: queue_model(count=1, ack="before"), "the consumer acks before it applies"),
    ModelCheck("5.2", "circuit breaker", one_trial, lambda: breaker_model(),
               lambda: breaker_model(EagerBreaker), "half-open lets every request through"),
    ModelCheck("5.2", "event sourcing read model", read_model_consistent, lambda: event_sourcing_model(),
               lambda: event_sourcing_model(reader=ArrivalOrderReadModel), "the read model applies in arrival order"),
)
"""The course's model checks (:func:`model_check_record` sorts them by section)."""


def model_check_record(checks=MODEL_CHECKS) -> pd.DataFrame:
    """Run every check on its right and its broken model: the record of what model checking found.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``section``, ``protocol``, ``property``, ``right`` (verdict),
        ``states`` (explored for the right model: all its reachable states), ``broken`` (the
        variant's verdict), ``states_to_bug`` (explored until the counterexample),
        ``counterexample`` (its number of actions), ``bug`` and ``seconds`` (both searches; a
        wall-clock time, for reading, never for asserting).

    Examples
    --------
    >>> table = model_check_record(MODEL_CHECKS[1:2])
    >>> row = table.iloc[0]
    >>> row["right"], int(row["states"]), row["broken"], int(row["counterexample"])
    ('ok', 182, 'violation', 6)
    """
    rows = []
    for c in checks:
        if not isinstance(c, ModelCheck):
            raise TypeError(f"checks must be ModelCheck entries, got {c!r}")
        t0 = time.perf_counter()
        good, bad = check(c.right(), c.property), check(c.broken(), c.property)
        rows.append({"section": c.section, "protocol": c.protocol, "property": c.property.name,
                     "right": good.verdict, "states": good.states, "broken": bad.verdict,
                     "states_to_bug": bad.states, "counterexample": len(bad.path) if bad.path else None,
                     "bug": c.bug, "seconds": round(time.perf_counter() - t0, 3)})
    return pd.DataFrame(rows).sort_values("section", kind="stable").reset_index(drop=True)



# ------------------------------------------------------------------ the implementation detail

class NarrowTokenLock(LeaseLock):
    """The lease lock with its fencing token kept in ``bits`` bits: after ``2**bits - 1`` grants it wraps to 0.

    Everything else is :class:`~dsysedu.protocols.coordination.fencing_model.LeaseLock`. A
    realistic width is 32 or 64 bits; the lesson uses 3, so that the wrap comes after 7 grants.
    """

    def __init__(self, node_id, peers=(), bits=3):
        super().__init__(node_id, peers)
        if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 64:
            raise ValueError(f"bits must be an int in 1..64, got {bits!r}")
        self.bits = bits

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, AskLease):
            return
        if self.holder is None:
            self.token = (self.token + 1) % (1 << self.bits)      # the field is only this wide
            self.holder = src
            ctx.send(src, LeaseGranted(self.token, 1.0))
            ctx.set_timer("expire", 1.0)
        else:
            ctx.send(src, LeaseDenied())


def lease_implementation_scenario(clients: int = 10, *, lock=NarrowTokenLock, bits: int = 3, asks: int = 200,
                                  loss: float = 0.0, until: float = 30.0) -> Scenario:
    """The lease lock, the fenced storage and ``clients`` holders as a simulation: one lease after another.

    Parameters
    ----------
    clients : int
        Holders ``c1``... (1..40); each asks until it is granted once (at most ``asks`` times,
        every 0.1 s), then writes once with its token.
    lock : LeaseLock subclass
        :class:`NarrowTokenLock` (the implementation) or ``LeaseLock`` (the specification).
    bits : int
        The token's width, for :class:`NarrowTokenLock`.
    asks : int
        Asks per holder before it gives up (>= 1).
    loss : float
        Probability in [0, 1) that a message is lost (a lost ask or grant leaves its holder waiting:
        the holders do not time out).
    until : float
        Simulated seconds (> 0).
    """
    if isinstance(clients, bool) or not isinstance(clients, int) or not 1 <= clients <= 40:
        raise ValueError(f"clients must be an int in 1..40, got {clients!r}")
    if not (isinstance(lock, type) and issubclass(lock, LeaseLock)):
        raise TypeError(f"lock must be LeaseLock or a subclass, got {lock!r}")
    if isinstance(asks, bool) or not isinstance(asks, int) or asks < 1:
        raise ValueError(f"asks must be an int >= 1, got {asks!r}")
    if number("loss", loss, low=0.0, high=1.0) == 1.0:
        raise ValueError("loss must be < 1: with every message lost nothing happens")
    number("until", until, low=0.0, low_open=True)
    ids = tuple(f"c{i}" for i in range(1, clients + 1))
    params = {c: {"asks": asks} for c in ids}
    if issubclass(lock, NarrowTokenLock):
        params[LOCK] = {"bits": bits}
    return Scenario({LOCK: lock, STORAGE: FencedStore, **{c: LeaseHolder for c in ids}},
                    nodes=[LOCK, STORAGE, *ids], node_params=params, link=LinkModel(latency=Uniform(0.005, 0.02), loss=loss),
                    until=until, name=f"leases, {clients} holders ({lock.__name__})")


def lease_spec(trace, asks: int = 200) -> Model:
    """The specification a lease trace is validated against: ``LeaseLock`` over the trace's holders.

    ``asks`` must be the implementation's (the holders are the same class on both sides).

    Its drop budget is the trace's number of lost messages, so that every loss is a step the model allows.
    """
    holders = [n for n in trace.nodes if n not in (LOCK, STORAGE)]
    drops = sum(1 for r in trace.rows if r[1] == "drop" and r[6] != "crashed")
    sc = lease_implementation_scenario(len(holders), lock=LeaseLock, asks=asks)
    return Model(Scenario(sc.protocol, nodes=sc.node_ids, node_params={c: {"asks": asks} for c in holders},
                          name="lease specification"), drops=drops)


def lost_writes(trace) -> int:
    """Holders whose write reached the storage and was refused (the storage's ``accepted`` misses it)."""
    writes = [(r[3], r[5]) for r in trace.rows if r[1] == "deliver" and r[2] == STORAGE]
    highest, lost = 0, 0
    for _src, w in writes:
        if w.token < highest:
            lost += 1
        highest = max(highest, w.token)
    return lost


def validation_runs(seeds=range(10), *, clients: int = 10, bits: int = 3, loss: float = 0.0) -> pd.DataFrame:
    """Validate seeded traces of the specification's own lock and of :class:`NarrowTokenLock` against the spec.

    Returns
    -------
    pandas.DataFrame
        One row per (lock, seed): ``lock``, ``seed``, ``steps`` (checked), ``valid``, ``first_bad_step``
        (its number, or None), ``event`` (that step), ``sent`` (what the implementation sent there),
        ``spec_sends`` (what the model sends) and ``lost_writes`` (holders whose write the storage refused).
    """
    rows = []
    for lock in (LeaseLock, NarrowTokenLock):
        for seed in seeds:
            trace = run(lease_implementation_scenario(clients, lock=lock, bits=bits, loss=loss), seed=seed)
            v: TraceValidation = validate_trace(lease_spec(trace), trace)
            rows.append({"lock": lock.__name__, "seed": seed, "steps": v.steps, "valid": v.ok,
                         "first_bad_step": None if v.ok else v.steps, "event": v.event,
                         "sent": v.implementation, "spec_sends": v.model, "lost_writes": lost_writes(trace)})
    out = pd.DataFrame(rows)
    out["first_bad_step"] = out["first_bad_step"].astype("Int64")
    return out
