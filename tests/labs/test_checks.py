"""The labs' checkers and the Kafka log's sequential model, on hand-made histories and traces."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import brute_force_linearizable, check_linearizable
from dsysedu.exercises.labs import (KafkaLog, broadcast_converges, counter_converges, ids_unique, lab_ops,
                                    leader_after_faults)
from dsysedu.sim import Trace

NODES = ["c0", "c1", "n0", "n1", "r0", "r1"]


def _trace(ops):
    """A trace holding client operations ``(client, kind, value, t0, t1, status, result)``."""
    rows = []
    for i, (client, kind, value, t0, t1, status, result) in enumerate(ops, 1):
        rows.append((t0, "observe", client, None, None, "invoke", (i, kind, None, value)))
        if t1 is not None:
            rows.append((t1, "observe", client, None, None, "complete", (i, status, result)))
    rows.sort(key=lambda r: r[0])
    return Trace(NODES, rows, end_time=10.0, ended_by="time")


def test_lab_ops_pairs_invocations_with_completions_and_keeps_their_rows():
    t = _trace([("c0", "add", 2, 0.0, 1.0, "ok", None), ("c1", "read", None, 0.5, None, None, None)])
    ops = lab_ops(t)
    assert [(o.client, o.status) for o in ops] == [("c0", "ok"), ("c1", "info")]
    assert t.rows[ops[0].seqs[1]][5] == "complete" and len(ops[1].seqs) == 1


def test_ids_unique_points_at_both_answers_of_a_repeated_id():
    t = _trace([("c0", "generate", None, 0.0, 1.0, "ok", "a"), ("c1", "generate", None, 0.0, 1.0, "ok", "a")])
    v = ids_unique(t)
    assert not v.ok and "'a' given twice" in v.message and len(v.events) == 4
    assert ids_unique(_trace([("c0", "generate", None, 0.0, 1.0, "ok", 1),
                              ("c1", "generate", None, 0.0, 1.0, "ok", 2)])).ok


def test_broadcast_converges_wants_every_acknowledged_value_in_every_final_read():
    base = [("c0", "broadcast", 1, 0.0, 0.1, "ok", None), ("c1", "broadcast", 2, 0.0, 0.1, "info", None)]
    good = base + [("r0", "read", None, 5.0, 5.1, "ok", (1,)), ("r1", "read", None, 5.0, 5.1, "ok", (1, 2))]
    assert broadcast_converges(_trace(good)).ok is False          # c1's broadcast went unanswered
    assert not broadcast_converges(_trace([base[0]] + good[2:])).ok         # 2 was never broadcast then
    assert broadcast_converges(_trace([base[0], good[2], ("r1", "read", None, 5.0, 5.1, "ok", (1,))])).ok
    lost = [base[0], ("r0", "read", None, 5.0, 5.1, "ok", ()), ("r1", "read", None, 5.0, 5.1, "ok", (1,))]
    v = broadcast_converges(_trace(lost))
    assert not v.ok and "misses 1 acknowledged" in v.message
    invented = [base[0], ("r0", "read", None, 5.0, 5.1, "ok", (1, 9))]
    assert "never broadcast" in broadcast_converges(_trace(invented)).message


def test_counter_converges_between_acknowledged_and_tried_adds_and_never_overcounts():
    adds = [("c0", "add", 3, 0.0, 0.1, "ok", None), ("c1", "add", 4, 0.0, None, None, None)]
    finals = lambda a, b: [("r0", "read", None, 5.0, 5.1, "ok", a), ("r1", "read", None, 5.0, 5.1, "ok", b)]  # noqa
    assert counter_converges(_trace(adds[:1] + finals(3, 3))).ok
    assert not counter_converges(_trace(adds[:1] + finals(3, 2))).ok
    v = counter_converges(_trace(adds[:1] + [("c1", "read", None, 0.2, 0.3, "ok", 6)] + finals(3, 3)))
    assert not v.ok and "only 3 was added" in v.message


def test_leader_after_faults_needs_a_leader_in_the_highest_term():
    rows = [(0.1, "observe", "n0", None, None, "term", 1), (0.2, "observe", "n0", None, None, "leader", 1),
            (0.3, "observe", "n1", None, None, "term", 2)]
    assert not leader_after_faults(Trace(NODES, rows)).ok
    assert leader_after_faults(Trace(NODES, rows + [(0.4, "observe", "n1", None, None, "leader", 2)])).ok


_op = st.tuples(st.sampled_from(["send", "poll", "commit", "list_committed"]), st.integers(0, 2),
                st.integers(0, 3), st.integers(0, 3), st.sampled_from(["ok", "ok", "info"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_op, min_size=1, max_size=6))
def test_kafka_log_agrees_with_trying_every_order(raw):
    ops = []
    for i, (kind, arg, start, length, status) in enumerate(raw):
        result = {"send": arg, "poll": tuple((j, 10 + j) for j in range(arg, 2)), "commit": None,
                  "list_committed": arg if arg else None}[kind]
        value = 10 + i if kind == "send" else arg
        status = "ok" if kind in ("poll", "list_committed") and status == "info" else status
        ops.append(Operation(i, f"c{i}", kind, "k", value, invoke=float(start), complete=float(start + length + 1)
                             if status == "ok" else None, result=result if status == "ok" else None,
                             status=status))
    h = History(ops)
    assert check_linearizable(h, KafkaLog()).ok == brute_force_linearizable(h, KafkaLog())


def test_kafka_log_offsets_count_from_zero_and_polls_answer_the_whole_suffix():
    log = KafkaLog()
    ok, s = log.step(log.init(), Operation(0, "a", "send", "k", "m", 0, 1, result=0))
    assert ok and log.step(s, Operation(1, "a", "send", "k", "n", 0, 1, result=0))[0] is False
    assert log.step(s, Operation(2, "a", "poll", "k", 0, 0, 1, result=()))[0] is False
    ok, s = log.step(s, Operation(3, "a", "commit", "k", 4, 0, 1))
    assert log.step(s, Operation(4, "a", "list_committed", "k", None, 0, 1, result=4))[0]
