"""The search behind :func:`~dsysedu.check.linearizability.check_linearizable`: Wing and Gong's
depth-first search with Lowe's memoization, as a generator that pauses and resumes.

The history becomes a doubly linked list of call and return events in time order; the search
repeatedly *linearizes* a call (applies it to the model and lifts the call and its return out of the
list) and backs up when it meets the return of an operation it has not yet placed. A set of
(linearized operations as a bitset, model state) pairs cuts off every configuration already explored.
The loop is written out in one function, with its tables in local variables, because a check spends
nearly all its time here.

References
----------
.. [1] J. M. Wing and C. Gong, "Testing and verifying concurrent objects", Journal of Parallel
   and Distributed Computing 17(1-2), 1993.
.. [2] G. Lowe, "Testing for linearizability", Concurrency and Computation: Practice and
   Experience 29(4), 2017.
"""
from __future__ import annotations

import math

__all__ = ["SearchBudgetExceeded"]


class SearchBudgetExceeded(ValueError):
    """The search used up its ``max_steps`` before it could decide.

    When raised by :func:`check_linearizable`, ``decided`` holds the keys found linearizable
    and ``undecided`` maps each key left undecided to why.
    """

    decided: tuple = ()
    undecided: dict = {}


def _search(ops, model, budget):
    """Wing-Gong-Lowe search over ``ops``: (True, witness ids, steps) or (False, frontier, steps).

    The frontier is the latest completion time the search ever stood before and could not pass.
    Raises :class:`SearchBudgetExceeded` when ``budget`` steps do not decide.
    """
    search = _searcher(ops, model)
    try:
        next(search)
        search.send(budget)
    except StopIteration as done:
        return done.value
    raise SearchBudgetExceeded(f"linearizability search used its budget of {budget:,} steps on "
                               f"{len(ops)} operations without deciding; raise max_steps (e.g. "
                               f"check_linearizable(h, model, max_steps={budget * 10:_}))")


def _searcher(ops, model):
    """The search of :func:`_search` as a generator that can pause and resume.

    Prime it with ``next()``, then ``send(k)`` to let it take ``k`` more steps: it yields the
    steps used so far when the allowance runs out undecided, and returns (``StopIteration.value``)
    ``(True, witness ids, steps)`` or ``(False, frontier, steps)`` when it decides. Pausing
    keeps its memo table, so a key searched in slices costs no more than one searched at once.
    """
    n = len(ops)
    budget = yield 0
    if n == 0:
        return True, (), 0
    events = sorted([(op.invoke, 0, i) for i, op in enumerate(ops)] + [(op.end, 1, i) for i, op in enumerate(ops)])
    m = 2 * n
    head = m
    is_call = [e[1] == 0 for e in events]
    index = [e[2] for e in events]
    match = [0] * m                     # call position -> return position
    call_at = {}
    for p, (_, kind, i) in enumerate(events):
        if kind == 0:
            call_at[i] = p
        else:
            match[call_at[i]] = p
    nxt = list(range(1, m + 1)) + [0]   # position m is the head sentinel
    nxt[m - 1] = -1
    prv = [m] + list(range(0, m - 1)) + [-1]
    nxt[head] = 0
    remaining = sum(1 for op in ops if op.status == "ok")
    readonly = set(getattr(model, "readonly", ()) or ())
    quiet = [op.kind in readonly for op in ops]      # operations that never change the state
    apply = _compiled(model, ops)                    # apply[i](state) -> (ok, new state)
    # per list position: a call of a quiet operation (its apply), another call (None), or a return (False)
    read_at = [(apply[index[q]] if quiet[index[q]] else None) if is_call[q] else False for q in range(m)]
    done_at = [ops[index[q]].status == "ok" for q in range(m)]
    bit_at = [1 << index[q] for q in range(m)]
    state, lin, stack, seen, steps = model.init(), 0, [], set(), 0
    seen_add, push, pop = seen.add, stack.append, stack.pop

    p, fresh, frontier = nxt[head], True, -math.inf
    while remaining:
        steps += 1
        while steps > budget:
            budget += yield steps - 1               # paused: the caller sends more steps
        if fresh:
            # A read that may take effect now can always go first (it changes nothing, and every
            # operation still open ends after it began): place it without branching. The list
            # always ends in returns, so the scan stops at one.
            fresh, q = False, p
            while True:
                f = read_at[q]
                if f is False or (f is not None and f(state)[0]):
                    break
                q = nxt[q]
            if f is not False:
                cfg = (lin | bit_at[q], state)
                if cfg not in seen:
                    seen_add(cfg)
                    push((q, state, True))
                    lin = cfg[0]
                    remaining -= done_at[q]
                    a, b = prv[q], nxt[q]            # lift the call and its return out of the list
                    nxt[a] = b
                    prv[b] = a
                    r = match[q]
                    a, b = prv[r], nxt[r]
                    nxt[a] = b
                    if b != -1:
                        prv[b] = a
                    p, fresh = nxt[head], True
                    continue
                p = -2                               # explored before, and it failed: back up
        f = read_at[p] if p >= 0 else False
        if f is False:                               # an unplaced operation returned: back up
            if p >= 0:
                frontier = max(frontier, events[p][0])
            while True:
                if not stack:
                    return False, frontier, steps
                q, state, forced = pop()
                lin ^= bit_at[q]
                remaining += done_at[q]
                r = match[q]                         # put the return, then the call, back
                a, b = prv[r], nxt[r]
                nxt[a] = r
                if b != -1:
                    prv[b] = r
                a, b = prv[q], nxt[q]
                nxt[a] = q
                prv[b] = q
                if not forced:                       # a forced read had no alternative
                    break
            p = nxt[q]
            continue
        if f is not None:
            # a read that could take effect here was placed by the scan above (or this configuration
            # is dead): the others cannot, so move on without asking the model
            p = nxt[p]
            continue
        i = index[p]
        ok, new = apply[i](state)
        if ok:
            cfg = (lin | bit_at[p], new)
            try:
                fresh_cfg = cfg not in seen
            except TypeError:
                raise TypeError(f"the model's state must be hashable (ints, strings, tuples, frozensets); "
                                f"operation {ops[i].id} led to {new!r}") from None
            if fresh_cfg:
                seen_add(cfg)
                push((p, state, False))
                state, lin = new, cfg[0]
                remaining -= done_at[p]
                a, b = prv[p], nxt[p]
                nxt[a] = b
                prv[b] = a
                r = match[p]
                a, b = prv[r], nxt[r]
                nxt[a] = b
                if b != -1:
                    prv[b] = a
                p, fresh = nxt[head], True
                continue
        p = nxt[p]
    return True, tuple(ops[index[q]].id for q, _, _ in stack), steps


def _compiled(model, ops) -> list:
    """One function per operation, ``state -> (ok, new state)``: the model's ``compile(op)`` when it
    has one (a closure with the operation's fields bound, cheaper per step), else ``model.step``."""
    compile_op = getattr(model, "compile", None)
    if compile_op is not None:
        return [compile_op(op) for op in ops]
    step = model.step
    return [lambda state, op=op: step(state, op) for op in ops]
