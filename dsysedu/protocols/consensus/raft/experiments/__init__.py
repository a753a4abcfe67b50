"""Chapter 3.1's Raft experiments: §3.1.3 (learning in consensus) and Paxos against Raft.

Six experiments, each a function that runs seeded simulations and returns a tidy
:class:`pandas.DataFrame` (one row per run), so that a notebook, a test and a benchmark
read the same numbers:

:func:`timeout_experiment`
    A fixed election timeout against :class:`AdaptiveRaft`, which learns its timeout from
    the heartbeat gaps it sees, over networks from fast to slow, with one leader crash in
    each run: how many elections, how long without a leader, how long until a client's
    command is acknowledged after the crash.
:func:`prediction_experiment`
    Predict "the leader has failed" from heartbeat gaps alone (:func:`predict_leader_failures`),
    and score the predictions against the crashes that really happened: precision, recall,
    detection delay, per threshold.
:func:`election_times`, :func:`heartbeat_sweep`
    How long the election after a leader crash takes, set beside the election timer's range,
    and what a shorter or longer heartbeat interval costs (messages) and buys (no elections
    while the leader lives).
:func:`handover_experiment`
    A leader in a gray failure (slower and slower, then dead): detect the failure after the crash
    (plain Raft) against predict it from the leader's own round trips and hand leadership over
    before the crash (:class:`~dsysedu.protocols.consensus.raft.transfer.RaftTransfer`), measured
    as the longest time a steady client waits between two acknowledged commands.
:func:`cost_experiment`
    Messages and latency per decision: single-decree Paxos (one proposer, or two with
    backoff) against Multi-Paxos and Raft committing client commands under a stable leader.
:func:`chaos_experiment`
    Jepsen-style random faults, one run per seed, with the safety and liveness verdicts.
:func:`kv_verdicts`, :func:`stale_read_table`, :func:`compaction_sweep`, :func:`pipeline_costs`
    Chapter 3.1b: the key-value store judged like etcd, stale reads, compaction, pipelining.

Every run is seeded; the same arguments give the same frame. One module per experiment:
:mod:`.timeouts`, :mod:`.election`, :mod:`.prediction`, :mod:`.handover`, :mod:`.costs`, :mod:`.chaos`.
The timeout and chaos sweeps go through :func:`dsysedu.sweep`, so they take an ``executor`` (a process pool,
a Dask client) and give the same frame on it. The scripted scenarios the chapter narrates are in
:mod:`dsysedu.protocols.consensus.raft.scenarios`.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, §5.6 (timing: broadcastTime << electionTimeout << MTBF) and §9.3.
.. [2] V. Paxson, M. Allman, J. Chu, M. Sargent, "Computing TCP's Retransmission Timer",
   RFC 6298, 2011 (the smoothed mean and mean deviation used by :class:`AdaptiveRaft`).
.. [3] N. Hayashibara et al., "The phi accrual failure detector", SRDS 2004 (suspicion from
   heartbeat inter-arrival times).
"""
from .timeouts import AdaptiveRaft, availability, leader_crash_run, POLICIES, timeout_experiment, timeout_summary
from .election import election_time, election_times, heartbeat_sweep
from .handover import client_gaps, gray_failure_run, handover_experiment, RAMP
from .prediction import predict_leader_failures, prediction_experiment, prediction_summary, score_predictions
from .costs import cost_experiment, multipaxos_decision_cost, paxos_decision_cost, raft_commit_cost
from .chaos import chaos_experiment, chaos_verdicts
from .practice import (compaction_sweep, held_entries, kv_verdicts, pipeline_costs, stale_read_example,
                       stale_read_table)
__all__ = ["AdaptiveRaft", "POLICIES", "leader_crash_run", "availability", "timeout_experiment", "timeout_summary",
           "election_time", "election_times", "heartbeat_sweep", "RAMP", "gray_failure_run", "client_gaps",
           "handover_experiment", "predict_leader_failures",
           "score_predictions", "prediction_experiment", "prediction_summary",
           "paxos_decision_cost", "raft_commit_cost", "multipaxos_decision_cost", "cost_experiment", "chaos_verdicts", "chaos_experiment",
           "kv_verdicts", "stale_read_table", "stale_read_example", "compaction_sweep", "pipeline_costs", "held_entries"]
