"""Boundary: ShiViz logs, fuzzed.

Random text, random mutations of a good log, and logs whose clocks cannot be: each parse is a
clear ValueError or a faithful trace (every arrow from an earlier event), never a hang.
"""
import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsysedu.sim.shiviz import parse_shiviz
from limits import FUZZ, TALLY, attempt, time_limit

B = "ShiViz logs"
LOG = (Path(__file__).resolve().parents[2] / "data" / "shiviz_two_phase.log").read_text()


def _parse_or_error(text, regex=None):
    with time_limit():
        try:
            trace = parse_shiviz(text, regex)
        except ValueError as exc:
            assert str(exc)
            TALLY[(B, "error (ValueError)")] += 1
            return None
    TALLY[(B, "faithful parse")] += 1
    sent = {r[4]: r[0] for r in trace.rows if r[1] == "send"}
    for r in trace.rows:
        if r[1] == "deliver":
            assert sent[r[4]] < r[0]
    return trace


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text(text):
    _parse_or_error(text)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_decoded(data):
    _parse_or_error(data.decode("utf-8", errors="replace"))


@FUZZ
@given(data=st.data())
def test_random_mutations_of_a_good_log(data):
    lines = LOG.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        how = data.draw(st.sampled_from(["flip", "drop", "swap", "clock", "dup"]))
        if how == "flip" and lines[i]:
            j = data.draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + data.draw(st.sampled_from(list('x0{}":, \n-'))) + lines[i][j + 1:]
        elif how == "drop":
            del lines[i]
        elif how == "swap" and i + 2 < len(lines):
            lines[i], lines[i + 2] = lines[i + 2], lines[i]
        elif how == "clock" and " {" in lines[i]:
            host, clock = lines[i].split(" ", 1)
            try:
                c = json.loads(clock)
            except ValueError:
                continue
            if not isinstance(c, dict) or not c:
                continue
            k = data.draw(st.sampled_from(sorted(c)))
            c[k] = data.draw(st.one_of(st.integers(-2, 12), st.just(1.5), st.just(True)))
            lines[i] = f"{host} {json.dumps(c)}"
        elif how == "dup":
            lines.insert(i, lines[i])
    _parse_or_error("\n".join(lines))


@FUZZ
@given(step=st.one_of(st.just(0), st.floats(max_value=0), st.just(math.nan), st.just(math.inf), st.text(max_size=2),
                      st.none()))
def test_bad_time_step(step):
    attempt(B, lambda: parse_shiviz(LOG, time_step=step), match="time_step")


BAD_LOGS = {
    "unparsable line": ('a\nh {"h": 1}\nthis line has no clock\nb\nh {"h": 2}', "line 3 does not match"),
    "decreasing": ('a\nh {"h": 2}\nb\nh {"h": 1}', "does not grow"),
    "duplicate": ('a\nh {"h": 1}\nb\nh {"h": 1}', "does not grow"),
    "future": ('a\nh {"h": 1}\nb\ng {"g": 1, "h": 5}', "receive from the future"),
    "not later": ('a\nh {"h": 1, "g": 3}\nb\ng {"g": 1, "h": 1}\nc\ng {"g": 2}\nd\ng {"g": 3}', "is not later"),
    "negative": ('a\nh {"h": -1}', "int >= 0"),
    "bool": ('a\nh {"h": true}', "int >= 0"),
}


@pytest.mark.parametrize("name", sorted(BAD_LOGS))
def test_inconsistent_logs_are_refused(name):
    text, message = BAD_LOGS[name]
    attempt(B, lambda: parse_shiviz(text), errors=(ValueError,), match=message)


def test_a_long_line_parses_in_linear_time():
    """The default pattern was quadratic: a 40 KB line took 5 s."""
    text = LOG + "\n" + "x" * 400_000
    attempt(B, lambda: parse_shiviz(text), errors=(ValueError,), match="does not match", seconds=5)
    text = "y" * 400_000 + "\nh {\"h\": 1}"
    trace = attempt(B, lambda: parse_shiviz(text), must_fail=False, seconds=5)
    assert trace.count("observe") == 1
