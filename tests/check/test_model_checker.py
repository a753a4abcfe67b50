"""The model checker itself: shortest paths, agreement of strategies, bounds, replay, bad input."""
from collections import deque

import matplotlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from dsysedu.check import Verdict
from dsysedu.check.model_checker import (Action, Model, Property, check, deadlock_free, eventually, invariant,
                                         reachable, replay, text_progress, within)
from dsysedu.protocols.coordination.mutex import CRITICAL, ImpatientClient, LockClient, mutex_model
from dsysedu.protocols.basics.toys import Flood
from dsysedu.protocols.transactions.twopc import (ABORTED, COMMITTED, Coordinator, MajorityCoordinator, PREPARED,
                                     ForgetfulParticipant, Participant, atomicity, twopc_model)
from dsysedu.sim.trace import Trace

SETTINGS = settings(max_examples=60, deadline=None)


def shortest_bad_distance(model, bad, limit=200_000):
    """An independent BFS over the public successor function: distance to the nearest bad state."""
    init = model.initial()
    if bad(model.view(init)):
        return 0
    seen = {init}
    q = deque([(init, 0)])
    while q:
        s, d = q.popleft()
        for _a, n in model.successors(s):
            if n in seen:
                continue
            if bad(model.view(n)):
                return d + 1
            seen.add(n)
            q.append((n, d + 1))
            assert len(seen) < limit
    return None


def all_states(model, limit=100_000):
    init = model.initial()
    seen = {init}
    todo = [init]
    while todo:
        for _a, n in model.successors(todo.pop()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
                assert len(seen) < limit, "the test models must be small"
    return seen


def _count(s, kind, value):
    if kind == "twopc":
        return sum(1 for n in s.nodes if n != "c" and s.is_up(n) and s[n].phase == value)
    return sum(1 for n in s.nodes if n != "s" and s.is_up(n) and s[n].phase == value)


@st.composite
def small_models(draw):
    """A small 2PC or lock model (correct or broken, with or without a fault budget) and a symmetric
    predicate 'at least k nodes are in local state v'."""
    kind = draw(st.sampled_from(["twopc", "mutex"]))
    crashes = draw(st.integers(0, 1))
    n = draw(st.integers(1, 2 if crashes else 3))   # a few thousand states at most
    if kind == "twopc":
        coord = draw(st.sampled_from([Coordinator, MajorityCoordinator]))
        part = draw(st.sampled_from([Participant, ForgetfulParticipant]))
        value = draw(st.sampled_from([PREPARED, COMMITTED, ABORTED]))
        make = lambda sym: twopc_model(n, coord, part, symmetric=sym, crashes=crashes, recoveries=crashes)  # noqa
    else:
        client = draw(st.sampled_from([LockClient, ImpatientClient]))
        value = draw(st.sampled_from(["waiting", CRITICAL]))
        drops = draw(st.integers(0, 1))
        if drops or client is ImpatientClient:
            n = min(n, 2)
        make = lambda sym: mutex_model(n, client, symmetric=sym, drops=drops)  # noqa
    k = draw(st.integers(1, n))
    bad = lambda s: _count(s, kind, value) >= k  # noqa: E731
    return make, bad


@SETTINGS
@given(small_models())
def test_bfs_counterexample_is_shortest_and_replays(case):
    make, bad = case
    model = make(False)
    r = check(model, invariant("not bad", lambda s: not bad(s)))
    d = shortest_bad_distance(make(False), bad)
    if d is None:
        assert r.verdict == "ok" and r.path is None
        return
    assert r.verdict == "violation"
    assert len(r.path) == d
    states = replay(model, r.path)
    assert bad(model.view(states[-1]))
    assert not any(bad(model.view(s)) for s in states[:-1])


@SETTINGS
@given(small_models(), st.sampled_from(["invariant", "reachable", "deadlock_free"]))
def test_dfs_bfs_and_symmetry_agree(case, kind):
    make, bad = case
    prop = (invariant("not bad", lambda s: not bad(s)) if kind == "invariant" else
            reachable("bad", bad) if kind == "reachable" else deadlock_free())
    plain, reduced = make(False), make(True)
    results = [check(plain, prop), check(plain, prop, strategy="dfs"), check(reduced, prop),
               check(reduced, prop, strategy="dfs")]
    assert len({r.verdict for r in results}) == 1, results
    if results[0].verdict == "ok" and kind != "reachable":   # complete explorations: compare sizes
        assert results[2].states <= results[0].states
        assert results[0].states == results[1].states == len(all_states(plain))
    if results[2].path is not None:  # a path found under symmetry is a true path of the model
        states = replay(reduced, results[2].path)
        if kind != "deadlock_free":
            assert bad(reduced.view(states[-1]))
        else:
            assert reduced.is_deadlock(states[-1])


@SETTINGS
@given(small_models(), st.integers(1, 40), st.integers(0, 6))
def test_bounds_are_respected_and_reported(case, max_states, max_depth):
    make, _bad = case
    model = make(False)
    total = len(all_states(model))
    r = check(model, invariant("true", lambda s: True), max_states=max_states)
    assert r.states <= max_states
    assert r.verdict == ("ok" if total <= max_states else "bound")
    if r.verdict == "bound":
        assert "bound reached" in r.message and "no violation found within" in r.message
    else:
        assert r.message.startswith("verified: all")
    for strategy in ("bfs", "dfs"):
        r = check(model, invariant("true", lambda s: True), max_depth=max_depth, strategy=strategy)
        assert r.depth <= max_depth
        assert r.verdict in ("ok", "bound")
    # the depth-bounded DFS sees every state within the depth, like BFS
    bfs = check(model, reachable("deep", lambda s: False), max_depth=max_depth)
    dfs = check(model, reachable("deep", lambda s: False), max_depth=max_depth, strategy="dfs")
    assert bfs.states == dfs.states


def test_time_bound_gives_a_bound_verdict():
    from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model
    r = check(raft_election_model(max_term=2), election_safety_invariant, max_seconds=0.3)   # > a million states
    assert r.verdict == "bound" and "max_seconds=0.3" in r.message and r.seconds < 5
    with pytest.raises(ValueError, match="max_seconds"):
        check(twopc_model(1), atomicity, max_seconds=0)


def test_results_do_not_depend_on_the_hash_seed():
    import os
    import subprocess
    import sys
    code = ("from dsysedu.check.model_checker import check;"
            "from dsysedu.protocols.transactions.twopc import *;"
            "r = check(twopc_model(4, MajorityCoordinator), atomicity);"
            "print(r.states, [str(a) for a in r.path], check(twopc_model(4), atomicity).states)")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout for h in (1, 2)}
    assert len(outs) == 1


def test_twopc_majority_counterexample_draws_as_a_trace():
    from dsysedu.viz.spacetime import spacetime
    r = check(twopc_model(3, MajorityCoordinator), atomicity)
    assert r.verdict == "violation" and len(r.path) == 6
    trace = r.to_trace()
    assert isinstance(trace, Trace)
    kinds = [row[1] for row in trace.rows]
    assert kinds.count("deliver") + kinds.count("timer_fire") == 6
    # every delivery matches an earlier send with the same message id
    sent = {row[4]: row for row in trace.rows if row[1] == "send"}
    for row in trace.rows:
        if row[1] == "deliver":
            assert row[4] in sent and sent[row[4]][0] < row[0] and sent[row[4]][5] == row[5]
    ax = spacetime(trace, highlight=r.to_verdict().events)
    assert ax.dsysedu_counts["arrows"] >= 5
    v = r.to_verdict()
    assert isinstance(v, Verdict) and not v.ok and v.events


def test_crash_recover_trace_has_kernel_rows():
    from dsysedu.viz.spacetime import spacetime
    r = check(twopc_model(2, participant=ForgetfulParticipant, crashes=1, recoveries=1), atomicity)
    assert r.verdict == "violation" and len(r.path) == 8
    assert [a.kind for a in r.path].count("crash") == 1
    trace = r.to_trace()
    kinds = [row[1] for row in trace.rows]
    assert "crash" in kinds and "recover" in kinds and "timer_fire" in kinds
    spacetime(trace)


def test_drop_duplicate_and_lost_messages_in_traces():
    m = Model(Flood, nodes=3, drops=1, duplicates=1, crashes=1)
    s = m.initial()
    acts = m.actions(s)
    assert {a.kind for a in acts} == {"deliver", "drop", "duplicate", "crash"}
    dup = next(a for a in acts if a.kind == "duplicate")
    crash = Action("crash", dup.node)
    deliver = Action("deliver", dup.node, dup.peer, dup.data)
    path = [dup, crash, deliver, deliver]
    states = replay(m, path)
    assert m.view(states[-1]).in_flight.count((dup.peer, dup.node, dup.data)) == 0
    from dsysedu.check.model_checker import path_trace
    rows = path_trace(m, path).rows
    assert [r[6] for r in rows if r[1] == "drop"] == ["crashed", "crashed"]
    assert sum(1 for r in rows if r[1] == "duplicate") == 1
    with pytest.raises(ValueError, match="not enabled"):
        replay(m, [dup, dup])   # the duplicate budget is one


def test_other_property_kinds():
    m = twopc_model(2)
    assert check(m, eventually("decided", lambda s: s["c"].decision is not None)).verdict == "ok"
    assert check(m, within("decided soon", lambda s: s["c"].decision is not None, 10)).verdict == "ok"
    r = check(m, within("decided at once", lambda s: s["c"].decision is not None, 2))
    assert r.verdict == "violation" and len(r.path) == 2
    r = check(m, reachable("both commit", lambda s: s["p1"].phase == s["p2"].phase == COMMITTED))
    assert r.ok and len(r.path) == 6   # 2 prepares, 2 votes, 2 decisions
    assert check(m, reachable("impossible", lambda s: s["p1"].phase == "nonsense")).verdict == "violation"
    # a model that runs out of things to do before the end is a deadlock unless declared final
    flood = Model(Flood, nodes=3)
    assert check(flood, deadlock_free()).verdict == "violation"
    flood_ok = Model(Flood, nodes=3, final=lambda s: all(s[n].informed for n in s.nodes))
    assert check(flood_ok, deadlock_free()).verdict == "ok"
    # eventually: a state from which P can never be reached
    r = check(twopc_model(2), eventually("commit", lambda s: s["c"].decision == "commit"))
    assert r.verdict == "violation" and "can never reach P" in r.message


def test_progress_is_reported():
    import io
    reports = []
    check(twopc_model(3, symmetric=False), atomicity, progress=reports.append, progress_every=0.0)
    assert reports and {"states", "states_per_s", "depth"} <= set(reports[-1])
    buf = io.StringIO()
    text_progress(buf)(reports[-1])
    assert "states/s" in buf.getvalue()


def test_bad_input():
    with pytest.raises(ValueError, match="unknown property kind"):
        Property("x", "always", lambda s: True)
    with pytest.raises(ValueError, match="steps"):
        within("x", lambda s: True, -1)
    with pytest.raises(TypeError, match="predicate"):
        Property("x", "invariant")
    with pytest.raises(ValueError, match="budget crashes"):
        twopc_model(2, crashes=-1)
    with pytest.raises(ValueError, match="budget drops"):
        Model(Flood, nodes=2, drops=1.5)
    m = twopc_model(2)
    with pytest.raises(ValueError, match="strategy"):
        check(m, atomicity, strategy="random")
    with pytest.raises(ValueError, match="max_states"):
        check(m, atomicity, max_states=0)
    with pytest.raises(ValueError, match="max_depth"):
        check(m, atomicity, max_depth=-2)
    with pytest.raises(TypeError, match="Property"):
        check(m, lambda s: True)
    with pytest.raises(ValueError, match="symmetric"):
        Model(Flood, nodes=3, symmetric=(1, 2))       # int ids cannot be renamed generically
    with pytest.raises(ValueError, match="unknown node"):
        Model(Flood, nodes=["a", "b"], symmetric=("a", "z"))
    with pytest.raises(ValueError, match="same class"):
        Model({"a": Flood, "b": LockClient}, nodes=["a", "b"], symmetric=("a", "b"))
    with pytest.raises(ValueError, match="not enabled"):
        m.step(m.initial(), Action("timer", "c", None, "nothing"))
    with pytest.raises(ValueError, match="kind"):
        m.step(m.initial(), Action("teleport", "c"))
    from dsysedu.sim.node import Node

    class Shadow(Node):
        state_fields = ("state",)

        def __init__(self, node_id, peers=()):
            super().__init__(node_id, peers)
            self.state = "x"    # hides Node.state(), which the views call
    with pytest.raises(ValueError, match="hides the Node method"):
        Model(Shadow, nodes=2)
    r = check(m, atomicity)
    with pytest.raises(ValueError, match="no path"):
        r.to_trace()
