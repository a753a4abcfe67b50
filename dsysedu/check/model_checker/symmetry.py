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
   leaves the state unchanged, the common case), and the smallest candidate wins.

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

from .values import FrozenDict, FrozenList, FrozenSet

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


class _Spy(dict):
    """A mapping for :func:`rename_ids` that renames nothing and notes which ids it was asked about."""

    def __init__(self, ids, found):
        super().__init__()
        self._ids, self._found = frozenset(ids), found

    def get(self, key, default=None):
        if key in self._ids:
            self._found.add(key)
        return default


class Symmetry:
    """Canonical representatives of states under permutations of ``model.symmetric``."""

    def __init__(self, model):
        self.model = model
        self.sym = tuple(model.symmetric)
        self.targets = tuple(sorted(self.sym, key=repr))
        self.pos = {n: model.index[n] for n in self.sym}
        symset = set(self.sym)
        self.rest = tuple(i for i, n in enumerate(model.ids) if n not in symset)
        self.rename = model.rename or rename_ids
        self._sigmap = {}
        for p in self.sym:
            mapping = {q: OTHER for q in self.sym}
            mapping[p] = SELF
            self._sigmap[p] = mapping
        self._text: dict = {}      # (what, id, p) -> text under the signature renaming of p
        self._perm: dict = {}      # image of the ids -> renamed-id tables (entries, messages, timers)
        self._cache: dict = {}     # state -> representative
        self._ment: dict = {}      # (what, id) -> symmetric ids it mentions
        self.rest_set = frozenset(self.rest)
        self.candidates_tried = 0

    # -- renaming --------------------------------------------------------------------------
    def _image(self, mapping: dict) -> tuple:
        return tuple(mapping.get(q, q) for q in self.sym)

    def _tables(self, mapping: dict):
        image = tuple(mapping.get(q, q) for q in self.sym)
        tables = self._perm.get(image)
        if tables is None:
            tables = self._perm[image] = ({}, {}, {})
        return tables

    def permute(self, state, mapping: dict) -> tuple:
        """``state`` with node ids renamed by ``mapping`` (node entries move to their new names)."""
        te, tm, tt = self._tables(mapping)
        nodes, msgs, timers, budget = state
        m = self.model
        E = m._E
        new = list(nodes)
        for e in nodes:
            e2 = te.get(e)
            if e2 is None:
                i, up, values = E[e]
                n = m.ids[i]
                e2 = te[e] = m._entry(m.index[mapping.get(n, n)], up, self.rename(values, mapping))
            new[E[e2][0]] = e2
        ms = []
        for x in msgs:
            y = tm.get(x)
            if y is None:
                y = tm[x] = m._msg(self.rename(m._M[x], mapping))
            ms.append(y)
        ms.sort(key=m._order)   # under FIFO: by (renamed) link, each link's queue kept in order
        ts = []
        for x in timers:
            y = tt.get(x)
            if y is None:
                y = tt[x] = m._timer(self.rename(m._T[x], mapping))
            ts.append(y)
        ts.sort()
        return tuple(new), tuple(ms), tuple(ts), budget

    def _t(self, what, x, p):
        key = (what, x, p)
        r = self._text.get(key)
        if r is None:
            m = self.model
            value = (m._E[x][1:] if what == 0 else m._M[x] if what == 1 else m._T[x])
            r = self._text[key] = canonical_text(self.rename(value, self._sigmap[p]))
        return r

    def _mentions(self, what, x) -> tuple:
        """The symmetric ids that an entry, message or timer mentions."""
        key = (what, x)
        r = self._ment.get(key)
        if r is None:
            m = self.model
            value = (m._E[x][2] if what == 0 else m._M[x] if what == 1 else m._T[x])
            found = set()
            rename_ids(value, _Spy(self.sym, found))
            r = self._ment[key] = tuple(q for q in self.sym if q in found)
        return r

    def _signatures(self, state) -> dict:
        """Per symmetric node: its own entry, then every entry, message and timer that mentions it,
        all with it renamed SELF and the others OTHER. Renaming the state renames nothing here."""
        nodes, msgs, timers, _budget = state
        t, ment = self._t, self._mentions
        bags = {p: [] for p in self.sym}
        for i, e in enumerate(nodes):
            for p in ment(0, e):
                bags[p].append((i if i in self.rest_set else -1, t(0, e, p)))
        for x in msgs:
            for p in ment(1, x):
                bags[p].append((-2, t(1, x, p)))
        for x in timers:
            for p in ment(2, x):
                bags[p].append((-3, t(2, x, p)))
        out = {}
        for p, bag in bags.items():
            bag.sort()
            out[p] = (t(0, nodes[self.pos[p]], p), tuple(bag))
        return out

    def canonical(self, state) -> tuple:
        """The representative of ``state``'s class (cached)."""
        hit = self._cache.get(state)
        if hit is not None:
            return hit
        sigs = self._signatures(state)
        ranked = sorted(self.sym, key=sigs.__getitem__)
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
        best, tried = None, 0
        for combo in product(*choices):
            order = tuple(p for g in combo for p in g)
            cand = state if order == self.targets else self.permute(state, dict(zip(order, self.targets)))
            tried += 1
            if best is None or cand < best:
                best = cand
            if tried >= MAX_CANDIDATES:  # still sound (a renaming), possibly less reduction
                break
        self.candidates_tried += tried
        cache = self._cache
        if len(cache) > 1_000_000:
            cache.clear()
        cache[state] = best
        return best
