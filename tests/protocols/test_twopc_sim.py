"""2PC on the simulator: crash points, atomicity on random fault schedules, blocking, and the model."""
import random

import pytest

from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.twopc_sim import (CRASH_POINTS, ForgetfulCoordinator, LockingParticipant,
                                                      LoggingCoordinator, TxnDecision, TxnPrepare, TxnVote, atomic,
                                                      local_waits, lock_hold_times, outcomes, run_with_crash_points,
                                                      sim_all_decided, sim_atomicity, twopc_sim_model,
                                                      twopc_sim_scenario)
from dsysedu.sim import Context
from dsysedu.sim.faults import Crash, Partition
from dsysedu.sim.network import LinkModel

POINTS = [(None, None)] + [("c", s) for s in CRASH_POINTS["coordinator"]] + \
    [(p, s) for p in ("p1", "p3") for s in CRASH_POINTS["participant"]]


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == 0]


def test_participant_prepares_then_votes_yes():
    p = LockingParticipant("p1", ("c",))
    ctx = Context("p1", ("c",))
    p.on_message(ctx, "c", TxnPrepare(1))
    assert p.phase == "prepared" and p.txn == 1 and sends(ctx) == [("c", TxnVote(1, True))]


def test_participant_crash_point_stops_before_the_vote():
    p = LockingParticipant("p1", ("c",), crash_at="before_vote")
    ctx = Context("p1", ("c",))
    p.on_message(ctx, "c", TxnPrepare(1))
    assert sends(ctx) == [] and p.phase == "working" and p.crash_at is None


def test_coordinator_logs_before_it_tells():
    c = LoggingCoordinator("c", ("p1",), crash_at="after_log")
    ctx = Context("c", ("p1",))
    c.txn = 1
    c.on_message(ctx, "p1", TxnVote(1, True))
    assert c.log == ((1, "commit"),) and sends(ctx) == []          # logged, crashed before telling
    fresh = LoggingCoordinator("c", ("p1",))
    fresh.txn, fresh.log = c.txn, c.log
    ctx2 = Context("c", ("p1",))
    fresh.on_recover(ctx2)
    assert sends(ctx2) == [("p1", TxnDecision(1, True))]


def test_coordinator_presumes_abort_after_a_crash_before_the_log():
    c = LoggingCoordinator("c", ("p1", "p2"))
    c.txn = 1
    ctx = Context("c", ("p1", "p2"))
    c.on_recover(ctx)
    assert c.log == ((1, "abort"),) and sends(ctx) == [("p1", TxnDecision(1, False)), ("p2", TxnDecision(1, False))]


@pytest.mark.parametrize("node,step", POINTS)
def test_every_crash_point_is_atomic_and_ends_decided(node, step):
    sc = twopc_sim_scenario(3, transactions=3, crash_at={node: step} if node else None, until=5.0)
    tr = run_with_crash_points(sc, seed=7, downtime=1.0)
    assert atomic(tr)
    assert set(outcomes(tr)) == {1, 2, 3}
    if node:
        assert sum(1 for e in tr.events if e.kind == "crash") == 1


def test_blocking_grows_with_the_coordinator_downtime():
    held = []
    for down in (0.5, 1.0, 2.0, 4.0):
        sc = twopc_sim_scenario(3, crash_at={"c": "before_log"}, until=10.0, local_txns=[(0.05, "p1")])
        tr = run_with_crash_points(sc, seed=7, downtime=down)
        h = lock_hold_times(tr)
        assert atomic(tr) and set(h) == {"p1", "p2", "p3"}
        held.append(max(h.values()))
        assert local_waits(tr)[0] == pytest.approx(h["p1"] - 0.03, abs=0.05)
    assert held == sorted(held) and held[-1] - held[0] == pytest.approx(3.5, abs=0.05)


def test_no_recovery_blocks_until_the_end():
    sc = twopc_sim_scenario(2, crash_at={"c": "before_log"}, until=3.0)
    tr = run_with_crash_points(sc, seed=7, downtime=None)
    assert all(t > 2.9 for t in lock_hold_times(tr).values())


def test_forgetful_coordinator_is_caught():
    sc = twopc_sim_scenario(3, coordinator=ForgetfulCoordinator, crash_at={"c": "before_log"})
    assert not atomic(run_with_crash_points(sc, seed=7))
    r = check(twopc_sim_model(2, ForgetfulCoordinator, crashes=1, recoveries=1), sim_atomicity)
    assert r.verdict == "violation" and len(r.path) == 8


def test_random_fault_schedules_keep_atomicity():
    bad = 0
    for seed in range(500):
        rnd = random.Random(seed)
        n = rnd.randint(1, 4)
        node, step = rnd.choice(POINTS[:3] + [(f"p{n}", s) for s in CRASH_POINTS["participant"]])
        faults = []
        if rnd.random() < 0.5:
            a = rnd.uniform(0, 0.5)
            faults.append(Partition([["c"], [f"p{i}" for i in range(1, n + 1)]], at=a, until=a + rnd.uniform(0, 1)))
        if rnd.random() < 0.3:
            faults.append(Crash(f"p{rnd.randint(1, n)}", at=rnd.uniform(0, 0.5), until=rnd.uniform(0.6, 1.5)))
        sc = twopc_sim_scenario(n, transactions=rnd.randint(1, 3), crash_at={node: step} if node else None,
                                link=LinkModel(loss=rnd.choice([0, 0.1])), faults=faults, until=4.0)
        tr = run_with_crash_points(sc, seed=seed, downtime=rnd.choice([0.1, 0.5, 1.0]))
        bad += not atomic(tr)
    assert bad == 0


def test_model_counts_and_the_blocking_counterexample():
    assert [check(twopc_sim_model(n), sim_atomicity).states for n in (1, 2, 3)] == [16, 92, 398]
    assert [check(twopc_sim_model(n, symmetric=False), sim_atomicity).states for n in (1, 2, 3)] == [16, 168, 1852]
    assert check(twopc_sim_model(2), sim_all_decided).verdict == "ok"
    blocked = check(twopc_sim_model(2, crashes=1), sim_all_decided)
    assert blocked.verdict == "violation"
    assert [str(a) for a in blocked.path] == ["deliver TxnPrepare(txn=1) c→p1", "crash c"]
    assert check(twopc_sim_model(2, crashes=1), sim_atomicity).verdict == "ok"
    assert check(twopc_sim_model(2, crashes=1, recoveries=1), sim_all_decided).verdict == "ok"


def test_bad_input():
    with pytest.raises(ValueError, match="crash_at"):
        twopc_sim_scenario(2, crash_at={"c": "before_vote"})
    with pytest.raises(ValueError, match="unknown nodes"):
        twopc_sim_scenario(2, crash_at={"p9": "before_vote"})
    with pytest.raises(ValueError, match="participants"):
        twopc_sim_scenario(0)
    with pytest.raises(ValueError, match="downtime"):
        run_with_crash_points(twopc_sim_scenario(1), downtime=-1)


def brute_force_twopc_sim(n):
    """The model of ``twopc_sim_model(n, symmetric=False)`` written again as a bare transition system.

    State: (coordinator (yes, log, vote timer pending), participants ((txn, phase, abort timer, ask
    timer), ...), messages in flight as a sorted tuple). One transaction; the ask timer never fires.
    Returns the number of reachable states and whether any breaks atomicity.
    """
    ps = tuple(range(n))
    init = ((frozenset(), None, True), tuple((0, "W", True, False) for _ in ps),
            tuple(sorted(("prep", p, None) for p in ps)))

    def succ(s):
        (yes, log, vt), parts, msgs = s
        if vt and log is None:                                   # the vote timeout: abort
            yield ((yes, "A", False), parts, tuple(sorted(msgs + tuple(("dec", p, False) for p in ps))))
        elif vt:
            yield ((yes, log, False), parts, msgs)
        for i, (txn, ph, ab, ask) in enumerate(parts):
            if ab:                                               # the unilateral abort timer
                new = list(parts)
                new[i] = (txn, "A" if ph == "W" else ph, False, ask)
                yield ((yes, log, vt), tuple(new), msgs)
        for k, m in enumerate(msgs):
            if k and msgs[k - 1] == m:
                continue
            rest = list(msgs[:k] + msgs[k + 1:])
            kind, p, v = m
            c, new = (yes, log, vt), list(parts)
            txn, ph, ab, ask = parts[p]
            if kind == "prep":
                if txn == 1:
                    if ph in ("A", "P"):
                        rest.append(("vote", p, ph == "P"))
                elif ph == "A":
                    new[p] = (1, "A", ab, ask)
                    rest.append(("vote", p, False))
                elif ph == "W":
                    new[p] = (1, "P", False, True)
                    rest.append(("vote", p, True))
            elif kind == "vote":
                if log is not None:
                    if v:
                        rest.append(("dec", p, log == "C"))
                elif not v or len(yes | {p}) == n:
                    d = "C" if v else "A"
                    c = (yes | {p} if v else yes, d, False)
                    rest.extend(("dec", q, d == "C") for q in ps)
                else:
                    c = (yes | {p}, None, vt)
            else:
                if txn == 1 and ph in ("W", "P"):
                    new[p] = (1, "C" if v else "A", ab, False)
                elif txn == 0 and ph != "P":
                    new[p] = (1, "C" if v else "A", False, False)
            yield (c, tuple(new), tuple(sorted(rest)))

    seen, frontier, bad = {init}, [init], False
    while frontier:
        nxt = []
        for s in frontier:
            for t in succ(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
                    phases = {q[1] for q in t[1]}
                    bad = bad or {"C", "A"} <= phases
        frontier = nxt
    return len(seen), bad


@pytest.mark.parametrize("n", [1, 2, 3])
def test_state_counts_match_an_independent_brute_force(n):
    r = check(twopc_sim_model(n, symmetric=False), sim_atomicity)
    count, bad = brute_force_twopc_sim(n)
    assert r.verdict == "ok" and not bad
    assert r.states == count


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.sampled_from(POINTS), st.sampled_from([None, 0.05, 0.5, 2.0]),
       st.sampled_from([0.0, 0.2]), st.booleans(), st.integers(0, 10_000))
def test_hypothesis_atomic_and_every_participant_decides_after_recovery(n, point, downtime, loss, no, seed):
    node, step = point
    if node == "p3" and n < 3:
        node = f"p{n}"
    params = {"p1_params": {"vote_no": no}}
    sc = twopc_sim_scenario(n, transactions=2, crash_at={node: step} if node else None,
                            link=LinkModel(loss=loss), until=8.0, **params)
    tr = run_with_crash_points(sc, seed=seed, downtime=downtime)
    assert atomic(tr)
    if downtime is not None and loss == 0:
        decided = outcomes(tr)
        assert set(decided) == {1, 2}
        assert all("c" in by for by in decided.values())
        held = lock_hold_times(tr)
        assert all(t <= downtime + 0.5 for t in held.values()), held   # nobody blocks longer than the outage
