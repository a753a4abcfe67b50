"""The chapters' sweep helpers return the tables the notebooks read (small settings here)."""
import math

import tenacity

from dsysedu.systems import discovery, resilience


def test_policy_and_hedging_tables():
    t = discovery.policy_table(seed=1, layouts=("client", "proxy"), policies=("random", "peak_ewma"), until=4.0)
    assert list(t.index) == ["random", "peak_ewma"] and t.shape == (2, 6)
    h = discovery.hedging_table((None, 0.02), seed=1, until=4.0)
    assert h.loc["never", "extra load (%)"] == 0.0 and h.loc["20 ms", "extra load (%)"] > 0
    assert math.isnan(h.loc["never", "hedge after (ms)"])


def test_stale_window_and_timeout_tables():
    w = discovery.stale_window_table(ttls=(2.0,), seeds=range(2))
    assert set(w.client) == {"poll", "watch"} and len(w) == 4
    t = discovery.timeout_table({"none": (60.0, 0), "short": (0.5, 0)}, seed=1, until=6.0)
    assert t.loc["none", "unfinished"] > t.loc["short", "unfinished"] and t.loc["short", "p99.9 (ms)"] <= 500


def test_contention_goodput_and_availability_tables():
    c = resilience.contention_table(clients=(5,), policies=("full", ("tenacity", tenacity.wait_random_exponential(
        multiplier=0.01, max=1.0))), seeds=range(2))
    assert list(c.backoff.unique()) == ["full", "tenacity"] and (c.calls >= 5).all()
    assert (c[c.backoff == "full"].calls.to_numpy() == c[c.backoff == "tenacity"].calls.to_numpy()).all()
    g = resilience.goodput_curve(rates=(50, 150), seeds=range(1), until=8.0)
    assert set(g.shedding) == {"shedding", "no shedding"} and len(g) == 4
    a = resilience.availability_table(ns=(2,), ks=(1, 2, 3), seeds=range(1), until=500.0)
    assert list(a.needed) == [1, 2] and (abs(a.simulated - a.formula) < 0.05).all()
