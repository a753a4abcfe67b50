"""Chapter 8.4: options measured by running them, filtered by requirements, the Pareto front."""
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.ops.selection import OPTIONS, Option, measure_options, pareto_front, select


@pytest.fixture(scope="module")
def table():
    return measure_options(OPTIONS, seeds=range(2))


def test_the_measured_table_shows_cap(table):
    cp, ap = table[table["mode"] == "CP"], table[table["mode"] == "AP"]
    assert (cp["linearizable"] == 1.0).all() and (cp["stale_reads"] == 0).all()
    assert (ap["availability"] == 1.0).all() and (cp["availability"] < 1.0).all()
    assert (ap["linearizable"] < 1.0).all()
    # nothing is both linearizable and always answering under a partition
    assert select(table, linearizable=(1.0, None), availability=(1.0, None)).empty


def test_more_replicas_buy_crash_tolerance_at_a_price(table):
    three, five = table.loc["ABD 3"], table.loc["ABD 5"]
    assert three["crash_availability"] == 0.0 < five["crash_availability"]     # 2 of 3 crashed: no majority
    assert five["messages_per_op"] > three["messages_per_op"]
    assert table.loc["LWW eager 3", "latency_ms"] < three["latency_ms"]


def test_select_and_front_on_the_table(table):
    chosen = select(table, linearizable=(1.0, None), crash_availability=(0.5, None))
    assert set(chosen.index) == {"ABD 5", "ABD 7"}
    front = pareto_front(chosen[["crash_availability", "messages_per_op"]].assign(
        crash_availability=lambda d: d["crash_availability"].round(1)))
    assert list(front[front].index) == ["ABD 5"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12))
def test_the_front_is_exactly_the_undominated_points(points):
    t = pd.DataFrame(points, columns=["a", "b"], index=[f"o{i}" for i in range(len(points))])
    front = pareto_front(t, {"a": 1, "b": -1})
    for i, (a, b) in enumerate(points):
        dominated = any(a2 >= a and b2 <= b and (a2, b2) != (a, b) for a2, b2 in points)
        assert front.iloc[i] == (not dominated)
    assert front.any()


def test_bad_input():
    t = pd.DataFrame({"a": [1.0]})
    with pytest.raises(ValueError):
        select(t, nope=(0, 1))
    with pytest.raises(TypeError):
        select(t, a=0.5)
    with pytest.raises(ValueError):
        pareto_front(t, {"zzz": 1})
    with pytest.raises(ValueError):
        pareto_front(t, {"a": 2})
    with pytest.raises(TypeError):
        measure_options(["ABD"], seeds=[0])
    with pytest.raises(ValueError):
        measure_options([Option("x", "CP", 3)], seeds=[])
