"""Step mode and fork: a learner drives a run by hand, or branches it.

Step mode shows the events waiting in the queue (:meth:`StepMode.pending`) and lets the
learner handle the next one (``step``), any one out of its turn (``take``), lose a message
(``drop``), send one from outside (``inject``) or apply a fault now (``apply``). ``fork``
replays a run to a time and continues it under another fault schedule. Every manual step
is logged with the queue position it came at, so that a fork replays it in the same place.

:class:`StepMode` is a part of :class:`~dsysedu.sim.kernel.Simulation` (a mixin): it works
on the simulation's event queue and handlers, and adds no state of its own but that log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from .event_queue import NORMAL
from .faults import CUT, HEAL, PARTITION, RESTORE, Fault, expand, validate_faults
from .node import check_message
from .validate import number

__all__ = ["PendingEvent", "StepMode", "fault_event_id"]


class PendingEvent(NamedTuple):
    """An event waiting in the queue, as step mode shows it."""
    id: str
    time: float
    kind: str          # "deliver", "timer", "fault", "start", "effects"
    node: Any
    src: Any = None
    detail: Any = None  # the message, the timer name, or the fault action

    def label(self) -> str:
        if self.kind == "deliver":
            who = "outside" if self.src is None else f"{self.src}"
            return f"t={self.time:.3f} deliver {_short(self.detail)} {who}→{self.node}"
        if self.kind == "timer":
            return f"t={self.time:.3f} timer {self.detail!r} at {self.node}"
        detail = "" if self.detail is None else self.detail
        node = "" if self.node is None else self.node
        return f"t={self.time:.3f} {self.kind} {detail} {node}".strip()


def _short(msg) -> str:
    text = repr(msg)
    return text if len(text) <= 40 else text[:37] + "..."


def fault_event_id(kind: str, args: tuple, at: float) -> str:
    """The step-mode id of a scheduled fault action, e.g. ``"fault:crash:(2,)@1.5"``."""
    return f"fault:{kind}:{args!r}@{at:.9g}"


@dataclass(frozen=True)
class _Action(Fault):
    """One primitive fault action at a time (a fork replays the old schedule's actions before ``t``)."""
    at: float
    kind: str
    args: tuple

    def actions(self):
        return [(self.at, self.kind, self.args)]

    def nodes(self):
        if self.kind == PARTITION:
            return tuple(n for g in self.args[0] for n in g)
        if self.kind == HEAL:
            return ()
        return tuple(self.args[:2]) if self.kind in (CUT, RESTORE) else (self.args[0],)


class StepMode:
    """Look at the queue, handle events by hand, fork (see the module docstring)."""

    def pending(self, limit: int | None = None) -> list[PendingEvent]:
        """The events waiting in the queue, earliest first (stale timers left out)."""
        out = []
        for entry in sorted(self._queue.entries(), key=lambda e: e[:3]):
            if not self._is_live(entry):
                continue
            out.append(self._describe(entry))
            if limit is not None and len(out) >= limit:
                break
        return out

    def _describe(self, entry) -> PendingEvent:
        at, handler, fields, kernel = entry[0], entry[3], entry[4:], type(self)
        if handler is kernel._deliver:
            dst, src, mid, msg, copy_no = fields
            return PendingEvent(f"deliver:{mid}" + (":dup" if copy_no else ""), at, "deliver", dst, src, msg)
        if handler is kernel._fire:
            node, name, gen, _epoch = fields
            return PendingEvent(f"timer:{node}:{name}:{gen}", at, "timer", node, None, name)
        if handler is kernel._fault:
            kind, args, event_id = fields
            return PendingEvent(event_id, at, "fault", args[0] if args and kind != PARTITION else None, None, kind)
        if handler is kernel._start:
            return PendingEvent(f"start:{fields[0]}", at, "start", fields[0])
        return PendingEvent(f"effects:{fields[0]}:{at:.9g}", at, "effects", fields[0])

    def step(self) -> list[tuple]:
        """Handle the next live event; return the trace rows it added."""
        start = len(self.rows)
        queue = self._queue
        while len(queue):
            live = self._is_live(queue.first())
            if queue.handled >= self.scenario.max_events or len(self.rows) >= self.scenario.max_rows:
                self.ended_by = self.trace.ended_by = (
                    "max_events" if queue.handled >= self.scenario.max_events else "max_rows")
                break
            queue.dispatch_next(self)
            if live:
                break
        self.trace.end_time = queue.now
        return self.rows[start:]

    def take(self, event_id: str) -> list[tuple]:
        """Handle the pending event ``event_id`` now, out of its turn (step mode).

        A message delivered this way arrives earlier than its latency said: the learner
        chooses the order. Returns the trace rows it added.
        """
        entry = self._find_pending(event_id)
        self._manual.append(("take", event_id, self._queue.pops, self.now))
        self._queue.cancel([entry])
        start = len(self.rows)
        self._queue.dispatch(entry, self)
        return self.rows[start:]

    def _find_pending(self, event_id: str):
        for entry in self._queue.entries():
            if self._is_live(entry) and self._describe(entry).id == event_id:
                return entry
        ids = [e.id for e in self.pending(limit=20)]
        raise ValueError(f"no pending event {event_id!r}; pending: {ids}")

    def drop(self, event_id: str) -> list[tuple]:
        """Lose the pending message ``event_id`` now, by hand (step mode): a drop with reason ``manual``.

        Only deliveries can be dropped; returns the trace rows added.
        """
        entry = self._find_pending(event_id)
        if entry[3] is not type(self)._deliver:
            raise ValueError(f"only messages can be dropped; {event_id!r} is not a delivery")
        self._manual.append(("drop", event_id, self._queue.pops, self.now))
        self._queue.cancel([entry])
        dst, src, mid, msg, _copy = entry[4:]
        self.rows.append((self.now, "drop", dst, src, mid, msg, "manual"))
        return self.rows[-1:]

    def inject(self, node, msg) -> list[tuple]:
        """Deliver ``msg`` from outside (``src=None``, like an :class:`Input`) to ``node`` now."""
        if node not in self.nodes:
            raise ValueError(f"inject: unknown node {node!r}; nodes are {list(self.nodes)}")
        check_message(msg)
        self._manual.append(("inject", (node, msg), self._queue.pops, self.now))
        start = len(self.rows)
        self._queue.dispatch((self.now, NORMAL, None, type(self)._deliver, node, None, next(self._mids), msg, 0), self)
        return self.rows[start:]

    def apply(self, fault: Fault) -> list[tuple]:
        """Apply a fault now, by hand (its ``at`` is ignored; ``until`` parts are scheduled)."""
        if not isinstance(fault, Fault):
            raise TypeError(f"apply() takes a Fault (Crash, Partition, ...), got {fault!r}")
        validate_faults([fault], self.scenario.node_ids, self.scenario._graph)
        self._manual.append(("apply", fault, self._queue.pops, self.now))
        start = len(self.rows)
        acts = fault.actions()
        first = acts[0][0]
        now = self.now
        for at, kind, args in acts:
            if at == first:
                self._do_fault(kind, args, now)
            else:
                self._schedule_fault(now + (at - first), kind, args)
        return self.rows[start:]

    def fork(self, t: float, faults=()):
        """Replay this run to time ``t``, then continue under a different fault schedule.

        The new simulation keeps every fault action before ``t`` (and the manual steps taken
        before ``t``), drops the old schedule's actions from ``t`` on, and adds ``faults``
        (which must happen at or after ``t``). Its trace up to ``t`` equals this one's.
        """
        t = number("fork t", t, low=0.0)
        if faults is None:
            faults = ()
        if isinstance(faults, Fault):
            faults = [faults]
        for f in faults:
            if not isinstance(f, Fault):
                raise TypeError(f"fork faults must be Faults, got {f!r}")
            if min(a[0] for a in f.actions()) < t:
                raise ValueError(f"fork faults must happen at or after t={t:g}, got {f!r}")
        # fault events taken by hand before t already happened, whenever they were due
        taken = {arg for op, arg, _pops, when in self._manual if op == "take" and when < t}
        kept = [_Action(at, kind, args) for at, _i, kind, args in expand(self.faults)
                if at < t or fault_event_id(kind, args, at) in taken]
        scenario = self.scenario.replace(faults=tuple(kept) + tuple(faults), nemesis=None)
        child = type(self)(scenario, seed=self.seed)
        for op, arg, pops, when in self._manual:
            if when >= t:  # like the fault actions: only what happened before t
                break
            queue = child._queue
            while queue.pops < pops and len(queue):
                queue.dispatch_next(child)
            queue.advance(when)  # the step may have come after run_until moved the clock
            if op == "take":
                child.take(arg)
            elif op == "drop":
                child.drop(arg)
            elif op == "inject":
                child.inject(*arg)
            else:
                child.apply(arg)
        child.run_until(t)
        return child
