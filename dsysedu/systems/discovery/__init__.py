"""Discovery and balancing: how a client finds a live instance, and which one it calls.

=================  ==========================================================================
``registry``       a registry kept by registrations, heartbeats and TTLs; clients that poll or watch
``balancing``      policies (round robin, random, least connections, p2c, peak EWMA) on the
                   client side, in a proxy, or in a dedicated tier; hedged requests
``bins``           balls into bins: the maximum load of one random choice against two
``lab``            the traffic lab's scenario and measures (the dashboard ``traffic_lab``)
=================  ==========================================================================
"""
from .balancing import (LAYOUTS, POLICIES, Balancer, Proxy, backend_names, balancing_scenario, choose, hedging_table,
                        policy_table)
from .lab import (LAB_SERVICE, LAB_TIMEOUT, RETRY_POLICIES, timeout_table, traffic_lab_measures,
                  traffic_lab_scenario, traffic_lab_table)
from .bins import balls_into_bins_table, d_choice_bound, max_load, one_choice_bound
from .registry import (DiscoveryClient, Heartbeat, Instance, Instances, Lookup, Register, Registry, REGISTRY,
                       registry_scenario, stale_window, stale_window_table)

__all__ = ["POLICIES", "LAYOUTS", "choose", "Balancer", "Proxy", "balancing_scenario", "backend_names",
           "policy_table", "hedging_table", "max_load", "one_choice_bound", "d_choice_bound", "balls_into_bins_table",
           "Register", "Heartbeat", "Lookup", "Instances", "Registry", "Instance", "DiscoveryClient",
           "registry_scenario", "stale_window", "stale_window_table", "REGISTRY", "RETRY_POLICIES",
           "traffic_lab_scenario", "traffic_lab_measures", "traffic_lab_table", "LAB_SERVICE", "LAB_TIMEOUT",
           "timeout_table"]
