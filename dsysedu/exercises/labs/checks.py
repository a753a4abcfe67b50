"""What a lab's checkers judge: the clients' operations, read from a trace, and one verdict per property.

Each checker takes a Trace and returns a :class:`~dsysedu.check.Verdict` whose ``events`` are the
trace rows to ring on the space-time diagram (the invocation and completion of the operations
at fault, and for Raft the observations the Raft properties point at).

* echo, unique ids: every answer right (and every request answered: these services must stay
  available, whatever the network does);
* broadcast and the grow-only counter: *convergence* (最终一致性, eventual consistency), Maelstrom's way:
  reads at every server after the faults stop see every acknowledged write, and nothing that was
  never written; plus, for the broadcast lab's efficient part, messages per operation and the
  latency until a value is stable (every later read has it);
* the Kafka-style log and the Raft key-value store: *linearizability* (线性一致性) of the history,
  with :class:`KafkaLog` as the log's sequential specification.

Examples
--------
>>> from dsysedu.check.history import Operation
>>> log = KafkaLog()
>>> ok, s = log.step(log.init(), Operation(0, "c0", "send", "k", 7, 0, 1, result=0))
>>> log.step(s, Operation(1, "c1", "poll", "k", 0, 2, 3, result=((0, 7),)))[0]
True
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from dsysedu.check import Verdict, all_hold
from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import SearchBudgetExceeded, check_linearizable
from dsysedu.check.models import KeyValue, SequentialModel

from .client import is_server

__all__ = ["LabOp", "lab_ops", "lab_history", "all_answered", "echoes_right", "ids_unique", "broadcast_converges",
           "broadcast_efficiency", "counter_converges", "KafkaLog", "linearizable", "leader_after_faults", "mostly_answered",
           "efficiency_measures"]


@dataclass(frozen=True)
class LabOp:
    """One client operation and the trace rows of its invocation and completion."""
    id: int
    client: str
    kind: str
    key: object
    value: object
    invoke: float
    complete: float | None
    status: str
    result: object
    seqs: tuple

    def label(self) -> str:
        arg = "" if self.value is None else f" {self.value!r}"
        got = {"ok": f" -> {self.result!r}", "fail": " -> error", "info": " -> no answer"}[self.status]
        return f"{self.client}'s {self.kind}{'' if self.key is None else f'({self.key!r})'}{arg}{got}"


def lab_ops(trace) -> list:
    """Every client operation of a lab run, in invocation order (unanswered ones with status ``info``)."""
    open_ops, done = {}, []
    for seq, r in enumerate(trace.rows):
        if r[1] != "observe" or r[5] not in ("invoke", "complete"):
            continue
        if r[5] == "invoke":
            op_id, kind, key, value = r[6]
            open_ops[(r[2], op_id)] = (r[2], kind, key, value, r[0], seq)
        else:
            op_id, status, result = r[6]
            client, kind, key, value, t0, s0 = open_ops.pop((r[2], op_id))
            done.append((client, kind, key, value, t0, r[0], status, result, (s0, seq)))
    done += [(c, k, key, v, t0, None, "info", None, (s0,)) for c, k, key, v, t0, s0 in open_ops.values()]
    done.sort(key=lambda o: (o[4], o[0]))
    return [LabOp(i, *o) for i, o in enumerate(done)]


def lab_history(ops) -> History:
    """The operations as a :class:`~dsysedu.check.History` (operation ids kept)."""
    return History(Operation(o.id, o.client, o.kind, o.key, o.value, o.invoke, o.complete, o.result, o.status)
                   for o in ops)


def _events(*ops) -> tuple:
    return tuple(s for o in ops for s in o.seqs)


def all_answered(trace, clients_only: bool = True) -> Verdict:
    """Every operation (of the clients ``c...``, or of every client) was answered ``ok``."""
    prop = "every request answered"
    ops = [o for o in lab_ops(trace) if not clients_only or o.client.startswith("c")]
    bad = [o for o in ops if o.status != "ok"]
    if bad:
        return Verdict(False, prop, f"{len(bad)} of {len(ops)} requests got no good answer; the first: "
                                    f"{bad[0].label()}", _events(*bad[:3]))
    return Verdict(True, prop, f"all {len(ops)} requests answered")


def echoes_right(trace) -> Verdict:
    """Each echo comes back with its own text."""
    prop = "echo"
    ops = lab_ops(trace)
    bad = [o for o in ops if o.status == "ok" and o.result != o.value]
    if bad:
        return Verdict(False, prop, f"{bad[0].label()}: expected {bad[0].value!r}", _events(bad[0]))
    return all_hold([Verdict(True, prop, f"{len(ops)} echoes right"), all_answered(trace)])


def ids_unique(trace) -> Verdict:
    """No two ``generate`` answers carry the same id."""
    prop = "unique ids"
    first = {}
    for o in lab_ops(trace):
        if o.status != "ok":
            continue
        try:
            other = first.setdefault(o.result, o)
        except TypeError:
            return Verdict(False, prop, f"{o.label()}: an id must be hashable (an int or a str)", _events(o))
        if other is not o:
            return Verdict(False, prop, f"id {o.result!r} given twice: {other.label()} and {o.label()}",
                           _events(other, o))
    return all_hold([Verdict(True, prop, f"{len(first)} ids, all different"), all_answered(trace)])


def _final_reads(ops):
    return [o for o in ops if o.client.startswith("r")]


def broadcast_converges(trace) -> Verdict:
    """Maelstrom's broadcast checker: the final read at every server holds every acknowledged
    broadcast, no read ever holds a value never broadcast, every request is answered."""
    prop = "broadcast converges"
    ops = lab_ops(trace)
    sent = {o.value for o in ops if o.kind == "broadcast"}
    acked = {o.value: o for o in ops if o.kind == "broadcast" and o.status == "ok"}
    for o in ops:
        if o.kind == "read" and o.status == "ok":
            if not isinstance(o.result, tuple):
                return Verdict(False, prop, f"{o.label()}: a read answers the messages seen (a list)", _events(o))
            extra = [v for v in o.result if v not in sent]
            if extra:
                return Verdict(False, prop, f"{o.label()}: {extra[0]!r} was never broadcast", _events(o))
    finals = _final_reads(ops)
    for o in finals:
        if o.status != "ok":
            return Verdict(False, prop, f"{o.label()}: the final read got no answer", _events(o))
        lost = sorted(set(acked) - set(o.result), key=repr)
        if lost:
            return Verdict(False, prop, f"the final read at {o.client}'s server misses {len(lost)} acknowledged "
                                        f"broadcast(s), e.g. {lost[0]!r} ({acked[lost[0]].client}'s, acknowledged "
                                        f"at {acked[lost[0]].complete:.2f} s)", _events(o, acked[lost[0]]))
    return all_hold([Verdict(True, prop, f"{len(finals)} final reads hold all {len(acked)} acknowledged "
                                         f"broadcasts"), all_answered(trace)])


def broadcast_efficiency(trace, msgs_per_op: float, median_latency: float, max_latency: float) -> Verdict:
    """Gossip Glomers 3d/3e: messages between servers per client operation, and each broadcast's
    *stable latency*: from its invocation to the start of the last read that still missed it."""
    prop = "broadcast efficiency"
    m = efficiency_measures(trace)
    if m["ops"] == 0 or not m["latencies"]:
        return Verdict(False, prop, "no broadcast was acknowledged")
    worst = max(m["latencies"])
    med = statistics.median(m["latencies"])
    text = (f"{m['msgs_per_op']:.1f} messages per operation (target < {msgs_per_op:g}), stable latency median "
            f"{med:.2f} s (< {median_latency:g}), max {worst:.2f} s (< {max_latency:g})")
    ok = m["msgs_per_op"] < msgs_per_op and med < median_latency and worst < max_latency
    return Verdict(ok, prop, text)


def efficiency_measures(trace) -> dict:
    """``ops``, ``server_messages``, ``msgs_per_op`` and the stable ``latencies`` of a broadcast run."""
    ops = [o for o in lab_ops(trace) if o.client.startswith("c")]
    sends = sum(1 for r in trace.rows if r[1] == "send" and is_server(r[2]) and is_server(r[3]))
    reads = [o for o in ops if o.kind == "read" and o.status == "ok"]
    latencies = []
    for b in ops:
        if b.kind != "broadcast" or b.status != "ok":
            continue
        missed = [r.invoke for r in reads if r.invoke >= b.invoke and b.value not in r.result]
        latencies.append(max(missed) - b.invoke if missed else 0.0)
    return {"ops": len(ops), "server_messages": sends, "msgs_per_op": sends / max(1, len(ops)),
            "latencies": latencies}


def counter_converges(trace) -> Verdict:
    """Maelstrom's g-counter checker: every final read equals the sum of the acknowledged adds
    (or lies between it and the sum of every add tried, when some went unanswered), and no read
    ever exceeds the sum of the adds tried so far."""
    prop = "counter converges"
    ops = lab_ops(trace)
    adds = [o for o in ops if o.kind == "add"]
    low = sum(o.value for o in adds if o.status == "ok")
    high = sum(o.value for o in adds if o.status != "fail")
    for o in ops:
        if o.kind == "read" and o.status == "ok":
            tried = sum(a.value for a in adds if a.invoke <= o.complete and a.status != "fail")
            if not isinstance(o.result, int) or o.result > tried:
                return Verdict(False, prop, f"{o.label()}: only {tried} was added by then", _events(o))
    for o in _final_reads(ops):
        if o.status != "ok":
            return Verdict(False, prop, f"{o.label()}: the final read got no answer", _events(o))
        if not low <= o.result <= high:
            want = f"{low}" if low == high else f"between {low} and {high}"
            return Verdict(False, prop, f"{o.label()}: expected {want} (the acknowledged adds)", _events(o))
    return all_hold([Verdict(True, prop, f"every final read is {low}" + ("" if low == high else f"..{high}")),
                     all_answered(trace)])


class KafkaLog(SequentialModel):
    """One key's append-only log, as Maelstrom's ``kafka`` workload sees it, made strict.

    ``send`` appends and answers the offset, which here must be the log's length (offsets 0, 1, 2...);
    ``poll`` (value: the offset to start from) answers ``((offset, msg), ...)``, the whole log from
    there; ``commit`` (value: an offset) raises the key's committed offset; ``list_committed``
    answers it (``None`` before any commit). Maelstrom allows sparse offsets and short polls; the
    strict version is what a linearizable log would answer.
    """

    name = "kafka-log"
    kinds = ("send", "poll", "commit", "list_committed")
    readonly = ("poll", "list_committed")

    def init(self):
        return ((), None)

    def partition(self, history) -> list:
        return list(history.by_key().items())

    def step(self, state, op):
        log, committed = state
        if op.kind == "send":
            return (op.pending or op.result == len(log)), (log + (op.value,), committed)
        if op.kind == "poll":
            want = tuple((i, m) for i, m in enumerate(log) if i >= op.value)
            return (op.pending or op.result == want), state
        if op.kind == "commit":
            return True, (log, op.value if committed is None else max(committed, op.value))
        if op.kind == "list_committed":
            return (op.pending or op.result == committed), state
        raise ValueError(f"{self.name} model: unknown operation kind {op.kind!r} (allowed: {self.kinds})")


def linearizable(trace, model) -> Verdict:
    """The clients' history is linearizable for ``model`` (``KafkaLog()``, ``KeyValue()``...); the
    evidence is the smallest violating window's operations."""
    ops = lab_ops(trace)
    by_id = {o.id: o for o in ops}
    try:
        v = check_linearizable(lab_history(ops), model, max_steps=2_000_000)
    except SearchBudgetExceeded as exc:
        return Verdict(False, "linearizability", f"undecided: {exc}")
    if v.ok:
        return Verdict(True, v.property, v.message)
    window = [by_id[i] for i in v.window if i in by_id]
    return Verdict(False, v.property, v.message, _events(*window))


def leader_after_faults(trace) -> Verdict:
    """Raft liveness: the highest term any server reached has a leader (a cluster that settles elects one)."""
    prop = "a leader is elected"
    terms = [(r[6], seq) for seq, r in enumerate(trace.rows) if r[1] == "observe" and r[5] == "term"]
    leaders = {r[6] for r in trace.rows if r[1] == "observe" and r[5] == "leader"}
    if not terms:
        return Verdict(False, prop, "no server ever observed a term (ctx.observe('term', ...))")
    top, seq = max(terms)
    if top not in leaders:
        return Verdict(False, prop, f"term {top} (the highest reached) has no leader by the end of the run", (seq,))
    return Verdict(True, prop, f"term {top} has a leader")




def mostly_answered(trace, share: float) -> Verdict:
    """At least ``share`` of the clients' operations were answered ``ok`` (a replicated service
    refuses some while its clients look for the leader)."""
    prop = "requests answered"
    ops = [o for o in lab_ops(trace) if o.client.startswith("c")]
    ok = sum(o.status == "ok" for o in ops)
    if ops and ok >= share * len(ops):
        return Verdict(True, prop, f"{ok} of {len(ops)} requests answered")
    bad = [o for o in ops if o.status != "ok"]
    return Verdict(False, prop, f"only {ok} of {len(ops)} requests answered (at least {share:.0%} expected); "
                                f"the first unanswered: {bad[0].label() if bad else '-'}", _events(*bad[:3]))
