"""Chapter 8.1: the record of the course's model checks, and a bug only trace validation sees."""
import pytest

from dsysedu import run
from dsysedu.check import validate_trace
from dsysedu.check.model_checker import check
from dsysedu.protocols.coordination.fencing_model import LeaseLock, lease_model, no_older_token
from dsysedu.ops.verification import (MODEL_CHECKS, NarrowTokenLock, lease_implementation_scenario, lease_spec,
                                      lost_writes, model_check_record, validation_runs)


def test_every_right_model_verifies_and_every_broken_one_is_caught():
    quick = [c for c in MODEL_CHECKS if "Paxos Commit" not in c.protocol and "Raft" not in c.protocol]
    table = model_check_record(quick)
    assert len(table) == len(quick) >= 8
    assert set(table["right"]) == {"ok"} and set(table["broken"]) == {"violation"}
    assert (table["counterexample"] >= 1).all() and (table["states"] >= table["counterexample"]).all()
    assert list(table["section"]) == sorted(table["section"])
    # pinned: the 2PC row is the 2.3 chapter's numbers
    row = table[table["protocol"].str.startswith("two-phase")].iloc[0]
    assert (row["states"], row["counterexample"]) == (182, 6)


def test_the_narrow_token_is_invisible_to_the_model_checker_at_its_size():
    # 3 clients in the model: at most 3 grants, a 3-bit token never wraps
    assert check(lease_model(3, lock=NarrowTokenLock), no_older_token).verdict == "ok"


def test_the_narrow_token_wraps_in_the_implementation_and_validation_names_the_step():
    table = validation_runs(range(3))
    spec, impl = table[table["lock"] == "LeaseLock"], table[table["lock"] == "NarrowTokenLock"]
    assert spec["valid"].all() and (spec["lost_writes"] == 0).all()
    assert not impl["valid"].any() and (impl["lost_writes"] == 3).all()     # grants 8, 9, 10 wrap to 0, 1, 2
    for sent, wanted in zip(impl["sent"], impl["spec_sends"]):
        assert [m.token for _d, m in sent] == [0] and [m.token for _d, m in wanted] == [8]


def test_a_wider_token_passes_validation_on_the_same_run_length():
    trace = run(lease_implementation_scenario(10, bits=8), seed=1)
    assert validate_trace(lease_spec(trace), trace).ok and lost_writes(trace) == 0


def test_bad_arguments():
    with pytest.raises(ValueError):
        lease_implementation_scenario(0)
    with pytest.raises(TypeError):
        lease_implementation_scenario(3, lock=object)
    with pytest.raises(ValueError):
        lease_implementation_scenario(3, loss=1.0)
    with pytest.raises(ValueError):
        NarrowTokenLock("lock", bits=0)
    with pytest.raises(TypeError):
        model_check_record(["not a check"])
    assert issubclass(NarrowTokenLock, LeaseLock)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), clients=st.integers(2, 9), bits=st.integers(2, 4), loss=st.sampled_from([0.0, 0.02]))
def test_validation_fails_exactly_when_the_token_wrapped(seed, clients, bits, loss):
    # random sizes, widths and lossy links: the spec's lock always validates; the narrow one fails iff a grant
    # reached 2**bits, and then at that very grant
    for lock in (LeaseLock, NarrowTokenLock):
        trace = run(lease_implementation_scenario(clients, lock=lock, bits=bits, loss=loss, until=12.0), seed=seed)
        grants = [r for r in trace.rows if r[1] == "send" and type(r[5]).__name__ == "LeaseGranted"]
        v = validate_trace(lease_spec(trace), trace)
        wrapped = lock is NarrowTokenLock and len(grants) >= 2 ** bits
        assert v.ok == (not wrapped), (lock.__name__, len(grants), v)
        if wrapped:
            assert [m.token for _d, m in v.model] == [2 ** bits] and [m.token for _d, m in v.implementation] == [0]
