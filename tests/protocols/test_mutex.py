"""Mutual exclusion: the lock server is safe and live within the model; the impatient client is caught."""
from itertools import permutations

import pytest

from dsysedu.check.model_checker.symmetry import Symmetry
from dsysedu.check.model_checker import check
from dsysedu.protocols.coordination.mutex import (CRITICAL, ImpatientClient, LockServer, mutex_model, mutex_scenario,
                                     mutual_exclusion, no_deadlock, someone_enters)
from dsysedu.sim import run
from reachable import reachable


def all_states(model):
    return reachable(model.initial(), lambda s: (n for _a, n in model.successors(s)))


def test_pinned_counts():
    # 1 client, by hand: idle+want timer; waiting+Acquire; waiting+Grant; critical; idle+Release+want;
    # then the Release and a new Acquire may arrive in either order: 7 states
    assert check(mutex_model(1, symmetric=False), mutual_exclusion).states == 7
    assert [check(mutex_model(n, symmetric=False), mutual_exclusion).states for n in (2, 3, 4)] == [36, 182, 992]
    assert [check(mutex_model(n), mutual_exclusion).states for n in (2, 3, 4)] == [19, 38, 65]


@pytest.mark.parametrize("n", [2, 3])
def test_symmetry_keeps_one_state_per_class(n):
    model = mutex_model(n)           # explored without the reduction: all states, then classes
    states = all_states(model)
    sym = Symmetry(model)
    ids = [f"c{i}" for i in range(1, n + 1)]
    classes = {min(sym.permute(s, dict(zip(ids, perm))) for perm in permutations(ids)) for s in states}
    assert check(mutex_model(n), mutual_exclusion).states == len(classes)


def test_correct_lock_is_safe_and_live():
    for n in (1, 2, 3):
        m = mutex_model(n)
        assert check(m, mutual_exclusion).verdict == "ok"
        assert check(m, no_deadlock).verdict == "ok"
        assert check(m, someone_enters).verdict == "ok"


def test_impatient_client_is_caught():
    r = check(mutex_model(2, ImpatientClient), mutual_exclusion)
    assert r.verdict == "violation"
    # both want, both time out: four timer firings, no message needed
    assert len(r.path) == 4 and all(a.kind == "timer" for a in r.path)
    # even when the server granted one of them first (a path through a Grant), BFS keeps the shortest
    assert check(mutex_model(2, ImpatientClient, symmetric=False), mutual_exclusion).path == r.path or \
        len(check(mutex_model(2, ImpatientClient, symmetric=False), mutual_exclusion).path) == 4
    # a single impatient client has no one to collide with
    assert check(mutex_model(1, ImpatientClient), mutual_exclusion).verdict == "ok"


def test_reordered_release_does_not_lose_a_request():
    # the holder asks again before its Release arrives: the server must queue it, not drop it
    m = mutex_model(1, symmetric=False)
    assert check(m, no_deadlock).verdict == "ok"

    class ForgetfulServer(LockServer):
        def on_message(self, ctx, src, msg):
            if src == self.holder and type(msg).__name__ == "Acquire":
                return   # the mistake: "you already hold it"
            super().on_message(ctx, src, msg)

    r = check(mutex_model(1, server=ForgetfulServer), no_deadlock)
    assert r.verdict == "violation"


@pytest.mark.parametrize("seed", range(10))
def test_simulated_lock_is_exclusive(seed):
    trace = run(mutex_scenario(3, until=20.0), seed=seed)
    inside = set()
    entered = 0
    for r in trace.rows:
        if r[1] == "observe" and r[5] == "phase":
            if r[6] == CRITICAL:
                inside.add(r[2])
                entered += 1
            else:
                inside.discard(r[2])
            assert len(inside) <= 1
    assert entered >= 3


def test_bad_input():
    with pytest.raises(ValueError, match="clients"):
        mutex_model(0)
