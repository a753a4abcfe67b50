"""The W3C traceparent header: round trips, refusals, seeded ids."""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.tracecontext import (
    TraceParent,
    new_span_id,
    new_trace_id,
    parse_traceparent,
)

HEX = "0123456789abcdef"
ids = lambda n: st.text(HEX, min_size=n, max_size=n).filter(lambda s: s != "0" * n)


@settings(max_examples=200, deadline=None)
@given(ids(32), ids(16), st.integers(0, 255))
def test_header_round_trips(trace_id, parent_id, flags):
    tp = TraceParent(trace_id, parent_id, flags)
    header = tp.header()
    assert len(header) == 55 and header.startswith("00-")
    assert parse_traceparent(header) == tp
    assert tp.child("00000000000000ab") == TraceParent(trace_id, "00000000000000ab", flags)


def test_the_spec_example_parses():
    tp = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert tp.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and tp.parent_id == "00f067aa0ba902b7" and tp.sampled


@pytest.mark.parametrize("header, says", [
    ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "lowercase"),
    ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version 00"),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all zeros"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all zeros"),
    ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "32 hex"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "32 hex"),
])
def test_bad_headers_are_refused_saying_why(header, says):
    with pytest.raises(ValueError, match=says):
        parse_traceparent(header)


def test_bad_fields_are_refused():
    with pytest.raises(ValueError, match="flags"):
        TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 256)
    with pytest.raises(ValueError, match="16 lowercase hex"):
        TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "xyz")
    with pytest.raises(TypeError):
        parse_traceparent(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")


def test_ids_come_from_the_stream_given():
    a, b = random.Random(3), random.Random(3)
    first = [new_trace_id(a), new_span_id(a), new_span_id(a)]
    assert first == [new_trace_id(b), new_span_id(b), new_span_id(b)]
    assert [len(x) for x in first] == [32, 16, 16]
    assert new_trace_id(random.Random(4)) != first[0]
    TraceParent(first[0], first[1])   # valid ids


def test_an_all_zero_draw_is_drawn_again():
    class Zeros:
        def __init__(self):
            self.calls = 0

        def getrandbits(self, k):
            self.calls += 1
            return 0 if self.calls == 1 else 5
    z = Zeros()
    assert new_span_id(z) == "0000000000000005" and z.calls == 2
