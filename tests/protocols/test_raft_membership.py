"""Single-server membership changes (Ongaro's thesis, §4.1-4.2): handlers, a scripted run,
random faults, and the broken variant that takes two changes at once."""
from __future__ import annotations

import doctest
import itertools
import random

import pytest

from dsysedu.check import all_hold
from dsysedu.protocols.consensus.raft.properties import raft_safety
from dsysedu.protocols.consensus.raft import membership as raft_membership
from dsysedu.sim.chaos import chaos_weather
from dsysedu.protocols.consensus.raft import (CANDIDATE, FOLLOWER, LEADER, NOOP, AppendEntries, AppendEntriesReply, ClientReply,
                                    RequestVote)
from dsysedu.protocols.consensus.raft.membership import (ConfigEntry, MembershipRequest, RaftMembership,
                                               RaftMembershipTwoAtOnce, config_safety, membership_scenario,
                                               two_at_once_scenario)
from dsysedu.sim import LinkModel, Nemesis, Trace, Uniform
from dsysedu.sim.node import OBSERVE, SEND, SET_TIMER, Context

ALL = (0, 1, 2, 3, 4)
OPTIONS = list(itertools.product([False, True], repeat=3))   # prevote, check_quorum, fast_backoff
ADD3 = MembershipRequest("op", 1, ("add", 3))
ADD4 = MembershipRequest("op", 2, ("add", 4))


def node(cls=RaftMembership, me=0, members=(0, 1, 2), **state):
    """A node of the 5-node topology with some fields set by hand, and a fresh Context for it."""
    peers = tuple(n for n in ALL if n != me)
    r = cls(me, peers, members=members)
    for k, v in state.items():
        setattr(r, k, v)
    return r, Context(me, peers, rng=random.Random(0))


def leader(cls=RaftMembership, me=0, members=(0, 1, 2), term=1, log=((1, NOOP),)):
    """A leader of ``term`` whose log is committed (so it may start a change)."""
    r, ctx = node(cls, me, members, current_term=term, log=log)
    r.on_start(ctx)
    r.become_leader(ctx)   # appends a no-op of this term
    for p in r.peers:
        r.on_append_entries_reply(ctx, p, AppendEntriesReply(term, True, len(r.log)))
    assert r.commit_index == len(r.log)
    ctx.take_effects()
    return r, ctx


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def observed(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == OBSERVE]


# ------------------------------------------------------------------------------ handlers

def test_a_config_entry_changes_the_quorum_as_soon_as_it_is_appended():
    r, ctx = leader()
    assert (r.peers, r.majority) == ((1, 2), 2)
    r.on_message(ctx, None, ADD3)
    assert r.log[-1] == (1, ConfigEntry("op", 1, ("add", 3), (0, 1, 2, 3)))
    assert (r.config, r.peers, r.majority) == ((0, 1, 2, 3), (1, 2, 3), 3)
    assert ("config", (0, 1, 2, 3)) in observed(ctx)
    assert 3 in [dst for dst, m in sends(ctx) if isinstance(m, AppendEntries)]   # the new server is sent to
    assert r.next_index[3] == 1
    index = len(r.log)
    r.on_append_entries_reply(ctx, 1, AppendEntriesReply(1, True, index))
    assert r.commit_index < index   # 0 and 1 were a majority of {0, 1, 2}, not of {0, 1, 2, 3}
    r.on_append_entries_reply(ctx, 3, AppendEntriesReply(1, True, index))
    assert r.commit_index == index
    assert ("applied", (index, r.log[-1][1])) in observed(ctx)


def test_a_follower_uses_a_config_entry_before_it_is_committed_and_drops_it_with_the_entry():
    r, ctx = node(me=1, current_term=1, log=((1, NOOP),))
    r.on_start(ctx)
    entry = (1, ConfigEntry("op", 1, ("add", 3), (0, 1, 2, 3)))
    r.on_message(ctx, 0, AppendEntries(1, 0, 1, 1, (entry,), 1))
    assert (r.config, r.commit_index, r.majority) == ((0, 1, 2, 3), 1, 3)
    # A leader of term 2 never had the entry: its log cuts ours back, and the configuration with it.
    r.on_message(ctx, 2, AppendEntries(2, 2, 1, 1, ((2, NOOP),), 1))
    assert r.config == (0, 1, 2)
    assert observed(ctx)[-1] == ("config", (0, 1, 2))


def test_a_second_change_is_refused_while_the_first_is_uncommitted():
    r, ctx = leader()
    r.on_message(ctx, None, ADD3)
    log = r.log
    ctx.take_effects()
    r.on_message(ctx, 1, ADD4)            # forwarded by node 1: told to try again
    assert r.log == log
    assert sends(ctx) == [(1, ClientReply("op", 2, False, 0))]
    assert ("refused", ("op", 2)) in observed(ctx)
    r.on_message(ctx, None, ADD4)         # from a client of ours: kept, and retried later
    assert r.log == log and ("op", 2) in r.pending
    for p in (1, 3):
        r.on_append_entries_reply(ctx, p, AppendEntriesReply(1, True, len(log)))
    r.on_timer(ctx, "client_retry")       # the first change committed: now the second goes in
    assert r.log[-1][1].members == (0, 1, 2, 3, 4)


def test_a_change_waits_for_an_entry_of_the_leaders_term_to_commit():
    r, ctx = node(current_term=2, log=((1, NOOP),), commit_index=1, last_applied=1)
    r.on_start(ctx)
    r.become_leader(ctx)                  # appends a no-op of term 2, not yet committed
    r.on_message(ctx, None, ADD3)
    assert not any(isinstance(c, ConfigEntry) for _t, c in r.log)
    assert r.change_refused() == "no entry of this term committed yet"


def test_the_broken_variant_accepts_a_second_change_at_once():
    r, ctx = leader(RaftMembershipTwoAtOnce)
    r.on_message(ctx, None, ADD3)
    r.on_message(ctx, None, ADD4)
    assert [c.members for _t, c in r.log if isinstance(c, ConfigEntry)] == [(0, 1, 2, 3), (0, 1, 2, 3, 4)]


def test_a_removed_leader_steps_down_once_the_change_commits():
    r, ctx = leader(members=(0, 1, 2, 3))
    r.on_message(ctx, None, MembershipRequest("op", 1, ("remove", 0)))
    assert (r.config, r.peers, r.majority, r.role) == ((1, 2, 3), (1, 2, 3), 2, LEADER)
    index = len(r.log)
    r.on_append_entries_reply(ctx, 1, AppendEntriesReply(1, True, index))
    assert r.role == LEADER          # it does not count itself: 1 alone is no majority of {1, 2, 3}
    r.on_append_entries_reply(ctx, 2, AppendEntriesReply(1, True, index))
    assert (r.commit_index, r.role) == (index, FOLLOWER)
    ctx.take_effects()
    r.on_timer(ctx, "election")       # no longer a member: no election
    assert (r.role, r.current_term, sends(ctx)) == (FOLLOWER, 1, [])
    assert [e[1] for e in ctx.effects if e[0] == SET_TIMER] == ["election"]


def test_a_new_server_starts_no_elections_until_it_is_added():
    r, ctx = node(me=3)
    r.on_start(ctx)
    assert ("config", (0, 1, 2)) in observed(ctx) and r.log == ()
    r.on_timer(ctx, "election")
    assert (r.role, r.current_term, sends(ctx)) == (FOLLOWER, 0, [])
    entry = (1, ConfigEntry("op", 1, ("add", 3), (0, 1, 2, 3)))
    r.on_message(ctx, 0, AppendEntries(1, 0, 0, 0, ((1, NOOP), entry), 1))
    r.on_timer(ctx, "election")
    assert (r.role, r.current_term) == (CANDIDATE, 2)


def test_a_removed_server_cannot_disrupt_a_member_that_hears_from_its_leader():
    r, ctx = node(me=1, members=(1, 2, 3), current_term=1, leader_id=2)
    r.on_message(ctx, 0, RequestVote(5, 0, 9, 1))
    assert (r.current_term, sends(ctx)) == (1, [])


# ------------------------------------------------------------------------------ the checker

def _trace(entries):
    rows = [(0.0, "observe", 0, None, None, "config", (0, 1, 2))]
    rows += [(0.1 * i, "observe", 0, None, None, "entry", e) for i, e in enumerate(entries, 1)]
    return Trace([0, 1, 2, 3, 4], rows)


def test_config_safety_catches_a_configuration_two_servers_away():
    one = ConfigEntry("op", 1, ("add", 3), (0, 1, 2, 3))
    two = ConfigEntry("op", 2, ("add", 4), (0, 1, 2, 3, 4))
    assert config_safety(_trace([(1, 1, NOOP), (2, 1, one), (3, 1, two)])).ok
    jump = ConfigEntry("op", 1, ("add", 3), (0, 1, 2, 3, 4))
    verdict = config_safety(_trace([(1, 1, NOOP), (2, 1, jump)]))
    assert not verdict and verdict.property == "config safety" and verdict.events == (2,)


# ------------------------------------------------------------------------------ runs

@pytest.mark.parametrize("seed", range(16))
def test_nodes_3_and_4_join_and_0_leaves(seed):
    prevote, check_quorum, fast_backoff = OPTIONS[seed % len(OPTIONS)]
    sc = membership_scenario(seed=seed, prevote=prevote, check_quorum=check_quorum, fast_backoff=fast_backoff)
    trace = sc.run()
    assert raft_safety(trace) and config_safety(trace)
    changes = {(i.msg.client_id, i.msg.seq) for i in sc.inputs if isinstance(i.msg, MembershipRequest)}
    applied = trace.observations("applied")
    for n in (1, 2, 3, 4):
        mine = {(c.client_id, c.seq) for _i, c in applied[applied.node == n].value if isinstance(c, ConfigEntry)}
        assert mine == changes, n
        assert trace.observations("config").query("node == @n").value.iloc[-1] == (1, 2, 3, 4)
    sets = {(i.msg.client_id, i.msg.seq) for i in sc.inputs if not isinstance(i.msg, MembershipRequest)}
    got = {(c.client_id, c.seq) for _i, c in applied[applied.node == 1].value if hasattr(c, "client_id")}
    assert sets <= got


CHANGES = (("add", 3), ("remove", 0), ("add", 4), ("remove", 1), ("add", 0), ("remove", 2))
HARSH = dict(nemesis=Nemesis(crash_rate=3.0, mean_downtime=0.05, partition_rate=1.0, mean_partition=0.2, stop=3.0),
             link=LinkModel(latency=Uniform(0.002, 0.04), loss=0.1, duplicate=0.05, reorder=True),
             election_timeout=0.06, heartbeat=0.02)


@pytest.mark.parametrize("first", range(0, 80, 40))
def test_membership_changes_under_random_faults_stay_safe(first):
    failures = []
    for seed in range(first, first + 40):
        prevote, check_quorum, fast_backoff = OPTIONS[seed % len(OPTIONS)]
        if seed % 2:
            weather = dict(HARSH)
        else:
            nemesis, link = chaos_weather(3.0)
            weather = {"nemesis": nemesis, "link": link}
        sc = membership_scenario(seed, CHANGES, spacing=0.3, until=5.0, prevote=prevote, check_quorum=check_quorum,
                                 fast_backoff=fast_backoff, **weather)
        verdict = all_hold([raft_safety(trace := sc.run()), config_safety(trace)])
        if not verdict:
            failures.append((seed, verdict))
    assert not failures, "\n".join(f"seed {s}: {v}" for s, v in failures)


def test_two_changes_at_once_elect_two_leaders_in_one_term():
    broken = config_safety(two_at_once_scenario().run())
    assert not broken and broken.property == "election safety" and "term 2" in broken.message
    trace = two_at_once_scenario(RaftMembership).run()
    assert raft_safety(trace) and config_safety(trace)
    assert trace.observations("refused").value.tolist()[:1] == [("operator", 2)]


def test_module_doctests():
    assert doctest.testmod(raft_membership, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
