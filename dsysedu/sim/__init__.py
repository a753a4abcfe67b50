"""The simulator: Scenario -> Simulation -> Trace."""
from .faults import (ClockDrift, ClockJump, Crash, CutLink, Fault, Heal, Nemesis, Partition, Pause, Recover, RestoreLink,
                     Resume, Slow)
from .kernel import Simulation, run
from .network import Constant, Exponential, LinkModel, LogNormal, Uniform
from .node import Context, Node
from .scenario import Input, Scenario
from .stepping import PendingEvent
from .streams import normalize_seed
from .trace import Trace, TraceEvent

__all__ = ["Scenario", "Input", "Simulation", "run", "PendingEvent", "Trace", "TraceEvent", "Node", "Context",
           "LinkModel", "Constant", "Uniform", "Exponential", "LogNormal", "Fault", "Crash", "Recover",
           "Partition", "Heal", "CutLink", "RestoreLink", "Slow", "Pause", "Resume", "ClockJump", "ClockDrift", "Nemesis",
           "normalize_seed"]
