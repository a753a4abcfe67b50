"""Theorem proving (定理证明) with z3: quorum intersection and inductive invariants.

z3 [1]_ decides whether a formula has a model. To *prove* a claim we ask for a model of
its negation: none (``unsat``) means the claim holds for every value of its variables;
a model is a *counter-model*, concrete values that break the claim. Every result here is
a :class:`Proof` with ``proved`` and, when it failed, ``counter_model`` as plain Python
values that a test or a learner can check by hand.

Two kinds of claim:

- **Quorum intersection.** Any two majorities of the same N nodes share a node: for a
  symbolic N from cardinalities (:func:`majority_intersection`: inclusion-exclusion,
  ``|A ∪ B| = |A| + |B| - |A ∩ B| <= N``), and node by node for each N up to a bound with
  sets as vectors of booleans (:func:`quorums_intersect`, which also takes weights and the
  read/write sizes of flexible quorums: read quorums meet write quorums iff ``R + W > N``).
- **Inductive invariants.** A state predicate ``Inv`` holds in every reachable state of a
  transition system if three obligations hold (:func:`check_inductive`):
  *initiation* ``Init => Inv``, *consecution* ``Inv ∧ Next => Inv'``, *safety*
  ``Inv => Safe``. When consecution fails, z3 returns a pre-state that satisfies ``Inv``
  and a step to a post-state that does not; the pre-state is always unreachable (else
  ``Safe`` itself would be broken), and ruling it out is how the invariant gets stronger.
  The worked example is a lock server with messages (:class:`LockServer`), after the
  classic one in Ivy's tutorial [2]_.

References
----------
.. [1] L. de Moura and N. Bjørner, "Z3: an efficient SMT solver", TACAS 2008.
.. [2] O. Padon, K. L. McMillan, A. Panda, M. Sagiv and S. Shoham, "Ivy: safety
   verification by interactive generalization", PLDI 2016.
.. [3] D. K. Gifford, "Weighted voting for replicated data", SOSP 1979.
.. [4] H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: quorum intersection
   revisited", OPODIS 2016.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import z3

__all__ = ["Proof", "InductionResult", "prove", "majority_intersection", "flexible_intersection",
           "quorums_intersect", "majorities_intersect_up_to", "LockServer", "check_inductive",
           "SAFETY_ONLY", "NO_GRANT_WHILE_HELD", "ONE_TOKEN"]


@dataclass(frozen=True)
class Proof:
    """The outcome of one proof obligation.

    Attributes
    ----------
    claim : str
        What was to be shown, in words.
    proved : bool
        ``True`` when z3 found the negation unsatisfiable.
    counter_model : dict or None
        When not proved: values (plain Python) that satisfy the assumptions and break the claim.
    """
    claim: str
    proved: bool
    counter_model: dict | None = None

    def __repr__(self):
        if self.proved:
            return f"proved: {self.claim}"
        return f"NOT proved: {self.claim}\n  counter-model: {self.counter_model}"

    def __bool__(self):
        return self.proved


def _value(v):
    if z3.is_true(v):
        return True
    if z3.is_false(v):
        return False
    if z3.is_int_value(v):
        return v.as_long()
    return str(v)


def _solve(constraints, smallest=(), timeout_ms: int = 10_000):
    """A model of ``constraints`` or ``None``. With ``smallest`` (z3 terms), the model that makes
    them lexicographically smallest (false before true; integers as small as they go), so a
    counter-model does not depend on what z3 solved earlier in the same process."""
    s = z3.Solver()
    s.set("timeout", int(timeout_ms))
    s.add(*constraints)
    if smallest and s.check() == z3.sat:
        # greedy lexicographic minimum: fix each term, in order, to the least value still satisfiable
        for x in smallest:
            if z3.is_bool(x):
                s.push()
                s.add(z3.Not(x))
                if s.check() == z3.sat:
                    continue  # keep Not(x) (no pop: the push stays as a scope)
                s.pop()
                s.add(x)
            else:
                s.check()  # the last check may have been an unsat probe: refresh the model
                lo = s.model().eval(x, model_completion=True).as_long()
                while True:  # integers: walk down while still satisfiable (they are small here)
                    s.push()
                    s.add(x < lo)
                    if s.check() != z3.sat:
                        s.pop()
                        break
                    lo = s.model().eval(x, model_completion=True).as_long()
                    s.pop()
                s.add(x == lo)
    r = s.check()
    if r == z3.unsat:
        return None
    if r == z3.unknown:
        raise RuntimeError(f"z3 gave up: {s.reason_unknown()}")
    return s.model()


def prove(claim, description: str = "", smallest=(), timeout_ms: int = 10_000) -> Proof:
    """Prove a z3 formula for all values of its variables, or return a counter-model.

    Parameters
    ----------
    claim : z3.BoolRef
    description : str
        The claim in words (default: the formula).
    smallest : sequence of z3 terms
        Make the counter-model the smallest in these terms, in this order (integers must be
        bounded below under ``Not(claim)``); this makes it reproducible.

    Examples
    --------
    >>> x = z3.Int("x")
    >>> prove(x * x >= 0, "squares are non-negative")
    proved: squares are non-negative
    >>> prove(z3.Implies(x >= 0, x + 1 > 1), "x + 1 > 1", smallest=[x])
    NOT proved: x + 1 > 1
      counter-model: {'x': 0}
    """
    m = _solve([z3.Not(claim)], smallest, timeout_ms)
    if m is None:
        return Proof(description or str(claim), True)
    return Proof(description or str(claim), False, {d.name(): _value(m[d]) for d in sorted(m.decls(), key=str)})


# -- quorums ------------------------------------------------------------------------

def majority_intersection() -> Proof:
    """Any two majorities of an N-set intersect, for every N (symbolic; cardinality reasoning).

    Variables are the sizes ``N, |A|, |B|, |A ∩ B|``; the facts used are inclusion-exclusion
    (``|A ∪ B| = |A| + |B| - |A ∩ B|``) and ``|A ∪ B| <= N``.

    Examples
    --------
    >>> majority_intersection().proved
    True
    """
    return flexible_intersection(majority=True)


def flexible_intersection(majority: bool = False, strict: bool = True) -> Proof:
    """Read quorums of size ``R`` meet write quorums of size ``W`` whenever ``R + W > N`` (symbolic N, R, W).

    Parameters
    ----------
    majority : bool
        Instead: both quorums are majorities, ``2|A| > N`` and ``2|B| > N``.
    strict : bool
        ``False`` weakens the assumption to ``R + W >= N`` (or ``2|A| >= N``): not enough, and z3
        returns sizes of two disjoint quorums.
    """
    n, a, b, both, union = z3.Ints("N A B A_and_B A_or_B")
    facts = [n >= 1, a >= 1, b >= 1, both >= 0, both <= a, both <= b, a <= n, b <= n,
             union == a + b - both, union <= n]
    if majority:
        assume = [2 * a > n, 2 * b > n] if strict else [2 * a >= n, 2 * b >= n]
        what = "two majorities (2|A| > N, 2|B| > N)" if strict else "two halves (2|A| >= N, 2|B| >= N)"
    else:
        assume = [a + b > n] if strict else [a + b >= n]
        what = "a read quorum A and a write quorum B with |A| + |B| > N" if strict else \
            "a read quorum A and a write quorum B with |A| + |B| >= N"
    return prove(z3.Implies(z3.And(facts + assume), both >= 1), f"{what} of an N-set share a node, for all N",
                 smallest=[n, a, b, both, union])


def quorums_intersect(n: int, read=None, write=None, weights=None) -> Proof:
    """Whether every read quorum meets every write quorum of ``n`` nodes, node by node.

    A set is a vector of ``n`` booleans (membership). A read quorum is a set whose weight is at
    least ``read``; a write quorum, at least ``write``. Defaults: weights 1 and majorities
    (``n // 2 + 1``). With weights this is Gifford's weighted voting [3]_; with ``read != write``
    it is a flexible quorum system [4]_.

    Returns
    -------
    Proof
        Proved, or a counter-model ``{"read quorum": [...], "write quorum": [...], "weights": [...]}``
        of two disjoint quorums (node ids 0..n-1).

    Examples
    --------
    >>> quorums_intersect(5).proved
    True
    >>> quorums_intersect(4, read=2, write=2)
    NOT proved: every read quorum (weight >= 2) meets every write quorum (weight >= 2) of 4 nodes
      counter-model: {'read quorum': [2, 3], 'write quorum': [0, 1], 'weights': [1, 1, 1, 1]}
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or not 1 <= n <= 64:
        raise ValueError(f"n must be an integer from 1 to 64, got {n!r}")
    weights = [1] * n if weights is None else list(weights)
    if len(weights) != n or any(isinstance(w, bool) or not isinstance(w, Integral) or w < 0 for w in weights):
        raise ValueError(f"weights must be {n} non-negative integers, got {weights!r}")
    total = sum(weights)
    read = total // 2 + 1 if read is None else read
    write = total // 2 + 1 if write is None else write
    for name, k in (("read", read), ("write", write)):
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise ValueError(f"{name} must be a positive integer (a quorum's least total weight), got {k!r}")
    a = [z3.Bool(f"a{i}") for i in range(n)]
    b = [z3.Bool(f"b{i}") for i in range(n)]
    size = lambda s: z3.Sum([z3.If(x, w, 0) for x, w in zip(s, weights)])
    claim = z3.Implies(z3.And(size(a) >= read, size(b) >= write), z3.Or([z3.And(x, y) for x, y in zip(a, b)]))
    what = (f"every read quorum (weight >= {read}) meets every write quorum (weight >= {write}) of {n} nodes"
            + ("" if set(weights) == {1} else f" with weights {weights}"))
    p = prove(claim, what, smallest=a + b)
    if p.proved:
        return p
    m = p.counter_model
    return Proof(what, False, {"read quorum": [i for i in range(n) if m.get(f"a{i}")],
                               "write quorum": [i for i in range(n) if m.get(f"b{i}")], "weights": weights})


def majorities_intersect_up_to(n_max: int = 12) -> Proof:
    """Two majorities intersect for every N from 1 to ``n_max``, checked node by node.

    Examples
    --------
    >>> majorities_intersect_up_to(6)
    proved: any two majorities of N nodes share a node, for every N from 1 to 6
    """
    what = f"any two majorities of N nodes share a node, for every N from 1 to {n_max}"
    for n in range(1, int(n_max) + 1):
        p = quorums_intersect(n)
        if not p.proved:
            return Proof(what, False, {"N": n, **p.counter_model})
    return Proof(what, True)


# -- inductive invariants -------------------------------------------------------------

class _State:
    """A state of the lock server: ``server_free``, and per client ``grant[i]`` (a grant message in
    flight), ``holds[i]``, ``release[i]`` (a release message in flight). Fields are z3 booleans."""

    def __init__(self, n, suffix="", values=None):
        mk = (lambda name: z3.BoolVal(bool(values[name]))) if values is not None else \
            (lambda name: z3.Bool(name + suffix))
        self.n = n
        self.server_free = mk("server_free")
        self.grant = [mk(f"grant_{i}") for i in range(n)]
        self.holds = [mk(f"holds_{i}") for i in range(n)]
        self.release = [mk(f"release_{i}") for i in range(n)]

    def fields(self):
        return [self.server_free] + self.grant + self.holds + self.release

    def __repr__(self):
        return f"_State({self.n} clients)"


class LockServer:
    """A lock server and ``n`` clients that talk by messages, as a transition system.

    The server holds the lock while ``server_free``. Actions, for each client ``i``:
    ``send_grant(i)`` (the free server sends a grant to ``i``), ``recv_grant(i)`` (``i`` gets it
    and holds the lock), ``unlock(i)`` (``i`` lets go and sends a release), ``recv_release(i)``
    (the server gets it and is free again). Safety: no two clients hold the lock at once.

    Variables are named ``server_free``, ``grant_<i>``, ``holds_<i>``, ``release_<i>``; a state
    given as a dict uses those names.

    Examples
    --------
    >>> ls = LockServer(2)
    >>> ls.variables[:3]
    ('server_free', 'grant_0', 'grant_1')
    >>> ls.successors({v: v == "server_free" for v in ls.variables})[0][0]
    'send_grant(0)'
    """

    def __init__(self, n: int = 2):
        if isinstance(n, bool) or not isinstance(n, Integral) or not 1 <= n <= 16:
            raise ValueError(f"n must be an integer from 1 to 16, got {n!r}")
        self.n = int(n)
        self.variables = tuple(str(v) for v in _State(self.n).fields())

    def state(self, suffix: str = "", values=None) -> _State:
        """Symbolic state (variables named with ``suffix``) or a concrete one from ``values``."""
        if values is not None:
            missing = set(self.variables) - set(values)
            if missing:
                raise ValueError(f"a state needs a value for every variable; missing {sorted(missing)}")
        return _State(self.n, suffix, values)

    def init(self, s):
        """The initial states: the server is free, no messages, nobody holds the lock."""
        return z3.And([s.server_free] + [z3.Not(x) for x in s.grant + s.holds + s.release])

    def safe(self, s):
        """Mutual exclusion: no two clients hold the lock."""
        return z3.And([z3.Not(z3.And(s.holds[i], s.holds[j]))
                       for i in range(self.n) for j in range(i + 1, self.n)] or [z3.BoolVal(True)])

    def actions(self, s, t) -> dict:
        """``{name: formula}``: each action's relation between pre-state ``s`` and post-state ``t``."""
        n, sf, tf = self.n, s.fields(), t.fields()
        G, H, R = (lambda i: 1 + i), (lambda i: 1 + n + i), (lambda i: 1 + 2 * n + i)

        def frame(*changed):  # every other variable keeps its value
            return [a == b for k, (a, b) in enumerate(zip(sf, tf)) if k not in changed]
        acts = {}
        for i in range(n):
            acts[f"send_grant({i})"] = z3.And([s.server_free, z3.Not(t.server_free), t.grant[i]] + frame(0, G(i)))
            acts[f"recv_grant({i})"] = z3.And([s.grant[i], z3.Not(t.grant[i]), t.holds[i]] + frame(G(i), H(i)))
            acts[f"unlock({i})"] = z3.And([s.holds[i], z3.Not(t.holds[i]), t.release[i]] + frame(H(i), R(i)))
            acts[f"recv_release({i})"] = z3.And([s.release[i], z3.Not(t.release[i]), t.server_free]
                                                + frame(R(i), 0))
        return acts

    def next(self, s, t):
        """The transition relation: some action leads from ``s`` to ``t``."""
        return z3.Or(list(self.actions(s, t).values()))

    def successors(self, values: dict) -> list:
        """``(action, post-state dict)`` for every action enabled in the concrete state ``values``."""
        s = self.state(values=values)
        t = self.state("_next")
        sol = z3.Solver()
        out = []
        for name, relation in self.actions(s, t).items():
            sol.push()
            sol.add(relation)
            if sol.check() == z3.sat:
                m = sol.model()
                out.append((name, {v: z3.is_true(m.eval(x, model_completion=True))
                                   for v, x in zip(self.variables, t.fields())}))
            sol.pop()
        return out

    def holds_in(self, formula_or_fn, values: dict) -> bool:
        """Evaluate an invariant (a function of a state, or a formula over the variables) in a concrete state."""
        s = self.state(values=values)
        if callable(formula_or_fn):
            f = formula_or_fn(s)
        else:
            f = z3.substitute(formula_or_fn, *[(z3.Bool(v), z3.BoolVal(bool(values[v]))) for v in self.variables])
        return z3.is_true(z3.simplify(f))


@dataclass(frozen=True)
class InductionResult:
    """The three obligations of an inductive invariant, each a :class:`Proof`."""
    name: str
    initiation: Proof
    consecution: Proof
    safety: Proof

    @property
    def proved(self) -> bool:
        """All three obligations hold, so the invariant (and safety) holds in every reachable state."""
        return self.initiation.proved and self.consecution.proved and self.safety.proved

    @property
    def counter_model(self) -> dict | None:
        """The first failed obligation's counter-model (``None`` when proved)."""
        for p in (self.initiation, self.consecution, self.safety):
            if not p.proved:
                return p.counter_model
        return None

    def __repr__(self):
        lines = [f"invariant {self.name!r}: {'PROVED' if self.proved else 'NOT proved'}"]
        for label, p in (("initiation ", self.initiation), ("consecution", self.consecution),
                         ("safety     ", self.safety)):
            lines.append(f"  {label}: {'proved' if p.proved else 'FAILS'}")
            if not p.proved:
                for k, v in p.counter_model.items():
                    lines.append(f"      {k}: {_short(v)}")
        return "\n".join(lines)


def _short(v):
    """A state dict shown as the variables that are true."""
    if isinstance(v, dict):
        on = [k for k, x in v.items() if x is True]
        return "{" + ", ".join(on) + "}" if on else "{} (all false)"
    return str(v)


def _as_fn(system, invariant):
    if callable(invariant):
        return invariant
    if isinstance(invariant, z3.BoolRef):
        canon = system.state()
        return lambda s: z3.substitute(invariant, *list(zip(canon.fields(), s.fields())))
    raise TypeError(f"an invariant is a function of a state or a z3 formula over {system.variables[:3]}..., "
                    f"got {invariant!r}")


def check_inductive(system, invariant, name: str = "") -> InductionResult:
    """Check the three obligations of an inductive invariant of ``system`` (a :class:`LockServer`).

    Parameters
    ----------
    invariant : callable or z3.BoolRef
        A function ``state -> formula`` (fields ``server_free``, ``grant[i]``, ``holds[i]``,
        ``release[i]``), or a formula over the variables ``server_free``, ``grant_0``...
    name : str

    Returns
    -------
    InductionResult
        Consecution's counter-model is ``{"pre": {...}, "action": "...", "post": {...}}`` with
        states as dicts ``variable -> bool``.

    Examples
    --------
    >>> check_inductive(LockServer(2), ONE_TOKEN).proved
    True
    >>> r = check_inductive(LockServer(2), SAFETY_ONLY)
    >>> r.consecution.proved, r.counter_model["action"]
    (False, 'recv_grant(1)')
    """
    inv = _as_fn(system, invariant)
    name = name or getattr(invariant, "__name__", "") or str(invariant)
    s, t = system.state(), system.state("_next")
    try:
        f_s, f_t = inv(s), inv(t)
    except NotImplementedError:
        raise  # an invariant not written yet: the exercises say so kindly
    except Exception as exc:
        raise TypeError(f"the invariant could not be applied to a state: {exc}") from exc
    if not isinstance(f_s, z3.BoolRef):
        raise TypeError(f"the invariant must return a z3 boolean formula, got {f_s!r}")
    init = prove(z3.Implies(system.init(s), f_s), "initiation: every initial state satisfies the invariant",
                 smallest=s.fields())
    if not init.proved:
        init = Proof(init.claim, False, {"state": _state_of(system, init.counter_model, "")})
    safety = prove(z3.Implies(f_s, system.safe(s)), "safety: every state satisfying the invariant is safe",
                   smallest=s.fields())
    if not safety.proved:
        safety = Proof(safety.claim, False, {"state": _state_of(system, safety.counter_model, "")})
    claim = "consecution: every step from a state satisfying the invariant leads to one that does"
    m = _solve([f_s, system.next(s, t), z3.Not(f_t)], smallest=s.fields() + t.fields())
    if m is None:
        cons = Proof(claim, True)
    else:
        val = lambda x: z3.is_true(m.eval(x, model_completion=True))
        pre = {v: val(x) for v, x in zip(system.variables, s.fields())}
        post = {v: val(x) for v, x in zip(system.variables, t.fields())}
        action = next(a for a, f in system.actions(s, t).items() if val(f))
        cons = Proof(claim, False, {"pre": pre, "action": action, "post": post})
    return InductionResult(name, init, cons, safety)


def _state_of(system, model, suffix):
    return {v: bool(model.get(v + suffix, False)) for v in system.variables}


# -- three candidate invariants for the lock server: a strengthening story ------------------

def SAFETY_ONLY(s):
    """Just the property: no two clients hold the lock. True, but not inductive."""
    return z3.And([z3.Not(z3.And(s.holds[i], s.holds[j])) for i in range(s.n) for j in range(i + 1, s.n)]
                  or [z3.BoolVal(True)])


def NO_GRANT_WHILE_HELD(s):
    """Safety, plus: no grant is in flight while someone holds the lock. Stronger, still not inductive."""
    return z3.And(SAFETY_ONLY(s), *[z3.Not(z3.And(s.grant[i], s.holds[j]))
                                    for i in range(s.n) for j in range(s.n)])


def ONE_TOKEN(s):
    """Exactly one of: the server is free, a grant in flight, a client holds, a release in flight.

    The lock behaves like one token that moves server -> grant message -> client -> release
    message -> server; this invariant says so, and it is inductive.
    """
    places = s.fields()
    return z3.And(z3.Or(places), *[z3.Not(z3.And(a, b)) for k, a in enumerate(places) for b in places[k + 1:]])
