"""Replication: a replicated register and the CAP experiment, N/R/W quorums, state machine
replication, and CRDTs (the data types, and their replicas on the simulator).
"""
from .cap import (answered_by_side, cap_measures, cap_scenario, CapMeasures, check_history, client_homes,
                  default_partition, final_values, KEYS, lost_write_ops, MERGES, MODES, partition_groups,
                  replica_ids, stale_read_ops)
from .crdt import (dominates, ELEMENTS, empty, GCounter, KINDS, law_counterexample, LWWRegister, MVRegister,
                   ORSet, PNCounter, random_update, sample_states, SumCounter)
from .crdt_sim import (convergence, crdt_scenario, crdt_states, CrdtReplica, StateMessage)
from .quorum import (check_quorum, consistency_probability, fresh_share, quorum_scenario, QuorumClient,
                     QuorumReplica, Read, read_results, ReadReply, Repair, sample_delays, staleness_sweep,
                     strict_quorum, WARS, Write, WriteAck)
from .latency import cp_ap_latency, operation_latency, quorum_latency
from .register import (AbdReplica, ClientReply, ClientRequest, covers, LWW_ZERO, LwwReplica, Query,
                       QueryReply, Replicate, SHOWN_KEY, SiblingReplica, Store, StoreAck, Sync, writer_label,
                       ZERO_TAG)
from .register_workload import (Client)
from .smr import (applied_logs, apply_log, BANK, check_induction, divergences, KV, log_agreement, MACHINES,
                  order_experiment, RAFT_KV, raft_runs, random_commands, state_agreement, state_hash,
                  StateMachine, trajectory)
__all__ = ["MODES", "MERGES", "KEYS", "cap_scenario", "default_partition", "client_homes", "CapMeasures",
           "cap_measures", "check_history", "final_values", "replica_ids", "partition_groups",
           "answered_by_side", "stale_read_ops", "lost_write_ops", "GCounter", "PNCounter", "LWWRegister",
           "MVRegister", "ORSet", "SumCounter", "KINDS", "ELEMENTS", "empty", "random_update",
           "sample_states", "law_counterexample", "dominates", "StateMessage", "CrdtReplica", "crdt_scenario",
           "crdt_states", "convergence", "check_quorum", "strict_quorum", "sample_delays", "WARS",
           "consistency_probability", "staleness_sweep", "Write", "WriteAck", "Read", "ReadReply", "Repair",
           "QuorumReplica", "QuorumClient", "quorum_scenario", "read_results", "fresh_share", "ClientRequest",
           "ClientReply", "Query", "QueryReply", "Store", "StoreAck", "Replicate", "Sync", "AbdReplica", "LwwReplica",
           "SiblingReplica", "ZERO_TAG", "LWW_ZERO", "SHOWN_KEY", "covers", "writer_label", "Client",
           "StateMachine", "KV", "BANK", "RAFT_KV", "MACHINES", "apply_log", "trajectory", "state_hash",
           "random_commands", "order_experiment", "divergences", "applied_logs", "log_agreement",
           "state_agreement", "check_induction", "raft_runs", "quorum_latency", "operation_latency", "cp_ap_latency"]
