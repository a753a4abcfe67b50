"""SWIM: failure detection by random probing, with suspicion and infection-style dissemination.

Each protocol period a member pings one random member; without an ack it asks ``k``
others to ping the target for it; still silent, the target is *suspected*, and *confirmed*
faulty unless it refutes in time. Membership news rides on the probes' messages [1]_. The
detector observes ``("suspects", frozenset)`` (its output in the sense of Chandra and
Toueg) and ``("faulty", frozenset)``, the confirmed subset.

References
----------
.. [1] A. Das, I. Gupta and A. Motivala, "SWIM: scalable weakly-consistent infection-style
   process group membership protocol", DSN 2002.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable

from dsysedu.sim.node import Node
from dsysedu.sim.validate import number, positive_int

__all__ = ["ALIVE", "SUSPECT", "FAULTY", "Ping", "PingReq", "Ack", "SwimDetector"]

ALIVE, SUSPECT, FAULTY = "alive", "suspect", "faulty"
_ALIVE_0 = (ALIVE, 0)   # every member's entry at the start (a value: one tuple can serve them all)


@dataclass(frozen=True)
class Ping:
    """A probe; ``updates`` are piggybacked membership updates ``(member, status, incarnation)``."""
    seq: int
    updates: tuple = ()


@dataclass(frozen=True)
class PingReq:
    """Ask the receiver to probe ``target`` on the sender's behalf."""
    seq: int
    target: Hashable
    updates: tuple = ()


@dataclass(frozen=True)
class Ack:
    """``target`` answered probe ``seq`` (directly, or through a ping-req relay)."""
    seq: int
    target: Hashable
    updates: tuple = ()


class SwimDetector(Node):
    """SWIM failure detection with suspicion and infection-style dissemination [1]_.

    Each protocol ``period`` a node pings one random member. Without an ack within
    ``ack_timeout`` it asks ``k`` random members to ping the target for it (ping-req). Still
    no ack by the end of the period: the target becomes *suspect*, and after
    ``suspect_timeout`` *faulty* (confirmed) unless refuted. A live node that hears it is
    suspected refutes by raising its *incarnation* number and spreading ``alive``.

    Membership updates ride on pings, ping-reqs and acks: at most ``max_piggyback`` per
    message, each sent ``ceil(piggyback_factor * log2(n + 1))`` times.

    Precedence of an update about member m (paper §4.2): ``alive(i)`` overrides
    ``suspect(j)`` and ``alive(j)`` when i > j; ``suspect(i)`` overrides ``alive(j)`` when
    i >= j and ``suspect(j)`` when i > j; ``faulty(i)`` overrides both when i >= j. Here a
    wrongly confirmed node may rejoin by refuting with a higher incarnation.

    Observes ``suspects`` (members not believed alive: suspect or faulty, the detector's
    output in the sense of Chandra and Toueg) and ``faulty`` (the confirmed ones). The incarnation is
    durable: a node that recovers from a crash announces ``alive`` with a newer one and is
    taken back (the paper's join protocol is not modelled).

    Parameters
    ----------
    period : float
        Protocol period (> 0).
    ack_timeout : float
        Seconds to wait for a direct ack (> 0, < period).
    k : int
        Members asked to ping-req (>= 0).
    suspect_timeout : float
        Seconds a suspicion lasts before it is confirmed (> 0).
    piggyback_factor : float
        λ: each update is piggybacked λ log2(n+1) times (> 0).
    max_piggyback : int
        Most updates carried by one message (>= 1).

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> t = run(Scenario(SwimDetector, nodes=4, faults=[Crash(3, at=0.5)], until=4.0))
    >>> t.value_at("faulty", 4.0)[0]
    frozenset({3})
    """

    durable = ("incarnation",)

    needs_complete_graph = True   # it probes any member, and members are learnt by gossip, not only neighbours

    def __init__(self, node_id, peers=(), period=0.2, ack_timeout=0.05, k=2, suspect_timeout=0.6,
                 piggyback_factor=3.0, max_piggyback=6):
        super().__init__(node_id, peers)
        name = "SwimDetector"
        self.period = number(f"{name}.period", period, low=0.0, low_open=True)
        self.ack_timeout = number(f"{name}.ack_timeout", ack_timeout, low=0.0, low_open=True)
        if self.ack_timeout >= self.period:
            raise ValueError(f"{name}.ack_timeout must be < period ({self.period}), got {ack_timeout!r}")
        self.k = positive_int(f"{name}.k", k, low=0)
        self.suspect_timeout = number(f"{name}.suspect_timeout", suspect_timeout, low=0.0, low_open=True)
        self.piggyback_factor = number(f"{name}.piggyback_factor", piggyback_factor, low=0.0, low_open=True)
        self.max_piggyback = positive_int(f"{name}.max_piggyback", max_piggyback)
        self.retransmits = max(1, math.ceil(self.piggyback_factor * math.log2(len(self.peers) + 2)))
        self.incarnation = 0
        self.members = dict.fromkeys(self.peers, _ALIVE_0)  # member -> (status, incarnation)
        self.updates: dict = {}   # member -> [status, incarnation, times left to piggyback]
        self.seq = 0              # numbers my pings, own probes and relayed ones alike
        self.probe = 0            # the seq of this period's own probe
        self.target = None        # the member probed this period
        self.acked = True
        self.relays: dict = {}    # my probe seq -> (origin, origin's seq, target)
        self.suspects: frozenset = frozenset()
        self.faulty: frozenset = frozenset()
        self.published = (self.suspects, self.faulty)  # the outputs last observed

    def on_start(self, ctx):
        ctx.observe("suspects", self.suspects)
        ctx.observe("faulty", self.faulty)
        ctx.set_timer("period", 0.0)

    def on_recover(self, ctx):
        # The incarnation is durable: a recovered node rejoins by announcing a newer one,
        # which overrides the "faulty" the others hold about its old incarnation.
        self.incarnation += 1
        self._enqueue(self.id, ALIVE, self.incarnation)
        self.on_start(ctx)

    # dissemination
    def _enqueue(self, member, status, inc):
        self.updates[member] = [status, inc, self.retransmits]

    def _piggyback(self) -> tuple:
        updates = self.updates
        if not updates:   # the common case in a quiet group: nothing to tell
            return ()
        # least-sent updates first (paper §4.1): they are the freshest news
        if len(updates) == 1:
            chosen = list(updates)
        else:
            chosen = sorted(updates, key=lambda m: (-updates[m][2], repr(m)))[:self.max_piggyback]
        out = []
        for m in chosen:
            u = updates[m]
            out.append((m, u[0], u[1]))
            u[2] -= 1
            if u[2] <= 0:
                del updates[m]
        return tuple(out)

    def _apply(self, ctx, updates):
        for m, status, inc in updates:
            if m == self.id:
                if status != ALIVE and inc >= self.incarnation:  # refute
                    self.incarnation = inc + 1
                    self._enqueue(self.id, ALIVE, self.incarnation)
                continue
            if m not in self.members:
                continue
            cur, ci = self.members[m]
            if status == ALIVE:
                wins = inc > ci
            elif status == SUSPECT:
                wins = inc > ci or (inc == ci and cur == ALIVE)
            else:
                wins = inc > ci or (inc == ci and cur != FAULTY)
            if wins:
                self._set(ctx, m, status, inc)

    def _set(self, ctx, m, status, inc):
        self.members[m] = (status, inc)
        self._enqueue(m, status, inc)
        if status == SUSPECT:
            ctx.set_timer(("confirm", m), self.suspect_timeout)
        else:
            ctx.cancel_timer(("confirm", m))
        # keep the outputs up to date here, so publishing costs nothing in big groups
        self.suspects = self.suspects - {m} if status == ALIVE else self.suspects | {m}
        self.faulty = self.faulty | {m} if status == FAULTY else self.faulty - {m}

    def _publish(self, ctx):
        suspects, faulty = self.published
        if self.suspects is suspects and self.faulty is faulty:
            return   # nothing was set since the last time (``_set`` makes new sets): the common case
        if self.suspects != suspects:
            ctx.observe("suspects", self.suspects)
        if self.faulty != faulty:
            ctx.observe("faulty", self.faulty)
        self.published = (self.suspects, self.faulty)

    def _pick(self, rng, exclude=()):
        """A random member that is not faulty and not in ``exclude`` (None if there is none)."""
        peers, members = self.peers, self.members
        if not peers:
            return None
        for _ in range(8):  # rejection sampling: O(1) while most members are fine
            m = rng.choice(peers)
            if m not in exclude and members[m][0] != FAULTY:
                return m
        rest = [m for m in peers if m not in exclude and members[m][0] != FAULTY]
        return rng.choice(rest) if rest else None

    # handlers
    def on_timer(self, ctx, name):
        if name == "period":
            if self.target is not None and not self.acked and self.members[self.target][0] == ALIVE:
                self._set(ctx, self.target, SUSPECT, self.members[self.target][1])
            self.target = self._pick(ctx.rng)
            if self.target is not None:
                self.seq += 1
                self.probe = self.seq
                self.acked = False
                ctx.send(self.target, Ping(self.seq, self._piggyback()))
                ctx.set_timer("ack_timeout", self.ack_timeout)
            ctx.set_timer("period", self.period)
        elif name == "ack_timeout":
            if not self.acked and self.target is not None:
                helpers = []
                for _ in range(self.k):
                    h = self._pick(ctx.rng, exclude=(self.target, *helpers))
                    if h is None:
                        break
                    helpers.append(h)
                    ctx.send(h, PingReq(self.probe, self.target, self._piggyback()))
        else:  # ("confirm", m): the suspicion was not refuted in time
            m = name[1]
            status, inc = self.members[m]
            if status == SUSPECT:
                self._set(ctx, m, FAULTY, inc)
        self._publish(ctx)

    def on_message(self, ctx, src, msg):
        match msg:
            case Ping():
                if msg.updates:
                    self._apply(ctx, msg.updates)
                ctx.send(src, Ack(msg.seq, self.id, self._piggyback()))
            case Ack():
                if msg.updates:
                    self._apply(ctx, msg.updates)
                if msg.seq == self.probe and msg.target == self.target:  # direct or relayed
                    self.acked = True
                elif msg.seq in self.relays:
                    origin, origin_seq, target = self.relays.pop(msg.seq)
                    if target == msg.target:
                        ctx.send(origin, Ack(origin_seq, target, self._piggyback()))
            case PingReq():
                if msg.updates:
                    self._apply(ctx, msg.updates)
                self.seq += 1
                self.relays[self.seq] = (src, msg.seq, msg.target)
                if len(self.relays) > 64:  # forget the oldest relay whose target never answered
                    del self.relays[next(iter(self.relays))]
                ctx.send(msg.target, Ping(self.seq, self._piggyback()))
            case _:
                return
        self._publish(ctx)
