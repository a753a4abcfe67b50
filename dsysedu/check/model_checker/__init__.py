"""Explicit-state model checking of the protocols the simulator runs.

The simulator follows *one* run of a protocol, chosen by a seed. A model checker
(模型检测) follows *all* of them: from the initial state it tries every action that could
happen next (any message in flight arriving, any timer firing, and, within a budget, a
message lost or duplicated, a node crashing or recovering), stores every state it reaches,
and checks a property in each. The classes are the same :class:`~dsysedu.sim.Node`
subclasses the simulator animates; a counterexample comes back as a
:class:`~dsysedu.sim.trace.Trace` that :func:`~dsysedu.viz.spacetime.spacetime` draws.

Properties:

* :func:`invariant` - P holds in every reachable state (safety: "never two leaders");
* :func:`reachable` - some reachable state satisfies P (a witness, shortest under BFS);
* :func:`within` - on every path P holds within ``k`` actions (bounded liveness);
* :func:`eventually` - P holds eventually on every fair path (see its Notes);
* :func:`deadlock_free` - every reachable state enables an action, or is declared final.

Each kind is one temporal-logic formula (LTL ``□ P``, CTL ``AG EF P``, ...): see
:mod:`~dsysedu.check.model_checker.temporal` and :func:`formulas`.

The abstractions, stated once: time is only the order of events (any pending timer may
fire next, whatever its delay); the network may deliver any message in flight next (like
``LinkModel(reorder=True)``; the simulator's default links are FIFO, so the checker
explores orders a default run never shows), or with ``Model(..., fifo=True)`` the oldest
message of any directed link; handlers are deterministic functions
of the state (``ctx.rng`` is reset at every call). The state space of a real protocol is unbounded (terms, sequence numbers grow);
a model bounds it (fewer nodes, ``fire=`` filters, budgets), and a result holds for that
bounded model only. This is how TLC and Spin are used too [1]_ [2]_.

A counterexample leaves the checker three ways: :meth:`Result.explain` (numbered actions),
:meth:`Result.to_trace` (a Trace for the space-time view and the trace checkers), and
:func:`replay_in` (clicked, event by event, into a step-mode Simulation such as a
``StepExplorer``'s, to continue from the bad state by hand).

Examples
--------
>>> from dsysedu.protocols.transactions.twopc import twopc_model, atomicity
>>> r = check(twopc_model(participants=2), atomicity)
>>> r.verdict, r.states
('ok', 40)

References
----------
.. [1] G. J. Holzmann, "The model checker SPIN", IEEE Transactions on Software Engineering 23(5), 1997.
.. [2] E. M. Clarke, O. Grumberg and D. Peled, *Model Checking*, MIT Press, 1999.
"""
from __future__ import annotations

import sys
from typing import Callable

from .result import Result, path_trace, replay_in
from .search import PROPERTY_KINDS, Property, layered_path_to, path_to, search
from .state import Action, Model, NodeReader, StateReader
from .symmetry import Symmetry, rename_ids
from .temporal import TEMPORAL, formulas

__all__ = ["Model", "Action", "StateReader", "NodeReader", "Property", "Result", "PROPERTY_KINDS", "check",
           "invariant", "reachable", "within", "eventually", "deadlock_free", "reachable_graph",
           "text_progress", "path_trace", "rename_ids", "replay", "replay_in", "TEMPORAL", "formulas"]


# ------------------------------------------------------------------------------ properties

def invariant(name: str, predicate: Callable) -> Property:
    """Always P: ``predicate(state_view)`` is true in every reachable state.

    Examples
    --------
    >>> p = invariant("at most one leader", lambda s: len([v for v in s.field("role").values() if v == "leader"]) <= 1)
    >>> p.kind
    'invariant'
    """
    return Property(name, "invariant", predicate)


def reachable(name: str, predicate: Callable) -> Property:
    """Sometimes P: some reachable state satisfies P; the path to it is the witness."""
    return Property(name, "reachable", predicate)


def within(name: str, predicate: Callable, steps: int) -> Property:
    """Bounded eventually: on every path from the initial state, P holds within ``steps`` actions.

    A path that ends (nothing enabled) before P holds violates it too.
    """
    return Property(name, "within", predicate, steps)


def eventually(name: str, predicate: Callable) -> Property:
    """Eventually P, under fairness: from every reachable state, some path leads to a P-state.

    Notes
    -----
    The checker explores the whole state graph and walks it backwards from the P-states
    (the CTL formula AG EF P). For a finite graph this is exactly "P holds eventually on
    every *fair* path", where a path is fair if any action that is enabled in a state the
    path visits infinitely often is taken infinitely often (strong fairness on the edges of
    the state graph: the scheduler and the network do not conspire forever). It is more
    than weak fairness on deliveries alone, under which a run may loop forever through
    states that each keep P out of reach by a different choice. A violation is a state from
    which no path reaches P at all: under *any* fairness assumption the run is stuck.
    Needs the whole space: a search cut by a bound gives the ``bound`` verdict.
    """
    return Property(name, "eventually", predicate)


def deadlock_free(name: str = "no deadlock") -> Property:
    """No reachable state where nothing can happen (no delivery to an up node, no timer),
    unless the model's ``final`` predicate says the protocol is done there."""
    return Property(name, "deadlock_free")


# ------------------------------------------------------------------------------ checking

def check(model: Model, prop: Property, *, strategy: str = "bfs", max_states: int = 1_000_000,
          max_depth: int | None = None, max_seconds: float | None = None, symmetry: bool = True,
          progress: Callable | None = None, progress_every: float = 1.0, record_graph: bool = False) -> Result:
    """Check one property of a model by exploring its states.

    Parameters
    ----------
    model : Model
    prop : Property
        From :func:`invariant`, :func:`reachable`, :func:`within`, :func:`eventually` or
        :func:`deadlock_free`.
    strategy : {"bfs", "dfs"}
        Breadth-first finds shortest counterexamples; depth-first goes deep first.
    max_states : int
        Stop after storing this many states (verdict ``bound`` if nothing was found).
    max_depth : int, optional
        Do not expand states this many actions from the initial state.
    max_seconds : float, optional
        Stop after about this many seconds of search (verdict ``bound`` if nothing was found).
    symmetry : bool
        Use the model's ``symmetric`` declaration (if any) to store one state per class.
    progress : callable(dict), optional
        Called about every ``progress_every`` seconds with ``states``, ``transitions``,
        ``depth``, ``frontier``, ``seconds`` and ``states_per_s`` (see :func:`text_progress`).
    record_graph : bool
        Keep every transition (``result.edges``), for :func:`dsysedu.viz.stategraph.state_graph`.

    Returns
    -------
    Result

    Raises
    ------
    TypeError, ValueError
        For a bad model, property, strategy or bound.

    Notes
    -----
    Time O(states x enabled actions) handler calls; memory O(states) (O(transitions) with
    ``record_graph`` or :func:`eventually`).
    """
    if not isinstance(model, Model):
        raise TypeError(f"check() takes a Model, got {model!r}")
    if not isinstance(prop, Property):
        raise TypeError(f"check() takes a Property (invariant(), reachable(), ...), got {prop!r}")
    if strategy not in ("bfs", "dfs"):
        raise ValueError(f"strategy must be 'bfs' or 'dfs', got {strategy!r}")
    if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1:
        raise ValueError(f"max_states must be an int >= 1, got {max_states!r}")
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError(f"max_depth must be None or an int >= 0, got {max_depth!r}")
    if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float))
                                    or not max_seconds > 0):
        raise ValueError(f"max_seconds must be None or a number > 0, got {max_seconds!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    sym = Symmetry(model) if symmetry and model.symmetric else None
    out = search(model, prop, strategy, max_states, max_depth, sym, progress, float(progress_every), record_graph,
                 max_seconds)
    verdict, message, keys = _judge(prop, out, max_states, max_depth, max_seconds)
    path = states = None
    if keys is not None:
        path, states = _concrete(model, keys, sym)
    return Result(prop.name, prop.kind, verdict, message, out["states"], out["transitions"], out["depth"],
                  out["seconds"], path, states, strategy, sym is not None, model, out["edges"])


def _judge(prop, out, max_states, max_depth, max_seconds=None):
    found, n = out["found"], out["states"]
    cut = out["cut"]
    which = {"states": f"max_states={max_states:,}", "depth": f"max_depth={max_depth}",
             "time": f"max_seconds={max_seconds:g}" if max_seconds else ""}.get(cut, "")
    bound = (f"bound reached ({which}): no violation found within {n:,} states"
             + (f", depth {max_depth}" if max_depth is not None else ""))
    kind = prop.kind
    if kind == "within":
        if found is not None:
            step, key = found
            return "violation", out["why"], layered_path_to(out["parents"], step, key)
        if not out["complete"]:
            return "bound", bound, None
        return "ok", f"every path reaches P within {prop.steps} steps ({n:,} states explored)", None
    if found is not None:
        keys = path_to(out["parent"], found)
        k = len(keys) - 1
        if kind == "invariant":
            return "violation", f"violated after {k} actions (shortest found by this search)", keys
        if kind == "reachable":
            return "ok", f"witness found: reached after {k} actions", keys
        if kind == "deadlock_free":
            return "violation", f"deadlock after {k} actions: nothing enabled and not a final state", keys
        return "violation", (f"{out['stuck']:,} of {n:,} reachable states can never reach P; "
                             f"path to the nearest one ({k} actions)"), keys
    if not out["complete"]:
        return "bound", bound, None
    if kind == "reachable":
        return "violation", f"unreachable: all {n:,} reachable states explored, none satisfies it", None
    what = {"invariant": "it holds in each", "deadlock_free": "none is a deadlock",
            "eventually": "from each, P is reachable (holds on every fair path)"}[kind]
    return "ok", f"verified: all {n:,} reachable states explored, {what}", None


def _concrete(model, keys, sym):
    """Actions and states from the true initial state that follow the path of (representative) keys."""
    if sym is None:
        return tuple(model.action(a) for a, _k in keys[1:]), tuple(k for _a, k in keys)
    state = model.initial()
    states, actions = [state], []
    for _a, key in keys[1:]:
        for b, nxt in model._successors(state):
            if sym.canonical(nxt) == key:
                actions.append(model.action(b))
                state = nxt
                states.append(nxt)
                break
        else:  # pragma: no cover - a representative always has a concrete twin
            raise RuntimeError("could not follow the counterexample from the initial state")
    return tuple(actions), tuple(states)


def replay(model: Model, actions) -> list:
    """The states visited by applying ``actions`` from the initial state (raises if one is not enabled)."""
    state = model.initial()
    out = [state]
    for a in actions:
        if a not in model.actions(state):
            raise ValueError(f"{a} is not enabled after {len(out) - 1} actions")
        state = model.step(state, a)
        out.append(state)
    return out


def reachable_graph(model: Model, max_states: int = 500, symmetry: bool = False):
    """Every reachable state and transition of a small model, as a ``networkx.MultiDiGraph``.

    Nodes are states (with ``depth``); edges carry the ``action``. Raises ValueError when
    there are more than ``max_states`` states (draw a smaller model).
    """
    import networkx as nx
    r = check(model, Property("explore", "invariant", lambda s: True), max_states=max_states,
              symmetry=symmetry, record_graph=True)
    if r.verdict != "ok":
        raise ValueError(f"the model has more than {max_states} reachable states; draw a smaller one")
    g = nx.MultiDiGraph()
    init = Symmetry(model).canonical(model.initial()) if symmetry and model.symmetric else model.initial()
    depth = {init: 0}
    order = [init]
    for a, _act, b in r.edges:
        if b not in depth:
            depth[b] = depth[a] + 1
            order.append(b)
    for k in order:
        g.add_node(k, depth=depth[k])
    for a, act, b in r.edges:
        g.add_edge(a, b, action=model.action(act))
    g.graph["initial"] = init
    g.graph["model"] = model
    return g


def text_progress(file=None) -> Callable:
    """A progress callback that prints one line per report (states, states/s, depth, frontier)."""
    out = sys.stderr if file is None else file

    def report(p):
        print(f"  {p['states']:>10,} states  {p['states_per_s']:>9,.0f} states/s  depth {p['depth']:>3}  "
              f"frontier {p['frontier']:,}  {p['seconds']:.1f} s", file=out, flush=True)
    return report
