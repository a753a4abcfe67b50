"""A Petri net: places, transitions, weighted arcs, markings and the token game."""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

__all__ = ["OMEGA", "StateLimitExceeded", "format_marking", "PetriNet"]

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
