"""The model checker on Raft's log: commands, replication, commit, apply, snapshots.

Raft and CompactingRaft are verified in full on small bounded models; the broken snapshot variant and
the variant without the election restriction are caught, with shortest counterexamples that replay."""
from collections import deque

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsysedu.check.model_checker import check, reachable
from dsysedu.protocols.consensus.raft import properties as raft_checks
from dsysedu.protocols.consensus.raft import (AppendEntriesReply, ClientReply, CompactingRaft, InstallSnapshotReply,
                                              Raft, RaftCommitOldTerm, RaftNoUpToDateCheck,
                                              RaftSnapshotsUncommitted, RequestVoteReply)
from dsysedu.protocols.consensus.raft.log_model import (
    CLIENT, committed_everywhere, leader_completeness_invariant, log_matching_invariant, log_safety_invariant,
    raft_log_model, snapshot_committed_invariant, snapshot_installed, stale_log_message,
    state_machine_safety_invariant)
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model

INVARIANTS = (state_machine_safety_invariant, log_matching_invariant, leader_completeness_invariant,
              snapshot_committed_invariant)


def replayed(result):
    """The states reached by replaying a result's path with ``model.step`` from the initial state."""
    m = result.model
    states = [m.initial()]
    for action in result.path:
        states.append(m.step(states[-1], action))
    return states


def node_values(model, limit=200_000):
    """Every reachable tuple of node states (values, not interned ids), by a plain search."""
    init = model.initial()
    seen, todo, out = {init}, deque([init]), set()
    while todo:
        s = todo.popleft()
        out.add(tuple(model._E[e] for e in s[0]))
        for _a, nxt in model._successors(s):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
        assert len(seen) < limit
    return out


# ------------------------------------------------------------------------------ verified models

def test_raft_one_term_any_order_verified():
    r = check(raft_log_model(max_term=1, symmetric=True, compress=True, retries=0), log_safety_invariant)
    assert r.verdict == "ok" and r.path is None and "all" in r.message


def test_raft_two_terms_fifo_verified_and_not_vacuous():
    m = raft_log_model(max_term=2, symmetric=True, compress=True, retries=0, heartbeats=0, fifo=True)
    r = check(m, log_safety_invariant)
    assert r.verdict == "ok"
    one_term = check(raft_log_model(max_term=1, symmetric=True, compress=True, retries=0, heartbeats=0, fifo=True),
                     log_safety_invariant)
    assert one_term.verdict == "ok" and r.states > 10 * one_term.states
    # a second leader after a first: the term-1 leader's uncommitted entry can be overwritten
    firsts = (lambda s: {s[n].log[0][0] for n in s.nodes if s[n].log})
    two_terms = reachable("first entries of terms 1 and 2 at once", lambda s: firsts(s) == {1, 2})
    assert check(m, two_terms).verdict == "violation"   # no retries: the command reaches one leader only
    retrying = raft_log_model(max_term=2, symmetric=True, compress=True, retries=1, heartbeats=0, fifo=True)
    assert check(retrying, two_terms).verdict == "ok"
    w = check(raft_log_model(max_term=1, symmetric=True, compress=True, retries=0), committed_everywhere)
    assert w.verdict == "ok" and w.path is not None
    last = w.model.view(w.states_on_path[-1])
    assert all(last[n].state_machine.as_dict() == {"key": "x"} for n in last.nodes)
    # the heartbeat carries the commit index to the follower that did not take part in the majority
    assert [a.data for a in w.path if a.kind == "timer"] == ["election", "heartbeat"]


@pytest.mark.parametrize("every, commands, max_term", [(1, ("x",), 2), (2, ("x", "y"), 1)])
def test_compacting_raft_verified_and_installs(every, commands, max_term):
    m = raft_log_model(CompactingRaft, max_term=max_term, commands=commands, snapshot_every=every, symmetric=True,
                       compress=True, retries=0, heartbeats=1 if max_term == 1 else 0, fifo=True)
    r = check(m, log_safety_invariant)
    assert r.verdict == "ok"
    w = check(m, snapshot_installed)
    assert w.verdict == "ok" and w.path is not None
    last = w.model.view(w.states_on_path[-1])
    [installer] = [n for n in last.nodes if last[n].installed]
    assert last[installer].role != "leader" and last[installer].snapshot_index >= every
    # it holds its leader's snapshot, and its state machine is that snapshot's state
    [leader] = [n for n in last.nodes if last[n].role == "leader"]
    assert last[installer].snapshot == last[leader].snapshot == last[installer].state_machine
    assert last[installer].snapshot.as_dict() == {"key": commands[every - 1]}


def test_each_invariant_holds_alone_on_a_compacting_model():
    m = raft_log_model(CompactingRaft, snapshot_every=1, symmetric=True, compress=True, fifo=True)
    for prop in INVARIANTS:
        assert check(m, prop).verdict == "ok", prop.name


# ------------------------------------------------------------------------------ broken variants

def test_snapshot_of_uncommitted_entry_is_caught():
    m = raft_log_model(RaftSnapshotsUncommitted, snapshot_every=1, max_term=2, symmetric=True, compress=True)
    r = check(m, log_safety_invariant)
    assert r.verdict == "violation" and len(r.path) == 7
    # shortest: breadth-first, and nothing within six actions
    assert check(m, log_safety_invariant, max_depth=6).verdict != "violation"
    states = replayed(r)
    assert not log_safety_invariant.predicate(m.view(states[-1]))
    assert all(log_safety_invariant.predicate(m.view(s)) for s in states[:-1])
    # which invariant: a leader of term 2 lacks the entry that a server of term 1 has snapshotted
    last = m.view(states[-1])
    assert not snapshot_committed_invariant.predicate(last)
    snap = [n for n in last.nodes if last[n].snapshot_index == 1]
    assert len(snap) == 1 and last[snap[0]].snapshot.as_dict() == {"key": "x"}
    assert [n for n in last.nodes if last[n].role == "leader" and last[n].current_term == 2]


def test_snapshot_of_uncommitted_entry_breaks_state_machine_safety():
    m = raft_log_model(RaftSnapshotsUncommitted, commands=("x", "y"), snapshot_every=1, max_term=2,
                       symmetric=True, compress=True, retries=0, heartbeats=0, fifo=True)
    r = check(m, state_machine_safety_invariant)
    assert r.verdict == "violation"
    last = m.view(replayed(r)[-1])
    applied = {last[n].state_machine.as_dict().get("key") for n in last.nodes if last[n].last_applied >= 1}
    assert applied == {"x", "y"}
    # the trace checker of chapter 3.1 reads the counterexample the same way
    assert not raft_checks.state_machine_safety(r.to_trace())


def test_no_up_to_date_check_needs_logs_to_be_seen():
    # with empty logs (the election model) every vote is up to date: nothing to catch
    assert check(raft_election_model(RaftNoUpToDateCheck, max_term=2, symmetric=True, compress=True),
                 election_safety_invariant).verdict == "ok"
    m = raft_log_model(RaftNoUpToDateCheck, max_term=2, symmetric=True, compress=True, retries=0, heartbeats=0)
    r = check(m, log_safety_invariant)
    assert r.verdict == "violation" and len(r.path) == 9
    assert check(m, log_safety_invariant, max_depth=8).verdict != "violation"
    last = m.view(replayed(r)[-1])
    assert not leader_completeness_invariant.predicate(last)
    assert not raft_checks.leader_completeness(r.to_trace())


def test_commit_by_counting_needs_more_terms_than_the_model_has():
    # Figure 8's mistake needs an entry of term 1 committed in term 3 and overwritten by a leader of
    # term 4 (with three servers): within two terms the broken variant passes. A verdict is the model's.
    m = raft_log_model(RaftCommitOldTerm, max_term=2, symmetric=True, compress=True, retries=0, heartbeats=0,
                       fifo=True)
    assert check(m, log_safety_invariant).verdict == "ok"


def test_verified_with_a_crash_and_with_a_loss():
    # a crash and a recovery: still verified (durable log and snapshot; the rest volatile)
    crash = raft_log_model(CompactingRaft, snapshot_every=1, symmetric=True, compress=True, retries=0, fifo=True,
                           crashes=1, recoveries=1)
    assert check(crash, log_safety_invariant).verdict == "ok"
    # a lost message: verified, and the heartbeat resends what was lost, so every server still applies
    loss = raft_log_model(CompactingRaft, snapshot_every=1, symmetric=True, compress=True, retries=0, fifo=True,
                          drops=1)
    assert check(loss, log_safety_invariant).verdict == "ok"
    recovered = check(loss, reachable("every server applied, one message lost", lambda s: (
        committed_everywhere.predicate(s) and s.state[3][0] == 0)))
    assert recovered.ok and [a.kind for a in recovered.path].count("drop") == 1
    assert "heartbeat" in [a.data for a in recovered.path if a.kind == "timer"]


# ------------------------------------------------------------------------------ compression and symmetry

@pytest.mark.parametrize("nodes, faults, copies", [(("a", "b", "c"), 0, 0), (("a", "b"), 1, 0), (("a", "b"), 0, 1)])
def test_compression_keeps_the_node_states(nodes, faults, copies):
    kw = dict(cls=CompactingRaft, snapshot_every=1, nodes=nodes, heartbeats=1, retries=1, fifo=True,
              crashes=faults, recoveries=faults, duplicates=copies)
    plain, packed = raft_log_model(**kw), raft_log_model(compress=True, **kw)
    assert node_values(plain) == node_values(packed)
    assert check(packed, log_safety_invariant).states < check(plain, log_safety_invariant).states


def _forgotten(model, entry):
    """A node entry (index, up, values) with the fields forget=True resets reset by role."""
    i, up, values = entry
    if not up:
        return entry
    fields = dict(zip(model._fields[i], values))
    if fields["role"] != "leader":
        fields.update(next_index=frozenset(), match_index=frozenset())
        if "sending" in fields:
            fields["sending"] = frozenset()
    if fields["role"] not in ("candidate", "precandidate"):
        fields["votes"] = frozenset()
    fields["heard_from"] = frozenset()
    return i, up, tuple(sorted(fields.items(), key=repr))


@pytest.mark.parametrize("nodes, faults", [(("a", "b", "c"), 0), (("a", "b"), 1)])
def test_forget_keeps_the_node_states_up_to_unread_fields(nodes, faults):
    kw = dict(cls=CompactingRaft, snapshot_every=1, nodes=nodes, heartbeats=1, retries=1, fifo=True, compress=True,
              crashes=faults, recoveries=faults)
    full, lean = raft_log_model(forget=False, **kw), raft_log_model(**kw)
    project = (lambda m: {tuple(_forgotten(m, e) for e in nodes_) for nodes_ in node_values(m)})
    assert project(full) == project(lean)
    assert check(lean, log_safety_invariant).states < check(full, log_safety_invariant).states


CLASSES = (Raft, CompactingRaft, RaftSnapshotsUncommitted, RaftNoUpToDateCheck)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cls=st.sampled_from(CLASSES), every=st.integers(1, 2), max_term=st.integers(1, 2),
       heartbeats=st.integers(0, 1), retries=st.integers(0, 1), noop=st.booleans(), fifo=st.booleans(),
       crashes=st.integers(0, 1), three=st.booleans())
def test_random_small_models_never_crash_and_symmetry_keeps_verdicts(cls, every, max_term, heartbeats, retries,
                                                                    noop, fifo, crashes, three):
    nodes = ("a", "b", "c") if three else ("a", "b")
    kw = dict(cls=cls, max_term=max_term, snapshot_every=every if issubclass(cls, CompactingRaft) else None,
              nodes=nodes, heartbeats=heartbeats, retries=retries, noop=noop, fifo=fifo, compress=True,
              crashes=crashes, recoveries=crashes)
    plain = check(raft_log_model(**kw), log_safety_invariant, max_states=8_000)
    sym = check(raft_log_model(symmetric=True, **kw), log_safety_invariant, max_states=8_000)
    if cls in (Raft, CompactingRaft):
        assert plain.verdict in ("ok", "bound") and sym.verdict in ("ok", "bound")
    if plain.verdict == "ok":
        assert sym.verdict == "ok" and sym.states <= plain.states
    if plain.verdict == sym.verdict == "violation":   # breadth-first on both: shortest paths of one length
        assert len(plain.path) == len(sym.path)


# ------------------------------------------------------------------------------ the compression rule

class _Node:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def test_stale_log_message():
    follower = _Node(current_term=2, role="follower", votes=frozenset(), pending={(CLIENT, 1): None})
    assert stale_log_message(follower, "b", InstallSnapshotReply(1, 1, 0, True))
    assert not stale_log_message(follower, "b", InstallSnapshotReply(2, 1, 0, True))
    assert not stale_log_message(follower, "b", ClientReply(CLIENT, 1, True))
    assert stale_log_message(follower, "b", ClientReply(CLIENT, 2, True))
    assert stale_log_message(follower, "b", AppendEntriesReply(1, True, 3))
    assert not stale_log_message(follower, "b", RequestVoteReply(3, False))

    class Crashed:
        current_term = 2
    assert stale_log_message(Crashed(), "b", ClientReply(CLIENT, 1, True))


# ------------------------------------------------------------------------------ arguments

def test_bad_input():
    with pytest.raises(TypeError, match="Raft"):
        raft_log_model(object)
    with pytest.raises(ValueError, match="max_term"):
        raft_log_model(max_term=0)
    with pytest.raises(ValueError, match="heartbeats"):
        raft_log_model(heartbeats=-1)
    with pytest.raises(ValueError, match="retries"):
        raft_log_model(retries=True)
    with pytest.raises(ValueError, match="snapshot_every"):
        raft_log_model(CompactingRaft)
    with pytest.raises(ValueError, match="snapshot_every"):
        raft_log_model(Raft, snapshot_every=2)
    with pytest.raises(ValueError, match="snapshot_every"):
        raft_log_model(CompactingRaft, snapshot_every=0)
    with pytest.raises(ValueError, match="node ids"):
        raft_log_model(commands=("a",))
    with pytest.raises(ValueError, match="commands"):
        raft_log_model(commands=())
    with pytest.raises(TypeError, match="commands"):
        raft_log_model(commands="xy")
    with pytest.raises(ValueError, match="client_at"):
        raft_log_model(client_at="z")
    with pytest.raises(ValueError, match="nodes"):
        raft_log_model(nodes=("a", "a"))
    with pytest.raises(TypeError, match="compress"):
        raft_log_model(compress=1)
    with pytest.raises(ValueError, match="compress"):
        raft_log_model(_OddReplies, compress=True, forget=False)
    with pytest.raises(ValueError, match="forget"):
        raft_log_model(_OddReplies)
    with pytest.raises(TypeError, match="forget"):
        raft_log_model(forget=None)
    m = raft_log_model(commands=("x", "y"))
    assert m.ids == ("a", "b", "c") and len(m.initial()[1]) == 2


class _OddReplies(Raft):
    """A class that overrides a handler the compression rule relies on."""

    def on_append_entries_reply(self, ctx, src, m):
        super().on_append_entries_reply(ctx, src, m)
