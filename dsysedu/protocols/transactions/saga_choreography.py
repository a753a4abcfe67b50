"""The order saga by choreography (协同): no coordinator, each service reacts to the events of its neighbours.

The stock service gets the order and reserves; its event "stock reserved" makes the payment
service charge; "payment charged" makes the shipping service ship, and the last service says
the saga is done. A refusal travels backwards instead: the failing service tells its
predecessor to compensate, which compensates and tells *its* predecessor, so compensations
run in reverse order by construction, and the first service says the saga is compensated.

Events are delivered at least once, as a message broker does: a service keeps every event it
publishes in a durable *outbox* until the receiver acknowledges it (:class:`EventAck`), re-sends it
on a timer and when a neighbour comes back after a crash (:class:`~.saga.Hello`), so every
service must handle an event twice without acting twice (its ledger, as in
:class:`~.saga.Service`). Same properties, same checkers as the orchestrated saga
(:func:`choreography_model`).

Compared with orchestration: no single point that knows the saga's state (and none that can
crash with it), but the flow of the saga is spread over the services' code, and the end is
known only to the last (or first) service.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.check.model_checker import Model
from dsysedu.sim.scenario import Input, Scenario
from .saga import STEPS, Hello, Order, Service, _check_fail_step, _settled

__all__ = ["Go", "Compensate", "EVENTS", "EventAck", "ChoreographyService", "FireAndForget", "choreography_scenario", "choreography_model"]


@dataclass(frozen=True)
class Go:
    """My step is done: do yours."""
    saga: str


@dataclass(frozen=True)
class Compensate:
    """The saga failed after you: undo your step."""
    saga: str


EVENTS = {"go": Go, "compensate": Compensate}


@dataclass(frozen=True)
class EventAck:
    """The receiver has handled the event; the sender may drop it from its outbox."""
    kind: str
    saga: str


class ChoreographyService(Service):
    """A service of the choreographed saga: its predecessor and successor are its only partners.

    Parameters (besides :class:`~.saga.Service`'s)
    ----------
    services : tuple
        The chain of services, in step order.
    retry_after : float or None
        Re-send unacknowledged events after this many seconds (None: only when a neighbour
        says Hello after a crash; the model checker's setting).
    orders : tuple of str
        Sagas the first service starts at once (more come as :class:`~.saga.Order` inputs).

    Observes ``saga`` = ``(saga, "done")`` at the last service and ``(saga, "compensated")``
    at the first, and ``effect`` as :class:`~.saga.Service` does.
    """
    state_fields = ("ledger", "finished", "broken", "outbox", "seen", "ends")
    durable = ("ledger", "finished", "broken", "outbox", "seen", "ends")

    def __init__(self, node_id, peers=(), services=STEPS, retry_after=0.05, orders=(), **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.services, self.retry_after, self.orders = tuple(services), retry_after, tuple(orders)
        i = self.services.index(node_id)
        self.prev = self.services[i - 1] if i > 0 else None
        self.next = self.services[i + 1] if i + 1 < len(self.services) else None
        self.outbox = ()     # (dst, kind, saga) published, not yet acknowledged
        self.seen = ()       # (kind, saga) handled
        self.ends = ()       # (saga, outcome) this service declared

    def on_start(self, ctx):
        super().on_start(ctx)
        self.take_orders(ctx)
        if self.outbox:
            self.resend(ctx)

    def take_orders(self, ctx) -> None:
        for saga in self.orders:                     # a timer, so that a step may fail before it
            if ("go", saga) not in self.seen:
                ctx.set_timer(("order", saga), 0.0)

    def on_recover(self, ctx):
        Service.on_start(self, ctx)
        self.take_orders(ctx)
        for n in (self.prev, self.next):
            if n is not None:
                ctx.send(n, Hello())
        self.resend(ctx)

    def resend(self, ctx, only=None) -> None:
        for dst, kind, saga in self.outbox:
            if only is None or dst == only:
                ctx.send(dst, EVENTS[kind](saga))
        if self.outbox and self.retry_after is not None:
            ctx.set_timer("resend", self.retry_after)

    def on_timer(self, ctx, name):
        if name == "resend":
            self.resend(ctx)
        elif isinstance(name, tuple) and name[0] == "order":
            self.on_message(ctx, None, Order(name[1]))
        else:
            super().on_timer(ctx, name)

    def publish(self, ctx, dst, kind, saga) -> None:
        self.outbox = self.outbox + ((dst, kind, saga),)
        ctx.send(dst, EVENTS[kind](saga))
        if self.retry_after is not None:
            ctx.set_timer("resend", self.retry_after)

    def end(self, ctx, saga, outcome) -> None:
        self.ends = self.ends + ((saga, outcome),)
        ctx.observe("saga", (saga, outcome))
        ctx.observe("phase", outcome)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Order):
            msg = Go(msg.saga)
        elif isinstance(msg, Hello):
            self.resend(ctx, only=src)
            return
        elif isinstance(msg, EventAck):
            self.outbox = tuple(e for e in self.outbox if e != (src, msg.kind, msg.saga))
            return
        if not isinstance(msg, (Go, Compensate)):
            return
        kind = "go" if isinstance(msg, Go) else "compensate"
        if src is not None:
            ctx.send(src, EventAck(kind, msg.saga))
        if (kind, msg.saga) in self.seen:              # a duplicate or a re-sent event: acknowledged only
            return
        self.seen = self.seen + ((kind, msg.saga),)
        if kind == "go":
            if self.act(ctx, msg.saga) == "do":
                if self.next is not None:
                    self.publish(ctx, self.next, "go", msg.saga)
                else:
                    self.end(ctx, msg.saga, "done")
                return
        else:
            self.compensate(ctx, msg.saga)
        if self.prev is not None:                       # refused here, or compensated: pass it back
            self.publish(ctx, self.prev, "compensate", msg.saga)
        else:
            self.end(ctx, msg.saga, "compensated")


class FireAndForget(ChoreographyService):
    """BROKEN on purpose: publishes each event once and keeps no outbox (at-most-once delivery).

    An event lost on the way (the receiver crashed, the link dropped it) is never sent again:
    the saga stops half-way, neither done nor compensated.
    """

    def publish(self, ctx, dst, kind, saga) -> None:
        ctx.send(dst, EVENTS[kind](saga))


def choreography_scenario(fail_step=None, *, orders=(("s1", 0.0),), service=ChoreographyService,
                          retry_after=0.05, by_client=True, **kwargs) -> Scenario:
    """The order saga by choreography: the services of :data:`~.saga.STEPS`, orders to ``stock``
    (parameters as :func:`~.saga.saga_scenario`'s).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.protocols.transactions.saga import saga_outcomes
    >>> saga_outcomes(run(choreography_scenario(fail_step=2), seed=1))
    {'s1': 'compensated'}
    """
    _check_fail_step(fail_step, len(STEPS))
    if not orders or any(not (isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str)) for o in orders):
        raise ValueError(f"orders must be a non-empty tuple of (saga name, start time), got {orders!r}")
    node_params = {s: {"step": k, "fail": fail_step == k, "retry_after": retry_after, "coordinator": None}
                   for k, s in enumerate(STEPS, 1)}
    inputs = tuple(Input(at, STEPS[0], Order(saga)) for saga, at in orders)
    if not by_client:       # the first service starts the sagas itself (see saga_scenario)
        if any(at != 0 for _, at in orders):
            raise ValueError(f"by_client=False starts every saga at t = 0; got start times {[at for _, at in orders]}")
        node_params[STEPS[0]]["orders"], inputs = tuple(saga for saga, _ in orders), ()
    kwargs.setdefault("until", 5.0)
    return Scenario(service, nodes=list(STEPS), node_params=node_params, inputs=inputs,
                    name="order saga (choreography)", **kwargs)


def choreography_model(service=ChoreographyService, *, fail="maybe", **budget) -> Model:
    """One choreographed saga as a model (any step may fail; ``budget`` as in :func:`~.saga.saga_model`)."""
    params = {s: {"step": k, "fail": fail, "retry_after": None, "coordinator": None} for k, s in enumerate(STEPS, 1)}
    params[STEPS[0]]["orders"] = ("s1",)
    sc = Scenario(service, nodes=list(STEPS), node_params=params)
    return Model(sc, final=_settled, name="order saga (choreography)", **budget)
