"""The event queue: SimPy's (time, priority, insertion id) order, the event bound, the clock,
cancelling in place."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.sim.event_queue import CANCELLED, NORMAL, URGENT, EventQueue

OWNER = "the simulation"


def recorder(log, counts=True):
    """An event handler that logs ``(name, now)`` and says whether it counts towards the bound."""
    def handle(owner, entry, now):
        assert owner is OWNER
        log.append((entry[4], now))
        return counts
    return handle


def test_time_then_priority_then_insertion_order():
    q, log = EventQueue(), []
    h = recorder(log)
    q.schedule(2.0, h, "late")
    q.schedule(1.0, h, "normal-1")
    q.schedule(1.0, h, "urgent", priority=URGENT)
    q.schedule(1.0, h, "normal-2", priority=NORMAL)
    q.schedule(0.5, h, "early")
    assert q.run_until(10.0, limit=100, owner=OWNER) is False
    assert log == [("early", 0.5), ("urgent", 1.0), ("normal-1", 1.0), ("normal-2", 1.0), ("late", 2.0)]
    assert q.now == 10.0 and len(q) == 0 and q.first() is None


def test_events_scheduled_while_running_take_their_place():
    q, log = EventQueue(), []

    def chain(owner, entry, now):
        log.append((entry[4], now))
        if entry[4] < 3:
            q.push((now + 1.0, NORMAL, next(q.ids), chain, entry[4] + 1))
        return True

    q.schedule(0.0, chain, 0)
    q.schedule(1.0, recorder(log), "other")   # scheduled first: ahead of chain's event at t=1
    q.run_until(5.0, limit=100, owner=OWNER)
    assert log == [(0, 0.0), ("other", 1.0), (1, 1.0), (2, 2.0), (3, 3.0)]


def test_run_until_leaves_later_events_and_moves_the_clock():
    q, log = EventQueue(), []
    q.schedule(1.0, recorder(log), "a")
    q.schedule(3.0, recorder(log), "b")
    q.run_until(2.0, limit=100, owner=OWNER)
    assert log == [("a", 1.0)] and q.now == 2.0 and len(q) == 1
    assert q.first()[4] == "b"


def test_the_bound_counts_only_events_that_say_so():
    q, log = EventQueue(), []
    for k in range(4):
        q.schedule(float(k), recorder(log, counts=k % 2 == 0), k)
    q.schedule(9.0, recorder(log), "last")
    stopped = q.run_until(100.0, limit=2, owner=OWNER)
    # events 0 and 2 count (1 does not); the bound is checked before each pop, so the run stops after 2
    assert stopped is True and [name for name, _ in log] == [0, 1, 2]
    assert q.handled == 2 and q.pops == 3
    assert q.now == 2.0          # stopped by the bound: the clock stays at the last event


def test_dispatch_next_and_dispatch_count_like_the_loop():
    q, log = EventQueue(), []
    q.schedule(1.0, recorder(log), "queued")
    q.dispatch((q.now, NORMAL, None, recorder(log), "outside"), OWNER)   # handled now, at the current time
    assert log == [("outside", 0)] and q.handled == 1 and q.pops == 0
    q.dispatch_next(OWNER)
    assert log[-1] == ("queued", 1.0) and q.handled == 2 and q.pops == 1 and q.now == 1.0


def test_reschedule_keeps_the_event_with_a_new_key():
    q, log = EventQueue(), []
    q.schedule(1.0, recorder(log), "x")
    q.schedule(2.0, recorder(log), "y")
    entry = q.first()
    q.dispatch_next(OWNER)
    q.reschedule(2.0, entry)                   # URGENT by default: ahead of "y" at the same time
    q.run_until(5.0, limit=100, owner=OWNER)
    assert log == [("x", 1.0), ("x", 2.0), ("y", 2.0)]


def test_advance_never_moves_the_clock_back():
    q = EventQueue()
    q.advance(2.0)
    q.advance(1.0)
    assert q.now == 2.0


def test_a_cancelled_event_keeps_its_place_and_does_nothing():
    q, log = EventQueue(), []
    for name in "abc":
        q.schedule(1.0, recorder(log), name)
    b = [e for e in q.entries() if e[4] == "b"][0]
    q.cancel([b])
    assert sorted(e[:3] for e in q.entries()) == [(1.0, NORMAL, i) for i in range(3)]
    assert [e[3] is CANCELLED for e in sorted(q.entries())] == [False, True, False]
    q.run_until(2.0, limit=10, owner=OWNER)
    assert log == [("a", 1.0), ("c", 1.0)] and q.handled == 2 and q.pops == 3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([URGENT, NORMAL])), max_size=30))
def test_order_is_the_sorted_keys(keys):
    q, log = EventQueue(), []
    h = recorder(log)
    for i, (t, prio) in enumerate(keys):
        q.schedule(float(t), h, i, priority=prio)
    q.run_until(10.0, limit=1000, owner=OWNER)
    expected = [i for _, _, i in sorted((t, p, i) for i, (t, p) in enumerate(keys))]
    assert [name for name, _ in log] == expected
