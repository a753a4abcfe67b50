"""Membership: failure detectors (heartbeat, phi accrual, SWIM), gossip dissemination and
gossip aggregation (push-sum).
"""
from .aggregation import (conservation, estimates_at, LeakyPushSum, mass_history, push_sum_rounds,
                          push_sum_scenario, PushSum, PushSumRun, rounds_to_error, Share)
from .failure_detectors import (accuracy, Ack, ALIVE, completeness, detector_quality, FAULTY, Heartbeat,
                                HeartbeatDetector, phi, PhiAccrualDetector, Ping, PingReq, SUSPECT,
                                SwimDetector, tradeoff)
from .gossip import (AlreadyInformed, Gossip, gossip_scenario, INFECTIVE, mean_field_curve, MODES,
                     pittel_rounds, PullReply, PullRequest, Push, REMOVED, rounds_to_full_spread,
                     run_to_full_spread, simulate_rounds, spread_stats, SpreadStats, STOPS, SUSCEPTIBLE,
                     theory_curve)
__all__ = ["Share", "PushSum", "LeakyPushSum", "push_sum_scenario", "mass_history", "conservation",
           "estimates_at", "PushSumRun", "push_sum_rounds", "rounds_to_error", "Heartbeat",
           "HeartbeatDetector", "PhiAccrualDetector", "phi", "Ping", "PingReq", "Ack", "ALIVE", "SUSPECT",
           "FAULTY", "SwimDetector", "detector_quality", "completeness", "accuracy", "tradeoff", "Push",
           "PullRequest", "PullReply", "AlreadyInformed", "Gossip", "MODES", "STOPS", "SUSCEPTIBLE",
           "INFECTIVE", "REMOVED", "gossip_scenario", "run_to_full_spread", "SpreadStats", "spread_stats",
           "simulate_rounds", "rounds_to_full_spread", "pittel_rounds", "mean_field_curve", "theory_curve"]
# the lessons' experiments (chapters 2.1 and 3.4)
from .experiments import heartbeat_metrics, heartbeat_scenario, phi_over_time, suspicion_reading, tradeoff_points
__all__ += ["heartbeat_scenario", "suspicion_reading", "phi_over_time", "tradeoff_points", "heartbeat_metrics"]
