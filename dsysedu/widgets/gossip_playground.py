"""The gossip playground: watch a rumor spread over a network, with its infection curve.

:class:`GossipPlayground` runs :class:`~dsysedu.protocols.membership.gossip.Gossip` (anti-entropy) over
a seeded networkx topology chosen by the controls (topology, N, fanout, mode, loss, crashed
share). Changing a control re-runs the bounded scenario (``rounds`` rounds at most, and it stops
a round after every live node knows); Play and the time slider (a
:class:`~dsysedu.widgets.controls.TimeScrubber`) only redraw. Nodes are coloured by their
gossip ``state`` (susceptible / infective / removed; crashed nodes are grey with a cross).
Beside the picture: the infection curve (informed nodes against time) with a "now" marker, and
the run's metrics against Pittel's log2 N + ln N rounds. The ``stop`` control switches from
anti-entropy to rumor mongering, whose removed nodes get a colour and a curve of their own.

The picture is a :class:`~dsysedu.viz.spread.SpreadView` (the view lives in :mod:`dsysedu.viz.spread`,
re-exported here); its style follows N.
"""
from __future__ import annotations

import gc
import html
import math
import random

import ipywidgets as W
import networkx as nx
import numpy as np

from dsysedu.protocols.membership.gossip import INFECTIVE, MODES, SUSCEPTIBLE, gossip_scenario, pittel_rounds, spread_stats
from dsysedu.sim import Crash, Simulation
from dsysedu.viz.spread import (LARGE_N, SpreadView, hop_layout, spread_axes, spread_curves,  # noqa: F401
                          spread_figure, spread_html, spread_style)
from .controls import TimeScrubber, warning_html
from .playground import _fmt
from .render import Blitter, new_figure

__all__ = ["GossipPlayground", "TOPOLOGIES", "make_graph", "STOPS"]


def _regular(n, seed):
    d = 4 if n > 4 else n - 1
    return nx.random_regular_graph(d if (d * n) % 2 == 0 else d - 1, n, seed=seed)


def _small_world(n, seed):
    return nx.connected_watts_strogatz_graph(n, min(6, n - 1 - (n - 1) % 2) or 2, 0.1, seed=seed)


# The stop control: anti-entropy spreads for ever; rumor mongering (Demers et al. 1987) stops,
# leaving removed nodes (and perhaps a residue that never hears).
STOPS = {"anti-entropy": (None, 1), "feedback counter, k = 2": ("feedback-counter", 2),
         "blind coin, k = 2": ("blind-coin", 2)}

COMPLETE_MAX = 500  # a complete graph has n(n-1)/2 links: 2,000 nodes would take a minute per run

TOPOLOGIES = {
    "complete": lambda n, seed: nx.complete_graph(n),
    "random regular": _regular,
    "small world": _small_world,
    "scale free": lambda n, seed: nx.barabasi_albert_graph(n, 2, seed=seed),
    "ring": lambda n, seed: nx.cycle_graph(n),
}


def _disk_layout(nodes) -> dict:
    """Nodes spread evenly over a disk (a sunflower spiral): a complete graph has no shape to show,
    and a force layout of its n(n-1)/2 links would take minutes at 2,000 nodes."""
    nodes = list(nodes)
    n = len(nodes)
    if n <= 40:
        return {v: np.array([math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n)])
                for i, v in enumerate(nodes)}
    golden = math.pi * (3 - math.sqrt(5))
    return {v: np.array([math.sqrt((i + 0.5) / n) * math.cos(i * golden), math.sqrt((i + 0.5) / n) * math.sin(i * golden)])
            for i, v in enumerate(nodes)}


def make_graph(topology: str, n: int, seed: int = 0) -> nx.Graph:
    """The seeded networkx graph of ``topology`` (a key of :data:`TOPOLOGIES`) on ``n`` nodes."""
    if topology not in TOPOLOGIES:
        raise ValueError(f"topology must be one of {sorted(TOPOLOGIES)}, got {topology!r}")
    return TOPOLOGIES[topology](int(n), seed)


class GossipPlayground:
    """Gossip over a chosen topology, with controls, an animated picture and an infection curve.

    Parameters
    ----------
    n : int
        Nodes (the N slider, 10..2000).
    seed : int
        Seeds the topology, the crashed nodes and the run.
    topology, mode, fanout, loss, crashed, stop
        Starting values of the controls (``stop`` is a key of :data:`STOPS`).
    rounds : int
        The run's bound: ``until = rounds * round_time``.

    Examples
    --------
    >>> pg = GossipPlayground(n=20, seed=1)
    >>> pg.stats.informed
    20
    """

    def __init__(self, n: int = 50, seed: int = 7, topology: str = "random regular", mode: str = "push",
                 fanout: int = 1, loss: float = 0.0, crashed: float = 0.0, stop: str = "anti-entropy",
                 rounds: int = 40):
        if stop not in STOPS:
            raise ValueError(f"stop must be one of {list(STOPS)}, got {stop!r}")
        self.seed, self.rounds = int(seed), int(rounds)
        self.runs = 0
        self.trace = None
        self.view = self.topo = None
        self._graph_key = None
        self.topology = W.Dropdown(options=list(TOPOLOGIES), value=topology, description="topology",
                                   layout=W.Layout(width="260px"))
        self.n = W.IntSlider(value=n, min=10, max=2000, step=10 if n % 10 == 0 else 1, description="N",
                             continuous_update=False, layout=W.Layout(width="330px"))
        self.stop = W.Dropdown(options=list(STOPS), value=stop, description="stop", layout=W.Layout(width="300px"))
        self.fanout = W.IntSlider(value=fanout, min=1, max=5, description="fanout", continuous_update=False,
                                  layout=W.Layout(width="260px"))
        self.mode = W.ToggleButtons(options=list(MODES), value=mode, description="mode",
                                    style={"button_width": "80px"})
        self.loss = W.FloatSlider(value=loss, min=0.0, max=0.5, step=0.05, description="loss",
                                  continuous_update=False, readout_format=".2f", layout=W.Layout(width="260px"))
        self.crashed = W.FloatSlider(value=crashed, min=0.0, max=0.5, step=0.05, description="crashed",
                                     continuous_update=False, readout_format=".2f",
                                     layout=W.Layout(width="260px"))
        for name in ("topology", "n", "stop", "fanout", "mode", "loss", "crashed"):
            w = getattr(self, name)
            w.add_class(f"dsysedu-gossip-{name}")
            w.observe(lambda ch: self.rerun(), names="value")
        self.scrubber = TimeScrubber(float(self.rounds), self.show_time, frames=self.rounds * 4, interval_ms=150)
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1100px"))
        self.image.add_class("dsysedu-view")
        self.info = W.HTML()
        self.info.add_class("dsysedu-metrics")
        self.status = W.HTML()
        self.status.add_class("dsysedu-status")
        self.fig = new_figure(12.0, 5.4)
        self.ax_topo, self.ax_curve = spread_axes(self.fig)
        self.blitter = Blitter(self.fig)
        controls = W.VBox([W.HBox([self.topology, self.n, self.stop]), W.HBox([self.fanout, self.loss, self.crashed]),
                           self.mode], layout=W.Layout(width="auto"))
        self.widget = W.VBox([controls, self.image, self.scrubber.widget, W.HBox([self.info, self.status])],
                             layout=W.Layout(width="100%"))
        self.rerun()

    # -- the scenario ------------------------------------------------------------
    def size(self) -> int:
        """N of the run: the slider, except a complete graph is capped at :data:`COMPLETE_MAX` nodes."""
        n = int(self.n.value)
        return min(n, COMPLETE_MAX) if self.topology.value == "complete" else n

    def graph(self) -> nx.Graph:
        key = (self.topology.value, self.size())
        if key != self._graph_key:
            self._graph = make_graph(self.topology.value, self.size(), self.seed)
            self._graph_key = key
        return self._graph

    def crashed_nodes(self, nodes) -> list:
        """The crashed share of the non-origin nodes, chosen with a seeded rng."""
        others = [v for v in nodes if v != 0]
        k = round(self.crashed.value * len(others))
        return sorted(random.Random(self.seed).sample(others, k))

    def _stop(self):
        """(stop, k) for gossip_scenario; pull has nothing to stop (a puller never pushes)."""
        stop, k = STOPS[self.stop.value]
        return (None, 1) if self.mode.value == "pull" else (stop, k)

    def scenario(self):
        g = self.graph()
        faults = [Crash(v, at=0.0) for v in self.crashed_nodes(list(g.nodes))]
        stop, k = self._stop()
        return gossip_scenario(g, origin=0, mode=self.mode.value, fanout=self.fanout.value, loss=self.loss.value,
                               stop=stop, k=k, faults=faults, until=float(self.rounds))

    def rerun(self) -> None:
        """Run the scenario of the controls (round by round, stopping a round after every live node
        knows or nobody spreads any more, or at ``rounds``) and redraw."""
        sc = self.scenario()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # as in run_to_full_spread: no rescans of the growing trace between rounds
        try:
            sim = Simulation(sc, seed=self.seed)
            waiting = list(sim.nodes)
            t, done = 0.0, None
            while t < sc.until:
                t = min(t + 1.0, sc.until)
                sim.run_until(t)
                if done is not None and t >= done + 1.0:
                    break
                waiting = [v for v in waiting if sim.status(v) != "crashed" and sim.nodes[v].infection == SUSCEPTIBLE]
                quiet = self.mode.value == "push" and not any(
                    sim.status(v) != "crashed" and sim.nodes[v].infection == INFECTIVE for v in sim.nodes)
                if (not waiting or quiet) and done is None:
                    done = t
        finally:
            if gc_was_enabled:
                gc.enable()
        self._set_trace(sim.trace)

    def _set_trace(self, trace) -> None:
        self.trace = trace
        self.runs += 1
        self.stats = spread_stats(trace)
        n = len(trace.nodes)
        self.ax_topo.clear()
        self.ax_curve.clear()
        small_complete = self.topology.value == "complete" and not spread_style(n)["large"]
        self.view = SpreadView(trace, self.ax_topo, self.ax_curve, origin=0, seed=self.seed,
                               pos=_disk_layout(trace.nodes) if small_complete else None,
                               live=n - len(self.crashed_nodes(trace.nodes)))
        self.topo = self.view.topo
        if small_complete and n > 60:
            self.topo.edge_artist.set_visible(False)  # all n(n-1)/2 links: a grey smear, not information
        self.now_line, self.now_dot, self.now_text = self.view.now_line, self.view.now_dot, self.view.now_text
        self.scrubber.set_end(trace.end_time)
        t0 = min(self.scrubber.t, trace.end_time)
        self.blitter.reset(self.view.draw(t0))
        self.info.value = self._info_html()
        notes = []
        if self.size() < self.n.value:
            notes.append(f"a complete graph is capped at {COMPLETE_MAX} nodes (its n(n-1)/2 links make larger "
                         f"runs slow): showing N = {n}")
        if self.mode.value == "pull" and self.stop.value != "anti-entropy":
            notes.append("pull never pushes, so there is nothing to stop: running anti-entropy")
        if trace.truncated:
            notes.append("run cut by its event bound (max_events)")
        self.status.value = warning_html(*notes)
        self.show_time(t0)

    def informed_at(self, t: float) -> int:
        return self.view.informed_at(t)

    def show_time(self, t: float) -> None:
        """Redraw at time ``t`` (no re-run)."""
        if self.trace is None:
            return
        self.t_view = t = float(t)
        self.view.draw(t)
        self.image.value = self.blitter.png()

    def metrics(self) -> dict:
        s, n = self.stats, self.stats.n
        return {"informed share": s.informed / n, "residue": s.residue, "messages per node": s.traffic,
                "time to last informed (s)": s.time_to_last, "Pittel log2 N + ln N": pittel_rounds(n)}

    def _info_html(self) -> str:
        body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right;padding-left:12px'>"
                       f"<b>{html.escape(_fmt(v))}</b></td></tr>" for k, v in self.metrics().items())
        return f"<table class='dsysedu-metrics-table' style='font-size:13px'>{body}</table>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
