"""Basics: the first protocols a learner reads (flooding, ping/echo, request/reply over an unreliable
link) and the timing models of chapter 2.1.4 (synchronous, asynchronous, partially synchronous).
"""
from .request_reply import (Client, link_metrics, outcomes, Reply, Request, request_reply_scenario,
                            RequestReply, Server, sweep, unknown_applied_theory, unknown_fraction,
                            unknown_theory)
from .timing import (AdaptiveHeartbeatDetector, AfterGST, gst_sweep, mistakes_after, model_table, MODELS,
                     timing_link, timing_scenario)
from .toys import (Flood, Ping, PingEcho, Pong, Rumor)
__all__ = ["Request", "Reply", "Client", "Server", "RequestReply", "request_reply_scenario", "outcomes",
           "unknown_fraction", "sweep", "unknown_theory", "unknown_applied_theory", "link_metrics", "MODELS",
           "AfterGST", "timing_link", "timing_scenario", "AdaptiveHeartbeatDetector", "mistakes_after",
           "gst_sweep", "model_table", "Rumor", "Flood", "Ping", "Pong", "PingEcho"]
