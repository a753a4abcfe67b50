"""Transactions: two-phase commit with its properties, broken variants and model (sagas to come).
"""
from .twopc import (ABORTED, all_decided, atomicity, commit_reachable, COMMITTED, COORDINATOR, Coordinator,
                    Decision, ForgetfulParticipant, MajorityCoordinator, no_deadlock, Participant, Prepare,
                    PREPARED, twopc_model, twopc_scenario, Vote, WORKING)
__all__ = ["Prepare", "Vote", "Decision", "Coordinator", "Participant", "MajorityCoordinator",
           "ForgetfulParticipant", "twopc_scenario", "twopc_model", "atomicity", "all_decided",
           "commit_reachable", "no_deadlock", "WORKING", "PREPARED", "COMMITTED", "ABORTED", "COORDINATOR"]
