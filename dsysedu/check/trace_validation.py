"""Trace validation (轨迹验证): is a run of the implementation a behaviour of the model?

A model checker proves a property of the *model*: the node classes it explores, with time
abstracted to the order of events and numbers bounded by the model's size. The code that runs
is another thing. Trace validation closes part of that gap from the other side: it takes one
trace of the simulated implementation and replays it, event by event, through the model's
transition relation (:meth:`~dsysedu.check.model_checker.Model.step`):

1. every delivery, timer firing, drop, duplicate, crash and recovery of the trace must be an
   action the model enables in the state reached so far (a message the model has in flight, a
   timer the model has set);
2. what the implementation's handler did at that step (the messages it sent, in order) must be
   what the model's handler does at the same step.

The first event that fails either test is reported: its ``seq`` in the trace, the step number,
what the implementation did and what the model allows there. This is the method of Cirstea,
Kuppe, Loillier and Merz, who check traces logged by instrumented Java programs against TLA+
specifications with TLC [1]_; here the model and the implementation are both simulator nodes,
so the mapping from log lines to actions is the identity.

A validated trace proves nothing about other runs; many seeded traces under faults cover more of
the implementation's behaviours, and each one is checked exactly.

References
----------
.. [1] H. Cirstea, M. A. Kuppe, B. Loillier and S. Merz, "Validating Traces of Distributed Programs
   Against TLA+ Specifications", 2024 (arXiv:2404.16075).
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.node import SEND
from dsysedu.sim.trace import Trace

from . import Verdict
from .model_checker import Action, Model

__all__ = ["TraceValidation", "validate_trace", "trace_actions"]

# Trace rows that are steps of the transition system; the rows after one (same node, same time)
# until the next step are its effects.
_STEP_KINDS = ("deliver", "timer_fire", "drop", "duplicate", "crash", "recover")


@dataclass(frozen=True)
class TraceValidation:
    """The outcome of :func:`validate_trace`.

    Attributes
    ----------
    ok : bool
        Every step of the trace is a step of the model.
    steps : int
        Steps checked (all of them when ``ok``; the failing one's number otherwise, 1-based).
    seq : int or None
        The trace row (``seq``) of the first step the model does not allow.
    event : str
        That step, in words (an :class:`~dsysedu.check.model_checker.Action`).
    reason : str
        Why the model refuses it: the action is not enabled, or the handler's sends differ.
    implementation, model : tuple
        At the failing step: the messages the implementation sent and those the model sends (for
        a send mismatch), or the event and the actions the model enables (for a refused event).
    """
    ok: bool
    steps: int
    seq: int | None = None
    event: str = ""
    reason: str = ""
    implementation: tuple = ()
    model: tuple = ()

    def verdict(self) -> Verdict:
        """As a :class:`~dsysedu.check.Verdict` whose evidence is the failing row."""
        if self.ok:
            return Verdict(True, "trace refines the model", f"all {self.steps} steps are steps of the model")
        return Verdict(False, "trace refines the model", f"step {self.steps} ({self.event}): {self.reason}",
                       (self.seq,))

    def __repr__(self) -> str:
        if self.ok:
            return f"<TraceValidation ok: all {self.steps} steps are steps of the model>"
        return (f"<TraceValidation FAILED at step {self.steps} (row {self.seq}): {self.event}: {self.reason}; "
                f"implementation {list(self.implementation)}, model {list(self.model)}>")


def trace_actions(trace: Trace) -> list:
    """The trace as ``(seq, Action, sends)``: each step and the ``(dst, message)`` its handler sent.

    Raises
    ------
    TypeError
        If ``trace`` is not a Trace.
    ValueError
        If the trace holds an event the model checker has no action for (a pause, a clock jump,
        a slow node: faults of time, which a model abstracts away).
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace_actions() takes a Trace, got {trace!r}")
    out, current = [], None
    for seq, (t, kind, node, peer, _mid, data, value) in enumerate(trace.rows):
        if kind in ("pause", "resume", "slow", "clock_jump", "clock_drift"):
            raise ValueError(f"row {seq} is a {kind!r} fault: time is abstracted away in a model, so a trace with "
                             "pauses, slow nodes, clock jumps or drift changes cannot be validated against one")
        if kind in _STEP_KINDS:
            if kind == "deliver":
                action = Action("deliver", node, peer, data)
            elif kind == "timer_fire":
                action = Action("timer", node, None, data)
            elif kind == "drop" and value == "crashed":
                action = Action("deliver", node, peer, data)        # arrives at a crashed node: lost
            elif kind == "drop":
                action = Action("drop", node, peer, data)
            elif kind == "duplicate":
                action = Action("duplicate", node, peer, data)
            else:
                action = Action(kind, node)
            current = (seq, action, t, [])
            out.append(current)
        elif kind == "send" and current is not None and node == current[1].node and t == current[2]:
            current[3].append((peer, data))
        elif kind in ("send", "timer_set", "timer_cancel", "observe", "start"):
            if kind == "send" and current is not None and node != current[1].node:
                current = None    # a send outside any step (start effects are checked separately)
    return [(seq, action, tuple(sends)) for seq, action, _t, sends in out]


def _start_sends(trace: Trace) -> dict:
    sends: dict = {}
    for t, kind, node, peer, _mid, data, _v in trace.rows:
        if kind == "send" and t == 0.0 and node in sends:
            sends[node].append((peer, data))
        elif kind == "start":
            sends[node] = []
        elif kind in _STEP_KINDS:
            break
    return {n: tuple(v) for n, v in sends.items()}


def validate_trace(model: Model, trace: Trace) -> TraceValidation:
    """Check that ``trace`` is a behaviour of ``model``, step by step; report the first step that is not.

    Parameters
    ----------
    model : Model
        The specification: a :class:`~dsysedu.check.model_checker.Model` over the same node ids and
        message types as the implementation. Give it fault budgets at least as large as the trace's
        drops, duplicates, crashes and recoveries (a run under faults needs them).
    trace : Trace
        One run of the implementation (``run(scenario, seed=...)``).

    Returns
    -------
    TraceValidation

    Raises
    ------
    TypeError
        If ``model`` is not a Model or ``trace`` not a Trace.
    ValueError
        If the trace's nodes are not the model's, or it holds faults of time (see :func:`trace_actions`).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.protocols.coordination.fencing_model import lease_model, lease_model_scenario
    >>> validate_trace(lease_model(2), run(lease_model_scenario(2), seed=7)).ok
    True

    Notes
    -----
    Time O(steps x enabled actions). The model's handlers run once per step, so a trace of
    thousands of events validates in well under a second.
    """
    if not isinstance(model, Model):
        raise TypeError(f"validate_trace() takes a Model as the specification, got {model!r}")
    if not isinstance(trace, Trace):
        raise TypeError(f"validate_trace() takes a Trace of the implementation, got {trace!r}")
    if tuple(sorted(map(str, model.ids))) != tuple(sorted(map(str, trace.nodes))):
        raise ValueError(f"the trace's nodes {list(trace.nodes)} are not the model's {list(model.ids)}")
    steps = trace_actions(trace)
    record: list = []
    state = model.initial(record=record)
    started = _start_sends(trace)
    for _tag, node, effects in record:
        want = tuple((a, b) for kind, a, b in effects if kind == SEND)
        if started.get(node, want) != want:
            return TraceValidation(False, 0, 0, f"start {node}", "on_start sends differ from the model's",
                                   started[node], want)
    for i, (seq, action, sends) in enumerate(steps, 1):
        if action not in model.actions(state):
            enabled = tuple(str(a) for a in model.actions(state))
            return TraceValidation(False, i, seq, str(action), "the model does not enable this event here",
                                   (str(action),), enabled)
        record = []
        state = model.step(state, action, record=record)
        want = tuple((e[1], e[2]) for e in record if len(e) == 3 and e[0] == SEND)
        if action.kind in ("deliver", "timer") and sends != want:
            return TraceValidation(False, i, seq, str(action), "the implementation sent what the model does not",
                                   sends, want)
    return TraceValidation(True, len(steps))
