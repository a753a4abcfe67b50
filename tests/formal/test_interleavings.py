"""Interleavings: enumeration matches the multinomial, program order is kept, outcomes are right."""
from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import assume, given, settings, strategies as st

from dsysedu.formal.interleavings import (count_interleavings, execute, growth_table, increment, interleavings,
                                          outcome_table, outcomes)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=4))
def test_enumeration_matches_the_multinomial(lengths):
    assume(count_interleavings(*lengths) <= 3000)   # keep each example small; big ones: the formula alone
    procs = [[f"p{i}s{j}" for j in range(n)] for i, n in enumerate(lengths)]
    runs = list(interleavings(procs))
    assert len(runs) == count_interleavings(*lengths)
    assert len(set(runs)) == len(runs)                                   # no interleaving twice
    for r in runs:                                                       # program order kept, nothing lost
        for i, p in enumerate(procs):
            assert [s for j, s in r if j == i] == p


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30))
def test_two_processes_give_a_binomial(a, b):
    assert count_interleavings(a, b) == math.comb(a + b, a)


def test_three_plus_three_is_twenty():
    assert count_interleavings(3, 3) == 20 == len(list(interleavings(["abc", "xyz"])))


def test_two_increments_lose_an_update_in_all_but_two_orders():
    c = outcomes([increment(), increment()], {"x": 0})
    assert c == Counter({1: 18, 2: 2})
    table = outcome_table([increment(), increment()], {"x": 0})
    assert set(table.loc[table.outcome == 2, "order"]) == {"A1 A2 A3 B1 B2 B3", "B1 B2 B3 A1 A2 A3"}


def test_three_increments():
    # x ends at 3 only if the three run one after another (3! of the 9!/(3!)^3 orders)
    c = outcomes([increment(), increment(), increment()], {"x": 0})
    assert sum(c.values()) == 1680 and c[3] == 6 and set(c) == {1, 2, 3}


def test_set_instructions_race_to_the_last_writer():
    c = outcomes([[("set", "x", 1)], [("set", "x", 2)]], {"x": 0})
    assert c == Counter({1: 1, 2: 1})


def test_execute_keeps_registers_per_process():
    p = increment()
    assert execute([(0, p[0]), (0, p[1]), (0, p[2]), (1, p[0]), (1, p[1]), (1, p[2])], {"x": 5}) == {"x": 7}


def test_growth_table_is_monotone_and_exact():
    df = growth_table(8)
    assert list(df.interleavings) == [math.comb(2 * n, n) for n in range(1, 9)]
    assert df.interleavings.is_monotonic_increasing


def test_bad_input():
    with pytest.raises(ValueError, match="limit"):
        list(interleavings([range(10), range(10)], limit=1000))
    with pytest.raises(ValueError, match="op one of"):
        execute([(0, ("mul", "x", 2))], {"x": 1})
    with pytest.raises(ValueError, match="shared variable"):
        outcomes([increment()], {"y": 0})
    with pytest.raises(ValueError, match=">= 0"):
        count_interleavings(2, -1)
    with pytest.raises(ValueError, match="at least one"):
        count_interleavings()
    with pytest.raises(TypeError, match="list of step sequences"):
        list(interleavings(5))
    with pytest.raises(ValueError, match="one label per process"):
        outcome_table([increment()], {"x": 0}, names=["A", "B"])
