"""Consensus: the properties every consensus protocol must keep (agreement, validity, termination),
single-decree Paxos, the FLP adversary and Ben-Or's coin; Raft is the subpackage :mod:`.raft`.
"""
from .flp import (HastyConsensus, Propose, Report, RoundConsensus, rounds_table, run_scheduled, ScheduledRun,
                  SCHEDULERS)
from .paxos import (Accept, Accepted, chaos_scenario, Decided, dueling_scenario, late_proposer_scenario, Nack,
                    Paxos, PaxosIgnoresAccepted, Prepare, Promise, Query)
from .properties import (agreement, Decision, decisions, termination, validity)
from . import raft
__all__ = ["Report", "Propose", "RoundConsensus", "HastyConsensus", "SCHEDULERS", "ScheduledRun",
           "run_scheduled", "rounds_table", "Prepare", "Promise", "Accept", "Accepted", "Nack", "Decided",
           "Query", "Paxos", "PaxosIgnoresAccepted", "dueling_scenario", "late_proposer_scenario",
           "chaos_scenario", "Decision", "decisions", "agreement", "validity", "termination", "raft"]
