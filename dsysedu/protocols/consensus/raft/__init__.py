"""Raft (Ongaro & Ousterhout 2014): the node as Figure 2 states it and its broken variants, membership
change, the lesson scenarios, the chapter's experiments, the safety properties as trace checkers and
the model the model checker explores.
"""
from .experiments import (AdaptiveRaft, availability, cost_experiment, leader_crash_run, paxos_decision_cost,
                          POLICIES, predict_leader_failures, prediction_experiment, prediction_summary,
                          raft_commit_cost, score_predictions, timeout_experiment, timeout_summary)
from .membership import (config_safety, ConfigEntry, membership_scenario, MembershipRequest, RaftMembership,
                         RaftMembershipTwoAtOnce, two_at_once_scenario)
from .model import (election_safety_invariant, leader_elected, raft_election_model)
from .node import (AppendEntries, AppendEntriesReply, apply_op, CANDIDATE, ClientReply, ClientRequest,
                   Command, FOLLOWER, LEADER, NOOP, PRECANDIDATE, PreVote, PreVoteReply, Raft,
                   RaftCommitOldTerm, RaftForgetsVote, RaftNoUpToDateCheck, RequestVote, RequestVoteReply)
from .properties import (client_liveness, election_safety, leader_completeness, leaders, log_matching,
                         raft_safety, state_machine_safety)
from .scenarios import (chaos_scenario, figure8_scenario, forgotten_vote_scenario, leader_crash_scenario,
                        partitioned_leader_scenario, QUIET, rejoin_scenario, split_vote_scenario,
                        stale_leader_scenario)
__all__ = ["AdaptiveRaft", "POLICIES", "leader_crash_run", "availability", "timeout_experiment",
           "timeout_summary", "predict_leader_failures", "score_predictions", "prediction_experiment",
           "prediction_summary", "raft_commit_cost", "paxos_decision_cost", "cost_experiment",
           "MembershipRequest", "ConfigEntry", "RaftMembership", "RaftMembershipTwoAtOnce", "config_safety",
           "membership_scenario", "two_at_once_scenario", "raft_election_model", "election_safety_invariant",
           "leader_elected", "RequestVote", "RequestVoteReply", "PreVote", "PreVoteReply", "AppendEntries",
           "AppendEntriesReply", "ClientRequest", "ClientReply", "Command", "NOOP", "Raft",
           "RaftNoUpToDateCheck", "RaftCommitOldTerm", "RaftForgetsVote", "apply_op", "FOLLOWER", "CANDIDATE",
           "PRECANDIDATE", "LEADER", "election_safety", "log_matching", "leader_completeness",
           "state_machine_safety", "raft_safety", "client_liveness", "leaders", "QUIET", "figure8_scenario",
           "stale_leader_scenario", "forgotten_vote_scenario", "rejoin_scenario", "chaos_scenario",
           "split_vote_scenario", "leader_crash_scenario", "partitioned_leader_scenario"]
