"""Petri nets: the firing rule, reachability against a brute-force search, Karp-Miller coverability,
P-invariants, and the dining philosophers' deadlock (and its two fixes)."""
from __future__ import annotations

import doctest
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.formal import petri
from dsysedu.formal.petri import (OMEGA, PetriNet, StateLimitExceeded, bound, coverability_graph, deadlocks,
                                  dining_philosophers, is_bounded, p_invariants, producer_consumer,
                                  reachability_graph, unbounded_producer)


def test_doctests():
    for module in (petri, petri.net, petri.analysis, petri.examples):
        assert doctest.testmod(module).failed == 0


# -- random small nets --------------------------------------------------------------

@st.composite
def nets(draw, conservative=False):
    n_p = draw(st.integers(1, 4))
    n_t = draw(st.integers(1, 4))
    places = [f"p{i}" for i in range(n_p)]
    transitions = [f"t{j}" for j in range(n_t)]
    arcs = []
    for t in transitions:
        pre = draw(st.lists(st.integers(0, 2), min_size=n_p, max_size=n_p))
        if conservative:  # outputs carry exactly the input tokens: sum of tokens is a P-invariant
            total = sum(pre)
            cut = sorted(draw(st.lists(st.integers(0, total), min_size=n_p - 1, max_size=n_p - 1)))
            post = [b - a for a, b in zip([0] + cut, cut + [total])]
        else:
            post = draw(st.lists(st.integers(0, 2), min_size=n_p, max_size=n_p))
        arcs += [(p, t, w) for p, w in zip(places, pre) if w]
        arcs += [(t, p, w) for p, w in zip(places, post) if w]
    initial = draw(st.lists(st.integers(0, 2), min_size=n_p, max_size=n_p))
    return PetriNet(places, transitions, arcs, initial)


def brute_force(net, limit):
    """Breadth-first search written from the definition, on dicts, with no help from the module."""
    pre = {t: {} for t in net.transitions}
    post = {t: {} for t in net.transitions}
    for src, dst, w in net.arcs():
        if src in pre:
            post[src][dst] = post[src].get(dst, 0) + w
        else:
            pre[dst][src] = pre[dst].get(src, 0) + w
    start = dict(zip(net.places, net.initial))
    key = lambda m: tuple(m[p] for p in net.places)
    seen, edges, queue = {key(start)}, set(), deque([start])
    while queue:
        m = queue.popleft()
        for t in net.transitions:
            if all(m[p] >= w for p, w in pre[t].items()):
                m2 = dict(m)
                for p, w in pre[t].items():
                    m2[p] -= w
                for p, w in post[t].items():
                    m2[p] += w
                edges.add((key(m), key(m2), t))
                if key(m2) not in seen:
                    if len(seen) >= limit:
                        return None
                    seen.add(key(m2))
                    queue.append(m2)
    return seen, edges


@settings(max_examples=150, deadline=None)
@given(nets())
def test_reachability_graph_equals_a_brute_force_search(net):
    expected = brute_force(net, 300)
    if expected is None:
        with pytest.raises(StateLimitExceeded, match="max_states=300"):
            reachability_graph(net, max_states=300)
        return
    g = reachability_graph(net, max_states=300)
    assert set(g) == expected[0]
    assert {(a, b, t) for a, b, d in g.edges(data=True) for t in d["transitions"]} == expected[1]
    assert set(deadlocks(g)) == {m for m in expected[0] if not any(e[0] == m for e in expected[1])}


@settings(max_examples=150, deadline=None)
@given(nets(conservative=True))
def test_conservative_nets_keep_their_token_count(net):
    g = reachability_graph(net, max_states=2000)
    total = sum(net.initial)
    assert all(sum(m) == total for m in g)
    assert is_bounded(net)  # a conservative net is bounded by its token count
    assert all(b <= total for b in bound(net).values())


@settings(max_examples=150, deadline=None)
@given(nets())
def test_p_invariants_are_invariant(net):
    c = net.incidence()
    for inv in p_invariants(net):
        y = np.array([inv.get(p, 0) for p in net.places])
        assert (y >= 0).all() and y.any() and not (y @ c).any()
        try:
            g = reachability_graph(net, max_states=300)
        except StateLimitExceeded:
            continue
        assert len({int(y @ np.array(m)) for m in g}) == 1


@settings(max_examples=150, deadline=None)
@given(nets())
def test_coverability_of_a_bounded_net_is_its_reachability_graph(net):
    cov = coverability_graph(net, max_states=2000)
    omega_places = {p for i, p in enumerate(net.places) if any(m[i] == OMEGA for m in cov)}
    if not omega_places:
        g = reachability_graph(net, max_states=2000)
        assert set(g) == set(cov) and set(g.edges) == set(cov.edges)
    else:  # an ω place really grows: the reachable markings are infinitely many, so any limit is passed
        assert brute_force(net, 300) is None
        with pytest.raises(StateLimitExceeded):
            reachability_graph(net, max_states=300)
        assert not is_bounded(net)


def test_omega_exactly_on_the_unbounded_places():
    assert bound(unbounded_producer()) == {"ready": 1, "made": 1, "items": OMEGA, "waiting": 1}
    assert bound(producer_consumer(3)) == {"produce": 1, "deliver": 1, "buffer": 3, "slots": 3, "receive": 1,
                                           "consume": 1}
    # two counters, one fed by the other's tokens: a grows, b grows, c is a bounded toggle
    net = PetriNet(["c", "a", "b", "off"], ["tick", "move", "flip"],
                   [("c", "tick"), ("tick", "c"), ("tick", "a"), ("a", "move"), ("move", "b"),
                    ("c", "flip"), ("flip", "off")], {"c": 1})
    assert bound(net) == {"c": 1, "a": OMEGA, "b": OMEGA, "off": 1}
    assert not is_bounded(net)
    with pytest.raises(StateLimitExceeded, match="unbounded"):
        reachability_graph(net, max_states=50)


def test_firing_a_disabled_transition_says_what_is_missing():
    net = PetriNet(["p", "q"], ["t"], [("p", "t", 2), ("q", "t"), ("t", "q")], {"p": 1})
    with pytest.raises(ValueError, match=r"'t' is not enabled.*p needs 2 has 1; q needs 1 has 0"):
        net.fire(net.initial, "t")
    with pytest.raises(ValueError, match="unknown transition 'u'"):
        net.fire(net.initial, "u")


@pytest.mark.parametrize("arcs, message", [
    ([("p", "nowhere")], "'nowhere' is neither a place nor a transition"),
    ([("p", "t", -1)], "weight must be a positive integer"),
    ([("p", "t", 0)], "weight must be a positive integer"),
    ([("p", "t", 1.5)], "weight must be a positive integer"),
    ([("p", "q")], "must join a place and a transition"),
    ([("p",)], "an arc is"),
])
def test_bad_arcs_are_rejected(arcs, message):
    with pytest.raises(ValueError, match=message):
        PetriNet(["p", "q"], ["t"], arcs)


def test_bad_markings_and_names_are_rejected():
    with pytest.raises(ValueError, match="non-negative integer"):
        PetriNet(["p"], ["t"], [], {"p": -1})
    with pytest.raises(ValueError, match="unknown place 'z'"):
        PetriNet(["p"], ["t"], [], {"z": 1})
    with pytest.raises(ValueError, match="unique"):
        PetriNet(["p", "p"], ["t"], [])
    with pytest.raises(ValueError, match="one count per place"):
        PetriNet(["p"], ["t"], []).marking((1, 2))
    with pytest.raises(ValueError, match="n must be an integer from 2 to 12"):
        dining_philosophers(1)
    with pytest.raises(ValueError, match="fix must be"):
        dining_philosophers(3, fix="waiter")
    with pytest.raises(TypeError, match="PetriNet or its reachability graph"):
        deadlocks([(0, 1)])
    with pytest.raises(TypeError, match="needs a PetriNet"):
        coverability_graph("net")


def test_markings_are_immutable_and_firing_does_not_change_its_input():
    net = producer_consumer(2)
    m = net.initial
    m2 = net.fire(m, "make")
    assert isinstance(m2, tuple) and m == net.initial and m2 != m


# -- the dining philosophers --------------------------------------------------------

def philosopher_states(n):
    """Reachable states counted by hand: each philosopher thinks (T), holds its left fork (H) or eats (E);
    a fork is held by one philosopher at most, so an eater's right neighbour must think. The count of such
    cyclic words is the trace of the transfer matrix to the n-th power (rows: x_i, columns: x_i+1)."""
    a = np.array([[1, 1, 1], [1, 1, 1], [1, 0, 0]])
    return int(np.trace(np.linalg.matrix_power(a, n)))


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_philosophers_deadlock_exactly_when_all_hold_their_left_fork(n):
    net = dining_philosophers(n)
    g = reachability_graph(net)
    assert g.number_of_nodes() == philosopher_states(n)
    assert deadlocks(g) == [net.marking({f"hold{i}": 1 for i in range(n)})]
    # and that marking really is dead: every philosopher waits for the fork its right neighbour holds
    dead = deadlocks(g)[0]
    assert net.enabled(dead) == ()


@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("fix", ["ordering", "butler"])
def test_fixed_philosophers_never_deadlock_and_still_eat(n, fix):
    net = dining_philosophers(n, fix=fix)
    g = reachability_graph(net)
    assert deadlocks(g) == []
    for i in range(n):  # everyone can still eat
        assert any(m[net.places.index(f"eat{i}")] == 1 for m in g)
    if fix == "butler":  # the butler removes exactly the deadlock and nothing else
        assert g.number_of_nodes() == philosopher_states(n) - 1
    # mutual exclusion on forks: neighbours never eat together
    for m in g:
        d = net.as_dict(m)
        assert not any(d.get(f"eat{i}") and d.get(f"eat{(i + 1) % n}") for i in range(n))


def test_philosophers_positions_are_a_readable_circle():
    net = dining_philosophers(5)
    assert set(net.positions) == set(net.places) | set(net.transitions)
    xy = np.array(list(net.positions.values()))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 99
    assert d.min() > 0.5  # no two nodes on top of each other


def test_producer_consumer_buffer_is_bounded_by_its_capacity():
    for k in (1, 2, 3, 5):
        net = producer_consumer(k)
        assert bound(net)["buffer"] == k and is_bounded(net)
        assert deadlocks(net) == []
        assert {"buffer": 1, "slots": 1} in p_invariants(net)


def test_state_space_counts_markings_and_deadlocks():
    from dsysedu.formal.petri import state_space
    net = dining_philosophers(5)
    g = reachability_graph(net)
    assert state_space(net) == {"markings": g.number_of_nodes(), "deadlocks": len(deadlocks(g))} == \
        {"markings": 82, "deadlocks": 1}
    assert state_space(dining_philosophers(5, fix="butler"))["deadlocks"] == 0
