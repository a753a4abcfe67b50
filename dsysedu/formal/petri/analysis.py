"""Analyses of a Petri net, all bounded by ``max_states``: reachability, deadlocks, the Karp-Miller
coverability graph, boundedness and P-invariants."""
from __future__ import annotations

import math
from collections import deque

import networkx as nx

from .net import OMEGA, PetriNet, StateLimitExceeded, _count

__all__ = ["reachability_graph", "deadlocks", "state_space", "coverability_graph", "bound", "is_bounded", "p_invariants"]


# -- exploration -------------------------------------------------------------------

def _add_edge(g, a, b, t):
    if g.has_edge(a, b):
        g.edges[a, b]["transitions"] += (t,)
    else:
        g.add_edge(a, b, transitions=(t,))


def reachability_graph(net: PetriNet, max_states: int = 10_000, initial=None) -> nx.DiGraph:
    """Every marking reachable from the initial one, breadth first.

    Parameters
    ----------
    net : PetriNet
    max_states : int
        Stop with :class:`StateLimitExceeded` past this many markings (an unbounded net has
        infinitely many: use :func:`coverability_graph` for it).
    initial : marking, optional
        Start here instead of ``net.initial``.

    Returns
    -------
    networkx.DiGraph
        Nodes are marking tuples (attribute ``label``: the marking as text, ``dead``: nothing
        enabled); each edge has ``transitions``, a tuple of the transitions that lead along it.
        ``graph.graph`` holds ``initial``, ``places`` and ``net``.

    Examples
    --------
    >>> from dsysedu.formal.petri import producer_consumer
    >>> g = reachability_graph(producer_consumer(capacity=2))
    >>> g.number_of_nodes()
    12
    """
    if not isinstance(net, PetriNet):
        raise TypeError(f"reachability_graph needs a PetriNet, got {net!r}")
    max_states = _count(max_states, "max_states")
    start = net.initial if initial is None else net.marking(initial)
    g = nx.DiGraph(initial=start, places=net.places, net=net.name)
    g.add_node(start)
    queue = deque([start])
    while queue:
        m = queue.popleft()
        for t, m2 in net.successors(m):
            if m2 not in g:
                if g.number_of_nodes() >= max_states:
                    raise StateLimitExceeded(
                        f"{net.name or 'the net'}: more than max_states={max_states} reachable markings; "
                        f"the net may be unbounded (check is_bounded), or raise max_states")
                g.add_node(m2)
                queue.append(m2)
            _add_edge(g, m, m2, t)
    for m in g:
        g.nodes[m]["label"] = net.format(m)
        g.nodes[m]["dead"] = g.out_degree(m) == 0
    return g


def deadlocks(net_or_graph, max_states: int = 10_000) -> list:
    """The reachable markings in which no transition is enabled, sorted.

    Takes a :class:`PetriNet` (its reachability graph is built) or a graph from
    :func:`reachability_graph`.

    Examples
    --------
    >>> from dsysedu.formal.petri import dining_philosophers
    >>> net = dining_philosophers(2)
    >>> [net.format(m) for m in deadlocks(net)]
    ['hold0=1, hold1=1']
    """
    if isinstance(net_or_graph, PetriNet):
        g = reachability_graph(net_or_graph, max_states)
    elif isinstance(net_or_graph, nx.DiGraph):
        g = net_or_graph
    else:
        raise TypeError(f"deadlocks needs a PetriNet or its reachability graph, got {net_or_graph!r}")
    return sorted(m for m in g if g.out_degree(m) == 0)


def state_space(net: PetriNet, max_states: int = 10_000) -> dict:
    """How many markings ``net`` can reach, and how many of them are deadlocks (a row of a comparison table).

    Examples
    --------
    >>> from dsysedu.formal.petri import dining_philosophers
    >>> state_space(dining_philosophers(2))
    {'markings': 6, 'deadlocks': 1}
    """
    g = reachability_graph(net, max_states)
    return {"markings": g.number_of_nodes(), "deadlocks": len(deadlocks(g))}


def coverability_graph(net: PetriNet, max_states: int = 10_000) -> nx.DiGraph:
    """Karp and Miller's coverability graph: finite even when the net is unbounded.

    Explores like :func:`reachability_graph`, but when a new marking ``m`` covers a marking
    ``m'`` on its path from the start (``m >= m'`` place by place, and ``m != m'``), the
    firing sequence from ``m'`` to ``m`` can be repeated for ever, so every place where
    ``m`` is strictly larger becomes :data:`OMEGA`. For a bounded net no ω ever appears and
    the graph is the reachability graph.

    Raises
    ------
    StateLimitExceeded
        Past ``max_states`` nodes (Karp-Miller graphs can be very large, though finite).

    Examples
    --------
    >>> from dsysedu.formal.petri import format_marking, unbounded_producer
    >>> g = coverability_graph(unbounded_producer())
    >>> sorted(format_marking(g.graph["places"], m) for m in g)
    ['made=1, items=ω, waiting=1', 'made=1, waiting=1', 'ready=1, items=ω, waiting=1', 'ready=1, waiting=1']
    """
    if not isinstance(net, PetriNet):
        raise TypeError(f"coverability_graph needs a PetriNet, got {net!r}")
    max_states = _count(max_states, "max_states")
    start = net.initial
    g = nx.DiGraph(initial=start, places=net.places, net=net.name)
    g.add_node(start)
    # depth-first over the Karp-Miller tree; a marking met before anywhere is not expanded again
    stack = [(start, (start,))]
    while stack:
        m, path = stack.pop()
        for t, m2 in reversed(net.successors(m)):
            for anc in path:
                if m2 != anc and all(a <= b for a, b in zip(anc, m2)):
                    m2 = tuple(OMEGA if b > a else b for a, b in zip(anc, m2))
            new = m2 not in g
            if new and g.number_of_nodes() >= max_states:
                raise StateLimitExceeded(f"{net.name or 'the net'}: coverability graph past "
                                         f"max_states={max_states} nodes")
            _add_edge(g, m, m2, t)
            if new:
                stack.append((m2, path + (m2,)))
    for m in g:
        g.nodes[m]["label"] = net.format(m)
        g.nodes[m]["dead"] = g.out_degree(m) == 0
    return g


def bound(net: PetriNet, max_states: int = 10_000) -> dict:
    """The most tokens each place can hold: ``{place: int}``, or :data:`OMEGA` for no bound.

    Examples
    --------
    >>> from dsysedu.formal.petri import unbounded_producer
    >>> bound(unbounded_producer())["items"]
    inf
    """
    g = coverability_graph(net, max_states)
    return {p: max(m[i] for m in g) for i, p in enumerate(net.places)}


def is_bounded(net: PetriNet, max_states: int = 10_000) -> bool:
    """Whether some number bounds the tokens of every place in every reachable marking.

    Examples
    --------
    >>> from dsysedu.formal.petri import producer_consumer, unbounded_producer
    >>> is_bounded(producer_consumer(3)), is_bounded(unbounded_producer())
    (True, False)
    """
    return all(b != OMEGA for b in bound(net, max_states).values())


def p_invariants(net: PetriNet, max_rows: int = 2_000) -> list:
    """The minimal-support semi-positive P-invariants: vectors ``y >= 0`` with ``y · C = 0``.

    For such a ``y`` the weighted token count ``y · m`` is the same in every reachable
    marking, whatever fires: a conservation law of the net (Farkas' algorithm [2]_).

    Returns
    -------
    list of dict
        ``{place: weight}`` (non-zero weights only), sorted.

    Examples
    --------
    >>> from dsysedu.formal.petri import producer_consumer
    >>> p_invariants(producer_consumer(2))
    [{'buffer': 1, 'slots': 1}, {'receive': 1, 'consume': 1}, {'produce': 1, 'deliver': 1}]
    """
    c = net.incidence().astype(object)
    n = len(net.places)
    rows = [list(c[i]) + [1 if k == i else 0 for k in range(n)] for i in range(n)]
    for j in range(c.shape[1]):
        keep = [r for r in rows if r[j] == 0]
        pos = [r for r in rows if r[j] > 0]
        neg = [r for r in rows if r[j] < 0]
        for a in pos:
            for b in neg:
                r = [-b[j] * x + a[j] * y for x, y in zip(a, b)]
                g = math.gcd(*r)
                keep.append([x // g for x in r] if g > 1 else r)
        # keep only rows of minimal support (a row whose support contains another's is redundant)
        supports = [frozenset(k for k in range(n) if r[c.shape[1] + k]) for r in keep]
        rows = [r for r, s in zip(keep, supports) if not any(o < s for o in supports)]
        uniq = {tuple(r) for r in rows}
        rows = sorted(uniq)
        if len(rows) > max_rows:
            raise StateLimitExceeded(f"p_invariants: more than {max_rows} candidate rows")
    out = [{p: int(r[c.shape[1] + i]) for i, p in enumerate(net.places) if r[c.shape[1] + i]} for r in rows]
    return sorted(out, key=lambda d: sorted(d.items()))
