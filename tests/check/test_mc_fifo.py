"""FIFO links and state compression in the model checker.

FIFO: each directed link delivers in send order, so the orders a receiver can see are exactly
the interleavings of its senders' sequences (counted independently below), and a lossy or
duplicating FIFO link loses or repeats messages without reordering them. Compression
(``discard=``): the node states reached are the same as without it, only fewer states are stored.
"""
from dataclasses import dataclass
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.check.model_checker import Model, check, reachable
from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model, stale_reply
from dsysedu.protocols.consensus.raft import Raft
from dsysedu.protocols.consensus.raft.variants import RaftCommitOldTerm
from dsysedu.sim import Node, Scenario

SETTINGS = settings(max_examples=40, deadline=None)


@dataclass(frozen=True)
class Item:
    sender: str
    k: int


class Sender(Node):
    """Sends ``count`` numbered items to ``r`` at start."""

    def __init__(self, node_id, peers=(), count=2):
        super().__init__(node_id, peers)
        self.count = count

    def on_start(self, ctx):
        for k in range(self.count):
            ctx.send("r", Item(self.id, k))


class Receiver(Node):
    """Writes down what arrives, in order."""

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.got = ()

    def on_message(self, ctx, src, msg):
        self.got = self.got + ((msg.sender, msg.k),)


def model(counts, fifo, **budget):
    senders = {f"s{j}": n for j, n in enumerate(counts)}
    sc = Scenario({"r": Receiver, **{s: Sender for s in senders}}, nodes=["r", *senders],
                  node_params={s: {"count": n} for s, n in senders.items()})
    return Model(sc, fifo=fifo, **budget)


def final_orders(m):
    """Every sequence the receiver has seen once nothing is in flight (a plain graph search)."""
    init = m.initial()
    seen, todo, out = {init}, [init], set()
    while todo:
        s = todo.pop()
        succ = m.successors(s)
        if not s[1]:
            out.add(m.view(s)["r"].got)
        for _a, t in succ:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return out


def in_send_order(seq):
    for sender in {s for s, _k in seq}:
        ks = [k for s, k in seq if s == sender]
        if ks != sorted(ks):
            return False
    return True


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=1, max_size=2))
def test_fifo_orders_are_the_interleavings_of_each_link(counts):
    orders = final_orders(model(counts, fifo=True))
    assert all(in_send_order(o) for o in orders)
    # the interleavings of the senders' sequences: a multinomial coefficient
    expected = comb(sum(counts), counts[0])
    assert len(orders) == expected
    # without FIFO every permutation of the distinct items can arrive
    if sum(counts) <= 4:
        unordered = final_orders(model(counts, fifo=False))
        assert orders < unordered or sum(counts) == 1 or counts == [1, 1]


def test_lossy_and_duplicating_fifo_links_keep_the_order():
    lossy = final_orders(model([3], fifo=True, drops=1))
    assert lossy == {(("s0", 0), ("s0", 1), ("s0", 2)), (("s0", 1), ("s0", 2)), (("s0", 0), ("s0", 2)),
                     (("s0", 0), ("s0", 1))}
    dup = final_orders(model([2], fifo=True, duplicates=1))
    assert dup == {(("s0", 0), ("s0", 1)), (("s0", 0), ("s0", 0), ("s0", 1)), (("s0", 0), ("s0", 1), ("s0", 1))}


def test_fifo_enables_only_the_oldest_message_of_each_link():
    m = model([2, 1], fifo=True)
    acts = m.actions(m.initial())
    assert [(a.peer, a.data.k) for a in acts] == [("s0", 0), ("s1", 0)]
    assert "FIFO" in repr(m)
    text = m.describe(m.initial())
    assert "in flight (FIFO, oldest first)" in text
    assert "s0→r [Item(sender='s0', k=0), Item(sender='s0', k=1)]" in text
    out_of_order = reachable("s0's second item first", lambda s: s["r"].got[:1] == (("s0", 1),))
    assert check(m, out_of_order).verdict == "violation"
    assert check(model([2, 1], fifo=False), out_of_order).verdict == "ok"


def test_fifo_and_symmetry_agree_with_the_plain_search():
    # two interchangeable senders: symmetry stores fewer states, the verdicts agree
    sc = Scenario({"r": Receiver, "a": Sender, "b": Sender}, nodes=["r", "a", "b"])
    b_first = reachable("b first", lambda s: s["r"].got[:1] == (("b", 0),))
    a_second_first = reachable("a's second item first", lambda s: s["r"].got[:1] == (("a", 1),))
    plain, sym = Model(sc, fifo=True), Model(sc, fifo=True, symmetric=("a", "b"))
    assert check(plain, b_first).ok and check(sym, b_first).ok
    assert check(plain, a_second_first).verdict == check(sym, a_second_first).verdict == "violation"
    everything = reachable("never", lambda s: False)
    assert check(sym, everything).states < check(plain, everything).states == len(_all(plain))


def _all(m):
    init = m.initial()
    seen, todo = {init}, [init]
    while todo:
        for _a, t in m.successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _readable(m, s):
    return (tuple(m._E[e] for e in s[0]), tuple(sorted(repr(m._M[x]) for x in s[1])),
            tuple(sorted(repr(m._T[t]) for t in s[2])), s[3])


@pytest.mark.parametrize("budget", [{}, {"crashes": 1, "recoveries": 1}])
def test_compression_keeps_the_node_states(budget):
    plain = raft_election_model(max_term=1, **budget)
    packed = raft_election_model(max_term=1, compress=True, **budget)
    full, small = _all(plain), _all(packed)
    assert len(small) < len(full)
    # the compressed states are exactly the full ones with the stale replies taken out
    plain.discard = stale_reply
    assert {_readable(plain, plain._prune(s)) for s in full} == {_readable(packed, s) for s in small}
    assert {tuple(plain._E[e] for e in s[0]) for s in full} == {tuple(packed._E[e] for e in s[0]) for s in small}


WITNESSES = {
    "a leader of term 2": lambda s: any(s.is_up(n) and s[n].role == "leader" and s[n].current_term == 2
                                        for n in s.nodes),
    "two leaders at once, of terms 1 and 2": lambda s: sorted(
        s[n].current_term for n in s.nodes if s.is_up(n) and s[n].role == "leader") == [1, 2],
    "all in term 2 under one leader": lambda s: all(s.is_up(n) and s[n].current_term == 2 for n in s.nodes)
    and sum(s[n].role == "leader" for n in s.nodes) == 1,
}


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_compression_keeps_the_shortest_witnesses_with_two_terms(name):
    # a dropped reply was a no-op delivery: no situation of the nodes becomes nearer or farther
    p = reachable(name, WITNESSES[name])
    full = check(raft_election_model(max_term=2, symmetric=True), p)
    packed = check(raft_election_model(max_term=2, symmetric=True, compress=True), p)
    assert full.ok and packed.ok and len(full.path) == len(packed.path)
    assert packed.states <= full.states


def test_raft_three_nodes_terms_up_to_two():
    r = check(raft_election_model(max_term=2, symmetric=True, compress=True), election_safety_invariant)
    assert r.verdict == "ok" and r.states == 46_078
    assert check(raft_election_model(max_term=1, compress=True), election_safety_invariant).states == 677
    symmetric = raft_election_model(max_term=1, symmetric=True, compress=True)
    assert check(symmetric, election_safety_invariant).states == 121


def test_bad_input():
    with pytest.raises(TypeError, match="fifo"):
        model([1], fifo="yes")
    with pytest.raises(TypeError, match="discard"):
        Model(Receiver, nodes=1, discard=3)
    with pytest.raises(TypeError, match="compress"):
        raft_election_model(compress=1)
    with pytest.raises(ValueError, match="compress=True relies on"):
        raft_election_model(CountsVotesTwice, compress=True)
    assert raft_election_model(RaftCommitOldTerm, compress=True).discard is stale_reply   # not a vote handler


class CountsVotesTwice(Raft):
    """Overrides a handler the compression reasons about, so it is refused."""

    def on_request_vote_reply(self, ctx, src, m):
        return super().on_request_vote_reply(ctx, src, m)
