"""Searching the state space: breadth-first, depth-first, and the checks built on them.

Every search is bounded by a number of states and, optionally, a depth, so it always ends.
It ends with one of three verdicts, never confused:

``ok``
    the property holds: *all* reachable states were explored (or, for ``reachable``,
    a witness was found);
``violation``
    a counterexample was found (for ``reachable``: the whole space was explored and no
    state satisfies the predicate);
``bound``
    the search stopped at its bound with no violation found: nothing is proved.

Breadth-first search finds a shortest counterexample (fewest actions from the initial
state); depth-first search uses less memory on deep models. States are stored in a hash
set of their canonical tuples (under symmetry: of their class representatives).
A predicate that reads only the nodes is asked once per tuple of node states, not once
per state (:func:`predicate_on`).
"""
from __future__ import annotations

import gc
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .state import StateReader
from .values import NodesOnlyReader

__all__ = ["Property", "PROPERTY_KINDS", "search", "predicate_on"]

PROPERTY_KINDS = ("invariant", "reachable", "within", "eventually", "deadlock_free")


@dataclass(frozen=True)
class Property:
    """A property of a model.

    Parameters
    ----------
    name : str
    kind : str
        ``invariant`` (always P), ``reachable`` (sometimes P: find a witness),
        ``within`` (on every path P holds within ``steps`` actions), ``eventually``
        (from every reachable state a P-state is reachable: P holds eventually on every
        fair path, see :func:`dsysedu.check.model_checker.eventually`), or
        ``deadlock_free`` (no reachable state has nothing enabled, unless it is final).
    predicate : callable(StateReader) -> bool, optional
        Not used by ``deadlock_free``.
    steps : int, optional
        For ``within``.
    """
    name: str
    kind: str
    predicate: Callable | None = field(default=None, compare=False)
    steps: int | None = None

    def __post_init__(self):
        if self.kind not in PROPERTY_KINDS:
            raise ValueError(f"unknown property kind {self.kind!r}; kinds are {', '.join(PROPERTY_KINDS)}")
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"a property needs a name (a non-empty str), got {self.name!r}")
        if self.kind != "deadlock_free" and not callable(self.predicate):
            raise TypeError(f"property {self.name!r} ({self.kind}) needs a predicate: a callable(StateReader) -> bool")
        if self.kind == "within":
            if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
                raise ValueError(f"property {self.name!r}: steps must be an int >= 0, got {self.steps!r}")


class _Run:
    """Counters, bounds and progress reports shared by the searches."""

    def __init__(self, max_states, max_depth, progress, every, max_seconds=None):
        self.max_states, self.max_depth = max_states, max_depth
        self.progress, self.every = progress, every
        self.t0 = self.last = time.perf_counter()
        self.transitions = 0
        self.depth = 0
        self.cut = None          # why the search stopped short, if it did
        self.edges = None        # (state, action, state) when a graph is recorded
        self.deadline = None if max_seconds is None else self.t0 + max_seconds

    def out_of_time(self) -> bool:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.cut = "time"
            return True
        return False

    def tick(self, states: int, frontier: int) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            el = now - self.t0
            self.progress({"states": states, "transitions": self.transitions, "depth": self.depth,
                           "frontier": frontier, "seconds": el, "states_per_s": states / el if el else 0.0})


def search(model, prop: Property, strategy, max_states, max_depth, sym, progress, every, record, max_seconds=None):
    """Run one check; returns a dict of raw results that :class:`Result` wraps."""
    run = _Run(max_states, max_depth, progress, every, max_seconds)
    if record:
        run.edges = []
    # millions of small tuples, no cycles worth collecting: the cyclic GC would rescan them again
    # and again (as in the simulation kernel), so it waits until the search ends
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if prop.kind == "within":
            out = _within(model, prop, run, sym)
        elif prop.kind == "eventually":
            out = _eventually(model, prop, run, sym, strategy)
        else:
            out = _explore(model, prop, run, sym, strategy)
    finally:
        if gc_was_enabled:
            gc.enable()
    out["transitions"] = run.transitions
    out["depth"] = run.depth
    out["seconds"] = time.perf_counter() - run.t0
    if progress is not None:   # one last report with the final numbers
        run.last = -float("inf")
        run.tick(out["states"], 0)
    out["cut"] = run.cut
    out["edges"] = run.edges
    return out


def predicate_on(model, p: Callable, negate: bool = False, name: str | None = None) -> Callable:
    """``p`` (``not p`` if ``negate``) as a function of a state key, remembered per tuple of
    node entries while it can be.

    Most predicates read only the nodes' fields, and many states share their nodes (they
    differ in the messages in flight or the timers). Each call gets a
    :class:`~dsysedu.check.model_checker.values.NodesOnlyReader`; as long as no call reads past the nodes
    (messages, timers, the raw state or model), the answer is remembered for the node
    tuple ``state[0]``. After the first call that does, every state is asked afresh.
    Predicates must be functions of what they read (as the course's handlers are), and
    return a truth value: ``None`` (a forgotten ``return``) raises TypeError naming ``name``.
    """
    memo: dict = {}
    wide = False
    label = name if name is not None else getattr(p, "__name__", repr(p))

    def call(view):
        v = p(view)
        if v is None:  # a predicate that forgot its ``return``: not a verdict
            raise TypeError(f"the predicate of property {label!r} returned None; it must return True or False "
                            f"(a missing return statement?)")
        return not v if negate else bool(v)

    def ask(state):
        nonlocal wide
        if wide:
            return call(StateReader(model, state))
        nodes = state[0]
        v = memo.get(nodes)
        if v is None:
            view = NodesOnlyReader(model, state)
            v = call(view)
            if view.wide:
                wide = True
                memo.clear()
            else:
                memo[nodes] = v
        return v
    return ask


def _target(model, prop):
    """The predicate whose states end the search: bad states, witnesses, deadlocks."""
    if prop.kind == "invariant":
        return predicate_on(model, prop.predicate, negate=True, name=prop.name)
    if prop.kind == "reachable":
        return predicate_on(model, prop.predicate, name=prop.name)
    if prop.kind == "deadlock_free":
        return model.is_deadlock
    return None


def _explore(model, prop, run, sym, strategy, target=...):
    """BFS or DFS over the reachable states; stops at the first target state."""
    if target is ...:
        target = _target(model, prop)
    canon = sym.canonical if sym is not None else None
    init = model.initial()
    k0 = canon(init) if canon else init
    parent = {k0: None}        # key -> (parent key, action, depth) for the path back
    if target is not None and target(k0):
        return {"found": k0, "parent": parent, "states": 1, "complete": False}
    successors = model._successors
    max_states, max_depth = run.max_states, run.max_depth
    edges = run.edges
    frontier = deque([(k0, 0)])
    pop = frontier.popleft if strategy == "bfs" else frontier.pop
    push = frontier.append
    revisit = strategy == "dfs" and max_depth is not None
    plain = canon is None and edges is None and not revisit
    n_seen = 1
    expanded = 0
    transitions = 0
    while frontier:
        k, d = pop()
        expanded += 1
        if not (expanded & 255):
            run.transitions = transitions
            run.tick(n_seen, len(frontier))
            if run.out_of_time():
                break
        if max_depth is not None and d >= max_depth:
            if model._enabled(k):
                run.cut = run.cut or "depth"
            continue
        if revisit and parent[k] is not None and parent[k][2] < d:
            continue   # a stale entry: this state was reached sooner since it was pushed
        d1 = d + 1
        if d1 > run.depth:
            run.depth = d1
        succ = successors(k)
        transitions += len(succ)
        if plain:   # the common case, without the branches below
            for action, nk in succ:
                if nk in parent:
                    continue
                if n_seen >= max_states:
                    run.cut = "states"
                    frontier.clear()
                    break
                n_seen += 1
                parent[nk] = (k, action, d1)
                if target is not None and target(nk):
                    run.transitions = transitions
                    return {"found": nk, "parent": parent, "states": n_seen, "complete": False}
                push((nk, d1))
            continue
        for action, nk in succ:
            if canon is not None:
                nk = canon(nk)
            if edges is not None:
                edges.append((k, action, nk))
            if nk in parent:
                if revisit:
                    old = parent[nk]
                    if old is not None and d1 < old[2]:
                        parent[nk] = (k, action, d1)   # reached sooner: its successors may now fit in the depth
                        push((nk, d1))
                continue
            if n_seen >= max_states:
                run.cut = "states"
                frontier.clear()
                break
            n_seen += 1
            parent[nk] = (k, action, d1)
            if target is not None and target(nk):
                run.transitions = transitions
                return {"found": nk, "parent": parent, "states": n_seen, "complete": False}
            push((nk, d1))
    run.transitions = transitions
    return {"found": None, "parent": parent, "states": n_seen, "complete": run.cut is None}


def _within(model, prop, run, sym):
    """On every path, P within ``steps`` actions: look for a P-free path of that length (or a
    P-free path that ends early, in a state with nothing enabled)."""
    p = predicate_on(model, prop.predicate, name=prop.name)
    canon = sym.canonical if sym is not None else None
    init = model.initial()
    k0 = canon(init) if canon else init
    layer = {k0: None}
    parents = [layer]
    seen = {k0}
    total = 1
    for step in range(prop.steps + 1):
        nxt_layer = {}
        for k in layer:
            if p(k):
                continue
            if step == prop.steps:
                return {"found": (step, k), "parents": parents, "states": len(seen), "complete": False,
                        "why": f"no P-state within {prop.steps} steps"}
            succ = model._successors(k)
            if not succ:
                return {"found": (step, k), "parents": parents, "states": len(seen), "complete": False,
                        "why": f"the run ends after {step} steps without P"}
            for action, nxt in succ:
                run.transitions += 1
                nk = canon(nxt) if canon else nxt
                if nk not in nxt_layer:
                    nxt_layer[nk] = (k, action)
                    if nk not in seen:
                        seen.add(nk)
                        total += 1
                        if total >= run.max_states:
                            run.cut = "states"
                            return {"found": None, "parents": parents, "states": len(seen), "complete": False}
        run.depth = step + 1
        if not nxt_layer:
            break
        layer = nxt_layer
        parents.append(layer)
        run.tick(len(seen), len(layer))
        if run.out_of_time():
            return {"found": None, "parents": parents, "states": len(seen), "complete": False}
    return {"found": None, "parents": parents, "states": len(seen), "complete": True}


def _eventually(model, prop, run, sym, strategy):
    """AG EF P: explore everything, then walk back from the P-states; a state left over is
    one from which P can never happen."""
    run.edges = run.edges if run.edges is not None else []
    out = _explore(model, prop, run, sym, strategy, target=None)
    if not out["complete"]:
        return out
    p = predicate_on(model, prop.predicate, name=prop.name)
    back: dict = {}
    for a, _act, b in run.edges:
        back.setdefault(b, []).append(a)
    good = [k for k in out["parent"] if p(k)]
    reach = set(good)
    todo = list(good)
    while todo:
        b = todo.pop()
        for a in back.get(b, ()):
            if a not in reach:
                reach.add(a)
                todo.append(a)
    stuck = [k for k in out["parent"] if k not in reach]
    if stuck:
        parent = out["parent"]
        worst = min(stuck, key=lambda k: 0 if parent[k] is None else parent[k][2])
        out["found"] = worst
        out["complete"] = False
        out["stuck"] = len(stuck)
    return out


def path_to(parent: dict, key) -> list:
    """Actions and keys from the initial state to ``key``: ``[(None, k0), (a1, k1), ...]``."""
    steps = []
    while key is not None:
        prev = parent[key]
        if prev is None:
            steps.append((None, key))
            break
        steps.append((prev[1], key))
        key = prev[0]
    steps.reverse()
    return steps


def layered_path_to(parents: list, step: int, key) -> list:
    steps = []
    for d in range(step, -1, -1):
        prev = parents[d][key]
        steps.append((prev[1] if prev else None, key))
        if prev is None:
            break
        key = prev[0]
    steps.reverse()
    return steps
