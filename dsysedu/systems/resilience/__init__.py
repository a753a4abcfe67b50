"""Resilience: the building blocks that keep a service up when its dependencies are not
(the circuit breaker; timeouts, retries, bulkheads and load shedding to come).
"""
from .circuit_breaker import (BREAKER, breaker_model, breaker_scenario, Call, CircuitBreaker, CLOSED,
                              closed_failures_below_threshold, EagerBreaker, Fail, FlakyService, HALF_OPEN,
                              invariants, Ok, one_trial, OPEN, open_has_cooldown, recovers, SERVICE)
__all__ = ["Call", "Ok", "Fail", "CircuitBreaker", "EagerBreaker", "FlakyService", "breaker_scenario",
           "breaker_model", "closed_failures_below_threshold", "open_has_cooldown", "one_trial", "invariants",
           "recovers", "CLOSED", "OPEN", "HALF_OPEN", "BREAKER", "SERVICE"]
