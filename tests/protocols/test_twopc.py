"""Two-phase commit: pinned state counts checked against an independent brute force, the broken
variants caught with shortest counterexamples, and simulator runs."""
from itertools import permutations

import pytest

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.twopc import (ABORTED, COMMITTED, ForgetfulParticipant, MajorityCoordinator, all_decided,
                                     atomicity, commit_reachable, no_deadlock, twopc_model, twopc_scenario)
from dsysedu.sim import run


def link(m):
    """The directed link a message of the brute force travels: votes go to the coordinator "c"."""
    kind, p, _v = m
    return (p, "c") if kind == "vote" else ("c", p)


def pack(msgs, fifo):
    """Messages in flight, given in send order: a sorted tuple (any may arrive next), or under
    FIFO one queue per link, ``((link, (oldest, ...)), ...)``."""
    if not fifo:
        return tuple(sorted(msgs, key=repr))
    queues = {}
    for m in msgs:
        queues.setdefault(link(m), []).append(m)
    return tuple(sorted(((lk, tuple(q)) for lk, q in queues.items()), key=repr))


def unpack(msgs, fifo):
    return [m for _lk, q in msgs for m in q] if fifo else list(msgs)


def arrivals(msgs, fifo):
    """(message, the others in send order) for each message that may arrive next."""
    if fifo:
        for j, (_lk, q) in enumerate(msgs):
            yield q[0], unpack(msgs[:j] + msgs[j + 1:], True) + list(q[1:])
        return
    for k, m in enumerate(msgs):
        if not (k and msgs[k - 1] == m):
            yield m, list(msgs[:k] + msgs[k + 1:])


def brute_force_2pc(n, majority=False, fifo=False):
    """2PC written again as a bare transition system (no Node classes, no checker).

    State: (yes voters, decision, participant states, messages in flight (see :func:`pack`),
    pending abort timers). Returns (number of reachable states, distance of the nearest state
    breaking atomicity or None, the set of states)."""
    ps = tuple(range(n))
    init = (frozenset(), None, ("W",) * n, pack([("prep", p, None) for p in ps], fifo), frozenset(ps))

    def succ(s):
        yes, dec, st, msgs, timers = s
        for t in sorted(timers):
            st2 = list(st)
            if st2[t] == "W":
                st2[t] = "A"
            yield (yes, dec, tuple(st2), msgs, timers - {t})
        for m, rest in arrivals(msgs, fifo):
            kind, p, v = m
            st2, tm, yes2, dec2 = list(st), set(timers), yes, dec
            if kind == "prep":
                if st[p] == "W":
                    st2[p] = "P"
                    tm.discard(p)
                    rest.append(("vote", p, True))
                elif st[p] == "A":
                    rest.append(("vote", p, False))
            elif kind == "vote":
                if dec is None:
                    if not v:
                        dec2 = "abort"
                    else:
                        yes2 = yes | {p}
                        if (len(yes2) > n // 2) if majority else (len(yes2) == n):
                            dec2 = "commit"
                    if dec2 is not None:
                        rest.extend(("dec", q, dec2 == "commit") for q in ps)
            else:
                tm.discard(p)
                st2[p] = "C" if v else "A"
            yield (yes2, dec2, tuple(st2), pack(rest, fifo), frozenset(tm))

    def bad(s):
        return "C" in s[2] and "A" in s[2]

    seen = {init: 0}
    frontier = [init]
    nearest = None
    while frontier:
        nxt = []
        for s in frontier:
            for t in succ(s):
                if t not in seen:
                    seen[t] = seen[s] + 1
                    if bad(t) and nearest is None:
                        nearest = seen[t]
                    nxt.append(t)
        frontier = nxt
    return len(seen), nearest, set(seen)


def orbits(states, n, fifo=False):
    """How many classes the states fall into when participants are renamed."""
    def rename(s, perm):
        yes, dec, st, msgs, timers = s
        new_st = [None] * n
        for p in range(n):
            new_st[perm[p]] = st[p]
        return (frozenset(perm[p] for p in yes), dec, tuple(new_st),
                pack([(k, perm[p], v) for k, p, v in unpack(msgs, fifo)], fifo), frozenset(perm[p] for p in timers))
    reps = {min((rename(s, perm) for perm in permutations(range(n))), key=repr) for s in states}
    return len(reps)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_state_counts_match_an_independent_brute_force(n):
    plain = check(twopc_model(n, symmetric=False), atomicity)
    reduced = check(twopc_model(n), atomicity)
    count, nearest, states = brute_force_2pc(n)
    assert nearest is None
    assert plain.verdict == reduced.verdict == "ok"
    assert plain.states == count
    assert reduced.states == orbits(states, n)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_fifo_state_counts_match_the_brute_force(n):
    plain = check(twopc_model(n, symmetric=False, fifo=True), atomicity)
    reduced = check(twopc_model(n, fifo=True), atomicity)
    count, nearest, states = brute_force_2pc(n, fifo=True)
    assert nearest is None
    assert plain.verdict == reduced.verdict == "ok"
    assert plain.states == count
    assert reduced.states == orbits(states, n, fifo=True)
    # FIFO links remove orders (a decision overtaking its participant's prepare), never add any
    assert count < brute_force_2pc(n)[0] or n == 1


def test_pinned_counts():
    # 1 participant, by hand: start; prepared | aborted on its own; vote in flight; decision
    # in flight; decided -> 4 states on the commit side, 4 on the abort side
    assert check(twopc_model(1, symmetric=False), atomicity).states == 8
    assert [check(twopc_model(n, symmetric=False), atomicity).states for n in (2, 3, 4)] == [72, 860, 11_376]
    assert [check(twopc_model(n), atomicity).states for n in (2, 3, 4, 5)] == [40, 182, 724, 2_497]
    # FIFO links (one queue per direction of each coordinator-participant link)
    assert [check(twopc_model(n, symmetric=False, fifo=True), atomicity).states for n in (1, 2, 3, 4)] == [
        8, 68, 734, 8_720]
    assert [check(twopc_model(n, fifo=True), atomicity).states for n in (2, 3, 4, 5)] == [38, 159, 580, 1_847]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_majority_coordinator_breaks_atomicity_shortest(n):
    r = check(twopc_model(n, MajorityCoordinator, symmetric=False), atomicity)
    _count, nearest, _states = brute_force_2pc(n, majority=True)
    if n == 2:   # a majority of two is both: no bug to find
        assert nearest is None and r.verdict == "ok"
        return
    assert r.verdict == "violation"
    assert len(r.path) == nearest
    assert len(check(twopc_model(n, MajorityCoordinator), atomicity).path) == nearest
    _count, nearest_fifo, _states = brute_force_2pc(n, majority=True, fifo=True)
    assert len(check(twopc_model(n, MajorityCoordinator, symmetric=False, fifo=True), atomicity).path) == nearest_fifo


def test_majority_counterexample_shape():
    r = check(twopc_model(3, MajorityCoordinator), atomicity)
    assert len(r.path) == 6
    last = r.model.view(r.states_on_path[-1])
    states = {last[p].phase for p in ("p1", "p2", "p3")}
    assert {COMMITTED, ABORTED} <= states


def test_forgetful_participant_needs_a_crash():
    assert check(twopc_model(2, participant=ForgetfulParticipant), atomicity).verdict == "ok"
    r = check(twopc_model(2, participant=ForgetfulParticipant, crashes=1, recoveries=1), atomicity)
    assert r.verdict == "violation" and len(r.path) == 8
    assert [a.kind for a in r.path][5:7] == ["crash", "recover"]
    # with its vote on disk, the same budget finds nothing
    assert check(twopc_model(2, crashes=1, recoveries=1), atomicity).verdict == "ok"


def test_liveness_and_deadlock():
    m = twopc_model(3)
    assert check(m, no_deadlock).verdict == "ok"
    assert check(m, all_decided).verdict == "ok"
    w = check(m, commit_reachable)
    assert w.ok and len(w.path) == 6     # 3 prepares, 3 votes
    # a lost decision leaves a participant prepared forever: blocking, the known weakness of 2PC
    assert check(twopc_model(2, drops=1), all_decided).verdict == "violation"


@pytest.mark.parametrize("seed", range(20))
def test_simulated_runs_are_atomic(seed):
    import random
    rnd = random.Random(seed)
    n = rnd.randint(1, 5)
    sc = twopc_scenario(n, node_params={f"p{i}": {"abort_after": rnd.choice([None, 0.005, 0.05, 1.0])}
                                        for i in range(1, n + 1)}, until=5.0)
    trace = run(sc, seed=seed)
    final = {}
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "phase":
            final[r[2]] = r[6]
    assert not ({COMMITTED, ABORTED} <= set(final.values()))
    assert set(final.values()) <= {COMMITTED, ABORTED}, final


def test_bad_input():
    with pytest.raises(ValueError, match="participants"):
        twopc_model(0)
