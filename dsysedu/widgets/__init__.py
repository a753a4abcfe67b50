"""Controls and playgrounds (ipywidgets) that edit scenarios and scrub traces."""
from .cap_playground import CapPlayground
from .controls import CrashToggles, LinkControls, PartitionEditor, SeedBox, TimeScrubber
from .gossip_playground import GossipPlayground
from .playground import Playground, benchmark_rerun_redraw
from .raft_playground import RaftPlayground
from .stepper import StepExplorer
from .token_game import TokenGame
from .tour import Tour, TraceViews

__all__ = ["CrashToggles", "PartitionEditor", "LinkControls", "SeedBox", "TimeScrubber", "Playground",
           "StepExplorer", "benchmark_rerun_redraw", "RaftPlayground", "GossipPlayground", "Tour", "TraceViews",
           "CapPlayground", "TokenGame"]
