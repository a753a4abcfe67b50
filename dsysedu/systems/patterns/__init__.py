"""Patterns: event sourcing and CQRS (an append-only log, snapshots, a read model fed from the log).
"""
from .event_sourcing import (Accepted, Answer, apply, applied_in_order, ArrivalOrderReadModel, CLIENT, Client,
                             decide, Deposit, Deposited, event_sourcing_model, event_sourcing_scenario, EventStore, lag_sweep,
                             run_with_nodes,
                             log_durable, Published, Query, READER, read_model_consistent, read_model_lag,
                             read_model_matches_log, read_your_writes, ReadModel, rebuild, rebuild_from, Rejected,
                             Rename, Renamed, state_at, STORE, VolatileEventStore, Withdraw, Withdrawn)
__all__ = ["Deposit", "Withdraw", "Rename", "Deposited", "Withdrawn", "Renamed", "Accepted", "Rejected",
           "Published", "Query", "Answer", "apply", "rebuild", "rebuild_from", "state_at", "decide",
           "EventStore", "VolatileEventStore", "ReadModel", "ArrivalOrderReadModel", "Client",
           "event_sourcing_scenario", "event_sourcing_model", "applied_in_order", "read_model_matches_log",
           "read_your_writes", "read_model_lag", "lag_sweep", "run_with_nodes", "log_durable", "read_model_consistent", "STORE", "READER",
           "CLIENT"]
