"""Client histories: what each client asked for, when, and what it was told.

A history is the input of every consistency checker (linearizability, sequential and
causal consistency). It records each client operation as an *invocation* and, if the
client heard back, a *completion*, in the style of Jepsen: a completion is ``"ok"`` (the
operation took effect and returned ``result``), ``"fail"`` (it certainly did not take
effect, e.g. a CP replica refused it) or ``"info"`` (the client does not know: a timeout).
An operation with no completion at all is treated like ``"info"``.

Inside a simulation a client records its operations with two observations::

    ctx.observe("invoke", (op_id, kind, key, value))
    ctx.observe("complete", (op_id, status, result))   # status: "ok" | "fail" | "info"

and :meth:`History.from_trace` rebuilds the history from the trace. ``op_id`` must be
unique per client.

Examples
--------
>>> h = History([Operation(0, "a", "write", "x", 1, invoke=0.0, complete=1.0),
...              Operation(1, "b", "read", "x", None, invoke=2.0, complete=3.0, result=1)])
>>> len(h), h.keys(), h.clients()
(2, ('x',), ('a', 'b'))
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field, replace
from typing import Any, Hashable, Iterable

import pandas as pd

from dsysedu.sim.validate import number

__all__ = ["Operation", "History", "STATUSES"]

STATUSES = ("ok", "fail", "info")


@dataclass(frozen=True)
class Operation:
    """One client operation.

    Attributes
    ----------
    id : int
        Unique within the history (:meth:`History.from_trace` numbers operations itself).
    client : hashable
        Who issued it. A client has at most one operation open at a time.
    kind : str
        ``"read"``, ``"write"``, ``"add"``, ``"cas"``, ``"enqueue"``... (the model decides what is allowed).
    key : hashable
        The key (``None`` for a single register).
    value : any
        The argument (the written value; ``None`` for a read).
    invoke, complete : float
        Invocation and completion times; ``complete`` is ``None`` if the client never heard back.
    result : any
        What the client was told (the value read), for ``status == "ok"``.
    status : str
        ``"ok"``, ``"fail"`` or ``"info"`` (see the module docstring).
    """
    id: int
    client: Hashable
    kind: str
    key: Hashable = None
    value: Any = None
    invoke: float = 0.0
    complete: float | None = None
    result: Any = None
    status: str = "ok"

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"operation {self.id}: status must be one of {STATUSES}, got {self.status!r}")
        # times are finite numbers: a NaN compares false with everything, and a checker would
        # then find any order allowed (a stale read passed as linearizable)
        number(f"operation {self.id}: invoke", self.invoke)
        if self.complete is not None:
            complete = number(f"operation {self.id}: complete", self.complete, allow_inf=True)
            if complete == math.inf and self.status == "ok":
                raise ValueError(f"operation {self.id}: complete=inf with status 'ok': an operation that "
                                 f"never completes has complete=None (status 'info')")
        if self.complete is None and self.status == "ok":
            object.__setattr__(self, "status", "info")
        if self.complete is not None and self.complete < self.invoke:
            raise ValueError(f"operation {self.id}: completes at {self.complete} before it is invoked "
                             f"at {self.invoke}")

    @property
    def pending(self) -> bool:
        """True if the outcome is unknown (``"info"``): it may or may not have taken effect."""
        return self.status == "info"

    @property
    def end(self) -> float:
        """Completion time, or +infinity for an operation whose outcome is unknown."""
        return float("inf") if self.status == "info" or self.complete is None else self.complete


@dataclass(frozen=True)
class History:
    """An ordered collection of :class:`Operation` (by invocation time, then id)."""
    ops: tuple = field(default_factory=tuple)

    def __init__(self, ops: Iterable[Operation] = ()):
        ops = tuple(ops)
        for op in ops:
            if not isinstance(op, Operation):
                raise TypeError(f"a History holds Operation values, got {op!r}")
        ids = [op.id for op in ops]
        if len(set(ids)) != len(ids):
            raise ValueError("operation ids in a history must be unique")
        object.__setattr__(self, "ops", tuple(sorted(ops, key=lambda o: (o.invoke, o.id))))

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self):
        return iter(self.ops)

    def __getitem__(self, i):
        return self.ops[i]

    def keys(self) -> tuple:
        """The keys touched, in first-use order."""
        return tuple(dict.fromkeys(op.key for op in self.ops))

    def clients(self) -> tuple:
        """The clients, in first-invocation order."""
        return tuple(dict.fromkeys(op.client for op in self.ops))

    def by_key(self) -> dict:
        """One sub-history per key (for P-compositional checking)."""
        out: dict = {}
        for op in self.ops:
            out.setdefault(op.key, []).append(op)
        return {k: History(v) for k, v in out.items()}

    def without_failed(self) -> "History":
        """The operations that may have taken effect (``"fail"`` ones dropped)."""
        return History(op for op in self.ops if op.status != "fail")

    def to_frame(self) -> pd.DataFrame:
        """Columns ``id, client, kind, key, value, invoke, complete, result, status``."""
        cols = ["id", "client", "kind", "key", "value", "invoke", "complete", "result", "status"]
        return pd.DataFrame([[getattr(op, c) for c in cols] for op in self.ops], columns=cols, dtype=object)

    @classmethod
    def from_trace(cls, trace) -> "History":
        """Rebuild the history from ``invoke``/``complete`` observations in a trace.

        Raises
        ------
        ValueError
            If a completion names an operation that was never invoked, or an operation
            id is invoked twice by one client.
        """
        open_ops: dict = {}
        seen: set = set()
        done: list = []
        for r in trace.rows:
            if r[1] != "observe" or r[5] not in ("invoke", "complete"):
                continue
            t, node, value = r[0], r[2], r[6]
            if r[5] == "invoke":
                op_id, kind, key, arg = value
                if (node, op_id) in seen:
                    raise ValueError(f"client {node!r} invoked operation {op_id!r} twice")
                seen.add((node, op_id))
                open_ops[(node, op_id)] = Operation(0, node, kind, key, arg, invoke=t)
            else:
                op_id, status, result = value
                op = open_ops.pop((node, op_id), None)
                if op is None:
                    raise ValueError(f"client {node!r} completed operation {op_id!r} that it never invoked")
                done.append(((node, op_id), replace(op, complete=t, result=result, status=status)))
        ops = [op for _, op in done] + list(open_ops.values())
        ops.sort(key=lambda o: (o.invoke, repr(o.client)))
        return cls(replace(op, id=i) for i, op in enumerate(ops))

    def __repr__(self) -> str:
        return f"<History of {len(self.ops)} operations, {len(self.clients())} clients, {len(self.keys())} keys>"
