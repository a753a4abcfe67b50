"""Leases and fencing as a model for the model checker: time abstracted away, every order explored.

The simulated protocol (:mod:`dsysedu.protocols.coordination.leases`) shows one run at a time,
with clocks, drift and pauses. Here time is only the order of events, which is exactly what a
pause or a slow clock does to a lease holder: its lease may expire (the lock's ``expire`` timer
fires) at *any* moment between its grant and its write, and its write may arrive at the storage
at any moment after. Nodes:

* :class:`LeaseLock` grants the lease to one client at a time, with the next fencing token, and
  lets it expire (a timer that may fire at any time after the grant: the holder cannot tell);
* :class:`LeaseHolder` asks for the lease (again, up to ``asks`` times, when refused), and once
  granted does its work: one :class:`~dsysedu.protocols.coordination.leases.Write` with its token;
* :class:`ForgetfulLock` hands out token 1 every time (broken on purpose);
* :class:`FencedStore` refuses a token lower than the highest it has accepted;
  :class:`UnfencedStore` accepts everything (broken on purpose).

Properties, on the writes the storage accepted (in order): :data:`no_older_token` (the storage
never accepts an older token after a newer one) and :data:`one_writer_per_token`; and the
witness :data:`two_believers`: two clients both believe they hold the lease. Fencing does not
prevent the second, two leaders at once; it makes their writes safe [1]_.

References
----------
.. [1] M. Kleppmann, *Designing Data-Intensive Applications*, O'Reilly 2017, ch. 8 (fencing tokens).
"""
from __future__ import annotations

from dsysedu.check.model_checker import Model, invariant, reachable
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

from .leases import LOCK, STORAGE, AskLease, LeaseDenied, LeaseGranted, Write

__all__ = ["LeaseLock", "ForgetfulLock", "LeaseHolder", "FencedStore", "UnfencedStore", "lease_model_scenario",
           "lease_model", "no_older_token", "one_writer_per_token", "two_believers"]


class LeaseLock(Node):
    """Grants the lease when nobody holds it, with the next token; the lease expires at any time."""
    state_fields = ("holder", "token")

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.holder = None
        self.token = 0

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, AskLease):
            return
        if self.holder is None:
            self.token += 1
            self.holder = src
            ctx.send(src, LeaseGranted(self.token, 1.0))
            ctx.set_timer("expire", 1.0)
        else:
            ctx.send(src, LeaseDenied())

    def on_timer(self, ctx, name):
        if name == "expire":
            self.holder = None


class ForgetfulLock(LeaseLock):
    """BROKEN on purpose: its token counter is not durable, as after a restart: every grant is token 1.

    Fencing trusts the tokens to grow; with repeated tokens the storage cannot tell two
    leaders apart, and accepts both.
    """

    def on_message(self, ctx, src, msg):
        if isinstance(msg, AskLease) and self.holder is None:
            self.token = 0
        super().on_message(ctx, src, msg)


class LeaseHolder(Node):
    """Asks for the lease; refused, asks again (at most ``asks`` times in all); granted, writes once.

    ``role``: ``"asking"``, ``"leader"`` (granted, write pending: it believes it holds the lease)
    or ``"done"``.
    """
    state_fields = ("role", "token", "asked")

    def __init__(self, node_id, peers=(), lock=LOCK, storage=STORAGE, asks=2):
        super().__init__(node_id, peers)
        self.lock, self.storage, self.asks = lock, storage, asks
        self.role, self.token, self.asked = "asking", None, 0

    def on_start(self, ctx):
        self.ask(ctx)

    def ask(self, ctx):
        self.asked += 1
        ctx.send(self.lock, AskLease())

    def on_message(self, ctx, src, msg):
        if isinstance(msg, LeaseGranted) and self.role == "asking":
            self.role, self.token = "leader", msg.token
            ctx.set_timer("write", 0.05)        # the work between the check and the write
        elif isinstance(msg, LeaseDenied) and self.role == "asking":
            if self.asked < self.asks:
                ctx.set_timer("retry", 0.1)
            else:
                self.role = "done"

    def on_timer(self, ctx, name):
        if name == "retry" and self.role == "asking":
            self.ask(ctx)
        elif name == "write" and self.role == "leader":
            self.role = "done"
            ctx.send(self.storage, Write(self.token, 1))


class FencedStore(Node):
    """Refuses a write whose token is lower than the highest accepted; ``accepted``: ((token, writer), ...)."""
    state_fields = ("highest", "accepted")
    fencing = True

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.highest = 0
        self.accepted = ()

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Write) or (self.fencing and msg.token < self.highest):
            return
        self.highest = max(self.highest, msg.token)
        self.accepted = self.accepted + ((msg.token, src),)


class UnfencedStore(FencedStore):
    """BROKEN on purpose: accepts every write, whatever its token."""
    fencing = False


def lease_model_scenario(clients: int = 2, *, fencing: bool = True, asks: int = 2, lock=LeaseLock) -> Scenario:
    """The lock, the storage and clients ``c1``... as a Scenario for :class:`Model`."""
    if isinstance(clients, bool) or not isinstance(clients, int) or not 1 <= clients <= 4:
        raise ValueError(f"clients must be an int in 1..4, got {clients!r}")
    if isinstance(asks, bool) or not isinstance(asks, int) or not 1 <= asks <= 4:
        raise ValueError(f"asks must be an int in 1..4, got {asks!r}")
    if not isinstance(fencing, bool):
        raise TypeError(f"fencing must be True or False, got {fencing!r}")
    ids = tuple(f"c{i}" for i in range(1, clients + 1))
    protocol = {LOCK: lock, STORAGE: FencedStore if fencing else UnfencedStore, **{c: LeaseHolder for c in ids}}
    return Scenario(protocol, nodes=[LOCK, STORAGE, *ids], node_params={c: {"asks": asks} for c in ids},
                    name=f"lease model{'' if fencing else ' (no fencing)'}")


def lease_model(clients: int = 2, *, fencing: bool = True, asks: int = 2, lock=LeaseLock, **budget) -> Model:
    """Leases and fencing for the model checker.

    ``clients`` in 1..4, each asking at most ``asks`` times; ``lock``: :class:`LeaseLock` or
    :class:`ForgetfulLock`; ``budget`` as for :class:`Model`.

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> [check(lease_model(2, fencing=f), no_older_token).verdict for f in (True, False)]
    ['ok', 'violation']
    """
    return Model(lease_model_scenario(clients, fencing=fencing, asks=asks, lock=lock),
                 final=lambda s: all(v == "done" for v in s.field("role").values()), **budget)


def _accepted(s):
    return s[STORAGE].accepted


no_older_token = invariant("storage never accepts an older token",
                           lambda s: all(a[0] <= b[0] for a, b in zip(_accepted(s), _accepted(s)[1:])))

one_writer_per_token = invariant("at most one writer accepted per token",
                                 lambda s: len({t for t, _w in _accepted(s)}) == len(set(_accepted(s))))

two_believers = reachable("two clients believe they hold the lease",
                          lambda s: sum(v == "leader" for v in s.field("role").values()) >= 2)
