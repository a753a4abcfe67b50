"""The traffic lab: balancers, retries, breakers and load shedding against one slow backend.

:data:`TRAFFIC_LAB` declares it: :func:`~dsysedu.systems.discovery.lab.traffic_lab_scenario` (4
clients balancing 6 simulated seconds of Poisson requests over the backends, the first of them
slow) built from the arrival rate, the number of backends, how slow the slow one is, the
balancing policy, the retry policy, and the breaker and load shedding on or off. Every change
re-runs; the time slider only moves the "now" lines. The picture is a
:class:`~dsysedu.viz.traffic.TrafficPanel` (queue lengths, goodput and load, latency
percentiles); the table holds :func:`~dsysedu.systems.discovery.lab.traffic_lab_table`.
:func:`traffic_lab_rerun_ms` times one control change in a warm process.
"""
from __future__ import annotations

from dsysedu.systems.discovery.lab import RETRY_POLICIES, traffic_lab_measures, traffic_lab_scenario, traffic_lab_table
from .playground import Playground, median_ms
from .spec import Choice, PlaygroundSpec, Seed, Slider, Toggle

__all__ = ["TRAFFIC_LAB", "TrafficLab", "traffic_lab_rerun_ms"]

TRAFFIC_LAB = PlaygroundSpec(
    traffic_lab_scenario,
    controls=[Slider("rate", 50, 400, 10, label="arrivals per s", group="load", width="290px"),
              Slider("backends", 2, 10, 1, group="load", width="250px"),
              Slider("slow_factor", 1, 50, 1, label="slow one ×", group="load", width="250px"),
              Seed(group="load"),
              Choice("policy", {"round robin": "round_robin", "random": "random",
                                "least connections": "least_connections", "power of two": "p2c",
                                "peak EWMA": "peak_ewma"}, group="policies", width="250px"),
              Choice("retry", list(RETRY_POLICIES), group="policies", width="210px"),
              Toggle("breaker", label="breaker per backend", group="policies"),
              Toggle("shedding", label="load shedding", group="policies")],
    views=("traffic",),
    measures=traffic_lab_measures, table=traffic_lab_table, view_options={"size": (10.8, 3.3)},
    defaults={"seed": 7}, frames=80, css="dsysedu-traffic")


class TrafficLab(Playground):
    """The :data:`TRAFFIC_LAB` playground.

    Parameters
    ----------
    **values
        Starting values of :func:`~dsysedu.systems.discovery.lab.traffic_lab_scenario`'s
        parameters and ``seed`` (default 7).

    Examples
    --------
    >>> lab = TrafficLab(policy="peak_ewma")
    >>> lab.measures["timeout"] < 20
    True
    """

    def __init__(self, **values):
        super().__init__(TRAFFIC_LAB, **values)


def traffic_lab_rerun_ms(repeats: int = 9) -> float:
    """Median wall milliseconds of one control change (re-run, measures, redraw, PNG) in a warm
    playground: the breaker toggled on and off in turn."""
    pg = TrafficLab()
    pg.controls["breaker"].value = True          # warm: both settings seen once
    pg.controls["breaker"].value = False
    return median_ms(lambda i: setattr(pg.controls["breaker"], "value", not pg.controls["breaker"].value), repeats)
