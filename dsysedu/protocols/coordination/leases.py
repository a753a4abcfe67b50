"""Leases and fencing tokens (租约, 防护令牌): a leader for a while, and a storage that can tell old from new.

A :class:`LeaseServer` (a lock service, as Chubby or ZooKeeper or etcd provides) grants a
*lease* - the right to act as leader for ``duration`` seconds - to one :class:`LeaseClient` at
a time, and numbers every new grant with a *fencing token* that only grows (33, 34, ...). A
holder renews its lease before it runs out; a lease that is not renewed expires on the
server's clock, and the next client that asks gets it with the next token.

The client decides whether it is still leader **by its own clock** (``ctx.clock()``): it
remembers when it asked for the lease and believes the lease valid until that reading plus
``duration``. Its work is two steps, as real code is: check the lease (the ``work`` timer),
then, ``work_time`` later, write the result to the :class:`Storage` (the ``write`` timer).
Two things break the belief [1]_:

- a clock that runs slow (``clock_drift`` < 0): ``duration`` on the client's clock is longer
  than ``duration`` on the server's, so the client acts after its lease has expired;
- a process pause (a GC pause, a stopped VM, the engine's :class:`~dsysedu.sim.faults.Pause`)
  between the check and the write: the write leaves after the lease expired, perhaps after a
  new leader has written.

Either way two nodes act as leader at once. The storage cannot prevent the belief, but with
*fencing* it refuses a write whose token is lower than one it has already accepted
(token 33 after 34), so the old leader's late write is refused and the writes stay safe.

Properties: :func:`fenced_writes` (the writes the storage accepted came in token order, one
writer per token); :func:`leader_overlap` measures the time two clients believed they were
leader. :class:`UnfencedStorage` is the storage without the check (broken on purpose).

References
----------
.. [1] M. Kleppmann, "How to do distributed locking", 2016, and *Designing Data-Intensive
   Applications*, O'Reilly 2017, ch. 8 ("The leader and the lock", fencing tokens).
.. [2] C. Gray and D. Cheriton, "Leases: an efficient fault-tolerant mechanism for distributed
   file cache consistency", SOSP 1989.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from dsysedu.check import Verdict
from dsysedu.sim.faults import Pause
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number

__all__ = ["AskLease", "LeaseGranted", "LeaseDenied", "Write", "WriteAck", "LeaseServer", "LeaseClient",
           "Storage", "UnfencedStorage", "lease_scenario", "random_pauses", "fenced_writes", "stale_writes",
           "leader_overlap", "lease_run_summary", "lease_sweep", "paused_leader_scenario", "LOCK", "STORAGE"]

LOCK, STORAGE = "lock", "storage"


@dataclass(frozen=True)
class AskLease:
    """A client asks for the lease (or to renew the one it holds)."""


@dataclass(frozen=True)
class LeaseGranted:
    token: int
    duration: float


@dataclass(frozen=True)
class LeaseDenied:
    """Someone else holds an unexpired lease."""


@dataclass(frozen=True)
class Write:
    token: int
    seq: int


@dataclass(frozen=True)
class WriteAck:
    token: int
    seq: int
    accepted: bool


class LeaseServer(Node):
    """Grants the lease to one client at a time; every new grant gets the next fencing token.

    A holder that asks again before its lease expires renews it (same token, new expiry).
    Expiry is judged on the server's own clock. Observes ``granted`` ``(token, client)``.
    """
    state_fields = ("holder", "expires", "token")
    durable = ("token",)      # tokens never go back, even after a crash

    def __init__(self, node_id, peers=(), duration=1.0, first_token=1):
        super().__init__(node_id, peers)
        self.duration = number("duration", duration, low=0.0, low_open=True)
        self.holder = None
        self.expires = 0.0
        self.token = first_token - 1

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, AskLease):
            return
        now = ctx.clock()
        if self.holder == src and now < self.expires:
            self.expires = now + self.duration             # renewal: same token
        elif self.holder is None or now >= self.expires:
            self.token += 1
            self.holder, self.expires = src, now + self.duration
            ctx.observe("granted", (self.token, src))
        else:
            ctx.send(src, LeaseDenied())
            return
        ctx.send(src, LeaseGranted(self.token, self.duration))


class LeaseClient(Node):
    """Wants to be leader; while it believes its lease valid (by its own clock) it writes.

    Parameters
    ----------
    lock, storage : node ids
    tick : float
        Seconds between checks (asking for the lease, or doing a piece of leader work).
    work_time : float
        Seconds between the lease check and the write it leads to.
    renew_at : float
        Fraction of the lease after which the holder asks to renew (0 < renew_at < 1).

    Observes ``leader`` (True/False, as the client believes) and ``token``.
    """
    state_fields = ("token", "valid_until", "asked_at", "seq", "leader")

    def __init__(self, node_id, peers=(), lock=LOCK, storage=STORAGE, tick=0.1, work_time=0.05, renew_at=0.5):
        super().__init__(node_id, peers)
        self.lock, self.storage = lock, storage
        self.tick = number("tick", tick, low=0.0, low_open=True)
        self.work_time = number("work_time", work_time, low=0.0)
        self.renew_at = number("renew_at", renew_at, low=0.0, high=1.0, low_open=True)
        if self.renew_at == 1.0:
            raise ValueError("renew_at must be > 0 and < 1 (a fraction of the lease), got 1")
        self.token = None
        self.valid_until = float("-inf")
        self.asked_at = None
        self.seq = 0
        self.leader = False

    def on_start(self, ctx):
        ctx.observe("leader", False)
        self.ask(ctx)
        ctx.set_timer("work", self.tick)

    def ask(self, ctx) -> None:
        self.asked_at = ctx.clock()          # the lease counts from the ask: a safe lower bound
        ctx.send(self.lock, AskLease())

    def believes_leader(self, ctx) -> bool:
        return self.token is not None and ctx.clock() < self.valid_until

    def on_message(self, ctx, src, msg):
        if isinstance(msg, LeaseGranted) and self.asked_at is not None:
            self.token = msg.token
            self.valid_until = self.asked_at + msg.duration
            self.set_leader(ctx, True)

    def on_timer(self, ctx, name):
        if name == "work":
            if self.believes_leader(ctx):
                self.set_leader(ctx, True)
                ctx.set_timer("write", self.work_time)       # check now, write a little later
                if ctx.clock() >= self.valid_until - (1 - self.renew_at) * self.lease_length():
                    self.ask(ctx)
            else:
                self.set_leader(ctx, False)
                self.ask(ctx)
            ctx.set_timer("work", self.tick)
        elif name == "write" and self.token is not None:
            self.seq += 1
            ctx.send(self.storage, Write(self.token, self.seq))  # no second look at the clock: the check was made

    def lease_length(self) -> float:
        return self.valid_until - self.asked_at if self.asked_at is not None else 0.0

    def set_leader(self, ctx, leader: bool) -> None:
        if leader != self.leader:
            self.leader = leader
            ctx.observe("leader", leader)
            if leader:
                ctx.observe("token", self.token)


class Storage(Node):
    """Accepts writes; with ``fencing`` it refuses a token lower than the highest it has accepted.

    Observes ``accepted`` ``(token, writer, seq)`` and ``refused`` ``(token, writer, seq)``.
    """
    state_fields = ("highest",)
    durable = ("highest",)
    fencing = True

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.highest = 0

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Write):
            return
        if self.fencing and msg.token < self.highest:
            ctx.observe("refused", (msg.token, src, msg.seq))
            ctx.send(src, WriteAck(msg.token, msg.seq, False))
            return
        self.highest = max(self.highest, msg.token)
        ctx.observe("accepted", (msg.token, src, msg.seq))
        ctx.send(src, WriteAck(msg.token, msg.seq, True))


class UnfencedStorage(Storage):
    """BROKEN on purpose: accepts every write, whatever its token (no fencing)."""
    fencing = False


def random_pauses(clients, length: float, every: float, until: float, seed=0) -> list:
    """Pauses of ``length`` seconds at random times, on average one per client every ``every`` seconds."""
    number("length", length, low=0.0)
    number("every", every, low=0.0, low_open=True)
    rnd = random.Random(seed)
    faults = []
    if length == 0:
        return faults
    for c in clients:
        t = rnd.expovariate(1 / every)
        while t < until:
            faults.append(Pause(c, t, t + length))
            t += length + rnd.expovariate(1 / every)
    return faults


def lease_scenario(clients: int = 2, *, fencing: bool = True, duration: float = 1.0, drift: float = 0.0,
                   drifting: str = "c1", pause: float = 0.0, pause_every: float = 3.0, loss: float = 0.0,
                   tick: float = 0.1, work_time: float = 0.05, until: float = 10.0, faults=(),
                   seed=0, **kwargs) -> Scenario:
    """A lock service, a storage and clients ``"c1"``... competing for a lease.

    Parameters
    ----------
    clients : int
        Number of clients (>= 1).
    fencing : bool
        The storage checks fencing tokens (:class:`Storage`) or not (:class:`UnfencedStorage`).
    duration : float
        Lease length (seconds).
    drift : float
        Clock drift of the client ``drifting`` (in [-0.5, 0.5]; -0.2: its clock runs 20 % slow).
    pause, pause_every : float
        Random process pauses of ``pause`` seconds on every client, about one per ``pause_every``
        seconds each (drawn from ``seed``; 0: none).
    loss : float
        Message loss on every link (lost renewals let leases expire).
    faults : list of Fault
        More faults (e.g. a :class:`~dsysedu.sim.faults.Pause` at a chosen time).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> t = run(lease_scenario(fencing=False, pause=1.5, seed=3), seed=3)
    >>> stale_writes(t) > 0
    True
    """
    if isinstance(clients, bool) or not isinstance(clients, int) or clients < 1:
        raise ValueError(f"clients must be an int >= 1, got {clients!r}")
    if not isinstance(fencing, bool):
        raise TypeError(f"fencing must be True or False, got {fencing!r}")
    ids = tuple(f"c{i}" for i in range(1, clients + 1))
    if drift and drifting not in ids:
        raise ValueError(f"drifting must be one of the clients {list(ids)}, got {drifting!r}")
    pauses = random_pauses(ids, pause, pause_every, until, seed)
    protocol = {LOCK: LeaseServer, STORAGE: Storage if fencing else UnfencedStorage, **{c: LeaseClient for c in ids}}
    return Scenario(protocol, nodes=[LOCK, STORAGE, *ids], params={},
                    node_params={LOCK: {"duration": duration},
                                 **{c: {"tick": tick, "work_time": work_time} for c in ids}},
                    clock_drift={drifting: drift} if drift else 0.0, link=LinkModel(loss=loss),
                    faults=tuple(pauses) + tuple(faults), until=until,
                    name=f"leases{'' if fencing else ' (no fencing)'}", seed=seed, **kwargs)


def _accepted(trace):
    return [(i, r[6]) for i, r in enumerate(trace.rows) if r[1] == "observe" and r[5] == "accepted"]


def fenced_writes(trace) -> Verdict:
    """The storage accepted writes in token order, and each token from one writer.

    A write accepted with a lower token than one accepted before it came from a leader whose
    lease had already passed to another: two leaders wrote.
    """
    highest, writer, bad = 0, {}, []
    for i, (token, who, _seq) in _accepted(trace):
        if token < highest or writer.setdefault(token, who) != who:
            bad.append(i)
        highest = max(highest, token)
    if bad:
        token, who, seq = trace.rows[bad[0]][6]
        return Verdict(False, "fenced writes", f"{len(bad)} stale writes accepted; the first: token {token} "
                                               f"from {who} after a higher token", tuple(bad))
    return Verdict(True, "fenced writes", f"{len(_accepted(trace))} writes accepted in token order")


def stale_writes(trace) -> int:
    """How many accepted writes broke token order (see :func:`fenced_writes`)."""
    return len(fenced_writes(trace).events)


def leader_overlap(trace) -> float:
    """Seconds during which two or more clients believed they were leader."""
    believers, last, total = set(), 0.0, 0.0
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "leader":
            if len(believers) >= 2:
                total += r[0] - last
            last = r[0]
            (believers.add if r[6] else believers.discard)(r[2])
        elif r[1] == "crash" and r[2] in believers:
            if len(believers) >= 2:
                total += r[0] - last
            last = r[0]
            believers.discard(r[2])
    if len(believers) >= 2:
        total += trace.end_time - last
    return total


def lease_run_summary(trace) -> dict:
    """Counts of one run: writes accepted and refused, stale writes accepted, leader overlap, grants."""
    obs = [r for r in trace.rows if r[1] == "observe"]
    return {"accepted": sum(r[5] == "accepted" for r in obs), "refused": sum(r[5] == "refused" for r in obs),
            "stale": stale_writes(trace), "overlap_s": round(leader_overlap(trace), 6),
            "grants": sum(r[5] == "granted" for r in obs)}


def lease_sweep(drifts=(0.0, -0.1, -0.2, -0.3, -0.4), pauses=(0.25, 0.5, 1.0, 1.5, 2.0), seeds=range(20),
                loss: float = 0.1) -> "pd.DataFrame":
    """Stale writes accepted per run, with and without fencing, against clock drift and pause length.

    Drift runs: client ``c1``'s clock drifts, links lose ``loss`` of the messages (so renewals
    fail now and then). Pause runs: random pauses of each length, no loss, no drift. Columns:
    ``fault`` (``"drift"`` or ``"pause"``), ``x`` (the drift's size, or the pause's length),
    ``fencing``, ``storage`` (its words), ``seed``, then the counts of :func:`lease_run_summary`.
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for fencing in (False, True):
        for seed in seeds:
            for d in drifts:
                t = run(lease_scenario(fencing=fencing, drift=d, loss=loss, seed=seed), seed=seed)
                rows.append({"fault": "drift", "x": abs(d), "fencing": fencing, "seed": seed, **lease_run_summary(t)})
            for p in pauses:
                t = run(lease_scenario(fencing=fencing, pause=p, seed=seed), seed=seed)
                rows.append({"fault": "pause", "x": p, "fencing": fencing, "seed": seed, **lease_run_summary(t)})
    df = pd.DataFrame(rows)
    df.insert(3, "storage", df["fencing"].map({True: "with fencing", False: "without fencing"}))
    return df


def paused_leader_scenario(fencing: bool = True, pause_at: float = 2.02, resume_at: float = 3.6) -> Scenario:
    """The story of the chapter: ``c1`` holds the lease, checks it, then pauses before its write.

    While ``c1`` is paused its lease expires, ``c2`` gets the lease with the next token and writes;
    when ``c1`` wakes up it sends the write it had prepared, with its old token.
    """
    return lease_scenario(2, fencing=fencing, until=5.0, faults=(Pause("c1", pause_at, resume_at),))
