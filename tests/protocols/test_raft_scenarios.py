"""Raft on scripted scenarios: the paper's Figure 8, the broken variants caught by the checkers,
PreVote against the disruptive rejoin, clients, recovery, determinism."""
from __future__ import annotations

import doctest

import pytest

import dsysedu.protocols.consensus.raft as raft_module
from dsysedu.protocols.consensus import agreement, validity
from dsysedu.protocols.consensus.raft import raft_safety
from dsysedu.protocols.consensus.raft.properties import client_liveness, leaders
from dsysedu.protocols.consensus.raft import (NOOP, ClientRequest, Command, Raft, RaftCommitOldTerm, RaftForgetsVote,
                                    RaftNoUpToDateCheck, chaos_scenario, figure8_scenario, forgotten_vote_scenario,
                                    rejoin_scenario, stale_leader_scenario)
from dsysedu.sim import Crash, Input, LinkModel, Nemesis, Scenario, Uniform, run

X2 = Command("c", 2, ("set", "x", 2))   # Figure 8's entry of term 2 at index 2
X3 = Command("c", 3, ("set", "x", 3))   # ... and S5's entry of term 3 at index 2
BROKEN = (RaftNoUpToDateCheck, RaftCommitOldTerm, RaftForgetsVote)


def applied(trace, command):
    return [(r[2], r[6][0]) for r in trace.rows if r[1] == "observe" and r[5] == "applied" and r[6][1] == command]


RAFT_MODULES = [raft_module.messages, raft_module.node, raft_module.state_machine, raft_module.clients,
                raft_module.variants, raft_module.scenarios, raft_module.properties, raft_module.model]


@pytest.mark.parametrize("module", RAFT_MODULES, ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# ------------------------------------------------------------------ Figure 8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figure8_plays_out_as_in_the_paper(seed):
    for protocol in (Raft, RaftCommitOldTerm):
        trace = run(figure8_scenario(protocol), seed=seed)
        who = {term: [n for n, _ in nodes] for term, nodes in leaders(trace).items()}
        assert who == {1: [1], 2: [1], 3: [5], 4: [1], 5: [5]}
        # (c): under S1's term 4, the entry of term 2 reaches a majority (S1, S2, S3 at least)
        holders = {r[2] for r in trace.rows if r[1] == "observe" and r[5] == "entry" and r[6] == (2, 2, X2)
                   and r[0] < 2.5}
        assert {1, 2, 3} <= holders


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figure8_correct_raft_never_commits_the_old_term_entry_by_counting(seed):
    trace = run(figure8_scenario(Raft), seed=seed)
    assert raft_safety(trace)
    s1_commits = [r[6] for r in trace.rows if r[1] == "observe" and r[2] == 1 and r[5] == "commit_index"
                  and 1.8 <= r[0] < 2.5]
    assert max(s1_commits, default=0) < 2   # on a majority, yet not committed in term 4
    assert applied(trace, X2) == []          # no one ever applies x=2 ...
    assert sorted(applied(trace, X3)) == [(n, 2) for n in (1, 2, 3, 4, 5)]   # ... x=3 wins, everywhere


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figure8_broken_variant_commits_by_counting_and_loses_the_entry(seed):
    trace = run(figure8_scenario(RaftCommitOldTerm), seed=seed)
    lost = applied(trace, X2)
    assert (1, 2) in lost                    # S1 committed and applied x=2 at index 2 in term 4 ...
    assert (5, 2) in [(n, i) for n, i in applied(trace, X3)]   # ... and S5 later applied x=3 there
    v = raft_safety(trace)
    assert not v and v.property == "leader completeness"
    assert [r[1] for r in (trace.rows[i] for i in v.events)] == ["observe", "observe"]
    from dsysedu.protocols.consensus.raft import state_machine_safety
    sms = state_machine_safety(trace)
    assert not sms and "index 2" in sms.message


@pytest.mark.parametrize("protocol", [Raft, RaftCommitOldTerm])
def test_figure8_panel_e_an_entry_of_term_4_on_a_majority_commits_index_2_for_good(protocol):
    trace = run(figure8_scenario(protocol, panel="e"))
    assert raft_safety(trace)
    assert {1, 2, 3} <= {n for n, i in applied(trace, X2) if i == 2}
    assert applied(trace, X3) == []
    assert [n for t, nodes in leaders(trace).items() if t > 3 for n, _ in nodes] == [1, 1]   # S5 never wins again


def test_figure8_panel_must_be_d_or_e():
    with pytest.raises(ValueError, match="panel must be 'd' or 'e'"):
        figure8_scenario(panel="f")


# ------------------------------------------------------------------ the other broken variants, scripted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_up_to_date_check_lets_a_stale_node_lead_and_overwrite_commits(seed):
    assert raft_safety(run(stale_leader_scenario(Raft), seed=seed))
    trace = run(stale_leader_scenario(RaftNoUpToDateCheck), seed=seed)
    v = raft_safety(trace)
    assert not v and v.property == "leader completeness"
    assert leaders(trace)[max(leaders(trace))][0][0] == 2   # node 2, with its empty log, led


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forgetting_the_vote_gives_two_leaders_in_one_term(seed):
    assert raft_safety(run(forgotten_vote_scenario(Raft), seed=seed))
    v = raft_safety(run(forgotten_vote_scenario(RaftForgetsVote), seed=seed))
    assert not v and v.property == "election safety" and "term 1 has leaders node 0, node 2" in v.message


@pytest.mark.parametrize("protocol", BROKEN)
def test_broken_variants_pass_where_their_bug_is_not_exercised(protocol):
    # A checker that fails every broken run would prove nothing: on a calm run they all look fine.
    trace = run(Scenario(protocol, nodes=3, until=1.0, inputs=[Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1)))]))
    assert raft_safety(trace)


# ------------------------------------------------------------------ broken variants found by random faults


def test_random_faults_expose_the_missing_up_to_date_check():
    caught = [s for s in range(20) if not raft_safety(run(chaos_scenario(5, seed=s, protocol=RaftNoUpToDateCheck)))]
    assert len(caught) >= 2, caught


HARSH = dict(nemesis=Nemesis(crash_rate=3, mean_downtime=0.05, partition_rate=1.0, mean_partition=0.2, stop=3.0),
             link=LinkModel(latency=Uniform(0.002, 0.04), loss=0.1, duplicate=0.05, reorder=True),
             stop=3.0, until=3.5, requests=10, election_timeout=0.06, heartbeat=0.02)


def test_random_crashes_expose_the_forgotten_vote():
    # Rare (about 1 run in 100 with these rates): a voter must crash between two candidates'
    # requests in one term. The range holds seeds that show it; the correct Raft passes them all.
    found = []
    for s in range(60):
        v = raft_safety(run(chaos_scenario(3, seed=s, protocol=RaftForgetsVote, **HARSH)))
        if not v:
            assert v.property == "election safety"
            found.append(s)
            assert raft_safety(run(chaos_scenario(3, seed=s, **HARSH)))
    assert found, "no seed in range(60) exposed RaftForgetsVote"


# ------------------------------------------------------------------ PreVote and CheckQuorum


def leaders_after(trace, t):
    return [(time, node) for time, node in trace.observations("leader")[["time", "node"]].values if time > t]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_without_prevote_a_rejoining_node_disrupts_the_leader(seed):
    trace = run(rejoin_scenario(), seed=seed)
    assert trace.value_at("term", 2.99)[4] > 3       # it kept starting elections alone
    assert leaders_after(trace, 3.0)                 # ... and forced a new one when it came back
    assert raft_safety(trace)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("check_quorum", [False, True])
def test_with_prevote_the_rejoining_node_just_follows(seed, check_quorum):
    trace = run(rejoin_scenario(prevote=True, check_quorum=check_quorum), seed=seed)
    assert trace.value_at("term", 4.9)[4] == 1
    assert leaders_after(trace, 0.5) == []
    assert trace.value_at("role", 4.9)[4] == "follower"


def test_check_quorum_makes_a_cut_off_leader_step_down():
    faults = [Crash(1, at=1.0), Crash(2, at=1.0)]
    for cq, still_leads in ((False, True), (True, False)):
        sc = Scenario(Raft, nodes=3, params={"check_quorum": cq}, node_params={0: {"election_timeout": 0.05}},
                      faults=faults, until=2.0)
        trace = run(sc, seed=1)
        assert leaders(trace)[1][0][0] == 0
        assert (trace.value_at("role", 2.0)[0] == "leader") is still_leads


# ------------------------------------------------------------------ clients, recovery, small clusters


def test_a_request_sent_to_a_follower_is_forwarded_applied_everywhere_and_acknowledged():
    sc = Scenario(Raft, nodes=5, node_params={0: {"election_timeout": 0.05}},
                  inputs=[Input(1.0, 3, ClientRequest("alice", 1, ("set", "k", "v")))], until=2.0)
    trace = run(sc, seed=2)
    cmd = Command("alice", 1, ("set", "k", "v"))
    assert sorted(n for n, _ in applied(trace, cmd)) == [0, 1, 2, 3, 4]
    acks = trace.observations("ack")
    assert acks[["node", "value"]].values.tolist() == [[3, ("alice", 1)]]
    assert trace.observations("redirect").value.tolist() == [("alice", 1, 0)]


def test_a_request_sent_twice_is_applied_once():
    req = ClientRequest("bob", 1, ("cas", "k", None, 1))
    sc = Scenario(Raft, nodes=3, inputs=[Input(1.0, 0, req), Input(1.0, 1, req), Input(1.5, 2, req)], until=3.0)
    trace = run(sc, seed=0)
    cmd = Command("bob", 1, req.command)
    assert sorted(n for n, _ in applied(trace, cmd)) == [0, 1, 2]   # one log entry, applied by each node once
    assert sorted(trace.observations("ack").node) == [0, 1, 2]     # each node answers its client


def test_a_single_node_cluster_commits_alone():
    trace = run(Scenario(Raft, nodes=1, inputs=[Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1)))],
                         until=1.0))
    assert applied(trace, Command("c", 1, ("set", "x", 1))) == [(0, 2)]
    assert trace.observations("ack").value.tolist() == [("c", 1)]


def test_recovery_keeps_term_vote_and_log_and_rebuilds_the_state_machine():
    sc = Scenario(Raft, nodes=3, node_params={0: {"election_timeout": 0.05}},
                  inputs=[Input(0.5, 0, ClientRequest("c", 1, ("set", "x", 1)))], faults=[Crash(2, at=1.0, until=1.2)],
                  until=2.0)
    trace = run(sc, seed=0)
    after = [r for r in trace.rows if r[2] == 2 and r[1] == "observe" and 1.2 <= r[0]]
    first = {k: v for _t, _k, _n, _p, _m, k, v in reversed([r for r in after if r[0] == 1.2])}
    assert first["term"] == 1 and first["voted_for"] == 0 and first["log_len"] == 2 and first["commit_index"] == 0
    # the state machine starts empty again and re-applies the log once the leader says what is committed
    assert [v for _t, _k, _n, _p, _m, k, v in after if k == "applied"] == [(1, NOOP),
                                                                           (2, Command("c", 1, ("set", "x", 1)))]


def test_raft_first_decision_is_a_consensus():
    sc = chaos_scenario(5, seed=11)
    trace = run(sc)
    proposed = [NOOP] + [inp.msg for inp in sc.inputs]
    proposed = [NOOP] + [Command(m.client_id, m.seq, m.command) for m in proposed[1:]]
    for index in (1, 2, 3):
        assert agreement(trace, key="applied", index=index)
        assert validity(trace, proposed, key="applied", index=index)


def test_runs_are_deterministic():
    assert run(chaos_scenario(5, seed=3)) == run(chaos_scenario(5, seed=3))
    assert run(chaos_scenario(5, seed=3)) != run(chaos_scenario(5, seed=4))


def test_client_liveness_after_faults_on_a_chaos_run():
    sc = chaos_scenario(5, seed=5)
    assert client_liveness(run(sc), within=1.5, after=sc.nemesis.stop)
