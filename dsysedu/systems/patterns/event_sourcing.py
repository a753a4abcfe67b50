"""Event sourcing and CQRS (事件溯源, 命令查询职责分离): the log is the truth, the views are derived.

The write side, an :class:`EventStore`, takes *commands* (``Deposit``, ``Withdraw``, ``Rename``),
checks them against the current state, and records what happened as *events* (``Deposited``,
``Withdrawn``, ``Renamed``) in an append-only log, numbered 1, 2, 3... The state is never
stored as such: it is the fold of :func:`apply` over the log (:func:`rebuild`), which also
answers "what was the state at time t" (:func:`state_at`). Every ``snapshot_every`` events
the store keeps a snapshot, so that a rebuild can start from the latest one instead of the
beginning.

The read side (CQRS: queries are answered by a different model than the one that takes
commands) is a :class:`ReadModel` fed by the events the store publishes. It applies them in
log order, buffering any that arrive early, at ``apply_cost`` seconds each, so it lags behind
the log. A :class:`Client` that writes and then reads from the read model may not see its own
write (a *read-your-writes* anomaly) unless its query says which log position it must see
(``wait_for_own_writes``).

Properties: :func:`applied_in_order` (the read model applied events in log order, without gaps);
:func:`read_model_matches_log`; :func:`read_your_writes`. Broken on purpose:
:class:`ArrivalOrderReadModel` applies events as they arrive (over a reordering network its
state differs from the log's), and :class:`VolatileEventStore` keeps its log in memory only
(caught by the model checker with a crash: :data:`log_durable`).

References
----------
.. [1] M. Fowler, "Event Sourcing", 2005, and G. Young, "CQRS Documents", 2010.
.. [2] M. Kleppmann, *Designing Data-Intensive Applications*, O'Reilly 2017, ch. 11.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check import Verdict
from dsysedu.check.model_checker import Model, invariant
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Deposit", "Withdraw", "Rename", "Deposited", "Withdrawn", "Renamed", "Accepted", "Rejected",
           "Published", "Query", "Answer", "apply", "rebuild", "rebuild_from", "state_at", "decide",
           "EventStore", "VolatileEventStore", "ReadModel", "ArrivalOrderReadModel", "Client",
           "event_sourcing_scenario", "event_sourcing_model", "applied_in_order", "read_model_matches_log",
           "read_your_writes", "read_model_lag", "lag_sweep", "run_with_nodes", "log_durable", "read_model_consistent", "STORE", "READER",
           "CLIENT"]

STORE, READER, CLIENT = "store", "reader", "client"
ACCOUNTS = ("a", "b")


# -- commands and events -----------------------------------------------------------

@dataclass(frozen=True)
class Deposit:
    account: str
    amount: int


@dataclass(frozen=True)
class Withdraw:
    account: str
    amount: int


@dataclass(frozen=True)
class Rename:
    account: str
    name: str


@dataclass(frozen=True)
class Deposited:
    account: str
    amount: int


@dataclass(frozen=True)
class Withdrawn:
    account: str
    amount: int


@dataclass(frozen=True)
class Renamed:
    account: str
    name: str


# -- messages ---------------------------------------------------------------------

@dataclass(frozen=True)
class Accepted:
    cid: int
    seq: int


@dataclass(frozen=True)
class Rejected:
    cid: int


@dataclass(frozen=True)
class Command:
    cid: int
    command: object


@dataclass(frozen=True)
class Published:
    seq: int
    event: object


@dataclass(frozen=True)
class Query:
    qid: int
    account: str
    min_seq: int = 0      # answer only once the read model has applied this far


@dataclass(frozen=True)
class Answer:
    qid: int
    account: str
    value: tuple          # (balance, name)
    seq: int              # log position the answer reflects


# -- the domain, as pure functions ------------------------------------------------------

def apply(state: tuple, event) -> tuple:
    """The state after ``event``. A state is a sorted tuple of ``(account, (balance, name))``."""
    accounts = dict(state)
    balance, name = accounts.get(event.account, (0, ""))
    if isinstance(event, Deposited):
        balance += event.amount
    elif isinstance(event, Withdrawn):
        balance -= event.amount
    elif isinstance(event, Renamed):
        name = event.name
    else:
        raise TypeError(f"not an event: {event!r}")
    accounts[event.account] = (balance, name)
    return tuple(sorted(accounts.items()))


def decide(state: tuple, command):
    """The event a command leads to in ``state``, or None when it is refused (overdraft)."""
    if isinstance(command, Deposit):
        return Deposited(command.account, command.amount) if command.amount > 0 else None
    if isinstance(command, Withdraw):
        balance = dict(state).get(command.account, (0, ""))[0]
        return Withdrawn(command.account, command.amount) if 0 < command.amount <= balance else None
    if isinstance(command, Rename):
        return Renamed(command.account, command.name)
    raise TypeError(f"not a command: {command!r}")


def rebuild(log, upto: int | None = None) -> tuple:
    """Fold the log's events (entries ``(seq, time, event)``) from the empty state, up to ``seq <= upto``."""
    state = ()
    for seq, _t, event in log:
        if upto is not None and seq > upto:
            break
        state = apply(state, event)
    return state


def rebuild_from(snapshots, log) -> tuple:
    """The same state, from the latest snapshot ``(seq, state)`` and the events after it."""
    seq0, state = snapshots[-1] if snapshots else (0, ())
    for seq, _t, event in log:
        if seq > seq0:
            state = apply(state, event)
    return state


def state_at(log, t: float) -> tuple:
    """The state as it was at time ``t``: the events recorded at or before ``t``."""
    return rebuild([e for e in log if e[1] <= t])


# -- the nodes --------------------------------------------------------------------------

class EventStore(Node):
    """The write side: checks commands, appends events, snapshots, publishes to the read models.

    Observes ``appended`` (the new event's seq) and ``rejected`` (a command id).
    """
    state_fields = ("log", "current", "snapshots")
    durable = ("log", "snapshots")

    def __init__(self, node_id, peers=(), readers=(READER,), snapshot_every=10):
        super().__init__(node_id, peers)
        self.readers = tuple(readers)
        self.snapshot_every = positive_int("snapshot_every", snapshot_every)
        self.log = ()            # ((seq, time, event), ...)
        self.current = ()       # the fold of the log, kept for deciding commands
        self.snapshots = ()      # ((seq, state), ...)

    def on_recover(self, ctx):
        self.current = rebuild_from(self.snapshots, self.log)     # the state is derived, never stored

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Command):
            return
        event = decide(self.current, msg.command)
        if event is None:
            ctx.observe("rejected", msg.cid)
            ctx.send(src, Rejected(msg.cid))
            return
        seq = len(self.log) + 1
        self.log = self.log + ((seq, ctx.now, event),)
        self.current = apply(self.current, event)
        if seq % self.snapshot_every == 0:
            self.snapshots = self.snapshots + ((seq, self.current),)
        ctx.observe("appended", seq)
        ctx.send(src, Accepted(msg.cid, seq))
        for r in self.readers:
            ctx.send(r, Published(seq, event))


class VolatileEventStore(EventStore):
    """BROKEN on purpose: the log lives in memory only; a crash forgets acknowledged events."""
    durable = ()


class ReadModel(Node):
    """The query side: applies published events in log order, ``apply_cost`` seconds each.

    Events that arrive before their predecessors wait in a buffer. Observes ``applied`` (seq).
    """
    state_fields = ("view", "applied", "buffer", "busy", "waiting")

    def __init__(self, node_id, peers=(), apply_cost=0.005):
        super().__init__(node_id, peers)
        self.apply_cost = number("apply_cost", apply_cost, low=0.0)
        self.view = ()
        self.applied = 0
        self.buffer = frozenset()      # (seq, event) waiting for their turn
        self.busy = False
        self.waiting = frozenset()     # (src, Query) to answer once caught up

    def next_ready(self):
        return next((e for s, e in self.buffer if s == self.applied + 1), None)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Published):
            if msg.seq > self.applied:
                self.buffer = self.buffer | {(msg.seq, msg.event)}
            self.work(ctx)
        elif isinstance(msg, Query):
            if self.applied >= msg.min_seq:
                self.answer(ctx, src, msg)
            else:
                self.waiting = self.waiting | {(src, msg)}

    def work(self, ctx) -> None:
        if self.apply_cost == 0:
            while self.next_ready() is not None:
                self.apply_next(ctx)
        elif not self.busy and self.next_ready() is not None:
            self.busy = True
            ctx.set_timer("apply", self.apply_cost)

    def on_timer(self, ctx, name):
        if name == "apply":
            self.busy = False
            if self.next_ready() is not None:
                self.apply_next(ctx)
            self.work(ctx)

    def apply_next(self, ctx) -> None:
        seq = self.applied + 1
        event = self.next_ready()
        self.buffer = self.buffer - {(seq, event)}
        self.apply_event(ctx, seq, event)

    def apply_event(self, ctx, seq, event) -> None:
        self.view = apply(self.view, event)
        self.applied = seq
        ctx.observe("applied", seq)
        for src, q in sorted(self.waiting, key=repr):
            if self.applied >= q.min_seq:
                self.waiting = self.waiting - {(src, q)}
                self.answer(ctx, src, q)

    def answer(self, ctx, src, q) -> None:
        ctx.send(src, Answer(q.qid, q.account, dict(self.view).get(q.account, (0, "")), self.applied))


class ArrivalOrderReadModel(ReadModel):
    """BROKEN on purpose: applies each event the moment it arrives, in arrival order."""

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Published):
            self.apply_event(ctx, msg.seq, msg.event)
        else:
            super().on_message(ctx, src, msg)


class Client(Node):
    """Sends commands and, once each is accepted, asks the read model about that account.

    Parameters
    ----------
    script : tuple of commands, optional
        Commands sent at the start, in order (the model checker's workload). Without a script:
        a random command on average every ``every`` seconds, at Poisson times (deposits, withdrawals and renames).
    wait_for_own_writes : bool
        Queries carry the seq of the client's own write, and the read model answers only once
        it has applied that far (read-your-writes).

    Observes ``read`` ``(account, seq written, seq seen)`` for each answer.
    """
    state_fields = ("next_id", "written", "max_acked")
    durable = ("next_id", "max_acked")      # what the client has been told survives its crashes

    def on_recover(self, ctx):
        if self.script is None:
            ctx.set_timer("command", self.every)     # a scripted client does not send its script twice

    def __init__(self, node_id, peers=(), store=STORE, reader=READER, script=None, every=0.05,
                 wait_for_own_writes=False):
        super().__init__(node_id, peers)
        self.store, self.reader, self.script = store, reader, script
        self.every = number("every", every, low=0.0, low_open=True)
        self.wait_for_own_writes = wait_for_own_writes
        self.next_id = 0
        self.written = ()          # (qid, seq) of queries in flight
        self.max_acked = 0

    def on_start(self, ctx):
        if self.script is not None:
            for command in self.script:
                self.send_command(ctx, command)
        else:
            ctx.set_timer("command", self.every)

    def send_command(self, ctx, command) -> None:
        self.next_id += 1
        ctx.send(self.store, Command(self.next_id, command))

    def on_timer(self, ctx, name):
        if name == "command":
            account = ctx.rng.choice(ACCOUNTS)
            kind = ctx.rng.random()
            if kind < 0.5:
                command = Deposit(account, ctx.rng.randint(1, 100))
            elif kind < 0.85:
                command = Withdraw(account, ctx.rng.randint(1, 100))
            else:
                command = Rename(account, ctx.rng.choice(("Ada", "Bob", "Cy", "Di")))
            self.send_command(ctx, command)
            ctx.set_timer("command", ctx.rng.expovariate(1 / self.every))   # Poisson arrivals: bursts

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Accepted):
            self.max_acked = max(self.max_acked, msg.seq)
            if self.script is None:
                account = ACCOUNTS[msg.cid % len(ACCOUNTS)]
                ctx.send(self.reader, Query(msg.seq, account, msg.seq if self.wait_for_own_writes else 0))
        elif isinstance(msg, Answer):
            ctx.observe("read", (msg.account, msg.qid, msg.seq))


def event_sourcing_scenario(every: float = 0.05, apply_cost: float = 0.005, snapshot_every: int = 10,
                            wait_for_own_writes: bool = False, reader=ReadModel, store=EventStore,
                            reorder: bool = False, until: float = 10.0, **kwargs) -> Scenario:
    """A client, an event store and one read model.

    ``every``: seconds between commands (the load); ``apply_cost``: the read model's seconds per
    event; ``reorder``: the store-to-reader link delivers out of order (latency 1-100 ms).
    """
    if not isinstance(wait_for_own_writes, bool):
        raise TypeError(f"wait_for_own_writes must be True or False, got {wait_for_own_writes!r}")
    links = {(STORE, READER): LinkModel(latency=Uniform(0.001, 0.1), reorder=True)} if reorder else {}
    return Scenario({STORE: store, READER: reader, CLIENT: Client}, nodes=[STORE, READER, CLIENT],
                    node_params={STORE: {"snapshot_every": snapshot_every}, READER: {"apply_cost": apply_cost},
                                 CLIENT: {"every": every, "wait_for_own_writes": wait_for_own_writes}},
                    links=links, until=until, name="event sourcing and CQRS", **kwargs)


# -- properties on a trace ----------------------------------------------------------------

def run_with_nodes(scenario: Scenario, seed=None):
    """Run ``scenario`` and return its trace and its nodes as they ended (to read the store's log)."""
    from dsysedu.sim.kernel import Simulation
    sim = Simulation(scenario, seed=seed)
    return sim.run(), sim.nodes


def applied_in_order(trace) -> Verdict:
    """The read model applied seq 1, 2, 3... in that order, none twice, none skipped."""
    rows = [(i, r[6]) for i, r in enumerate(trace.rows) if r[1] == "observe" and r[5] == "applied"]
    bad = [i for k, (i, seq) in enumerate(rows) if seq != k + 1]
    if bad:
        seq = trace.rows[bad[0]][6]
        return Verdict(False, "applied in order", f"event {seq} applied as number {[i for i, _ in rows].index(bad[0]) + 1}",
                       tuple(bad))
    return Verdict(True, "applied in order", f"{len(rows)} events applied in log order")


def read_model_matches_log(store: Node, reader: Node) -> Verdict:
    """The read model's view equals the log folded up to the position it has applied."""
    expected = rebuild(store.log, reader.applied)
    if reader.view != expected:
        return Verdict(False, "read model matches log", f"after {reader.applied} events the view is "
                                                        f"{reader.view}, the log says {expected}")
    return Verdict(True, "read model matches log", f"the view equals the log's first {reader.applied} events")


def read_your_writes(trace) -> Verdict:
    """Every answer to a client's query reflects the client's own write that preceded it."""
    rows = [(i, r[6]) for i, r in enumerate(trace.rows) if r[1] == "observe" and r[5] == "read"]
    bad = [i for i, (_acct, written, seen) in rows if seen < written]
    if bad:
        _a, written, seen = trace.rows[bad[0]][6]
        return Verdict(False, "read your writes", f"{len(bad)} of {len(rows)} reads missed the client's own "
                                                  f"write; the first: wrote event {written}, read as of {seen}",
                       tuple(bad))
    return Verdict(True, "read your writes", f"all {len(rows)} reads saw the client's own write")


def read_model_lag(trace):
    """Seconds from each event's append at the store to its application at the read model (a Series by seq)."""
    import pandas as pd
    appended = {r[6]: r[0] for r in trace.rows if r[1] == "observe" and r[5] == "appended"}
    applied = {r[6]: r[0] for r in trace.rows if r[1] == "observe" and r[5] == "applied"}
    return pd.Series({s: applied[s] - appended[s] for s in sorted(applied) if s in appended}, name="lag", dtype=float)


def lag_sweep(rates=(20, 50, 100, 125, 160, 180), seeds=range(5), apply_cost: float = 0.005,
              until: float = 5.0):
    """The read model's lag and the reads that missed their own write, against the load (commands per second).

    One row per (load, seed): ``commands_per_s``, ``seed``, ``mean_lag`` and ``max_lag`` (seconds),
    ``missed`` (share of reads that did not see the client's own write).
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for rate in rates:
        number("rate", rate, low=0.0, low_open=True)
        for seed in seeds:
            t = run(event_sourcing_scenario(every=1 / rate, apply_cost=apply_cost, until=until), seed=seed)
            lag = read_model_lag(t)
            reads = t.observations("read")["value"]
            missed = sum(seen < written for _a, written, seen in reads) / max(1, len(reads))
            rows.append({"commands_per_s": rate, "seed": seed, "mean_lag": lag.mean(),
                         "max_lag": lag.max(), "missed": missed})
    return pd.DataFrame(rows)


# -- the model ----------------------------------------------------------------------------

def event_sourcing_model(script=(Deposit("a", 5), Rename("a", "Ada"), Withdraw("a", 3)), store=EventStore,
                         reader=ReadModel, **budget) -> Model:
    """A client with a fixed ``script``, the store and a read model (``apply_cost`` 0) as a Model.

    ``budget``: ``drops``, ``duplicates``, ``crashes``, ``recoveries`` (see :class:`Model`).

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(event_sourcing_model(reader=ArrivalOrderReadModel), read_model_consistent).verdict
    'violation'
    """
    sc = Scenario({STORE: store, READER: reader, CLIENT: Client}, nodes=[STORE, READER, CLIENT],
                  node_params={CLIENT: {"script": tuple(script)}, READER: {"apply_cost": 0.0}},
                  name="event sourcing")
    variant = ", ".join(c.__name__ for c, d in ((store, EventStore), (reader, ReadModel)) if c is not d)
    return Model(sc, name=f"event sourcing{' (' + variant + ')' if variant else ''}", **budget)


read_model_consistent = invariant(
    "read model = log prefix", lambda s: s[READER].view == rebuild(s[STORE].log, s[READER].applied))
"""The read model's view is the fold of the log's first ``applied`` events."""

log_durable = invariant("log durable", lambda s: not s.is_up(STORE) or len(s[STORE].log) >= s[CLIENT].max_acked)
"""The store never holds fewer events than it has acknowledged."""
