"""ShiViz-style logs: messages rebuilt from vector clocks, errors for malformed logs."""
import itertools
from pathlib import Path

import pytest

from dsysedu.sim import Trace
from dsysedu.sim.shiviz import parse_shiviz

LOG = (Path(__file__).resolve().parents[2] / "data" / "shiviz_two_phase.log").read_text()


def _events(text):
    import json
    lines = text.strip().splitlines()
    return [(lines[i + 1].split(" ", 1)[0], json.loads(lines[i + 1].split(" ", 1)[1]), lines[i])
            for i in range(0, len(lines), 2)]


def test_two_phase_log_has_the_four_messages_of_2pc_plus_commit():
    tr = Trace.from_shiviz(LOG)
    assert tr.nodes == ("alice", "bob", "coord")
    msgs = tr.messages()
    pairs = sorted(zip(msgs.src, msgs.dst))
    assert pairs == sorted([("coord", "alice"), ("coord", "bob"), ("alice", "coord"), ("bob", "coord"),
                            ("coord", "alice"), ("coord", "bob")])
    assert (msgs.status == "delivered").all()
    assert tr.count("observe") == len(_events(LOG))


def test_log_causality_is_kept_by_the_rebuilt_trace():
    """If event a happened before event b in the log's vector clocks, the trace agrees."""
    tr = Trace.from_shiviz(LOG)
    events = _events(LOG)
    seq = {txt: i for i, r in enumerate(tr.rows) for txt in [r[6]] if r[1] == "observe"}
    for (h1, c1, t1), (h2, c2, t2) in itertools.permutations(events, 2):
        before = all(c1.get(k, 0) <= c2.get(k, 0) for k in set(c1) | set(c2)) and c1 != c2
        assert tr.happens_before(seq[t1], seq[t2]) == before, (t1, t2)


def test_custom_regex_with_shiviz_named_group_syntax():
    text = "[a] {\"a\": 1} hello\n[b] {\"a\": 1, \"b\": 1} got it\n"
    tr = parse_shiviz(text, r"\[(?<host>\w+)\] (?<clock>{[^}]*}) (?<event>.*)")
    assert tr.count("deliver") == 1 and tr.messages().src.tolist() == ["a"]


def test_malformed_logs_raise_clear_errors():
    with pytest.raises(ValueError, match="no events matched"):
        parse_shiviz("nothing here")
    with pytest.raises(ValueError, match="not JSON"):
        parse_shiviz("x\na {oops}")
    with pytest.raises(ValueError, match="named groups"):
        parse_shiviz("x", r"(?P<host>\w+)")
    with pytest.raises(ValueError, match="no entry for its own host"):
        parse_shiviz('x\na {"b": 1}')
