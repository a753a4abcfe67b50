"""The chaos lab: pick a service, a fault and a window; Chaos Toolkit runs the experiment; read the verdict.

:data:`CHAOS_LAB` declares it. Its builder, :func:`chaos_lab_scenario`, is the traced service
system with the fault you picked scheduled on one service (the blast radius) from ``fault_at``
for ``fault_for`` seconds. Its run, :func:`run_chaos_lab`, does not simply run that scenario: it
turns the fault into a Chaos Toolkit experiment
(:func:`~dsysedu.ops.chaos_experiments.fault_experiment`: the hypothesis "users' errors at most
1 %, p99 at most 250 ms" over the fault and the 2 s after it, the method that injects the fault
for its duration and lets that window pass, the rollbacks that end anything left and let the
system recover) and has ``chaoslib`` run it against a :class:`~dsysedu.ops.chaos.ChaosLab` of
the same system and seed. The trace carries the journal (``trace.meta["chaos"]``), which the view
(:class:`~dsysedu.viz.chaos.ChaosPanel`), the table and the verdict read. The alerts are the
rules of :mod:`dsysedu.ops.alerting` on the users' requests (a static threshold on the error ratio,
an EWMA baseline of the p99: :func:`~dsysedu.ops.chaos_experiments.lab_alerts`).

:class:`ChaosLabPlayground` lays it out for a laptop screen: the controls, the table and the
verdict in a column beside the picture. :func:`chaos_lab_run_s` times one experiment, warm.
"""
from __future__ import annotations

import html
import statistics
import time

import ipywidgets as W

from dsysedu.check import Verdict
from dsysedu.ops.chaos import DESIRED, FAULTS, MACHINES, TARGETS, callers_of, fault_objects, user_series
from dsysedu.ops.healing import CONTROLLER, healing_scenario
from dsysedu.ops.chaos_experiments import (LATENCY_TOLERANCE, RECOVERY, SETTLE, fault_experiment, healing_actions,
                                           lab_alerts, run_fault)
from dsysedu.ops.chaos_journal import read_journal
from dsysedu.ops.services import service_scenario
from dsysedu.sim.faults import Crash, CutLink, Pause, Slow
from dsysedu.sim.validate import number
from dsysedu.viz import style
from .playground import Playground
from .spec import Choice, PlaygroundSpec, Seed, Slider, Toggle

__all__ = ["CHAOS_LAB", "ChaosLabPlayground", "chaos_lab_scenario", "run_chaos_lab", "chaos_lab_measures",
           "chaos_lab_verdict", "chaos_lab_run_s", "SERVICE_CHOICES"]

HORIZON = 45.0


def chaos_lab_scenario(service: str = "orders", fault: str = "crash", fault_at: float = 10.0, fault_for: float = 2.0,
                       delay: float = 0.01, loop: bool = True, rate: float = 20.0):
    """The service system with ``fault`` on ``service`` from ``fault_at`` for ``fault_for`` s.

    ``service="w0"`` (a machine, :data:`~dsysedu.ops.chaos.MACHINES`) is the replicated service
    of 9.3 instead, with its reconciliation loop when ``loop``.

    Raises ValueError for a service outside :data:`~dsysedu.ops.chaos.TARGETS`, a fault outside
    :data:`~dsysedu.ops.chaos.FAULTS`, a ``fault_at`` shorter than the hypothesis window
    (``fault_for + SETTLE``: the steady window before the fault) or a run past the lab's horizon.
    """
    fault_experiment(service, fault, fault_at, fault_for, delay)      # its checks, with its messages
    if fault_at + fault_for + SETTLE + RECOVERY > HORIZON:
        raise ValueError(f"fault_at + fault_for must be at most {HORIZON - SETTLE - RECOVERY:g} s, got "
                         f"{fault_at:g} + {fault_for:g}")
    if not isinstance(loop, bool):
        raise TypeError(f"loop must be True or False, got {loop!r}")
    system = healing_scenario(workers=len(MACHINES), desired=DESIRED, loop=loop, duration=HORIZON, rate=rate) \
        if service in MACHINES else service_scenario(rate=rate, duration=HORIZON)
    faults = fault_objects(service, fault, number("delay", delay, low=0.0, low_open=True), fault_at,
                           fault_at + fault_for, callers_of(system, service))
    return system.replace(faults=tuple(faults))


def _fault_of(scenario) -> tuple:
    """(service, fault, at, until, delay) of the one fault a chaos-lab scenario schedules."""
    first = scenario.faults[0]
    if isinstance(first, CutLink):
        return first.dst, "cut", first.at, first.until, 0.01
    kind = {Slow: "slow", Pause: "pause", Crash: "crash"}[type(first)]
    return first.node, kind, first.at, first.until, getattr(first, "delay", 0.01)


def run_chaos_lab(scenario, seed=7):
    """Run the chaos lab's experiment for ``scenario`` (from :func:`chaos_lab_scenario`) with Chaos
    Toolkit; returns the lab's trace with ``trace.meta["chaos"]``: the ``journal`` read back, the raw
    journal (``raw``), the ``alerts`` and the ``fault`` window."""
    service, fault, at, until, delay = _fault_of(scenario)
    loop = CONTROLLER in scenario.node_ids
    lab, raw = run_fault(service, fault, at, until - at, delay, seed, scenario=scenario.replace(faults=()),
                         horizon=HORIZON, loop=loop)
    trace = lab.trace
    trace.meta["chaos"] = {"journal": read_journal(raw), "raw": raw, "alerts": lab_alerts(trace),
                           "healing": healing_actions(trace), "fault": (service, fault, at, until)}
    return trace


def chaos_lab_verdict(trace) -> Verdict:
    """The journal's verdict: did the steady state hold before and after the fault?"""
    return trace.meta["chaos"]["journal"].verdict()


def chaos_lab_measures(trace) -> dict:
    """The table: the verdict, the probe that left its tolerance, what users saw during the fault,
    the alert and the recovery."""
    chaos = trace.meta["chaos"]
    journal, (service, fault, at, until) = chaos["journal"], chaos["fault"]
    bad = next((r for r in journal.before + journal.after if not r.met), None)
    series = user_series(trace, 0.5, end=trace.end_time)
    during = series[(series["start"] >= at) & (series["end"] <= until + 1e-9)]
    after = series[series["start"] >= until]
    errors = int(during["errors"].sum())
    healthy = after[(after["error_ratio"] == 0) & ((after["p99"] <= LATENCY_TOLERANCE) | after["p99"].isna())]
    alerts = chaos["alerts"]
    out = {"hypothesis": "held" if journal.verdict().ok else "REFUTED",
           "probe out of tolerance": bad.name if bad else "none",
           "users' errors in the fault (%)": round(100 * errors / max(1, int(during["requests"].sum())), 1)}
    if service in MACHINES:
        out["healing loop's decisions"] = sum(text.count(",") + 1 for _t, text in chaos["healing"]) \
            if CONTROLLER in trace.nodes else "no loop"
    else:
        out["users' p99 in the fault (ms)"] = round(1000 * float(during["p99"].max()), 0) if len(during) and \
            during["p99"].notna().any() else 0.0
    return {**out, "alert fired after (s)": round(alerts[0][0] - at, 1) if alerts else "no alert",
            "healthy again after the fault (s)": round(float(healthy["end"].iloc[0]) - until, 1) if len(healthy)
            else "not yet",
            "Chaos Toolkit status": journal.status + (", deviated" if journal.deviated else "")}

#: the buttons: the four services of 9.1, and a machine of 9.3's replicated service
SERVICE_CHOICES = {**{s: s for s in TARGETS}, "machine w0 (9.3 replicas)": MACHINES[0]}


CHAOS_LAB = PlaygroundSpec(
    chaos_lab_scenario,
    controls=[Choice("service", SERVICE_CHOICES, group="the fault", width="330px"),
              Choice("fault", tuple(FAULTS), buttons=True, width="84px", group="the fault",
                     tooltips=tuple(FAULTS.values())),
              Toggle("loop", label="self-healing loop (machine)", group="the fault"),
              Slider("delay", 0.002, 0.03, 0.002, fmt=".3f", label="slow by (s)", group="the fault", width="330px"),
              Slider("fault_at", 10.0, 25.0, 1.0, fmt=".0f", label="from (s)", group="the window", width="330px"),
              Slider("fault_for", 0.5, 8.0, 0.5, fmt=".1f", label="for (s)", group="the window", width="330px"),
              Seed(group="the window")],
    views=("chaos",), measures=chaos_lab_measures, verdict=chaos_lab_verdict, run=run_chaos_lab,
    view_options={"size": (10.2, 5.0)}, defaults={"seed": 7}, frames=60, css="dsysedu-chaos",
    start=lambda trace: trace.meta["chaos"]["fault"][3])


class ChaosLabPlayground(Playground):
    """The :data:`CHAOS_LAB` playground for a laptop screen: controls, verdict and table in a column
    beside the picture and its time slider.

    Parameters
    ----------
    **values
        Starting values of :func:`chaos_lab_scenario`'s parameters and ``seed`` (default 7).

    Examples
    --------
    >>> lab = ChaosLabPlayground(service="orders", fault="crash", fault_for=2.0)
    >>> lab.measures["hypothesis"]
    'REFUTED'
    """

    def __init__(self, **values):
        super().__init__(CHAOS_LAB, **values)
        self.badge = W.HTML()
        self.badge.add_class("dsysedu-verdict")
        groups = list(self.groups().values())
        for box in groups:
            box.layout.flex_flow = "column"
        side = W.VBox([*groups, self.badge, self.info, self.status],
                      layout=W.Layout(width="390px", min_width="390px", margin="0 10px 0 0"))
        side.add_class("dsysedu-controls")   # the class every dashboard's control column carries
        picture = W.VBox([self.image, W.HBox([self.scrubber.widget])], layout=W.Layout(flex="1 1 auto"))
        self.widget.children = (W.HBox([side, picture], layout=W.Layout(align_items="flex-start")),)
        self._badge()

    def _set_trace(self, trace, values) -> None:
        super()._set_trace(trace, values)
        if hasattr(self, "badge"):
            self._badge()

    def _badge(self) -> None:
        v = chaos_lab_verdict(self.trace)
        colour = style.VERDICT_OK if v.ok else style.VERDICT_BAD
        self.badge.value = (f"<div style='padding:4px 8px;margin:4px 0;border-radius:4px;color:white;"
                            f"background:{colour};font-size:13px;line-height:1.35'><b>hypothesis "
                            f"{'held' if v.ok else 'refuted'}</b>: {html.escape(v.message)}</div>")


def chaos_lab_run_s(repeats: int = 5) -> float:
    """Median wall seconds of one dashboard experiment in a warm playground (a control change:
    Chaos Toolkit's run against the lab, the measures, the redraw and the PNG)."""
    pg = ChaosLabPlayground()
    pg.controls["fault_for"].value = 3.0           # warm: one change seen once
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        pg.controls["fault_for"].value = 2.0 if i % 2 == 0 else 3.0
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
