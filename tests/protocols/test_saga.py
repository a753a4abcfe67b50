"""Sagas: handlers, model-checked properties with pinned state counts (reproduced by a brute force),
broken variants caught, 500 random fault schedules, and the dirty read with its countermeasure."""
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check.isolation import check_isolation
from dsysedu.check.model_checker import check
from dsysedu.protocols.transactions.saga import (Do, Done, Finish, at_most_once_holds, effect_status, ForgetfulOrchestrator, ForwardCompensation,
                                                 NonIdempotentService, Orchestrator, Service, STEPS, Undo, Undone,
                                                 all_settled, at_most_once, outcome_matches, reverse_order,
                                                 saga_model, saga_outcomes, saga_scenario)
from dsysedu.protocols.transactions.saga_choreography import FireAndForget, choreography_model, choreography_scenario
from dsysedu.protocols.transactions.saga_runs import (dirty_read_scenario, random_saga_scenario, saga_history,
                                                      saga_ledgers, saga_verdicts)
from dsysedu.sim import run
from dsysedu.sim.node import Context
from reachable import reachable

PROPS = (reverse_order, at_most_once, outcome_matches, all_settled)


def ctx(node="stock"):
    return Context(node, peers=["orch", *STEPS], known=["orch", *STEPS])


# ------------------------------------------------------------------------------ handlers

def test_service_applies_an_action_once_and_answers_a_duplicate_the_same():
    s, c = Service("stock", step=1), ctx()
    s.on_message(c, "orch", Do("s1", 1))
    s.on_message(c, "orch", Do("s1", 1))
    assert s.ledger == (("s1", "do"),)
    assert [e[2] for e in c.effects if e[0] == 0] == [Done("s1", 1, True)] * 2


def test_compensation_is_idempotent_and_never_precedes_its_action():
    s, c = Service("stock", step=1), ctx()
    s.on_message(c, "orch", Do("s1", 1))
    s.on_message(c, "orch", Undo("s1", 1))
    s.on_message(c, "orch", Undo("s1", 1))
    s.on_message(c, "orch", Do("s1", 1))            # a late duplicate of the action: refused
    assert s.ledger == (("s1", "do"), ("s1", "undo"))
    assert sum(e[2] == Undone("s1", 1) for e in c.effects if e[0] == 0) == 2
    assert [e[2] for e in c.effects if e[0] == 0][-1] == Done("s1", 1, False)
    early, c = Service("stock", step=1), ctx()
    early.on_message(c, "orch", Undo("s2", 1))      # the compensation overtook its action
    early.on_message(c, "orch", Do("s2", 1))
    assert early.ledger == (("s2", "refuse"),)
    broken = NonIdempotentService("stock", step=1)
    for m in (Do("s1", 1), Undo("s1", 1), Undo("s1", 1)):
        broken.on_message(ctx(), "orch", m)
    assert broken.ledger.count(("s1", "undo")) == 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["do", "undo", "finish"]), st.sampled_from(["s1", "s2"])), max_size=25),
       st.sampled_from([False, True]), st.sampled_from([None, 1]), st.booleans())
def test_any_order_of_requests_applies_each_effect_at_most_once(requests, fail, capacity, lock):
    """Requests duplicated and reordered at will: at most one action and one compensation per saga,
    the same answer to every Do of a saga, and nothing held once a compensation has arrived."""
    s, c = Service("stock", step=1, fail=fail, capacity=capacity, semantic_lock=lock), ctx()
    answers, undone = {}, set()
    for kind, saga in requests:
        s.on_message(c, "orch", {"do": Do, "undo": Undo}[kind](saga, 1) if kind != "finish" else Finish(saga))
        sent = [e[2] for e in c.take_effects() if e[0] == 0]
        undone |= {saga} if kind == "undo" else set()
        if kind == "do" and isinstance(sent[0], Done):
            answers.setdefault((saga, saga in undone), set()).add(sent[0].ok)
    assert at_most_once_holds([s.ledger])
    assert all(len(v) == 1 for v in answers.values())                 # before and after a compensation
    assert all(not ok for (saga, after), v in answers.items() if after for ok in v)
    for saga in {saga for kind, saga in requests if kind == "undo"}:
        assert effect_status(s.ledger, saga) != "do"
    if capacity is not None:
        assert len(s.holders()) <= capacity


def test_orchestrator_logs_before_it_asks_and_compensates_backwards():
    o, c = Orchestrator("orch", peers=STEPS, orders=("s1",), retry_after=None), ctx("orch")
    o.on_start(c)
    for k in (1, 2):
        o.on_message(c, STEPS[k - 1], Done("s1", k, True))
    o.on_message(c, "shipping", Done("s1", 3, False))
    assert o.next_request("s1") == ("undo", 2)
    o.on_message(c, "payment", Undone("s1", 2))
    o.on_message(c, "stock", Undone("s1", 1))
    assert [m for k, _d, m in c.effects if k == 0][-2:] == [Undo("s1", 2), Undo("s1", 1)]
    assert o.log[-1] == ("s1", "end", "compensated")
    assert ForwardCompensation("orch", peers=STEPS).to_undo is not o.to_undo


def test_bad_parameters():
    with pytest.raises(ValueError, match="fail_step"):
        saga_scenario(fail_step=4)
    with pytest.raises(ValueError, match="fail must be"):
        Service("stock", fail="sometimes")
    with pytest.raises(ValueError, match="capacity"):
        Service("stock", capacity=-1)
    with pytest.raises(ValueError, match="orders"):
        saga_scenario(orders=())


# ------------------------------------------------------------------------------ model checking

def brute_force_saga():
    """The fault-free saga model written again as a bare transition system (no Node classes).

    State: (orchestrator log, the three ledgers, broken flags, finished flags, messages in flight
    as a sorted tuple, pending fail timers). Returns the reachable states and whether every one
    ended consistently."""
    n = len(STEPS)

    def status(ledger):
        return ledger[-1] if ledger else "none"

    def next_req(log):
        if any(e[0] == "end" for e in log):
            return None
        if any(e[0] == "failed" for e in log):
            left = sorted({k for ev, k in log if ev == "done"} - {k for ev, k in log if ev == "undone"})
            return ("undo", left[-1]) if left else ("end", "compensated")
        k = sum(ev == "done" for ev, _ in log) + 1
        return ("do", k) if k <= n else ("end", "done")

    def advance(log, msgs):
        req = next_req(log)
        kind, arg = req
        if kind == "end":
            log = log + (("end", arg),)
            if arg == "done":
                msgs = msgs + [("finish", i) for i in range(n)]
        else:
            msgs = msgs + [(kind, arg - 1)]
        return log, msgs

    log0, msgs0 = advance((("begin", 0),), [])
    init = (log0, ((),) * n, (False,) * n, (False,) * n, tuple(sorted(msgs0)), frozenset(range(n)))

    def succ(s):
        log, led, broken, fin, msgs, timers = s
        for t in sorted(timers):
            b = list(broken)
            if not led[t]:
                b[t] = True
            yield (log, led, tuple(b), fin, msgs, timers - {t})
        for j, m in enumerate(msgs):
            if j and msgs[j - 1] == m:
                continue
            rest = list(msgs[:j] + msgs[j + 1:])
            kind, x = m[0], m[1]
            led2, log2, fin2 = list(led), log, list(fin)
            if kind == "do":
                if status(led[x]) == "none":
                    led2[x] = led[x] + (("refuse",) if broken[x] else ("do",))
                rest.append(("done", x, status(led2[x]) == "do"))
            elif kind == "undo":
                if status(led[x]) == "do":
                    led2[x] = led[x] + ("undo",)
                rest.append(("undone", x))
            elif kind == "finish":
                fin2[x] = True
            else:
                req = next_req(log)
                if kind == "done" and req == ("do", x + 1):
                    log2, rest = advance(log + (("done" if m[2] else "failed", x + 1),), rest)
                elif kind == "undone" and req == ("undo", x + 1):
                    log2, rest = advance(log + (("undone", x + 1),), rest)
            yield (log2, tuple(led2), broken, tuple(fin2), tuple(sorted(rest, key=repr)), timers)

    return reachable(init, succ)


def test_state_count_matches_an_independent_brute_force():
    states = brute_force_saga()
    assert check(saga_model(), all_settled).states == len(states) == 160
    ends = Counter(log[-1][1] for log, *_ in states if log[-1][0] == "end")
    assert set(ends) == {"done", "compensated"}


def test_pinned_counts_and_properties_under_faults():
    counts = {}
    for key, budget in {"none": {}, "dup": dict(duplicates=1), "crash": dict(crashes=1, recoveries=1),
                        "both": dict(duplicates=1, crashes=1, recoveries=1)}.items():
        results = [check(saga_model(**budget), p) for p in PROPS]
        assert all(r.verdict == "ok" for r in results), [(r.property, r.verdict) for r in results]
        counts[key] = results[0].states
    assert counts == {"none": 160, "dup": 1376, "crash": 2460, "both": 19124}


def test_broken_variants_caught_with_short_counterexamples():
    r = check(saga_model(ForwardCompensation), reverse_order)
    assert r.verdict == "violation" and len(r.path) == 8
    assert check(saga_model(ForwardCompensation), all_settled).verdict == "ok"   # only the order is wrong
    r = check(saga_model(service=NonIdempotentService), at_most_once)
    assert r.verdict == "ok"                                                    # needs a duplicate
    r = check(saga_model(service=NonIdempotentService, duplicates=1), at_most_once)
    assert r.verdict == "violation" and len(r.path) == 8
    assert "duplicate" in [a.kind for a in r.path]
    assert check(saga_model(ForgetfulOrchestrator), all_settled).verdict == "ok"
    r = check(saga_model(ForgetfulOrchestrator, crashes=1, recoveries=1), all_settled)
    assert r.verdict == "violation"


# ------------------------------------------------------------------------------ simulator

@pytest.mark.parametrize("fail_step", [None, 1, 2, 3])
def test_failure_at_step_k_compensates_the_steps_before_it(fail_step):
    trace = run(saga_scenario(fail_step), seed=3)
    assert all(saga_verdicts(trace))
    led = saga_ledgers(trace)
    if fail_step is None:
        assert saga_outcomes(trace) == {"s1": "done"}
        assert all(led[s] == (("s1", "do"),) for s in STEPS)
        return
    assert saga_outcomes(trace) == {"s1": "compensated"}
    undone = [e.node for e in trace.events if e.kind == "observe" and e.data == "effect" and e.value[1] == "undo"]
    assert undone == list(reversed(STEPS[:fail_step - 1]))
    assert led[STEPS[fail_step - 1]] == (("s1", "refuse"),)


def test_random_fault_schedules_500_seeds_no_violation():
    outcomes = Counter()
    for seed in range(500):
        trace = run(random_saga_scenario(seed), seed=seed)
        verdicts = saga_verdicts(trace)
        assert all(verdicts), (seed, verdicts)
        outcomes[saga_outcomes(trace)["s1"]] += 1
    assert outcomes["done"] > 50 and outcomes["compensated"] > 250


@pytest.mark.parametrize("variant,prop", [(dict(orchestrator=ForwardCompensation), "compensations in reverse order"),
                                          (dict(service=NonIdempotentService), "each effect at most once"),
                                          (dict(orchestrator=ForgetfulOrchestrator), "all-done or all-compensated")])
def test_broken_variants_caught_on_random_schedules(variant, prop):
    caught = 0
    for seed in range(300):
        verdicts = saga_verdicts(run(random_saga_scenario(seed, **variant), seed=seed))
        caught += not {v.property: v for v in verdicts}[prop].ok
    assert caught >= 3


def test_dirty_read_and_the_semantic_lock():
    plain = run(dirty_read_scenario(), seed=7)
    assert saga_outcomes(plain) == {"s1": "compensated", "s2": "compensated"}   # s2 told: out of stock
    v = check_isolation(saga_history(plain))
    assert not v.ok and set(v.anomalies) == {"G1a"}
    locked = run(dirty_read_scenario(semantic_lock=True), seed=7)
    assert saga_outcomes(locked) == {"s1": "compensated", "s2": "done"}
    assert check_isolation(saga_history(locked)).ok
    assert all(saga_verdicts(plain)) and all(saga_verdicts(locked))


# ------------------------------------------------------------------------------ choreography

def test_choreography_pinned_counts_and_properties():
    counts = {}
    for key, budget in {"none": {}, "dup": dict(duplicates=1), "crash": dict(crashes=1, recoveries=1)}.items():
        results = [check(choreography_model(**budget), p) for p in PROPS]
        assert all(r.verdict == "ok" for r in results), [(r.property, r.verdict) for r in results]
        counts[key] = results[0].states
    assert counts == {"none": 204, "dup": 1440, "crash": 12064}


def test_fire_and_forget_loses_the_saga_after_one_crash():
    assert check(choreography_model(FireAndForget), all_settled).verdict == "ok"
    r = check(choreography_model(FireAndForget, crashes=1, recoveries=1), all_settled)
    assert r.verdict == "violation" and [a.kind for a in r.path] == ["timer", "crash", "deliver"]


@pytest.mark.parametrize("fail_step", [None, 1, 2, 3])
def test_choreography_compensates_backwards(fail_step):
    trace = run(choreography_scenario(fail_step), seed=3)
    assert all(saga_verdicts(trace))
    assert saga_outcomes(trace) == {"s1": "done" if fail_step is None else "compensated"}
    undone = [e.node for e in trace.events if e.kind == "observe" and e.data == "effect" and e.value[1] == "undo"]
    assert undone == list(reversed(STEPS[:(fail_step or 1) - 1]))


def test_choreography_random_fault_schedules_500_seeds():
    for seed in range(500):
        verdicts = saga_verdicts(run(random_saga_scenario(seed, style="choreography"), seed=seed))
        assert all(verdicts), (seed, verdicts)
    caught = sum(not all(saga_verdicts(run(random_saga_scenario(seed, service=FireAndForget, style="choreography"),
                                           seed=seed))) for seed in range(300))
    assert caught >= 10
    with pytest.raises(ValueError, match="style"):
        random_saga_scenario(0, style="ballet")


def test_benchmark_function_and_tables():
    from dsysedu.protocols.transactions.saga_runs import compensation_table, saga_runs_per_s, variant_table
    assert saga_runs_per_s(8) > 0 and saga_runs_per_s(8, style="choreography") > 0
    with pytest.raises(ValueError, match="style"):
        saga_runs_per_s(1, style="ballet")
    table = compensation_table("choreography", seed=1)
    assert list(table["compensations"]) == ["-", "-", "release", "refund → release"] and table["checks hold"].all()
    v = variant_table(runs=40, seed=0)
    assert v.loc["orchestration"].sum() == 0 and v.loc["ForwardCompensation", "reverse order"] > 0
