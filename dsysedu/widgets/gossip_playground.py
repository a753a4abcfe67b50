"""The gossip playground: watch a rumor spread over a network, with its infection curve.

:class:`GossipPlayground` runs :class:`~dsysedu.protocols.gossip.Gossip` (anti-entropy) over
a seeded networkx topology chosen by the controls (topology, N, fanout, mode, loss, crashed
share). Changing a control re-runs the bounded scenario (``rounds`` rounds at most, and it stops
a round after every live node knows); Play and the time slider (a
:class:`~dsysedu.widgets.controls.TimeScrubber`) only redraw. Nodes are coloured by their
gossip ``state`` (susceptible / infective / removed; crashed nodes are grey with a cross).
Beside the picture: the infection curve (informed nodes against time) with a "now" marker, and
the run's metrics against Pittel's log2 N + ln N rounds.
"""
from __future__ import annotations

import html
import math
import random

import ipywidgets as W
import networkx as nx
import numpy as np

from ..protocols.gossip import MODES, SUSCEPTIBLE, gossip_scenario, pittel_rounds, spread_stats
from ..sim import Crash, Simulation
from ..viz import TopologyView, style
from .controls import TimeScrubber
from .playground import _fmt
from .render import Blitter, new_figure

__all__ = ["GossipPlayground", "TOPOLOGIES", "make_graph"]


def _regular(n, seed):
    d = 4 if n > 4 else n - 1
    return nx.random_regular_graph(d if (d * n) % 2 == 0 else d - 1, n, seed=seed)


def _small_world(n, seed):
    return nx.connected_watts_strogatz_graph(n, min(6, n - 1 - (n - 1) % 2) or 2, 0.1, seed=seed)


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
    topology, mode, fanout, loss, crashed
        Starting values of the controls.
    rounds : int
        The run's bound: ``until = rounds * round_time``.

    Examples
    --------
    >>> pg = GossipPlayground(n=20, seed=1)
    >>> pg.stats.informed
    20
    """

    def __init__(self, n: int = 50, seed: int = 7, topology: str = "random regular", mode: str = "push",
                 fanout: int = 1, loss: float = 0.0, crashed: float = 0.0, rounds: int = 40):
        self.seed, self.rounds = int(seed), int(rounds)
        self.runs = 0
        self.trace = None
        self.topo = None
        self._graph_key = None
        self.topology = W.Dropdown(options=list(TOPOLOGIES), value=topology, description="topology",
                                   layout=W.Layout(width="260px"))
        self.n = W.IntSlider(value=n, min=10, max=2000, step=10 if n % 10 == 0 else 1, description="N",
                             continuous_update=False, layout=W.Layout(width="330px"))
        self.fanout = W.IntSlider(value=fanout, min=1, max=5, description="fanout", continuous_update=False,
                                  layout=W.Layout(width="260px"))
        self.mode = W.ToggleButtons(options=list(MODES), value=mode, description="mode",
                                    style={"button_width": "80px"})
        self.loss = W.FloatSlider(value=loss, min=0.0, max=0.5, step=0.05, description="loss",
                                  continuous_update=False, readout_format=".2f", layout=W.Layout(width="260px"))
        self.crashed = W.FloatSlider(value=crashed, min=0.0, max=0.5, step=0.05, description="crashed",
                                     continuous_update=False, readout_format=".2f",
                                     layout=W.Layout(width="260px"))
        for name in ("topology", "n", "fanout", "mode", "loss", "crashed"):
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
        gs = self.fig.add_gridspec(1, 2, width_ratios=(1.3, 1), left=0.01, right=0.98, bottom=0.11, top=0.9,
                                   wspace=0.32)
        self.ax_topo = self.fig.add_subplot(gs[0])
        self.ax_curve = self.fig.add_subplot(gs[1])
        self.blitter = Blitter(self.fig)
        controls = W.VBox([W.HBox([self.topology, self.n]), W.HBox([self.fanout, self.loss, self.crashed]),
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

    def scenario(self):
        g = self.graph()
        faults = [Crash(v, at=0.0) for v in self.crashed_nodes(list(g.nodes))]
        return gossip_scenario(g, origin=0, mode=self.mode.value, fanout=self.fanout.value, loss=self.loss.value,
                               faults=faults, until=float(self.rounds))

    def rerun(self) -> None:
        """Run the scenario of the controls (round by round, stopping a round after every live node
        knows, or at ``rounds``) and redraw."""
        sc = self.scenario()
        sim = Simulation(sc, seed=self.seed)
        waiting = list(sim.nodes)
        t, done = 0.0, None
        while t < sc.until:
            t = min(t + 1.0, sc.until)
            sim.run_until(t)
            if done is not None and t >= done + 1.0:
                break
            waiting = [v for v in waiting if sim.status(v) != "crashed" and sim.nodes[v].state == SUSCEPTIBLE]
            if not waiting and done is None:
                done = t
        self._set_trace(sim.trace)

    def _set_trace(self, trace) -> None:
        self.trace = trace
        self.runs += 1
        self.stats = spread_stats(trace)
        n = len(trace.nodes)
        self.ax_topo.clear()
        self.ax_curve.clear()
        pos = _disk_layout(trace.nodes) if self.topology.value == "complete" else None
        self.topo = TopologyView(trace, ax=self.ax_topo, color_by="state", legend=True, max_dots=300,
                                 show_messages=n <= 300, seed=self.seed, pos=pos)
        if self.topology.value == "complete" and n > 60:
            self.topo.edge_artist.set_visible(False)  # all n(n-1)/2 links: a grey smear, not information
        self._draw_curve(trace)
        self.scrubber.set_end(trace.end_time)
        t0 = min(self.scrubber.t, trace.end_time)
        self.blitter.reset(self.topo.draw(t0) + self._now_artists())
        self.info.value = self._info_html()
        notes = []
        if self.size() < self.n.value:
            notes.append(f"a complete graph is capped at {COMPLETE_MAX} nodes (its n(n-1)/2 links make larger "
                         "runs slow): showing N = {n}".replace("{n}", str(n)))
        if trace.truncated:
            notes.append("run cut by its event bound (max_events)")
        self.status.value = "<br>".join(f"<span style='color:#b2182b'>{html.escape(t)}</span>" for t in notes)
        self.show_time(t0)

    def _draw_curve(self, trace) -> None:
        ax, s = self.ax_curve, self.stats
        n = s.n
        live = n - len(self.crashed_nodes(trace.nodes))
        times = [0.0, *s.curve["time"].tolist(), trace.end_time]
        counts = [0, *s.curve["informed"].tolist(), s.informed]
        ax.step(times, counts, where="post", color=style.node_color("infective"), lw=2, label="informed")
        ax.axhline(n, color="#999999", lw=0.8, ls=":")
        if live < n:
            ax.axhline(live, color=style.CRASHED, lw=1, ls="--", label=f"live nodes ({live})")
        ax.axvline(pittel_rounds(n), color="#555555", lw=1, ls="-.", label="log2 N + ln N")
        ax.set_xlim(0, max(trace.end_time, pittel_rounds(n) + 1))
        ax.set_ylim(0, n * 1.05)
        ax.set_xlabel("time (rounds of 1 s)")
        ax.set_ylabel("informed nodes")
        ax.set_title("infection curve", fontsize=style.FONT["title"], loc="left")
        ax.grid(alpha=0.3)
        self.now_line = ax.axvline(0.0, color="#b2182b", lw=1.2)
        self.now_dot, = ax.plot([0.0], [1], "o", color="#b2182b", ms=6, zorder=5)
        self.now_text = ax.text(0.02, 0.97, "", transform=ax.transAxes, ha="left", va="top", fontsize=10,
                                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
        ax.legend(loc="lower right", fontsize=9, framealpha=0.9)

    def _now_artists(self) -> list:
        return [self.now_line, self.now_dot, self.now_text]

    def informed_at(self, t: float) -> int:
        c = self.stats.curve
        return int((c["time"] <= t + 1e-12).sum())

    def show_time(self, t: float) -> None:
        """Redraw at time ``t`` (no re-run)."""
        if self.trace is None:
            return
        self.t_view = t = float(t)
        self.topo.draw(t)
        k = self.informed_at(t)
        self.now_line.set_xdata([t, t])
        self.now_dot.set_data([t], [k])
        self.now_text.set_text(f"t = {t:.2f} s: {k} of {self.stats.n} informed")
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
