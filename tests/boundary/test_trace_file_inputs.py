"""Boundary: trace files (``load_jsonl``), fuzzed.

Random bytes, random mutations of a good file and hand-made bad rows: each load is a clear
ValueError naming the line, or a faithful load; never an import, never a hang.
"""
import json
import math
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsysedu.protocols.basics.toys import Flood
from dsysedu.sim import Crash, Scenario, Trace, run
from dsysedu.sim.trace_io import LoadedMessage, load_jsonl, save_jsonl
from limits import FUZZ, TALLY, attempt, time_limit

B = "trace files"
GOOD = run(Scenario(Flood, nodes=4, faults=[Crash(2, at=0.015, until=0.5)], until=1.0), seed=3)


@pytest.fixture(scope="module")
def good_lines(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.jsonl"
    GOOD.save(path)
    return path.read_text().splitlines()


def _load_or_error(path):
    """A faithful load or a clear ValueError; tallied."""
    before = set(sys.modules)
    with time_limit():
        try:
            trace = load_jsonl(path)
        except ValueError as exc:
            assert str(exc).startswith(str(path)), exc
            TALLY[(B, "error (ValueError)")] += 1
            assert set(sys.modules) == before, "loading imported a module"
            return None
    assert set(sys.modules) == before, "loading imported a module"
    TALLY[(B, "faithful load")] += 1
    times = [r[0] for r in trace.rows]
    assert times == sorted(times) and all(math.isfinite(t) for t in times)
    assert all(r[2] is None or r[2] in trace.nodes for r in trace.rows)
    return trace


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "t.jsonl"
    path.write_bytes(data)
    _load_or_error(path)


@FUZZ
@given(data=st.data())
def test_random_mutations_of_a_good_file(tmp_path_factory, good_lines, data):
    lines = list(good_lines)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        how = data.draw(st.sampled_from(["flip", "drop", "swap", "field", "truncate", "dup"]))
        if how == "flip" and lines[i]:
            j = data.draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + data.draw(st.sampled_from(list('x0-9"[]{},.:eN'))) + lines[i][j + 1:]
        elif how == "drop":
            del lines[i]
        elif how == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif how == "field" and i > 0 and lines[i].startswith("[") and lines[i].endswith("]"):
            try:
                row = json.loads(lines[i])
            except ValueError:
                continue
            if not isinstance(row, list) or len(row) != 7:
                continue
            row[data.draw(st.integers(0, 6))] = data.draw(st.one_of(
                st.none(), st.integers(-5, 99), st.text(max_size=4), st.floats(allow_nan=False, allow_infinity=False),
                st.just({"__dataclass__": "antigravity:X", "fields": {}}), st.just({"__float__": "nan"}),
                st.just([1, 2]), st.just({"__set__": [1]})))
            lines[i] = json.dumps(row)
        elif how == "truncate":
            lines[i] = lines[i][: len(lines[i]) // 2]
        elif how == "dup":
            lines.insert(i, lines[i])
        if not lines:
            lines = [""]
    path = tmp_path_factory.mktemp("mut") / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _load_or_error(path)


HEADER = {"format": "dsysedu-trace", "version": 2, "nodes": [0, 1], "edges": [[0, 1]], "seed": 1,
          "end_time": 1.0, "ended_by": "time", "meta": {}}
bad_rows = st.one_of(
    st.tuples(st.sampled_from(["x", None, True, [], {"__float__": "nan"}, {"__float__": "inf"}]),
              st.just("start"), st.just(0)),
    st.tuples(st.just(0.1), st.sampled_from(["boom", "", None, 3, "Send"]), st.just(0)),
    st.tuples(st.just(0.1), st.just("start"), st.sampled_from([7, "a", None, [0], -1])),
)


@FUZZ
@given(row=bad_rows)
def test_rows_that_no_run_writes(tmp_path_factory, row):
    path = tmp_path_factory.mktemp("rows") / "t.jsonl"
    path.write_text(json.dumps(HEADER) + "\n" + json.dumps([*row, None, None, None, None]) + "\n")
    attempt(B, lambda: load_jsonl(path), errors=(ValueError,), match=r"line 2: (time|unknown kind|node)")


@FUZZ
@given(key=st.sampled_from(["nodes", "edges", "seed", "end_time", "ended_by", "meta", "version"]),
       value=st.one_of(st.none(), st.text(max_size=3), st.just([]), st.just({}), st.just([[0, 9]]),
                       st.just(1.5), st.just(-3), st.just([[0]]), st.just([[1, 2], 1])))
def test_bad_headers(tmp_path_factory, key, value):
    header = dict(HEADER, **{key: value})
    path = tmp_path_factory.mktemp("hdr") / "t.jsonl"
    path.write_text(json.dumps(header) + "\n")
    if (key, json.dumps(value)) in {("seed", "null"), ("end_time", "1.5"), ("meta", "{}"), ("edges", "[]")}:
        return  # fine values
    attempt(B, lambda: load_jsonl(path), errors=(ValueError,), match=r"line 1|header")


def test_header_without_nodes_was_a_bare_key_error(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"format": "dsysedu-trace"}) + "\n")
    with pytest.raises(ValueError, match="the header must list the trace's nodes"):
        load_jsonl(path)


def test_rows_out_of_time_order_are_refused(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [[0.5, "observe", 0, None, None, "x", 1], [0.2, "observe", 0, None, None, "x", 2]]
    path.write_text("\n".join(json.dumps(r) for r in [HEADER, *rows]) + "\n")
    with pytest.raises(ValueError, match="line 3: time 0.2 is before the previous row's 0.5"):
        load_jsonl(path)


def test_a_file_never_imports_the_module_it_names(tmp_path):
    sys.modules.pop("antigravity", None)
    path = tmp_path / "t.jsonl"
    row = [0.0, "observe", 0, None, None, "x", {"__dataclass__": "antigravity:X", "fields": {"a": 1}}]
    path.write_text(json.dumps(HEADER) + "\n" + json.dumps(row) + "\n")
    trace = load_jsonl(path)
    assert "antigravity" not in sys.modules
    assert trace.rows[0][6] == LoadedMessage("X", (("a", 1),))
    # nor builds a dataclass of a module that is imported but not a message type
    row[6] = {"__dataclass__": "dataclasses:Field", "fields": {}}
    path.write_text(json.dumps(HEADER) + "\n" + json.dumps(row) + "\n")
    assert isinstance(load_jsonl(path).rows[0][6], LoadedMessage)


@dataclass(frozen=True)
class Unsent:
    x: int


def test_message_types_named_by_the_caller_are_rebuilt(tmp_path):
    from dsysedu.sim import Trace as T
    tr = T([0], [(0.0, "observe", 0, None, None, "m", Unsent(3))], end_time=0.0, ended_by="time")
    path = tmp_path / "t.jsonl"
    save_jsonl(tr, path)
    assert isinstance(load_jsonl(path).rows[0][6], LoadedMessage)
    assert load_jsonl(path, message_types=[Unsent]).rows[0][6] == Unsent(3)
    with pytest.raises(TypeError, match="frozen dataclasses"):
        load_jsonl(path, message_types=[dict])


def test_numpy_values_and_sets_come_back_as_they_were(tmp_path):
    values = [np.int64(7), np.float32(0.5), np.bool_(True), np.arange(6).reshape(2, 3), {1, 2}, frozenset({3})]
    tr = Trace([0], [(float(i), "observe", 0, None, None, f"k{i}", v) for i, v in enumerate(values)],
               end_time=5.0, ended_by="time")
    path = tmp_path / "t.jsonl"
    save_jsonl(tr, path)
    back = [r[6] for r in load_jsonl(path).rows]
    for a, b in zip(values, back):
        assert type(a) is type(b), (a, b)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
