"""The cost explorer: replicas, consistency level, availability nines and what they cost.

:data:`COST_EXPLORER` declares it: :func:`~dsysedu.systems.principles.cost.replica_set_scenario`
(replicas that crash and are repaired with exponential times, hours as the time unit) built from
the replica count, the consistency level (ONE, QUORUM, ALL: how many replicas must be up to
answer), each replica's availability in nines, its monthly cost and the seed. The picture is the
replica set at the scrubbed hour (a crossed-out replica is down); the table holds the formula's
availability beside the simulated share of time with a 95 % interval, the nines, the downtime per
year and the monthly bill; the badge says whether the formula lies inside the interval.
"""
from __future__ import annotations

from dsysedu.check import Verdict
from dsysedu.systems.principles.cost import CONSISTENCY, replica_set_measures, replica_set_scenario
from .spec import Choice, PlaygroundSpec, Seed, Slider

__all__ = ["COST_EXPLORER", "cost_rows", "cost_verdict"]


def cost_rows(m: dict) -> dict:
    """The table's rows for :func:`~dsysedu.systems.principles.cost.replica_set_measures`."""
    return {"replicas needed": m["needed"], "availability (formula)": f"{m['formula']:.6f}",
            "simulated": f"{m['simulated']:.6f}", "95% interval": f"{m['ci_low']:.6f} - {m['ci_high']:.6f}",
            "nines": round(m["nines"], 2), "downtime (min/year)": round(m["downtime_min_per_year"], 1),
            "monthly cost": round(m["monthly_cost"], 2)}


def cost_verdict(trace) -> Verdict:
    """Whether the k-of-n formula lies inside the simulation's 95 % interval."""
    m = replica_set_measures(trace)
    ok = m["ci_low"] <= m["formula"] <= m["ci_high"]
    return Verdict(ok, "formula inside the 95 % interval",
                   f"{m['formula']:.6f} {'in' if ok else 'outside'} [{m['ci_low']:.6f}, {m['ci_high']:.6f}]")


COST_EXPLORER = PlaygroundSpec(
    replica_set_scenario,
    controls=[Slider("replicas", 1, 9, 1),
              Choice("consistency", CONSISTENCY, buttons=True, width="80px",
                     tooltips=("one replica up is enough", "a majority must be up", "every replica must be up")),
              Slider("replica_nines", 1.0, 4.0, 0.5, fmt=".1f", label="nines per replica"),
              Slider("cost_per_replica", 10.0, 1000.0, 10.0, fmt=".0f", label="cost per replica / month"),
              Seed()],
    views=("topology",),
    measures=replica_set_measures, table=cost_rows, verdict=cost_verdict,
    view_options={"views": ("topology",), "size": (5.0, 3.4)},
    defaults={"seed": 7}, frames=100, css="dsysedu-cost")
