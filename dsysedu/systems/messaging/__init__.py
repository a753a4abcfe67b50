"""Messaging (通信范式, source §4.1): RPC down a call chain, a message queue, a partitioned log,
and queueing theory as a check on the simulator.

========================  ==================================================================
``rpc``                   a blocking call chain; a slow callee's latency cascades up
``queue``                 broker, producer, consumers and store: acks, redelivery, visibility
                          timeout, dead-letter queue, idempotent consumer
``queue_checking``        the queue under the model checker: its invariants in every state
``log``                   a partitioned log in the manner of Kafka: offsets, consumer groups,
                          rebalance, replay
``queueing``              an M/M/c queue against Little's law, M/M/1 and Erlang C
``experiments``           the chapter's tables: delivery guarantees, a burst, M/M/c sweeps
========================  ==================================================================
"""
from . import experiments, log, queue, queue_checking, queueing, rpc
from .experiments import *  # noqa: F401,F403
from .log import *  # noqa: F401,F403
from .queue import *  # noqa: F401,F403
from .queue_checking import *  # noqa: F401,F403
from .queueing import *  # noqa: F401,F403
from .rpc import *  # noqa: F401,F403

__all__ = rpc.__all__ + queue.__all__ + queue_checking.__all__ + log.__all__ + queueing.__all__ + experiments.__all__
