"""Node faults (crash/recover, pause/resume, slow, clock skew and jumps) and the Nemesis."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.protocols.basics.toys import Flood
from dsysedu.sim import (ClockJump, Crash, LinkModel, Nemesis, Node, Partition, Pause, Recover, Resume, Scenario,
                         Simulation, Slow, run)
from sim_helpers import Chat, Chatter, Sender


class Keeper(Node):
    """Ticks every 0.1 s, counting on "disk" (durable) and in memory; also sets a long timer."""

    durable = ("disk",)

    def __init__(self, node_id, peers=(), **_ignored):
        super().__init__(node_id, peers)
        self.disk = 0
        self.mem = 0

    def on_start(self, ctx):
        ctx.set_timer("tick", 0.1)
        ctx.set_timer("late", 2.0)

    def on_timer(self, ctx, name):
        if name == "tick":
            self.disk += 1
            self.mem += 1
            ctx.observe("count", (self.disk, self.mem))
            ctx.set_timer("tick", 0.1)
        else:
            ctx.observe("late", ctx.now)

    def on_recover(self, ctx):
        ctx.observe("recovered", (self.disk, self.mem))
        self.on_start(ctx)


def keeper_run(faults, until=2.5):
    sc = Scenario({0: Keeper, 1: Sender}, nodes=2, node_params={1: {"to": 0, "count": 20, "gap": 0.1}},
                  link=LinkModel(latency=0.01), faults=faults, until=until)
    return run(sc)


# ------------------------------------------------------------------ crash and recover


def test_crash_keeps_durable_fields_and_resets_the_rest():
    trace = keeper_run([Crash(0, at=0.35, until=1.0)])
    rec = trace.observations("recovered")
    assert rec.time.tolist() == [1.0]                  # on_recover was called, at the recovery
    assert rec.value.tolist() == [(3, 0)]              # 3 ticks on disk, memory wiped
    counts = trace.observations("count")
    assert counts.value.iloc[3] == (4, 1)             # the new incarnation counts on from the disk


def test_timers_of_the_crashed_incarnation_never_fire():
    control = keeper_run([])
    assert control.observations("late").time.tolist() == [2.0]   # the timer does fire without a crash
    trace = keeper_run([Crash(0, at=0.35, until=1.0)])
    assert trace.observations("late").empty   # due at 2.0, set before the crash; the new one is due at 3.0
    fires = [r[0] for r in trace.rows if r[1] == "timer_fire" and r[2] == 0]
    assert not any(0.35 <= t <= 1.0 for t in fires)
    assert min(t for t in fires if t > 1.0) == pytest.approx(1.1)


def test_messages_to_a_crashed_node_are_dropped():
    msgs = keeper_run([Crash(0, at=0.35, until=1.0)]).messages()
    during = msgs[(msgs.send_time + 0.01 >= 0.35) & (msgs.send_time + 0.01 < 1.0)]
    assert len(during) == 6
    assert (during.status == "dropped").all() and (during.drop_reason == "crashed").all()
    assert (msgs.drop(during.index).status == "delivered").all()


def test_messages_already_sent_survive_the_senders_crash():
    sc = Scenario(Sender, nodes=2, params={"to": 1, "count": 1}, link=LinkModel(latency=0.5),
                  faults=[Crash(0, at=0.1)], until=1.0)
    trace = run(sc)
    assert trace.messages().status.tolist() == ["delivered"]
    assert trace.status_at(1.0)["crashed"] == {0}


def test_default_on_recover_restarts():
    trace = run(Scenario(Flood, nodes=3, faults=[Crash(0, at=0.5, until=0.6)], until=1.0))
    origin = trace.observations("role")
    assert origin[origin.node == 0].value.tolist() == ["origin", "origin"]   # informed is not durable
    assert trace.count("send") == 2 + 1 + 1 + 2   # origin twice, each other node once


def test_recover_fault_and_repeated_faults_are_idempotent():
    trace = keeper_run([Crash(0, at=0.35), Crash(0, at=0.4), Recover(0, at=1.0), Recover(0, at=1.2)])
    kinds = [(r[0], r[1]) for r in trace.rows if r[1] in ("crash", "recover")]
    assert kinds == [(0.35, "crash"), (1.0, "recover")]


def test_crash_without_recovery_is_final():
    trace = keeper_run([Crash(0, at=0.35)])
    assert not any(r[2] == 0 and r[1] in ("send", "deliver", "timer_fire") and r[0] > 0.35 for r in trace.rows)


# ------------------------------------------------------------------ pause and resume


class Waiter(Node):
    def on_start(self, ctx):
        ctx.observe("started", ctx.now)
        ctx.set_timer("t", 0.27)

    def on_message(self, ctx, src, msg):
        ctx.observe("got", msg)

    def on_timer(self, ctx, name):
        ctx.observe("fired", name)


def waiter_scenario(faults):
    return Scenario({0: Sender, 1: Waiter}, nodes=2, node_params={0: {"to": 1, "count": 10, "gap": 0.1}},
                    link=LinkModel(latency=0.05), faults=faults, until=2.0)


def waiter_run(faults):
    return run(waiter_scenario(faults))


def handled_by(trace, node):
    return [(r[0], r[1], r[4] if r[1] == "deliver" else r[5]) for r in trace.rows
            if r[2] == node and r[1] in ("deliver", "timer_fire")]


def test_pause_defers_everything_to_the_resume_in_order():
    control = handled_by(waiter_run([]), 1)
    paused = handled_by(waiter_run([Pause(1, at=0.12, until=0.63)]), 1)
    assert [e[1:] for e in paused] == [e[1:] for e in control]        # same events, same order
    for (t0, *_), (t1, *_) in zip(control, paused):
        assert t1 == (0.63 if 0.12 <= t0 < 0.63 else t0)               # what waited runs at the resume
    assert sum(0.12 <= t0 < 0.63 for t0, *_ in control) == 6             # 5 messages and a timer waited


def test_nothing_is_dropped_by_a_pause():
    trace = waiter_run([Pause(1, at=0.12, until=0.63)])
    assert (trace.messages().status == "delivered").all()
    assert trace.status_at(0.5)["paused"] == {1} and trace.status_at(0.63)["paused"] == set()


def test_pause_without_resume_holds_forever_and_resume_fault():
    trace = waiter_run([Pause(1, at=0.12)])
    assert max(t for t, *_ in handled_by(trace, 1)) < 0.12
    assert sorted(m["msg_id"] for m in trace.in_flight(2.0)) == list(range(1, 10))
    resumed = waiter_run([Pause(1, at=0.12), Resume(1, at=0.5)])
    assert len(handled_by(resumed, 1)) == 11


def test_node_paused_at_start_starts_at_resume():
    trace = waiter_run([Pause(1, at=0.0, until=0.3)])
    assert trace.observations("started").value.tolist() == [0.3]
    assert [r[0] for r in trace.rows if r[1] == "start"] == [0.0, 0.3]
    assert trace.observations("fired").time.tolist() == [pytest.approx(0.57)]


def test_crash_ends_a_pause():
    """A node crashed while paused comes back up at its recovery; the trace says so too."""
    faults = [Pause(1, at=0.1, until=0.8), Crash(1, at=0.2, until=0.4)]
    trace = waiter_run(faults)
    sim = Simulation(waiter_scenario(faults))
    for t in (0.15, 0.3, 0.5, 0.9):
        sim.run_until(t)
        st_ = trace.status_at(t)
        assert (1 in st_["paused"]) == (sim.status(1) == "paused"), t
        assert (1 in st_["crashed"]) == (sim.status(1) == "crashed"), t
    assert [r[1] for r in handled_by(trace, 1) if 0.4 <= r[0] < 0.8][:1] == ["deliver"]


# ------------------------------------------------------------------ slow (gray failure)


class Echo(Node):
    def on_message(self, ctx, src, msg):
        ctx.send(src, msg)


def echo_run(faults, count=2, gap=0.05):
    sc = Scenario({0: Sender, 1: Echo}, nodes=2, node_params={0: {"to": 1, "count": count, "gap": gap}},
                  link=LinkModel(latency=0.01), faults=faults, until=2.0)
    return run(sc)


def rows_of(trace, node, kind):
    return [round(r[0], 9) for r in trace.rows if r[2] == node and r[1] == kind]


def test_slow_node_delays_effects_and_queues_work():
    d, lat, gap = 0.2, 0.01, 0.05
    control = echo_run([])
    assert rows_of(control, 1, "send") == pytest.approx([lat, gap + lat])
    slow = echo_run([Slow(1, at=0.0, delay=d)])
    assert rows_of(slow, 1, "deliver") == pytest.approx([lat, lat + d])   # the second waits for the first
    assert rows_of(slow, 1, "send") == pytest.approx([lat + d, lat + 2 * d])
    assert rows_of(slow, 0, "deliver") == pytest.approx([2 * lat + d, 2 * lat + 2 * d])
    assert slow.status_at(0.5)["slow"] == {1: d}


def test_slow_ends_at_until():
    trace = echo_run([Slow(1, at=0.0, delay=0.2, until=0.3)], count=2, gap=0.5)
    assert rows_of(trace, 1, "send") == [0.21, 0.51]
    assert trace.status_at(0.4)["slow"] == {}


def test_crash_discards_a_slow_nodes_pending_effects():
    trace = echo_run([Slow(1, at=0.0, delay=0.2), Crash(1, at=0.1)])
    assert rows_of(trace, 1, "send") == []


# ------------------------------------------------------------------ clocks


class Ticker(Node):
    def on_start(self, ctx):
        ctx.set_timer("tick", 0.25)

    def on_timer(self, ctx, name):
        ctx.observe("clock", (ctx.now, ctx.clock()))
        ctx.set_timer("tick", 0.25)


def test_clock_offset_drift_and_jump():
    sc = Scenario(Ticker, nodes=3, clock_offset={0: 1.5, 2: -0.5}, clock_drift={0: 0.1, 2: -0.2},
                  faults=[ClockJump(0, at=1.1, delta=-3.0), ClockJump(0, at=1.6, delta=0.5)], until=2.0)
    obs = run(sc).observations("clock")
    assert len(obs) == 3 * 8
    for node, (now, clock) in zip(obs.node, obs.value):
        if node == 0:
            expected = 1.5 + 1.1 * now + (-3.0 if now >= 1.1 else 0.0) + (0.5 if now >= 1.6 else 0.0)
        elif node == 1:
            expected = now
        else:
            expected = -0.5 + 0.8 * now
        assert clock == pytest.approx(expected)
    clocks = [c for n, (_t, c) in zip(obs.node, obs.value) if n == 0]
    assert any(b < a for a, b in zip(clocks, clocks[1:]))   # a backwards jump is visible to the node


# ------------------------------------------------------------------ nemesis


def outages(faults):
    return [(f.node, f.at, f.until) for f in faults if isinstance(f, (Crash, Pause))]


def test_nemesis_is_deterministic_for_a_stream():
    nem = Nemesis(crash_rate=0.5, pause_rate=0.3, partition_rate=0.5, stop=10.0)
    a = nem.schedule(range(5), random.Random(3))
    assert a == nem.schedule(range(5), random.Random(3))
    assert a != nem.schedule(range(5), random.Random(4))
    assert {type(f) for f in a} == {Crash, Pause, Partition}


def test_nemesis_without_rates_does_nothing():
    assert Nemesis(stop=10.0).schedule(range(5), random.Random(1)) == []


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 7), seed=st.integers(0, 10**6), max_down=st.one_of(st.none(), st.integers(0, 4)),
       start=st.floats(0, 2), length=st.floats(0, 8))
def test_nemesis_respects_max_down_window_and_partitions(n, seed, max_down, start, length):
    nem = Nemesis(crash_rate=0.8, pause_rate=0.8, mean_downtime=0.7, partition_rate=0.6, mean_partition=0.8,
                  max_down=max_down, start=start, stop=start + length)
    faults = nem.schedule(list(range(n)), random.Random(seed))
    limit = (n - 1) // 2 if max_down is None else max_down
    for f in faults:
        assert nem.start <= f.at < nem.stop
        assert f.until is not None and f.at < f.until <= nem.stop
    out = outages(faults)
    for _node, at, _until in out:   # at each outage's start (where the count peaks)
        assert sum(s <= at < e for _n, s, e in out) <= limit
    for node in range(n):
        mine = sorted((s, e) for v, s, e in out if v == node)
        assert all(e1 <= s2 for (_s1, e1), (s2, _e2) in zip(mine, mine[1:]))
    parts = sorted((f.at, f.until) for f in faults if isinstance(f, Partition))
    assert all(e1 <= s2 for (_s1, e1), (s2, _e2) in zip(parts, parts[1:]))   # one at a time
    for f in faults:
        if isinstance(f, Partition):
            assert sorted(v for g in f.groups for v in g) == list(range(n))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(3, 6))
def test_nemesis_in_a_run_heals_everything_by_stop(seed, n):
    stop = 1.5
    sc = Scenario(Chatter, nodes=n, nemesis=Nemesis(crash_rate=0.6, pause_rate=0.4, partition_rate=1.0,
                                                    mean_downtime=0.4, stop=stop), until=2.0, max_events=6000)
    trace = run(sc, seed=seed)
    assert trace == run(sc, seed=seed)
    status = trace.status_at(stop)
    assert status["crashed"] == set() and status["paused"] == set() and status["groups"] is None
    down = set()
    for r in trace.rows:   # never more than a minority down at once
        if r[1] in ("crash", "pause"):
            down.add(r[2])
        elif r[1] in ("recover", "resume"):
            down.discard(r[2])
        assert len(down) <= (n - 1) // 2
    assert trace.meta["faults"] == tuple(Simulation(sc, seed=seed).faults)


# ------------------------------------------------------------------ queued work keeps its place


class Sink(Node):
    def on_message(self, ctx, src, msg):
        ctx.observe("got", msg.seq)


def sink_order(faults, *, latency, gap, count):
    """Node 1 streams ``count`` messages to node 0 over a FIFO link; the order node 0 handles them."""
    sc = Scenario({0: Sink, 1: Sender}, nodes=2, node_params={1: {"to": 0, "count": count, "gap": gap}},
                  link=LinkModel(latency=latency), faults=faults, until=4.0)
    trace = run(sc)
    return trace.observations("got").value.tolist(), trace


def test_arrival_at_the_resume_does_not_overtake_the_backlog():
    # message 0 arrives at 0.25 (paused: it waits); message 1 arrives at 0.5, the resume instant
    order, trace = sink_order([Pause(0, at=0.125, until=0.5)], latency=0.25, gap=0.25, count=3)
    assert order == [0, 1, 2]
    assert trace.out_of_order() == 0


def test_arrival_when_a_slow_node_frees_up_does_not_overtake_the_queue():
    # arrivals at 0.75, 0.875, 1.0; the first keeps node 0 busy to 1.0, when the third arrives
    order, _ = sink_order([Slow(0, at=0.0, delay=0.25)], latency=0.75, gap=0.125, count=3)
    assert order == [0, 1, 2]


def test_work_queued_on_a_slow_node_stays_ahead_of_arrivals_during_a_pause():
    # arrivals at 0.25, 0.375, 0.5, 0.625: 1 and 2 queue behind 0 (busy to 0.75); 3 arrives paused
    order, _ = sink_order([Slow(0, at=0.0, delay=0.5), Pause(0, at=0.6, until=1.0)],
                          latency=0.25, gap=0.125, count=4)
    assert order == [0, 1, 2, 3]


def test_messages_waiting_at_a_paused_node_are_dropped_when_it_crashes():
    order, trace = sink_order([Pause(0, at=0.1, until=2.0), Crash(0, at=1.0, until=1.5)],
                              latency=0.25, gap=0.25, count=3)
    assert order == []
    msgs = trace.messages()
    assert msgs.status.tolist() == ["dropped"] * 3 and msgs.drop_reason.tolist() == ["crashed"] * 3
    assert [r[0] for r in trace.rows if r[1] == "drop"] == [1.0, 1.0, 1.0]   # when the crash wiped them
    assert trace.in_flight(trace.end_time) == []


def test_messages_queued_behind_a_slow_handler_die_with_the_node():
    # arrivals at 0.75, 0.875, 1.0; the first keeps node 0 busy to 1.25, so the second waits;
    # node 0 crashes at 0.9 and is back at 0.95: the waiting message is lost, not handed to
    # the new incarnation after the third one
    _, trace = sink_order([Slow(0, at=0.0, delay=0.5), Crash(0, at=0.9, until=0.95)],
                          latency=0.75, gap=0.125, count=3)
    assert [(r[0], r[4]) for r in trace.rows if r[1] == "deliver"] == [(0.75, 0), (1.0, 2)]
    drops = [(r[0], r[4], r[6]) for r in trace.rows if r[1] == "drop"]
    assert drops == [(0.9, 1, "crashed")]
    assert trace.out_of_order() == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), rate=st.floats(0.1, 3.0), max_jump=st.floats(0.0, 2.0),
       max_drift=st.floats(0.0, 0.5), n=st.integers(1, 6))
def test_nemesis_clock_faults_stay_in_their_bounds_and_drift_ends_at_stop(seed, rate, max_jump, max_drift, n):
    from dsysedu.sim import ClockDrift
    nem = Nemesis(clock_rate=rate, max_jump=max_jump, max_drift=max_drift, start=0.5, stop=3.0)
    faults = nem.schedule(list(range(n)), random.Random(seed))
    jumps = [f for f in faults if isinstance(f, ClockJump)]
    drifts = [f for f in faults if isinstance(f, ClockDrift)]
    assert all(0.5 <= f.at < 3.0 and abs(f.delta) <= max_jump for f in jumps)
    assert all(0.5 <= f.at <= 3.0 and abs(f.drift) <= max_drift for f in drifts)
    changed = {f.node for f in drifts if f.at < 3.0}
    assert {f.node for f in drifts if f.at == 3.0 and f.drift == 0.0} == changed   # every drifted clock runs true again
    assert [f.at for f in faults] == sorted(f.at for f in faults)


def test_nemesis_clock_faults_leave_other_schedules_as_they_were():
    plain = Nemesis(crash_rate=0.3, partition_rate=0.5, pause_rate=0.2, stop=4.0)
    clocked = Nemesis(crash_rate=0.3, partition_rate=0.5, pause_rate=0.2, stop=4.0, clock_rate=1.0)
    a = plain.schedule(range(5), random.Random(3))
    b = clocked.schedule(range(5), random.Random(3))
    assert [f for f in b if not type(f).__name__.startswith("Clock")] == a
    assert len(b) > len(a)


@pytest.mark.parametrize("kw, match", [({"clock_rate": -1.0}, "clock_rate"), ({"max_jump": float("nan")}, "max_jump"),
                                       ({"max_drift": 0.6}, "max_drift")])
def test_nemesis_clock_settings_are_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        Nemesis(**kw)
