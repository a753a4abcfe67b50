"""Symmetry reduction: explore one state per class of states that differ only by renaming.

When some nodes are interchangeable (the participants of 2PC, the clients of a lock),
a state and the same state with two participants' names swapped behave alike: one is
safe exactly when the other is. The checker keeps one *representative* per class
(orbit), found as follows [1]_:

1. each symmetric node ``p`` gets a *signature*: the whole state with ``p`` renamed to
   ``SELF`` and every other symmetric id to ``OTHER`` (so the signature does not depend
   on what ``p`` is called);
2. the nodes are ranked by signature, and the ``k``-th gets the ``k``-th id;
3. nodes with equal signatures are tried in every order (unless swapping any two of them
   leaves the state unchanged, the common case), and the candidate whose canonical text
   is smallest wins.

Every candidate is a renaming of the state, so the reduction is sound (a class is never
confused with another); trying all orders within ties makes the representative the same
for every member of a class. Renaming reaches ids wherever they are stored: node fields,
messages (frozen dataclasses, tuples), timer names, the keys of dicts.

References
----------
.. [1] C. N. Ip and D. L. Dill, "Better verification through symmetry", Formal Methods in
   System Design 9, 1996 (scalarsets and canonical representatives in Murphi).
"""
from __future__ import annotations

import dataclasses
from itertools import permutations, product

from .mc_state import FrozenDict, FrozenList, FrozenSet

__all__ = ["Symmetry", "rename_ids", "canonical_text"]

SELF, OTHER = "\x00self", "\x00other"
_LEAF = frozenset({int, float, bool, type(None), bytes})
_dc_fields: dict = {}
MAX_CANDIDATES = 720


def rename_ids(value, mapping: dict):
    """``value`` with every string in ``mapping`` replaced, inside tuples, frozensets, dicts
    (frozen) and frozen dataclasses.

    Examples
    --------
    >>> rename_ids(("p1", frozenset({"p2"}), 3), {"p1": "p2", "p2": "p1"})
    ('p2', frozenset({'p1'}), 3)
    """
    t = type(value)
    if t is str:
        return mapping.get(value, value)
    if t in _LEAF:
        return value
    if t is tuple or t is FrozenList:
        return t(rename_ids(v, mapping) for v in value)
    if t is frozenset or t is FrozenSet or t is FrozenDict:
        return t(rename_ids(v, mapping) for v in value)
    names = _dc_fields.get(t)
    if names is None and dataclasses.is_dataclass(t):
        names = _dc_fields[t] = tuple(f.name for f in dataclasses.fields(t) if f.init)
    if names is not None:
        return t(**{f: rename_ids(getattr(value, f), mapping) for f in names})
    if isinstance(value, tuple) and hasattr(t, "_fields"):
        return t(*(rename_ids(v, mapping) for v in value))
    return mapping.get(value, value) if _hashable(value) else value


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


_text_cache: dict = {}


def canonical_text(value) -> str:
    """A text for ``value`` that equal values share (sets sorted), used to rank candidates."""
    t = type(value)
    if t in _LEAF or t is str:
        return repr(value)
    if t is tuple or t is FrozenList:
        return "(" + ",".join([canonical_text(v) for v in value]) + ")"
    if t is frozenset or t is FrozenSet or t is FrozenDict:
        return "{" + ",".join(sorted([canonical_text(v) for v in value])) + "}"
    key = value if _hashable(value) else None
    if key is not None:
        hit = _text_cache.get(key)
        if hit is not None:
            return hit
    names = _dc_fields.get(t)
    if names is None and dataclasses.is_dataclass(t):
        names = _dc_fields[t] = tuple(f.name for f in dataclasses.fields(t) if f.init)
    if names is not None:
        text = t.__name__ + canonical_text(tuple(getattr(value, f) for f in names))
    else:
        text = repr(value)
    if key is not None:
        if len(_text_cache) > 100_000:
            _text_cache.clear()
        _text_cache[key] = text
    return text


class Symmetry:
    """Canonical representatives of states under permutations of ``model.symmetric``."""

    def __init__(self, model):
        self.model = model
        self.sym = tuple(model.symmetric)
        self.targets = tuple(sorted(self.sym, key=repr))
        self.pos = [model.index[n] for n in self.sym]
        self.rename = model.rename or rename_ids
        self._cache: dict = {}
        self._msg_cache: dict = {}
        self.candidates_tried = 0

    # -- renaming a whole state ----------------------------------------------------------
    def permute(self, state, mapping: dict) -> tuple:
        """``state`` with node ids renamed by ``mapping`` (node entries move to their new names)."""
        m = self.model
        nodes, msgs, timers, budget = state
        rn = self.rename
        new = list(nodes)
        index = m.index
        for i, (up, values) in enumerate(nodes):
            n = m.ids[i]
            j = index[mapping.get(n, n)]
            new[j] = (up, rn(values, mapping))
        mkey = tuple(sorted(mapping.items(), key=repr))
        cache = self._msg_cache
        if len(cache) > 200_000:
            cache.clear()
        out = []
        for key, c in msgs:
            ck = (key, mkey)
            r = cache.get(ck)
            if r is None:
                r = cache[ck] = rn(key, mapping)
            out.append((r, c))
        return tuple(new), frozenset(out), frozenset(rn(t, mapping) for t in timers), budget

    def _signature(self, state, p) -> str:
        mapping = {q: OTHER for q in self.sym}
        mapping[p] = SELF
        m = self.model
        nodes, msgs, timers, _budget = state
        rn = self.rename
        own = None
        others, rest = [], []
        symset = set(self.sym)
        for i, entry in enumerate(nodes):
            n = m.ids[i]
            text = canonical_text(rn(entry, mapping))
            if n == p:
                own = text
            elif n in symset:
                others.append(text)
            else:
                rest.append(text)
        others.sort()
        return "|".join((own, ";".join(others), ";".join(rest),
                         canonical_text(frozenset((rn(k, mapping), c) for k, c in msgs)),
                         canonical_text(rn(timers, mapping))))

    def canonical(self, state) -> tuple:
        """The representative of ``state``'s class (cached)."""
        hit = self._cache.get(state)
        if hit is not None:
            return hit
        sigs = {p: self._signature(state, p) for p in self.sym}
        ranked = sorted(self.sym, key=lambda p: sigs[p])
        groups, cur = [], [ranked[0]]
        for p in ranked[1:]:
            if sigs[p] == sigs[cur[-1]]:
                cur.append(p)
            else:
                groups.append(cur)
                cur = [p]
        groups.append(cur)
        # a tie group whose members can be swapped pairwise without changing the state needs one order
        choices = []
        for g in groups:
            if len(g) > 1 and not all(self.permute(state, {a: b, b: a}) == state for a, b in zip(g, g[1:])):
                choices.append(list(permutations(g)))
            else:
                choices.append([tuple(g)])
        best, best_text, tried = None, None, 0
        for combo in product(*choices):
            order = [p for g in combo for p in g]
            mapping = {p: t for p, t in zip(order, self.targets)}
            cand = self.permute(state, mapping)
            tried += 1
            if best is None:
                best = cand
                if len(choices) == sum(1 for c in choices if len(c) == 1):
                    break
                best_text = canonical_text(cand)
            else:
                text = canonical_text(cand)
                if text < best_text:
                    best, best_text = cand, text
            if tried >= MAX_CANDIDATES:  # still sound (a renaming), possibly less reduction
                break
        self.candidates_tried += tried
        cache = self._cache
        if len(cache) > 500_000:
            cache.clear()
        cache[state] = best
        return best
