"""Chapter 8.3: gates, releases with automated rollback, and the measurement over seeded releases."""
from pathlib import Path

import pytest

from dsysedu.ops.cluster import Cluster
from dsysedu.ops.delivery import (Candidate, GATES, candidates, price, release, release_experiment, release_summary,
                                  run_pipeline)
from dsysedu.ops.infra import apply, load_desired
from dsysedu.protocols.transactions.twopc import MajorityCoordinator

DATA = Path(__file__).resolve().parents[2] / "data" / "cluster.toml"


def cluster():
    c = Cluster()
    apply(load_desired(DATA), c)
    return c


def test_each_gate_stops_its_own_defect_and_only_it():
    assert [g.passed for g in run_pipeline(Candidate("2.0"))] == [True, True, True]
    defects = {"unit": dict(price=lambda q, u: q * u), "contract": dict(answer_fields=("call",)),
               "model check": dict(coordinator=MajorityCoordinator)}
    for gate, change in defects.items():
        results = run_pipeline(Candidate("2.0", **change))
        assert results[-1].gate == gate and not results[-1].passed
        assert all(r.passed for r in results[:-1]) and len(results) == [g.name for g in GATES].index(gate) + 1
    assert price(10, 100) == 900 and price(9, 100) == 900


def test_canary_rolls_back_a_slow_version_and_promotes_a_good_one():
    c = cluster()
    bad = release(c, Candidate("2.0", work=0.02), "canary", seed=1)
    assert not bad.promoted and not bad.judgement.metrics[0].passed
    assert set(bad.cluster.services()["orders"]) == {"1.4.0"} and c.services()["orders"] == ("1.4.0",) * 3
    good = release(c, Candidate("2.0"), "canary", seed=1)
    assert good.promoted and good.cluster.services()["orders"] == ("2.0",) * 3 and good.user_errors == 0


def test_blue_green_exposes_every_user_while_canary_exposes_a_share():
    c = cluster()
    failing = Candidate("2.0", error_rate=0.3)
    canary, blue_green = (release(c, failing, s, seed=2) for s in ("canary", "blue-green"))
    assert not canary.promoted and not blue_green.promoted
    assert 0 < canary.user_errors < blue_green.user_errors


def test_all_at_once_never_rolls_back():
    out = release(cluster(), Candidate("2.0", error_rate=0.3), "all-at-once", seed=3)
    assert out.promoted and out.judgement is None and out.user_errors > 0.2 * out.requests


def test_the_experiment_counts_what_it_should():
    c = cluster()
    cands = candidates(8, seed=5, bad_share=0.5)
    table = release_experiment(c, cands, ("canary", "all-at-once"), seed=5)
    assert len(table) == 16
    summary = release_summary(table)
    bad = sum(bool(x.defect) for x in cands)
    for s in ("canary", "all-at-once"):
        row = summary.loc[s]
        assert row["bad"] == bad and row["caught_by_gates"] + row["caught_by_judge"] + row["missed"] == bad
    assert summary.loc["all-at-once", "caught_by_judge"] == 0 == summary.loc["all-at-once", "false_rollbacks"]
    assert summary.loc["canary", "user_errors"] <= summary.loc["all-at-once", "user_errors"]
    # the same seed gives the same table
    assert release_experiment(c, cands, ("canary",), seed=5).equals(table[table["strategy"] == "canary"]
                                                                     .reset_index(drop=True))


def test_candidates_are_seeded():
    a, b = candidates(10, seed=4), candidates(10, seed=4)
    assert [(x.version, x.defect, x.work) for x in a] == [(x.version, x.defect, x.work) for x in b]
    assert all(x.defect == "" for x in candidates(10, seed=4, bad_share=0.0))


def test_bad_arguments():
    with pytest.raises(ValueError):
        release(cluster(), Candidate("2.0"), "yolo")
    with pytest.raises(ValueError):
        release(Cluster({"gateway-0": "1"}), Candidate("2.0"))
    with pytest.raises(ValueError):
        release(cluster(), Candidate("2.0"), share=0.5)
    with pytest.raises(TypeError):
        run_pipeline("2.0")
    with pytest.raises(ValueError):
        candidates(0)
