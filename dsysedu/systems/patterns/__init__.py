"""Patterns: a caching proxy and an adapter in front of a slow legacy service; sidecar and ambassador
(timeouts, retries and discovery beside unchanged application code); event sourcing and CQRS (an
append-only log, snapshots, a read model fed from the log).
"""
from .proxy import (ADAPTER, Adapter, CachingProxy, Get, LEGACY, LegacyLookup, LegacyRecord, LegacyService, PROXY,
                    proxy_scenario, proxy_summary, proxy_sweep, Reader, READER_ID, record_version, Value)
from .sidecar import (Alive, Ambassador, APP, AppService, DEPLOYMENTS, Instances, Inventory, LOCAL, mesh_scenario,
                      mesh_sweep, Registry, REGISTRY, Request, Resolve, Response, Sidecar, success_rate)
from .event_sourcing import (Accepted, Answer, apply, applied_in_order, ArrivalOrderReadModel, CLIENT, Client,
                             decide, Deposit, Deposited, event_sourcing_model, event_sourcing_scenario, EventStore, lag_sweep,
                             run_with_nodes,
                             log_durable, Published, Query, READER, read_model_consistent, read_model_lag,
                             read_model_matches_log, read_your_writes, ReadModel, rebuild, rebuild_from, Rejected,
                             Rename, Renamed, state_at, STORE, VolatileEventStore, Withdraw, Withdrawn)
__all__ = ["Get", "Value", "LegacyLookup", "LegacyRecord", "LegacyService", "Adapter", "CachingProxy", "Reader",
           "proxy_scenario", "proxy_summary", "proxy_sweep", "record_version", "READER_ID", "PROXY", "ADAPTER",
           "LEGACY",
           "Request", "Response", "Alive", "Resolve", "Instances", "AppService", "Inventory", "Sidecar", "Ambassador",
           "Registry", "mesh_scenario", "success_rate", "mesh_sweep", "DEPLOYMENTS", "APP", "LOCAL", "REGISTRY",
           "Deposit", "Withdraw", "Rename", "Deposited", "Withdrawn", "Renamed", "Accepted", "Rejected",
           "Published", "Query", "Answer", "apply", "rebuild", "rebuild_from", "state_at", "decide",
           "EventStore", "VolatileEventStore", "ReadModel", "ArrivalOrderReadModel", "Client",
           "event_sourcing_scenario", "event_sourcing_model", "applied_in_order", "read_model_matches_log",
           "read_your_writes", "read_model_lag", "lag_sweep", "run_with_nodes", "log_durable", "read_model_consistent", "STORE", "READER",
           "CLIENT"]
