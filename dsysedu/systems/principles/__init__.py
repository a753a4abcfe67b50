"""Principles of mature design (chapter 7): each principle as something that runs and is measured.

=================  ==========================================================================
``availability``   series, parallel and k-of-n availability, checked by an MTBF/MTTR simulation
``cost``           replicas, consistency level, nines and monthly cost; the cost explorer's run
=================  ==========================================================================
"""
from .availability import (availability, Component, component_from_nines, components,
                           downtime_minutes_per_year, KOfN, nines, Parallel, Series, simulate,
                           SimulatedAvailability)
from .cost import (CONSISTENCY, cost_table, HOURS_PER_MONTH, needed, PricedReplica, replica_set,
                   replica_set_measures, replica_set_scenario)

__all__ = [
    "Component", "Series", "Parallel", "KOfN", "availability", "components", "simulate", "SimulatedAvailability",
    "nines", "downtime_minutes_per_year", "component_from_nines",
    "CONSISTENCY", "needed", "replica_set", "cost_table", "PricedReplica", "replica_set_scenario",
    "replica_set_measures", "HOURS_PER_MONTH",
]
