"""The kernel on small hand-made scenarios: timers, inputs from outside, partitions and cut
links, the run bounds, determinism and memory."""
from __future__ import annotations

import gc
import weakref

import networkx as nx
import pandas as pd
import pytest

from dsysedu.protocols.basics.toys import Flood, PingEcho
from dsysedu.sim import (Constant, CutLink, Heal, Input, LinkModel, Node, Partition, RestoreLink, Scenario,
                         Simulation, Uniform, run)
from sim_helpers import Chat, Chatter, Note, PingPong, Recorder, Sender


class TimerPlan(Node):
    """Applies ``plan`` on start: ("set", name, delay) or ("cancel", name); observes each firing."""

    def __init__(self, node_id, peers=(), plan=(), again=None):
        super().__init__(node_id, peers)
        self.plan = plan
        self.again = again

    def on_start(self, ctx):
        for step in self.plan:
            if step[0] == "set":
                ctx.set_timer(step[1], step[2])
            else:
                ctx.cancel_timer(step[1])

    def on_timer(self, ctx, name):
        ctx.observe("fired", name)
        if self.again is not None and name == self.again[0]:
            count = self.again[1]
            if count > 1:
                self.again = (name, count - 1)
                ctx.set_timer(name, 0.1)


def fired(plan, until=5.0, again=None):
    trace = run(Scenario(TimerPlan, nodes=1, params={"plan": plan, "again": again}, until=until))
    obs = trace.observations("fired")
    return list(zip(obs.time.round(9), obs.value)), trace


# ------------------------------------------------------------------ timers


def test_timer_fires_after_its_delay():
    got, trace = fired([("set", "t", 0.25)])
    assert got == [(0.25, "t")]
    assert [r[6] for r in trace.rows if r[1] == "timer_set"] == [0.25]   # value: the due time


def test_same_name_replaces_earlier_and_later():
    assert fired([("set", "t", 0.5), ("set", "t", 0.2)])[0] == [(0.2, "t")]
    assert fired([("set", "t", 0.2), ("set", "t", 0.5)])[0] == [(0.5, "t")]


def test_different_names_are_independent():
    assert fired([("set", "t", 0.5), ("set", ("t", 2), 0.2)])[0] == [(0.2, ("t", 2)), (0.5, "t")]


def test_cancel():
    got, trace = fired([("set", "t", 0.2), ("set", "u", 0.3), ("cancel", "t"), ("cancel", "never-set")])
    assert got == [(0.3, "u")]
    assert [r[5] for r in trace.rows if r[1] == "timer_cancel"] == ["t"]   # only a pending timer is cancelled


def test_cancel_then_set_again():
    assert fired([("set", "t", 0.2), ("cancel", "t"), ("set", "t", 0.4)])[0] == [(0.4, "t")]


def test_fire_order_is_time_then_setting_order():
    plan = [("set", "c", 0.3), ("set", "b", 0.1), ("set", "a", 0.1), ("set", "z", 0.0)]
    assert [name for _t, name in fired(plan)[0]] == ["z", "b", "a", "c"]


def test_timer_rearmed_in_its_handler():
    got, trace = fired([("set", "tick", 0.1)], again=("tick", 4))
    assert got == [(0.1, "tick"), (0.2, "tick"), (0.3, "tick"), (0.4, "tick")]
    assert trace.ended_by == "quiescent"


def test_timer_beyond_the_bound_does_not_fire():
    got, trace = fired([("set", "t", 2.0)], until=1.0)
    assert got == [] and trace.ended_by == "time"


# ------------------------------------------------------------------ inputs


def test_inputs_arrive_from_outside():
    sc = Scenario(Recorder, nodes=2, inputs=[Input(0.3, 1, Note("x")), Input(0.1, 0, Note("y"))], until=1.0)
    trace = run(sc)
    delivers = [r for r in trace.rows if r[1] == "deliver"]
    assert [(r[0], r[2], r[3], r[5]) for r in delivers] == [(0.1, 0, None, Note("y")), (0.3, 1, None, Note("x"))]
    assert trace.count("send") == 0
    got = trace.observations("got")
    assert got.value.tolist() == [(None, Note("y")), (None, Note("x"))]
    msgs = trace.messages()
    assert msgs.src.isna().all() and (msgs.status == "delivered").all()


def test_inputs_ignore_partitions():
    sc = Scenario(Recorder, nodes=2, inputs=[Input(0.5, 1, Note("x"))],
                  faults=[Partition([[0], [1]], at=0.0)], until=1.0)
    assert run(sc).observations("got").value.tolist() == [(None, Note("x"))]


# ------------------------------------------------------------------ partitions and cut links


def sender_scenario(faults, count=10, gap=0.1, latency=0.05, nodes=2, **kw):
    return Scenario(Sender, nodes=nodes, params={"to": 1, "count": count, "gap": gap},
                    link=LinkModel(latency=latency), faults=faults, until=3.0, **kw)


def test_partition_drops_at_send_and_in_flight():
    # sends at 0.0, 0.1, ..., 0.9 arrive 0.05 later; the partition holds over [0.32, 0.61)
    trace = run(sender_scenario([Partition([[0], [1]], at=0.32, until=0.61)]))
    msgs = trace.messages().set_index("msg_id")
    by_send = {round(r.send_time, 9): (r.status, None if pd.isna(r.drop_reason) else r.drop_reason)
               for r in msgs.itertuples()}
    assert by_send[0.3] == ("dropped", "partition")   # on the wire when the partition began
    assert by_send[0.4] == ("dropped", "partition")   # sent during the partition
    assert by_send[0.6] == ("dropped", "partition")   # sent during it, would have arrived after the heal
    assert by_send[0.2] == ("delivered", None)
    assert by_send[0.7] == ("delivered", None)
    assert sum(s == "delivered" for s, _ in by_send.values()) == 6
    # a send-time drop is recorded at the send time, an in-flight one when it would have arrived
    drops = [r for r in trace.rows if r[1] == "drop"]
    assert [round(r[0], 9) for r in drops] == [0.35, 0.4, 0.5, 0.6]


def test_partition_keeps_a_group_talking():
    sc = Scenario(Flood, nodes=4, faults=[Partition([[0, 1], [2, 3]], at=0.0)], until=1.0)
    trace = run(sc)
    assert trace.value_at("informed", 1.0, default=False) == {0: True, 1: True, 2: False, 3: False}


def test_heal_fault():
    trace = run(sender_scenario([Partition([[0], [1]], at=0.0), Heal(at=0.45)]))
    assert trace.messages().status.tolist() == ["dropped"] * 5 + ["delivered"] * 5


def test_cut_link_is_one_way():
    sc = Scenario(PingEcho, nodes=2, params={"rounds": 3, "interval": 0.2},
                  faults=[CutLink(1, 0, at=0.0)], until=2.0)
    msgs = run(sc).messages()
    pings, pongs = msgs[msgs.src == 0], msgs[msgs.src == 1]
    assert (pings.status == "delivered").all() and len(pings) == 3
    assert (pongs.status == "dropped").all() and (pongs.drop_reason == "cut").all() and len(pongs) == 3


def test_restore_link():
    trace = run(sender_scenario([CutLink(0, 1, at=0.0), RestoreLink(0, 1, at=0.45)]))
    reasons = trace.messages().drop_reason
    assert reasons.tolist()[:5] == ["cut"] * 5 and reasons[5:].isna().all()


# ------------------------------------------------------------------ bounds


def test_max_events_cuts_the_run():
    sc = Scenario(PingPong, nodes=2, until=100.0, max_events=200)
    sim = Simulation(sc, seed=1)
    trace = sim.run()
    assert trace.ended_by == "max_events" and trace.truncated
    assert sim.handled == 200
    assert trace.end_time < 100.0
    assert trace.summary()["ended_by"] == "max_events"


def test_ping_pong_forever_stops_at_the_time_bound():
    trace = run(Scenario(PingPong, nodes=2, link=LinkModel(latency=0.01), until=2.0))
    assert trace.ended_by == "time" and not trace.truncated
    assert trace.end_time == 2.0
    assert max(r[0] for r in trace.rows) <= 2.0
    assert 190 <= trace.count("deliver") <= 201   # one bounce per 10 ms


def test_quiescent_run():
    trace = run(Scenario(Flood, nodes=5, until=3.0))
    assert trace.ended_by == "quiescent"
    assert trace.end_time == 3.0
    assert trace.count("send") == 5 * 4 - 4   # the origin tells 4, each other node tells 3


def test_event_bound_counts_handled_events_not_rows():
    """A bound of n events handles exactly n deliveries/timers/starts/faults, whatever rows they add."""
    for limit in (1, 2, 7):
        sim = Simulation(Scenario(PingPong, nodes=2, until=10.0, max_events=limit))
        trace = sim.run()
        assert sim.handled == limit and trace.ended_by == "max_events"
        handled = sum(r[1] in ("start", "deliver", "timer_fire") for r in trace.rows)
        assert handled == limit


# ------------------------------------------------------------------ determinism


def test_same_seed_same_trace_different_seed_different_trace():
    sc = Scenario(Chatter, nodes=nx.cycle_graph(5), link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.1),
                  until=2.0)
    a, b, c = run(sc, seed=11), run(sc, seed=11), run(sc, seed=12)
    assert a == b and a.rows == b.rows and a.seed == 11
    assert a != c


def test_scenario_seed_is_the_default():
    sc = Scenario(Chatter, nodes=3, until=1.0, seed=5)
    assert run(sc) == run(sc, seed=5) == sc.run()
    assert run(sc).seed == 5


def test_seed_none_draws_a_seed_that_replays():
    sc = Scenario(Chatter, nodes=3, until=1.0, seed=None)
    trace = run(sc)
    assert isinstance(trace.seed, int)
    assert run(sc, seed=trace.seed) == trace


def test_constant_links_without_randomness_are_seed_independent():
    sc = Scenario(Flood, nodes=4, link=LinkModel(latency=Constant(0.02)), until=1.0)
    assert run(sc, seed=1) == run(sc, seed=2)


def test_chatter_smoke():
    """The test protocol really exercises the engine: all its effects show up."""
    trace = run(Scenario(Chatter, nodes=4, link=LinkModel(latency=Uniform(0.01, 0.05), duplicate=0.2, loss=0.1),
                         until=2.0), seed=3)
    counts = trace.summary()
    for kind in ("send", "deliver", "drop", "duplicate", "timer_fire"):
        assert counts[kind] > 0, kind
    assert trace.count("timer_cancel") > 0 and trace.count("observe") > 0
    assert {type(m).__name__ for m in trace.messages().msg} == {"Chat", "tuple", "str", "int"}
    assert any(r[1] == "send" and r[2] == r[3] for r in trace.rows)   # self-sends too


# ------------------------------------------------------------------ memory


def test_a_simulation_holds_no_reference_cycle():
    """Dropped, a simulation and its trace are freed at once, without waiting for the cyclic GC
    (a sweep of many runs keeps only what it returns)."""
    from dsysedu.sim import Crash, Pause, Slow

    sc = Scenario(Chatter, nodes=4, link=LinkModel(latency=Uniform(0.01, 0.05), duplicate=0.2, loss=0.1),
                  faults=[Crash(1, at=0.3, until=0.6), Pause(2, at=0.2, until=0.5), Slow(3, at=0.1, delay=0.05)],
                  until=1.0, seed=3)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        done = Simulation(sc)
        done.run()
        stepped = Simulation(sc)
        stepped.step()
        stepped.take(stepped.pending()[-1].id)
        stepped.apply(Crash(0, at=0.0, until=0.2))
        child = stepped.fork(0.25)
        refs = [weakref.ref(x) for x in (done, done.trace, stepped, child, child.trace)]
        del done, stepped, child
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled):
    sc = Scenario(PingPong, nodes=2, link=LinkModel(latency=0.001), until=1e9, max_events=60_000)  # a large run
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        trace = run(sc)
        assert len(trace) >= 100_000 and gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()


def test_a_large_runs_trace_goes_straight_to_the_oldest_generation():
    """After a large run the collector treats the trace as long-lived instead of scanning it again."""
    sc = Scenario(PingPong, nodes=2, link=LinkModel(latency=0.001), until=1e9, max_events=60_000)
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        trace = run(sc)
        assert any(o is trace.rows for o in gc.get_objects(generation=2))
    finally:
        if not was_enabled:
            gc.disable()
