"""The outcome of one model-checking run, and its counterexample as a Trace.

A :class:`Result` says what was checked, the verdict (``ok``, ``violation`` or ``bound``),
how much was explored and how fast, and for a counterexample or a witness the path: the
list of actions from the initial state. :meth:`Result.to_trace` replays the path through
the protocol's handlers and records it as a :class:`~dsysedu.sim.trace.Trace`, with the
same rows the simulation kernel writes (``start``, ``send``, ``deliver``, ``drop``,
``duplicate``, ``timer_set``, ``timer_fire``, ``observe``, ``crash``, ``recover``), so the
space-time view draws it like any run. Step ``i`` of the path happens at time ``i``
seconds: time in a model is only the order of events.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dsysedu.sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER
from dsysedu.sim.trace import Trace
from dsysedu.check import Verdict

__all__ = ["Result", "path_trace", "replay_in"]

STEP = 1.0  # seconds of "time" per action in a drawn counterexample


@dataclass
class Result:
    """What a check found.

    Attributes
    ----------
    property, kind : str
        The property's name and kind.
    verdict : str
        ``"ok"``, ``"violation"`` or ``"bound"`` (stopped at a bound: nothing proved).
    message : str
        The verdict in words.
    states, transitions, depth : int
        Unique states stored (class representatives under symmetry), transitions taken,
        and the deepest level reached.
    seconds : float
        Wall time of the search.
    path : tuple of Action or None
        For a violation or a witness: the actions from the initial state.
    states_on_path : tuple or None
        The states along ``path`` (one more than actions), starting with the initial state.
    strategy : str
        ``"bfs"`` or ``"dfs"``.
    symmetry : bool
        Whether symmetry reduction was used.
    """
    property: str
    kind: str
    verdict: str
    message: str
    states: int
    transitions: int
    depth: int
    seconds: float
    path: tuple | None = None
    states_on_path: tuple | None = field(default=None, repr=False)
    strategy: str = "bfs"
    symmetry: bool = False
    model: object = field(default=None, repr=False, compare=False)
    edges: list | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True for ``ok`` only (a ``bound`` verdict proves nothing)."""
        return self.verdict == "ok"

    @property
    def states_per_s(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else float("inf")

    def __repr__(self) -> str:
        n = f", path of {len(self.path)} actions" if self.path is not None else ""
        return (f"<Result {self.property} ({self.kind}): {self.verdict}: {self.message} | {self.states:,} states, "
                f"{self.transitions:,} transitions, depth {self.depth}, {self.seconds:.3f} s "
                f"({self.states_per_s:,.0f} states/s){n}>")

    __str__ = __repr__

    def to_trace(self) -> Trace:
        """The path as a Trace (step ``i`` at ``i`` seconds) that the space-time view draws."""
        if self.path is None:
            raise ValueError(f"{self.property}: there is no path to draw (verdict {self.verdict!r})")
        return path_trace(self.model, self.path, name=f"{self.property}: {self.verdict}")

    def to_verdict(self) -> Verdict:
        """A :class:`~dsysedu.check.Verdict`: the evidence is the last step's events in :meth:`to_trace`.

        A witness found for ``reachable`` is ``ok``; a ``bound`` verdict is not ``ok``.
        """
        events = ()
        if self.path is not None and self.verdict != "ok":
            trace = self.to_trace()
            last = len(self.path) * STEP
            events = tuple(i for i, r in enumerate(trace.rows) if r[0] == last and r[1] != "observe")
        return Verdict(self.ok, self.property, self.message, events)

    def explain(self, states: bool = False) -> str:
        """The path as numbered lines (and the states in between, if asked)."""
        if self.path is None:
            return self.message
        lines = [f"{self.property}: {self.message}"]
        if states:
            lines.append("initial state:\n  " + self.model.describe(self.states_on_path[0]).replace("\n", "\n  "))
        for i, a in enumerate(self.path, 1):
            lines.append(f"{i:3d}. {a}")
            if states:
                lines.append("  " + self.model.describe(self.states_on_path[i]).replace("\n", "\n  "))
        return "\n".join(lines)


def path_trace(model, actions, name: str = "") -> Trace:
    """Replay ``actions`` from the model's initial state and record what happened as a Trace."""
    rows = []
    mids: dict = {}   # (src, dst, msg) -> message ids in flight, oldest first
    counter = [0]

    def new_mid(key):
        mid = counter[0]
        counter[0] += 1
        mids.setdefault(key, []).append(mid)
        return mid

    def effects(t, node, eff):
        for kind, a, b in eff:
            if kind == SEND:
                mid = new_mid((node, a, b))
                rows.append((t, "send", node, a, mid, b, None))
            elif kind == SET_TIMER:
                rows.append((t, "timer_set", node, None, None, a, t + b))
            elif kind == CANCEL_TIMER:
                rows.append((t, "timer_cancel", node, None, None, a, None))
            elif kind == OBSERVE:
                rows.append((t, "observe", node, None, None, a, b))

    record: list = []
    state = model.initial(record=record)
    for _tag, n, eff in record:
        rows.append((0.0, "start", n, None, None, None, None))
        effects(0.0, n, eff)
    for key in model._inputs:
        new_mid(key)
    for i, a in enumerate(actions, 1):
        t = i * STEP
        record = []
        state = model.step(state, a, record=record)
        key = (a.peer, a.node, a.data)
        if a.kind == "deliver":
            mid = mids[key].pop(0)
            if record and record[0] == ("lost",):
                rows.append((t, "drop", a.node, a.peer, mid, a.data, "crashed"))
                continue
            rows.append((t, "deliver", a.node, a.peer, mid, a.data, None))
        elif a.kind == "drop":
            rows.append((t, "drop", a.node, a.peer, mids[key].pop(0), a.data, "loss"))
        elif a.kind == "duplicate":
            mid = mids[key][0]
            mids[key].append(mid)
            rows.append((t, "duplicate", a.node, a.peer, mid, a.data, None))
        elif a.kind == "timer":
            rows.append((t, "timer_fire", a.node, None, None, a.data, None))
        else:  # crash, recover
            rows.append((t, a.kind, a.node, None, None, None, None))
        effects(t, a.node, record)
    end = (len(actions) + 0.5) * STEP
    return Trace(model.ids, rows, graph=model.scenario.graph, seed=None, end_time=end, ended_by="stopped",
                 meta={"name": name or model.name, "until": end, "model_checker": True, "faults": ()})


def replay_in(sim, actions) -> list:
    """Play a model checker's path in a step-mode :class:`~dsysedu.sim.kernel.Simulation`.

    The simulation must run the model's scenario and not have started yet (as in a fresh
    :class:`~dsysedu.widgets.stepper.StepExplorer`, whose ``sim`` this takes). The nodes'
    start events are taken first, then each action as the learner would click it: the pending
    delivery or timer that matches it, or a crash or recovery applied now. Returns the trace
    rows added. Raises ValueError for a ``duplicate`` action (step mode cannot copy a message)
    or when nothing pending matches.
    """
    from dsysedu.sim.faults import Crash, Recover

    if hasattr(actions, "path"):
        actions = actions.path
    start = len(sim.rows)
    for ev in sim.pending():
        if ev.kind == "start":
            sim.take(ev.id)
    for i, a in enumerate(actions, 1):
        if a.kind in ("crash", "recover"):
            sim.apply((Crash if a.kind == "crash" else Recover)(a.node, at=sim.now))
            continue
        if a.kind == "duplicate":
            raise ValueError(f"step {i}: {a}: step mode cannot duplicate a message")
        want = "timer" if a.kind == "timer" else "deliver"
        for ev in sim.pending():
            if ev.kind == want and ev.node == a.node and ev.detail == a.data and (want == "timer" or ev.src == a.peer):
                (sim.drop if a.kind == "drop" else sim.take)(ev.id)
                break
        else:
            raise ValueError(f"step {i}: nothing pending matches {a}")
    return sim.rows[start:]
