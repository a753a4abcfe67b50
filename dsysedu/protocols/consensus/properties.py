"""Consensus, checked on a Trace: agreement, validity and termination.

A node *decides* when it observes a value under ``key`` (``"decided"`` for Paxos). For
protocols that decide a sequence of values, such as Raft's log, pass ``index``: the
observed values are then ``(index, value)`` pairs (Raft's ``"applied"``), and only the
decisions for that index count, so ``agreement(trace, key="applied", index=1)`` checks
Raft's first decision.

Agreement
    no two nodes decide different values;
Validity
    every decided value was proposed;
Termination
    every node that is up decides, here: within a bound after the last fault.

References
----------
L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001 (the safety and liveness
requirements of consensus, §2.1).

Examples
--------
>>> from dsysedu.sim import Trace
>>> rows = [(0.5, "observe", 0, None, None, "decided", "a"), (0.6, "observe", 1, None, None, "decided", "b")]
>>> agreement(Trace([0, 1], rows))
<Verdict agreement: VIOLATED: node 0 decided 'a', node 1 decided 'b', events [0, 1]>
"""
from __future__ import annotations

from typing import NamedTuple

from dsysedu.check import Verdict
from dsysedu.protocols.consensus.raft.properties import _last_fault_time

__all__ = ["Decision", "decisions", "agreement", "validity", "termination"]


class Decision(NamedTuple):
    seq: int
    time: float
    node: object
    value: object


def decisions(trace, key: str = "decided", index=None) -> list[Decision]:
    """Every decision in the trace, in order: ``Decision(seq, time, node, value)``."""
    out = []
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] == key:
            value = r[6]
            if index is not None:
                if value[0] != index:
                    continue
                value = value[1]
            out.append(Decision(seq, r[0], r[2], value))
    return out


def _name(key, index) -> str:
    return "" if key == "decided" and index is None else f" ({key}{'' if index is None else f' at index {index}'})"


def agreement(trace, key: str = "decided", index=None) -> Verdict:
    """No two decisions differ (two nodes, or one node twice)."""
    ds = decisions(trace, key, index)
    prop = "agreement"
    for d in ds[1:]:
        if d.value != ds[0].value:
            return Verdict(False, prop, f"node {ds[0].node!r} decided {ds[0].value!r}, node {d.node!r} decided "
                                        f"{d.value!r}", (ds[0].seq, d.seq))
    if not ds:
        return Verdict(True, prop, f"no decisions{_name(key, index)}")
    return Verdict(True, prop, f"{len(ds)} decisions, all {ds[0].value!r}{_name(key, index)}")


def validity(trace, proposed=None, key: str = "decided", index=None, proposed_key: str = "proposed") -> Verdict:
    """Every decided value was proposed.

    Parameters
    ----------
    proposed : iterable or None
        The proposed values; by default, every value observed under ``proposed_key``.
    """
    prop = "validity"
    if proposed is None:
        proposed = [r[6] for r in trace.rows if r[1] == "observe" and r[5] == proposed_key]
    proposed = list(proposed)
    ds = decisions(trace, key, index)
    bad = [d for d in ds if d.value not in proposed]
    if bad:
        return Verdict(False, prop, f"node {bad[0].node!r} decided {bad[0].value!r}, which no one proposed "
                                    f"(proposed: {proposed!r})", tuple(d.seq for d in bad[:20]))
    return Verdict(True, prop, f"{len(ds)} decisions, each of a proposed value{_name(key, index)}")


def termination(trace, within: float = 2.0, after: float | None = None, key: str = "decided", index=None,
                nodes=None) -> Verdict:
    """Every node that is up at the end decides by ``after + within``.

    Parameters
    ----------
    within : float
        The bound, in seconds after ``after``.
    after : float or None
        When the faults stop; by default the time of the last fault event in the trace.
    nodes : iterable or None
        The nodes that must decide; by default those not crashed at the end of the run.
    """
    prop = "termination"
    if after is None:
        after = _last_fault_time(trace)
    deadline = after + within
    if nodes is None:
        crashed = trace.status_at(trace.end_time)["crashed"]
        nodes = [n for n in trace.nodes if n not in crashed]
    first: dict = {}
    for d in decisions(trace, key, index):
        first.setdefault(d.node, d)
    late = [n for n in nodes if n not in first or first[n].time > deadline]
    if not late:
        return Verdict(True, prop, f"all {len(nodes)} nodes decided by t={deadline:g} s{_name(key, index)}")
    if trace.end_time < deadline and all(n not in first for n in late):
        why = f"the run ended at t={trace.end_time:g} s, before the deadline t={deadline:g} s"
    else:
        why = f"deadline t={deadline:g} s ({within:g} s after the faults stopped at {after:g} s)"
    events = tuple(first[n].seq for n in late if n in first)
    return Verdict(False, prop, f"nodes {late} did not decide in time; {why}", events)
