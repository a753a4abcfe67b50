"""Boundary: the model checker.

A predicate that returns no verdict, a node field that cannot be hashed, and bad budgets
are clear errors naming the property, the field or the budget.
"""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsysedu.check.model_checker import Model, check, eventually, invariant, reachable
from dsysedu.protocols.basics.toys import Flood
from dsysedu.sim import Node
from limits import FUZZ, attempt

B = "model checker"


@FUZZ
@given(kind=st.sampled_from([invariant, reachable, eventually]), name=st.text(min_size=1, max_size=8))
def test_a_predicate_without_return_is_a_type_error_naming_the_property(kind, name):
    prop = kind(name, lambda s: None)
    exc = attempt(B, lambda: check(Model(Flood, nodes=2), prop), errors=(TypeError,), match="returned None")
    assert repr(name) in str(exc)


def test_forgotten_return_used_to_be_a_violation_after_0_actions():
    def mutual_exclusion(s):
        sum(1 for n in s.nodes if s[n].informed) <= 3   # no return: None
    with pytest.raises(TypeError, match="property 'excl' returned None"):
        check(Model(Flood, nodes=3), invariant("excl", mutual_exclusion))


class Unhashable:
    __hash__ = None


class Holder(Node):
    def __init__(self, node_id, peers=(), value=None):
        super().__init__(node_id, peers)
        self.box = 0
        self.value = value

    def on_start(self, ctx):
        self.box = self.value


@FUZZ
@given(value=st.sampled_from([Unhashable(), bytearray(b"x"), slice(1, 2)]))
def test_an_unhashable_field_is_named(value):
    model = Model(Holder, nodes=2, params={"value": value})
    exc = attempt(B, lambda: check(model, invariant("t", lambda s: True)), errors=(TypeError,), match="field 'box'")
    assert "node 0" in str(exc)


@FUZZ
@given(budget=st.sampled_from(["drops", "duplicates", "crashes", "recoveries"]),
       value=st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2), st.none()))
def test_bad_budgets_name_their_budget(budget, value):
    if value is None:
        value = "none"
    attempt(B, lambda: Model(Flood, nodes=2, **{budget: value}), match=budget)


@FUZZ
@given(scenario=st.one_of(st.integers(), st.text(max_size=3), st.none(), st.just(object)))
def test_model_of_something_that_is_not_a_protocol(scenario):
    attempt(B, lambda: Model(scenario), errors=(TypeError,), match="Scenario or a Node subclass")
