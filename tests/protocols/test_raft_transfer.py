"""Leadership transfer on a precursor signal (RaftTransfer, thesis §3.10): handlers, safety, the measurement."""
from __future__ import annotations

import random

import pytest

from dsysedu import run
from dsysedu.protocols.consensus.raft import (CANDIDATE, LEADER, AppendEntriesReply, RaftTransfer, RequestVote,
                                              TimeoutNow, chaos_scenario, gray_failure_run, handover_experiment,
                                              raft_safety)
from dsysedu.sim.node import OBSERVE, SEND, Context


def leader(peers=(0, 2, 3, 4), me=1, **params):
    r = RaftTransfer(me, peers, **params)
    ctx = Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))
    r.current_term = 2
    r.log = ((2, "noop"),) * 3
    r.become_leader(ctx)
    return r, Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def test_a_slow_majority_round_trip_hands_leadership_to_the_follower_furthest_along():
    r, ctx = leader()
    r.match_index = {0: 4, 2: 3, 3: 4, 4: 2}
    r.fastest = 0.005
    r.rtts = {0: 0.05, 2: 0.06, 3: 0.007, 4: 0.08}   # the majority's round trip: the 2nd fastest, 50 ms
    assert r.quorum_rtt() == 0.05 and r.degraded()
    r.maybe_transfer(ctx)
    assert sends(ctx) == [(0, TimeoutNow(2, 1))]         # 0 and 3 are furthest along: the lower id
    assert ("transfer", 0) in [(e[1], e[2]) for e in ctx.effects if e[0] == OBSERVE]
    r.maybe_transfer(ctx)
    assert len(sends(ctx)) == 1                          # once per term


def test_one_slow_follower_is_not_a_slow_leader():
    r, ctx = leader()
    r.fastest = 0.005
    r.rtts = {0: 0.006, 2: 0.007, 3: 0.3, 4: 0.4}        # two slow followers; a majority still answers fast
    assert not r.degraded()
    r.maybe_transfer(ctx)
    assert sends(ctx) == []


def test_round_trips_are_measured_from_the_oldest_unanswered_append_entries():
    r, ctx = leader()
    r.sent_at = {0: 1.0}
    ctx.now = 1.03
    r.on_append_entries_reply(ctx, 0, AppendEntriesReply(2, True, 3))
    assert r.rtts[0] == pytest.approx(0.03) and r.fastest == pytest.approx(0.03)
    assert r.sent_at.get(0, 1.03) == 1.03     # answered; only a new AppendEntries (the rest of the log) is open


def test_timeout_now_starts_an_election_at_once_and_a_stale_one_is_ignored():
    f = RaftTransfer(0, (1, 2))
    ctx = Context(0, (1, 2), rng=random.Random(0), known=(0, 1, 2))
    f.current_term = 2
    f.on_message(ctx, 1, TimeoutNow(1, 1))               # an older term: ignored
    assert f.role != CANDIDATE and sends(ctx) == []
    f.on_message(ctx, 1, TimeoutNow(2, 1))
    assert f.role == CANDIDATE and f.current_term == 3
    assert {m for _, m in sends(ctx)} == {RequestVote(3, 0, 0, 0)}


@pytest.mark.parametrize("kwargs", [{"prevote": True}, {"check_quorum": True}, {"transfer_factor": 1.0},
                                    {"transfer_floor": -0.1}, {"alpha": 0.0}])
def test_refuses_settings_it_cannot_handle(kwargs):
    with pytest.raises(ValueError):
        RaftTransfer(0, (1, 2), **kwargs)


@pytest.mark.parametrize("seed", range(12))
def test_transfer_keeps_raft_safe_under_chaos(seed):
    assert raft_safety(run(chaos_scenario(5, seed=seed, protocol=RaftTransfer), seed=seed))


@pytest.mark.parametrize("seed", range(4))
def test_gray_failures_keep_raft_safe_and_hand_over_once(seed):
    trace = gray_failure_run(RaftTransfer, seed=seed)
    assert raft_safety(trace)
    failing, *_ = trace.meta["gray"]
    transfers = trace.observations("transfer")
    assert len(transfers) == 1 and transfers.node.iloc[0] == failing and transfers.time.iloc[0] < 3.0


def test_predicting_shortens_the_clients_longest_wait_and_a_healthy_leader_never_hands_over():
    df = handover_experiment(range(4))
    gap = df.groupby("policy").longest_gap_s.median()
    assert gap["predict and hand over (RaftTransfer)"] < gap["detect after the crash (Raft)"] / 2
    calm = handover_experiment(range(4), ramp=(), crash_at=None)
    assert calm.transfers.sum() == 0 and calm.leader_changes.sum() == 0
