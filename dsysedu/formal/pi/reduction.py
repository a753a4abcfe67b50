"""π-calculus semantics: free names, capture-avoiding substitution, the standard form up to structural
congruence, and reduction by communication (bounded by ``max_steps``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .syntax import In, New, Nil, Out, Par, Rep, Sum, _term, parse, show, summands  # noqa: F401  (parse: examples)

__all__ = ["free_names", "substitute", "normal_form", "Step", "Reduction", "redexes", "step", "reduce",
           "MOBILITY", "EXTRUSION", "SERVER", "CHOICE"]

# -- names and substitution ------------------------------------------------------------

def free_names(p) -> frozenset:
    """The names of ``p`` not bound by an input or a restriction.

    Examples
    --------
    >>> sorted(free_names(parse("(new b) a<b>.0 | a(x).x<c>.0")))
    ['a', 'c']
    """
    p = _term(p)
    if isinstance(p, Nil):
        return frozenset()
    if isinstance(p, Out):
        return frozenset((p.channel, p.message)) | free_names(p.then)
    if isinstance(p, In):
        return frozenset((p.channel,)) | (free_names(p.then) - {p.variable})
    if isinstance(p, (Par, Sum)):
        return free_names(p.left) | free_names(p.right)
    if isinstance(p, New):
        return free_names(p.body) - {p.name}
    return free_names(p.body)


def _all_names(p) -> set:
    if isinstance(p, Nil):
        return set()
    if isinstance(p, Out):
        return {p.channel, p.message} | _all_names(p.then)
    if isinstance(p, In):
        return {p.channel, p.variable} | _all_names(p.then)
    if isinstance(p, (Par, Sum)):
        return _all_names(p.left) | _all_names(p.right)
    if isinstance(p, New):
        return {p.name} | _all_names(p.body)
    return _all_names(p.body)


def _fresh(base: str, avoid) -> str:
    """``base`` itself if unused, else ``base1``, ``base2``... (trailing digits of ``base`` dropped)."""
    if base not in avoid:
        return base
    stem = base.rstrip("0123456789'") or "n"
    k = 1
    while f"{stem}{k}" in avoid:
        k += 1
    return f"{stem}{k}"


def substitute(p, x: str, b: str):
    """``p{b/x}``: every free ``x`` of ``p`` replaced by ``b``, renaming binders that would capture ``b``.

    Examples
    --------
    >>> show(substitute(parse("(new b) x<b>.0"), "x", "b"))
    '(new b1) b<b1>.0'
    """
    p = _term(p)
    if x == b:
        return p
    r = lambda n: b if n == x else n
    if isinstance(p, Nil):
        return p
    if isinstance(p, Out):
        return Out(r(p.channel), r(p.message), substitute(p.then, x, b))
    if isinstance(p, (Par, Sum)):
        return type(p)(substitute(p.left, x, b), substitute(p.right, x, b))
    if isinstance(p, Rep):
        return Rep(substitute(p.body, x, b))
    bound, body = (p.variable, p.then) if isinstance(p, In) else (p.name, p.body)
    if bound != x and x in free_names(body):
        if bound == b:  # the binder would capture b: rename it first (alpha-conversion)
            new = _fresh(bound, _all_names(body) | {x, b})
            body, bound = substitute(body, bound, new), new
        body = substitute(body, x, b)
    return In(r(p.channel), bound, body) if isinstance(p, In) else New(bound, body)


# -- structural congruence: the standard form (new n1 ... nk)(G1 | ... | Gm) -------------

def _flatten(p, avoid: set, names: list, comps: list) -> None:
    """Add ``p``'s restrictions (renamed away from ``avoid``) to ``names`` and its guarded or
    replicated components to ``comps``; ``avoid`` grows with every name chosen."""
    if isinstance(p, Nil):
        return
    if isinstance(p, Par):
        _flatten(p.left, avoid, names, comps)
        _flatten(p.right, avoid, names, comps)
    elif isinstance(p, New):
        a = _fresh(p.name, avoid)
        avoid.add(a)
        names.append(a)
        _flatten(substitute(p.body, p.name, a) if a != p.name else p.body, avoid, names, comps)
    else:
        comps.append(p)


def _assemble(names, comps):
    body = Nil()
    for c in comps:
        body = c if isinstance(body, Nil) else Par(body, c)
    used = set().union(*(free_names(c) for c in comps)) if comps else set()
    for a in reversed(names):
        if a in used:  # (new a) P == P when a is not free in P
            body = New(a, body)
    return body


def normal_form(p):
    """``p`` up to structural congruence: restrictions outermost (renamed apart, unused ones dropped),
    then the parallel components, ``0`` removed.

    Examples
    --------
    >>> show(normal_form(parse("(new b) a<b>.0 | (0 | (new b) b<c>.0)")))
    '(new b) (new b1) (a<b>.0 | b1<c>.0)'
    """
    p = _term(p)
    names, comps = [], []
    _flatten(p, set(free_names(p)), names, comps)
    return _assemble(names, comps)


# -- reduction --------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One communication: ``sender`` and ``receiver`` meet on ``channel``; ``variable := message``.

    ``dropped`` holds the branches of a choice that lost: the other summands of the sender's
    and the receiver's sums, thrown away by this step."""
    before: object
    after: object
    channel: str
    message: str
    variable: str
    sender: object
    receiver: object
    unfolded: tuple = ()
    dropped: tuple = ()

    @property
    def substitution(self) -> str:
        """``{message/variable}``, the substitution applied to the receiver's continuation."""
        return f"{{{self.message}/{self.variable}}}"

    def __str__(self):
        rep = f" (a copy of {', '.join(self.unfolded)})" if self.unfolded else ""
        lost = f"; choice drops {', '.join(self.dropped)}" if self.dropped else ""
        return (f"{self.label}: {self.substitution}{rep}{lost}\n  --> {show(self.after)}")

    @property
    def label(self) -> str:
        """``a<b> meets a(x) on 'a'``: the two prefixes that communicate."""
        return f"{show(self.sender).split('.')[0]} meets {show(self.receiver).split('.')[0]} on {self.channel!r}"


@dataclass(frozen=True)
class Reduction:
    """A bounded run: the start term, its steps, and why it stopped (``"no redex"`` or ``"step limit"``)."""
    start: object
    steps: tuple
    stopped: str

    @property
    def final(self):
        return self.steps[-1].after if self.steps else self.start

    def __str__(self):
        lines = [f"   {show(self.start)}"]
        for i, s in enumerate(self.steps, 1):
            lines.append(f"{i}. {s}")
        lines.append(f"stopped: {self.stopped} after {len(self.steps)} step(s)")
        return "\n".join(lines)

    __repr__ = __str__


def _copy(rep, avoid):
    """A fresh copy of replicated ``rep``: its restrictions renamed apart from ``avoid``."""
    names, copy = [], []
    _flatten(rep.body, set(avoid), names, copy)
    return names, copy


def _guards(c) -> list:
    """``(branch, prefix)`` for each prefix a component offers: itself (branch None), or each
    prefix branch of a sum (a choice offers all its branches; ``0`` branches offer nothing)."""
    if isinstance(c, (Out, In)):
        return [(None, c)]
    if isinstance(c, Sum):
        return [(b, g) for b, g in enumerate(summands(c)) if isinstance(g, (Out, In))]
    return []


def _sides(comps, avoid):
    """Where a sender or receiver may come from: ``("plain", k, b)`` or ``("rep", k, j, b)`` (the
    ``j``-th component of a copy of the replicated component ``k``); ``b`` is the branch of a sum."""
    out = []
    for k, c in enumerate(comps):
        if isinstance(c, Rep):
            out += [("rep", k, j, b) for j, g in enumerate(_copy(c, avoid)[1]) for b, _p in _guards(g)]
        else:
            out += [("plain", k, b) for b, _p in _guards(c)]
    return out


def _branch(c, b):
    return c if b is None else summands(c)[b]


def _losers(c, b) -> tuple:
    """The branches of ``c`` a step through branch ``b`` throws away (none unless ``c`` is a sum)."""
    return () if b is None else tuple(show(g) for j, g in enumerate(summands(c)) if j != b and not isinstance(g, Nil))


def redexes(p) -> list:
    """Every one-step reduct of ``p``, as :class:`Step` values, in a fixed order (senders in component order).

    Examples
    --------
    >>> [show(s.after) for s in redexes("a<b>.0 | a(x).x<c>.0")]
    ['b<c>.0']
    """
    p = normal_form(p)
    names, comps = [], []
    avoid = _all_names(p)
    _flatten(p, set(free_names(p)), names, comps)
    sides = _sides(comps, avoid)
    kind = lambda side: type(_branch(comps[side[1]], side[2]) if side[0] == "plain"
                             else _branch(_copy(comps[side[1]], avoid)[1][side[2]], side[3]))
    senders = [s for s in sides if kind(s) is Out]
    receivers = [s for s in sides if kind(s) is In]
    found = []
    for o in senders:
        for i in receivers:
            if o[0] == i[0] == "plain" and o[1] == i[1]:
                continue   # two branches of one choice: one process, it cannot talk to itself
            shared = [False, True] if o[0] == i[0] == "rep" and o[1] == i[1] else [False]
            for same_copy in shared:
                if same_copy and o[2] == i[2]:
                    continue   # the same choice inside one copy
                # materialise the copies: each replicated side gets its own, unless both use one copy
                extra_names, copies, used = [], {}, set(avoid)
                for side in (o, i):
                    if side[0] == "rep" and (side is o or not same_copy):
                        nm, cp = _copy(comps[side[1]], used)
                        used |= set(nm) | set().union(*(_all_names(c) for c in cp))
                        extra_names += nm
                        copies[side is o] = cp
                if same_copy:
                    copies[False] = copies[True]
                whole_out = comps[o[1]] if o[0] == "plain" else copies[True][o[2]]
                whole_in = comps[i[1]] if i[0] == "plain" else copies[False][i[2]]
                out, inp = _branch(whole_out, o[-1]), _branch(whole_in, i[-1])
                if out.channel != inp.channel:
                    continue
                received = substitute(inp.then, inp.variable, out.message)
                new_comps = []
                for k, c in enumerate(comps):
                    if o[0] == "plain" and o[1] == k:
                        new_comps.append(out.then)
                    elif i[0] == "plain" and i[1] == k:
                        new_comps.append(received)
                    else:
                        for side, is_out in ((o, True), (i, False)):
                            if side[0] == "rep" and side[1] == k and (is_out or not same_copy):
                                rest = [x for j, x in enumerate(copies[is_out])
                                        if j not in ((o[2], i[2]) if same_copy else (side[2],))]
                                new_comps += rest
                                if same_copy:
                                    new_comps += [out.then, received]
                                else:
                                    new_comps.append(out.then if is_out else received)
                        new_comps.append(c)
                after = normal_form(_assemble(names + extra_names, new_comps))
                unfolded = tuple(show(comps[s[1]]) for s in ((o,) if same_copy else (o, i)) if s[0] == "rep")
                dropped = _losers(whole_out, o[-1]) + _losers(whole_in, i[-1])
                found.append(Step(p, after, out.channel, out.message, inp.variable, out, inp, unfolded, dropped))
    return found


def step(p, choice: int = 0):
    """The ``choice``-th one-step reduct of ``p`` (a :class:`Step`), or ``None`` when nothing can reduce."""
    options = redexes(p)
    return options[choice] if choice < len(options) else None


def reduce(p, max_steps: int = 20, seed=None) -> Reduction:
    """Reduce ``p`` until nothing can communicate or ``max_steps`` steps were taken.

    Parameters
    ----------
    p : term or str
    max_steps : int
        The bound: replication can reduce for ever.
    seed : None, int or numpy.random.Generator
        ``None``: always take the first redex (senders in component order). Otherwise pick
        among the redexes at random with this seed: the same seed gives the same run.

    Examples
    --------
    >>> r = reduce(MOBILITY)
    >>> r.stopped, len(r.steps), show(r.final)
    ('no redex', 3, '0')
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
        raise ValueError(f"max_steps must be a non-negative integer, got {max_steps!r}")
    rng = None if seed is None else np.random.default_rng(seed)
    start = normal_form(p)
    cur, steps = start, []
    while len(steps) < max_steps:
        options = redexes(cur)
        if not options:
            return Reduction(start, tuple(steps), "no redex")
        s = options[0] if rng is None else options[int(rng.integers(len(options)))]
        steps.append(s)
        cur = s.after
    return Reduction(start, tuple(steps), "no redex" if not redexes(cur) else "step limit")


MOBILITY = "(new b) a<b>.b(y).y<ok>.0 | a(x).x<c>.0 | c(z).0"
"""Channel mobility: a private channel ``b`` is sent over ``a``; the receiver then uses it to send ``c``
back, and the sender uses the channel ``c`` it just learnt. The link topology changes as names move."""

EXTRUSION = "(new b) a<b>.b<s>.0 | a(x).(x(y).0 | b<t>.0)"
"""Scope extrusion: the private ``b`` leaves its scope; the receiver's own free ``b`` is another channel,
so after the step the private one is renamed and the two never meet."""

SERVER = "!request(r).r<answer>.0 | request<c1>.0 | request<c2>.0"
"""A replicated server: each client's request meets a fresh copy of the server."""

CHOICE = "yes(v).decided<v>.0 + no(v).retry<v>.0 | yes<a>.0 | no<b>.0"
"""A choice (P + Q): the first branch to communicate wins and the other is thrown away, so the
receiver takes ``a`` on ``yes`` *or* ``b`` on ``no``, never both; the losing sender is left waiting."""
