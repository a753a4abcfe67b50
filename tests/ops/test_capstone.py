"""The capstone shop: one seeded run through every layer, its hypotheses, and each layer's view."""
import json
from pathlib import Path

import pytest

from dsysedu import run
from dsysedu.ops import capstone as cs
from dsysedu.protocols.consensus.raft.properties import leaders


@pytest.fixture(scope="module")
def shop():
    return run(cs.capstone_scenario(), seed=7)


def test_every_layer_takes_part(shop):
    obs = shop.observations()
    keys = set(obs.key)
    assert {"span_start", "route", "breaker", "accepted", "backlog", "saga", "recorded", "leader", "proposal",
            "decision", "replicas"} <= keys
    assert len(leaders(cs.subtrace(shop, cs.KV))) == 2          # the chaos crashed the first leader: a second term


def test_hypotheses_hold_under_the_chaos(shop):
    verdicts = cs.hypotheses(shop)
    assert all(v.ok for v in verdicts.values()), {k: v.message[:80] for k, v in verdicts.items() if not v.ok}
    assert set(verdicts) >= {"checkouts", "every order recorded", "raft safety", "scaling approved"}


@pytest.mark.parametrize("seed", range(6))
def test_hypotheses_hold_on_other_seeds_and_the_run_is_deterministic(seed):
    a = run(cs.capstone_scenario(duration=6.0), seed=seed)
    assert all(v.ok for v in cs.hypotheses(a).values())
    assert repr(a.rows) == repr(run(cs.capstone_scenario(duration=6.0), seed=seed).rows)


def test_a_retried_checkout_is_one_order(shop):
    accepted = [e.value for e in shop.events if e.kind == "observe" and e.data == "accepted"]
    assert len(accepted) == len(set(accepted))
    from dsysedu.systems.messaging.queue import Publish
    publishes = {e.data.mid for e in shop.events if e.kind == "deliver" and isinstance(e.data, Publish)}
    assert len(publishes) == len(accepted)


def test_breaker_opens_during_the_gray_failure_and_alerts_fire(shop):
    breaker = shop.observations("breaker")
    opened = breaker[breaker.value.map(lambda v: v == ("web1", "open"))].time
    assert len(opened) and (opened.between(3.0, 7.5)).all()
    alerts = cs.latency_alerts(shop)
    assert len(alerts) and alerts.fired.between(3.0, 9.0).all() and (alerts.resolved > alerts.fired).all()
    calm = run(cs.capstone_scenario(chaos=False), seed=7)
    assert cs.latency_alerts(calm).empty and calm.observations("breaker").empty


def test_the_hypotheses_can_fail():
    # no retries and breakers that never open: the gray failure reaches the customers
    broken = run(cs.capstone_scenario(resilient=False), seed=7)
    verdicts = cs.hypotheses(broken)
    assert not verdicts["checkouts"].ok and verdicts["raft safety"].ok
    assert broken.observations("breaker").empty


def test_the_autoscaler_proposes_and_only_a_person_scales(shop):
    ai = cs.layer_views(shop)["AI and humans"]
    assert ai["replicas"] == [2, 3] and len(ai["proposed"]) == 1 and len(ai["approved"]) == 1
    assert 3.0 < ai["proposed"][0] < ai["approved"][0] <= ai["time"][1]        # during the gray failure
    from dsysedu.ops.humans import SimulatedHuman
    careful = SimulatedHuman("careful", median=1.0, error_rate=1.0, absent=0.0)   # rejects what it should approve
    refused = run(cs.capstone_scenario(human=careful), seed=7)
    views = cs.layer_views(refused)["AI and humans"]
    assert views["replicas"] == [2] and len(views["rejected"]) == 1
    assert cs.hypotheses(refused)["scaling approved"].ok


def test_unapproved_scaling_is_caught():
    from dsysedu.sim import Trace
    rows = [(0.0, "observe", "gateway", None, None, "replicas", 2), (1.0, "observe", "gateway", None, None, "replicas", 3)]
    assert not cs.hypotheses.__globals__["_approved_scaling"](Trace(["gateway"], rows)).ok


def test_layer_views_and_formal_checks(shop):
    views = cs.layer_views(shop)
    assert list(views["algorithms"].node)[0] == "kv0" and len(views["algorithms"]) == 2
    assert views["engineering"]["calls"].sum().sum() >= len(shop.observations("accepted"))
    assert views["patterns"]["compensated"].sum() > 0
    formal = cs.formal_checks()
    assert (formal.verdict == "ok").all() and len(formal) == 4


def test_the_chaos_experiment_runs_with_chaos_toolkit_and_every_hypothesis_holds():
    from dsysedu.ops.chaos_journal import read_journal
    lab, journal = cs.run_capstone_experiment(seed=7)
    j = read_journal(journal)
    assert j.status == "completed" and not j.deviated and j.blast_radius == ("web1", "kv0")
    assert [r.output["at"] for r in j.run if r.func == "inject_fault"] == [3.0, 7.5]
    assert all(v.ok for v in cs.hypotheses(lab.trace).values())
    views = cs.layer_views(lab.trace)
    assert views["operations"]["slow"] == [(3.0, 7.0)] and views["operations"]["crashes"]["kv0"] == [(7.5, 10.5)]
    assert lab.trace.end_time == pytest.approx(16.0)


def test_the_experiment_stays_inside_its_blast_radius():
    from dsysedu.ops.chaos_journal import check_experiment
    bad = cs.capstone_experiment()
    bad["method"][0]["provider"]["arguments"]["service"] = "orders"
    with pytest.raises(ValueError, match="outside the declared blast radius"):
        check_experiment(bad, cs.CHAOS_TARGETS)
    with pytest.raises(ValueError, match="blast radius names"):
        check_experiment(cs.capstone_experiment())          # the course's lab has no web1


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="rate"):
        cs.capstone_scenario(rate=0)
    with pytest.raises(ValueError, match="decline_every"):
        cs.capstone_scenario(decline_every=-1)
