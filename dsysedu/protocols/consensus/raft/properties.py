"""Raft's safety properties (Figure 3 of the paper), checked on a Trace.

The checkers read only what Raft nodes observe (see :class:`dsysedu.protocols.consensus.raft.node.Raft`):
``leader`` (the term), ``term``, ``entry`` ``(index, term, command)`` (the node's log now
holds this entry at ``index`` and nothing after it, until more entries follow),
``commit_index`` and ``applied`` ``(index, command)``. From the ``entry`` observations
they rebuild every node's log at every moment; the log survives crashes (it is durable).

Each function returns a :class:`~dsysedu.check.Verdict` whose ``events`` are the trace
``seq`` numbers of the offending observations.

References
----------
D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
USENIX ATC 2014, Figure 3 and §5.4.3 (the safety argument).

Examples
--------
>>> from dsysedu.sim import Scenario, run
>>> from dsysedu.protocols.consensus.raft.node import Raft
>>> raft_safety(run(Scenario(Raft, nodes=3, until=1.0), seed=1)).ok
True
"""
from __future__ import annotations

from dsysedu.check import Verdict, all_hold
from dsysedu.sim.faults import FAULT_KINDS

__all__ = ["election_safety", "log_matching", "leader_completeness", "state_machine_safety", "raft_safety",
           "client_liveness", "leaders"]

_MAX_EVIDENCE = 20


def _observations(trace, keys):
    for seq, r in enumerate(trace.rows):
        if r[1] == "observe" and r[5] in keys:
            yield seq, r[0], r[2], r[5], r[6]


def leaders(trace) -> dict:
    """Who became leader of each term: ``{term: [(node, seq), ...]}`` (one per term, if all is well)."""
    out: dict = {}
    for seq, _t, node, _k, term in _observations(trace, ("leader",)):
        out.setdefault(term, []).append((node, seq))
    return out


def election_safety(trace) -> Verdict:
    """At most one leader is elected in a given term.

    Examples
    --------
    >>> from dsysedu.sim import Trace
    >>> rows = [(0.1, "observe", 0, None, None, "leader", 1), (0.2, "observe", 2, None, None, "leader", 1)]
    >>> election_safety(Trace([0, 1, 2], rows)).events
    (0, 1)
    """
    prop = "election safety"
    bad = []
    for term, who in sorted(leaders(trace).items()):
        nodes = {n for n, _ in who}
        if len(nodes) > 1:
            bad.append((term, who))
    if not bad:
        return Verdict(True, prop, f"at most one leader in each of {len(leaders(trace))} terms")
    term, who = bad[0]
    events = [s for _t, w in bad for _n, s in w][:_MAX_EVIDENCE]
    names = ", ".join(f"node {n!r}" for n, _ in who)
    more = f" ({len(bad)} terms with several leaders)" if len(bad) > 1 else ""
    return Verdict(False, prop, f"term {term} has leaders {names}{more}", tuple(events))


class _Logs:
    """Every node's log, rebuilt from ``entry`` observations; each entry keeps a hash of its prefix."""

    def __init__(self):
        self.logs: dict = {}

    def write(self, node, index, term, command):
        log = self.logs.setdefault(node, [])
        del log[index - 1:]
        if len(log) < index - 1:
            return None  # a gap: the trace skipped entries (reported by log_matching)
        prefix = log[-1][2] if log else 0
        h = hash((prefix, term, command))
        log.append((term, command, h))
        return h

    def install(self, node, index, leader, kept) -> bool:
        """``node`` installed ``leader``'s snapshot up to ``index``: its log up to there is the
        leader's (compacted there, so the checker takes it from the leader's rebuilt log). False if
        the leader's log does not reach ``index``."""
        source = self.logs.get(leader, [])
        if len(source) < index:
            return False
        own = self.logs.get(node, [])
        self.logs[node] = list(source[:index]) + (own[index:] if kept else [])
        return True

    def snapshot(self, node) -> tuple:
        return tuple((t, c) for t, c, _h in self.logs.get(node, ()))


def log_matching(trace) -> Verdict:
    """If two logs hold an entry with the same index and term, they are identical up through it.

    Checked over the whole run: each (index, term) pair must sit behind the same prefix in
    every log that ever holds it (Raft creates one entry per index and term, and entries
    never move, so the two statements agree on Raft's runs).
    """
    prop = "log matching"
    logs = _Logs()
    seen: dict = {}
    for seq, _t, node, key, value in _observations(trace, ("entry", "installed")):
        if key == "installed":
            index, _term, leader, kept = value
            if not logs.install(node, index, leader, kept):
                return Verdict(False, prop, f"node {node!r} installed a snapshot up to index {index} that its "
                                            f"leader {leader!r} never held", (seq,))
            continue
        index, term, command = value
        h = logs.write(node, index, term, command)
        if h is None:
            return Verdict(False, prop, f"node {node!r} wrote index {index} without the entries before it",
                           (seq,))
        first = seen.setdefault((index, term), (h, seq, node, command))
        if first[0] != h:
            other = first[3]
            what = (f"commands {other!s} and {command!s}" if other != command
                    else "the same command behind different earlier entries")
            return Verdict(False, prop, f"index {index}, term {term}: node {first[2]!r} and node {node!r} hold "
                                        f"{what}", (first[1], seq))
    return Verdict(True, prop, f"{len(seen)} (index, term) pairs, each with one history")


def leader_completeness(trace) -> Verdict:
    """An entry committed in a term is in the log of every leader of a later term.

    An entry counts as committed in term T when a node whose current term is T observes a
    ``commit_index`` at or above its index; each leader's log is taken when it is elected
    (a leader only appends afterwards).
    """
    prop = "leader completeness"
    logs = _Logs()
    term_of: dict = {}
    upto: dict = {}
    committed: dict = {}     # index -> (term, command, committed in term, seq)
    elections = []           # (term, node, seq, log)
    for seq, _t, node, key, value in _observations(trace, ("entry", "term", "commit_index", "leader", "installed")):
        if key == "entry":
            logs.write(node, *value)
        elif key == "installed":
            index, _term, leader, kept = value
            logs.install(node, index, leader, kept)
        elif key == "term":
            term_of[node] = value
        elif key == "leader":
            elections.append((value, node, seq, logs.snapshot(node)))
        else:
            start = upto.get(node, 0)
            if value < start:
                start = 0   # the node restarted: its commit index is learned again
            log = logs.logs.get(node, [])
            t_now = term_of.get(node, 0)
            for i in range(start + 1, min(value, len(log)) + 1):
                term, command, _h = log[i - 1]
                have = committed.get(i)
                if have is None or t_now < have[2]:
                    if have is not None and (have[0], have[1]) != (term, command):
                        return Verdict(False, prop, f"index {i} committed as {have[1]!s} (term {have[0]}) and as "
                                                    f"{command!s} (term {term})", (have[3], seq))
                    committed[i] = (term, command, t_now, seq)
                elif (have[0], have[1]) != (term, command):
                    return Verdict(False, prop, f"index {i} committed as {have[1]!s} (term {have[0]}) and as "
                                                f"{command!s} (term {term})", (have[3], seq))
            upto[node] = value
    for index, (term, command, t_commit, cseq) in sorted(committed.items()):
        for lterm, lnode, lseq, log in elections:
            if lterm > t_commit and (len(log) < index or log[index - 1] != (term, command)):
                return Verdict(False, prop, f"index {index} ({command!s}, term {term}) was committed in term "
                                            f"{t_commit}, but node {lnode!r} became leader of term {lterm} "
                                            f"without it", (cseq, lseq))
    return Verdict(True, prop, f"{len(committed)} committed entries, in the logs of all "
                               f"{len(elections)} later leaders")


def state_machine_safety(trace) -> Verdict:
    """No two nodes apply different commands at the same log index (nor one node, after a restart)."""
    prop = "state machine safety"
    first: dict = {}
    for seq, _t, node, _k, (index, command) in _observations(trace, ("applied",)):
        have = first.setdefault(index, (command, seq, node))
        if have[0] != command:
            return Verdict(False, prop, f"index {index}: node {have[2]!r} applied {have[0]!s}, node {node!r} "
                                        f"applied {command!s}", (have[1], seq))
    return Verdict(True, prop, f"{len(first)} indexes, one command each")


def raft_safety(trace) -> Verdict:
    """All four safety properties: the first one violated, or a verdict that all hold.

    With log compaction (:mod:`.snapshots`), also that two snapshots of one index agree.
    """
    checks = [election_safety(trace), log_matching(trace), leader_completeness(trace), state_machine_safety(trace)]
    if any(r[1] == "observe" and r[5] == "snapshot" for r in trace.rows):
        from .snapshots import snapshot_agreement
        checks.append(snapshot_agreement(trace))
    return all_hold(checks)


def client_liveness(trace, within: float = 2.0, after: float | None = None, everywhere: bool = True) -> Verdict:
    """Every client request that arrives at or after ``after`` is acknowledged within ``within``
    seconds, and (with ``everywhere``) applied by every node that is up at the end of the run.

    A client request is an input from outside (``peer`` None) with ``client_id`` and ``seq``
    fields. ``after`` defaults to the time of the last fault in the trace (liveness is only
    promised once faults stop).

    Notes
    -----
    Raft without the no-op entry of §8 does not promise ``everywhere``: a new leader that
    missed the last commit index cannot commit the entries of earlier terms (Figure 8) until a
    client sends it something new, so a follower may never apply the last request.
    """
    prop = "client liveness"
    if after is None:
        after = _last_fault_time(trace)
    asked: dict = {}
    acked: dict = {}
    applied: dict = {}
    index_of: dict = {}      # request -> the log index it was applied at (by any node)
    installed: dict = {}     # node -> the highest snapshot it installed (it applied everything below)
    for seq, r in enumerate(trace.rows):
        kind = r[1]
        if kind == "deliver" and r[3] is None and r[0] >= after and hasattr(r[5], "client_id"):
            asked.setdefault((r[5].client_id, r[5].seq), (r[0], seq))
        elif kind == "observe":
            if r[5] == "ack":
                acked.setdefault(tuple(r[6]), r[0])
            elif r[5] == "applied":
                cmd = r[6][1]
                if hasattr(cmd, "client_id"):
                    applied.setdefault((cmd.client_id, cmd.seq), set()).add(r[2])
                    index_of.setdefault((cmd.client_id, cmd.seq), r[6][0])
            elif r[5] == "installed":
                installed[r[2]] = max(installed.get(r[2], 0), r[6][0])
    for rid, index in index_of.items():   # a snapshot installed past a request's index applied it
        applied[rid] |= {n for n, upto in installed.items() if upto >= index}
    up = [n for n in trace.nodes if n not in trace.status_at(trace.end_time)["crashed"]]
    for rid, (t, seq) in sorted(asked.items(), key=lambda kv: kv[1]):
        if t + within > trace.end_time:
            return Verdict(False, prop, f"the run ended at {trace.end_time:g} s, before request {rid} "
                                        f"(asked at {t:.3f} s) was due ({within:g} s)", (seq,))
        if rid not in acked or acked[rid] > t + within:
            return Verdict(False, prop, f"request {rid}, asked at {t:.3f} s, was not acknowledged within "
                                        f"{within:g} s", (seq,))
        missing = [n for n in up if n not in applied.get(rid, ())] if everywhere else []
        if missing:
            return Verdict(False, prop, f"request {rid} was never applied by nodes {missing}", (seq,))
    where = f" and applied by all {len(up)} nodes that are up" if everywhere else ""
    return Verdict(True, prop, f"{len(asked)} requests after t={after:g} s acknowledged within {within:g} s{where}")


def _last_fault_time(trace) -> float:
    last = 0.0
    for r in trace.rows:
        if r[1] in FAULT_KINDS:
            last = r[0]
    return last
