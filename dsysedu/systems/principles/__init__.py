"""Principles of mature design (chapter 7): each principle as something that runs and is measured.

==================  =========================================================================
``simplicity``      two designs of atomic commit: lines of code and model-checker states
``evolvability``    a placement swapped behind its interface; one contract test for all
``antifragility``   a Raft cluster that learns its election timeout from stress
``least_privilege`` scoped, signed tokens; what a compromised service can do
``defensive``       Raft that refuses malformed messages; fuzzing with a babbling member
``availability``    series, parallel and k-of-n availability, checked by an MTBF/MTTR simulation
``cost``            replicas, consistency level, nines and monthly cost; the cost explorer's run
==================  =========================================================================
"""
from .availability import (availability, Component, component_from_nines, components,
                           downtime_minutes_per_year, EXAMPLES, formula_vs_simulation, KOfN, nines, Parallel,
                           Series, simulate, SimulatedAvailability)
from .cost import (CONSISTENCY, cost_table, HOURS_PER_MONTH, needed, PricedReplica, replica_set,
                   replica_set_measures, replica_set_scenario)
from .simplicity import code_lines, DESIGNS, simplicity_table
from .evolvability import router_mentions, RULES, StaleRing, store_contract, swap_table
from .antifragility import CALM, heartbeat_gaps, learned_timeout, STRESSED, stress_table
from .least_privilege import (ACTIONS, Answer, blast_radius, Call, issue, NEEDS, privilege_scenario,
                              ScopedStore, Service, STORE, Token, verify)
from .defensive import (Babbler, BAD_VALUES, Defensive, DefensiveBabbler, fuzz_run, fuzz_table, malformed,
                        MAX_INT, message_problem, RAFT_MESSAGES, random_garbage, TEMPLATES)

__all__ = [
    "Component", "Series", "Parallel", "KOfN", "availability", "components", "simulate", "SimulatedAvailability",
    "nines", "downtime_minutes_per_year", "component_from_nines", "EXAMPLES", "formula_vs_simulation",
    "CONSISTENCY", "needed", "replica_set", "cost_table", "PricedReplica", "replica_set_scenario",
    "replica_set_measures", "HOURS_PER_MONTH",
    "code_lines", "DESIGNS", "simplicity_table",
    "RULES", "store_contract", "StaleRing", "router_mentions", "swap_table",
    "heartbeat_gaps", "learned_timeout", "stress_table", "CALM", "STRESSED",
    "Token", "issue", "verify", "Call", "Answer", "ScopedStore", "Service", "ACTIONS", "NEEDS",
    "privilege_scenario", "blast_radius", "STORE",
    "RAFT_MESSAGES", "message_problem", "Defensive", "Babbler", "DefensiveBabbler", "fuzz_run", "MAX_INT",
    "TEMPLATES", "BAD_VALUES", "malformed", "random_garbage", "fuzz_table",
]
