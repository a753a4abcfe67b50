"""Timers on the node's own clock (``Scenario(timer_clock="local")``) and clock-rate changes (``ClockDrift``)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.sim import ClockDrift, ClockJump, Node, Scenario, run
from dsysedu.protocols.basics.toys import Flood
from tests.sim.sim_helpers import fault_lists


class Alarm(Node):
    """Sets one timer of ``delay`` seconds at start and again each time it fires; observes its clock."""

    def __init__(self, node_id, peers=(), delay=1.0):
        super().__init__(node_id, peers)
        self.delay = delay

    def on_start(self, ctx):
        ctx.observe("clock", ctx.clock())
        ctx.set_timer("alarm", self.delay)

    def on_timer(self, ctx, name):
        ctx.observe("clock", ctx.clock())
        ctx.set_timer("alarm", self.delay)


def fire_times(trace, node=0):
    return [r[0] for r in trace.rows if r[1] == "timer_fire" and r[2] == node]


def clocks(trace, node=0):
    return [r[6] for r in trace.rows if r[1] == "observe" and r[2] == node and r[5] == "clock"]


drifts = st.floats(-0.5, 0.5, allow_nan=False)
delays = st.floats(0.05, 2.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(drift=drifts, delay=delays, offset=st.floats(-100, 100, allow_nan=False))
def test_a_local_timer_waits_its_delay_on_the_nodes_own_clock(drift, delay, offset):
    trace = run(Scenario(Alarm, nodes=1, params={"delay": delay}, clock_drift=drift, clock_offset=offset,
                         timer_clock="local", until=4.0))
    fires = fire_times(trace)
    assert fires and fires[0] == pytest.approx(delay / (1 + drift))
    readings = clocks(trace)
    assert all(b - a == pytest.approx(delay) for a, b in zip(readings, readings[1:]))   # as the node counts


@settings(max_examples=40, deadline=None)
@given(drift=drifts, delay=delays)
def test_a_true_timer_ignores_the_drift(drift, delay):
    trace = run(Scenario(Alarm, nodes=1, params={"delay": delay}, clock_drift=drift, until=4.0))
    assert fire_times(trace) == pytest.approx([delay * k for k in range(1, len(fire_times(trace)) + 1)])


@settings(max_examples=30, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_with_no_drift_local_timers_change_nothing(data, seed):
    faults = data.draw(fault_lists(list(range(4)), kinds=("crash", "partition", "pause", "jump")))
    sc = Scenario(Flood, nodes=4, faults=faults, until=3.0)
    assert run(sc, seed=seed).rows == run(sc.replace(timer_clock="local"), seed=seed).rows


@pytest.mark.parametrize("timer_clock", ["true", "local"])
def test_a_clock_jump_never_moves_a_pending_timer(timer_clock):
    base = Scenario(Alarm, nodes=1, params={"delay": 1.0}, clock_drift=0.25, timer_clock=timer_clock, until=3.5)
    jumped = base.replace(faults=[ClockJump(0, at=0.5, delta=-3.0)])
    assert fire_times(run(jumped)) == fire_times(run(base))


def test_a_rate_change_retimes_the_pending_timer_and_the_next_ones():
    sc = Scenario(Alarm, nodes=1, params={"delay": 1.0}, timer_clock="local", until=4.0,
                  faults=[ClockDrift(0, at=0.5, drift=0.25)])
    # the pending timer has 0.5 s of its clock left at 0.5: 0.4 s of true time at the new rate;
    # the next ones last 1 / 1.25 = 0.8 s
    assert fire_times(run(sc)) == pytest.approx([0.9, 1.7, 2.5, 3.3])
    true_timers = sc.replace(timer_clock="true")
    assert fire_times(run(true_timers)) == pytest.approx([1.0, 2.0, 3.0, 4.0])   # true timers ignore the rate
    readings = clocks(run(sc))
    assert readings[:2] == pytest.approx([0.0, 0.5 + 0.4 * 1.25])   # 1 s on its clock, continuous at the change


@pytest.mark.parametrize("bad", ["wall", "", None, 1, True])
def test_timer_clock_must_be_named(bad):
    with pytest.raises(ValueError, match=r"timer_clock must be one of \['true', 'local'\], got"):
        Scenario(Flood, nodes=2, timer_clock=bad)


@pytest.mark.parametrize("drift", [0.51, -0.6, float("nan")])
def test_clock_drift_fault_is_bounded(drift):
    with pytest.raises(ValueError, match="ClockDrift.drift must be"):
        ClockDrift(0, at=1.0, drift=drift)


@settings(max_examples=40, deadline=None)
@given(first=drifts, second=drifts, at=st.floats(0.0, 3.0, allow_nan=False), delay=delays)
def test_local_timers_always_wait_their_delay_on_the_nodes_clock(first, second, at, delay):
    sc = Scenario(Alarm, nodes=1, params={"delay": delay}, clock_drift=first, timer_clock="local", until=5.0,
                  faults=[ClockDrift(0, at=at, drift=second)])
    readings = clocks(run(sc))
    assert len(readings) >= 2
    assert all(b - a == pytest.approx(delay) for a, b in zip(readings, readings[1:]))
