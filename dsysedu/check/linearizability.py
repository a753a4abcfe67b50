"""Linearizability (线性一致性): is there one order that explains every client's answer in real time?

A history is *linearizable* when each operation can be given a single instant, somewhere
between its invocation and its completion, such that running the operations one at a time in
the order of those instants through a sequential model gives every client exactly the result it
was told [1]_. Operations that failed (``"fail"``) never took effect and are ignored; an
operation whose outcome is unknown (``"info"``) may take effect at any instant after its
invocation, or never.

The checker is Wing and Gong's depth-first search [2]_ with Lowe's memoization [3]_, the
algorithm of Knossos and Porcupine: the history becomes a doubly linked list of call and
return events in time order; the search repeatedly *linearizes* a call (applies it to the
model and lifts the call and its return out of the list) and backs up when it meets the return
of an operation it has not yet placed. A set of (linearized operations as a bitset, model
state) pairs cuts off every configuration already explored. Because linearizability is
*local* [1]_, a model may partition the history (``KeyValue`` splits it per key), and each part
is checked alone, which keeps the search small for thousands of operations.

Examples
--------
>>> from dsysedu.check.history import History, Operation
>>> h = History([Operation(0, "a", "write", "x", 1, invoke=0, complete=1),
...              Operation(1, "b", "read", "x", None, invoke=2, complete=3, result=None)])
>>> v = check_linearizable(h, "register")
>>> bool(v), v.window
(False, (0, 1))

References
----------
.. [1] M. P. Herlihy and J. M. Wing, "Linearizability: a correctness condition for concurrent
   objects", ACM TOPLAS 12(3), 1990.
.. [2] J. M. Wing and C. Gong, "Testing and verifying concurrent objects", Journal of Parallel
   and Distributed Computing 17(1-2), 1993.
.. [3] G. Lowe, "Testing for linearizability", Concurrency and Computation: Practice and
   Experience 29(4), 2017.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

from dsysedu.check import Verdict
from .history import History
from .models import op_label, resolve_model
from .wgl import SearchBudgetExceeded, _search, _searcher  # noqa: F401  (the search; its error is ours too)

__all__ = ["check_linearizable", "brute_force_linearizable", "LinearizabilityVerdict", "SearchBudgetExceeded"]


WINDOW_STEPS = 50_000             # search steps per check while the violating window is minimized
WINDOW_FACTOR = 1                 # all checks together: this many times the steps of the failing search,
WINDOW_MIN_TOTAL_STEPS = 200_000  # but at least this many
WINDOW_TOTAL_STEPS = 3_000_000    # and at most this many (a few seconds)
FIRST_SLICE = 2_000               # steps each key's search gets in the first round (see _schedule)
GROWTH = 4                        # each later round grants this many times more


@dataclass(frozen=True, repr=False)
class LinearizabilityVerdict(Verdict):
    """A :class:`~dsysedu.check.Verdict` with the evidence of a linearizability check.

    Attributes
    ----------
    linearization : tuple of int
        Operation ids in a witness order (when ``ok``): part after part (key after key), each
        part in the order its operations take effect. Pending operations that were left out
        (they never took effect) are not listed.
    window : tuple of int
        When not ``ok``: the ids of a small set of operations of the failing part that is
        already not linearizable on its own (see :func:`check_linearizable`, Notes), by
        invocation time.
    key : hashable
        The failing part's key (None when ``ok`` or when the model does not partition).
    steps : int
        Search steps used on the whole history (window minimization not counted).
    culprit : int or None
        When not ``ok``: the id of the window's last-completing operation, the one that
        cannot be placed.
    violation : str or None
        When not ``ok``: ``"timing"``, ``"order"`` or ``"impossible"`` (see
        :func:`check_linearizable`, Notes).
    decided : tuple
        The keys (parts) the search proved linearizable: all of them when ``ok``; when not, those
        decided before the failing key was.
    undecided : dict
        When not ``ok``: each key not searched to the end, with why.
    window_minimal : bool
        False when the window's minimization stopped early, at its budget.
    """
    linearization: tuple = ()
    window: tuple = ()
    key: object = None
    steps: int = 0
    culprit: int | None = None
    violation: str | None = None
    decided: tuple = ()
    undecided: object = field(default=None, compare=False)
    window_minimal: bool = True

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "undecided", dict(self.undecided or {}))


def _prepare(history, model):
    """Validate; drop failed operations and pending operations that cannot change the state."""
    if isinstance(history, History):
        ops = history.ops
    elif isinstance(history, (list, tuple)):
        ops = History(history).ops
    else:
        raise TypeError(f"expected a History (or a list of Operation), got {type(history).__name__}")
    kinds = tuple(getattr(model, "kinds", ()) or ())
    readonly = tuple(getattr(model, "readonly", ()) or ())
    for op in ops:
        if kinds and op.kind not in kinds:
            raise ValueError(f"operation {op.id} has kind {op.kind!r}, which the {getattr(model, 'name', model)!r} "
                             f"model does not know (allowed: {kinds})")
    return History(op for op in ops if op.status != "fail" and not (op.pending and op.kind in readonly))


def _truncate(ops, t, readonly):
    """The history as the clients saw it at time ``t``: later completions become unknown."""
    out = []
    for op in ops:
        if op.invoke > t:
            continue
        if op.end > t:
            if op.kind in readonly:
                continue
            op = replace(op, complete=None, status="info", result=None)
        out.append(op)
    return out


class _Spent(Exception):
    """The minimization used its total budget."""


def _window(ops, model, budget, frontier, total=WINDOW_TOTAL_STEPS):
    """(window ids, culprit id, kind of violation, minimal?) for a non-linearizable part ``ops``.

    ``frontier`` is the latest completion time the failed search could not get past: every
    truncation before it is linearizable. Each check may use ``budget`` steps, all of them
    together ``total``; when those run out the window found so far is returned (not minimal).
    """
    readonly = tuple(getattr(model, "readonly", ()) or ())
    exhausted, spent = [False], [0]

    def fits(w, steps=budget):                     # linearizable: True, False, or None (budget ran out)
        if spent[0] > total:
            raise _Spent
        try:
            ok, _, used = _search(History(w).ops, model, steps)
        except SearchBudgetExceeded:
            exhausted[0] = True
            spent[0] += steps
            return None
        spent[0] += used
        return ok

    def nonlin(w):
        return fits(w) is False

    # (1) the earliest truncation that is not linearizable: at the frontier for read/write
    # registers; otherwise bisect the later completion times (linearizability is prefix-closed)
    times = [t for t in sorted({op.complete for op in ops if op.status == "ok"}) if t >= frontier]
    lo, hi = 0, len(times) - 1
    try:
        if not nonlin(_truncate(ops, times[0], readonly)):
            lo = 1
            while lo < hi:
                mid = (lo + hi) // 2
                if nonlin(_truncate(ops, times[mid], readonly)):
                    hi = mid
                else:
                    lo = mid + 1
    except _Spent:
        lo = len(times) - 1
    t = times[lo]
    prefix = _truncate(ops, t, readonly)
    ending = [op for op in prefix if op.status == "ok" and op.complete == t]
    culprit = ending[-1]
    for op in ending[:-1]:                         # of several completing at t, one whose answer matters
        unknown = replace(op, complete=None, status="info", result=None)
        try:
            if fits([unknown if o is op else o for o in prefix]) is True:
                culprit = op
                break
        except _Spent:
            break
    lo_t = min(op.invoke for op in prefix) - 1.0
    hi_t = max(op.complete for op in prefix if op.complete is not None) + 1.0
    loose = replace(culprit, invoke=lo_t, complete=hi_t)

    def timeless(w):                               # real time dropped: every operation overlaps the others
        return [replace(o, invoke=lo_t, complete=None if o.pending else hi_t) for o in w + [culprit]]

    others = [op for op in prefix if op is not culprit]
    try:
        reason = ("timing" if fits(others + [loose]) is True else
                  "order" if fits(timeless(others)) is True else "impossible")
    except _Spent:
        reason = "impossible"

    def accept(w):
        if not nonlin(w + [culprit]):
            return False
        if reason == "timing":                     # only what is needed: the timeless search is the costly one
            return fits(w + [loose]) is True
        if reason == "order":
            return fits(w + [loose]) is False and fits(timeless(w)) is True
        # an "impossible" window only shrinks; a short budget suffices (running out counts as impossible)
        return fits(w + [loose]) is False and fits(timeless(w), min(budget, 5_000)) is not True

    try:
        # (2) the operations just before the culprit often suffice: try the last 1, 2, 4... of them
        m = 1
        while m < len(others):
            if accept(others[-m:]):
                others = others[-m:]
                break
            m *= 2
        # (3) delta debugging: drop chunks, then single operations, until nothing can go
        chunk = max(1, len(others) // 2)
        while True:
            if chunk == 1:
                exhausted[0] = False                # only the last single-op pass decides minimality
            changed, i = False, 0
            while i < len(others):
                cand = others[:i] + others[i + chunk:]
                if accept(cand):
                    others, changed = cand, True
                else:
                    i += chunk
            if chunk == 1 and not changed:
                break
            chunk = max(1, chunk // 2)
    except _Spent:
        exhausted[0] = True
    window = sorted(others + [culprit], key=lambda o: (o.invoke, o.id))
    return tuple(o.id for o in window), culprit.id, reason, not exhausted[0]


def check_linearizable(history, model="register", *, max_steps: int = 5_000_000) -> LinearizabilityVerdict:
    """Check that ``history`` is linearizable with respect to a sequential ``model``.

    Parameters
    ----------
    history : History
    model : {"register", "kv", "kv-append", "counter", "queue", "cas-register"} or model instance
        See :mod:`dsysedu.check.models`; write your own by subclassing ``SequentialModel``.
    max_steps : int
        Bound on search steps over the whole history.

    Returns
    -------
    LinearizabilityVerdict
        ``ok``, a witness ``linearization`` when ok; the failing ``key``, a small violating
        ``window`` and its ``culprit`` when not.

    Raises
    ------
    SearchBudgetExceeded
        (a ``ValueError``) when ``max_steps`` run out before the search decides.
    ValueError, TypeError
        For an unknown model name, an operation kind the model does not know, or a history
        that is not a History.

    Notes
    -----
    Two operations are ordered in real time only when one completes strictly before the other
    is invoked; equal times count as overlapping. The keys are searched in rounds, each round
    granting every undecided key's search ``FIRST_SLICE * GROWTH**round`` more steps (a search
    pauses and resumes, so nothing is searched twice), as Porcupine checks keys side by side:
    one key whose search explodes cannot hide a violation that another key shows cheaply. The
    check stops at the first key found not linearizable (``decided`` and ``undecided`` say how
    far the others got); a linearizable history needs every key. The window of the failing key
    is found in three steps. (1) The shortest *prefix in time*: the history
    as it stood at the earliest completion time ``t`` at which it is already not linearizable
    (operations still running at ``t`` become pending); linearizability is prefix-closed, so
    bisection finds it. (2) The *culprit*: an operation completing at ``t``. (3) Delta
    debugging removes the other operations while the window stays non-linearizable and keeps
    its *kind* of violation: "timing" (the culprit's result would fit at some other time: a
    stale read), "order" (all of the window fits in some order, just not one that respects real
    time) or "impossible" (no order explains the culprit's result, e.g. a value nobody wrote).
    The window is then *1-minimal*: dropping any single operation besides the culprit makes it
    linearizable or changes its kind (dropping the write that a stale read saw turns a timing
    violation into an impossible one, which would no longer explain anything).
    Each check of the minimization uses at most ``WINDOW_STEPS`` search steps (or twice what the
    failing part's search used, if more, within ``max_steps``), all checks together
    ``WINDOW_FACTOR`` times the steps of the failing search (at least ``WINDOW_MIN_TOTAL_STEPS``,
    at most ``WINDOW_TOTAL_STEPS``): the budget is in steps, not seconds, so a verdict does not
    depend on the machine. If it runs out, the window is still non-linearizable but may not be
    minimal; ``window_minimal`` is False and the message says so.

    Examples
    --------
    >>> from dsysedu.check.history import History, Operation
    >>> h = History([Operation(0, "a", "write", "x", 1, invoke=0, complete=3),
    ...              Operation(1, "b", "read", "x", None, invoke=1, complete=2, result=1)])
    >>> check_linearizable(h, "kv").linearization
    (0, 1)
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise TypeError(f"max_steps must be a positive int, got {max_steps!r}")
    model = resolve_model(model)
    h = _prepare(history, model)
    parts = model.partition(h) if hasattr(model, "partition") else [(None, h)]
    parts = [(key, History(part).ops) for key, part in parts]
    outcome = _schedule(parts, model, max_steps)
    if outcome.failed is None:
        n_keys = len(parts)
        return LinearizabilityVerdict(True, "linearizability",
                                      f"{len(h)} operations on {n_keys} part{'s' * (n_keys != 1)} are linearizable "
                                      f"({outcome.steps:,} search steps)",
                                      linearization=tuple(i for key, _ in parts for i in outcome.witness[key]),
                                      steps=outcome.steps, decided=tuple(key for key, _ in parts))
    key, frontier, used = outcome.failed
    part = next(ops for k, ops in parts if k == key)
    # the minimization may take a multiple of the steps the failing search used (steps, not seconds:
    # the same history gives the same window on any machine)
    total = min(WINDOW_TOTAL_STEPS, max(WINDOW_MIN_TOTAL_STEPS, WINDOW_FACTOR * used))
    window, culprit, reason, minimal = _window(list(part), model, min(max_steps, max(WINDOW_STEPS, 2 * used)),
                                               frontier, total=total)
    op = next(o for o in h.ops if o.id == culprit)
    where = f"key {key!r}: " if key is not None else ""
    what = f"{op_label(op)} (op {op.id}, client {op.client!r})"
    span = op.complete - op.invoke          # enough decimals to tell the two ends apart
    d = 3 if span <= 0 else max(0, 1 - math.floor(math.log10(span)))
    why = {"timing": f"{what} cannot take effect between {op.invoke:.{d}f} and {op.complete:.{d}f}",
           "order": f"the window's operations fit in some order, but in none that respects real "
                    f"time ({what} is the last to complete)",
           "impossible": f"no order of the window's operations explains {what}"}[reason]
    note = "" if minimal else (f" (minimization stopped early, after its budget of {total:,} search steps: the "
                               f"window may not be minimal)")
    return LinearizabilityVerdict(False, "linearizability",
                                  f"{where}not linearizable: {why}; violating window of "
                                  f"{len(window)} operations {list(window)}{note}",
                                  window=window, key=key, steps=outcome.steps, culprit=culprit,
                                  violation=reason, decided=outcome.decided, undecided=outcome.undecided,
                                  window_minimal=minimal)


@dataclass
class _Outcome:
    steps: int = 0
    witness: dict = field(default_factory=dict)        # key -> witness ids, for keys found linearizable
    failed: tuple | None = None                        # (key, frontier, steps of its search)
    decided: tuple = ()
    undecided: dict = field(default_factory=dict)      # key -> why it was not decided


def _schedule(parts, model, max_steps):
    """Search the parts (keys) in turn with growing slices of steps, so the cheapest violation wins.

    Round ``r`` lets every undecided key's search run ``FIRST_SLICE * GROWTH**r`` more steps
    (searches pause and resume, so no step is spent twice). The first key found not linearizable
    ends the check; a linearizable history needs every key. Raises SearchBudgetExceeded, saying
    which keys were decided, when ``max_steps`` run out first.
    """
    out = _Outcome()
    searches = {}
    for key, ops in parts:
        searches[key] = _searcher(ops, model)
        next(searches[key])
    order = [key for key, _ in parts]
    size = {key: len(ops) for key, ops in parts}
    used = dict.fromkeys(order, 0)
    grant = FIRST_SLICE if len(parts) > 1 else max_steps
    pending = list(order)
    while pending and out.steps < max_steps:
        still = []
        for key in pending:
            allowance = min(grant, max_steps - out.steps)
            if allowance <= 0:
                still.append(key)
                continue
            try:
                paused_at = searches[key].send(allowance)
            except StopIteration as done:
                ok, result, steps = done.value
                out.steps += steps - used[key]
                used[key] = steps
                if not ok:
                    out.failed = (key, result, steps)
                    out.decided = tuple(k for k in order if k in out.witness)
                    out.undecided = {k: f"not searched to the end: key {key!r} was found not linearizable first"
                                     for k in order if k not in out.witness and k != key}
                    return out
                out.witness[key] = result
                continue
            out.steps += paused_at - used[key]
            used[key] = paused_at
            still.append(key)
        pending = still
        grant *= GROWTH
    if pending:
        out.decided = tuple(k for k in order if k in out.witness)
        undecided = {k: f"{used[k]:,} steps on its {size[k]} operations did not decide it" for k in pending}
        keys = "" if order == [None] else (f" ({len(out.decided)} of {len(order)} keys decided linearizable; "
                                           f"undecided: {', '.join(repr(k) for k in pending[:5])}"
                                           f"{'...' if len(pending) > 5 else ''})")
        err = SearchBudgetExceeded(
            f"linearizability search used its budget of {max_steps:,} steps without deciding{keys}; "
            f"raise it, e.g. check_linearizable(history, model, max_steps={max_steps * 10:_})")
        err.decided, err.undecided = out.decided, undecided
        raise err
    return out


def brute_force_linearizable(history, model="register") -> bool:
    """Linearizability by trying every order (for tests; at most 8 operations per part).

    Tries each subset of the pending operations and each permutation of the chosen operations
    that respects real-time order (``a`` before ``b`` when ``a`` completes strictly before
    ``b`` is invoked), running it through the model.

    Raises
    ------
    ValueError
        When a part has more than 8 operations.

    Examples
    --------
    >>> from dsysedu.check.history import History, Operation
    >>> brute_force_linearizable(History([Operation(0, "a", "read", None, None, 0, 1, result=5)]))
    False
    """
    model = resolve_model(model)
    h = _prepare(history, model)
    for _, part in (model.partition(h) if hasattr(model, "partition") else [(None, h)]):
        ops = list(History(part).ops)
        if len(ops) > 8:
            raise ValueError(f"brute force handles at most 8 operations per part, got {len(ops)}")
        pending = [op for op in ops if op.status != "ok"]
        done = [op for op in ops if op.status == "ok"]
        found = False
        for r in range(len(pending) + 1):
            for chosen in itertools.combinations(pending, r):
                for perm in itertools.permutations(done + list(chosen)):
                    if any(perm[j].end < perm[i].invoke for i in range(len(perm)) for j in range(i + 1, len(perm))):
                        continue
                    state, good = model.init(), True
                    for op in perm:
                        good, state = model.step(state, op)
                        if not good:
                            break
                    if good:
                        found = True
                        break
                if found:
                    break
            if found:
                break
        if not found:
            return False
    return True

