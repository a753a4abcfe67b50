"""Raft (Ongaro & Ousterhout 2014) as a package: the messages, the node as Figure 2 states it, the
key-value state machine with its session table, the client side of a server, the broken variants,
membership change (with a catch-up phase for new servers), leadership transfer, log compaction with snapshots, pipelined replication, three read paths (log, ReadIndex, lease), the
key-value store's clients judged as Jepsen judges etcd, the lesson scenarios, the chapter's experiments, the safety properties as trace
checkers and the models the model checker explores (elections; logs with snapshots).
"""
from .messages import (AppendEntries, AppendEntriesReply, CANDIDATE, ClientReply, ClientRequest, Command, FOLLOWER,
                       LEADER, NOOP, OPS, PRECANDIDATE, PreVote, PreVoteReply, RequestVote, RequestVoteReply)
from .node import Raft
from .state_machine import apply_op, KeyValueStore
from .clients import ClientRequests
from .variants import RaftCommitOldTerm, RaftForgetsVote, RaftNoUpToDateCheck
from .membership import (config_safety, ConfigEntry, membership_scenario, MembershipRequest, RaftMembership,
                         RaftMembershipTwoAtOnce, two_at_once_scenario)
from .scenarios import (chaos_scenario, figure8_scenario, forgotten_vote_scenario, leader_crash_scenario,
                        partitioned_leader_scenario, QUIET, rejoin_scenario, split_vote_scenario,
                        stale_leader_scenario)
from .transfer import RaftTransfer, TimeoutNow
from .pipeline import PipelinedRaft
from .snapshots import (CompactingRaft, InstallSnapshot, InstallSnapshotReply, RaftSnapshotsUncommitted,
                        snapshot_agreement, snapshot_scenario, state_digest, transfer_chunks)
from .catchup import catch_up_scenario, commit_gap, RaftCatchUp
from .reads import READ_PATHS, ReadPing, ReadPingAck, ReadRaft, trusted_drift
from .jepsen import (check_kv_run, figure8_kv, forgotten_vote_kv, KV_MODEL, kv_history, kv_run, kv_scenario, KvClient,
                     read_path_costs, stale_read_run, stale_read_scenario, with_kv_clients)
from .experiments import (AdaptiveRaft, availability, client_gaps, cost_experiment, election_time, election_times,
                          gray_failure_run, handover_experiment, heartbeat_sweep, leader_crash_run,
                          multipaxos_decision_cost, paxos_decision_cost, RAMP,
                          POLICIES, predict_leader_failures, prediction_experiment, prediction_summary,
                          raft_commit_cost, score_predictions, timeout_experiment, timeout_summary)
from .properties import (client_liveness, election_safety, leader_completeness, leaders, log_matching, raft_safety,
                         state_machine_safety)
from .model import election_safety_invariant, leader_elected, raft_election_model, stale_reply
from .log_model import (committed_everywhere, leader_completeness_invariant, log_matching_invariant,
                        log_safety_invariant, raft_log_model, snapshot_committed_invariant, snapshot_installed,
                        stale_log_message, state_machine_safety_invariant)
__all__ = ["FOLLOWER", "CANDIDATE", "PRECANDIDATE", "LEADER", "NOOP", "OPS", "RequestVote", "RequestVoteReply",
           "PreVote", "PreVoteReply", "AppendEntries", "AppendEntriesReply", "Command", "ClientRequest",
           "ClientReply", "Raft", "apply_op", "KeyValueStore", "ClientRequests", "RaftNoUpToDateCheck",
           "RaftCommitOldTerm", "RaftForgetsVote", "MembershipRequest", "ConfigEntry", "RaftMembership",
           "RaftMembershipTwoAtOnce", "config_safety", "membership_scenario", "two_at_once_scenario", "QUIET",
           "figure8_scenario", "stale_leader_scenario", "forgotten_vote_scenario", "rejoin_scenario",
           "chaos_scenario", "split_vote_scenario", "leader_crash_scenario", "partitioned_leader_scenario",
           "AdaptiveRaft", "POLICIES", "leader_crash_run", "availability", "timeout_experiment", "timeout_summary",
           "election_time", "election_times", "heartbeat_sweep", "RAMP", "gray_failure_run", "client_gaps",
           "handover_experiment", "RaftTransfer", "TimeoutNow", "predict_leader_failures",
           "score_predictions", "prediction_experiment", "prediction_summary",
           "paxos_decision_cost", "raft_commit_cost", "multipaxos_decision_cost", "cost_experiment", "election_safety", "log_matching",
           "leader_completeness", "state_machine_safety", "raft_safety", "client_liveness", "leaders",
           "raft_election_model", "election_safety_invariant", "leader_elected", "stale_reply", "PipelinedRaft",
           "READ_PATHS", "ReadPing", "ReadPingAck", "ReadRaft", "trusted_drift", "KvClient", "kv_scenario", "kv_run", "kv_history",
           "check_kv_run", "KV_MODEL", "with_kv_clients", "forgotten_vote_kv", "figure8_kv", "stale_read_scenario", "stale_read_run",
           "read_path_costs", "RaftCatchUp", "catch_up_scenario", "commit_gap", "CompactingRaft",
           "InstallSnapshot", "InstallSnapshotReply", "RaftSnapshotsUncommitted", "snapshot_agreement", "state_digest",
           "snapshot_scenario", "transfer_chunks", "raft_log_model", "stale_log_message", "state_machine_safety_invariant",
           "log_matching_invariant", "leader_completeness_invariant", "snapshot_committed_invariant",
           "log_safety_invariant", "committed_everywhere", "snapshot_installed"]
