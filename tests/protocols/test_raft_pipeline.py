"""PipelinedRaft: entries in flight are tracked, sent once unless lost, and Raft stays safe and live."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.protocols.consensus.raft import Raft, chaos_scenario, client_liveness, raft_safety
from dsysedu.protocols.consensus.raft.experiments import raft_commit_cost
from dsysedu.protocols.consensus.raft.jepsen import check_kv_run, kv_run
from dsysedu.protocols.consensus.raft.messages import LEADER, AppendEntries, AppendEntriesReply, Command
from dsysedu.protocols.consensus.raft.pipeline import PipelinedRaft
from dsysedu.sim import Context, LinkModel, Scenario, run
from dsysedu.sim.node import SEND


def leader(window=2, entries=6):
    r = PipelinedRaft(0, (1, 2), window=window, max_entries=1)
    ctx = Context(0, (1, 2), rng=random.Random(0))
    r.current_term = 1
    r.become_leader(ctx)
    ctx.effects.clear()
    for i in range(entries):
        r.append(ctx, Command("c", i + 1, ("set", "x", i)))
    return r, ctx


def appends(ctx, to=1):
    return [m for e in ctx.effects if e[0] == SEND and e[1] == to and isinstance(m := e[2], AppendEntries)]


def test_the_window_bounds_what_is_in_flight():
    r, ctx = leader(window=3)   # becoming leader sent the no-op (index 1): one batch in flight already
    r.replicate(ctx)
    r.replicate(ctx)
    r.replicate(ctx)
    sent = [m for m in appends(ctx) if m.entries]
    assert [m.prev_log_index for m in sent] == [1, 2] and r.in_flight[1] == 3   # then the window is full


def test_a_heartbeat_with_entries_in_flight_carries_none_and_matches_what_the_follower_holds():
    r, ctx = leader(window=1)
    r.replicate(ctx)
    ctx.effects.clear()
    ctx.now = 0.05
    r.replicate(ctx)
    beat, = appends(ctx)
    assert beat.entries == () and beat.prev_log_index == r.match_index[1] == 0


def test_a_reply_frees_the_window_and_the_next_batch_goes_at_once():
    r, ctx = leader(window=1)
    r.replicate(ctx)
    ctx.effects.clear()
    r.on_append_entries_reply(ctx, 1, AppendEntriesReply(1, True, 2))
    nxt, = appends(ctx)
    assert nxt.prev_log_index == 2 and r.match_index[1] == 2


def test_no_progress_for_retransmit_seconds_sends_again_from_match_index():
    r, ctx = leader(window=4)
    r.replicate(ctx)
    ctx.effects.clear()
    ctx.now = r.retransmit + 0.001
    r.replicate(ctx)
    first = [m for m in appends(ctx) if m.entries][0]
    assert first.prev_log_index == r.match_index[1] == 0


@pytest.mark.parametrize("kw, err", [({"window": 0}, ValueError), ({"retransmit": 0}, ValueError),
                                     ({"window": 2.5}, TypeError)])
def test_bad_settings_are_refused(kw, err):
    with pytest.raises(err):
        PipelinedRaft(0, (1, 2), **kw)


def test_each_command_travels_once_where_plain_raft_sends_about_half_twice():
    plain = [m for s in range(4) for m in raft_commit_cost(s).messages]
    piped = [m for s in range(4) for m in raft_commit_cost(s, protocol=PipelinedRaft).messages]
    assert set(piped) == {8} and len(piped) == len(plain) == 80   # 4 AppendEntries, 4 replies
    assert sum(plain) > sum(piped) and max(plain) == 16


def test_lost_messages_are_sent_again():
    from dsysedu.sim import Input
    from dsysedu.protocols.consensus.raft.messages import ClientRequest
    inputs = [Input(1.0 + 0.05 * i, 0, ClientRequest("c", i + 1, ("set", "x", i))) for i in range(10)]
    trace = run(Scenario(PipelinedRaft, nodes=3, link=LinkModel(latency=0.01, loss=0.3), until=4.0,
                         inputs=inputs), seed=3)
    assert len(trace.observations("retransmit")) > 0
    assert raft_safety(trace).ok
    applied = trace.observations("applied")
    assert {v[1].seq for v in applied.value if hasattr(v[1], "seq")} == set(range(1, 11))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), nodes=st.sampled_from([3, 5]))
def test_random_fault_schedules_keep_raft_safe_and_live(seed, nodes):
    trace = run(chaos_scenario(nodes, protocol=PipelinedRaft), seed=seed)
    assert raft_safety(trace).ok, raft_safety(trace)
    assert client_liveness(trace, within=1.5, after=2.0).ok


def test_the_kv_store_on_pipelined_raft_stays_linearizable():
    bad = [s for s in range(40) if not check_kv_run(kv_run(s, 5, clients=3, protocol=PipelinedRaft)).ok]
    assert bad == []
