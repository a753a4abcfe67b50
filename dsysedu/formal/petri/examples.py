"""Example nets of chapter 2.2: the dining philosophers (deadlocking, or fixed), a bounded buffer and an
unbounded producer."""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from .net import PetriNet, _count

__all__ = ["dining_philosophers", "philosophers_word", "producer_consumer", "unbounded_producer"]


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
    >>> from dsysedu.formal.petri import bound
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
    >>> from dsysedu.formal.petri import is_bounded
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
