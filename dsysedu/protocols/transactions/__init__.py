"""Transactions: two-phase commit, and sagas with compensations (orchestrated and choreographed), each with its
properties, broken variants and model.
"""
from .twopc import (ABORTED, all_decided, atomicity, commit_reachable, COMMITTED, COORDINATOR, Coordinator,
                    Decision, ForgetfulParticipant, MajorityCoordinator, no_deadlock, Participant, Prepare,
                    PREPARED, twopc_model, twopc_scenario, Vote, WORKING)
from .saga import (ACTIONS, all_settled, at_most_once, Busy, COMPENSATIONS, Do, Done, effect_status, Finish,
                   ForgetfulOrchestrator, ForwardCompensation, Hello, NonIdempotentService, Orchestrator,
                   ORCHESTRATOR, Order, PHASES, outcome_matches, reverse_order, saga_model, saga_outcomes, saga_scenario,
                   Service, STEPS, Undo, Undone)
from .saga_choreography import (Ack, ChoreographyService, choreography_model, choreography_scenario, Compensate, EVENTS,
                                FireAndForget, Go)
from .saga_runs import (compensation_table, dirty_read_scenario, random_saga_scenario, saga_history, saga_ledgers,
                        saga_runs_per_s, saga_verdicts, VARIANTS, variant_table)
__all__ = ["Prepare", "Vote", "Decision", "Coordinator", "Participant", "MajorityCoordinator",
           "ForgetfulParticipant", "twopc_scenario", "twopc_model", "atomicity", "all_decided",
           "commit_reachable", "no_deadlock", "WORKING", "PREPARED", "COMMITTED", "ABORTED", "COORDINATOR",
           "STEPS", "ACTIONS", "COMPENSATIONS", "ORCHESTRATOR", "PHASES", "Order", "Do", "Done", "Busy", "Undo", "Undone",
           "Finish", "Hello", "Service", "Go", "Compensate", "EVENTS", "Ack", "ChoreographyService", "FireAndForget", "choreography_scenario",
           "choreography_model", "Orchestrator", "ForwardCompensation", "NonIdempotentService",
           "ForgetfulOrchestrator", "saga_scenario", "saga_model", "effect_status", "saga_outcomes",
           "reverse_order", "at_most_once", "outcome_matches", "all_settled",
           "saga_verdicts", "saga_ledgers", "random_saga_scenario", "dirty_read_scenario", "saga_history",
           "saga_runs_per_s", "compensation_table", "variant_table", "VARIANTS"]
