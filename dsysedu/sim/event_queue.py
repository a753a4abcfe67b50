"""The event queue: the run's clock and its pending events, kept in a SimPy Environment.

SimPy's :class:`simpy.Environment` holds the clock and a heap of entries
``(time, priority, id, event)``; the id is an insertion counter, so events at the same
time run by priority (``URGENT`` before ``NORMAL``) and then in the order they were
scheduled. That key is what makes a run deterministic, and the kernel keeps it.

The kernel's events are not SimPy :class:`~simpy.events.Event` objects but small lists
``[handler, *fields]``: ``handler(owner, event, now)`` handles the event and returns True
when it counts towards the scenario's event bound. ``handler`` is a plain function and the
owner (the simulation) is passed in by the loop, so that queued events hold no reference
to their simulation: a finished simulation is freed as soon as it is dropped. One list
per event is the cheapest record Python makes (a SimPy event costs a Python ``__init__``
per message), and it can be marked in place (a step-mode ``take`` or a crash turns a
queued event into a no-op). Because of that, the loop that pops and dispatches is here,
not ``Environment.step``.

This class is the only code that touches SimPy's private attributes (``_queue``,
``_eid``, ``_now``).
"""
from __future__ import annotations

from functools import partial
from heapq import heappop, heappush

import simpy
from simpy.core import NORMAL, URGENT

__all__ = ["EventQueue", "NORMAL", "URGENT"]


class EventQueue:
    """The clock and the pending events of one run.

    Attributes
    ----------
    handled : int
        Events dispatched that count towards the event bound.
    pops : int
        Queue entries taken (counted or not): step mode replays manual steps by this count.
    push : callable
        ``push((time, priority, id, event))``: the hot paths' way to schedule, with an id from
        :attr:`new_id` (a C call each, no Python frame).
    new_id : callable
        The next insertion id.

    Examples
    --------
    >>> q = EventQueue()
    >>> q.schedule(1.5, [lambda owner, ev, now: True])
    >>> q.run_until(2.0, limit=10, owner=None), q.now, q.handled
    (False, 2.0, 1)
    """

    __slots__ = ("env", "_heap", "push", "new_id", "handled", "pops")

    def __init__(self):
        env = simpy.Environment()
        self.env = env
        self._heap = env._queue
        self.push = partial(heappush, env._queue)
        self.new_id = env._eid.__next__
        self.handled = 0
        self.pops = 0

    @property
    def now(self) -> float:
        """The simulated time."""
        return self.env._now

    def __len__(self) -> int:
        return len(self._heap)

    def entries(self) -> list:
        """The queued ``(time, priority, id, event)`` entries, in heap order (read them, do not change the list)."""
        return self._heap

    def first(self):
        """The event that comes next, or None when nothing is queued."""
        return self._heap[0][3] if self._heap else None

    def schedule(self, at: float, event, priority=NORMAL) -> None:
        """Queue ``event`` at time ``at`` (``URGENT`` goes ahead of ``NORMAL`` at the same time)."""
        heappush(self._heap, (at, priority, next(self.env._eid), event))

    def advance(self, t: float) -> None:
        """Move the clock forward to ``t`` (never back)."""
        if t > self.env._now:
            self.env._now = t

    def run_until(self, t: float, limit: int, owner) -> bool:
        """Dispatch every event due at or before ``t`` to ``owner``; True if stopped by the event bound ``limit``.

        When every due event ran, the clock moves to ``t``.
        """
        heap, env = self._heap, self.env
        handled, pops = self.handled, self.pops
        try:
            while heap and heap[0][0] <= t:
                if handled >= limit:
                    return True
                pops += 1
                now, _, _, event = heappop(heap)
                env._now = now
                if event[0](owner, event, now):
                    handled += 1
        finally:
            self.handled, self.pops = handled, pops
        if t > env._now:
            env._now = t
        return False

    def dispatch_next(self, owner) -> None:
        """Take the next entry and dispatch it to ``owner`` (step mode)."""
        self.pops += 1
        now, _, _, event = heappop(self._heap)
        self.env._now = now
        if event[0](owner, event, now):
            self.handled += 1

    def dispatch(self, event, owner) -> None:
        """Handle ``event`` now, outside the queue (step mode: a taken or injected event)."""
        if event[0](owner, event, self.env._now):
            self.handled += 1
