"""RaftCatchUp: a new server catches up as a learner before it joins; membership changes stay live."""
from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings, strategies as st

import dsysedu.protocols.consensus.raft.catchup as catchup_module
from dsysedu.protocols.consensus.raft import raft_safety
from dsysedu.protocols.consensus.raft.catchup import RaftCatchUp, catch_up_scenario, commit_gap
from dsysedu.protocols.consensus.raft.membership import RaftMembership, config_safety, membership_scenario
from dsysedu.sim import run
from dsysedu.sim.chaos import chaos_weather


def test_doctests():
    assert doctest.testmod(catchup_module).failed == 0


def test_without_catch_up_the_cluster_stalls_and_with_it_it_does_not():
    plain = run(catch_up_scenario(RaftMembership), seed=0)
    caught = run(catch_up_scenario(RaftCatchUp), seed=0)
    assert raft_safety(plain).ok and raft_safety(caught).ok and config_safety(caught).ok
    assert commit_gap(plain, 1.3, 2.5, node=0) > 0.5
    assert commit_gap(caught, 1.3, 2.5, node=0) < 0.1


def test_the_configuration_entry_waits_for_the_last_fast_round():
    trace = run(catch_up_scenario(RaftCatchUp), seed=0)
    obs = trace.observations()
    rounds = obs[obs.key == "round"].value.tolist()
    assert [r[1] for r in rounds] == list(range(1, len(rounds) + 1))
    assert all(r[3] >= 0.05 for r in rounds[:-1]) and rounds[-1][3] < 0.05   # the leader's election timeout
    caught_at = obs[obs.key == "caught_up"].time.iloc[0]
    configs = obs[(obs.key == "config") & (obs.node == 0)]
    joined = min(t for t, c in zip(configs.time, configs.value) if 3 in c)
    assert joined >= caught_at


def test_a_learner_that_never_catches_up_is_refused_and_the_cluster_keeps_committing():
    trace = run(catch_up_scenario(RaftCatchUp, learner_latency=0.05, max_rounds=1), seed=0)
    obs = trace.observations()
    assert (obs.key == "too_slow").any()
    assert not any(3 in c for c in obs[obs.key == "config"].value)
    assert commit_gap(trace, 1.3, 2.5, node=0) < 0.1


def test_commit_gap_checks_its_window():
    with pytest.raises(ValueError):
        commit_gap(run(catch_up_scenario(entries=10)), 2.0, 1.0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        RaftCatchUp(0, (1, 2), max_rounds=0)
    with pytest.raises(ValueError):
        catch_up_scenario(learner_latency=0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), protocol=st.sampled_from([RaftMembership, RaftCatchUp]))
def test_changes_requested_after_the_faults_all_complete(seed, protocol):
    nemesis, link = chaos_weather(2.0)
    trace = run(membership_scenario(seed, protocol=protocol, nemesis=nemesis, link=link, start=2.0, spacing=0.4,
                                    until=6.0), seed=seed)
    assert config_safety(trace).ok and raft_safety(trace).ok
    assert {v for v in trace.observations("ack").value if v[0] == "operator"} == {("operator", i) for i in (1, 2, 3)}
