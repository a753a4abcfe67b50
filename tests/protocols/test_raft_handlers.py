"""Raft handler by handler: one handler, a hand-made state, the effects it records.

Each test reads like a line of Figure 2 of the Raft paper.
"""
from __future__ import annotations

import random

import pytest

from dsysedu.protocols.consensus.raft import (CANDIDATE, FOLLOWER, LEADER, NOOP, PRECANDIDATE, AppendEntries,
                                    AppendEntriesReply, ClientReply, ClientRequest, Command, PreVote, PreVoteReply,
                                    Raft, RaftCommitOldTerm, RaftForgetsVote, RaftNoUpToDateCheck, RequestVote,
                                    RequestVoteReply, KeyValueStore, apply_op)
from dsysedu.sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context

A, B = Command("c", 1, ("set", "x", 1)), Command("c", 2, ("set", "x", 2))


def node(cls=Raft, me=1, peers=(0, 2), **state):
    """A Raft node with some fields set by hand, and a fresh Context for it."""
    params = {k: state.pop(k) for k in list(state) if k in ("prevote", "check_quorum", "fast_backoff", "noop",
                                                              "max_entries", "election_timeout", "heartbeat")}
    r = cls(me, peers, **params)
    for k, v in state.items():
        setattr(r, k, v)
    return r, Context(me, peers, rng=random.Random(0), known=tuple(peers) + (me,))


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def observed(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == OBSERVE]


def timers(ctx):
    return [e[1] for e in ctx.effects if e[0] == SET_TIMER]


# ------------------------------------------------------------------ start and election timeout


def test_start_observes_every_view_field_and_arms_the_election_timer():
    r, ctx = node()
    r.on_start(ctx)
    assert [k for k, _ in observed(ctx)] == ["role", "term", "voted_for", "commit_index", "log_len", "last_entry"]
    (kind, name, delay), = [e for e in ctx.effects if e[0] == SET_TIMER]
    assert name == "election" and r.election_timeout <= delay <= 2 * r.election_timeout


def test_election_timeout_makes_a_candidate_that_votes_for_itself_and_asks_everyone():
    r, ctx = node(current_term=3, log=((1, A), (3, B)))
    r.on_timer(ctx, "election")
    assert (r.role, r.current_term, r.voted_for, r.votes) == (CANDIDATE, 4, 1, frozenset({1}))
    assert sends(ctx) == [(0, RequestVote(4, 1, 2, 3)), (2, RequestVote(4, 1, 2, 3))]
    assert ("term", 4) in observed(ctx) and ("role", CANDIDATE) in observed(ctx) and ("voted_for", 1) in observed(ctx)
    assert set(timers(ctx)) == {"election", "heartbeat"}   # the heartbeat timer re-asks silent peers


def test_a_candidate_retries_only_the_peers_whose_vote_it_lacks():
    r, ctx = node(role=CANDIDATE, current_term=4, voted_for=1, votes=frozenset({1, 0}))
    r.on_timer(ctx, "heartbeat")
    assert sends(ctx) == [(2, RequestVote(4, 1, 0, 0))]


def test_majority_of_votes_makes_a_leader_that_appends_a_noop_and_sends_it():
    r, ctx = node(role=CANDIDATE, current_term=2, voted_for=1, votes=frozenset({1}), log=((1, A),))
    r.on_message(ctx, 0, RequestVoteReply(2, True))
    assert r.role == LEADER and r.leader_id == 1
    assert ("leader", 2) in observed(ctx) and ("entry", (2, 2, NOOP)) in observed(ctx)
    assert r.next_index == {0: 2, 2: 2} and r.match_index == {0: 0, 2: 0}
    ae = AppendEntries(2, 1, 1, 1, ((2, NOOP),), 0)
    assert sends(ctx) == [(0, ae), (2, ae)]
    assert (CANCEL_TIMER, "election", None) in ctx.effects and "heartbeat" in timers(ctx)


def test_a_vote_of_an_old_term_is_not_counted():
    r, ctx = node(role=CANDIDATE, current_term=5, voted_for=1, votes=frozenset({1}))
    r.on_message(ctx, 0, RequestVoteReply(4, True))
    assert r.role == CANDIDATE and r.votes == {1}


def test_a_reply_with_a_higher_term_turns_a_candidate_into_a_follower():
    r, ctx = node(role=CANDIDATE, current_term=5, voted_for=1, votes=frozenset({1}))
    r.on_message(ctx, 0, RequestVoteReply(7, False))
    assert (r.role, r.current_term, r.voted_for) == (FOLLOWER, 7, None)


# ------------------------------------------------------------------ RequestVote receiver


def test_grant_vote_to_an_up_to_date_candidate_of_a_new_term():
    r, ctx = node(current_term=2, voted_for=0, log=((1, A), (2, B)))
    r.on_message(ctx, 2, RequestVote(3, 2, 2, 2))
    assert (r.current_term, r.voted_for) == (3, 2)
    assert sends(ctx) == [(2, RequestVoteReply(3, True))]
    assert "election" in timers(ctx)   # granting a vote resets the election timer


def test_reply_false_if_term_is_older():
    r, ctx = node(current_term=4)
    r.on_message(ctx, 2, RequestVote(3, 2, 9, 3))
    assert sends(ctx) == [(2, RequestVoteReply(4, False))] and r.voted_for is None


def test_one_vote_per_term():
    r, ctx = node(current_term=3, voted_for=0)
    r.on_message(ctx, 2, RequestVote(3, 2, 0, 0))
    assert sends(ctx) == [(2, RequestVoteReply(3, False))]
    ctx.effects.clear()
    r.on_message(ctx, 0, RequestVote(3, 0, 0, 0))   # the same candidate again: yes (a retry)
    assert sends(ctx) == [(0, RequestVoteReply(3, True))]


@pytest.mark.parametrize("last_index, last_term, ok", [
    (1, 1, False),   # older last term
    (5, 1, False),   # a longer log does not help with an older last term
    (1, 2, False),   # same last term, shorter
    (2, 2, True),    # same last term, same length
    (1, 3, True),    # newer last term, even if shorter
])
def test_up_to_date_check(last_index, last_term, ok):
    r, ctx = node(current_term=2, log=((1, A), (2, B)))
    r.on_message(ctx, 2, RequestVote(3, 2, last_index, last_term))
    assert sends(ctx) == [(2, RequestVoteReply(3, ok))]
    # the broken variant grants all of them
    r, ctx = node(RaftNoUpToDateCheck, current_term=2, log=((1, A), (2, B)))
    r.on_message(ctx, 2, RequestVote(3, 2, last_index, last_term))
    assert sends(ctx) == [(2, RequestVoteReply(3, True))]


def test_a_higher_term_turns_a_leader_into_a_follower_with_an_election_timer():
    r, ctx = node(role=LEADER, current_term=2, leader_id=1, next_index={0: 1, 2: 1}, match_index={0: 0, 2: 0})
    r.on_message(ctx, 2, RequestVote(5, 2, 0, 0))
    assert (r.role, r.current_term, r.leader_id) == (FOLLOWER, 5, None)
    assert "election" in timers(ctx)
    assert (CANCEL_TIMER, "heartbeat", None) in ctx.effects


def test_check_quorum_lease_ignores_a_disruptive_candidate():
    r, ctx = node(check_quorum=True, current_term=2, leader_id=0)
    r.on_message(ctx, 2, RequestVote(9, 2, 5, 5))
    assert ctx.effects == [] and r.current_term == 2
    r.leader_id = None   # no leader (our election timer ran out): now we listen
    r.on_message(ctx, 2, RequestVote(9, 2, 5, 5))
    assert sends(ctx) == [(2, RequestVoteReply(9, True))]


@pytest.mark.parametrize("drift", [-0.5, -0.2, 0.0, 0.3, 0.5])
def test_the_vote_lease_lasts_one_minimum_election_timeout_on_the_followers_clock(drift):
    r, _ = node(check_quorum=True, current_term=2, election_timeout=0.15)
    rate = 1.0 + drift
    for now in (0.0, 1.0):
        ctx = Context(1, (0, 2), rng=random.Random(0), clock=lambda n, t: rate * t, known=(0, 1, 2))
        ctx.now = now
        r.on_message(ctx, 0, AppendEntries(2, 0, r.last_log_index(), r.last_log_term(), (), 0))
        heard = now
    assert r.leader_heard_at == pytest.approx(rate * heard)
    lease_end = heard + 0.15 / rate        # true time at which the follower's clock says 0.15 s have passed
    inside = Context(1, (0, 2), rng=random.Random(0), clock=lambda n, t: rate * t, known=(0, 1, 2))
    inside.now = lease_end - 1e-6
    r.on_message(inside, 2, RequestVote(9, 2, 5, 5))
    assert inside.effects == [] and r.current_term == 2          # still hears its leader: no answer
    after = Context(1, (0, 2), rng=random.Random(0), clock=lambda n, t: rate * t, known=(0, 1, 2))
    after.now = lease_end + 1e-6
    r.on_message(after, 2, RequestVote(9, 2, 5, 5))
    assert sends(after) == [(2, RequestVoteReply(9, True))]      # its own election timer has not fired


# ------------------------------------------------------------------ PreVote


def test_prevote_timeout_asks_for_prevotes_without_raising_the_term():
    r, ctx = node(prevote=True, current_term=3, log=((3, A),))
    r.on_timer(ctx, "election")
    assert (r.role, r.current_term, r.voted_for) == (PRECANDIDATE, 3, None)
    assert sends(ctx) == [(0, PreVote(4, 1, 1, 3)), (2, PreVote(4, 1, 1, 3))]


def test_prevote_is_refused_while_we_hear_from_a_leader_and_granted_after():
    r, ctx = node(current_term=3, leader_id=0, log=((3, A),))
    r.on_message(ctx, 2, PreVote(4, 2, 1, 3))
    assert sends(ctx) == [(2, PreVoteReply(3, False))]
    ctx.effects.clear()
    r.leader_id = None
    r.on_message(ctx, 2, PreVote(4, 2, 1, 3))
    assert sends(ctx) == [(2, PreVoteReply(4, True))]
    assert (r.current_term, r.voted_for) == (3, None)   # a PreVote changes nothing


def test_majority_of_prevotes_starts_a_real_election():
    r, ctx = node(prevote=True, role=PRECANDIDATE, current_term=3, votes=frozenset({1}))
    r.on_message(ctx, 0, PreVoteReply(4, True))
    assert (r.role, r.current_term, r.voted_for) == (CANDIDATE, 4, 1)
    assert sends(ctx) == [(0, RequestVote(4, 1, 0, 0)), (2, RequestVote(4, 1, 0, 0))]


# ------------------------------------------------------------------ AppendEntries receiver


def test_append_entries_of_an_old_term_is_refused():
    r, ctx = node(current_term=3)
    r.on_message(ctx, 0, AppendEntries(2, 0, 0, 0, ((2, A),), 1))
    assert sends(ctx) == [(0, AppendEntriesReply(3, False, 0))] and r.log == ()


def test_append_entries_checks_prev_log_index_and_term():
    r, ctx = node(current_term=2, log=((1, A),))
    r.on_message(ctx, 0, AppendEntries(2, 0, 1, 2, ((2, B),), 0))   # we hold term 1 at index 1, not 2
    assert sends(ctx) == [(0, AppendEntriesReply(2, False, 1))] and r.log == ((1, A),)
    assert r.leader_id == 0 and "election" in timers(ctx)   # still a valid leader: timer reset
    ctx.effects.clear()
    r.on_message(ctx, 0, AppendEntries(2, 0, 3, 2, (), 0))           # we have no index 3
    assert sends(ctx) == [(0, AppendEntriesReply(2, False, 3))]


def test_conflicting_entries_are_deleted_and_new_ones_appended():
    r, ctx = node(current_term=3, log=((1, A), (1, B), (2, B)))
    new = Command("c", 9, ("set", "y", 9))
    r.on_message(ctx, 0, AppendEntries(3, 0, 1, 1, ((3, new),), 0))
    assert r.log == ((1, A), (3, new))
    assert [v for k, v in observed(ctx) if k in ("entry", "log_len", "last_entry")] == [(2, 3, new), 2, (2, 3)]
    assert sends(ctx) == [(0, AppendEntriesReply(3, True, 2))]


def test_an_old_append_entries_does_not_truncate_a_longer_matching_log():
    r, ctx = node(current_term=2, log=((1, A), (2, B)))
    r.on_message(ctx, 0, AppendEntries(2, 0, 0, 0, ((1, A),), 0))   # delayed, already applied
    assert r.log == ((1, A), (2, B))
    assert not [k for k, _ in observed(ctx) if k == "entry"]
    assert sends(ctx) == [(0, AppendEntriesReply(2, True, 1))]


def test_commit_index_is_min_of_leader_commit_and_last_new_entry():
    r, ctx = node(current_term=2, log=((1, A), (1, B), (1, NOOP)))
    r.on_message(ctx, 0, AppendEntries(2, 0, 0, 0, ((1, A),), 3))
    assert r.commit_index == 1   # index 2 and 3 may not match the leader's log yet
    assert ("applied", (1, A)) in observed(ctx) and r.state_machine.as_dict() == {"x": 1} and r.last_applied == 1


def test_a_candidate_of_the_same_term_gives_way_to_the_leader():
    r, ctx = node(role=CANDIDATE, current_term=4, voted_for=1, votes=frozenset({1}))
    r.on_message(ctx, 0, AppendEntries(4, 0, 0, 0, (), 0))
    assert (r.role, r.leader_id, r.current_term, r.voted_for) == (FOLLOWER, 0, 4, 1)


def test_fast_backoff_hint_names_the_conflicting_term_and_its_first_index():
    r, ctx = node(fast_backoff=True, current_term=5, log=((1, A), (2, B), (2, B), (2, B)))
    r.on_message(ctx, 0, AppendEntries(5, 0, 4, 4, (), 0))
    assert sends(ctx) == [(0, AppendEntriesReply(5, False, 4, 2, 2))]
    ctx.effects.clear()
    r.on_message(ctx, 0, AppendEntries(5, 0, 9, 4, (), 0))
    assert sends(ctx) == [(0, AppendEntriesReply(5, False, 9, 5, 0))]


# ------------------------------------------------------------------ the leader


def leader(cls=Raft, log=((1, A), (2, B)), term=2, **kw):
    n = len(log)
    return node(cls, role=LEADER, leader_id=1, current_term=term, log=log, voted_for=1,
                next_index={0: n + 1, 2: n + 1}, match_index={0: 0, 2: 0}, **kw)


def test_success_reply_moves_match_and_next_index_and_commits_on_a_majority():
    r, ctx = leader()
    r.on_message(ctx, 0, AppendEntriesReply(2, True, 2))
    assert r.match_index[0] == 2 and r.next_index[0] == 3
    assert r.commit_index == 2 and ("applied", (1, A)) in observed(ctx) and ("applied", (2, B)) in observed(ctx)


def test_a_duplicate_or_late_success_reply_changes_nothing():
    r, ctx = leader()
    r.on_message(ctx, 0, AppendEntriesReply(2, True, 2))
    r.on_message(ctx, 0, AppendEntriesReply(2, True, 1))
    assert r.match_index[0] == 2 and r.next_index[0] == 3


def test_figure8_rule_old_term_entries_are_not_committed_by_counting():
    r, ctx = leader(log=((1, A), (2, B)), term=4)
    r.on_message(ctx, 0, AppendEntriesReply(4, True, 2))
    assert r.commit_index == 0   # index 2 is on a majority, but it is of term 2, not 4
    r, ctx = leader(RaftCommitOldTerm, log=((1, A), (2, B)), term=4)
    r.on_message(ctx, 0, AppendEntriesReply(4, True, 2))
    assert r.commit_index == 2   # the broken variant commits it
    r, ctx = leader(log=((1, A), (2, B), (4, NOOP)), term=4)
    r.on_message(ctx, 0, AppendEntriesReply(4, True, 3))
    assert r.commit_index == 3   # an entry of the current term commits everything before it


def test_failure_reply_backs_off_next_index_by_one_and_retries():
    r, ctx = leader(log=((1, A), (1, B), (2, B)))
    r.on_message(ctx, 0, AppendEntriesReply(2, False, 3))
    assert r.next_index[0] == 3
    assert sends(ctx) == [(0, AppendEntries(2, 1, 2, 1, ((2, B),), 0))]
    r.on_message(ctx, 0, AppendEntriesReply(2, False, 3))   # a duplicate does not back off twice
    assert r.next_index[0] == 3


def test_fast_backoff_skips_a_whole_term():
    log = ((1, A), (2, B), (2, B), (2, B), (5, NOOP))
    r, ctx = leader(log=log, term=5, fast_backoff=True)
    r.on_message(ctx, 0, AppendEntriesReply(5, False, 5, 2, 3))   # follower: term 3 from index 2, unknown to us
    assert r.next_index[0] == 2
    r.next_index[0] = 6
    r.on_message(ctx, 0, AppendEntriesReply(5, False, 5, 2, 2))   # term 2, which we have up to index 4
    assert r.next_index[0] == 5


def test_stale_replies_are_ignored_and_higher_terms_depose_the_leader():
    r, ctx = leader()
    r.on_message(ctx, 0, AppendEntriesReply(1, True, 2))
    assert r.match_index[0] == 0
    r.on_message(ctx, 0, AppendEntriesReply(3, False, 0))
    assert (r.role, r.current_term) == (FOLLOWER, 3)


def test_check_quorum_leader_steps_down_without_a_majority():
    r, ctx = leader(check_quorum=True, heard_from=frozenset())
    r.on_timer(ctx, "check_quorum")
    assert r.role == FOLLOWER and "election" in timers(ctx)
    r, ctx = leader(check_quorum=True, heard_from=frozenset({2}))
    r.on_timer(ctx, "check_quorum")
    assert r.role == LEADER and r.heard_from == frozenset() and "check_quorum" in timers(ctx)


def test_heartbeat_sends_what_each_follower_lacks():
    r, ctx = leader(log=((1, A), (2, B)))
    r.next_index = {0: 3, 2: 2}
    r.commit_index = 1
    r.on_timer(ctx, "heartbeat")
    assert sends(ctx) == [(0, AppendEntries(2, 1, 2, 2, (), 1)), (2, AppendEntries(2, 1, 1, 1, ((2, B),), 1))]


def test_max_entries_limits_each_message():
    r, ctx = leader(log=((1, A),) * 5, max_entries=2)
    r.next_index = {0: 1, 2: 6}
    r.send_append_entries(ctx, 0)
    assert sends(ctx)[0][1].entries == ((1, A), (1, A))


# ------------------------------------------------------------------ clients


def test_a_follower_forwards_a_client_request_to_its_leader_and_keeps_it():
    r, ctx = node(current_term=2, leader_id=0)
    req = ClientRequest("c", 1, ("set", "x", 1))
    r.on_message(ctx, None, req)
    assert sends(ctx) == [(0, req)] and ("redirect", ("c", 1, 0)) in observed(ctx)
    assert r.pending == {("c", 1): req} and "client_retry" in timers(ctx)


def test_a_follower_redirects_a_forwarded_request_with_its_leader_hint():
    r, ctx = node(current_term=2, leader_id=2)
    r.on_message(ctx, 0, ClientRequest("c", 1, ("set", "x", 1)))
    assert sends(ctx) == [(0, ClientReply("c", 1, False, 2))] and r.pending == {}


def test_the_leader_appends_a_request_once_and_answers_when_applied():
    r, ctx = leader(log=((2, NOOP),))
    req = ClientRequest("c", 7, ("set", "y", 3))
    r.on_message(ctx, 0, req)
    r.on_message(ctx, 0, req)   # a retry: already in the log
    assert r.log == ((2, NOOP), (2, Command("c", 7, ("set", "y", 3))))
    ctx.effects.clear()
    r.on_message(ctx, 2, AppendEntriesReply(2, True, 2))
    assert r.state_machine.as_dict() == {"y": 3} and (0, ClientReply("c", 7, True, 1, 3)) in sends(ctx)


def test_a_new_leader_appends_an_inherited_request_again_in_its_own_term():
    # Entry 2 is of term 3; with no no-op it could not commit before an entry of term 5 does.
    req = ClientRequest("c", 1, ("set", "x", 1))
    r, ctx = leader(log=((1, NOOP), (3, A)), term=5, noop=False, commit_index=1, last_applied=1)
    r.on_message(ctx, 0, req)
    assert r.log == ((1, NOOP), (3, A), (5, A))
    r.on_message(ctx, 2, AppendEntriesReply(5, True, 3))
    assert r.commit_index == 3 and r.state_machine.as_dict() == {"x": 1}
    # both entries are applied; for the state machine the second is a no-op: (c, 1) is known
    assert [v for k, v in observed(ctx) if k == "applied"] == [(2, A), (3, A)]


def test_the_state_machine_applies_each_request_once():
    r, ctx = node(current_term=1, log=((1, A), (1, Command("c", 1, ("set", "x", 99)))))
    r.on_message(ctx, 0, AppendEntries(1, 0, 2, 1, (), 2))
    assert r.state_machine.as_dict() == {"x": 1}   # the second entry has the same (client_id, seq): not applied again
    assert [v for k, v in observed(ctx) if k == "applied"] == [(1, A), (2, Command("c", 1, ("set", "x", 99)))]


def test_a_client_request_to_the_node_that_applies_it_is_acknowledged():
    r, ctx = node(current_term=1, leader_id=0, log=((1, A),))
    r.on_message(ctx, None, ClientRequest("c", 1, ("set", "x", 1)))
    r.on_message(ctx, 0, AppendEntries(1, 0, 1, 1, (), 1))
    assert ("ack", ("c", 1)) in observed(ctx) and r.pending == {}
    r, ctx = node(current_term=1, pending={("c", 1): ClientRequest("c", 1, ("set", "x", 1))})
    r.on_message(ctx, 0, ClientReply("c", 1, True, 0, 1))
    assert observed(ctx) == [("ack", ("c", 1))] and r.pending == {}


@pytest.mark.parametrize("command", [("set", "x"), ("put", "x", 1), "set x 1", ()])
def test_bad_client_commands_are_refused_early(command):
    with pytest.raises(ValueError, match="ClientRequest.command must be one of"):
        ClientRequest("c", 1, command)


def test_key_value_operations():
    kv = {}
    assert [apply_op(kv, op) for op in [("set", "x", 1), ("get", "x"), ("cas", "x", 2, 3), ("cas", "x", 1, 3),
                                        ("delete", "x"), ("get", "x")]] == [1, 1, False, True, 3, None]


# ------------------------------------------------------------------ durability, parameters


def test_durable_fields():
    assert Raft.durable == ("current_term", "voted_for", "log")
    assert "voted_for" not in RaftForgetsVote.durable


def test_state_is_hashable_and_compares():
    r1, _ = node(log=((1, A),), state_machine=KeyValueStore({"x": 1}))
    r2, _ = node(log=((1, A),), state_machine=KeyValueStore({"x": 1}))
    assert r1.state() == r2.state() and hash(r1.state()) == hash(r2.state())


@pytest.mark.parametrize("kw, exc", [({"election_timeout": 0}, ValueError), ({"prevote": 1}, TypeError),
                                     ({"max_entries": 0}, ValueError), ({"heartbeat": "1"}, TypeError)])
def test_bad_parameters_raise(kw, exc):
    with pytest.raises(exc, match="Raft"):
        Raft(0, (1, 2), **kw)
