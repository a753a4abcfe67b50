"""Views: functions from a Trace to a picture.

Every view takes a finished :class:`~dsysedu.sim.Trace` (or ``trace.to_frame()``) and
``ax=None``, and returns the Axes (or the Figure, for several panels). Views never run
a simulation and never touch live nodes. Colours, sizes and layouts come from
:mod:`dsysedu.viz.style`, so a role has one colour everywhere.

- :func:`topology` / :class:`TopologyView`: the network at time t.
- :func:`spacetime` / :class:`SpacetimeView`: the space-time (Lamport) diagram.
- :func:`timeline`: an observed value over time, per node.
- :func:`raft_log` / :class:`RaftLogView`: every node's Raft log at time t (:func:`logs_at` rebuilds them).
- :func:`frames`, :func:`to_html`, :func:`snapshot`: replay and stills.
- :func:`history_view` / :class:`HistoryView`: a client history, a lane per client (chapters 2.1.3, 3.2).
- :func:`clocks_view`: logical and physical clocks against causality (chapter 2.1).
- :func:`staleness_plot`, :func:`crdt_replicas`, :func:`state_hash_grid`: replication (chapter 3.2).
- :func:`draw_net`, :func:`draw_state_graph`: Petri nets and their reachability graphs (chapter 2.2).
- :class:`SpreadView`, :func:`spread_figure`, :func:`spread_html`, :func:`spread_moments`: a gossip spread and its
  infection curve (chapter 3.4).
- :func:`curves`, :func:`strips`: measurements against a parameter (sweeps over seeds), in one call.
- :func:`histogram`: the distribution of one measurement over many seeds, beside the range theory gives.
- :func:`side_by_side`: one view of several runs in one figure (a crash against a pause, PreVote or not).
- :func:`show_source`: a function's or class's source, highlighted, with its module path.
- :func:`system_model_view`, :func:`cuts_view`: S = (P, C, M) and cuts across a run (chapter 2.1).
- :func:`state_graph`: the reachable states of a small model-checked system (chapter 2.3).
- :func:`mind_map_html`, :func:`mind_map_page`: the course's mind map as an interactive tree (HTML).
- :func:`experiment_view`: a chaos experiment: what users saw, the fault, the hypothesis windows and
  Chaos Toolkit's journal (chapter 9.4).

Examples
--------
>>> from dsysedu import Scenario, run, Crash
>>> from dsysedu.protocols.basics.toys import Flood
>>> from dsysedu.viz import topology, spacetime
>>> trace = run(Scenario(Flood, nodes=5, faults=[Crash(2, at=0.0)], until=1.0), seed=1)
>>> ax = topology(trace, t=0.005)
>>> ax = spacetime(trace)
"""
from .capstone import layer_panels, recursive_loop
from .chaos import experiment_view
from .clocks import clocks_view
from .curves import curves, strips
from .distribution import histogram
from .history import HistoryView, history_view
from .isolation import anomaly_view
from .mindmap import mind_map_counts, mind_map_html, mind_map_page
from .compare import side_by_side
from .petri import draw_net, draw_state_graph
from .replication import crdt_replicas, staleness_plot, state_hash_grid
from .spread import SpreadView, spread_figure, spread_html, spread_moments
from .stategraph import state_graph
from .source import show_source
from .system_model import cuts_view, system_model_view
from .raftlog import RaftLogView, logs_at, raft_log
from .animate import AnimationHTML, frames, snapshot, to_html
from .spacetime import SpacetimeView, spacetime
from .style import layout, message_color, node_color, term_color
from .timeline import timeline
from .topology import TopologyView, topology

__all__ = ["layer_panels", "recursive_loop", "anomaly_view", "system_model_view", "cuts_view", "topology", "TopologyView", "spacetime",
           "SpacetimeView", "timeline", "frames", "to_html", "snapshot", "AnimationHTML", "mind_map_html", "mind_map_page", "mind_map_counts", "layout", "node_color", "message_color",
           "raft_log", "RaftLogView", "logs_at", "term_color", "history_view", "HistoryView", "clocks_view",
           "staleness_plot", "crdt_replicas", "state_hash_grid", "draw_net", "draw_state_graph", "state_graph",
           "SpreadView", "spread_figure", "spread_html", "spread_moments", "curves", "strips", "histogram", "show_source",
           "side_by_side", "experiment_view"]
