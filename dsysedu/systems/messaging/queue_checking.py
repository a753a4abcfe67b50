"""The message queue under the model checker: every order of deliveries, timeouts and crashes, not one run.

The same :class:`~.queue.Producer`, :class:`~.queue.Broker`, :class:`~.queue.Consumer` and
:class:`~.queue.Store` classes the simulator runs, with the model checker's abstractions: time is
only the order of events, so a visibility timeout may fire before the consumer's ack arrives,
however long the timeout. To keep the model finite the producer publishes ``count`` messages
and never resends, consumers never re-poll, and a message is delivered at most
``max_attempts`` times.

Invariants (each checked in every reachable state):

- :data:`broker_keeps_messages`: every message the broker accepted is ready, out, acknowledged or
  dead-lettered; none disappears, through a broker crash too (checked while the broker is up);
- :data:`acked_means_applied`: a message the broker counts as acknowledged has had its effect
  applied (this is at-least-once; a consumer that acks *before* applying breaks it);
- :data:`effects_once_invariant`: the store applied no message twice (an idempotent store keeps it; a plain
  one does not, since a timeout can fire before the ack arrives).

:class:`VolatileBroker` is broken on purpose: it does not keep the messages that are out on disk,
so a crash forgets them (:data:`broker_keeps_messages` catches it).
"""
from __future__ import annotations

from dsysedu.check.model_checker import Model, invariant
from dsysedu.sim.scenario import Scenario
from .queue import BROKER, PRODUCER, STORE, Broker, Consumer, Producer, Store

__all__ = ["VolatileBroker", "queue_model", "broker_keeps_messages", "acked_means_applied", "effects_once_invariant",
           "QUEUE_INVARIANTS"]

_QUIET = ("retry", "poll", "store")      # timers that would resend forever: off in the model


class VolatileBroker(Broker):
    """BROKEN on purpose: the messages out with consumers live in memory only; a crash forgets them."""
    durable = ("ready", "known", "dead", "acked")


def queue_model(count: int = 2, consumers: int = 1, idempotent: bool = True, ack: str = "after",
                max_attempts: int = 2, crashes: int = 0, recoveries: int = 0, drops: int = 0,
                broker=Broker) -> Model:
    """The queue as a finite model (see the module docstring).

    Examples
    --------
    >>> from dsysedu.check.model_checker import check
    >>> check(queue_model(count=1), effects_once_invariant).verdict
    'ok'
    >>> check(queue_model(count=1, idempotent=False), effects_once_invariant).verdict
    'violation'
    """
    names = [f"c{i}" for i in range(consumers)]
    scenario = Scenario({PRODUCER: Producer, BROKER: broker, STORE: Store, **{c: Consumer for c in names}},
                        nodes=[PRODUCER, BROKER, STORE, *names],
                        node_params={PRODUCER: {"count": count},
                                     BROKER: {"max_attempts": max_attempts},
                                     **{c: {"ack": ack, "idempotent": idempotent} for c in names}},
                        name="message queue (model)")
    return Model(scenario, crashes=crashes, recoveries=recoveries, drops=drops,
                 symmetric=tuple(names) if consumers > 1 else (),
                 fire=lambda node, name: name not in _QUIET, name="message queue")


def _ids(broker) -> set:
    return ({m for m, _b, _n in broker.ready} | set(dict(broker.inflight)) | set(broker.acked) | set(broker.dead))


broker_keeps_messages = invariant("the broker keeps every message it accepted",
                                  lambda s: not s.is_up(BROKER) or set(s[BROKER].known) == _ids(s[BROKER]))
acked_means_applied = invariant("acknowledged means applied",
                                lambda s: set(s[BROKER].acked) <= set(s[STORE].applied))
effects_once_invariant = invariant("each effect applied once",
                                   lambda s: s[STORE].applications == len(s[STORE].applied))
QUEUE_INVARIANTS = (broker_keeps_messages, acked_means_applied, effects_once_invariant)
