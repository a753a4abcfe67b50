"""Consensus: the properties every consensus protocol must keep (agreement, validity, termination),
single-decree Paxos, Multi-Paxos, the FLP adversary and Ben-Or's coin; Raft is the subpackage :mod:`.raft`.
"""
from .flp import (HastyConsensus, Propose, Report, RoundConsensus, rounds_table, run_scheduled, ScheduledRun,
                  SCHEDULERS)
from .paxos import (Accept, Accepted, chaos_scenario, Decided, dueling_scenario, late_proposer_scenario, Nack,
                    Paxos, PaxosIgnoresAccepted, Prepare, Promise, Query)
from .properties import (agreement, Decision, decisions, termination, validity)
from .multipaxos import (CatchUp, Chosen, executed_once, gap_scenario, Heartbeat, MPAccept, MPAccepted, MPNack,
                         MPPrepare, MPPromise, multipaxos_calm_scenario, multipaxos_chaos_scenario, MultiPaxos,
                         MultiPaxosForgetsAccepted, NOOP, slot_agreement, Submit)
from . import raft
__all__ = ["Report", "Propose", "RoundConsensus", "HastyConsensus", "SCHEDULERS", "ScheduledRun",
           "run_scheduled", "rounds_table", "Prepare", "Promise", "Accept", "Accepted", "Nack", "Decided",
           "Query", "Paxos", "PaxosIgnoresAccepted", "dueling_scenario", "late_proposer_scenario",
           "chaos_scenario", "Decision", "decisions", "agreement", "validity", "termination", "raft",
           "Submit", "MPPrepare", "MPPromise", "MPAccept", "MPAccepted", "MPNack", "Chosen", "Heartbeat", "CatchUp",
           "NOOP", "MultiPaxos", "MultiPaxosForgetsAccepted", "slot_agreement", "executed_once",
           "multipaxos_chaos_scenario", "multipaxos_calm_scenario", "gap_scenario"]
