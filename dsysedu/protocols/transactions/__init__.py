"""Transactions: two-phase commit (the model-checked core, and the logged, locking version that runs on
the simulator with crash points), three-phase commit, Paxos Commit (consensus on each vote), a money
transfer done ACID or BASE, and sagas with compensations (orchestrated and choreographed), each with its
properties, broken variants and model.
"""
from .paxos_commit import (Acceptor, BlindLeader, chosen_values, commit_rule, CommitLeader, CommitOutcome,
                           CommitPrepare, P1a, P1b, P2a, P2b, paxos_commit_ids, paxos_commit_model,
                           paxos_commit_scenario, pc_agreement, pc_atomicity, pc_decides,
                           ResourceManager)
from .paxos_commit_runs import (blocking_against_2pc, commit_atomic, commit_cost, commit_costs, commit_outcomes,
                                decided_at, fault_schedule_table, leader_crash_scenario, message_pattern,
                                PAPER_DELAYS, paxos_commit_txn_per_s, random_commit_scenario, reduces_to_2pc)
from .saga import (ACTIONS, all_settled, at_most_once, Busy, COMPENSATIONS, Do, Done, effect_status, Finish,
                   ForgetfulOrchestrator, ForwardCompensation, Hello, NonIdempotentService, ORCHESTRATOR,
                   Orchestrator, Order, outcome_matches, PHASES, reverse_order, saga_model, saga_outcomes,
                   saga_scenario, Service, STEPS, Undo, Undone)
from .saga_choreography import (choreography_model, choreography_scenario, ChoreographyService, Compensate,
                                EventAck, EVENTS, FireAndForget, Go)
from .saga_runs import (compensation_table, dirty_read_scenario, random_saga_scenario, saga_history,
                        saga_ledgers, saga_runs_per_s, saga_verdicts, variant_table, VARIANTS)
from .threepc import (Abort3, Ack, BACKUP, CanCommit, DoCommit, final_phases, LocalTermination, PreCommit,
                      skeen_partition, StateRep, StateReq, three_atomic, three_atomicity, three_decides,
                      threepc_model, threepc_scenario, ThreePCCoordinator, ThreePCParticipant, Vote3)
from .transfer import (acid_vs_base, AcidClient, AcidShard, BaseClient, BaseShard, conserved, money_over_time,
                       SHARDS, transfer_history, transfer_scenario, transfer_stats, violation_window)
from .twopc import (ABORTED, all_decided, atomicity, commit_reachable, COMMITTED, COORDINATOR, Coordinator,
                    Decision, ForgetfulParticipant, MajorityCoordinator, no_deadlock, Participant, Prepare,
                    PREPARED, twopc_model, twopc_scenario, Vote, WORKING)
from .twopc_sim import (Ask, atomic, blocking_sweep, crash_point_table, CRASH_POINTS, ForgetfulCoordinator,
                        local_waits, LocalTxn, lock_hold_times, LockingParticipant, LoggingCoordinator,
                        outcomes, run_with_crash_points, sim_all_decided, sim_atomicity, twopc_sim_model,
                        twopc_sim_scenario, TxnDecision, TxnPrepare, TxnVote)
__all__ = ["CommitPrepare", "P1a", "P1b", "P2a", "P2b", "CommitOutcome", "ResourceManager", "Acceptor",
           "CommitLeader", "BlindLeader", "paxos_commit_ids", "paxos_commit_scenario", "paxos_commit_model",
           "pc_atomicity", "pc_agreement", "pc_decides", "chosen_values", "commit_rule",
           "decided_at", "commit_cost", "commit_costs", "PAPER_DELAYS", "leader_crash_scenario",
           "commit_outcomes", "commit_atomic", "random_commit_scenario", "paxos_commit_txn_per_s",
           "message_pattern", "reduces_to_2pc", "fault_schedule_table", "blocking_against_2pc",
           "STEPS", "ACTIONS", "COMPENSATIONS", "ORCHESTRATOR", "PHASES", "Order", "Do", "Done", "Busy",
           "Undo", "Undone", "Finish", "Hello", "Service", "Orchestrator", "ForwardCompensation",
           "NonIdempotentService", "ForgetfulOrchestrator", "saga_scenario", "saga_model", "effect_status",
           "saga_outcomes", "reverse_order", "at_most_once", "outcome_matches", "all_settled", "Go",
           "Compensate", "EVENTS", "EventAck", "ChoreographyService", "FireAndForget",
           "choreography_scenario", "choreography_model", "saga_verdicts", "saga_ledgers",
           "random_saga_scenario", "dirty_read_scenario", "saga_history", "compensation_table",
           "variant_table", "VARIANTS", "saga_runs_per_s", "CanCommit", "Vote3", "PreCommit", "Ack",
           "DoCommit", "Abort3", "StateReq", "StateRep", "ThreePCCoordinator", "ThreePCParticipant",
           "LocalTermination", "threepc_scenario", "threepc_model", "three_atomicity", "three_decides",
           "BACKUP", "final_phases", "three_atomic", "skeen_partition", "transfer_scenario", "AcidClient",
           "AcidShard", "BaseClient", "BaseShard", "transfer_history", "money_over_time", "violation_window",
           "transfer_stats", "conserved", "SHARDS", "acid_vs_base", "Prepare", "Vote", "Decision",
           "Coordinator", "Participant", "MajorityCoordinator", "ForgetfulParticipant", "twopc_scenario",
           "twopc_model", "atomicity", "all_decided", "commit_reachable", "no_deadlock", "WORKING",
           "PREPARED", "COMMITTED", "ABORTED", "COORDINATOR", "TxnPrepare", "TxnVote", "TxnDecision", "Ask",
           "LocalTxn", "LoggingCoordinator", "LockingParticipant", "ForgetfulCoordinator", "CRASH_POINTS",
           "twopc_sim_scenario", "run_with_crash_points", "atomic", "outcomes", "lock_hold_times",
           "local_waits", "crash_point_table", "blocking_sweep", "twopc_sim_model", "sim_atomicity",
           "sim_all_decided"]
