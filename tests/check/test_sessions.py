"""Session guarantees: monotonic reads and read-your-writes, on hand-made and generated histories."""
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.check import check_linearizable, check_monotonic_reads, check_read_your_writes, check_sessions
from dsysedu.check.consistency import linearizable_kv_history
from dsysedu.check.history import History, Operation
from dsysedu.protocols.replication import cap


def op(i, client, kind, value=None, invoke=0.0, complete=None, result=None, status="ok", key="x"):
    return Operation(i, client, kind, key, value, invoke=invoke, complete=invoke + 0.5 if complete is None else complete,
                     result=result, status=status)


def test_reading_an_older_value_after_a_newer_one_breaks_monotonic_reads():
    h = History([op(0, "A", "write", 1, invoke=0.0), op(1, "A", "write", 2, invoke=1.0),
                 op(2, "B", "read", invoke=2.0, result=2), op(3, "B", "read", invoke=3.0, result=1)])
    v = check_monotonic_reads(h)
    assert not v and v.window == (2, 3, 0) and v.culprit == 3 and v.violations == 1
    assert check_read_your_writes(h)          # B wrote nothing


def test_reading_back_the_initial_value_after_ones_own_write_breaks_read_your_writes():
    h = History([op(0, "A", "write", 1, invoke=0.0), op(1, "A", "read", invoke=1.0, result=None)])
    v = check_read_your_writes(h)
    assert not v and v.window == (0, 1) and "initial value" in v.message
    assert check_monotonic_reads(h)


def test_concurrent_writes_may_be_read_in_either_order():
    # writes 1 and 2 overlap in time: a store may order them either way, so neither read is older
    h = History([op(0, "A", "write", 1, invoke=0.0, complete=2.0), op(1, "C", "write", 2, invoke=0.5, complete=1.5),
                 op(2, "B", "read", invoke=3.0, result=1), op(3, "B", "read", invoke=4.0, result=2),
                 op(4, "B", "read", invoke=5.0, result=1)])
    assert check_monotonic_reads(h)


def test_failed_writes_and_reads_of_other_keys_do_not_count():
    h = History([op(0, "A", "write", 1, invoke=0.0), op(1, "A", "write", 2, invoke=1.0, status="fail"),
                 op(2, "A", "read", invoke=2.0, result=1), op(3, "A", "read", invoke=3.0, result=None, key="y")])
    assert all(check_sessions(h).values())


def test_a_write_still_open_bounds_nothing():
    h = History([op(0, "A", "write", 1, invoke=0.0, complete=None, status="info"),
                 Operation(1, "A", "write", "x", 2, invoke=0.1, complete=None, status="info"),
                 op(2, "B", "read", invoke=2.0, result=2), op(3, "B", "read", invoke=3.0, result=1)])
    assert check_monotonic_reads(h)


@pytest.mark.parametrize("ops, match", [
    ([op(0, "A", "write", 1), op(1, "B", "write", 1, invoke=1.0)], "distinct"),
    ([op(0, "A", "read", result=5)], "no write"),
])
def test_refuses_histories_it_cannot_read(ops, match):
    with pytest.raises(ValueError, match=match):
        check_sessions(History(ops))
    with pytest.raises(TypeError, match="History"):
        check_monotonic_reads(ops)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_a_linearizable_store_never_breaks_a_session_guarantee(seed, keys):
    h = linearizable_kv_history(120, clients=5, keys=keys, seed=seed)
    assert check_linearizable(h, "kv")
    assert all(check_sessions(h).values())


def test_an_available_store_with_a_fast_clock_loses_its_clients_own_writes():
    # last writer wins by timestamp: a replica whose clock runs 0.5 s ahead stamps its writes "later",
    # so a client elsewhere writes, and reads back the older value that won
    skewed = History.from_trace(run(cap.cap_scenario("AP", keys=1, clock_offset={0: 0.5}), seed=7))
    honest = History.from_trace(run(cap.cap_scenario("AP", keys=1), seed=7))
    assert not check_read_your_writes(skewed) and check_read_your_writes(honest)
