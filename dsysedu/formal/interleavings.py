"""Interleavings: every order in which the steps of concurrent processes can run.

An execution of a concurrent system is one *interleaving* (交错) of its processes' steps:
each process's steps stay in program order, but the steps of different processes can mix
in any way. Processes with ``n1, n2, ..., nk`` steps have the multinomial number

    (n1 + n2 + ... + nk)! / (n1! n2! ... nk!)

of interleavings: two processes of 3 steps have C(6, 3) = 20. Two copies of the increment
below end with ``x = 2`` in only 2 of those 20 (one copy runs entirely before the other);
the other 18 lose an update. The count grows so fast that
testing a few runs says little about the others, which is why chapter 2.2's model checker
explores them all for small systems.

A tiny instruction set lets each step touch shared variables, so that the *outcome* of an
interleaving can be computed: ``("read", var, reg)`` copies a shared variable into a local
register, ``("add", reg, k)`` adds to a register, ``("write", var, reg)`` writes a register
back, ``("set", var, value)`` writes a constant. :func:`increment` is the classic
read-modify-write that loses updates when two copies interleave.

Examples
--------
>>> count_interleavings(3, 3)
20
>>> outcomes([increment(), increment()], {"x": 0})
Counter({1: 18, 2: 2})
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Mapping, Sequence

import pandas as pd

from dsysedu.sim.validate import positive_int

__all__ = ["count_interleavings", "interleavings", "increment", "execute", "outcomes", "outcome_table",
           "growth_table", "OPS"]

OPS = ("read", "add", "write", "set")


def count_interleavings(*lengths: int) -> int:
    """The number of interleavings of processes with these numbers of steps (a multinomial).

    Examples
    --------
    >>> count_interleavings(2, 2), count_interleavings(1, 1, 1), count_interleavings(5)
    (6, 6, 1)
    """
    if not lengths:
        raise ValueError("count_interleavings needs at least one process length")
    for i, n in enumerate(lengths):
        positive_int(f"lengths[{i}]", n, low=0)
    total = math.factorial(sum(lengths))
    for n in lengths:
        total //= math.factorial(n)
    return total


def _as_processes(processes) -> list[tuple]:
    if isinstance(processes, (str, bytes)) or not isinstance(processes, Sequence):
        raise TypeError(f"processes must be a list of step sequences, got {processes!r}")
    out = []
    for i, p in enumerate(processes):
        if not isinstance(p, Sequence):  # a string is a sequence of one-letter steps
            raise TypeError(f"processes[{i}] must be a sequence of steps, got {p!r}")
        out.append(tuple(p))
    if not out:
        raise ValueError("processes must hold at least one process")
    return out


def interleavings(processes, limit: int = 200_000):
    """Yield every interleaving as a tuple of ``(process index, step)``, in lexicographic order.

    Parameters
    ----------
    processes : list of sequences
        Each process's steps in program order (any values: labels or instructions).
    limit : int
        Refuse (``ValueError``) to enumerate more interleavings than this.

    Examples
    --------
    >>> [''.join(s for _, s in run) for run in interleavings(["ab", "c"])]
    ['abc', 'acb', 'cab']
    """
    procs = _as_processes(processes)
    total = count_interleavings(*(len(p) for p in procs))
    positive_int("limit", limit)
    if total > limit:
        raise ValueError(f"{total} interleavings is more than limit={limit}; count them with count_interleavings "
                         "instead, or raise the limit")
    pos = [0] * len(procs)
    out: list = []
    left = sum(len(p) for p in procs)

    def rec():
        if len(out) == left:
            yield tuple(out)
            return
        for i, p in enumerate(procs):
            if pos[i] < len(p):
                out.append((i, p[pos[i]]))
                pos[i] += 1
                yield from rec()
                pos[i] -= 1
                out.pop()

    yield from rec()


def increment(var: str = "x", reg: str = "r") -> tuple:
    """``x = x + 1`` as three steps: read x into a register, add 1, write it back."""
    return (("read", var, reg), ("add", reg, 1), ("write", var, reg))


def _check_step(step):
    if not (isinstance(step, tuple) and len(step) == 3 and step[0] in OPS):
        raise ValueError(f"a step is (op, a, b) with op one of {OPS}, got {step!r}")


def execute(schedule, initial: Mapping) -> dict:
    """Run one interleaving (as :func:`interleavings` yields it) and return the shared variables.

    Each process has its own registers (starting at 0); shared variables start at ``initial``.

    Examples
    --------
    >>> p = increment()
    >>> execute([(0, p[0]), (1, p[0]), (0, p[1]), (0, p[2]), (1, p[1]), (1, p[2])], {"x": 0})
    {'x': 1}
    """
    shared = dict(initial)
    regs: dict = {}
    for proc, step in schedule:
        _check_step(step)
        op, a, b = step
        local = regs.setdefault(proc, {})
        if op == "read":
            if a not in shared:
                raise ValueError(f"read of unknown shared variable {a!r}; variables: {sorted(shared)}")
            local[b] = shared[a]
        elif op == "add":
            local[a] = local.get(a, 0) + b
        elif op == "write":
            shared[a] = local.get(b, 0)
        else:
            shared[a] = b
    return shared


def _outcome(shared, var):
    return shared[var] if var is not None else tuple(sorted(shared.items()))


def outcomes(processes, initial: Mapping, var: str | None = "x", limit: int = 200_000) -> Counter:
    """How many interleavings end with each final value of ``var`` (all variables if None)."""
    procs = _as_processes(processes)
    for p in procs:
        for s in p:
            _check_step(s)
    if var is not None and var not in initial:
        raise ValueError(f"var {var!r} is not a shared variable; variables: {sorted(initial)}")
    return Counter(_outcome(execute(run, initial), var) for run in interleavings(procs, limit))


def outcome_table(processes, initial: Mapping, var: str | None = "x", names=None) -> pd.DataFrame:
    """One row per interleaving: the order of steps (e.g. ``A1 B1 A2 ...``) and the outcome.

    ``names`` labels the processes (default ``A``, ``B``, ...).
    """
    procs = _as_processes(processes)
    names = list(names) if names is not None else [chr(ord("A") + i) for i in range(len(procs))]
    if len(names) != len(procs):
        raise ValueError(f"names must give one label per process ({len(procs)}), got {names!r}")
    rows = []
    for run in interleavings(procs):
        seen = Counter()
        labels = []
        for i, _step in run:
            seen[i] += 1
            labels.append(f"{names[i]}{seen[i]}")
        rows.append({"order": " ".join(labels), "outcome": _outcome(execute(run, initial), var)})
    return pd.DataFrame(rows)


def growth_table(max_steps: int = 10, processes: int = 2) -> pd.DataFrame:
    """How the number of interleavings grows: ``processes`` processes of 1..``max_steps`` steps each.

    Columns ``steps`` (per process), ``total_steps`` and ``interleavings`` (the multinomial).
    """
    positive_int("max_steps", max_steps, high=200)
    positive_int("processes", processes, high=20)
    return pd.DataFrame([{"steps": n, "total_steps": n * processes,
                          "interleavings": count_interleavings(*([n] * processes))}
                         for n in range(1, max_steps + 1)])
