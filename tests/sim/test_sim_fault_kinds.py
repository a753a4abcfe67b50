"""The fault kinds: named once in ``sim.faults``, applied by one kernel method each, known to the
trace and to the views' index."""
from __future__ import annotations

import pytest

from dsysedu.sim import (ClockDrift, ClockJump, Crash, CutLink, Heal, LinkModel, Node, Partition, Pause, Recover, RestoreLink,
                         Resume, Scenario, Simulation, Slow, run)
from dsysedu.sim.faults import FAULT_KINDS
from dsysedu.viz._index import TraceIndex

ONE_OF_EACH = [Crash(0, at=0.1, until=0.2), Partition(((0, 1), (2,)), at=0.3, until=0.4), CutLink(0, 1, at=0.5),
               RestoreLink(0, 1, at=0.6), Slow(1, at=0.7, delay=0.05, until=0.8), Pause(2, at=0.9), Resume(2, at=1.0),
               ClockJump(1, at=1.1, delta=2.0), ClockDrift(2, at=1.15, drift=-0.2), Recover(0, at=1.2), Heal(at=1.3)]


class Ticker(Node):
    """Observes its clock every 0.1 s."""

    def on_start(self, ctx):
        ctx.set_timer("tick", 0.1)

    def on_timer(self, ctx, name):
        ctx.observe("clock", ctx.clock())
        ctx.set_timer("tick", 0.1)


def test_every_fault_action_is_one_of_the_named_kinds():
    kinds = [kind for f in ONE_OF_EACH for _at, kind, _args in f.actions()]
    assert set(kinds) == set(FAULT_KINDS) and len(FAULT_KINDS) == len(set(FAULT_KINDS))


def test_the_kernel_has_one_method_per_kind():
    for kind in FAULT_KINDS:
        assert callable(getattr(Simulation, f"_on_{kind}")), kind


def test_the_trace_and_the_views_index_know_every_kind():
    trace = run(Scenario(Ticker, nodes=3, faults=ONE_OF_EACH, until=1.5))
    recorded = [r[1] for r in trace.rows if r[1] in FAULT_KINDS]
    assert set(recorded) == set(FAULT_KINDS)           # the run records each kind...
    assert list(trace.faults().kind) == recorded       # ...the trace's fault table keeps every one...
    assert [f[1] for f in TraceIndex(trace).faults] == recorded   # ...and so does the views' index


# ------------------------------------------------------------------ one method per kind


def fresh(until=0.25):
    """Three tickers run to ``until`` (every node started, timers pending)."""
    sim = Simulation(Scenario(Ticker, nodes=3, link=LinkModel(latency=0.01), until=5.0), seed=1)
    sim.run_until(until)
    return sim


def fault(sim, kind, *args):
    """Apply one fault action through its kernel method; return the rows it added."""
    start = len(sim.rows)
    sim._do_fault(kind, args, sim.now)
    return [r[1:] for r in sim.rows[start:]]


def test_crash_stops_a_node_once_and_forgets_its_timers():
    sim = fresh()
    assert fault(sim, "crash", 0) == [("crash", 0, None, None, None, None)]
    assert sim.status(0) == "crashed" and not [p for p in sim.pending() if p.kind == "timer" and p.node == 0]
    assert fault(sim, "crash", 0) == []


def test_recover_builds_a_fresh_node_and_restarts_it():
    sim = fresh()
    old = sim.nodes[0]
    assert fault(sim, "recover", 0) == []                # not crashed: nothing to do
    fault(sim, "crash", 0)
    rows = fault(sim, "recover", 0)
    assert rows[0] == ("recover", 0, None, None, None, None) and rows[1][0] == "timer_set"   # on_recover = on_start
    assert sim.status(0) == "up" and sim.nodes[0] is not old


def test_pause_holds_a_node_and_resume_hands_it_its_backlog():
    sim = fresh()
    assert fault(sim, "resume", 1) == []                 # not paused
    assert fault(sim, "pause", 1) == [("pause", 1, None, None, None, None)]
    assert fault(sim, "pause", 1) == [] and sim.status(1) == "paused"
    sim.run_until(0.6)                                   # its ticks wait
    assert not [r for r in sim.rows if r[1] == "timer_fire" and r[2] == 1 and r[0] > 0.25]
    assert fault(sim, "resume", 1) == [("resume", 1, None, None, None, None)]
    assert [p.kind for p in sim.pending() if p.node == 1 and p.time == sim.now] == ["timer"]


def test_slow_sets_and_clears_the_handler_delay():
    sim = fresh()
    assert fault(sim, "slow", 2, 0.2) == [("slow", 2, None, None, None, 0.2)]
    sim.run_until(0.55)
    fires = [r[0] for r in sim.rows if r[1] == "timer_fire" and r[2] == 2]
    sets = [r[0] for r in sim.rows if r[1] == "timer_set" and r[2] == 2]
    assert fires[-1] == pytest.approx(0.3) and sets[-1] == pytest.approx(0.5)   # effects come 0.2 s late
    assert fault(sim, "slow", 2, 0.0) == [("slow", 2, None, None, None, 0.0)]
    assert sim._handler_delay == {}


def test_clock_jump_moves_one_nodes_clock():
    sim = fresh()
    before = [sim._clock_of(n, sim.now) for n in (0, 1)]
    assert fault(sim, "clock_jump", 1, -0.5) == [("clock_jump", 1, None, None, None, -0.5)]
    assert [sim._clock_of(n, sim.now) for n in (0, 1)] == [before[0], before[1] - 0.5]


def test_clock_drift_changes_the_rate_not_the_reading():
    sim = fresh()
    before = [sim._clock_of(n, sim.now) for n in (0, 1)]
    assert fault(sim, "clock_drift", 1, 0.25) == [("clock_drift", 1, None, None, None, 0.25)]
    assert [sim._clock_of(n, sim.now) for n in (0, 1)] == pytest.approx(before)   # no jump at the change
    later = sim.now + 0.4
    assert sim._clock_of(1, later) - before[1] == pytest.approx(0.4 * 1.25)       # the new rate from here
    assert sim._clock_of(0, later) - before[0] == pytest.approx(0.4)


def test_partition_and_heal_go_to_the_network():
    sim = fresh()
    assert fault(sim, "heal") == []                      # nothing to heal
    groups = ((0, 1), (2,))
    assert fault(sim, "partition", groups) == [("partition", None, None, None, groups, None)]
    assert sim._net.block_reason(0, 2) == "partition" and sim._net.block_reason(0, 1) is None
    assert fault(sim, "heal") == [("heal", None, None, None, None, None)]
    assert sim._net.block_reason(0, 2) is None


def test_cut_and_restore_go_to_the_network():
    sim = fresh()
    assert fault(sim, "restore", 0, 1) == []             # not cut
    assert fault(sim, "cut", 0, 1) == [("cut", 0, 1, None, None, None)]
    assert sim._net.block_reason(0, 1) == "cut" and sim._net.block_reason(1, 0) is None
    assert fault(sim, "restore", 0, 1) == [("restore", 0, 1, None, None, None)]
    assert not sim._net.blocked


def test_deliveries_check_for_faults_only_while_one_is_in_force():
    sim = fresh()
    assert sim._calm
    for on, off in ((("partition", ((0, 1), (2,))), ("heal",)), (("cut", 0, 1), ("restore", 0, 1)),
                    (("pause", 1), ("resume", 1)), (("crash", 2), ("recover", 2))):
        fault(sim, *on)
        assert not sim._calm, on
        fault(sim, *off)
        assert sim._calm, off
    fault(sim, "slow", 0, 0.1)
    sim.run_until(0.45)                # node 0's next tick is handled slowly: its effects wait
    assert not sim._calm
