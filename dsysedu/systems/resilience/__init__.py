"""Resilience: the building blocks that keep a service up when its dependencies are not.

=================  ==========================================================================
``circuit_breaker`` the closed / open / half-open breaker, its invariants and model
``breaker_lab``    the breaker against a sick dependency, with Hystrix/resilience4j/pybreaker presets
``backoff``        retries with no backoff, exponential backoff and full, equal and decorrelated
                   jitter (Brooker 2015), tenacity's wait strategies, an optimistic store to contend for
``overload``       queue servers (load shedding), callers with timeouts, retries, retry budgets
                   and a breaker per target; the metastable retry storm (Bronson et al. 2021)
``measures``       latency percentiles, goodput, load and queues read from such a run
``idempotency``    idempotency keys: a retried payment charged once
``bulkhead``       a shared worker pool against one pool per endpoint; degradation with a fallback
``redundancy``     availability of n replicas, simulated against the binomial formula
=================  ==========================================================================
"""
from .circuit_breaker import (BREAKER, breaker_model, breaker_scenario, Call, CircuitBreaker, CLOSED,
                              closed_failures_below_threshold, EagerBreaker, Fail, FlakyService, HALF_OPEN,
                              invariants, mode_transitions, ALLOWED_TRANSITIONS, Ok, one_trial, OPEN,
                              open_has_cooldown, recovers, SERVICE)
from .breaker_lab import (breaker_lab_scenario, breaker_lab_summary, breaker_lab_table, breaker_states,
                          compare_with_pybreaker, drive_ours, drive_pybreaker,
                          PRESETS, SickService, WindowBreaker)
from .backoff import (BACKOFFS, backoff_sleep, check_backoff, Committed, Conflict, ContendedStore, Contender,
                      contention_scenario, contention_summary, contention_table, STORE, tenacity_sleep, Write)
from .overload import (Caller, goodput_curve, offered_load_scenario, OUTCOMES, QueueServer, Reply, Request,
                       storm_scenario)
from .measures import (goodput_series, offered_rate, queue_series, request_rows, slow_servers, traffic_record,
                       traffic_summary)
from .idempotency import (Charge, Charged, effects, idempotency_scenario, Payer, PaymentService,
                          VolatileKeysService)
from .bulkhead import ENDPOINTS, endpoint_table, EndpointTraffic, Gateway, bulkhead_scenario
from .redundancy import availability, availability_table, measured_availability, redundancy_scenario, Replica
__all__ = ["Call", "Ok", "Fail", "CircuitBreaker", "EagerBreaker", "FlakyService", "breaker_scenario",
           "breaker_model", "closed_failures_below_threshold", "open_has_cooldown", "one_trial", "invariants",
           "recovers", "mode_transitions", "ALLOWED_TRANSITIONS", "CLOSED", "OPEN", "HALF_OPEN", "BREAKER", "SERVICE",
           "SickService", "WindowBreaker", "PRESETS", "breaker_lab_scenario", "breaker_lab_summary", "breaker_states",
           "breaker_lab_table", "drive_ours", "drive_pybreaker", "compare_with_pybreaker", "BACKOFFS",
           "backoff_sleep", "tenacity_sleep", "check_backoff", "Write", "Committed", "Conflict", "ContendedStore",
           "Contender", "contention_scenario", "contention_summary", "contention_table", "STORE", "Request", "Reply",
           "QueueServer", "Caller", "OUTCOMES", "storm_scenario", "offered_load_scenario", "goodput_curve",
           "traffic_summary", "goodput_series", "queue_series", "request_rows", "offered_rate", "slow_servers",
           "traffic_record", "Charge", "Charged", "PaymentService", "VolatileKeysService", "Payer",
           "idempotency_scenario", "effects", "ENDPOINTS", "Gateway", "EndpointTraffic", "bulkhead_scenario",
           "endpoint_table", "Replica", "availability", "redundancy_scenario", "measured_availability",
           "availability_table"]
