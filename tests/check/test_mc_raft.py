"""Raft leader election, bounded: safe with durable votes, broken when the vote is forgotten.

The counterexample is a Trace, so the trace checker of chapter 3 reads it too."""
import pytest

from dsysedu.protocols.consensus.raft import properties as raft_checks
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, leader_elected, raft_election_model
from dsysedu.check.model_checker import check
from dsysedu.protocols.consensus.raft import LEADER, Raft, RaftForgetsVote


def test_election_safety_within_bounds():
    r = check(raft_election_model(max_term=1, symmetric=True, crashes=1, recoveries=1), election_safety_invariant)
    assert r.verdict == "ok"
    plain = check(raft_election_model(max_term=1, crashes=1, recoveries=1), election_safety_invariant)
    assert plain.verdict == "ok"
    assert r.states < plain.states
    # pinned: 445 classes of states without faults (3 nodes, one term of elections)
    assert check(raft_election_model(max_term=1, symmetric=True), election_safety_invariant).states == 445


def test_forgotten_vote_gives_two_leaders():
    assert check(raft_election_model(RaftForgetsVote, max_term=1), election_safety_invariant).verdict == "ok"
    r = check(raft_election_model(RaftForgetsVote, max_term=1, crashes=1, recoveries=1), election_safety_invariant)
    assert r.verdict == "violation"
    # one election won (timeout, request, vote), the voter crashes and recovers, a second candidate
    # (timeout, request, vote): no shorter way to get two leaders of one term
    assert len(r.path) == 8
    kinds = [a.kind for a in r.path]
    assert kinds.count("crash") == 1 and kinds.count("recover") == 1
    last = r.model.view(r.states_on_path[-1])
    leaders = [n for n in last.nodes if last[n].role == LEADER]
    assert len(leaders) == 2 and len({last[n].current_term for n in leaders}) == 1
    # the same run, read by the trace checker the simulator's runs go through
    verdict = raft_checks.election_safety(r.to_trace())
    assert not verdict.ok


def test_a_leader_is_elected_quickly():
    r = check(raft_election_model(max_term=1), leader_elected)
    assert r.ok and len(r.path) == 3   # timeout, request delivered, vote delivered


def test_bad_input():
    with pytest.raises(ValueError, match="max_term"):
        raft_election_model(max_term=0)
    with pytest.raises(TypeError, match="Raft"):
        raft_election_model(object)
    assert raft_election_model(Raft).ids == ("a", "b", "c")
