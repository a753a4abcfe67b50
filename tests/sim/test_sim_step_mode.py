"""Step mode: look at what is pending, take events out of order, apply faults by hand, fork."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsysedu.sim import Crash, CutLink, LinkModel, Partition, Pause, PendingEvent, Scenario, Simulation, Slow, run
from sim_helpers import Chat, fault_lists, scenarios


def race_scenario(**kw):
    """Nodes 0 and 1 each send one message to node 2 at t=0: 0's arrives at 0.1, 1's at 0.5.
    Node 0 sends a second message when its timer fires at 0.3 (arriving at 0.4)."""
    from sim_helpers import Sender
    base = dict(nodes=3, params={"to": 2, "count": 1},
                node_params={0: {"to": 2, "count": 2, "gap": 0.3}},
                link=LinkModel(latency=0.1), links={(1, 2): LinkModel(latency=0.5)}, until=2.0)
    base.update(kw)
    return Scenario(Sender, **base)


def got_order(trace, node=2):
    return [v[0] for n, v in zip(trace.observations("got").node, trace.observations("got").value) if n == node]


def start_all(sim):
    for _ in sim.scenario.node_ids:
        sim.step()


def test_pending_lists_starts_then_deliveries_and_timers():
    sim = Simulation(race_scenario())
    first = sim.pending()
    assert [(p.id, p.time, p.kind, p.node) for p in first] == [("start:0", 0.0, "start", 0),
                                                                ("start:1", 0.0, "start", 1),
                                                                ("start:2", 0.0, "start", 2)]
    start_all(sim)
    pend = sim.pending()
    assert [(p.kind, p.node, p.src) for p in pend] == [("deliver", 2, 0), ("timer", 0, None), ("deliver", 2, 1)]
    assert [p.time for p in pend] == pytest.approx([0.1, 0.3, 0.5])
    assert pend[0].detail == Chat(0, 0, 0) and pend[1].detail == "next"
    assert all(isinstance(p, PendingEvent) and p.label() for p in pend)
    assert sim.pending(limit=1) == pend[:1]


def test_step_handles_one_event_and_returns_its_rows():
    sim = Simulation(race_scenario())
    rows = sim.step()
    assert [r[1] for r in rows] == ["start", "send", "timer_set"] and rows[0][2] == 0
    sim.step()
    sim.step()
    rows = sim.step()
    assert [r[1:3] for r in rows] == [("deliver", 2), ("observe", 2)]
    assert sim.now == pytest.approx(0.1)
    assert sim.trace.rows[-2:] == rows


def test_cancelled_timers_are_not_pending_and_not_stepped():
    from dsysedu.sim import Node

    class SetCancel(Node):
        def on_start(self, ctx):
            ctx.set_timer("x", 0.2)
            ctx.set_timer("y", 0.4)
            ctx.cancel_timer("x")

        def on_timer(self, ctx, name):
            ctx.observe("fired", name)

    sim = Simulation(Scenario(SetCancel, nodes=1, until=1.0))
    sim.step()
    assert [p.detail for p in sim.pending()] == ["y"]
    rows = sim.step()
    assert [r[1] for r in rows] == ["timer_fire", "observe"] and rows[0][5] == "y"
    assert sim.step() == [] and sim.pending() == []


def test_take_delivers_out_of_order():
    natural = run(race_scenario())
    assert got_order(natural) == [0, 0, 1]
    sim = Simulation(race_scenario())
    start_all(sim)
    late = [p for p in sim.pending() if p.kind == "deliver" and p.src == 1][0]
    rows = sim.take(late.id)
    assert rows[0][:4] == (0.0, "deliver", 2, 1)       # delivered now, ahead of its latency
    assert late.id not in [p.id for p in sim.pending()]
    trace = sim.run()
    assert got_order(trace) == [1, 0, 0]
    assert sum(r[1] == "deliver" and r[3] == 1 for r in trace.rows) == 1   # not delivered twice


def test_take_a_timer_early():
    sim = Simulation(race_scenario())
    start_all(sim)
    timer = [p for p in sim.pending() if p.kind == "timer"][0]
    sim.take(timer.id)
    trace = sim.run()
    sends = [r for r in trace.rows if r[1] == "send" and r[2] == 0]
    assert [r[0] for r in sends] == [0.0, 0.0]        # the second send no longer waits for 0.3
    assert [r[0] for r in trace.rows if r[1] == "timer_fire"] == [0.0, 0.3]   # taken, then re-armed


def test_take_unknown_event():
    sim = Simulation(race_scenario())
    with pytest.raises(ValueError, match=r"no pending event 'deliver:99'; pending: \['start:0'"):
        sim.take("deliver:99")


def test_apply_fault_by_hand():
    sim = Simulation(race_scenario())
    start_all(sim)
    sim.run_until(0.05)
    rows = sim.apply(Crash(2, at=123.0, until=123.2))   # at is ignored; the recovery comes 0.2 s later
    assert [r[:3] for r in rows] == [(0.05, "crash", 2)]
    assert sim.status(2) == "crashed"
    trace = sim.run()
    assert [round(r[0], 9) for r in trace.rows if r[1] == "recover"] == [0.25]
    assert trace.messages().status.tolist() == ["dropped", "delivered", "delivered"]
    with pytest.raises(TypeError, match="apply\\(\\) takes a Fault"):
        sim.apply("crash")
    with pytest.raises(ValueError, match="unknown node 7"):
        sim.apply(Crash(7, at=0.0))


def test_run_after_stepping_finishes_the_same_trace():
    sim = Simulation(race_scenario())
    for _ in range(5):
        sim.step()
    assert sim.run() == run(race_scenario())


# ------------------------------------------------------------------ fork


def test_fork_same_prefix_then_new_faults_bite():
    parent = Simulation(race_scenario())
    original = parent.run()
    child = parent.fork(0.25, [Crash(2, at=0.3)])
    forked = child.run()
    assert forked.prefix(0.25).rows == original.prefix(0.25).rows
    assert forked.rows != original.rows
    assert got_order(original) == [0, 0, 1] and got_order(forked) == [0]
    assert forked.messages().drop_reason.tolist()[1:] == ["crashed", "crashed"]


def test_fork_drops_the_old_schedule_after_t_and_keeps_it_before():
    parent = Simulation(race_scenario(faults=[Pause(2, at=0.05, until=0.15), Crash(2, at=0.35)]))
    original = parent.run()
    assert got_order(original) == [0]
    forked = parent.fork(0.3).run()
    assert [r[1] for r in forked.rows if r[1] in ("pause", "resume", "crash")] == ["pause", "resume"]
    assert got_order(forked) == [0, 0, 1]
    assert [r for r in forked.rows if r[0] < 0.3] == [r for r in original.rows if r[0] < 0.3]


def test_fork_checks_its_faults():
    parent = Simulation(race_scenario())
    parent.run()
    with pytest.raises(ValueError, match="must happen at or after t=0.5"):
        parent.fork(0.5, [Crash(2, at=0.4)])
    with pytest.raises(TypeError, match="fork faults must be Faults"):
        parent.fork(0.5, ["crash"])


def manual_parent():
    sim = Simulation(race_scenario())
    start_all(sim)
    late = [p for p in sim.pending() if p.kind == "deliver" and p.src == 1][0]
    sim.take(late.id)                    # at t=0
    sim.run_until(0.2)                   # nothing happens at 0.2: the clock jumps there
    sim.apply(Crash(0, at=0.0))          # at t=0.2, before 0's timer at 0.3
    sim.run()
    return sim


def test_fork_replays_manual_steps_before_t():
    parent = manual_parent()
    assert got_order(parent.trace) == [1, 0]
    child = parent.fork(0.25)
    forked = child.run()
    assert forked == parent.trace


@pytest.mark.parametrize("t", [0.1, 0.15, 0.19])
def test_fork_before_a_manual_step_leaves_it_out(t):
    parent = manual_parent()
    child = parent.fork(t)
    assert child.now <= t
    forked = child.run()
    assert [r for r in forked.rows if r[0] < t] == [r for r in parent.trace.rows if r[0] < t]
    assert forked.count("crash") == 0
    assert got_order(forked) == [1, 0, 0]


def test_fork_after_taking_a_fault_early():
    parent = Simulation(race_scenario(faults=[Crash(2, at=1.0)]))
    start_all(parent)
    fault = [p for p in parent.pending() if p.kind == "fault"][0]
    parent.take(fault.id)                # the crash happens now, at t=0
    original = parent.run()
    forked = parent.fork(0.5).run()
    assert [r for r in forked.rows if r[0] < 0.5] == [r for r in original.rows if r[0] < 0.5]
    assert forked.count("crash") == 1


def test_fork_at_the_instant_of_a_manual_step():
    """Forking at t keeps what happened before t: scheduled faults and manual steps alike."""
    parent = Simulation(race_scenario(faults=[Crash(2, at=0.3, until=0.6)]))
    parent.run_until(0.3)                                   # the crash at 0.3 has happened
    recover = [p for p in parent.pending() if p.kind == "fault"][0]
    parent.take(recover.id)                                 # and by hand, the recovery too
    original = parent.run()
    child = parent.fork(0.3)
    assert child.now <= 0.3
    forked = child.run()
    assert [r for r in forked.rows if r[0] < 0.3] == [r for r in original.rows if r[0] < 0.3]
    assert forked.count("crash") == forked.count("recover") == 0


# ------------------------------------------------------------------ property: fork reproduces the prefix


@st.composite
def manual_runs(draw):
    sc = draw(scenarios(max_nodes=5, max_until=1.5, max_events=1500))
    sim = Simulation(sc)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["step", "take", "run", "apply"]))
        if op == "step":
            sim.step()
        elif op == "take":
            pend = sim.pending(limit=8)
            if pend:
                sim.take(draw(st.sampled_from(pend)).id)
        elif op == "run":
            sim.run_until(sim.now + draw(st.integers(0, 30)) / 100)
        else:
            faults = draw(fault_lists(sc.node_ids, max_faults=1, graph=sc.graph))
            if faults:
                sim.apply(faults[0])
    trace = sim.run()
    t = draw(st.integers(0, int(sc.until * 100))) / 100
    new = [f for f in draw(fault_lists(sc.node_ids, max_faults=2, graph=sc.graph)) if min(a[0] for a in f.actions()) >= t]
    return sim, trace, t, new


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manual_runs())
def test_fork_reproduces_the_prefix(case):
    sim, trace, t, new = case
    child = sim.fork(t, new)
    assert child.now <= t
    forked = child.run()
    assert [r for r in forked.rows if r[0] < t] == [r for r in trace.rows if r[0] < t]
    if not new:
        assert sim.fork(t).run().rows == forked.rows   # forking is deterministic too


def test_drop_by_hand_loses_the_message_and_fork_replays_it():
    from dsysedu import LinkModel, Scenario, Simulation, Uniform
    from dsysedu.protocols.basics.toys import PingEcho
    sc = Scenario(PingEcho, nodes=3, params={"rounds": 3}, link=LinkModel(latency=Uniform(0.01, 0.05)), until=1.0)
    sim = Simulation(sc, seed=2)
    sim.run_until(0.001)
    target = next(p for p in sim.pending() if p.kind == "deliver")
    rows = sim.drop(target.id)
    assert rows[0][1] == "drop" and rows[0][6] == "manual"
    assert target.id not in [p.id for p in sim.pending()]
    sim.run()
    mid = int(target.id.split(":")[1])
    assert not any(r[1] == "deliver" and r[4] == mid for r in sim.rows)
    child = sim.fork(0.5)
    assert child.trace.prefix(0.5).rows == sim.trace.prefix(0.5).rows
    import pytest
    timer = next(p for p in Simulation(sc, seed=2).pending() if p.kind == "start")
    with pytest.raises(ValueError, match="only messages"):
        Simulation(sc, seed=2).drop(timer.id)


def test_inject_delivers_from_outside_now_and_fork_replays_it():
    from dsysedu import Scenario, Simulation
    from dsysedu.protocols.basics.request_reply import Request, RequestReply
    sim = Simulation(Scenario(RequestReply, nodes=2, node_params={0: {"requests": 0}}, until=1.0), seed=1)
    sim.run_until(0.3)
    rows = sim.inject(1, Request(99))
    assert rows[0][1] == "deliver" and rows[0][3] is None and rows[0][0] == 0.3
    assert any(r[1] == "observe" and r[5] == "applied" and r[6] == 99 for r in rows)
    sim.run()
    child = sim.fork(0.6)
    assert child.trace.rows == sim.trace.prefix(0.6).rows
    import pytest
    with pytest.raises(ValueError, match="unknown node"):
        sim.inject(7, Request(1))
