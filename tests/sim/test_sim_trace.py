"""Trace queries (messages, observations, value_at, status_at, in_flight, summary, prefix,
frames, causality) and save/load."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from dsysedu.protocols.basics.toys import Flood, PingEcho
from dsysedu.sim import (ClockJump, Crash, CutLink, Input, LinkModel, Node, Partition, Pause, Scenario, Simulation,
                         Slow, Trace, Uniform, run)
from sim_helpers import Chat, Chatter, Note, Sender, scenarios

HAVE_TRACE_IO = (Path(__file__).resolve().parents[2] / "dsysedu" / "sim" / "trace_io.py").exists()


def chatter_trace(seed=3, **kw):
    base = dict(nodes=4, link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.1, duplicate=0.1), until=2.0,
                faults=[Crash(1, at=0.5, until=0.9), Partition([[0, 1], [2, 3]], at=1.0, until=1.3),
                        Pause(3, at=0.2, until=0.4)],
                inputs=[Input(0.3, 2, Note("x")), Input(0.6, 1, Note("y"))])
    base.update(kw)
    return run(Scenario(Chatter, **base), seed=seed)


# ------------------------------------------------------------------ basics


def test_rows_events_and_indexing():
    trace = chatter_trace()
    assert len(trace) == len(trace.rows) == len(trace.events)
    ev = trace[-1]
    assert ev.seq == len(trace) - 1 and tuple(ev)[1:] == trace.rows[-1]
    assert [e.seq for e in trace][:3] == [0, 1, 2]
    assert trace.count("send") == sum(1 for r in trace.rows if r[1] == "send")
    assert "ended_by='time'" in repr(trace)


def test_summary_counts():
    trace = chatter_trace()
    s = trace.summary()
    assert s["events"] == len(trace) and s["nodes"] == 4 and s["ended_by"] == trace.ended_by
    for kind in ("send", "deliver", "drop", "duplicate", "timer_fire", "crash", "recover", "partition"):
        assert s[kind] == trace.count(kind)
    assert s["crash"] == 1 and s["partition"] == 1 and s["end_time"] == 2.0


def test_prefix():
    trace = chatter_trace()
    p = trace.prefix(1.0)
    assert p.rows == [r for r in trace.rows if r[0] <= 1.0]
    assert p.end_time == 1.0 and p.ended_by == "stopped" and p.nodes == trace.nodes
    assert p.prefix(0.5).rows == trace.prefix(0.5).rows
    assert trace.prefix(trace.end_time).rows == trace.rows
    assert trace.prefix(-1).rows == []
    sim = Simulation(Scenario(Chatter, nodes=4, link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.1,
                                                                   duplicate=0.1), until=2.0,
                              faults=[Crash(1, at=0.5, until=0.9), Partition([[0, 1], [2, 3]], at=1.0, until=1.3),
                                      Pause(3, at=0.2, until=0.4)],
                              inputs=[Input(0.3, 2, Note("x")), Input(0.6, 1, Note("y"))]), seed=3)
    assert sim.run_until(1.0).rows == p.rows   # the prefix is what a run stopped at t has recorded


# ------------------------------------------------------------------ messages


def test_messages_table():
    trace = chatter_trace()
    msgs = trace.messages()
    assert list(msgs.columns) == ["msg_id", "src", "dst", "type", "msg", "send_time", "deliver_time", "latency",
                                  "status", "drop_reason", "deliveries"]
    sends = [r for r in trace.rows if r[1] == "send"]
    assert len(msgs[msgs.src.notna()]) == len(sends)
    assert set(msgs.status) <= {"delivered", "dropped", "in_flight"}
    delivered = msgs[msgs.status == "delivered"]
    assert (delivered.latency >= 0).all() and delivered.deliver_time.notna().all()
    assert msgs[msgs.status != "delivered"].deliver_time.isna().all()
    first_delivery = {}
    for r in trace.rows:
        if r[1] == "deliver":
            first_delivery.setdefault(r[4], r[0])
    for row in delivered.itertuples():
        assert row.deliver_time == first_delivery[row.msg_id]
    dropped = msgs[msgs.status == "dropped"]
    assert set(dropped.drop_reason) <= {"loss", "partition", "cut", "crashed"} and len(dropped) > 0
    assert set(msgs.type) == {type(m).__name__ for m in msgs.msg}


def test_inputs_are_messages_too():
    trace = chatter_trace()
    inputs = trace.messages()[lambda d: d.src.isna()]
    assert sorted(inputs.msg, key=repr) == [Note("x"), Note("y")]
    # node 1 is crashed at 0.6: its input is dropped, and the table says so
    y = inputs[inputs.msg == Note("y")].iloc[0]
    assert (y.status, y.drop_reason) == ("dropped", "crashed")


def test_in_flight_at_the_end_matches_messages():
    sc = Scenario(Sender, nodes=2, params={"to": 1, "count": 10, "gap": 0.1}, link=LinkModel(latency=0.35),
                  until=0.8)
    trace = run(sc)
    msgs = trace.messages()
    on_wire = set(msgs[msgs.status == "in_flight"].msg_id)
    assert on_wire == {m["msg_id"] for m in trace.in_flight(trace.end_time)} and len(on_wire) == 4
    mid = trace.in_flight(0.5)
    assert [m["msg_id"] for m in mid] == [2, 3, 4, 5]
    assert all(m["send_time"] <= 0.5 < m["arrive_time"] for m in mid)
    assert [m["msg_id"] for m in trace.in_flight(0.35)] == [1, 2, 3]   # message 0 arrives at 0.35 exactly


# ------------------------------------------------------------------ observations and state at a time


class Counter_(Node):
    def on_start(self, ctx):
        self.n = 0
        ctx.set_timer("tick", 0.25)

    def on_timer(self, ctx, name):
        self.n += 1
        ctx.observe("n", self.n)
        if self.id == 0:
            ctx.observe("even", self.n % 2 == 0)
        ctx.set_timer("tick", 0.25)


def test_observations_and_value_at():
    trace = run(Scenario(Counter_, nodes=2, until=1.0))
    obs = trace.observations()
    assert list(obs.columns) == ["time", "node", "key", "value"]
    assert len(obs) == 4 + 4 + 4
    n = trace.observations("n")
    assert set(n.key) == {"n"} and n.value.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert trace.value_at("n", 0.1) == {0: None, 1: None}
    assert trace.value_at("n", 0.1, default=0) == {0: 0, 1: 0}
    assert trace.value_at("n", 0.5) == {0: 2, 1: 2}      # an observation at t counts at t
    assert trace.value_at("n", 0.74) == {0: 2, 1: 2}
    assert trace.value_at("even", 0.75) == {0: False, 1: None}
    assert trace.observations("missing").empty


def test_status_at_follows_the_faults():
    sc = Scenario(Chatter, nodes=3, until=3.0,
                  faults=[Crash(0, at=0.5, until=1.0), Pause(1, at=0.2, until=0.4), Partition([[0], [1, 2]], at=1.5),
                          CutLink(2, 1, at=1.0, until=2.0), Slow(2, at=0.1, delay=0.05, until=0.3),
                          ClockJump(1, at=0.2, delta=1.0)])
    trace = run(sc)
    s = trace.status_at
    assert s(0.0) == {"crashed": set(), "paused": set(), "groups": None, "cut": set(), "slow": {}}
    assert s(0.1)["slow"] == {2: 0.05} and s(0.3)["slow"] == {}
    assert s(0.2)["paused"] == {1} and s(0.39)["paused"] == {1} and s(0.4)["paused"] == set()
    assert s(0.5)["crashed"] == {0} and s(0.99)["crashed"] == {0} and s(1.0)["crashed"] == set()
    assert s(1.0)["cut"] == {(2, 1)} and s(2.0)["cut"] == set()
    assert s(1.49)["groups"] is None and s(1.5)["groups"] == ((0,), (1, 2)) and s(3.0)["groups"] == ((0,), (1, 2))
    assert list(trace.faults().kind) == ["slow", "pause", "clock_jump", "slow", "resume", "crash", "recover",
                                         "cut", "partition", "restore"]


# ------------------------------------------------------------------ frames and causality


def test_to_frame():
    trace = chatter_trace()
    df = trace.to_frame()
    assert len(df) == len(trace) and df.index.name == "seq"
    assert list(df.columns) == ["time", "kind", "node", "peer", "msg_id", "data", "value"]
    stamped = run(Scenario(Flood, nodes=3, until=1.0, stamp_clocks=True)).to_frame()
    assert {"lamport", "vclock"} <= set(stamped.columns)
    assert stamped[stamped.kind == "start"].lamport.tolist() == [1, 1, 1]


def test_happens_before_on_a_known_exchange():
    trace = run(Scenario(PingEcho, nodes=2, params={"rounds": 1}, until=1.0))
    kinds = [(r[1], r[2]) for r in trace.rows]
    send0 = kinds.index(("send", 0))
    deliver1 = kinds.index(("deliver", 1))
    reply = kinds.index(("send", 1))
    back = kinds.index(("deliver", 0))
    start1 = kinds.index(("start", 1))
    assert trace.happens_before(send0, deliver1) and trace.happens_before(send0, back)
    assert trace.happens_before(deliver1, reply) and not trace.happens_before(back, send0)
    assert trace.concurrent(start1, send0) and not trace.concurrent(send0, send0)
    timer_set = kinds.index(("timer_set", 0))
    with pytest.raises(ValueError, match="must both be process steps"):
        trace.happens_before(timer_set, send0)


def test_concurrent_pairs_counts_what_happens_before_says():
    trace = run(Scenario(Chatter, nodes=3, until=0.5, max_events=60), seed=2)
    idx = [i for i, r in enumerate(trace.rows) if r[1] in ("send", "deliver")]
    brute = sum(1 for x in range(len(idx)) for y in range(x + 1, len(idx)) if trace.concurrent(idx[x], idx[y]))
    assert trace.concurrent_pairs() == brute > 0


# ------------------------------------------------------------------ save / load


@dataclass(frozen=True)
class Wire:
    payload: bytes
    parts: tuple


class Sends(Node):
    def on_start(self, ctx):
        for p in self.peers:
            ctx.send(p, Wire(b"\x00raw", (1, "a", None, 2.5)))
            ctx.send(p, b"bytes")
            ctx.send(p, (("nested", 1), frozenset({3})))
        ctx.observe("state", {"votes": {1, 2}, "log": [1, (2, 3)], (0, 1): None})
        ctx.set_timer(("retry", 1), 0.1)


pytestmark_io = pytest.mark.skipif(not HAVE_TRACE_IO, reason="dsysedu/sim/trace_io.py not written yet")


def same_trace(a: Trace, b: Trace):
    assert b == a
    assert b.nodes == a.nodes and b.seed == a.seed and b.end_time == a.end_time and b.ended_by == a.ended_by
    assert sorted(b.graph.edges) == sorted(a.graph.edges)
    for ra, rb in zip(a.rows, b.rows):
        assert [type(x) for x in ra] == [type(x) for x in rb] or ra == rb


@pytestmark_io
def test_save_load_round_trip_of_all_value_kinds(tmp_path):
    trace = run(Scenario(Sends, nodes=["a", "b", "c"], until=1.0,
                         faults=[Partition([["a"], ["b", "c"]], at=0.5), ClockJump("a", at=0.2, delta=-1.5)]))
    path = tmp_path / "t.jsonl"
    trace.save(path)
    back = Trace.load(path)
    same_trace(trace, back)
    msgs = [r[5] for r in back.rows if r[1] == "send"]
    assert Wire(b"\x00raw", (1, "a", None, 2.5)) in msgs and b"bytes" in msgs
    assert back.messages().equals(trace.messages()) or back.messages().msg.tolist() == trace.messages().msg.tolist()
    assert back.clocks() == trace.clocks()


@pytestmark_io
def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"format": "other"}\n')
    with pytest.raises(ValueError, match="not a dsysedu trace"):
        Trace.load(path)


@pytestmark_io
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(scenarios(max_until=1.5))
def test_save_load_round_trip_of_random_runs(tmp_path, sc):
    trace = run(sc)
    path = tmp_path / "r.jsonl"
    trace.save(path)
    back = Trace.load(path)
    same_trace(trace, back)
    assert back.summary() == trace.summary()
    t = sc.until / 2
    assert back.status_at(t) == trace.status_at(t) and back.value_at("heard", t) == trace.value_at("heard", t)
