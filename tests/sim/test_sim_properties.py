"""Properties of every run, checked on random scenarios: random topologies, link models,
fault schedules, inputs and seeds, driven by the random Chatter protocol."""
from __future__ import annotations

from collections import Counter, defaultdict

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsysedu.protocols.basics.toys import PingEcho
from dsysedu.sim import Crash, Input, LinkModel, Partition, Pause, Scenario, Simulation, Slow, Trace, run
from dsysedu.sim.trace import PROCESS_KINDS
from sim_helpers import Chatter, Note, StatusTimeline, causal_graph, link_models, scenarios, separated

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# rows that mean "this node did something": handled an event or applied a handler's effects
ACTIVITY = {"start", "send", "deliver", "timer_fire", "timer_set", "timer_cancel", "observe"}


def send_rows(trace):
    return {r[4]: (i, r) for i, r in enumerate(trace.rows) if r[1] == "send"}


# ------------------------------------------------------------------ checkers
# Each returns the violations it finds (empty when the trace is fine); the properties below
# assert that random runs have none, and test_checkers_catch_* prove each one can fail.


def crossings(trace):
    """Deliveries from src to dst at a time when status_at(t) says they are separated or cut.

    Exact, because faults at time t are applied before any delivery at t."""
    status = StatusTimeline(trace)
    return [(t, peer, node, why) for t, kind, node, peer, _mid, _msg, _v in trace.rows
            if kind == "deliver" and peer is not None and (why := separated(status.at(t), peer, node))]


def unblocked_sends(trace):
    """Sends across a partition or cut link not dropped at once with that reason, and the reverse.

    Replays the fault rows in order: a handler run by a fault (on_recover) may send between two
    faults of the same instant, so the state after all rows at t is not the one it saw."""
    rows, out = trace.rows, []
    groups, cut = None, set()
    for i, (t, kind, node, peer, mid, msg, _v) in enumerate(rows):
        if kind == "partition":
            groups = msg
        elif kind == "heal":
            groups = None
        elif kind == "cut":
            cut.add((node, peer))
        elif kind == "restore":
            cut.discard((node, peer))
        elif kind == "send":
            why = separated({"groups": groups, "cut": cut}, node, peer)
            after = rows[i + 1] if i + 1 < len(rows) else (None,) * 7
            dropped = after[1] == "drop" and after[4] == mid and after[6] in ("partition", "cut")
            if (why is not None) != dropped or (dropped and after[6] != why):
                out.append((i, why))
    return out


def activity_while_down(trace):
    """Rows where a crashed or paused node did something (sent, handled, applied effects)."""
    out = []
    status = StatusTimeline(trace)
    # status_at(t) is the state after every row at t; where the node itself had a fault row
    # at t (crash and recover at one instant), only the row-order replay below is exact
    faulted_at = {(r[0], r[2]) for r in trace.rows if r[1] in ("crash", "recover", "pause", "resume")}
    for i, (t, kind, node, *_) in enumerate(trace.rows):
        if kind in ACTIVITY and (t, node) not in faulted_at:
            s = status.at(t)
            if node in s["crashed"] or node in s["paused"]:
                out.append((i, "status_at"))
    down: dict = {}
    for i, (t, kind, node, *_) in enumerate(trace.rows):
        if kind in ("crash", "pause"):
            down[node] = kind
        elif kind in ("recover", "resume"):
            down.pop(node, None)
        elif kind in ACTIVITY and node in down:
            out.append((i, down[node]))
    return out


def unmatched_deliveries(trace, inputs):
    """Deliveries without an earlier send of the same msg_id, src, dst and message (or Input)."""
    out = []
    sends = {}
    from_outside = Counter()
    for i, (t, kind, node, peer, mid, msg, _v) in enumerate(trace.rows):
        if kind == "send":
            if mid in sends:
                out.append((i, "msg_id reused"))
            sends[mid] = (node, peer, msg, t)
        elif kind == "deliver":
            if peer is None:   # from outside: an Input (late if the node was busy or paused)
                from_outside[(node, msg)] += 1
                if not any(inp.node == node and inp.msg == msg and inp.at <= t for inp in inputs):
                    out.append((i, "no such input"))
            elif mid not in sends:
                out.append((i, "never sent"))
            elif sends[mid][:3] != (peer, node, msg) or sends[mid][3] > t:
                out.append((i, "differs from its send"))
    expected = Counter((inp.node, inp.msg) for inp in inputs)
    out += [("input delivered too often", k) for k in from_outside if from_outside[k] > expected[k]]
    return out


def fifo_violations(trace, sc):
    """First deliveries on a FIFO link (reorder=False) that overtook a message sent before them."""
    sends = send_rows(trace)
    last, first_seen, out = {}, set(), []
    for i, (t, kind, node, peer, mid, _m, _v) in enumerate(trace.rows):
        if kind != "deliver" or peer is None or mid in first_seen:
            continue
        first_seen.add(mid)
        if peer != node and sc.link_of(peer, node).reorder:
            continue
        order = sends[mid][0]
        if order < last.get((peer, node), -1):
            out.append((i, mid, peer, node))
        last[(peer, node)] = max(order, last.get((peer, node), -1))
    return out


def causality_mismatches(trace):
    """Pairs of process steps where trace.happens_before / concurrent disagree with the causal
    order computed independently (program order + send->deliver edges, transitive closure)."""
    g = causal_graph(trace)
    steps = sorted(g.nodes)
    after = {a: nx.descendants(g, a) for a in steps}
    out = []
    for a in steps:
        for b in steps:
            if trace.happens_before(a, b) != (b in after[a]):
                out.append((a, b, "happens_before"))
            elif a != b and trace.concurrent(a, b) != (b not in after[a] and a not in after[b]):
                out.append((a, b, "concurrent"))
    return out


# ------------------------------------------------------------------ faults are respected


@PROPERTY
@given(scenarios())
def test_nothing_crosses_an_active_partition_or_cut_link(sc):
    assert crossings(run(sc)) == []


@PROPERTY
@given(scenarios())
def test_blocked_sends_are_dropped_with_the_right_reason(sc):
    assert unblocked_sends(run(sc)) == []


@PROPERTY
@given(scenarios())
def test_crashed_or_paused_nodes_do_nothing(sc):
    assert activity_while_down(run(sc)) == []


@PROPERTY
@given(scenarios())
def test_trace_state_matches_the_live_simulation(sc):
    trace = run(sc)
    times = sorted({r[0] for r in trace.rows} | {sc.until / 3})
    probe = times[:: max(1, len(times) // 6)]
    sim = Simulation(sc)
    for t in probe:
        sim.run_until(t)
        s = trace.status_at(t)
        for n in sc.node_ids:
            live = sim.status(n)
            assert (n in s["crashed"]) == (live == "crashed"), (t, n, live, s)
            assert (n in s["paused"]) == (live == "paused"), (t, n, live, s)
        assert sim.trace.rows == trace.prefix(t).rows


# ------------------------------------------------------------------ messages


@PROPERTY
@given(scenarios())
def test_every_delivery_matches_an_earlier_send(sc):
    assert unmatched_deliveries(run(sc), sc.inputs) == []


@PROPERTY
@given(scenarios(link=LinkModel(latency=0.02, reorder=False)) | scenarios())
def test_fifo_links_deliver_in_send_order(sc):
    trace = run(sc)
    assert fifo_violations(trace, sc) == []
    if not sc.link.reorder and not any(lm.reorder for lm in sc.links.values()):
        assert trace.out_of_order() == 0


@PROPERTY
@given(scenarios())
def test_drops_and_deliveries_add_up(sc):
    """What the kernel does, precisely:

    * a message lost on its link, or sent across a partition or a cut link, is dropped at
      its send (the drop row follows the send row, reason loss/partition/cut) and then has
      no copy: no duplicate and no delivery;
    * otherwise it travels as one copy, or two when the link duplicated it; each copy is
      delivered once, or dropped on arrival (receiver crashed, or a partition/cut started
      while it travelled), or is still on the way when the run ends. So a message can be
      both dropped and delivered, when it was duplicated.
    """
    trace = run(sc)
    rows = trace.rows
    sends = send_rows(trace)
    deliveries, drops, dups = Counter(), defaultdict(list), Counter()
    for i, (t, kind, node, peer, mid, _m, value) in enumerate(rows):
        if kind == "deliver":
            deliveries[mid] += 1
        elif kind == "drop":
            drops[mid].append((i, value))
        elif kind == "duplicate":
            dups[mid] += 1
    end = trace.status_at(trace.end_time)
    settled = trace.ended_by == "quiescent" and not end["paused"]
    for mid, (i, _row) in sends.items():
        # dropped at the send: the next row, with a link reason ("crashed" is only ever on arrival,
        # and an arrival can also follow its send directly when nothing happened in between)
        at_send = [d for d in drops[mid] if d[0] == i + 1 and d[1] != "crashed"]
        if at_send:
            assert at_send[0][1] in ("loss", "partition", "cut")
            assert deliveries[mid] == 0 and dups[mid] == 0 and len(drops[mid]) == 1
            continue
        assert all(reason in ("crashed", "partition", "cut") for _j, reason in drops[mid])
        copies = 1 + dups[mid]
        assert dups[mid] <= 1
        assert deliveries[mid] + len(drops[mid]) <= copies
        if settled:
            assert deliveries[mid] + len(drops[mid]) == copies
    for mid in set(deliveries) | set(drops):   # inputs: one copy, never lost on a link
        if mid not in sends:
            assert deliveries[mid] + len(drops[mid]) <= 1
            assert all(reason == "crashed" for _j, reason in drops[mid])
    msgs = trace.messages()
    assert (msgs[msgs.status == "dropped"].deliveries == 0).all()
    assert (msgs[msgs.status == "delivered"].deliveries >= 1).all()


@PROPERTY
@given(scenarios(fault_kinds=("crash", "partition", "cut", "slow", "jump"), link=None)
       .filter(lambda sc: sc.link.duplicate == 0 and all(lm.duplicate == 0 for lm in sc.links.values())),
       st.floats(0, 1))
def test_in_flight_matches_the_simulators_queue(sc, frac):
    trace = run(sc)
    t = frac * sc.until
    sim = Simulation(sc)
    sim.run_until(t)
    pending = {int(p.id.split(":")[1]) for p in sim.pending() if p.kind == "deliver" and p.src is not None}
    assert {m["msg_id"] for m in trace.in_flight(t)} == pending
    for m in trace.in_flight(t):
        assert m["send_time"] <= t < m["arrive_time"] or m["arrive_time"] == trace.end_time


@PROPERTY
@given(scenarios(fault_kinds=("crash", "partition", "cut", "pause", "jump")), st.floats(0, 1))
def test_value_at_matches_live_node_state(sc, frac):
    """Chatter observes ``heard`` whenever it changes, so the trace knows it at any time.
    (Slow nodes are left out: their observations lag their state by design.)"""
    trace = run(sc)
    t = frac * sc.until
    sim = Simulation(sc)
    sim.run_until(t)
    seen = trace.value_at("heard", t)
    for n in sc.node_ids:
        if seen[n] is not None:
            assert seen[n] == sim.nodes[n].heard, (n, t)


# ------------------------------------------------------------------ causality


small = scenarios(max_nodes=4, max_until=1.0, max_events=80)


@PROPERTY
@given(small)
def test_vector_clocks_give_exactly_the_causal_order(sc):
    trace = run(sc)
    g = causal_graph(trace)
    assert nx.is_directed_acyclic_graph(g)
    assert sorted(g.nodes) == [i for i, r in enumerate(trace.rows) if r[1] in PROCESS_KINDS]
    assert causality_mismatches(trace) == []


@PROPERTY
@given(small)
def test_lamport_clocks_respect_happens_before(sc):
    trace = run(sc)
    lamport, vclock = trace.clocks()
    g = causal_graph(trace)
    for a in g.nodes:
        for b in nx.descendants(g, a):
            assert lamport[a] < lamport[b]
    for i, r in enumerate(trace.rows):
        assert (lamport[i] is None) == (r[1] not in PROCESS_KINDS) == (vclock[i] is None)


# ------------------------------------------------------------------ determinism, bounds, time


@PROPERTY
@given(scenarios(), st.integers(0, 2**32))
def test_same_scenario_and_seed_same_trace(sc, seed):
    a, b = run(sc, seed=seed), run(sc, seed=seed)
    assert a.rows == b.rows and a.ended_by == b.ended_by and a.end_time == b.end_time


@PROPERTY
@given(scenarios(faults=False, allow_constant=False, link=None)
       .filter(lambda sc: sc.link.loss <= 0.5 and sc.graph.number_of_edges() > 0),
       st.integers(0, 2**32), st.integers(1, 2**16))
def test_different_seeds_different_traces(sc, seed, delta):
    # random latency on every link and chatter on every node: equal traces would need equal draws
    assert run(sc, seed=seed).rows != run(sc, seed=seed + delta).rows


@PROPERTY
@given(link_models(allow_constant=False), st.integers(0, 2**32), st.integers(1, 2**16))
def test_network_randomness_alone_changes_the_trace(lm, seed, delta):
    """A deterministic protocol (ping/echo) over links with a continuous latency distribution:
    only the network stream differs between the seeds, and the delivery times show it."""
    sc = Scenario(PingEcho, nodes=3, params={"rounds": 20, "interval": 0.05}, link=lm, until=2.0)
    a, b = run(sc, seed=seed), run(sc, seed=seed + delta)
    assert a.rows != b.rows


@PROPERTY
@given(scenarios(max_events=400))
def test_every_run_ends_and_says_why(sc):
    sim = Simulation(sc)
    trace = sim.run()
    assert trace.ended_by in ("time", "quiescent", "max_events")
    if trace.ended_by == "max_events":
        assert sim.handled == sc.max_events and trace.end_time <= sc.until
    else:
        assert sim.handled <= sc.max_events and trace.end_time == sc.until
    if trace.ended_by == "quiescent":
        assert sim.pending() == []
    if trace.ended_by == "time":
        assert sim.pending() and all(p.time > sc.until for p in sim.pending())


@PROPERTY
@given(scenarios(), st.integers(1, 300))
def test_event_bound_is_exact(sc, limit):
    sim = Simulation(sc.replace(max_events=limit))
    trace = sim.run()
    full = run(sc)
    assert sim.handled <= limit
    assert full.rows[:len(trace.rows)] == trace.rows   # a bounded run is a prefix of the full run
    if trace.ended_by != "max_events" and full.ended_by != "max_events":
        assert trace.rows == full.rows


@PROPERTY
@given(scenarios())
def test_trace_times_never_decrease(sc):
    trace = run(sc)
    times = [r[0] for r in trace.rows]
    assert all(a <= b for a, b in zip(times, times[1:]))
    assert not times or (times[0] >= 0 and times[-1] <= trace.end_time <= sc.until)


# ------------------------------------------------------------------ queues at a node keep arrival order


@st.composite
def tie_scenarios(draw):
    """Several senders stream to node 0 on a time grid, over constant-latency FIFO links, while
    node 0 is paused, slowed, crashed and recovered on the same grid: arrivals, resumes and
    the end of busy periods coincide, which is where queued work can lose its place."""
    from sim_helpers import Sender
    n = draw(st.integers(2, 4))
    grid = st.integers(0, 16).map(lambda k: k / 8)   # exact binary fractions
    faults = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["pause", "slow", "crash"]))
        at = draw(grid)
        until = at + draw(grid)
        if kind == "pause":
            faults.append(Pause(0, at=at, until=until))
        elif kind == "slow":
            faults.append(Slow(0, at=at, delay=draw(st.integers(1, 4)) / 8, until=until))
        else:
            faults.append(Crash(0, at=at, until=until))
    return Scenario(Sender, nodes=n, params={"to": 0, "count": draw(st.integers(2, 8)), "gap": 1 / 8},
                    link=LinkModel(latency=draw(st.integers(0, 8)) / 8), faults=faults, until=4.0)


@PROPERTY
@given(tie_scenarios())
def test_fifo_holds_through_pauses_and_slow_handlers(sc):
    trace = run(sc)
    assert trace.out_of_order() == 0
    got = defaultdict(list)
    for t, kind, node, peer, mid, msg, _v in trace.rows:
        if kind == "deliver":
            got[peer].append(msg.seq)
    assert all(seqs == sorted(seqs) for seqs in got.values()), dict(got)
    # and nothing waiting at a node is lost without a trace: every message ends delivered or dropped
    if trace.ended_by == "quiescent" and not trace.status_at(trace.end_time)["paused"]:
        assert (trace.messages().status != "in_flight").all()


# ------------------------------------------------------------------ the checkers can fail
# Tampered copies of a real trace, and a deliberately broken vector clock: each checker above
# must report them (a checker that never fails proves nothing).


def faulty_run():
    sc = Scenario(Chatter, nodes=4, link=LinkModel(latency=0.03), until=2.0,
                  faults=[Partition([[0, 1], [2, 3]], at=0.5, until=1.0), Crash(2, at=1.2, until=1.6),
                          Pause(3, at=0.2, until=0.4)],
                  inputs=[Input(0.1, 1, Note("x"))])
    return sc, run(sc, seed=5)


def tampered(trace, rows, cls=Trace):
    return cls(trace.nodes, rows, graph=trace.graph, seed=trace.seed, end_time=trace.end_time,
                 ended_by=trace.ended_by, meta=trace.meta)


def test_the_untampered_run_passes_every_checker():
    sc, trace = faulty_run()
    assert trace.count("crash") == 1 and trace.count("pause") == 1
    assert crossings(trace) == unblocked_sends(trace) == activity_while_down(trace) == []
    assert unmatched_deliveries(trace, sc.inputs) == fifo_violations(trace, sc) == []


def test_checkers_catch_a_message_across_the_partition():
    sc, trace = faulty_run()
    rows = list(trace.rows)
    i = next(i for i, r in enumerate(rows) if r[1] == "drop" and r[6] == "partition")
    t, _k, dst, src, mid, msg, _v = rows[i]
    rows[i] = (t, "deliver", dst, src, mid, msg, None)   # the drop becomes a delivery
    bad = tampered(trace, rows)
    assert crossings(bad) and unblocked_sends(bad)


def test_checkers_catch_a_crashed_node_that_acts():
    sc, trace = faulty_run()
    rows = list(trace.rows)
    i = next(i for i, r in enumerate(rows) if r[1] == "crash")
    t, _k, node, *_ = rows[i]
    peer = next(n for n in trace.nodes if n != node)
    rows.insert(i + 1, (t + 0.1, "send", node, peer, 10**6, "ghost", None))
    rows.sort(key=lambda r: r[0])
    assert len(activity_while_down(tampered(trace, rows))) == 2   # by status_at and by replay


def test_checkers_catch_a_delivery_without_a_send():
    sc, trace = faulty_run()
    for change in (lambda r: r[:4] + (10**6,) + r[5:],           # unknown msg_id
                   lambda r: r[:5] + ("forged",) + r[6:],          # different message
                   lambda r: r[:3] + (None,) + r[4:5] + ("forged",) + r[6:]):   # an input never given
        rows = list(trace.rows)
        i = next(i for i, r in enumerate(rows) if r[1] == "deliver" and r[3] is not None)
        rows[i] = change(rows[i])
        assert unmatched_deliveries(tampered(trace, rows), sc.inputs)


def test_checkers_catch_overtaking_on_a_fifo_link():
    sc, trace = faulty_run()
    rows = list(trace.rows)
    firsts = {}
    for i, r in enumerate(rows):
        if r[1] == "deliver" and r[3] is not None and r[3] != r[2]:
            firsts.setdefault((r[3], r[2]), []).append(i)
    i, j = next(v for v in firsts.values() if len(v) >= 2)[:2]
    rows[i], rows[j] = rows[i][:4] + rows[j][4:], rows[j][:4] + rows[i][4:]   # swap which message came first
    bad = tampered(trace, rows)
    assert fifo_violations(bad, sc) and bad.out_of_order() > 0


class NoMergeTrace(Trace):
    """A broken vector clock: a delivery ticks but forgets to merge the stamp the message carried."""

    def clocks(self):
        index = {n: i for i, n in enumerate(self.nodes)}
        vc_now = [[0] * len(self.nodes) for _ in self.nodes]
        lam, vcs = [], []
        for _t, kind, node, *_ in self.rows:
            if kind not in PROCESS_KINDS:
                lam.append(None)
                vcs.append(None)
                continue
            v = vc_now[index[node]]
            v[index[node]] += 1
            lam.append(v[index[node]])
            vcs.append(tuple(v))
        return lam, vcs


def test_causality_checks_catch_a_vector_clock_that_does_not_merge():
    sc = Scenario(Chatter, nodes=3, until=0.5, max_events=60)
    trace = run(sc, seed=2)
    assert causality_mismatches(trace) == []
    broken = tampered(trace, list(trace.rows), cls=NoMergeTrace)
    assert causality_mismatches(broken)
    lamport, _ = broken.clocks()
    g = causal_graph(broken)
    assert any(lamport[a] >= lamport[b] for a in g.nodes for b in nx.descendants(g, a))
