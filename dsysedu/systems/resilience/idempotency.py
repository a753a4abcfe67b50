"""Idempotency keys (幂等键): a retried request takes effect once.

A :class:`Payer` sends ``payments`` charges to a :class:`PaymentService` over a lossy network and
retries each one until it is acknowledged (a timeout cannot tell a lost request from a lost
reply, so it must). Every retry of one charge carries the same idempotency key. The service
with ``keys=True`` remembers the keys it has applied and answers a repeat with the stored
result, without charging again (as Stripe's ``Idempotency-Key`` header); with ``keys=False`` it
charges on every request that arrives, so a lost *reply* turns into a double charge.

Observes: the service ``charge`` ``(key, amount)`` for every effect applied; the payer ``acked``
(the key) once per payment. :func:`effects` counts them.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int, probability

__all__ = ["Charge", "Charged", "PaymentService", "VolatileKeysService", "Payer", "idempotency_scenario", "effects"]


@dataclass(frozen=True)
class Charge:
    """Charge ``amount`` once per ``key``."""
    key: str
    amount: int


@dataclass(frozen=True)
class Charged:
    key: str
    balance: int


class PaymentService(Node):
    """Applies charges; with ``keys=True`` at most once per idempotency key.

    The balance and the keys applied are durable (written with the charge, in one transaction):
    after a crash the service still knows every key it applied.
    """
    state_fields = ("balance", "done")
    durable = ("balance", "done")

    def __init__(self, node_id, peers=(), keys=True):
        super().__init__(node_id, peers)
        self.keys = bool(keys)
        self.balance = 0
        self.done = {}           # key -> the balance the first application left (the stored result)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Charge):
            return
        if self.keys and msg.key in self.done:
            ctx.send(src, Charged(msg.key, self.done[msg.key]))    # a repeat: the same answer, no effect
            return
        self.balance += msg.amount
        self.done[msg.key] = self.balance
        ctx.observe("charge", (msg.key, msg.amount))
        ctx.send(src, Charged(msg.key, self.balance))


class VolatileKeysService(PaymentService):
    """BROKEN on purpose: keeps its idempotency keys in memory only, so a crash forgets them and a
    retry that arrives after the restart is charged again."""
    durable = ("balance",)


class Payer(Node):
    """Sends ``payments`` charges one after another, retrying each every ``timeout`` until acked."""
    state_fields = ("current", "attempts")

    def __init__(self, node_id, peers=(), service="service", payments=20, timeout=0.1):
        super().__init__(node_id, peers)
        self.service = service
        self.payments = positive_int("payments", payments, low=0, high=100_000)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.current = 0
        self.attempts = 0

    def key(self) -> str:
        return f"{self.id}-{self.current}"

    def on_start(self, ctx):
        self.send(ctx)

    def send(self, ctx) -> None:
        if self.current >= self.payments:
            return
        self.attempts += 1
        ctx.send(self.service, Charge(self.key(), 10))
        ctx.set_timer(("retry", self.current), self.timeout)

    def on_timer(self, ctx, name):
        if name == ("retry", self.current):
            self.send(ctx)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Charged) and msg.key == self.key():
            ctx.cancel_timer(("retry", self.current))
            ctx.observe("acked", msg.key)
            self.current += 1
            self.send(ctx)


def idempotency_scenario(keys: bool = True, loss: float = 0.3, payments: int = 50, clients: int = 2,
                         timeout: float = 0.1, until: float = 60.0, service=PaymentService, faults=()) -> Scenario:
    """``clients`` payers, each with ``payments`` charges, through links that lose ``loss`` of the
    messages each way; ``service`` is the service's class, ``faults`` crash it (its node is
    ``"service"``).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> effects(run(idempotency_scenario(keys=True), seed=1))["duplicates"]
    0
    """
    probability("loss", loss)
    if loss >= 1.0:
        raise ValueError("loss must be below 1 (else no payment ever gets through)")
    positive_int("clients", clients, high=100)
    payers = [f"payer{i}" for i in range(clients)]
    return Scenario({"service": service, **{p: Payer for p in payers}}, nodes=["service", *payers],
                    node_params={"service": {"keys": keys},
                                 **{p: {"payments": payments, "timeout": timeout} for p in payers}},
                    link=LinkModel(latency=0.01, loss=loss), until=until, faults=faults,
                    name=f"payments {'with' if keys else 'without'} idempotency keys, loss {loss:g}")


def effects(trace) -> dict:
    """``payments`` acknowledged, ``attempts`` sent, ``effects`` applied and ``duplicates``
    (effects beyond one per key)."""
    applied = [e.value[0] for e in trace.events if e.kind == "observe" and e.data == "charge"]
    acked = sum(1 for e in trace.events if e.kind == "observe" and e.data == "acked")
    sent = sum(1 for e in trace.events if e.kind == "send" and isinstance(e.data, Charge))
    return {"payments": acked, "attempts": sent, "effects": len(applied),
            "duplicates": len(applied) - len(set(applied))}
