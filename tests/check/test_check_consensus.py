"""The consensus checkers (agreement, validity, termination) on hand-made traces."""
from __future__ import annotations

from dsysedu.protocols.consensus import agreement, decisions, termination, validity
from dsysedu.sim import Trace


def obs(t, node, key, value):
    return (t, "observe", node, None, None, key, value)


def trace(*rows, nodes=(0, 1, 2), end=None):
    return Trace(nodes, list(rows), end_time=end if end is not None else rows[-1][0])


PROPOSED = [obs(0, 0, "proposed", "a"), obs(0, 1, "proposed", "b")]


def test_decisions_lists_observations_in_order():
    tr = trace(*PROPOSED, obs(1, 2, "decided", "a"), obs(2, 0, "decided", "a"))
    assert [(d.seq, d.node, d.value) for d in decisions(tr)] == [(2, 2, "a"), (3, 0, "a")]


def test_agreement():
    assert agreement(trace(*PROPOSED, obs(1, 2, "decided", "a"), obs(2, 0, "decided", "a")))
    v = agreement(trace(*PROPOSED, obs(1, 2, "decided", "a"), obs(2, 0, "decided", "b")))
    assert not v and v.events == (2, 3)
    assert agreement(trace(obs(0, 0, "proposed", "a")))   # no decision: nothing disagrees


def test_a_node_that_changes_its_mind_breaks_agreement():
    assert not agreement(trace(obs(1, 0, "decided", "a"), obs(2, 0, "decided", "b")))


def test_validity():
    assert validity(trace(*PROPOSED, obs(1, 2, "decided", "b")))
    v = validity(trace(*PROPOSED, obs(1, 2, "decided", "zzz")))
    assert not v and v.events == (2,) and "no one proposed" in v.message
    assert validity(trace(obs(1, 2, "decided", "q")), proposed=["q"])


def test_indexed_decisions_check_one_slot_of_a_log():
    rows = [obs(1, 0, "applied", (1, "noop")), obs(1, 1, "applied", (1, "noop")), obs(2, 0, "applied", (2, "x")),
            obs(2, 1, "applied", (2, "y"))]
    tr = trace(*rows)
    assert agreement(tr, key="applied", index=1)
    assert not agreement(tr, key="applied", index=2)
    assert validity(tr, proposed=["noop"], key="applied", index=1)


def test_termination_counts_from_the_last_fault_and_skips_crashed_nodes():
    rows = [(1.0, "crash", 2, None, None, None, None), (1.5, "partition", None, None, None, ((0,), (1, 2)), None),
            (2.0, "heal", None, None, None, None, None), obs(2.5, 0, "decided", "a"), obs(2.9, 1, "decided", "a")]
    tr = trace(*rows, end=5.0)
    v = termination(tr, within=1.0)
    assert v and "2 nodes decided by t=3" in v.message   # node 2 is crashed at the end
    v = termination(tr, within=0.7)
    assert not v and "[1]" in v.message and v.events == (4,)
    assert not termination(tr, within=1.0, nodes=[0, 1, 2])


def test_termination_says_when_the_run_was_too_short():
    v = termination(trace(obs(0.5, 0, "proposed", "a"), end=1.0), within=2.0, after=0.0)
    assert not v and "run ended" in v.message
