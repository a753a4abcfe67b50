"""Mutual exclusion (互斥) with a lock server, and a client that trusts a timeout too much.

Clients want the critical section from time to time (their ``want`` timer). A client asks
the :class:`LockServer` with :class:`Acquire`; the server grants the lock to one client at
a time and queues the others in arrival order; the holder leaves the critical section
(``leave`` timer) and sends :class:`Release`, and the server grants the next in line.
This is the centralised algorithm of distributed mutual exclusion [1]_: three messages
per entry, and safe, because only the server hands out the lock.

The property: **mutual exclusion** - never two clients in the critical section at once
(:data:`mutual_exclusion`).

Broken on purpose: :class:`ImpatientClient` gives up waiting after a timeout and enters
anyway ("the server must have crashed"). A timeout is not a proof of failure: the model
checker finds the run where the grant was merely slow.

References
----------
.. [1] G. Coulouris, J. Dollimore, T. Kindberg and G. Blair, *Distributed Systems: Concepts
   and Design*, 5th ed., Addison-Wesley, 2011, §15.2 (the central server algorithm).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model, deadlock_free, eventually, invariant
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["Acquire", "Grant", "Release", "LockServer", "LockClient", "ImpatientClient", "mutex_scenario",
           "mutex_model", "mutual_exclusion", "someone_enters", "no_deadlock", "IDLE", "WAITING", "CRITICAL",
           "SERVER"]

IDLE, WAITING, CRITICAL = "idle", "waiting", "critical"
SERVER = "s"


@dataclass(frozen=True)
class Acquire:
    """May I enter?"""


@dataclass(frozen=True)
class Grant:
    """You hold the lock."""


@dataclass(frozen=True)
class Release:
    """I left; give the lock to the next in line."""


class LockServer(Node):
    """Hands the lock to one client at a time; the others wait in arrival order.

    Observes ``holder``.
    """
    state_fields = ("holder", "queue")

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.holder = None
        self.queue: tuple = ()

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Acquire):
            if self.holder is None:
                self.grant(ctx, src)
            elif src not in self.queue:
                # the holder itself may ask again: its Release is still on the way (messages
                # can overtake each other), so it waits in line like everyone else
                self.queue = self.queue + (src,)
        elif isinstance(msg, Release) and src == self.holder:
            self.holder = None
            ctx.observe("holder", None)
            if self.queue:
                nxt, self.queue = self.queue[0], self.queue[1:]
                self.grant(ctx, nxt)

    def grant(self, ctx, client) -> None:
        self.holder = client
        ctx.observe("holder", client)
        ctx.send(client, Grant())


class LockClient(Node):
    """Wants the critical section, asks, waits for the grant, stays a while, releases.

    Parameters
    ----------
    server : node id
    think, stay : float
        Seconds between wanting again, and in the critical section (the simulator's timing;
        under the model checker any timer may fire at any moment).

    Observes ``phase`` (``idle``, ``waiting``, ``critical``).
    """
    state_fields = ("phase",)

    def __init__(self, node_id, peers=(), server=SERVER, think=1.0, stay=0.3):
        super().__init__(node_id, peers)
        self.server, self.think, self.stay = server, think, stay
        self.phase = IDLE

    def on_start(self, ctx):
        ctx.observe("phase", self.phase)
        ctx.set_timer("want", self.think)

    def on_timer(self, ctx, name):
        if name == "want" and self.phase == IDLE:
            self.set_phase(ctx, WAITING)
            ctx.send(self.server, Acquire())
        elif name == "leave" and self.phase == CRITICAL:
            self.set_phase(ctx, IDLE)
            ctx.send(self.server, Release())
            ctx.set_timer("want", self.think)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Grant) and self.phase == WAITING:
            self.enter(ctx)

    def enter(self, ctx) -> None:
        self.set_phase(ctx, CRITICAL)
        ctx.set_timer("leave", self.stay)

    def set_phase(self, ctx, phase) -> None:
        self.phase = phase
        ctx.observe("phase", phase)


class ImpatientClient(LockClient):
    """BROKEN on purpose: after ``patience`` seconds without a grant it enters anyway.

    It takes the missing grant for a crashed server. The grant was only slow: the server
    still thinks another client holds the lock, and both are inside. It loses patience
    once (``gave_up``); after that it waits like everyone else, which keeps the model finite.
    """
    state_fields = ("phase", "gave_up")

    def __init__(self, node_id, peers=(), server=SERVER, think=1.0, stay=0.3, patience=0.5):
        super().__init__(node_id, peers, server, think, stay)
        self.patience = patience
        self.gave_up = False

    def on_timer(self, ctx, name):
        if name == "want" and self.phase == IDLE and not self.gave_up:
            ctx.set_timer("give_up", self.patience)
        if name == "give_up":
            if self.phase == WAITING:
                self.gave_up = True
                self.enter(ctx)
            return
        super().on_timer(ctx, name)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Grant) and self.phase == WAITING:
            ctx.cancel_timer("give_up")
        super().on_message(ctx, src, msg)


def client_ids(n: int) -> tuple:
    return tuple(f"c{i}" for i in range(1, n + 1))


def mutex_scenario(clients: int = 2, client=LockClient, server=LockServer, **kwargs) -> Scenario:
    """A lock server ``"s"`` and clients ``"c1"``... ``"cN"``."""
    if isinstance(clients, bool) or not isinstance(clients, int) or clients < 1:
        raise ValueError(f"clients must be an int >= 1, got {clients!r}")
    ids = client_ids(clients)
    return Scenario({SERVER: server, **{c: client for c in ids}}, nodes=[*ids, SERVER], name="lock server",
                    **kwargs)


def mutex_model(clients: int = 2, client=LockClient, server=LockServer, *, symmetric: bool = True,
                **budget) -> Model:
    """Mutual exclusion as a model; clients interchangeable when ``symmetric``.

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(mutex_model(2, ImpatientClient), mutual_exclusion).verdict
    'violation'
    """
    ids = client_ids(clients)
    return Model(mutex_scenario(clients, client, server), symmetric=ids if symmetric else (),
                 name=f"lock server, {clients} clients" + ("" if client is LockClient else f" ({client.__name__})"),
                 **budget)


def _inside(s) -> int:
    return sum(1 for v in s.field("phase").values() if v == CRITICAL)   # clients that are up


mutual_exclusion = invariant("mutual exclusion", lambda s: _inside(s) <= 1)
"""Never two clients in the critical section."""

someone_enters = eventually("someone enters", lambda s: _inside(s) >= 1)
no_deadlock = deadlock_free("no deadlock")
