"""Petri nets (Petri网): places, transitions, weighted arcs and the token game.

A *place* holds tokens; a *transition* is enabled when every input place holds at least
the weight of its arc, and *firing* it takes those tokens and puts the output arcs' weights
into the output places. A *marking* is the number of tokens in each place: here an
immutable tuple in the net's place order, so markings can be hashed, compared and used as
graph nodes.

Analyses, all bounded by ``max_states``:

- :func:`reachability_graph` explores every marking reachable from the initial one
  (a networkx ``DiGraph``; edges carry the transitions that lead along them);
- :func:`deadlocks` lists the reachable markings where nothing is enabled, and
  :func:`state_space` counts markings and deadlocks (a row of a comparison table);
- :func:`coverability_graph` is Karp and Miller's construction [1]_: a place that can grow
  without limit gets :data:`OMEGA` (ω), which makes the graph finite even for unbounded nets;
- :func:`is_bounded` and :func:`bound` read boundedness off the coverability graph;
- :func:`p_invariants` finds weightings of places whose weighted token sum never changes
  (Farkas' algorithm as used by Martínez and Silva [2]_).

Examples are built by :func:`dining_philosophers` (deadlocking, or fixed by resource
ordering or by a butler), :func:`producer_consumer` (a bounded buffer) and
:func:`unbounded_producer`.

The module is longer than most (about 560 lines): the net, its analyses and the course's
example nets are read together in chapter 2.2, and the examples' doctests use the analyses.

References
----------
.. [1] R. M. Karp and R. E. Miller, "Parallel program schemata", JCSS 3(2), 1969.
.. [2] J. Martínez and M. Silva, "A simple and fast algorithm to obtain all invariants of a
   generalised Petri net", Application and Theory of Petri Nets, 1982.
.. [3] T. Murata, "Petri nets: properties, analysis and applications", Proc. IEEE 77(4), 1989.
"""
from __future__ import annotations

import math
from collections import deque
from numbers import Integral

import networkx as nx
import numpy as np

__all__ = ["OMEGA", "PetriNet", "StateLimitExceeded", "reachability_graph", "deadlocks", "state_space",
           "coverability_graph", "is_bounded", "bound", "p_invariants", "dining_philosophers", "producer_consumer",
           "unbounded_producer", "format_marking", "philosophers_word"]

OMEGA = math.inf
"""ω: "as many tokens as you like" in a coverability graph (``math.inf``, so ω - k = ω)."""


class StateLimitExceeded(RuntimeError):
    """An exploration met more than ``max_states`` markings and stopped."""


def _name(x, what):
    if not isinstance(x, str) or not x:
        raise TypeError(f"{what} names must be non-empty strings, got {x!r}")
    return x


def _count(x, what):
    if isinstance(x, bool) or not isinstance(x, Integral) or x < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {x!r}")
    return int(x)


def format_marking(places, marking) -> str:
    """``"p=1, q=ω"``: the places that hold tokens (``"empty"`` when none do)."""
    parts = [f"{p}={'ω' if m == OMEGA else int(m)}" for p, m in zip(places, marking) if m]
    return ", ".join(parts) if parts else "empty"


class PetriNet:
    """A place/transition net with weighted arcs and an initial marking.

    Parameters
    ----------
    places, transitions : sequence of str
        Names, in the order markings and pictures use. Names must be unique over both.
    arcs : iterable of ``(source, target)`` or ``(source, target, weight)``
        An arc joins a place to a transition (an input) or a transition to a place (an
        output); weight is a positive integer (1 if omitted). Repeated arcs add up.
    initial : dict or sequence of int, optional
        Tokens per place (missing places hold 0).
    positions : dict, optional
        Name -> ``(x, y)``: where the picture draws each place and transition (layout as
        data). Without it, views place the nodes themselves.
    name : str

    Raises
    ------
    ValueError
        An arc to an unknown node, between two places or two transitions, a weight that is
        not a positive integer, a negative token count, repeated names.

    Examples
    --------
    >>> net = PetriNet(["p", "q"], ["t"], [("p", "t"), ("t", "q", 2)], initial={"p": 1})
    >>> net.enabled(net.initial)
    ('t',)
    >>> net.fire(net.initial, "t")
    (0, 2)
    """

    def __init__(self, places, transitions, arcs, initial=None, positions=None, name: str = ""):
        self.places = tuple(_name(p, "place") for p in places)
        self.transitions = tuple(_name(t, "transition") for t in transitions)
        names = self.places + self.transitions
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"place and transition names must be unique; repeated: {dup}")
        self.name = str(name)
        self._p = {p: i for i, p in enumerate(self.places)}
        self._t = {t: j for j, t in enumerate(self.transitions)}
        pre = np.zeros((len(self.places), len(self.transitions)), dtype=int)
        post = np.zeros_like(pre)
        for arc in arcs:
            if not isinstance(arc, (tuple, list)) or len(arc) not in (2, 3):
                raise ValueError(f"an arc is (source, target) or (source, target, weight), got {arc!r}")
            src, dst = arc[0], arc[1]
            w = arc[2] if len(arc) == 3 else 1
            if isinstance(w, bool) or not isinstance(w, Integral) or w <= 0:
                raise ValueError(f"arc {src!r} -> {dst!r}: the weight must be a positive integer, got {w!r}")
            for end in (src, dst):
                if end not in self._p and end not in self._t:
                    raise ValueError(f"arc {src!r} -> {dst!r}: {end!r} is neither a place nor a transition "
                                     f"(places {list(self.places)}, transitions {list(self.transitions)})")
            if src in self._p and dst in self._t:
                pre[self._p[src], self._t[dst]] += int(w)
            elif src in self._t and dst in self._p:
                post[self._p[dst], self._t[src]] += int(w)
            else:
                raise ValueError(f"arc {src!r} -> {dst!r} must join a place and a transition")
        self.pre, self.post = pre, post
        self.pre.setflags(write=False)
        self.post.setflags(write=False)
        self.initial = self.marking(initial if initial is not None else {})
        self.positions = {}
        if positions is not None:
            for k, xy in dict(positions).items():
                if k not in self._p and k not in self._t:
                    raise ValueError(f"positions: {k!r} is neither a place nor a transition")
                self.positions[k] = (float(xy[0]), float(xy[1]))

    def __repr__(self):
        return (f"PetriNet({self.name or 'unnamed'!r}: {len(self.places)} places, "
                f"{len(self.transitions)} transitions, initial {format_marking(self.places, self.initial)})")

    # -- markings --------------------------------------------------------------
    def marking(self, tokens) -> tuple:
        """A validated marking tuple from a dict ``place -> tokens`` or a sequence in place order."""
        if isinstance(tokens, dict):
            out = [0] * len(self.places)
            for p, k in tokens.items():
                if p not in self._p:
                    raise ValueError(f"unknown place {p!r}; places are {list(self.places)}")
                out[self._p[p]] = OMEGA if k == OMEGA else _count(k, f"tokens in {p!r}")
            return tuple(out)
        tokens = tuple(tokens)
        if len(tokens) != len(self.places):
            raise ValueError(f"a marking has one count per place ({len(self.places)}), got {len(tokens)}")
        return tuple(OMEGA if k == OMEGA else _count(k, f"tokens in {p!r}") for p, k in zip(self.places, tokens))

    def as_dict(self, marking, nonzero: bool = True) -> dict:
        """``{place: tokens}`` (only the places that hold tokens, unless ``nonzero=False``)."""
        return {p: m for p, m in zip(self.places, marking) if m or not nonzero}

    def format(self, marking) -> str:
        """The marking as ``"p=1, q=ω"``."""
        return format_marking(self.places, marking)

    def inputs(self, transition) -> dict:
        """``{place: weight}`` of the arcs into ``transition``."""
        j = self._index(transition)
        return {p: int(self.pre[i, j]) for i, p in enumerate(self.places) if self.pre[i, j]}

    def outputs(self, transition) -> dict:
        """``{place: weight}`` of the arcs out of ``transition``."""
        j = self._index(transition)
        return {p: int(self.post[i, j]) for i, p in enumerate(self.places) if self.post[i, j]}

    def arcs(self):
        """Every arc as ``(source, target, weight)``, inputs then outputs, in net order."""
        for j, t in enumerate(self.transitions):
            for i, p in enumerate(self.places):
                if self.pre[i, j]:
                    yield (p, t, int(self.pre[i, j]))
            for i, p in enumerate(self.places):
                if self.post[i, j]:
                    yield (t, p, int(self.post[i, j]))

    def incidence(self) -> np.ndarray:
        """The incidence matrix ``C = post - pre`` (places x transitions): firing ``t`` adds column ``t``."""
        return self.post - self.pre

    def _index(self, transition) -> int:
        if transition not in self._t:
            raise ValueError(f"unknown transition {transition!r}; transitions are {list(self.transitions)}")
        return self._t[transition]

    # -- the firing rule ---------------------------------------------------------
    def is_enabled(self, marking, transition) -> bool:
        """Whether every input place of ``transition`` holds at least its arc's weight."""
        j = self._index(transition)
        return all(m >= w for m, w in zip(marking, self.pre[:, j]))

    def enabled(self, marking) -> tuple:
        """The transitions enabled in ``marking``, in net order."""
        return tuple(t for j, t in enumerate(self.transitions)
                     if all(m >= w for m, w in zip(marking, self.pre[:, j])))

    def fire(self, marking, transition) -> tuple:
        """The marking after firing ``transition`` in ``marking``.

        Raises
        ------
        ValueError
            If ``transition`` is not enabled: the message says which places lack tokens.
        """
        j = self._index(transition)
        if len(marking) != len(self.places):
            raise ValueError(f"a marking has one count per place ({len(self.places)}), got {marking!r}")
        missing = [f"{p} needs {int(w)} has {m}" for p, m, w in zip(self.places, marking, self.pre[:, j]) if m < w]
        if missing:
            raise ValueError(f"transition {transition!r} is not enabled in marking "
                             f"({self.format(marking)}): missing tokens: {'; '.join(missing)}")
        return tuple(m if m == OMEGA else int(m - a + b)
                     for m, a, b in zip(marking, self.pre[:, j], self.post[:, j]))

    def successors(self, marking):
        """``(transition, next marking)`` for every enabled transition, in net order."""
        return [(t, self.fire(marking, t)) for t in self.enabled(marking)]


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
    """How many markings ``net`` can reach, and how many of them are deadlocks.

    Examples
    --------
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
    >>> bound(unbounded_producer())["items"]
    inf
    """
    g = coverability_graph(net, max_states)
    return {p: max(m[i] for m in g) for i, p in enumerate(net.places)}


def is_bounded(net: PetriNet, max_states: int = 10_000) -> bool:
    """Whether some number bounds the tokens of every place in every reachable marking.

    Examples
    --------
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


# -- examples ----------------------------------------------------------------------

def dining_philosophers(n: int = 5, fix: str | None = None) -> PetriNet:
    """Dijkstra's dining philosophers as a Petri net, with a circular layout.

    Philosopher ``i`` sits between fork ``i`` (on the left) and fork ``i+1 mod n`` (on the
    right). Places per philosopher: ``think{i}``, ``hold{i}`` (holds the first fork),
    ``eat{i}``, and ``fork{i}`` on the table; transitions ``first{i}`` (take the first fork),
    ``second{i}`` (take the second, start eating) and ``done{i}`` (put both back).

    Parameters
    ----------
    n : int
        Philosophers, 2..12.
    fix : None, ``"ordering"`` or ``"butler"``
        ``None``: everyone takes the left fork first; when all do at once, no one can take a
        right fork: a deadlock. ``"ordering"``: everyone takes the lower-numbered fork first
        (a total order on resources breaks the cycle of waiting). ``"butler"``: a place
        ``seats`` with ``n - 1`` tokens; taking a first fork needs a seat.

    Examples
    --------
    >>> net = dining_philosophers(3)
    >>> net.enabled(net.initial)
    ('first0', 'first1', 'first2')
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or not 2 <= n <= 12:
        raise ValueError(f"n must be an integer from 2 to 12, got {n!r}")
    if fix not in (None, "ordering", "butler"):
        raise ValueError(f"fix must be None, 'ordering' or 'butler', got {fix!r}")
    places, transitions, arcs, pos = [], [], [], {}
    for i in range(n):
        places += [f"think{i}", f"hold{i}", f"eat{i}"]
        transitions += [f"first{i}", f"second{i}", f"done{i}"]
    places += [f"fork{i}" for i in range(n)]
    initial = {f"think{i}": 1 for i in range(n)} | {f"fork{i}": 1 for i in range(n)}
    if fix == "butler":
        places.append("seats")
        initial["seats"] = n - 1
        pos["seats"] = (0.0, 0.0)
    for i in range(n):
        left, right = i, (i + 1) % n
        first, second = (min(left, right), max(left, right)) if fix == "ordering" else (left, right)
        arcs += [(f"think{i}", f"first{i}"), (f"fork{first}", f"first{i}"), (f"first{i}", f"hold{i}"),
                 (f"hold{i}", f"second{i}"), (f"fork{second}", f"second{i}"), (f"second{i}", f"eat{i}"),
                 (f"eat{i}", f"done{i}"), (f"done{i}", f"think{i}"), (f"done{i}", f"fork{left}"),
                 (f"done{i}", f"fork{right}")]
        if fix == "butler":
            arcs += [("seats", f"first{i}"), (f"done{i}", "seats")]
        # philosopher i at angle a (clockwise from the top); its cycle is a small loop there:
        # done innermost, its two forks on the rim either side, so no arc crosses another
        a = math.pi / 2 - 2 * math.pi * i / n
        u = np.array([math.cos(a), math.sin(a)])          # outwards
        v = np.array([math.sin(a), -math.cos(a)])         # clockwise (towards the right fork)
        c, r = 3.2 * u, 1.0
        for name, (du, dv) in {"done": (-1, 0), "think": (-.5, -.87), "first": (.5, -.87), "hold": (1, 0),
                               "second": (.5, .87), "eat": (-.5, .87)}.items():
            pos[f"{name}{i}"] = tuple(float(x) for x in c + r * du * u + r * dv * v)
        fa = a + math.pi / n  # fork i: between philosopher i-1 and i
        pos[f"fork{i}"] = (2.9 * math.cos(fa), 2.9 * math.sin(fa))
    name = "dining philosophers" + ({None: "", "ordering": " (resource ordering)", "butler": " (butler)"}[fix])
    return PetriNet(places, transitions, arcs, initial, positions=pos, name=f"{name}, n={n}")


def philosophers_word(net: PetriNet, marking) -> str:
    """What each philosopher of a :func:`dining_philosophers` net does in ``marking``, one letter each:
    ``T`` thinks, ``H`` holds the first fork, ``E`` eats.

    Examples
    --------
    >>> net = dining_philosophers(3)
    >>> philosophers_word(net, net.fire(net.initial, "first1"))
    'THT'
    """
    d = net.as_dict(marking)
    n = sum(1 for p in net.places if p.startswith("think"))
    return "".join("E" if d.get(f"eat{i}") else "H" if d.get(f"hold{i}") else "T" for i in range(n))


def producer_consumer(capacity: int = 2) -> PetriNet:
    """A producer and a consumer joined by a buffer of ``capacity`` slots.

    The producer cycles ``produce`` (make an item) then ``deliver`` (put it in the buffer,
    taking a free slot); the consumer cycles ``receive`` (take an item, free a slot) then
    ``consume``. ``buffer + slots = capacity`` always (a P-invariant), so the buffer never
    overflows.

    Examples
    --------
    >>> bound(producer_consumer(3))["buffer"]
    3
    """
    capacity = _count(capacity, "capacity")
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    places = ["produce", "deliver", "buffer", "slots", "receive", "consume"]
    transitions = ["make", "put", "take", "use"]
    arcs = [("produce", "make"), ("make", "deliver"), ("deliver", "put"), ("slots", "put"), ("put", "produce"),
            ("put", "buffer"), ("buffer", "take"), ("receive", "take"), ("take", "slots"), ("take", "consume"),
            ("consume", "use"), ("use", "receive")]
    pos = {"produce": (0, 1), "make": (-1, 0), "deliver": (0, -1), "put": (1, 0), "buffer": (2, 0.7),
           "slots": (2, -0.7), "take": (3, 0), "receive": (4, 1), "consume": (4, -1), "use": (5, 0)}
    return PetriNet(places, transitions, arcs, {"produce": 1, "slots": capacity, "receive": 1}, positions=pos,
                    name=f"producer/consumer, buffer of {capacity}")


def unbounded_producer() -> PetriNet:
    """A producer with no buffer limit: ``items`` can grow without bound.

    Examples
    --------
    >>> is_bounded(unbounded_producer())
    False
    """
    places = ["ready", "made", "items", "waiting"]
    transitions = ["make", "put", "take"]
    arcs = [("ready", "make"), ("make", "made"), ("made", "put"), ("put", "ready"), ("put", "items"),
            ("items", "take"), ("waiting", "take"), ("take", "waiting")]
    pos = {"ready": (0, 1), "make": (-1, 0), "made": (0, -1), "put": (1, 0), "items": (2, 0), "take": (3, 0),
           "waiting": (4, 0)}
    return PetriNet(places, transitions, arcs, {"ready": 1, "waiting": 1}, positions=pos, name="unbounded producer")
