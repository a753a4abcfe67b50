"""Boundary: histories (``Operation``, ``History``, the linearizability checker).

A time that is not a finite number, or an ``ok`` operation that never completes, is a
clear error naming the operation and the field, before any checker sees it.
"""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsysedu.check import History, Operation, check_linearizable
from limits import FUZZ, attempt

B = "histories"
bad_times = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.text(max_size=3), st.booleans(),
                      st.lists(st.integers(), max_size=1), st.just(1j))


@FUZZ
@given(field=st.sampled_from(["invoke", "complete"]), value=bad_times, status=st.sampled_from(["ok", "fail", "info"]))
def test_bad_times_name_the_operation_and_field(field, value, status):
    if field == "complete" and value == math.inf and status != "ok":
        return  # an operation whose outcome is unknown may say it never completed
    if field == "invoke" and value is None:
        return
    kw = {"invoke": 0.0, "complete": 1.0, field: value}
    attempt(B, lambda: Operation(4, "c", "read", invoke=kw["invoke"], complete=kw["complete"], status=status),
            match=rf"operation 4: ({field}|complete=inf)")


@FUZZ
@given(invoke=st.floats(0, 10), back=st.floats(1e-6, 10))
def test_completion_before_invocation(invoke, back):
    attempt(B, lambda: Operation(1, "c", "write", value=1, invoke=invoke, complete=invoke - back),
            match="before it is invoked")


def test_a_nan_invoke_made_a_stale_read_linearizable():
    """Before: with invoke=nan every comparison was false and the stale read passed."""
    write = Operation(0, "a", "write", value=1, invoke=0.0, complete=1.0)
    with pytest.raises(ValueError, match="operation 1: invoke must be a finite number, got nan"):
        Operation(1, "b", "read", result=0, invoke=math.nan, complete=3.0)
    stale = Operation(1, "b", "read", result=0, invoke=2.0, complete=3.0)
    assert not check_linearizable(History([write, stale])).ok


def test_ok_with_infinite_completion_is_refused():
    with pytest.raises(ValueError, match="complete=inf with status 'ok'"):
        Operation(0, "a", "write", value=1, invoke=0.0, complete=math.inf)
    assert Operation(0, "a", "write", value=1, invoke=0.0, complete=math.inf, status="info").pending


@FUZZ
@given(items=st.lists(st.one_of(st.integers(), st.text(max_size=2), st.none(), st.just({"id": 1})), min_size=1,
                      max_size=3))
def test_history_holds_operations_only(items):
    attempt(B, lambda: History(items), errors=(TypeError,))
