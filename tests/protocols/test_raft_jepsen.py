"""Raft's key-value store judged like Jepsen judges etcd; the three read paths; client nodes."""
from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given, settings, strategies as st

import dsysedu.protocols.consensus.raft.jepsen as jepsen_module
import dsysedu.protocols.consensus.raft.reads as reads_module
from dsysedu.protocols.consensus.raft import Raft
from dsysedu.protocols.consensus.raft.jepsen import (KvClient, check_kv_run, figure8_kv, forgotten_vote_kv,
                                                     kv_history, kv_run, kv_scenario, read_path_costs, stale_read_run,
                                                     stale_read_scenario, with_kv_clients)
from dsysedu.protocols.consensus.raft.messages import LEADER, NOOP, ClientReply, ClientRequest
from dsysedu.protocols.consensus.raft.reads import ReadPing, ReadPingAck, ReadRaft
from dsysedu.protocols.consensus.raft.variants import RaftCommitOldTerm, RaftForgetsVote, RaftNoUpToDateCheck
from dsysedu.sim import Context, Scenario, run
from dsysedu.sim.node import SEND


def test_doctests():
    assert doctest.testmod(jepsen_module).failed == 0
    assert doctest.testmod(reads_module).failed == 0


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


# ------------------------------------------------------------------ servers= and client nodes

def test_servers_restricts_the_peers_to_the_cluster():
    r = Raft(0, (1, 2, 3, 4), servers=(0, 1, 2))
    assert r.peers == (1, 2) and r.majority == 2


@pytest.mark.parametrize("servers, err", [((1, 2), ValueError), ((0, 9), ValueError), ("012", TypeError)])
def test_servers_are_checked(servers, err):
    with pytest.raises(err):
        Raft(0, (1, 2), servers=servers)


def test_read_raft_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="read_path"):
        ReadRaft(0, (1, 2), read_path="follower")
    with pytest.raises(ValueError, match="check_quorum"):
        ReadRaft(0, (1, 2), read_path="lease")
    with pytest.raises(ValueError):
        ReadRaft(0, (1, 2), read_path="lease", check_quorum=True, lease=0)


@pytest.mark.parametrize("kw, err", [({"home": 7}, ValueError), ({"servers": ()}, TypeError),
                                     ({"read_share": 0.9, "cas_share": 0.2}, ValueError),
                                     ({"script": [(0.1, "delete", "x", None)]}, ValueError),
                                     ({"script": [(0.1, "cas", "x", 3)]}, ValueError),
                                     ({"script": [(0.5, "read", "x", None), (0.1, "read", "x", None)]}, ValueError),
                                     ({"script": [(0.1, "read")]}, TypeError), ({"think": 0}, ValueError)])
def test_client_refuses_bad_settings(kw, err):
    params = dict({"servers": (0, 1, 2), "home": 0}, **kw)
    with pytest.raises(err):
        KvClient(5, (0, 1, 2), **params)


def test_kv_scenario_refuses_a_read_path_the_protocol_lacks():
    with pytest.raises(ValueError, match="ReadRaft"):
        kv_scenario(3, protocol=RaftCommitOldTerm, read_path="read_index")
    with pytest.raises(TypeError):
        kv_scenario(3, protocol=object)
    with pytest.raises(ValueError):
        kv_scenario(3, read_path="stale")


# ------------------------------------------------------------------ ReadIndex and lease handlers

def leader(path="read_index", **kw):
    r = ReadRaft(0, (1, 2, 3), read_path=path, servers=(0, 1, 2), **kw)
    r.role, r.current_term, r.leader_id = LEADER, 2, 0
    r.log = ((2, NOOP),)
    r.commit_index = r.last_applied = 1
    r.next_index, r.match_index = {1: 2, 2: 2}, {1: 1, 2: 1}
    return r, Context(0, (1, 2, 3), rng=random.Random(0))


def test_read_index_answers_only_after_a_majority_confirms_the_leadership():
    r, ctx = leader()
    r.on_client_request(ctx, 3, ClientRequest("k3", 1, ("get", "x")))
    pings = [m for _, m in sends(ctx) if isinstance(m, ReadPing)]
    assert len(pings) == 2 and not [m for _, m in sends(ctx) if isinstance(m, ClientReply)]
    ctx.effects.clear()
    r.on_read_ping_ack(ctx, 1, ReadPingAck(2, pings[0].round))
    assert sends(ctx) == [(3, ClientReply("k3", 1, True, 0, None))]


def test_read_index_waits_for_the_leaders_own_entry_to_commit():
    r, ctx = leader()
    r.log = ((1, NOOP), (2, NOOP))   # our no-op (term 2) is not committed yet
    r.on_client_request(ctx, 3, ClientRequest("k3", 1, ("get", "x")))
    round_ = r.ping_round
    r.on_read_ping_ack(ctx, 1, ReadPingAck(2, round_))
    assert not [m for _, m in sends(ctx) if isinstance(m, ClientReply)]
    r.match_index[1] = 2
    r.advance_commit_index(ctx)
    assert [m for _, m in sends(ctx) if isinstance(m, ClientReply)] == [ClientReply("k3", 1, True, 0, None)]


def test_a_higher_term_in_an_ack_deposes_the_leader_and_drops_its_reads():
    r, ctx = leader()
    r.on_client_request(ctx, 3, ClientRequest("k3", 1, ("get", "x")))
    r.on_read_ping_ack(ctx, 1, ReadPingAck(5, r.ping_round))
    assert r.role != LEADER and r.reads == () and r.current_term == 5


def test_lease_answers_at_once_while_it_holds_and_not_after():
    r, ctx = leader("lease", check_quorum=True, lease=0.1)
    r.send_ping(ctx)
    r.on_read_ping_ack(ctx, 1, ReadPingAck(2, r.ping_round))
    assert r.lease_until == pytest.approx(0.1)
    ctx.effects.clear()
    ctx.now = 0.05
    r.on_client_request(ctx, 3, ClientRequest("k3", 1, ("get", "x")))
    assert [m for _, m in sends(ctx)] == [ClientReply("k3", 1, True, 0, None)]
    ctx.effects.clear()
    ctx.now = 0.2   # expired: falls back to ReadIndex (a ping round)
    r.on_client_request(ctx, 3, ClientRequest("k3", 2, ("get", "x")))
    assert all(isinstance(m, ReadPing) for _, m in sends(ctx))


def test_follower_takes_a_ping_as_a_heartbeat_and_a_stale_ping_gets_its_term():
    f = ReadRaft(1, (0, 2), servers=(0, 1, 2))
    ctx = Context(1, (0, 2), rng=random.Random(0))
    f.on_read_ping(ctx, 0, ReadPing(3, 0, 7))
    assert f.current_term == 3 and f.leader_id == 0 and sends(ctx) == [(0, ReadPingAck(3, 7))]
    ctx.effects.clear()
    f.on_read_ping(ctx, 2, ReadPing(1, 2, 1))
    assert sends(ctx) == [(2, ReadPingAck(3, 1))] and f.leader_id == 0


# ------------------------------------------------------------------ histories under the nemesis

def test_a_run_records_one_operation_at_a_time_per_client():
    trace = kv_run(2, 5, clients=3)
    history = kv_history(trace)
    assert len(history) > 20 and {op.kind for op in history} == {"read", "write", "cas"}
    for client in history.clients():
        ops = [op for op in history if op.client == client]
        assert all(a.end <= b.invoke for a, b in zip(ops, ops[1:]) if a.status != "info")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), path=st.sampled_from(["log", "read_index", "lease"]))
def test_every_correct_read_path_is_linearizable_under_random_faults(seed, path):
    kw = {"check_quorum": True} if path == "lease" else {}
    verdict = check_kv_run(kv_run(seed, 5, clients=3, read_path=path, **kw))
    assert verdict.ok, verdict


def test_raft_through_the_log_passes_300_seeds():
    bad = [s for s in range(300) if not check_kv_run(kv_run(s, 5, clients=3)).ok]
    assert bad == []


@pytest.mark.parametrize("kw", [{"read_path": "local"}, {"protocol": RaftNoUpToDateCheck}])
def test_the_broken_read_path_and_variant_are_caught_under_random_faults(kw):
    caught = [s for s in range(60) if not check_kv_run(kv_run(s, 5, clients=3, **kw)).ok]
    assert len(caught) >= 2


@pytest.mark.parametrize("scenario, broken", [(forgotten_vote_kv, RaftForgetsVote), (figure8_kv, RaftCommitOldTerm)])
def test_the_lessons_broken_variants_give_histories_the_checker_rejects(scenario, broken):
    assert check_kv_run(run(scenario(Raft), seed=0)).ok
    verdict = check_kv_run(run(scenario(broken), seed=0))
    assert not verdict.ok and verdict.window and len(verdict.window) >= 2
    history = kv_history(run(scenario(broken), seed=0))
    kinds = {history[i].kind for i in verdict.window}
    assert "read" in kinds and "write" in kinds


def test_a_clock_jumping_back_breaks_the_lease_but_not_read_index():
    assert stale("lease", range(10), jump=-0.5) and not stale("read_index", range(10), jump=-0.5)
    assert not stale("lease", range(10))


def stale(path, seeds, **clock):
    return [s for s in seeds if not check_kv_run(stale_read_run(path, s, **clock)).ok]


def test_drift_far_beyond_the_leases_bound_breaks_it_but_never_read_index():
    wild = {"drift": -0.5, "others_drift": 0.5, "timer_clock": "local", "latency": 0.001}
    assert stale("lease", range(10), **wild)
    assert not stale("read_index", range(10), **wild)
    assert not stale("lease", range(10), **{**wild, "drift": -0.05, "others_drift": 0.05})   # within its bound


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), drift=st.floats(-0.5, 0.5), others=st.floats(-0.5, 0.5),
       timer_clock=st.sampled_from(["true", "local"]), jump=st.sampled_from([0.0, -0.5, 0.5]))
def test_read_index_never_returns_stale_data_whatever_the_clocks(seed, drift, others, timer_clock, jump):
    sc = stale_read_scenario("read_index", seed=seed, drift=drift, others_drift=others, timer_clock=timer_clock,
                             jump=jump, latency=0.001)
    assert check_kv_run(run(sc, seed=seed)).ok


def test_the_old_leaders_clock_changes_rate_at_the_partition_not_before():
    sc = stale_read_scenario("lease", seed=3, drift=-0.4, others_drift=0.2, timer_clock="local")
    drifts = [(f.node, f.at, f.drift) for f in sc.faults if type(f).__name__ == "ClockDrift"]
    assert len(drifts) == 5 and {at for _n, at, _d in drifts} == {1.0}
    assert sorted(d for _n, _at, d in drifts) == [-0.4, 0.2, 0.2, 0.2, 0.2]
    assert sc.timer_clock == "local" and not sc.clock_drift


@pytest.mark.parametrize("kw, match", [({"drift": -0.9}, "drift"), ({"others_drift": 0.6}, "others_drift"),
                                       ({"latency": 0.0}, "latency"), ({"latency": 0.2}, "latency"),
                                       ({"timer_clock": "wall"}, "timer_clock")])
def test_stale_read_scenario_checks_its_clocks(kw, match):
    with pytest.raises(ValueError, match=match):
        stale_read_scenario(**kw)


def test_with_kv_clients_refuses_an_unknown_home():
    with pytest.raises(ValueError, match="homes"):
        with_kv_clients(Scenario(Raft, nodes=3, until=1.0), {7: []})


def test_read_path_costs():
    costs = read_path_costs(3, reads=5).set_index("path")
    assert costs.loc["lease", "latency_ms"] == pytest.approx(20.0)          # client to leader and back
    assert costs.loc["read_index", "latency_ms"] == pytest.approx(40.0)     # plus one round to a majority
    assert costs.loc["log", "log_entries_per_read"] == 1 and costs.loc["read_index", "log_entries_per_read"] == 0
    assert costs.loc["lease", "messages_per_read"] == 2


def test_same_seed_same_history():
    a, b = (kv_history(kv_run(9, 5, clients=3, read_path="read_index")) for _ in range(2))
    assert a == b


@settings(max_examples=50, deadline=None)
@given(timeout=st.floats(0.01, 5.0), fraction=st.floats(0.01, 1.0))
def test_trusted_drift_is_where_the_stretched_lease_meets_the_shortened_timeout(timeout, fraction):
    from dsysedu.protocols.consensus.raft import trusted_drift
    lease = timeout * fraction
    rho = trusted_drift(lease, timeout)
    assert 0.0 <= rho < 1.0
    assert lease * (1 + rho) == pytest.approx(timeout * (1 - rho))


def test_trusted_drift_refuses_a_lease_longer_than_the_timeout():
    from dsysedu.protocols.consensus.raft import trusted_drift
    with pytest.raises(ValueError, match="longer than the election timeout"):
        trusted_drift(0.2, 0.15)
    with pytest.raises(ValueError, match="lease"):
        trusted_drift(0.0, 0.15)


def test_read_raft_refuses_a_lease_longer_than_its_election_timeout():
    with pytest.raises(ValueError, match="longer than the election timeout"):
        ReadRaft(0, (1, 2), read_path="lease", check_quorum=True, lease=0.3, election_timeout=0.15)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), path=st.sampled_from(["log", "read_index"]),
       timer_clock=st.sampled_from(["true", "local"]))
def test_paths_that_trust_no_clock_stay_linearizable_under_a_clock_nemesis(seed, path, timer_clock):
    from dsysedu.sim.chaos import chaos_weather
    clocky, _ = chaos_weather(3.0, clock_rate=3.0, max_jump=1.0, max_drift=0.5)
    trace = kv_run(seed, 5, clients=3, read_path=path, nemesis=clocky, timer_clock=timer_clock)
    assert any(r[1] in ("clock_jump", "clock_drift") for r in trace.rows)
    verdict = check_kv_run(trace)
    assert verdict.ok, verdict


def test_kv_run_draws_a_fault_schedule_per_seed():
    schedules = {tuple((type(f).__name__, round(f.at, 9)) for f in kv_run(s, 3, clients=1, stop=1.0, until=1.5)
                       .meta["faults"]) for s in range(5)}
    assert len(schedules) == 5


def test_chaos_weather_checks_its_clock_settings():
    from dsysedu.sim import Nemesis
    from dsysedu.sim.chaos import chaos_weather
    with pytest.raises(TypeError, match="clock_speed"):
        chaos_weather(3.0, clock_speed=1.0)
    with pytest.raises(ValueError, match="your own nemesis"):
        chaos_weather(3.0, Nemesis(), clock_rate=1.0)
    nemesis, _ = chaos_weather(3.0, clock_rate=1.5, max_drift=0.3)
    assert (nemesis.clock_rate, nemesis.max_drift, nemesis.stop) == (1.5, 0.3, 3.0)
