"""Availability arithmetic against its simulation, and the cost table of replicas and consistency levels."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.systems.principles import (availability, Component, component_from_nines, components, cost_table,
                                        downtime_minutes_per_year, KOfN, needed, nines, Parallel,
                                        replica_set_measures, replica_set_scenario, Series, simulate)

probabilities = st.floats(0.01, 0.999)


def comp(name, a, mttr=1.0):
    return Component(name, mtbf=mttr * a / (1 - a), mttr=mttr)


@given(st.lists(probabilities, min_size=1, max_size=6))
def test_series_below_weakest_parallel_above_strongest(avail):
    parts = [comp(f"c{i}", a) for i, a in enumerate(avail)]
    assert availability(Series(parts)) <= min(avail) + 1e-12
    assert availability(Parallel(parts)) >= max(avail) - 1e-12
    assert math.isclose(availability(KOfN(1, parts)), availability(Parallel(parts)), abs_tol=1e-12)
    assert math.isclose(availability(KOfN(len(parts), parts)), availability(Series(parts)), abs_tol=1e-12)


@given(st.lists(probabilities, min_size=2, max_size=7))
def test_k_of_n_falls_as_k_grows(avail):
    parts = [comp(f"c{i}", a) for i, a in enumerate(avail)]
    values = [availability(KOfN(k, parts)) for k in range(1, len(parts) + 1)]
    assert all(a >= b - 1e-12 for a, b in zip(values, values[1:]))


def test_k_of_n_of_equal_parts_is_the_binomial_tail():
    parts = [comp(f"r{i}", 0.9) for i in range(5)]
    binomial = sum(math.comb(5, j) * 0.9 ** j * 0.1 ** (5 - j) for j in range(3, 6))
    assert math.isclose(availability(KOfN(3, parts)), binomial, rel_tol=1e-12)


SYSTEMS = {
    "series": Series([Component("lb", 199.0, 1.0), Component("app", 49.0, 1.0), Component("db", 99.0, 2.0)]),
    "parallel": Parallel([Component("a", 9.0, 1.0), Component("b", 4.0, 1.0)]),
    "2 of 3": KOfN(2, [Component(f"r{i}", 9.0, 1.0) for i in range(3)]),
    "nested": Series([Parallel([Component("w1", 19.0, 1.0), Component("w2", 19.0, 1.0)]),
                      KOfN(2, [Component(f"d{i}", 9.0, 1.0) for i in range(3)])]),
}


@pytest.mark.parametrize("name", SYSTEMS)
def test_formula_inside_the_simulations_confidence_interval(name):
    system = SYSTEMS[name]
    sim = simulate(system, horizon=5000.0, replications=30, seed=7)
    assert sim.covers(availability(system)), (name, availability(system), sim)
    assert sim.high - sim.low < 0.01        # and the interval is narrow enough to mean something


def test_interval_covers_about_as_often_as_it_says():
    system = SYSTEMS["nested"]
    truth = availability(system)
    covered = sum(simulate(system, horizon=1000.0, replications=10, seed=seed).covers(truth) for seed in range(60))
    assert 50 <= covered <= 60          # 95 % nominal: 57 expected; P(covered < 50) is below 0.2 %


def test_a_wrong_formula_is_caught():
    # what "independent parallel" would say if the two halves of a pair were one shared part
    pair = Parallel([Component("a", 9.0, 1.0), Component("b", 9.0, 1.0)])
    sim = simulate(pair, horizon=5000.0, replications=30, seed=3)
    assert not sim.covers(0.9) and sim.covers(0.99)


def test_simulation_is_seeded():
    system = SYSTEMS["2 of 3"]
    assert simulate(system, 500.0, 5, seed=1) == simulate(system, 500.0, 5, seed=1)
    assert simulate(system, 500.0, 5, seed=1) != simulate(system, 500.0, 5, seed=2)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="mtbf"):
        Component("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="at least one part"):
        Series([])
    with pytest.raises(ValueError, match="KOfN.k"):
        KOfN(3, [Component("a", 1.0, 1.0)])
    with pytest.raises(TypeError, match="Component, Series"):
        Parallel([0.9])
    with pytest.raises(ValueError, match="unique"):
        components(Parallel([Component("a", 1.0, 1.0), Component("a", 1.0, 1.0)]))
    with pytest.raises(ValueError, match="replications"):
        simulate(SYSTEMS["series"], replications=1)
    with pytest.raises(ValueError, match="consistency must be one of"):
        needed("TWO", 3)


def test_nines_and_downtime():
    assert nines(0.99) == pytest.approx(2.0) and nines(1.0) == math.inf
    assert downtime_minutes_per_year(0.9999) == pytest.approx(52.596)
    assert component_from_nines("r", 3.0).availability == pytest.approx(0.999)


def test_cost_table_levels():
    t = cost_table(replicas=[3, 5], replica_nines=2.0, cost_per_replica=10.0).set_index(["replicas", "consistency"])
    # more replicas: ONE and QUORUM gain nines, ALL loses them, and the bill grows in proportion
    assert t.loc[(5, "ONE"), "nines"] > t.loc[(3, "ONE"), "nines"] > t.loc[(3, "QUORUM"), "nines"]
    assert t.loc[(5, "QUORUM"), "nines"] > t.loc[(3, "QUORUM"), "nines"]
    assert t.loc[(5, "ALL"), "nines"] < t.loc[(3, "ALL"), "nines"] < 2.0
    assert t.loc[(5, "ONE"), "monthly_cost"] == 50.0


@pytest.mark.parametrize("level", ["ONE", "QUORUM", "ALL"])
def test_replica_set_in_the_simulator_matches_the_formula(level):
    trace = run(replica_set_scenario(3, level, replica_nines=1.0, cycles=400, seed=5), seed=5)
    m = replica_set_measures(trace)
    assert m["ci_low"] <= m["formula"] <= m["ci_high"], m
    assert m["needed"] == needed(level, 3) and m["monthly_cost"] == 300.0


def test_replica_set_scenario_is_seeded_and_refuses_bad_values():
    a = replica_set_scenario(3, seed=1).faults
    assert a == replica_set_scenario(3, seed=1).faults != replica_set_scenario(3, seed=2).faults
    with pytest.raises(ValueError, match="replicas"):
        replica_set_scenario(10)
    with pytest.raises(ValueError, match="replica_nines"):
        replica_set_scenario(3, replica_nines=6.0)
