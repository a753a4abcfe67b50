"""A money transfer between two shards, ACID or BASE (ACID 与 BASE: 基本可用, 软状态, 最终一致).

Account ``"A"`` lives on shard ``A``, account ``"B"`` on shard ``B``; the two start with
``balance`` each. Client ``t`` moves ``amount`` from A to B every ``every`` seconds; client ``u``
audits (reads both balances) every ``audit_every`` seconds. Two ways to do it:

* **ACID** (:class:`AcidClient`, :class:`AcidShard`): every transfer and every audit is a
  two-phase commit over locks. A shard that is locked votes no (no-wait locking, so there is no
  deadlock); a prepared shard keeps its lock until it hears the outcome and asks again if it
  waits. Nobody can read an account between the debit and the credit.
* **BASE** (:class:`BaseClient`, :class:`BaseShard`): shard A debits at once and answers the
  client (basically available); the credit travels to B as a message retried until B
  acknowledges it (soft state: the money is "in flight"); if B refuses it, A gives the money
  back (a compensation). Audits read each shard on its own, without locks. The total is
  right again once every credit has arrived or been compensated (eventually consistent).

Each account is also a list-append key: a transfer appends its id to both accounts' lists and
reads them (``versions``), so every client operation is recorded as a
:class:`~dsysedu.check.isolation.Transaction` (:func:`transfer_history`) and the isolation
checker can judge it. :func:`money_over_time` and :func:`violation_window` check the invariant
"the total is constant" at every instant at which a reader could read both accounts.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.check.isolation import Transaction
from dsysedu.sim.kernel import run
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["transfer_scenario", "AcidClient", "AcidShard", "BaseClient", "BaseShard", "transfer_history",
           "money_over_time", "violation_window", "transfer_stats", "conserved", "SHARDS", "acid_vs_base"]

SHARDS = ("A", "B")
TRANSFER, AUDIT = "t", "u"
AUDIT_IDS = 501   # audits are numbered from here, transfers from 1 (so at most 500 transfers)


# -- messages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prep:
    tid: int
    delta: int          # 0: a read (an audit), still under the lock


@dataclass(frozen=True)
class PrepVote:
    tid: int
    yes: bool
    versions: tuple
    balance: int


@dataclass(frozen=True)
class Outcome:
    tid: int
    commit: bool


@dataclass(frozen=True)
class AskOutcome:
    tid: int


@dataclass(frozen=True)
class Debit:
    tid: int
    amount: int


@dataclass(frozen=True)
class Debited:
    tid: int
    versions: tuple     # the list the debit appended to (before it)


@dataclass(frozen=True)
class Credit:
    tid: int
    amount: int


@dataclass(frozen=True)
class Credited:
    tid: int
    refused: bool


@dataclass(frozen=True)
class Read:
    tid: int


@dataclass(frozen=True)
class ReadReply:
    tid: int
    versions: tuple
    balance: int


# -- shards ---------------------------------------------------------------------------------------
class _Shard(Node):
    durable = ("balance", "versions", "lock", "pending", "seen")

    def __init__(self, node_id, peers=(), balance=500, refuse_every=0, ask_every=0.2):
        super().__init__(node_id, peers)
        if isinstance(refuse_every, bool) or not isinstance(refuse_every, int) or refuse_every < 0:
            raise ValueError(f"refuse_every must be an int >= 0 (0: never refuse), got {refuse_every!r}")
        self.balance, self.refuse_every, self.ask_every = balance, refuse_every, ask_every
        self.versions = ()     # the account's list-append value: ids of the transfers that touched it
        self.lock = None       # (coordinator, tid, delta) while prepared
        self.pending = ()      # BASE: credits sent, not yet acknowledged: ((tid, amount), ...)
        self.seen = ()         # BASE: credits applied (so a retried credit is applied once)

    def refuses(self, tid, delta) -> bool:
        """Shard B refuses every ``refuse_every``-th credit (a closed account, say)."""
        return delta > 0 and bool(self.refuse_every) and tid % self.refuse_every == 0

    def on_start(self, ctx):
        self.show(ctx)

    def show(self, ctx):
        ctx.observe("balance", self.balance)
        ctx.observe("locked", self.lock is not None)

    def apply(self, ctx, delta, value):
        self.balance += delta
        self.versions = self.versions + (value,)
        self.show(ctx)


class AcidShard(_Shard):
    """A participant of two-phase commit over one account, with a no-wait lock."""

    def on_recover(self, ctx):
        self.show(ctx)
        if self.lock is not None:
            ctx.send(self.lock[0], AskOutcome(self.lock[1]))
            ctx.set_timer("ask", self.ask_every)

    def on_timer(self, ctx, name):
        if name == "ask" and self.lock is not None:
            ctx.send(self.lock[0], AskOutcome(self.lock[1]))
            ctx.set_timer("ask", self.ask_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Prep):
            if self.lock is not None or self.refuses(msg.tid, msg.delta) or self.balance + msg.delta < 0:
                ctx.send(src, PrepVote(msg.tid, False, self.versions, self.balance))
                return
            self.lock = (src, msg.tid, msg.delta)
            self.show(ctx)
            ctx.send(src, PrepVote(msg.tid, True, self.versions, self.balance))
            ctx.set_timer("ask", self.ask_every)
        elif isinstance(msg, Outcome) and self.lock is not None and self.lock[:2] == (src, msg.tid):
            delta = self.lock[2]
            self.lock = None
            ctx.cancel_timer("ask")
            if msg.commit and delta:
                self.apply(ctx, delta, msg.tid)
            else:
                self.show(ctx)


class BaseShard(_Shard):
    """Debits at once and sends the credit on; applies each credit once; compensates a refusal."""

    def on_recover(self, ctx):
        self.show(ctx)
        if self.pending:
            ctx.set_timer("retry", 0.0)

    def on_timer(self, ctx, name):
        if name == "retry" and self.pending:
            other = [p for p in SHARDS if p != self.id][0]
            for tid, amount in self.pending:
                ctx.send(other, Credit(tid, amount))
            ctx.set_timer("retry", self.ask_every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Debit):
            before = self.versions
            self.apply(ctx, -msg.amount, msg.tid)
            ctx.send(src, Debited(msg.tid, before))        # answered before the credit is done
            self.pending = self.pending + ((msg.tid, msg.amount),)
            ctx.set_timer("retry", 0.0)
        elif isinstance(msg, Credit):
            if msg.tid in self.seen:
                ctx.send(src, Credited(msg.tid, False))   # a retry of a credit already applied
            elif self.refuses(msg.tid, msg.amount):
                ctx.send(src, Credited(msg.tid, True))
            else:
                self.seen = self.seen + (msg.tid,)
                self.apply(ctx, msg.amount, msg.tid)
                ctx.send(src, Credited(msg.tid, False))
        elif isinstance(msg, Credited):
            mine = [(t, a) for t, a in self.pending if t == msg.tid]
            if not mine:
                return
            self.pending = tuple(p for p in self.pending if p[0] != msg.tid)
            if msg.refused:                                # compensate: give the money back
                self.apply(ctx, mine[0][1], -msg.tid)
                ctx.observe("txn", (-msg.tid, self.id, (("append", self.id, -msg.tid),), "ok", ctx.now, ctx.now))
        elif isinstance(msg, Read):
            ctx.send(src, ReadReply(msg.tid, self.versions, self.balance))


# -- clients --------------------------------------------------------------------------------------
class _Client(Node):
    """Issues one operation at a time (a transfer, or an audit), every ``every`` seconds."""

    def __init__(self, node_id, peers=(), every=0.1, amount=10, timeout=0.1, first_tid=1, stop=None):
        super().__init__(node_id, peers)
        self.every, self.amount, self.timeout, self.stop = every, amount, timeout, stop
        self.tid = first_tid - 1
        self.op = None         # the operation in progress: dict of what came back
        self.decided = {}      # ACID: tid -> commit

    @property
    def audits(self) -> bool:
        return self.id == AUDIT

    def on_start(self, ctx):
        ctx.set_timer("next", 0.0 if not self.audits else self.every / 2)

    def on_timer(self, ctx, name):
        if name == "next":
            if self.stop is not None and ctx.now >= self.stop:
                return
            if self.op is None:
                self.tid += 1
                self.op = {"tid": self.tid, "invoke": ctx.now, "replies": {}}
                self.begin(ctx)
            ctx.set_timer("next", self.every)
        elif name == "timeout" and self.op is not None:
            self.give_up(ctx)

    def record(self, ctx, ops, status):
        ctx.observe("txn", (self.op["tid"], self.id, tuple(ops), status, self.op["invoke"], ctx.now))
        self.op = None
        ctx.cancel_timer("timeout")


class AcidClient(_Client):
    """The coordinator of each of its operations: 2PC over both shards."""

    def begin(self, ctx):
        delta = {"A": -self.amount, "B": self.amount} if not self.audits else {"A": 0, "B": 0}
        for s in SHARDS:
            ctx.send(s, Prep(self.op["tid"], delta[s]))
        ctx.set_timer("timeout", self.timeout)

    def finish(self, ctx, commit):
        tid = self.op["tid"]
        self.decided[tid] = commit
        for s in SHARDS:
            ctx.send(s, Outcome(tid, commit))
        r = self.op["replies"]
        ops = []
        for s in SHARDS:
            ops.append(("r", s, list(r[s].versions) if s in r else None))
            if not self.audits:
                ops.append(("append", s, tid))
        self.record(ctx, ops, "ok" if commit else "fail")

    def give_up(self, ctx):
        self.finish(ctx, False)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, AskOutcome):
            if msg.tid in self.decided:
                ctx.send(src, Outcome(msg.tid, self.decided[msg.tid]))
        elif isinstance(msg, PrepVote) and self.op is not None and msg.tid == self.op["tid"]:
            self.op["replies"][src] = msg
            if not msg.yes:
                self.finish(ctx, False)
            elif len(self.op["replies"]) == len(SHARDS):
                self.finish(ctx, True)


class BaseClient(_Client):
    """A transfer is a debit at A (answered at once); an audit reads A and B separately."""

    def begin(self, ctx):
        if self.audits:
            for s in SHARDS:
                ctx.send(s, Read(self.op["tid"]))
        else:
            ctx.send("A", Debit(self.op["tid"], self.amount))
        ctx.set_timer("timeout", self.timeout)

    def give_up(self, ctx):
        self.record(ctx, [], "fail")

    def on_message(self, ctx, src, msg):
        if self.op is None or getattr(msg, "tid", None) != self.op["tid"]:
            return
        if isinstance(msg, Debited):
            tid = msg.tid
            self.record(ctx, [("r", "A", list(msg.versions)), ("append", "A", tid), ("append", "B", tid)], "ok")
        elif isinstance(msg, ReadReply):
            self.op["replies"][src] = msg
            if len(self.op["replies"]) == len(SHARDS):
                r = self.op["replies"]
                self.record(ctx, [("r", s, list(r[s].versions)) for s in SHARDS], "ok")


def transfer_scenario(style: str = "acid", *, balance: int = 500, amount: int = 10, every: float = 0.1,
                      audit_every: float = 0.13, timeout: float = 0.1, refuse_every: int = 0,
                      until: float = 6.0, stop: float | None = None, **kwargs) -> Scenario:
    """Transfers A -> B and audits, ``style`` ``"acid"`` (2PC over locks) or ``"base"`` (debit now, credit later).

    ``stop``: no new operation after this time (default: 1 s before ``until``, so that the BASE
    credits can arrive). ``kwargs`` go to :class:`~dsysedu.sim.Scenario` (``faults``, ``link``...).
    """
    if style not in ("acid", "base"):
        raise ValueError(f"style must be 'acid' or 'base', got {style!r}")
    for name, v in (("amount", amount), ("balance", balance)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name} must be an int > 0, got {v!r}")
    if (min(until, stop if stop is not None else until)) / every >= AUDIT_IDS - 1:
        raise ValueError(f"at most {AUDIT_IDS - 2} transfers per run: make until / every smaller")
    client, shard = (AcidClient, AcidShard) if style == "acid" else (BaseClient, BaseShard)
    stop = until - 1.0 if stop is None else stop
    common = {"amount": amount, "timeout": timeout, "stop": stop}
    params = {TRANSFER: {"every": every, **common}, AUDIT: {"every": audit_every, "first_tid": AUDIT_IDS, **common},
              "A": {"balance": balance}, "B": {"balance": balance, "refuse_every": refuse_every}}
    return Scenario({TRANSFER: client, AUDIT: client, "A": shard, "B": shard}, nodes=[TRANSFER, AUDIT, *SHARDS],
                    node_params=params, until=until, name=f"transfer ({style.upper()})", **kwargs)


def transfer_history(trace) -> list:
    """The clients' operations as list-append :class:`~dsysedu.check.isolation.Transaction` s."""
    out = []
    for e in trace.events:
        if e.kind == "observe" and e.data == "txn":
            tid, proc, ops, status, inv, comp = e.value
            out.append(Transaction(tid, proc, [tuple(o) for o in ops], status, inv, comp))
    return out


def money_over_time(trace) -> pd.DataFrame:
    """One row per change: ``time``, ``total`` (A + B), ``readable`` (neither account locked)."""
    bal, locked, rows = {}, {}, []
    for e in trace.events:
        if e.kind == "observe" and e.data in ("balance", "locked"):
            (bal if e.data == "balance" else locked)[e.node] = e.value
            if len(bal) == len(SHARDS):
                rows.append({"time": e.time, "total": sum(bal.values()),
                             "readable": not any(locked.get(s, False) for s in SHARDS)})
    frame = pd.DataFrame(rows, columns=["time", "total", "readable"])
    return frame.groupby("time", as_index=False).last()   # the state after each instant


def violation_window(trace, expected: int) -> float:
    """Seconds during which a reader could read both accounts and their total was not ``expected``."""
    f = money_over_time(trace)
    ends = list(f["time"][1:]) + [trace.end_time]
    return float(sum(end - t for t, end, tot, ok in zip(f["time"], ends, f["total"], f["readable"])
                     if ok and tot != expected))


def conserved(trace, expected: int) -> Verdict:
    """The total is ``expected`` at every readable instant (ACID's promise)."""
    w = violation_window(trace, expected)
    return Verdict(w == 0, "total money constant", f"readable with a wrong total for {w:.3f} s")


def transfer_stats(trace) -> dict:
    """Transfers tried, share answered ok, mean latency of the answered ones (seconds)."""
    h = [t for t in transfer_history(trace) if t.process == TRANSFER]
    ok = [t for t in h if t.status == "ok"]
    return {"transfers": len(h), "answered": len(ok) / len(h) if h else 0.0,
            "latency": sum(t.complete - t.invoke for t in ok) / len(ok) if ok else float("nan")}


def acid_vs_base(faults=(), seed=None, **kwargs) -> tuple:
    """Both styles under the same ``faults``: ``(table, {"ACID": trace, "BASE": trace})``.

    The table has one row per style: transfers, share answered, mean latency (ms), seconds with a
    wrong total that a reader could see, and the final total.
    """
    traces = {s.upper(): run(transfer_scenario(s, faults=faults, **kwargs), seed=seed) for s in ("acid", "base")}
    expected = 2 * kwargs.get("balance", 500)
    rows = []
    for name, tr in traces.items():
        st = transfer_stats(tr)
        rows.append({"style": name, "transfers": st["transfers"], "answered": round(st["answered"], 3),
                     "latency (ms)": round(1000 * st["latency"], 1),
                     "wrong total visible (s)": round(violation_window(tr, expected), 3),
                     "final total": int(money_over_time(tr)["total"].iloc[-1])})
    return pd.DataFrame(rows).set_index("style"), traces
