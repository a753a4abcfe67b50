"""The event queue: the run's clock and its pending events, kept in a SimPy Environment.

SimPy's :class:`simpy.Environment` holds the clock and a heap of entries keyed
``(time, priority, id)``; the id is an insertion counter, so events at the same time run
by priority (``URGENT`` before ``NORMAL``) and then in the order they were scheduled. That
key is what makes a run deterministic, and the kernel keeps it.

The kernel's entries are not SimPy :class:`~simpy.events.Event` objects but plain tuples
``(time, priority, id, handler, *fields)``: ``handler(owner, entry, now)`` handles the event
and returns True when it counts towards the scenario's event bound. One tuple per event is
the cheapest record Python makes (a SimPy event costs a Python ``__init__`` and a second
object per message). ``handler`` is a plain function and the owner (the simulation) is
passed in by the loop, so that queued events hold no reference to their simulation: a
finished simulation is freed as soon as it is dropped. Because of that, the loop that pops
and dispatches is here, not ``Environment.step``. An event taken out of its turn (step
mode) or lost with a crashed node is cancelled: its entry is replaced, in place, by one
with the same key whose handler does nothing.

This class is the only code that touches SimPy's private attributes (``_queue``,
``_eid``, ``_now``).
"""
from __future__ import annotations

import gc
from functools import partial
from heapq import heappop, heappush

import simpy
from simpy.core import NORMAL, URGENT

__all__ = ["EventQueue", "NORMAL", "URGENT", "CANCELLED", "LARGE_RUN"]

LARGE_RUN = 50_000  # events in one run_until call from which what the run keeps is treated as long-lived


def CANCELLED(owner, entry, now) -> bool:
    """The handler of a cancelled entry: nothing happens, and it does not count towards the bound."""
    return False


class EventQueue:
    """The clock and the pending events of one run.

    Attributes
    ----------
    handled : int
        Events dispatched that count towards the event bound.
    pops : int
        Entries taken from the heap (counted or not): step mode replays manual steps by this count.
    push : callable
        ``push((time, priority, next(ids), handler, *fields))``: the hot paths' way to schedule
        (C calls only, no Python frame).
    ids : iterator
        The insertion ids.

    Examples
    --------
    >>> q = EventQueue()
    >>> q.schedule(1.5, lambda owner, entry, now: True)
    >>> q.run_until(2.0, limit=10, owner=None), q.now, q.handled
    (False, 2.0, 1)
    """

    __slots__ = ("env", "_heap", "push", "ids", "handled", "pops")

    def __init__(self):
        env = simpy.Environment()
        self.env = env
        self._heap = env._queue
        self.push = partial(heappush, env._queue)
        self.ids = env._eid
        self.handled = 0
        self.pops = 0

    @property
    def now(self) -> float:
        """The simulated time."""
        return self.env._now

    def __len__(self) -> int:
        return len(self._heap)

    def entries(self) -> list:
        """The queued entries, in heap order (read them, do not change the list)."""
        return self._heap

    def first(self):
        """The entry that comes next, or None when nothing is queued."""
        return self._heap[0] if self._heap else None

    def schedule(self, at: float, handler, *fields, priority=NORMAL) -> None:
        """Queue ``handler(owner, entry, now)`` at time ``at`` (``URGENT`` goes ahead of ``NORMAL`` then)."""
        heappush(self._heap, (at, priority, next(self.ids), handler) + fields)

    def reschedule(self, at: float, entry, priority=URGENT) -> None:
        """Queue the event of an entry taken from the queue again, at time ``at``."""
        heappush(self._heap, (at, priority, next(self.ids)) + entry[3:])

    def cancel(self, entries) -> None:
        """Cancel queued ``entries``: each keeps its place (and is popped in its turn) but does nothing."""
        heap = self._heap
        for entry in entries:
            heap[heap.index(entry)] = entry[:3] + (CANCELLED,)

    def advance(self, t: float) -> None:
        """Move the clock forward to ``t`` (never back)."""
        if t > self.env._now:
            self.env._now = t

    def run_until(self, t: float, limit: int, owner) -> bool:
        """Dispatch every event due at or before ``t`` to ``owner``; True if stopped by the event bound ``limit``.

        When every due event ran, the clock moves to ``t``.

        Python's cyclic garbage collector is held off while the loop runs. A run grows its
        trace by millions of small tuples, which the collector would scan again and again (it
        was 2/3 of the run time), and handlers make no reference cycles worth collecting
        mid-run. After a large run (``LARGE_RUN`` events or more), what it made and keeps is
        long-lived: it goes to the oldest generation at once (``gc.freeze`` + ``gc.unfreeze``
        does that without a scan) rather than being scanned by the next young collections,
        a fifth of the run's time. A small run leaves the collector's generations as they are.
        """
        heap, env = self._heap, self.env
        handled, pops, now = self.handled, self.pops, env._now
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            while heap and heap[0][0] <= t:
                if handled >= limit:
                    return True
                pops += 1
                entry = heappop(heap)
                now = entry[0]
                if entry[3](owner, entry, now):  # handlers are given the time; the clock is set on the way out
                    handled += 1
        finally:
            if gc_was_enabled:
                if pops - self.pops >= LARGE_RUN:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
            self.handled, self.pops, env._now = handled, pops, now
        if t > now:
            env._now = t
        return False

    def dispatch_next(self, owner) -> None:
        """Take the next entry and dispatch it to ``owner`` (step mode)."""
        self.pops += 1
        entry = heappop(self._heap)
        self.env._now = entry[0]
        if entry[3](owner, entry, entry[0]):
            self.handled += 1

    def dispatch(self, entry, owner) -> None:
        """Handle the event of ``entry`` now, outside the queue (step mode: a taken or injected event)."""
        if entry[3](owner, entry, self.env._now):
            self.handled += 1
