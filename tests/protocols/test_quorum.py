"""Quorum replication: R + W > N reads always see the acknowledged write (hypothesis over N, R, W and
delay distributions), partial quorums are stale at first and catch up, repair helps, the simulator
agrees with the Monte-Carlo, and bad N/R/W values are refused."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.protocols.replication.quorum import (WARS, QuorumClient, consistency_probability, quorum_scenario,
                                      read_results, sample_delays, staleness_sweep, strict_quorum)
from dsysedu.sim.network import Constant, Exponential, Latency, LogNormal, Uniform

TIMES = np.linspace(0.0, 0.08, 17)

latencies = st.one_of(
    st.builds(Exponential, st.floats(0.0005, 0.05), st.floats(0.0, 0.01)),
    st.builds(LogNormal, st.floats(0.0005, 0.05), st.floats(0.0, 2.0)),
    st.builds(lambda a, b: Uniform(min(a, b), max(a, b)), st.floats(0.0, 0.05), st.floats(0.0, 0.05)),
    st.builds(Constant, st.floats(0.0, 0.05)),
)
wars = st.builds(WARS, latencies, latencies, latencies, latencies)


@st.composite
def quorums(draw, strict):
    n = draw(st.integers(1, 7))
    pairs = [(r, w) for r in range(1, n + 1) for w in range(1, n + 1) if (r + w > n) == strict]
    if not pairs:
        n = draw(st.integers(2, 7))
        pairs = [(r, w) for r in range(1, n + 1) for w in range(1, n + 1) if (r + w > n) == strict]
    r, w = draw(st.sampled_from(pairs))
    return n, r, w


@settings(max_examples=60, deadline=None)
@given(q=quorums(strict=True), delays=wars, seed=st.integers(0, 2**32), rr=st.sampled_from([0.0, 50.0]))
def test_strict_quorums_always_read_the_acknowledged_write(q, delays, seed, rr):
    n, r, w = q
    p = consistency_probability(n, r, w, [0.0, 0.01], delays=delays, read_repair_rate=rr, trials=500, seed=seed)
    assert (p == 1.0).all()


@settings(max_examples=30, deadline=None)
@given(q=quorums(strict=False), seed=st.integers(0, 2**32))
def test_partial_quorums_are_stale_at_first_and_catch_up(q, seed):
    n, r, w = q
    p = consistency_probability(n, r, w, [0.0, 0.01, 0.05, 2.0], trials=4000, seed=seed)
    assert p[0] < 1.0                        # the read quorum can miss every replica the write reached
    assert np.all(np.diff(p) >= 0)           # the same trials at later times: never worse
    assert p[-1] > 0.999                     # 2 s is 200 median lags: P(lag > 2 s) is about 1e-7
    assert p[0] > 0.0


def test_staleness_grows_with_fewer_replicas_in_either_quorum():
    df = staleness_sweep(5, [(1, 1), (1, 2), (2, 2), (2, 3), (2, 4), (3, 3)], TIMES, seed=3)
    at0 = df[df.time == 0].set_index(["r", "w"]).p_consistent
    assert at0[(1, 1)] < at0[(1, 2)] < at0[(2, 2)] < at0[(2, 3)] < 1.0      # R + W = N is still partial
    assert at0[(2, 4)] == at0[(3, 3)] == 1.0
    assert set(df.columns) == {"n", "r", "w", "strict", "time", "p_consistent"}


def test_read_repair_and_anti_entropy_raise_the_curve():
    plain = consistency_probability(3, 1, 1, TIMES, seed=11)
    repaired = consistency_probability(3, 1, 1, TIMES, read_repair_rate=200.0, seed=11)
    synced = consistency_probability(3, 1, 1, TIMES, anti_entropy=0.005, seed=11)
    # 20,000 trials: the standard error is below 0.004, so a 0.02 margin is not noise
    assert repaired[1:].mean() > plain[1:].mean() + 0.02
    assert synced[1:].mean() > plain[1:].mean() + 0.02
    assert abs(repaired[0] - plain[0]) < 0.02   # repair needs time: nothing changes at t = 0


def test_same_seed_same_numbers():
    a = consistency_probability(4, 2, 1, TIMES, read_repair_rate=30.0, seed=5)
    assert np.array_equal(a, consistency_probability(4, 2, 1, TIMES, read_repair_rate=30.0, seed=5))


@pytest.mark.parametrize("n,r,w", [(3, 0, 1), (3, 1, 0), (3, 4, 1), (3, 1, 4), (0, 1, 1), (3, -1, 2)])
def test_r_or_w_outside_one_to_n_is_refused(n, r, w):
    with pytest.raises(ValueError, match=r"[NRW] must be an int"):
        consistency_probability(n, r, w, [0.0])
    with pytest.raises(ValueError):
        strict_quorum(n, r, w)
    with pytest.raises(ValueError):
        quorum_scenario(n, r, w)


def test_other_bad_input():
    with pytest.raises(TypeError, match="R must be an int"):
        strict_quorum(3, 1.5, 2)
    with pytest.raises(ValueError, match="times"):
        consistency_probability(3, 1, 1, [-1.0])
    with pytest.raises(ValueError, match="read_repair_rate"):
        consistency_probability(3, 1, 1, [0.0], read_repair_rate=-1)
    with pytest.raises(TypeError, match="WARS"):
        consistency_probability(3, 1, 1, [0.0], delays=0.01)


def test_strict_quorum_is_quorum_intersection():
    for n in range(1, 7):
        for r, w in itertools.product(range(1, n + 1), repeat=2):
            meet = all(set(a) & set(b) for a in itertools.combinations(range(n), r)
                       for b in itertools.combinations(range(n), w))
            assert strict_quorum(n, r, w) == meet


def test_vector_sampling_matches_the_simulator_means():
    rng = np.random.default_rng(2)
    for lat in (Constant(0.01), Uniform(0.01, 0.03), Exponential(0.01, 0.002), LogNormal(0.01, 0.5)):
        assert abs(sample_delays(lat, rng, 50_000).mean() - lat.mean) < 0.03 * lat.mean


# -- in the simulator ----------------------------------------------------------

class _Sum(Latency):
    """The sum of two latencies (a write's lag counts from the coordinator: link + apply lag)."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def sample(self, rnd):
        return self.a.sample(rnd) + self.b.sample(rnd)


def test_simulator_strict_reads_are_never_stale_and_partial_ones_sometimes_are():
    for seed in range(5):
        strict = read_results(quorum_scenario(3, 2, 2, writes=15).run(seed=seed))
        assert len(strict) == 15 * 5 and strict.consistent.all()
    stale = sum((~read_results(quorum_scenario(3, 1, 1, writes=15).run(seed=s)).consistent).sum() for s in range(5))
    assert stale > 0


def test_simulator_agrees_with_the_monte_carlo():
    link, lag = Uniform(0.0005, 0.0015), LogNormal(0.01, 1.0)
    delays = (0.0, 0.005, 0.01, 0.02, 0.05)
    runs = [read_results(quorum_scenario(3, 1, 1, lag=lag, latency=link, writes=40, read_delays=delays).run(seed=s))
            for s in range(8)]
    df = np.concatenate([r[["since_ack", "consistent"]].to_numpy() for r in runs])
    measured = [df[np.isclose(df[:, 0].astype(float), d), 1].astype(float).mean() for d in delays]
    model = consistency_probability(3, 1, 1, delays, delays=WARS(_Sum(link, lag), link, link, link), seed=1)
    # 320 reads per delay: the standard error is at most 0.028; allow about three of them
    assert np.max(np.abs(np.array(measured) - model)) < 0.09, (measured, model)


def test_simulator_read_repair_makes_later_reads_fresher():
    def fresh(rr):
        return np.mean([read_results(quorum_scenario(3, 1, 1, writes=30, read_repair=rr).run(seed=s)).consistent.mean()
                        for s in range(4)])
    assert fresh(True) > fresh(False) + 0.05


def test_client_validates_its_quorum():
    with pytest.raises(ValueError, match="W must be"):
        QuorumClient(9, (), replicas=(0, 1), r=1, w=3)


def test_simulator_runs_are_deterministic_per_seed():
    sc = quorum_scenario(5, 2, 2, writes=6, read_repair=True)
    assert sc.run(seed=4) == sc.run(seed=4)
    assert read_results(sc.run(seed=4)).equals(read_results(sc.run(seed=4)))


def test_fresh_share_pools_the_reads_of_every_seed():
    import pandas as pd

    from dsysedu import run
    from dsysedu.protocols.replication.quorum import fresh_share, quorum_scenario, read_results
    share = fresh_share(3, 1, 1, seeds=range(3), writes=10)
    pooled = pd.concat([read_results(run(quorum_scenario(3, 1, 1, writes=10), seed=seed)) for seed in range(3)])
    assert list(share.index) == [0.0, 0.005, 0.01, 0.02, 0.05]
    assert share.iloc[0] == pytest.approx(pooled[pooled.since_ack.round(3) == 0.0].consistent.mean())
    assert (fresh_share(3, 2, 2, seeds=range(2), writes=10) == 1.0).all()
    with pytest.raises(ValueError, match="at least one seed"):
        fresh_share(3, 1, 1, seeds=[])
