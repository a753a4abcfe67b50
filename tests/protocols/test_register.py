"""The replicated register: ABD steps, CP stays linearizable and gives up availability under a
partition, AP stays available and gives up consistency, and the checker catches the broken variants."""
from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check.history import History
from dsysedu.protocols.replication import cap as cap_module
from dsysedu.protocols.replication import register as register_module
from dsysedu.protocols.replication.cap import (cap_measures, cap_scenario, client_homes, default_partition, final_values,
                                   lost_write_ops, stale_read_ops)
from dsysedu.protocols.replication import register_workload as workload_module
from dsysedu.protocols.replication.register import (LWW_ZERO, ZERO_TAG, ClientReply, ClientRequest, LwwReplica, Query,
                                        QueryReply, AbdReplica, Replicate, Store, StoreAck, Sync)
from dsysedu.protocols.replication.register_workload import Client
from dsysedu.sim import Constant, Crash, LinkModel, run
from dsysedu.sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context

REPLICAS = (0, 1, 2, 3, 4)


def _ctx(node, known=REPLICAS + (5, 6)):
    return Context(node, [n for n in known if n != node], known=known)


def _sends(effects):
    return [(e[1], e[2]) for e in effects if e[0] == SEND]


# -- ABD handlers ------------------------------------------------------------------------

def test_write_queries_every_replica_then_stores_a_higher_tag_at_all_after_a_majority():
    r = AbdReplica(0, replicas=REPLICAS)
    ctx = _ctx(0)
    r.on_message(ctx, 5, ClientRequest(1, "write", "x", "c5-1"))
    eff = ctx.take_effects()
    assert _sends(eff) == [(n, Query((5, 1), "x")) for n in REPLICAS]
    assert (SET_TIMER, ("op", 5, 1), 0.3) in eff
    r.on_message(ctx, 0, QueryReply((5, 1), "x", ZERO_TAG, None))
    r.on_message(ctx, 3, QueryReply((5, 1), "x", (4, 6), "c6-2"))
    r.on_message(ctx, 3, QueryReply((5, 1), "x", (4, 6), "c6-2"))  # a duplicate does not count twice
    assert _sends(ctx.take_effects()) == []
    r.on_message(ctx, 2, QueryReply((5, 1), "x", (2, 7), "c7-1"))
    # the highest tag a majority has is (4, 6): the write takes (5, writer)
    assert _sends(ctx.take_effects()) == [(n, Store((5, 1), "x", (5, 5), "c5-1")) for n in REPLICAS]
    r.on_message(ctx, 4, QueryReply((5, 1), "x", (9, 9), "late"))  # phase 1 is over: ignored
    for n in (0, 4):
        r.on_message(ctx, n, StoreAck((5, 1), "x"))
    assert _sends(ctx.take_effects()) == []
    r.on_message(ctx, 1, StoreAck((5, 1), "x"))
    eff = ctx.take_effects()
    assert _sends(eff) == [(5, ClientReply(1, "ok", None))] and (CANCEL_TIMER, ("op", 5, 1), None) in eff
    assert r.ops == {}


@pytest.mark.parametrize("write_back", [True, False])
def test_read_writes_the_highest_value_back_before_answering(write_back):
    r = AbdReplica(1, replicas=REPLICAS, write_back=write_back)
    ctx = _ctx(1)
    r.on_message(ctx, 6, ClientRequest(3, "read", "x"))
    ctx.take_effects()
    for n, tag, v in ((1, ZERO_TAG, None), (2, (3, 5), "c5-4"), (4, (1, 6), "c6-1")):
        r.on_message(ctx, n, QueryReply((6, 3), "x", tag, v))
    sends = _sends(ctx.take_effects())
    if not write_back:  # the broken variant answers at once
        assert sends == [(6, ClientReply(3, "ok", "c5-4"))]
        return
    assert sends == [(n, Store((6, 3), "x", (3, 5), "c5-4")) for n in REPLICAS]
    for n in (1, 2, 3):
        r.on_message(ctx, n, StoreAck((6, 3), "x"))
    assert _sends(ctx.take_effects()) == [(6, ClientReply(3, "ok", "c5-4"))]


def test_store_keeps_only_higher_tags_and_always_acks():
    r = AbdReplica(2, replicas=REPLICAS)
    ctx = _ctx(2)
    r.on_message(ctx, 0, Store((5, 1), "x", (2, 5), "c5-1"))
    assert r.store == {"x": ((2, 5), "c5-1")}
    assert (OBSERVE, "holds", ("x", "c5-1")) in ctx.take_effects()
    r.on_message(ctx, 1, Store((6, 1), "x", (1, 6), "c6-1"))
    assert r.store == {"x": ((2, 5), "c5-1")}
    assert _sends(ctx.take_effects()) == [(1, StoreAck((6, 1), "x"))]
    r.on_message(ctx, 1, Query((6, 2), "x"))
    assert _sends(ctx.take_effects()) == [(1, QueryReply((6, 2), "x", (2, 5), "c5-1"))]


@pytest.mark.parametrize("kind, phase, status", [("write", "query", "fail"), ("write", "store", "info"),
                                                 ("read", "query", "fail"), ("read", "store", "fail")])
def test_a_timeout_fails_only_what_certainly_did_not_happen(kind, phase, status):
    r = AbdReplica(0, replicas=REPLICAS)
    ctx = _ctx(0)
    r.on_message(ctx, 5, ClientRequest(1, kind, "x", "c5-1" if kind == "write" else None))
    if phase == "store":
        for n in (0, 1, 2):
            r.on_message(ctx, n, QueryReply((5, 1), "x", ZERO_TAG, None))
        assert r.ops[(5, 1)][0] == "store"
    ctx.take_effects()
    r.on_timer(ctx, ("op", 5, 1))
    assert _sends(ctx.take_effects()) == [(5, ClientReply(1, status, None))]
    r.on_timer(ctx, ("op", 5, 1))  # a second firing finds nothing to do
    assert ctx.take_effects() == []


def test_client_gives_up_unknown_on_writes_and_failed_on_reads():
    c = Client(5, replica=0, write_share=1.0, timeout=0.5)
    ctx = Context(5, (0,))
    c.on_timer(ctx, "next")
    eff = ctx.take_effects()
    assert eff[0] == (OBSERVE, "invoke", (1, "write", "x", "c5-1"))
    assert (SEND, 0, ClientRequest(1, "write", "x", "c5-1")) in eff and (SET_TIMER, "timeout", 0.5) in eff
    c.on_message(ctx, 0, ClientReply(7, "ok"))  # not the open operation
    assert ctx.take_effects() == []
    c.on_timer(ctx, "timeout")
    assert (OBSERVE, "complete", (1, "info", None)) in ctx.take_effects()
    reader = Client(6, replica=0, write_share=0.0)
    reader.on_timer(ctx, "next")
    reader.on_timer(ctx, "timeout")
    assert (OBSERVE, "complete", (1, "fail", None)) in ctx.take_effects()
    late = Client(7, replica=0, stop_at=1.0)
    ctx.now = 1.0
    late.on_timer(ctx, "next")
    assert ctx.take_effects() == [] and late.n == 0


# -- LWW handlers ------------------------------------------------------------------------

def test_lww_answers_at_once_and_pushes_the_write():
    r = LwwReplica(1, replicas=(0, 1, 2))
    ctx = Context(1, (0, 2, 5), known=(0, 1, 2, 5))
    ctx.now = 2.0
    r.on_message(ctx, 5, ClientRequest(1, "write", "x", "c5-1"))
    tag, value, vv = r.store["x"]
    assert tag == (2.0, 1, 1) and value == "c5-1" and vv == (0, 1, 0)
    assert _sends(ctx.take_effects()) == [(0, Replicate("x", tag, "c5-1", vv)), (2, Replicate("x", tag, "c5-1", vv)),
                                          (5, ClientReply(1, "ok", None))]
    r.on_message(ctx, 5, ClientRequest(2, "read", "x"))
    assert _sends(ctx.take_effects()) == [(5, ClientReply(2, "ok", "c5-1"))]
    r.on_message(ctx, 5, ClientRequest(3, "read", "y"))
    assert _sends(ctx.take_effects()) == [(5, ClientReply(3, "ok", None))]


def test_lww_merge_keeps_the_higher_tag_and_reports_a_concurrent_loser():
    r = LwwReplica(0, replicas=(0, 1, 2))
    ctx = Context(0, (1, 2))
    r.on_message(ctx, 1, Replicate("x", (1.0, 1, 1), "c5-1", (0, 1, 0)))
    assert r.store["x"] == ((1.0, 1, 1), "c5-1", (0, 1, 0))
    # causally later (its vector dominates) and later tag: a plain overwrite, nothing discarded
    r.on_message(ctx, 1, Replicate("x", (1.5, 1, 2), "c5-2", (0, 2, 0)))
    assert not [e for e in ctx.take_effects() if e[1] == "discarded"]
    # concurrent and older tag: the incoming version loses, and that is a discard
    r.on_message(ctx, 2, Sync((("x", (1.2, 2, 1), "c6-1", (0, 0, 1)),)))
    assert (OBSERVE, "discarded", ("x", "c6-1")) in ctx.take_effects()
    assert r.store["x"] == ((1.5, 1, 2), "c5-2", (0, 2, 1))
    # concurrent and newer tag: the local version is discarded
    r.on_message(ctx, 2, Replicate("x", (1.9, 2, 2), "c6-2", (0, 0, 2)))
    eff = ctx.take_effects()
    assert (OBSERVE, "discarded", ("x", "c5-2")) in eff and (OBSERVE, "holds", ("x", "c6-2")) in eff
    # an old copy of a version the merged vector already covers: no discard
    r.on_message(ctx, 1, Replicate("x", (1.5, 1, 2), "c5-2", (0, 2, 0)))
    assert ctx.take_effects() == []


def test_lww_anti_entropy_sends_the_whole_state_to_the_others():
    r = LwwReplica(0, replicas=(0, 1, 2), sync_interval=0.2)
    ctx = Context(0, (1, 2))
    r.on_timer(ctx, "sync")
    assert ctx.take_effects() == [(SET_TIMER, "sync", 0.2)]  # nothing to send yet
    r.store = {"y": ((1.0, 0, 1), "c5-1", (1, 0, 0)), "x": ((2.0, 0, 2), "c5-2", (2, 0, 0))}
    r.on_timer(ctx, "sync")
    entries = (("x", (2.0, 0, 2), "c5-2", (2, 0, 0)), ("y", (1.0, 0, 1), "c5-1", (1, 0, 0)))
    assert _sends(ctx.take_effects()) == [(1, Sync(entries)), (2, Sync(entries))]
    assert LwwReplica(1, replicas=(0, 1))._current("x") == (LWW_ZERO, None, (0, 0))


# -- CP under faults -------------------------------------------------------------------------

@st.composite
def fault_schedules(draw):
    replicas = draw(st.sampled_from([3, 5]))
    side = draw(st.lists(st.booleans(), min_size=replicas, max_size=replicas))
    if all(side) or not any(side):
        side[0] = not side[0]
    groups = [[r for r in range(replicas) if side[r]], [r for r in range(replicas) if not side[r]]]
    at = draw(st.floats(0.0, 1.0))
    heal = draw(st.one_of(st.none(), st.floats(at + 0.1, 2.5)))
    crashes = []
    if draw(st.booleans()):
        node = draw(st.integers(0, replicas - 1))
        t = draw(st.floats(0.0, 2.0))
        crashes.append(Crash(node, at=t, until=t + draw(st.floats(0.05, 0.8))))
    return dict(replicas=replicas, partition=groups, partition_at=at, heal_at=heal, faults=crashes,
                keys=draw(st.integers(1, 3)), clients=draw(st.integers(2, 5)))


@settings(max_examples=60, deadline=None)
@given(fault_schedules(), st.integers(0, 10_000))
def test_cp_histories_are_linearizable_under_random_partitions_and_crashes(kw, seed):
    m = cap_measures(run(cap_scenario("CP", **kw), seed=seed))
    assert m.linearizable, m.verdict
    assert m.stale == 0 and m.lost == 0
    assert m.operations > 0


@pytest.mark.parametrize("seed", range(8))
def test_cp_minority_is_unavailable_and_majority_answers_while_partitioned(seed):
    sc = cap_scenario("CP", partition=[[0, 1], [2, 3, 4]], partition_at=0.5, heal_at=2.0, until=3.0)
    trace = run(sc, seed=seed)
    homes = client_homes(5, 4, [[0, 1], [2, 3, 4]])
    history = History.from_trace(trace)
    inside = [op for op in history if 0.5 < op.invoke < 2.0 - 0.3 - 0.05]
    minority = [op for op in inside if homes[op.client] in (0, 1)]
    majority = [op for op in inside if homes[op.client] in (2, 3, 4)]
    assert minority and majority
    assert all(op.status == "fail" for op in minority)   # refused: certainly not done
    assert all(op.status == "ok" for op in majority)
    assert cap_measures(trace).answered < 1


# -- AP ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(10))
def test_ap_answers_everything_and_under_a_partition_reads_go_stale_and_writes_get_lost(seed):
    trace = run(cap_scenario("AP"), seed=seed)
    m = cap_measures(trace)
    assert m.answered == 1.0 and m.failed == m.unknown == 0
    assert m.stale > 0 and m.lost > 0 and not m.linearizable
    assert m.converged  # healed at 2.0, anti-entropy every 0.2 s, run until 3.0
    finals = final_values(trace)
    assert len({tuple(sorted(finals[r].items())) for r in range(5)}) == 1


def test_ap_sides_diverge_during_the_partition_and_converge_after_heal():
    trace = run(cap_scenario("AP", partition_at=0.5, heal_at=2.0), seed=3)
    def held(t):
        out = {}
        for r in trace.rows:
            if r[0] > t:
                break
            if r[1] == "observe" and r[5] == "holds" and r[6][0] == "x":
                out[r[2]] = r[6][1]
        return out
    during = held(1.9)  # each side holds a value written on its own side (clients 5, 7 by 0, 1; 6, 8 by 2, 3)
    assert {during[r].split("-")[0] for r in (0, 1)} <= {"c5", "c7"}
    assert {during[r].split("-")[0] for r in (2, 3, 4)} <= {"c6", "c8"}
    after = held(2.0 + 2 * 0.2 + 0.05)
    assert len({after[r] for r in range(5)}) == 1


def test_ap_without_partition_and_fast_links_is_mostly_linearizable():
    fast = LinkModel(latency=Constant(0.001))
    verdicts = [cap_measures(run(cap_scenario("AP", partition=None, link=fast), seed=s)).linearizable
                for s in range(10)]
    assert sum(verdicts) >= 8


def test_ap_clock_skew_loses_causally_later_writes_without_any_partition():
    m = cap_measures(run(cap_scenario("AP", partition=None, clock_offset={0: -1.0}), seed=1))
    assert m.lost > 0 and m.answered == 1.0


# -- broken variants the checker must catch ------------------------------------------------------

def test_cp_with_quorum_one_is_available_but_not_linearizable_under_partition():
    for seed in range(5):
        m = cap_measures(run(cap_scenario("CP", quorum=1), seed=seed))
        assert m.answered == 1.0 and not m.linearizable and m.stale > 0


def _one_slow_writer(write_back):
    """Writes only at replica 0, whose links to 2, 3, 4 are slow: a value sits on 0 and 1 for a while."""
    sc = cap_scenario("CP", partition=None, write_back=write_back, clients=5, think=0.03)
    params = {n: dict(p, write_share=1.0 if n == 5 else 0.0) if n >= 5 else p for n, p in sc.node_params.items()}
    return sc.replace(links={(0, k): LinkModel(latency=0.25) for k in (2, 3, 4)}, node_params=params)


@pytest.mark.parametrize("seed", range(4))
def test_reads_without_write_back_go_back_in_time_and_the_checker_says_so(seed):
    broken = cap_measures(run(_one_slow_writer(False), seed=seed))
    assert not broken.linearizable and broken.verdict.window
    fixed = cap_measures(run(_one_slow_writer(True), seed=seed))
    assert fixed.linearizable, fixed.verdict


# -- measures on hand-made histories ---------------------------------------------------------------

def test_stale_read_definition():
    from dsysedu.check.history import Operation as Op
    h = History([Op(0, "a", "write", "x", "c1-1", invoke=0, complete=1),
                 Op(1, "b", "write", "x", "c2-1", invoke=2, complete=3),
                 Op(2, "c", "read", "x", None, invoke=4, complete=5, result="c1-1"),   # stale
                 Op(3, "c", "read", "x", None, invoke=2.5, complete=2.7, result="c1-1"),  # concurrent: fine
                 Op(4, "a", "read", "x", None, invoke=6, complete=7, result="c2-1"),
                 Op(5, "a", "read", "x", None, invoke=8, complete=9, result=None),     # initial value: stale
                 Op(6, "a", "read", "y", None, invoke=8, complete=9, result=None)])
    assert [op.id for op in stale_read_ops(h)] == [2, 5]


# -- bad input and determinism -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, words", [
    (dict(mode="CA"), "mode must be one of ('CP', 'AP')"),
    (dict(replicas=0), "replicas"),
    (dict(clients=0), "clients"),
    (dict(keys=4), "keys must be an int in 1..3"),
    (dict(partition=[[0, 1], [1, 2, 3, 4]]), "must not overlap"),
    (dict(partition=[[0, 1], [2, 3]]), "missing [4]"),
    (dict(partition=[[0, 1, 2, 3, 4]]), "at least 2 non-empty groups"),
    (dict(partition=[[0, 1], [2, 3, 4, 7]]), "replica ids only"),
    (dict(partition="halves"), "'default', None"),
    (dict(partition_at=1.0, heal_at=0.5), "heal_at must be after partition_at"),
    (dict(heal_at=9.0), "heal_at"),
    (dict(write_share=1.5), "write_share"),
    (dict(quorum=6), "quorum must be None"),
])
def test_bad_input_says_what_is_allowed(kwargs, words):
    with pytest.raises((ValueError, TypeError)) as info:
        sc = cap_scenario(**kwargs)
        run(sc, seed=0)  # node parameters are checked when the nodes are built
    assert words in str(info.value)


def test_partition_needs_two_replicas():
    with pytest.raises(ValueError, match="at least 2 replicas"):
        default_partition(1)
    assert cap_scenario("CP", replicas=1, partition="default").faults == ()


def test_same_seed_same_trace_and_another_seed_another():
    for mode in ("CP", "AP"):
        a, b, c = (run(cap_scenario(mode), seed=s) for s in (4, 4, 5))
        assert a == b and a != c


def test_lost_writes_come_only_from_acknowledged_discarded_values():
    trace = run(cap_scenario("AP"), seed=2)
    history = History.from_trace(trace)
    lost = lost_write_ops(history, trace)
    discarded = {r[6][1] for r in trace.rows if r[1] == "observe" and r[5] == "discarded"}
    assert lost and all(w.status == "ok" and w.value in discarded for w in lost)
    finals = {v for vals in final_values(trace).values() for v in vals.values()}
    assert not finals & {w.value for w in lost}


def test_doctests():
    assert doctest.testmod(register_module).failed == 0
    assert doctest.testmod(cap_module).failed == 0
    assert doctest.testmod(workload_module).failed == 0


def test_answered_by_side_minority_refused_majority_served():
    from dsysedu.protocols.replication.cap import answered_by_side, partition_groups
    cp = run(cap_scenario("CP"), seed=3)
    assert partition_groups(cp) == [[0, 1], [2, 3, 4]]
    assert answered_by_side(cp, 0.5, 2.0 - 0.35) == [0.0, 1.0]
    assert answered_by_side(run(cap_scenario("AP"), seed=3), 0.5, 2.0) == [1.0, 1.0]
    assert partition_groups(run(cap_scenario("CP", partition=None), seed=3)) is None


@pytest.mark.parametrize("seed", range(4))
def test_siblings_lose_no_write_but_reads_may_return_several_values(seed):
    trace = run(cap_scenario("AP", merge="siblings"), seed=seed)
    m = cap_measures(trace)
    assert m.answered == 1.0 and m.lost == 0 and m.converged and m.stale > 0
    assert not [r for r in trace.rows if r[1] == "observe" and r[5] == "discarded"]


def test_siblings_show_up_in_reads_and_a_write_resolves_them():
    from dsysedu.protocols.replication.register import SiblingReplica
    reads = [op for s in range(4) for op in History.from_trace(run(cap_scenario("AP", merge="siblings"), seed=s))
             if isinstance(op.result, tuple)]
    assert reads and all(len(op.result) >= 2 for op in reads)
    r = SiblingReplica(0, replicas=(0, 1))
    ctx = Context(0, (1, 5), known=(0, 1, 5))
    r.on_message(ctx, 1, Replicate("x", (1.0, 1, 1), "c5-1", (0, 1)))
    r.on_message(ctx, 1, Sync((("x", (0.5, 0, 1), "c6-1", (1, 0)),)))
    assert r._read("x") == ("c5-1", "c6-1")
    r.on_message(ctx, 5, ClientRequest(1, "write", "x", "c5-2"))  # its vector covers both siblings
    assert r._read("x") == "c5-2" and r.store["x"][0][2] == (2, 1)
    r.on_message(ctx, 1, Replicate("x", (1.0, 1, 1), "c5-1", (0, 1)))  # an old sibling comes back: dominated
    assert r._read("x") == "c5-2"


def test_merge_must_be_known():
    with pytest.raises(ValueError, match=r"merge must be one of \('lww', 'siblings'\)"):
        cap_scenario("AP", merge="newest")
