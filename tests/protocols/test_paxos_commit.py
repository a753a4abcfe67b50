"""Paxos Commit: state counts reproduced by an independent brute force, atomicity and non-blocking under
the model checker and random fault schedules, the blind leader caught, F = 0 is two-phase commit, its cost."""
from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.paxos_commit import (Acceptor, BlindLeader, CommitLeader, CommitOutcome, P1a,
                                                         P1b, P2a, P2b, chosen_values, commit_rule, paxos_commit_ids,
                                                         paxos_commit_model, paxos_commit_scenario, pc_agreement,
                                                         pc_atomicity, pc_decides)
from dsysedu.protocols.transactions.paxos_commit_runs import (blocking_against_2pc, commit_atomic, commit_costs,
                                                              commit_outcomes, decided_at, fault_schedule_table,
                                                              leader_crash_scenario, message_pattern, reduces_to_2pc)
from dsysedu.protocols.transactions.twopc import MajorityCoordinator, twopc_model, twopc_scenario
from dsysedu.sim import Context, Crash, LinkModel, Uniform, run
from reachable import reachable


def brute_force_paxos_commit(n, f, blind=False, crashes=0):
    """Paxos Commit written again as a bare transition system (no Node classes, no checker), as the
    model explores it: unilateral-abort timers at every RM, ``c`` never starts a ballot, each backup
    starts at most one. With ``crashes``, any node may crash (no recovery): it keeps what is on its
    disk (an RM its phase and vote, an acceptor everything, a leader its round), its timers are
    gone, and messages to it are lost when they arrive. Returns the set of reachable states."""
    rms = tuple(f"p{i}" for i in range(1, n + 1))
    accs = tuple(f"a{i}" for i in range(1, 2 * f + 2))
    leaders = ("c", *(f"b{i}" for i in range(1, f + 1)))
    q = f + 1
    # state: (rms: ((phase, vote),...), accs: ((promised, accepted),...), leaders: ((votes, decision, ballot,
    #         promises, round),...), msgs: sorted tuple of (src, dst, kind, payload), timers: frozenset)
    init_msgs = tuple(sorted((("c", rm, "prepare", None) for rm in rms), key=repr))
    init = (tuple(("W", None) for _ in rms), tuple((-1, ()) for _ in accs),
            tuple((frozenset(), None, None, frozenset(), 0) for _ in leaders), init_msgs,
            frozenset([*((rm, "abort") for rm in rms), *((b, "takeover") for b in leaders[1:])]), crashes)

    def decide_on(votes):
        count = Counter((rm, b, v) for rm, b, v, _a in votes)
        chosen = {rm: v for (rm, b, v), k in count.items() if k >= q}
        if "A" in chosen.values():
            return "abort"
        return "commit" if all(chosen.get(rm) == "P" for rm in rms) else None

    def down(entry):
        return entry[0] == "down"

    def succ(s):
        R, A, L, msgs, timers, left = s
        if left:
            for k, rm in enumerate(rms):
                if not down(R[k]):
                    yield (R[:k] + (("down", *R[k]),) + R[k + 1:], A, L, msgs,
                           frozenset(t for t in timers if t[0] != rm), left - 1)
            for k in range(len(accs)):
                if not down(A[k]):
                    yield (R, A[:k] + (("down", *A[k]),) + A[k + 1:], L, msgs, timers, left - 1)
            for k, ld in enumerate(leaders):
                if not down(L[k]):
                    yield (R, A, L[:k] + (("down", L[k][4]),) + L[k + 1:], msgs,
                           frozenset(t for t in timers if t[0] != ld), left - 1)
        for node, name in sorted(timers):
            t2 = timers - {(node, name)}
            if name == "abort":
                i = rms.index(node)
                R2 = list(R)
                if R[i][0] == "W":
                    R2[i] = ("A", None)
                yield (tuple(R2), A, L, msgs, t2, left)
            else:
                k = leaders.index(node)
                votes, dec, ballot, prom, rnd = L[k]
                if dec is not None or rnd >= 1:
                    yield (R, A, L, msgs, t2, left)
                    continue
                b = k + 1
                L2 = list(L)
                L2[k] = (votes, dec, b, frozenset(), 1)
                yield (R, A, tuple(L2), tuple(sorted(msgs + tuple((node, a, "1a", b) for a in accs), key=repr)), t2,
                       left)
        for j, m in enumerate(msgs):
            if j and msgs[j - 1] == m:
                continue
            rest = msgs[:j] + msgs[j + 1:]
            src, dst, kind, pay = m
            R2, A2, L2, new, t2 = list(R), list(A), list(L), [], set(timers)
            target = R[rms.index(dst)] if dst in rms else A[accs.index(dst)] if dst in accs else L[leaders.index(dst)]
            if down(target):            # lost on arrival
                yield (R, A, L, rest, timers, left)
                continue
            if dst in rms:
                i = rms.index(dst)
                phase, vote = R[i]
                if kind == "prepare":
                    if vote is None:
                        if phase == "W":
                            phase = "P"
                            t2.discard((dst, "abort"))
                        vote = "P" if phase == "P" else "A"
                    R2[i] = (phase, vote)
                    new += [(dst, a, "2a", (dst, 0, vote)) for a in accs]
                elif kind == "outcome" and phase not in ("C", "A"):
                    t2.discard((dst, "abort"))
                    R2[i] = ("C" if pay else "A", vote)
            elif dst in accs:
                i = accs.index(dst)
                promised, accepted = A[i]
                acc = dict(accepted)
                if kind == "1a":
                    if pay > max([promised, *(b for b, _v in acc.values())]):
                        A2[i] = (pay, accepted)
                        new.append((dst, src, "1b", (pay, tuple((rm, b, v) for rm, (b, v) in sorted(acc.items())))))
                else:      # 2a
                    rm, b, v = pay
                    if b >= promised and b >= acc.get(rm, (-1, None))[0]:
                        acc[rm] = (b, v)
                        A2[i] = (promised, tuple(sorted(acc.items())))
                        new.append((dst, leaders[0] if b == 0 else leaders[(b - 1) % len(leaders)], "2b", (rm, b, v)))
            else:
                k = leaders.index(dst)
                votes, dec, ballot, prom, rnd = L[k]
                if dec is None:
                    if kind == "outcome":
                        L2[k] = (votes, "commit" if pay else "abort", ballot, prom, rnd)
                        t2.discard((dst, "takeover"))
                    elif kind == "2b":
                        votes = votes | {(*pay, src)}
                        d = decide_on(votes)
                        L2[k] = (votes, d, ballot, prom, rnd)
                        if d is not None:
                            t2.discard((dst, "takeover"))
                            new += [(dst, x, "outcome", d == "commit") for x in (*rms, *leaders) if x != dst]
                    elif kind == "1b" and pay[0] == ballot and len(prom) < q:
                        prom = prom | {(src, pay[1])}
                        L2[k] = (votes, dec, ballot, prom, rnd)
                        if len(prom) == q:
                            best = {}
                            for _a, accepted in prom:
                                for rm, b, v in accepted:
                                    if rm not in best or b > best[rm][0]:
                                        best[rm] = (b, v)
                            for rm in rms:
                                v = "A" if blind or rm not in best else best[rm][1]
                                new += [(dst, a, "2a", (rm, ballot, v)) for a in accs]
            yield (tuple(R2), tuple(A2), tuple(L2), tuple(sorted(rest + tuple(new), key=repr)), frozenset(t2), left)

    return reachable(init, succ)


def bf_atomic(s):
    R, _A, L, _m, _t, _left = s
    out = {r[0] for r in R if r[0] in ("C", "A")}
    out |= {"C" if ld[1] == "commit" else "A" for ld in L if ld[0] != "down" and ld[1]}
    return len(out) <= 1


@pytest.mark.parametrize("n, f, pinned", [(1, 0, 10), (2, 0, 120), (3, 0, 2_084), (1, 1, 166_070)])
def test_state_counts_match_an_independent_brute_force(n, f, pinned):
    r = check(paxos_commit_model(n, f, symmetric=False), pc_atomicity)
    states = brute_force_paxos_commit(n, f)
    assert r.verdict == "ok" and all(bf_atomic(s) for s in states)
    assert r.states == len(states) == pinned


@pytest.mark.parametrize("n, pinned", [(2, 713), (3, 15_521)])
def test_state_counts_with_a_crash_match_the_brute_force(n, pinned):
    r = check(paxos_commit_model(n, 0, crashes=1, symmetric=False), pc_atomicity)
    states = brute_force_paxos_commit(n, 0, crashes=1)
    assert r.verdict == "ok" and all(bf_atomic(s) for s in states)
    assert r.states == len(states) == pinned


def test_symmetry_and_the_blind_leader_in_the_brute_force():
    assert check(paxos_commit_model(1, 1), pc_atomicity).states == 29_894     # acceptors interchangeable
    assert not all(bf_atomic(s) for s in brute_force_paxos_commit(1, 1, blind=True))


def test_blind_leader_is_caught_with_a_shortest_counterexample():
    r = check(paxos_commit_model(1, 1, leader=BlindLeader), pc_atomicity)
    assert r.verdict == "violation" and len(r.path) == 14
    last = r.model.view(r.states_on_path[-1])
    assert last["c"].decision == "commit" and last["b1"].decision == "abort"
    assert check(paxos_commit_model(1, 1, leader=BlindLeader), pc_agreement).verdict == "violation"


def test_non_blocking_with_one_crash_where_2pc_blocks():
    d = check(paxos_commit_model(1, 1, crashes=1, abort_after=None), pc_decides)
    assert d.verdict == "ok" and d.states == 115_657
    # F = 0 has no backup: the transaction manager's crash blocks, as in two-phase commit
    blocked = check(paxos_commit_model(1, 0, crashes=1), pc_decides)
    assert blocked.verdict == "violation" and [a.kind for a in blocked.path] == ["deliver", "crash"]


def test_faster_paxos_commit_is_atomic_too():
    r = check(paxos_commit_model(2, 0, fast=True, symmetric=False), pc_atomicity)
    assert r.verdict == "ok" and r.states == 2_165
    blind = check(paxos_commit_model(1, 1, fast=True, leader=BlindLeader), pc_atomicity)
    assert blind.verdict == "violation" and len(blind.path) == 14


def test_atomic_under_one_crash_and_recovery():
    r = check(paxos_commit_model(2, 0, crashes=1, recoveries=1), pc_atomicity)
    assert r.verdict == "ok"


# ------------------------------------------------------------------ F = 0 is two-phase commit

@pytest.mark.parametrize("aborts", [(), ("p2",), ("p1", "p3")])
def test_f0_has_two_phase_commits_messages_and_decision(aborts):
    n = 3
    abort_after = {f"p{i}": (0.001 if f"p{i}" in aborts else None) for i in range(1, n + 1)}
    two = run(twopc_scenario(n, node_params={p: {"abort_after": a} for p, a in abort_after.items()}, until=1.0),
              seed=1)
    pc = run(paxos_commit_scenario(n, 0, abort_after=abort_after, until=1.0), seed=1)
    assert message_pattern(pc, {"a1": "c"}) == message_pattern(two)
    assert message_pattern(pc) != message_pattern(two)        # with the acceptor on its own machine, it is not
    two_out = {e.node: e.value for e in two.events if e.kind == "observe" and e.data == "phase"}
    assert {k: v for k, v in commit_outcomes(pc).items() if k.startswith("p")} == two_out
    # F = 1 is not 2PC, wherever its acceptors run
    f1 = run(paxos_commit_scenario(n, 1, abort_after=abort_after, until=1.0), seed=1)
    assert message_pattern(f1, {"a1": "c", "a2": "c", "a3": "c", "b1": "c"}) != message_pattern(two)


def test_reduction_table():
    t = reduces_to_2pc(3, seed=1)
    assert t["same messages"].all() and t["same outcomes"].all() and (t["2PC messages"] == 9).all()
    assert [o for o in t["2PC outcome"]] == [["committed"], ["aborted"], ["aborted"]]


def test_f0_reaches_the_same_outcomes_as_2pc_in_the_model_checker():
    """Every combination of participant phases one protocol can reach, the other can, and no other."""
    def phase_vectors(model):
        r = check(model, pc_atomicity, record_graph=True)
        states = {a for a, _x, _b in r.edges} | {b for _a, _x, b in r.edges}
        return {tuple(sorted(model.view(s).field("phase").items())) for s in states}
    pc, two = phase_vectors(paxos_commit_model(2, 0, symmetric=False)), phase_vectors(twopc_model(2, symmetric=False))
    assert pc == two and len(two) == 12
    bad = phase_vectors(twopc_model(3, MajorityCoordinator, symmetric=False))
    assert bad != phase_vectors(paxos_commit_model(3, 0, symmetric=False))     # the comparison can fail


# ------------------------------------------------------------------ the simulator

def test_leader_crash_backup_commits():
    tr = run(leader_crash_scenario(), seed=7)
    assert commit_outcomes(tr) == {"p1": "committed", "p2": "committed", "b1": "commit"}
    assert decided_at(tr) == pytest.approx(0.25)


def test_lock_hold_does_not_grow_with_the_coordinators_downtime():
    t = blocking_against_2pc((0.25, 1.0, 4.0), participants=2, seed=1)
    assert t["atomic"].all() and (t["Paxos Commit: lock held (s)"] == 0.24).all()
    assert list(t["2PC: lock held (s)"]) == [0.27, 1.02, 4.02]


def test_costs_against_2pc():
    t = commit_costs(3)
    assert t.loc[("2PC", 0), "message delays"] == 3 and t.loc[("2PC", 0), "messages"] == 9
    for f in (0, 1, 2):
        assert t.loc[("Paxos Commit", f), "message delays"] == 4
        assert t.loc[("Faster Paxos Commit", f), "message delays"] == 3
        assert t.loc[("Paxos Commit", f), "messages"] == 4 * 3 * (f + 1) + f   # N + 2N(2F+1) + N + F
    assert (t["delays with BeginCommit"] == t["paper (Gray & Lamport)"]).all()


def test_random_fault_schedules_never_break_atomicity_nor_block():
    t = fault_schedule_table(500)
    good, blind = t.loc["CommitLeader"], t.loc["BlindLeader"]
    assert good["atomicity violated"] == good["an RM undecided"] == 0
    assert good["a backup decided"] >= 50 and good["crashes"] >= 200
    assert blind["atomicity violated"] > 0          # the same schedules catch the blind backup


@settings(max_examples=80, deadline=None)
@given(f=st.integers(1, 2), n=st.integers(1, 3), data=st.data())
def test_any_f_crashes_at_any_time_leave_every_rm_decided_and_agreeing(f, n, data):
    """Hypothesis picks which F leaders or acceptors crash and when (and whether they come back),
    which RMs abort on their own, and the links' delays."""
    rms, accs, leaders = paxos_commit_ids(n, f)
    victims = data.draw(st.lists(st.sampled_from([*leaders, *accs]), max_size=f, unique=True))
    faults = []
    for v in victims:
        at = data.draw(st.floats(0.0, 0.2))
        back = data.draw(st.one_of(st.none(), st.floats(0.01, 1.0)))
        faults.append(Crash(v, at=at, until=None if back is None else at + back))
    aborts = {rm: data.draw(st.sampled_from([None, 0.001, 0.015])) for rm in rms}
    low = data.draw(st.floats(0.001, 0.02))
    link = LinkModel(latency=Uniform(low, low + data.draw(st.floats(0.0, 0.05))), reorder=True)
    tr = run(paxos_commit_scenario(n, f, abort_after=aborts, takeover=data.draw(st.sampled_from([0.02, 0.1])),
                                   faults=faults, link=link, until=20.0), seed=data.draw(st.integers(0, 2**16)))
    assert commit_atomic(tr).ok, commit_outcomes(tr)
    assert decided_at(tr) is not None, commit_outcomes(tr)


def test_blind_leader_breaks_atomicity_on_the_simulator():
    # the backup suspects c at 20 ms, and c's "I decided" reaches it late: both finish, differently
    late = {("c", "b1"): LinkModel(latency=0.5)}
    tr = run(paxos_commit_scenario(2, 1, leader=BlindLeader, takeover=0.01, links=late, until=1.0), seed=1)
    assert not commit_atomic(tr).ok and commit_outcomes(tr)["b1"] == "abort"
    assert commit_atomic(run(paxos_commit_scenario(2, 1, takeover=0.01, links=late, until=1.0), seed=1)).ok


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p1", "p2"]), st.integers(0, 3), st.sampled_from(["prepared", "aborted"]),
                          st.sampled_from(["a1", "a2", "a3"])), max_size=12))
def test_chosen_values_need_a_quorum_in_one_ballot(votes):
    chosen = chosen_values(votes, 2)
    for rm, v in chosen.items():
        assert any(len({a for r, b, x, a in votes if r == rm and x == v and b == bb}) >= 2 for bb in range(4))
    rule = commit_rule(chosen, ("p1", "p2"))
    assert rule == ("abort" if "aborted" in chosen.values() else
                    "commit" if chosen.get("p1") == chosen.get("p2") == "prepared" else None)


def test_acceptor_refuses_a_lower_ballot_after_a_promise():
    a = Acceptor("a1", ("c", "b1", "p1"), leaders=("c", "b1"), rms=("p1",))
    ctx = Context("a1", ("c", "b1", "p1"))
    a.on_message(ctx, "b1", P1a(2))
    a.on_message(ctx, "p1", P2a("p1", 0, "prepared"))
    assert a.accepted == {} and [e[2] for e in ctx.effects if e[0] == 0] == [P1b(2, ())]
    a.on_message(ctx, "b1", P2a("p1", 2, "aborted"))
    assert a.accepted == {"p1": (2, "aborted")} and [e[1:] for e in ctx.effects if e[0] == 0][-1] == \
        ("b1", P2b("p1", 2, "aborted"))


def test_leader_proposes_the_highest_accepted_value():
    ld = CommitLeader("b1", (), acceptors=("a1", "a2", "a3"), rms=("p1", "p2"), leaders=("c", "b1"))
    ld.ballot = 2
    ctx = Context("b1", ("a1", "a2", "a3"))
    ld.on_message(ctx, "a1", P1b(2, (("p1", 0, "prepared"),)))
    ld.on_message(ctx, "a2", P1b(2, ()))
    sent = [e[2] for e in ctx.effects if e[0] == 0]
    assert set(sent) == {P2a("p1", 2, "prepared"), P2a("p2", 2, "aborted")} and len(sent) == 6
    ld.on_message(ctx, "c", CommitOutcome(True))
    assert ld.decision == "commit"


def test_bad_input():
    with pytest.raises(ValueError, match="participants"):
        paxos_commit_scenario(0)
    with pytest.raises(ValueError, match="f "):
        paxos_commit_scenario(2, -1)
    with pytest.raises(ValueError, match="takeover"):
        paxos_commit_scenario(2, 1, takeover=0)
    with pytest.raises(ValueError, match="unknown RMs"):
        paxos_commit_scenario(2, 1, abort_after={"p9": 1.0})
    with pytest.raises(ValueError, match="max_rounds"):
        paxos_commit_model(1, 1, max_rounds=-1)
    with pytest.raises(ValueError, match="max_rounds"):
        paxos_commit_scenario(2, 1, max_rounds=1.5)
    with pytest.raises(TypeError, match="fast"):
        paxos_commit_scenario(2, 1, fast="yes")
    with pytest.raises(TypeError, match="leader"):
        paxos_commit_scenario(2, 1, leader=Acceptor)


def test_docstring_examples():
    import doctest
    from dsysedu.protocols.transactions import paxos_commit as module
    assert doctest.testmod(module).failed == 0
