"""Controls and playgrounds (ipywidgets) that edit scenarios and scrub traces.

A playground is declared as data (:mod:`~dsysedu.widgets.spec`: a scenario builder, controls bound to
its parameters, views, measures) and played by :class:`Playground` (finished runs) or
:class:`LivePlayground` (a run the learner advances). The dashboards' declarations: ``UNRELIABLE_LINK``
(:mod:`~dsysedu.widgets.link_playground`), ``CAP``, ``GOSSIP``, ``RAFT``, ``SAGA``, ``TRAFFIC_LAB``,
``FAILURE_DETECTION`` (:mod:`~dsysedu.widgets.detector_playground`), ``CHAOS_LAB``
(:mod:`~dsysedu.widgets.chaos_lab`) and ``COST_EXPLORER`` (:mod:`~dsysedu.widgets.cost_explorer`).
:class:`QuorumSliders` is a small widget of its own: N, R and W as sliders (chapter 3.2.1);
:class:`GlossaryTable` filters the course's glossary as you type.
:class:`ApprovalConsole` the approve and reject buttons of a human task node (chapter 6.2).
"""
from .approval import ApprovalConsole
from .cap_playground import CAP, CapPlayground
from .chaos_lab import (CHAOS_LAB, chaos_lab_measures, chaos_lab_run_s, chaos_lab_scenario, chaos_lab_verdict,
                        ChaosLabPlayground, run_chaos_lab, SERVICE_CHOICES)
from .cost_explorer import COST_EXPLORER, cost_rows, cost_verdict
from .controls import CrashToggles, LinkControls, PartitionEditor, SeedBox, TimeScrubber
from .detector_playground import DETECTORS, FAILURE_DETECTION, detector_scenario
from .glossary_table import GlossaryTable
from .gossip_playground import GOSSIP, GossipPlayground
from .link_playground import UNRELIABLE_LINK
from .live import LivePlayground
from .pi_stepper import RedexPicker
from .playground import Playground, benchmark_rerun_redraw, scenario_spec
from .quorum_sliders import QuorumSliders
from .raft_playground import RAFT, RaftPlayground
from .saga_playground import SAGA, saga_measures, saga_playground_scenario, saga_verdict, STYLES
from .spec import (Choice, LinkSliders, NodeToggles, PartitionSides, PlaygroundSpec, Seed, Slider,
                   Toggle)
from .stepper import StepExplorer
from .token_game import TokenGame
from .tour import Tour
from .traffic_lab import TRAFFIC_LAB, TrafficLab, traffic_lab_rerun_ms

__all__ = ["PlaygroundSpec", "Slider", "Toggle", "Choice", "NodeToggles", "PartitionSides", "LinkSliders", "Seed",
           "Playground", "LivePlayground", "scenario_spec", "UNRELIABLE_LINK", "CAP", "GOSSIP", "RAFT",
           "CrashToggles", "PartitionEditor", "LinkControls", "SeedBox", "TimeScrubber", "StepExplorer",
           "benchmark_rerun_redraw", "RaftPlayground", "GossipPlayground", "Tour", "CapPlayground", "TokenGame",
           "RedexPicker",
           "SAGA", "STYLES", "saga_playground_scenario", "saga_measures", "saga_verdict", "TRAFFIC_LAB",
           "TrafficLab", "traffic_lab_rerun_ms", "QuorumSliders", "FAILURE_DETECTION", "DETECTORS",
           "detector_scenario", "GlossaryTable", "ApprovalConsole",
           "CHAOS_LAB", "ChaosLabPlayground", "chaos_lab_scenario", "run_chaos_lab", "chaos_lab_measures",
           "chaos_lab_verdict", "chaos_lab_run_s", "SERVICE_CHOICES", "COST_EXPLORER", "cost_rows", "cost_verdict"]
