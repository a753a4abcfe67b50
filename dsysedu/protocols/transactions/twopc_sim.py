"""Two-phase commit as it runs (两阶段提交): a decision log, locks, timeouts, and a crash at each step.

:mod:`~dsysedu.protocols.transactions.twopc` is the textbook core, small enough for the model
checker to see every state. This module is the version a database runs, on the simulator:

* the coordinator (:class:`LoggingCoordinator`) writes each decision to its log (a durable field)
  *before* it tells anyone; it aborts a transaction whose votes do not all arrive within
  ``vote_timeout``; after a crash it re-sends every logged decision and *presumes abort* for the
  transaction it had not decided (it never told anyone commit, so abort is safe) [1]_;
* a participant (:class:`LockingParticipant`) takes the transaction's lock when it votes yes and
  holds it until it learns the decision; while prepared it may not decide on its own, so it asks
  the coordinator again every ``ask_every`` seconds: this is **blocking**. Local transactions
  (:class:`LocalTxn`, from outside) that need the lock wait behind it.

Crash points. ``crash_at`` names one step at which the node stops (once): the coordinator's
``"before_log"`` and ``"after_log"`` (around writing its decision), a participant's
``"before_vote"`` and ``"after_vote"``. The node records ``("crash_point", step)`` and does
nothing more in that handler; :func:`run_with_crash_points` crashes it right there and brings it
back after ``downtime``.

Properties: :func:`atomic` (every participant's outcome equals the coordinator's decision, per
transaction) on a trace; :data:`sim_atomicity` and :data:`sim_all_decided` on model states
(:func:`twopc_sim_model`). Broken on purpose: :class:`ForgetfulCoordinator` sends its decision
before logging it and presumes abort after a crash, so a coordinator crash between the two
breaks atomicity.

References
----------
.. [1] C. Mohan, B. Lindsay and R. Obermarck, "Transaction management in the R* distributed
   database management system", ACM TODS 11(4), 1986 (presumed abort).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.check.model_checker import Model, eventually, invariant
from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Input, Scenario

__all__ = ["TxnPrepare", "TxnVote", "TxnDecision", "Ask", "LocalTxn", "LoggingCoordinator", "LockingParticipant",
           "ForgetfulCoordinator", "CRASH_POINTS", "twopc_sim_scenario", "run_with_crash_points", "atomic",
           "outcomes", "lock_hold_times", "local_waits", "crash_point_table", "blocking_sweep", "twopc_sim_model", "sim_atomicity", "sim_all_decided"]

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"
COORDINATOR = "c"
CRASH_POINTS = {"coordinator": ("before_log", "after_log"), "participant": ("before_vote", "after_vote")}


@dataclass(frozen=True)
class TxnPrepare:
    txn: int


@dataclass(frozen=True)
class TxnVote:
    txn: int
    yes: bool


@dataclass(frozen=True)
class TxnDecision:
    txn: int
    commit: bool


@dataclass(frozen=True)
class Ask:
    """A prepared participant asks: what did you decide for ``txn``?"""
    txn: int


@dataclass(frozen=True)
class LocalTxn:
    """A local transaction at a participant that needs the same lock (from outside)."""
    id: int


def _check_crash_at(crash_at, role):
    if crash_at is not None and crash_at not in CRASH_POINTS[role]:
        raise ValueError(f"crash_at of a {role} must be None or one of {CRASH_POINTS[role]}, got {crash_at!r}")


class _Steps(Node):
    def reach(self, ctx, step) -> bool:
        """True if this node crashes here (once): it records the crash point and must stop."""
        if self.crash_at == step:
            self.crash_at = None
            ctx.observe("crash_point", step)
            return True
        return False


class LoggingCoordinator(_Steps):
    """Runs ``transactions`` transactions one after another over its peers.

    Observes ``decision`` as ``(txn, "commit" | "abort")`` when it logs one.
    """
    state_fields = ("txn", "yes", "log", "crash_at")
    durable = ("txn", "log", "crash_at")

    def __init__(self, node_id, peers=(), transactions=1, vote_timeout=0.5, crash_at=None):
        super().__init__(node_id, peers)
        if isinstance(transactions, bool) or not isinstance(transactions, int) or transactions < 1:
            raise ValueError(f"transactions must be an int >= 1, got {transactions!r}")
        if vote_timeout is not None and not vote_timeout > 0:
            raise ValueError(f"vote_timeout must be > 0 seconds or None, got {vote_timeout!r}")
        _check_crash_at(crash_at, "coordinator")
        self.transactions, self.vote_timeout, self.crash_at = transactions, vote_timeout, crash_at
        self.txn = 0
        self.yes = frozenset()
        self.log = ()          # ((txn, "commit" | "abort"), ...): on disk

    def decided(self, txn):
        for t, d in self.log:
            if t == txn:
                return d
        return None

    def on_start(self, ctx):
        self.begin(ctx, 1)

    def begin(self, ctx, txn):
        self.txn, self.yes = txn, frozenset()
        ctx.broadcast(TxnPrepare(txn))
        if self.vote_timeout is not None:
            ctx.set_timer("vote_timeout", self.vote_timeout)

    def on_recover(self, ctx):
        for txn, d in self.log:                       # tell again what may not have arrived
            ctx.broadcast(TxnDecision(txn, d == "commit"))
        if self.txn and self.decided(self.txn) is None:
            self.decide(ctx, False)                   # presumed abort: nobody was told commit
        elif self.txn and self.txn < self.transactions:
            self.begin(ctx, self.txn + 1)

    def on_timer(self, ctx, name):
        if name == "vote_timeout" and self.decided(self.txn) is None:
            self.decide(ctx, False)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Ask):
            d = self.decided(msg.txn)
            if d is not None:
                ctx.send(src, TxnDecision(msg.txn, d == "commit"))
            return
        if not isinstance(msg, TxnVote):
            return
        late = self.decided(msg.txn)
        if late is not None:                          # a vote after the decision: tell it the outcome
            if msg.yes:
                ctx.send(src, TxnDecision(msg.txn, late == "commit"))
            return
        if msg.txn != self.txn:
            return
        if not msg.yes:
            self.decide(ctx, False)
            return
        self.yes = self.yes | {src}
        if len(self.yes) == len(self.peers):
            self.decide(ctx, True)

    def decide(self, ctx, commit: bool) -> None:
        if self.reach(ctx, "before_log"):
            return
        d = "commit" if commit else "abort"
        self.log = self.log + ((self.txn, d),)        # forced to disk before anyone hears of it
        ctx.cancel_timer("vote_timeout")
        ctx.observe("decision", (self.txn, d))
        if self.reach(ctx, "after_log"):
            return
        ctx.broadcast(TxnDecision(self.txn, commit))
        if self.txn < self.transactions:
            self.begin(ctx, self.txn + 1)


class ForgetfulCoordinator(LoggingCoordinator):
    """BROKEN on purpose: tells its decision first and logs nothing durable.

    After a crash it presumes abort for a transaction it had already told some participants
    to commit: they commit, the rest abort.
    """
    durable = ("txn", "crash_at")

    def decide(self, ctx, commit: bool) -> None:
        d = "commit" if commit else "abort"
        ctx.cancel_timer("vote_timeout")
        ctx.send(self.peers[0], TxnDecision(self.txn, commit))   # the first hears it at once...
        if self.reach(ctx, "before_log"):
            return
        self.log = self.log + ((self.txn, d),)
        ctx.observe("decision", (self.txn, d))
        ctx.broadcast(TxnDecision(self.txn, commit))
        if self.txn < self.transactions:
            self.begin(ctx, self.txn + 1)


class LockingParticipant(_Steps):
    """Votes yes (unless ``vote_no``), then holds its lock until the decision arrives.

    Parameters
    ----------
    ask_every : float
        While prepared, ask the coordinator for the decision this often (seconds).
    abort_after : float or None
        A participant that has not voted may abort on its own after this long (None: never).
    vote_no : bool
        Vote no (a constraint failed): the transaction aborts.

    Observes ``phase``, ``outcome`` as ``(txn, "commit" | "abort")``, and ``served`` as
    ``(local id, seconds waited)`` for each :class:`LocalTxn`.
    """
    state_fields = ("txn", "phase", "crash_at", "waiting")
    durable = ("txn", "phase", "crash_at")

    def __init__(self, node_id, peers=(), coordinator=COORDINATOR, ask_every=0.2, abort_after=None,
                 vote_no=False, crash_at=None):
        super().__init__(node_id, peers)
        if not ask_every > 0:
            raise ValueError(f"ask_every must be > 0 seconds, got {ask_every!r}")
        _check_crash_at(crash_at, "participant")
        self.coordinator, self.ask_every, self.abort_after = coordinator, ask_every, abort_after
        self.vote_no, self.crash_at = vote_no, crash_at
        self.txn = 0
        self.phase = WORKING
        self.waiting = ()      # (local id, arrival time) queued behind the lock

    def on_start(self, ctx):
        ctx.observe("phase", self.phase)
        if self.abort_after is not None:
            ctx.set_timer("unilateral_abort", self.abort_after)

    def on_recover(self, ctx):
        ctx.observe("phase", self.phase)
        if self.phase == PREPARED:                    # it promised: only the coordinator decides
            ctx.send(self.coordinator, Ask(self.txn))
            ctx.set_timer("ask", self.ask_every)
        elif self.phase == WORKING and self.txn:      # it never voted yes: it may abort
            self.finish(ctx, False)
        elif self.phase == WORKING and self.abort_after is not None:
            ctx.set_timer("unilateral_abort", self.abort_after)

    def on_timer(self, ctx, name):
        if name == "ask" and self.phase == PREPARED:
            ctx.send(self.coordinator, Ask(self.txn))
            ctx.set_timer("ask", self.ask_every)
        elif name == "unilateral_abort" and self.phase == WORKING:
            self.phase = ABORTED
            ctx.observe("phase", ABORTED)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, LocalTxn):
            if self.phase == PREPARED:
                self.waiting = self.waiting + ((msg.id, ctx.now),)
            else:
                ctx.observe("served", (msg.id, 0.0))
        elif isinstance(msg, TxnPrepare):
            if msg.txn < self.txn:
                return
            if msg.txn == self.txn:                   # a prepare again: the same vote again
                if self.phase in (ABORTED, PREPARED):
                    ctx.send(src, TxnVote(msg.txn, self.phase == PREPARED))
                return
            if self.phase == ABORTED and not self.txn:  # it aborted on its own before the first prepare
                self.txn = msg.txn
                ctx.observe("outcome", (self.txn, "abort"))
                ctx.send(src, TxnVote(msg.txn, False))
                return
            self.txn, self.phase = msg.txn, WORKING
            if self.reach(ctx, "before_vote"):
                return
            ctx.cancel_timer("unilateral_abort")
            if self.vote_no:
                self.finish(ctx, False)
                ctx.send(src, TxnVote(msg.txn, False))
                return
            self.phase = PREPARED                     # forced to disk, lock held, then the vote
            ctx.observe("phase", PREPARED)
            ctx.send(src, TxnVote(msg.txn, True))
            if self.reach(ctx, "after_vote"):
                return
            ctx.set_timer("ask", self.ask_every)
        elif isinstance(msg, TxnDecision):
            if msg.txn == self.txn and self.phase in (WORKING, PREPARED):
                self.finish(ctx, msg.commit)
            elif msg.txn > self.txn and self.phase != PREPARED:   # decided before its prepare arrived
                self.txn = msg.txn
                ctx.cancel_timer("unilateral_abort")
                self.finish(ctx, msg.commit)

    def finish(self, ctx, commit: bool) -> None:
        self.phase = COMMITTED if commit else ABORTED
        ctx.cancel_timer("ask")
        ctx.observe("phase", self.phase)
        ctx.observe("outcome", (self.txn, "commit" if commit else "abort"))
        for lid, since in self.waiting:               # the lock is free: serve the queue
            ctx.observe("served", (lid, ctx.now - since))
        self.waiting = ()


def participant_ids(n: int) -> tuple:
    return tuple(f"p{i}" for i in range(1, n + 1))


def twopc_sim_scenario(participants: int = 3, *, transactions: int = 1, coordinator=LoggingCoordinator,
                       participant=LockingParticipant, crash_at=None, vote_timeout=0.5, ask_every=0.2,
                       local_txns=(), **kwargs) -> Scenario:
    """Coordinator ``"c"`` and participants ``"p1"``... with crash points.

    Parameters
    ----------
    crash_at : dict node -> step, optional
        E.g. ``{"c": "before_log"}`` or ``{"p2": "after_vote"}`` (see :data:`CRASH_POINTS`).
    local_txns : sequence of (time, participant)
        Local transactions arriving at a participant, which need its lock.
    kwargs
        Passed to :class:`~dsysedu.sim.Scenario` (``until``, ``link``, ``faults``...).
    """
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise ValueError(f"participants must be an int >= 1, got {participants!r}")
    ids = participant_ids(participants)
    crash_at = dict(crash_at or {})
    unknown = set(crash_at) - {COORDINATOR, *ids}
    if unknown:
        raise ValueError(f"crash_at names unknown nodes {sorted(unknown)}; nodes are {[COORDINATOR, *ids]}")
    for node, step in crash_at.items():
        _check_crash_at(step, "coordinator" if node == COORDINATOR else "participant")
    params = {COORDINATOR: {"transactions": transactions, "vote_timeout": vote_timeout,
                            "crash_at": crash_at.get(COORDINATOR)}}
    for p in ids:
        params[p] = {"ask_every": ask_every, "crash_at": crash_at.get(p), **kwargs.pop(f"{p}_params", {})}
    inputs = tuple(Input(at, p, LocalTxn(i)) for i, (at, p) in enumerate(local_txns))
    protocol = {COORDINATOR: coordinator, **{p: participant for p in ids}}
    kwargs.setdefault("until", 10.0)
    return Scenario(protocol, nodes=[COORDINATOR, *ids], node_params=params, inputs=inputs,
                    name="two-phase commit (logged, locking)", **kwargs)


def run_with_crash_points(scenario: Scenario, seed=None, downtime: float | None = 1.0):
    """Run ``scenario``, crashing each node where it records a ``crash_point``; it recovers after ``downtime``.

    ``downtime=None``: the node stays down. Returns the Trace.
    """
    if downtime is not None and not downtime >= 0:
        raise ValueError(f"downtime must be >= 0 seconds or None, got {downtime!r}")
    sim = Simulation(scenario, seed=seed)
    end = scenario.until
    while (nxt := sim.pending(limit=1)) and nxt[0].time <= end:
        for row in sim.step():
            if row[1] == "observe" and row[5] == "crash_point":
                sim.apply(Crash(row[2], at=0.0, until=downtime))
    return sim.run(end)


def outcomes(trace) -> dict:
    """``{txn: {node: "commit" | "abort"}}``: the coordinator's decision (node ``"c"``) and each outcome."""
    out = {}
    for e in trace.events:
        if e.kind == "observe" and e.data in ("decision", "outcome"):
            txn, d = e.value
            out.setdefault(txn, {})[e.node] = d
    return out


def atomic(trace) -> Verdict:
    """Atomicity on a run: for each transaction, no two nodes report different outcomes."""
    for txn, by in sorted(outcomes(trace).items()):
        if len(set(by.values())) > 1:
            return Verdict(False, "atomicity", f"transaction {txn}: {dict(sorted(by.items()))}")
    return Verdict(True, "atomicity", f"{len(outcomes(trace))} transactions, every node that decided agrees")


def lock_hold_times(trace) -> dict:
    """Seconds each participant held its lock (prepared until it learnt the outcome); to the run's end if never."""
    since, held = {}, {}
    for e in trace.events:
        if e.kind == "observe" and e.data == "phase":
            if e.value == PREPARED:
                since.setdefault(e.node, e.time)      # a recovery that finds it prepared: still the same hold
            elif e.node in since and e.value in (COMMITTED, ABORTED):
                held[e.node] = held.get(e.node, 0.0) + e.time - since.pop(e.node)
    for node, t in since.items():
        held[node] = held.get(node, 0.0) + trace.end_time - t
    return held


def local_waits(trace) -> dict:
    """``{local id: seconds waited}`` for the local transactions served (a missing id: still waiting)."""
    return {e.value[0]: e.value[1] for e in trace.events if e.kind == "observe" and e.data == "served"}


def crash_point_table(participants: int = 3, seed=None, downtime: float = 1.0) -> pd.DataFrame:
    """One run per crash point (and one without): the outcomes of transaction 1, atomicity, lock time.

    Examples
    --------
    >>> t = crash_point_table(2, seed=1)
    >>> list(t["crash point"])[:2]
    ['none', 'c before_log']
    """
    points = [(None, None)] + [(COORDINATOR, s) for s in CRASH_POINTS["coordinator"]] + \
        [("p1", s) for s in CRASH_POINTS["participant"]]
    rows = []
    for node, step in points:
        sc = twopc_sim_scenario(participants, crash_at={node: step} if node else None, until=5.0)
        tr = run_with_crash_points(sc, seed=seed, downtime=downtime)
        by = outcomes(tr).get(1, {})
        held = lock_hold_times(tr)
        rows.append({"crash point": f"{node} {step}" if node else "none", "decision": by.get(COORDINATOR),
                     "participants": "/".join(by.get(p, "-") for p in participant_ids(participants)),
                     "atomic": atomic(tr).ok, "longest lock hold (s)": round(max(held.values(), default=0.0), 3)})
    return pd.DataFrame(rows)


def blocking_sweep(downtimes=(0.25, 0.5, 1.0, 2.0, 4.0), participants: int = 3, seed=None,
                   step: str = "before_log") -> pd.DataFrame:
    """The coordinator crashes at ``step`` for each downtime: how long the participants hold their
    locks, and how long a local transaction arriving at ``p1`` just after the prepare waits."""
    rows = []
    for down in downtimes:
        sc = twopc_sim_scenario(participants, crash_at={COORDINATOR: step}, until=max(downtimes) + 5.0,
                                local_txns=[(0.05, "p1")])
        tr = run_with_crash_points(sc, seed=seed, downtime=down)
        held = lock_hold_times(tr)
        rows.append({"coordinator down (s)": down, "lock held (s)": max(held.values()),
                     "local transaction waited (s)": local_waits(tr).get(0, float("nan")), "atomic": atomic(tr).ok})
    return pd.DataFrame(rows)


# -- the model ----------------------------------------------------------------------------------

def _phases(s):
    return [v for k, v in s.field("phase").items()]


sim_atomicity = invariant("atomicity", lambda s: not ({COMMITTED, ABORTED} <= set(_phases(s))))
"""No participant commits while another aborts (one transaction)."""

sim_all_decided = eventually("every participant eventually decides",
                             lambda s: all(v in (COMMITTED, ABORTED) for v in _phases(s)))


def twopc_sim_model(participants: int = 2, coordinator=LoggingCoordinator, *, symmetric: bool = True,
                    **budget) -> Model:
    """One transaction of logged, locking 2PC for the model checker (every timer may fire at any moment).

    ``budget``: ``crashes``, ``recoveries``, ``drops``, ``duplicates``. The participants' ``ask``
    timer is left out (each firing would add one more message in flight, without end); a
    recovering coordinator re-sends its decisions instead.
    """
    sc = twopc_sim_scenario(participants, coordinator=coordinator,
                            **{f"{p}_params": {"abort_after": 1.0} for p in participant_ids(participants)})
    ids = participant_ids(participants)
    return Model(sc, symmetric=ids if symmetric else (), name=f"2PC with log, {participants} participants",
                 final=lambda s: all(v in (COMMITTED, ABORTED) for v in _phases(s)),
                 fire=lambda node, name: name != "ask", **budget)
