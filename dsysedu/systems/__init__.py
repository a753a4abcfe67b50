"""Systems: the engineering building blocks of chapters 4 and 5 as ordinary simulator nodes.

Messaging (RPC, queues, logs), sharding and caching, discovery and load balancing, resilience
(timeouts, retries, circuit breakers, bulkheads, load shedding) and design patterns (proxy,
sidecar, event sourcing, CQRS). Because they are nodes like any protocol's, faults, traces,
views, checkers and the model checker work on them unchanged.

========================  ==================================================================
``discovery``             a registry with heartbeats and TTLs; balancing policies and layouts; hedging
``messaging``             RPC call chains, a message queue, a partitioned log, queueing theory
``storage``               sharding (range, hash, consistent hashing) and caching (policies,
                          write policies, penetration, avalanche, stampede)
``resilience``            breakers, timeouts, retries and jitter, retry storms, shedding, bulkheads,
                          idempotency keys, redundancy
``patterns``              event sourcing and CQRS (more patterns to come)
``principles``            chapter 7's principles, each run and measured: availability arithmetic
                          and cost, simplicity, evolvability, antifragility, least privilege
========================  ==================================================================
"""
from . import discovery, messaging, patterns, principles, resilience, storage

__all__ = ["discovery", "messaging", "patterns", "principles", "resilience", "storage"]
