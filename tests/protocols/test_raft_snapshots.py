"""Log compaction: snapshots, InstallSnapshot in chunks, durability, and the checkers on compacted logs."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.protocols.consensus.raft import Raft, chaos_scenario, client_liveness, raft_safety
from dsysedu.protocols.consensus.raft.jepsen import check_kv_run, kv_run
from dsysedu.protocols.consensus.raft.messages import LEADER, NOOP, AppendEntries, Command, ClientRequest
from dsysedu.protocols.consensus.raft.snapshots import (CompactingRaft, InstallSnapshot, InstallSnapshotReply,
                                                        RaftSnapshotsUncommitted, snapshot_agreement, snapshot_scenario,
                                                        state_digest, transfer_chunks)
from dsysedu.protocols.consensus.raft.state_machine import KeyValueStore
from dsysedu.sim import Context, Crash, Input, LinkModel, Partition, Scenario, Trace, run
from dsysedu.sim.node import SEND


def sends(ctx, kind=None):
    return [e[2] for e in ctx.effects if e[0] == SEND and (kind is None or isinstance(e[2], kind))]


def follower(**kw):
    f = CompactingRaft(1, (0, 2), **kw)
    return f, Context(1, (0, 2), rng=random.Random(0))


def test_a_snapshot_every_n_applied_entries_cuts_the_log():
    f, ctx = follower(snapshot_every=2)
    entries = tuple((1, Command("c", i, ("set", "x", i))) for i in range(1, 6))
    f.on_append_entries(ctx, 0, AppendEntries(1, 0, 0, 0, entries, 5))
    assert f.snapshot_index == 4 and f.snapshot_term == 1 and len(f.log) == 1
    assert f.last_log_index() == 5 and f.term_at(4) == 1 and f.term_at(3) is None
    assert f.snapshot.get("x") == 4 and f.state_machine.get("x") == 5


def test_the_consistency_check_uses_the_snapshots_last_entry():
    f, ctx = follower(snapshot_every=2)
    entries = tuple((1, Command("c", i, ("set", "x", i))) for i in range(1, 5))
    f.on_append_entries(ctx, 0, AppendEntries(1, 0, 0, 0, entries, 4))
    ctx.effects.clear()
    f.on_append_entries(ctx, 0, AppendEntries(1, 0, 4, 1, ((1, NOOP),), 4))       # prev = the snapshot's last entry
    assert sends(ctx)[-1].success and f.last_log_index() == 5
    ctx.effects.clear()
    f.on_append_entries(ctx, 0, AppendEntries(1, 0, 2, 1, entries[2:] + ((1, NOOP),), 4))   # reaches into it
    assert sends(ctx)[-1].success and f.last_log_index() == 5


def test_a_leader_sends_its_snapshot_in_chunks_to_a_follower_behind_it():
    leader = CompactingRaft(0, (1, 2), snapshot_every=2, chunk_size=2)
    ctx = Context(0, (1, 2), rng=random.Random(0))
    leader.current_term, leader.role = 1, LEADER
    store = KeyValueStore({"a": 1, "b": 2, "c": 3}, {("c", 1): 1})
    leader.snapshot, leader.snapshot_index, leader.snapshot_term = store, 4, 1
    leader.commit_index = leader.last_applied = 4
    leader.next_index, leader.match_index = {1: 1, 2: 5}, {1: 0, 2: 4}
    leader.send_append_entries(ctx, 1)
    first = sends(ctx, InstallSnapshot)
    assert len(first) == 1 and first[0].offset == 0 and len(first[0].data) == 2 and not first[0].done
    f, fctx = follower(chunk_size=2)
    chunk = first[0]
    while True:
        f.on_install_snapshot(fctx, 0, chunk)
        reply = sends(fctx, InstallSnapshotReply)[-1]
        ctx.effects.clear()
        leader.on_install_snapshot_reply(ctx, 1, reply)
        if reply.done:
            break
        chunk = sends(ctx, InstallSnapshot)[-1]
    assert f.state_machine == store and f.snapshot_index == 4 and f.commit_index == 4
    assert leader.match_index[1] == 4 and leader.next_index[1] == 5


def test_an_answer_asking_for_the_chunk_on_its_way_sends_nothing():
    leader = CompactingRaft(0, (1, 2), snapshot_every=2, chunk_size=1)
    ctx = Context(0, (1, 2), rng=random.Random(0))
    leader.current_term, leader.role = 1, LEADER
    leader.snapshot = KeyValueStore({"a": 1, "b": 2, "c": 3})
    leader.snapshot_index, leader.snapshot_term, leader.commit_index = 4, 1, 4
    leader.next_index, leader.match_index, leader.sending = {1: 1, 2: 5}, {1: 0, 2: 4}, {1: 2}
    leader.on_install_snapshot_reply(ctx, 1, InstallSnapshotReply(1, 4, 2, False))   # chunk 2 is on its way
    assert sends(ctx, InstallSnapshot) == [] and leader.sending[1] == 2
    leader.on_install_snapshot_reply(ctx, 1, InstallSnapshotReply(1, 4, 0, False))   # it restarted: from 0
    assert [m.offset for m in sends(ctx, InstallSnapshot)] == [0] and leader.sending[1] == 0


@pytest.mark.parametrize("seed", range(6))
def test_resent_chunks_do_not_multiply(seed):
    # each heartbeat resends the chunk on its way; its answer must not start a second chain of chunks
    trace = run(snapshot_scenario(seed=seed), seed=seed)
    installed = trace.observations("installed")
    assert len(installed) == 1
    sent = transfer_chunks(trace, since=1.2)   # from the heal to the install
    needed = len(set(sent.value))
    heartbeats = sum(1 for r in trace.rows if r[1] == "timer_fire" and r[5] == "heartbeat"
                     and 1.2 < r[0] <= installed.time.iloc[0] and r[2] == installed.value.iloc[0][2])
    assert len(sent) <= needed + heartbeats


def test_transfer_chunks_needs_an_install_after_its_start():
    trace = run(snapshot_scenario(), seed=0)
    with pytest.raises(ValueError, match="no snapshot was installed after t=5"):
        transfer_chunks(trace, since=5.0)


def test_a_chunk_out_of_order_is_asked_for_again():
    f, ctx = follower()
    f.on_install_snapshot(ctx, 0, InstallSnapshot(1, 0, 8, 1, 4, (("d", "x", 1),), True))
    assert sends(ctx, InstallSnapshotReply)[-1] == InstallSnapshotReply(1, 8, 0, False)


def test_install_keeps_the_entries_after_the_snapshot_when_the_log_agrees():
    f, ctx = follower()
    entries = tuple((1, Command("c", i, ("set", "x", i))) for i in range(1, 7))
    f.on_append_entries(ctx, 0, AppendEntries(1, 0, 0, 0, entries, 0))
    f.install(ctx, 4, 1, KeyValueStore({"x": 4}), 0)
    assert f.log == entries[4:] and f.last_log_index() == 6
    f.install(ctx, 8, 2, KeyValueStore({"x": 8}), 0)   # disagrees (no index 8): the log goes
    assert f.log == () and f.last_log_index() == 8


def test_a_snapshot_survives_a_crash():
    inputs = [Input(0.5 + 0.05 * i, 0, ClientRequest("c", i + 1, ("set", "x", i + 1))) for i in range(8)]
    sc = Scenario(CompactingRaft, nodes=3, params={"snapshot_every": 3}, node_params={0: {"election_timeout": 0.05}},
                  link=LinkModel(latency=0.01), faults=[Crash(1, at=1.2, until=1.3)], inputs=inputs, until=2.0)
    trace = run(sc, seed=1)
    obs = trace.observations()
    after = obs[(obs.node == 1) & (obs.time >= 1.3) & (obs.key == "commit_index")]
    assert after.value.iloc[0] >= 6   # it starts from its snapshot, not from zero
    assert raft_safety(trace).ok


@pytest.mark.parametrize("kw, err", [({"snapshot_every": 0}, ValueError), ({"chunk_size": 0}, ValueError),
                                     ({"snapshot_every": 1.5}, TypeError)])
def test_bad_settings_are_refused(kw, err):
    with pytest.raises(err):
        CompactingRaft(0, (1, 2), **kw)


def test_a_follower_cut_off_for_long_gets_the_snapshot():
    inputs = [Input(0.3 + 0.05 * i, 0, ClientRequest("c", i + 1, ("set", "k", i))) for i in range(20)]
    sc = Scenario(CompactingRaft, nodes=3, params={"snapshot_every": 4, "chunk_size": 1},
                  node_params={0: {"election_timeout": 0.05}}, link=LinkModel(latency=0.01),
                  faults=[Partition(((0, 1), (2,)), at=0.2, until=1.5)], inputs=inputs, until=2.5)
    trace = run(sc, seed=0)
    obs = trace.observations()
    assert len(obs[(obs.key == "installed") & (obs.node == 2)]) == 1
    assert len(obs[(obs.key == "chunk") & (obs.value.apply(lambda v: isinstance(v, tuple) and v[0] == 2))]) >= 2
    assert raft_safety(trace).ok and client_liveness(trace, within=1.0, after=1.5).ok


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), every=st.sampled_from([1, 2, 3]), chunk=st.sampled_from([1, 2, 8]))
def test_random_fault_schedules_keep_compacting_raft_safe_and_live(seed, every, chunk):
    trace = run(chaos_scenario(5, protocol=CompactingRaft, snapshot_every=every, chunk_size=chunk, requests=12),
                seed=seed)
    assert raft_safety(trace).ok, raft_safety(trace)
    assert client_liveness(trace, within=1.5, after=2.0).ok


def test_snapshots_of_uncommitted_entries_are_caught():
    caught = [s for s in range(100)
              if not raft_safety(run(chaos_scenario(5, protocol=RaftSnapshotsUncommitted, snapshot_every=2,
                                                    chunk_size=2, requests=12), seed=s)).ok]
    assert len(caught) >= 5


def test_the_kv_store_on_compacting_raft_stays_linearizable():
    bad = [s for s in range(40)
           if not check_kv_run(kv_run(s, 5, clients=3, protocol=CompactingRaft, snapshot_every=3)).ok]
    assert bad == []


def test_snapshot_agreement_reports_two_states_for_one_index():
    rows = [(0.1, "observe", 0, None, None, "snapshot", (4, 1, "aaa")),
            (0.2, "observe", 1, None, None, "snapshot", (4, 1, "bbb"))]
    v = snapshot_agreement(Trace([0, 1], rows))
    assert not v.ok and v.events == (0, 1)


def test_state_digest_is_the_same_for_equal_stores():
    assert state_digest(KeyValueStore({"a": 1, "b": 2})) == state_digest(KeyValueStore({"b": 2, "a": 1}))
    assert state_digest(KeyValueStore({"a": 1})) != state_digest(KeyValueStore({"a": 2}))


def test_plain_raft_never_compacts():
    trace = run(chaos_scenario(5), seed=3)
    assert (trace.observations().key != "snapshot").all()
