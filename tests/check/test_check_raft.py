"""The Raft checkers on small hand-made traces: each property holds, then is broken on purpose."""
from __future__ import annotations

import doctest

import pytest

import dsysedu.check
import dsysedu.protocols.consensus.properties
import dsysedu.protocols.consensus.raft.properties
from dsysedu.check import Verdict, all_hold
from dsysedu.protocols.consensus.raft import election_safety, leader_completeness, log_matching, raft_safety, state_machine_safety
from dsysedu.protocols.consensus.raft.properties import client_liveness, leaders
from dsysedu.protocols.consensus.raft import ClientRequest
from dsysedu.sim import Trace


def obs(t, node, key, value):
    return (t, "observe", node, None, None, key, value)


def trace(*rows, nodes=(0, 1, 2), end=None):
    tr = Trace(nodes, list(rows), end_time=end if end is not None else (rows[-1][0] if rows else 0.0))
    return tr


# ------------------------------------------------------------------ Verdict


def test_verdict_is_truthy_when_ok_and_reads_well():
    good = Verdict(True, "p", "fine")
    bad = Verdict(False, "p", "broken", [3, 1])
    assert good and not bad
    assert bad.events == (3, 1)
    assert repr(bad) == "<Verdict p: VIOLATED: broken, events [3, 1]>"
    assert repr(good) == "<Verdict p: holds: fine>"
    assert hash(bad) == hash(Verdict(False, "p", "broken", (3, 1)))


def test_all_hold_returns_the_first_violation():
    a, b, c = Verdict(True, "a", ""), Verdict(False, "b", "x", (1,)), Verdict(False, "c", "y")
    assert all_hold([a, b, c]) is b
    assert all_hold([a]).ok and "a" in all_hold([a]).message


@pytest.mark.parametrize("module", [dsysedu.check, dsysedu.protocols.consensus.raft.properties, dsysedu.protocols.consensus.properties])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# ------------------------------------------------------------------ election safety


def test_election_safety():
    ok = trace(obs(1, 0, "leader", 1), obs(2, 1, "leader", 2), obs(3, 1, "leader", 2))
    assert election_safety(ok) and leaders(ok) == {1: [(0, 0)], 2: [(1, 1), (1, 2)]}
    bad = trace(obs(1, 0, "leader", 1), obs(2, 1, "leader", 2), obs(3, 2, "leader", 2))
    v = election_safety(bad)
    assert not v and v.events == (1, 2) and "term 2" in v.message


# ------------------------------------------------------------------ log matching


def test_log_matching_rebuilds_logs_through_overwrites():
    rows = [obs(1, 0, "entry", (1, 1, "a")), obs(1, 0, "entry", (2, 1, "b")),
            obs(2, 1, "entry", (1, 1, "a")), obs(2, 1, "entry", (2, 2, "z")),   # a different term at index 2
            obs(3, 1, "entry", (2, 1, "b")), obs(3, 1, "entry", (3, 3, "c")),   # overwritten: now matches node 0
            obs(4, 0, "entry", (3, 3, "c"))]
    assert log_matching(trace(*rows))


def test_log_matching_catches_same_index_and_term_with_different_commands():
    rows = [obs(1, 0, "entry", (1, 1, "a")), obs(2, 1, "entry", (1, 1, "b"))]
    v = log_matching(trace(*rows))
    assert not v and v.events == (0, 1) and "index 1, term 1" in v.message


def test_log_matching_catches_different_prefixes():
    rows = [obs(1, 0, "entry", (1, 1, "a")), obs(1, 0, "entry", (2, 2, "b")),
            obs(2, 1, "entry", (1, 0, "x")), obs(2, 1, "entry", (2, 2, "b"))]
    v = log_matching(trace(*rows))
    assert not v and v.events == (1, 3) and "earlier entries" in v.message


def test_log_matching_reports_a_gap():
    v = log_matching(trace(obs(1, 0, "entry", (3, 1, "a"))))
    assert not v and "without the entries before it" in v.message


# ------------------------------------------------------------------ leader completeness


def lc_rows(new_leader_log):
    """Node 0 commits index 1 in term 1; node 2 becomes leader of term 2 with ``new_leader_log``."""
    rows = [obs(0, 0, "term", 1), obs(0.1, 0, "leader", 1), obs(0.1, 0, "entry", (1, 1, "a")),
            obs(0.2, 0, "commit_index", 1), obs(0.3, 2, "term", 2)]
    rows += [obs(0.3, 2, "entry", (i, t, c)) for i, (t, c) in enumerate(new_leader_log, 1)]
    rows += [obs(0.4, 2, "leader", 2)]
    return rows


def test_leader_completeness_holds_when_the_new_leader_has_the_entry():
    assert leader_completeness(trace(*lc_rows([(1, "a")])))


def test_leader_completeness_catches_a_leader_without_a_committed_entry():
    rows = lc_rows([(1, "b")])
    v = leader_completeness(trace(*rows))
    assert not v and v.events == (3, len(rows) - 1) and "term 2 without it" in v.message


def test_a_leader_elected_before_the_commit_was_seen_still_counts():
    rows = [obs(0, 2, "term", 5), obs(0.1, 2, "leader", 5),           # leader of term 5, empty log...
            obs(0.5, 0, "term", 4), obs(0.5, 0, "entry", (1, 4, "a")), obs(0.6, 0, "commit_index", 1)]
    assert not leader_completeness(trace(*rows))   # ... although index 1 was committed in term 4


def test_leader_completeness_catches_two_commits_of_one_index():
    rows = [obs(0, 0, "term", 1), obs(0, 0, "entry", (1, 1, "a")), obs(0, 0, "commit_index", 1),
            obs(1, 1, "term", 2), obs(1, 1, "entry", (1, 2, "b")), obs(1, 1, "commit_index", 1)]
    v = leader_completeness(trace(*rows))
    assert not v and v.events == (2, 5)


def test_a_restarted_node_learns_its_commit_index_again():
    rows = [obs(0, 0, "term", 1), obs(0, 0, "entry", (1, 1, "a")), obs(0, 0, "commit_index", 1),
            (0.5, "crash", 0, None, None, None, None), (0.6, "recover", 0, None, None, None, None),
            obs(0.6, 0, "commit_index", 0), obs(0.7, 0, "commit_index", 1)]
    assert leader_completeness(trace(*rows))


# ------------------------------------------------------------------ state machine safety


def test_state_machine_safety():
    ok = [obs(1, 0, "applied", (1, "a")), obs(2, 1, "applied", (1, "a")), obs(3, 0, "applied", (2, "b"))]
    assert state_machine_safety(trace(*ok))
    v = state_machine_safety(trace(*ok, obs(4, 2, "applied", (2, "c"))))
    assert not v and v.events == (2, 3) and "index 2" in v.message


def test_raft_safety_reports_the_first_violated_property():
    rows = [obs(1, 0, "leader", 1), obs(2, 1, "leader", 1), obs(3, 0, "applied", (1, "a")),
            obs(4, 1, "applied", (1, "b"))]
    assert raft_safety(trace(*rows)).property == "election safety"
    assert raft_safety(trace(*rows[2:])).property == "state machine safety"
    assert raft_safety(trace(*rows[:1])).ok


# ------------------------------------------------------------------ client liveness


def test_client_liveness():
    req = ClientRequest("c", 1, ("set", "x", 1))

    class Cmd:   # anything with client_id and seq will do
        client_id, seq = "c", 1

    rows = [(1.0, "deliver", 0, None, 0, req, None), obs(1.2, 0, "ack", ("c", 1))]
    rows += [obs(1.2, n, "applied", (1, Cmd())) for n in (0, 1, 2)]
    assert client_liveness(trace(*rows, end=3.0), within=1.0, after=0.5)
    assert not client_liveness(trace(*rows[:-1], end=3.0), within=1.0, after=0.5)    # node 2 never applied
    v = client_liveness(trace(*rows, end=3.0), within=0.1, after=0.5)
    assert not v and "not acknowledged within 0.1 s" in v.message
    v = client_liveness(trace(*rows, end=1.5), within=1.0, after=0.5)
    assert not v and "run ended" in v.message
    assert client_liveness(trace(*rows, end=3.0), within=0.1, after=1.1)   # asked before `after`: not owed


def test_client_liveness_can_ask_for_the_ack_only():
    req = ClientRequest("c", 1, ("set", "x", 1))
    rows = [(1.0, "deliver", 0, None, 0, req, None), obs(1.2, 0, "ack", ("c", 1))]
    assert not client_liveness(trace(*rows, end=3.0), within=1.0, after=0.5)
    assert client_liveness(trace(*rows, end=3.0), within=1.0, after=0.5, everywhere=False)
