"""Resilience: the building blocks that keep a service up when its dependencies are not
(the circuit breaker, and a lab that drives it against a dependency that falls sick, with the
parameters of Hystrix, resilience4j and pybreaker; timeouts, retries, bulkheads and load
shedding to come).
"""
from .circuit_breaker import (BREAKER, breaker_model, breaker_scenario, Call, CircuitBreaker, CLOSED,
                              closed_failures_below_threshold, EagerBreaker, Fail, FlakyService, HALF_OPEN,
                              invariants, mode_transitions, ALLOWED_TRANSITIONS, Ok, one_trial, OPEN, open_has_cooldown, recovers, SERVICE)
from .breaker_lab import (breaker_lab_scenario, breaker_lab_summary, breaker_lab_table, breaker_states,
                          compare_with_pybreaker, drive_ours, drive_pybreaker,
                          PRESETS, SickService, WindowBreaker)
__all__ = ["Call", "Ok", "Fail", "CircuitBreaker", "EagerBreaker", "FlakyService", "breaker_scenario",
           "breaker_model", "closed_failures_below_threshold", "open_has_cooldown", "one_trial", "invariants",
           "recovers", "mode_transitions", "ALLOWED_TRANSITIONS", "CLOSED", "OPEN", "HALF_OPEN", "BREAKER", "SERVICE",
           "SickService", "WindowBreaker", "PRESETS", "breaker_lab_scenario", "breaker_lab_summary",
           "breaker_states", "breaker_lab_table", "drive_ours", "drive_pybreaker", "compare_with_pybreaker"]
