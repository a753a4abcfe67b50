"""Session guarantees on a client history: monotonic reads (单调读) and read-your-writes (写后读).

Eventual consistency promises nothing about one client's reads while updates go on; the session
guarantees of Terry et al. [1]_ promise something small and useful *per client* (per session):

Monotonic reads
    once a client has read a value, its later reads of that key never return an older one;
Read-your-writes
    once a client's write has completed, its later reads of that key return that write or a
    newer one.

"Older" needs an order of the writes, which a history seen from outside does not give in full.
These checkers use the one order every replicated store must respect to look like one copy,
*real time*: a write that completed before another write was invoked is older. Two writes that
overlap in time are not ordered, and a read may return either. So a verdict that fails is
evidence a linearizable store could never produce (the checkers never accuse a linearizable
store); a store that orders concurrent writes in some other fixed way may still break the
guarantees on those writes unnoticed. The initial value (a read result of ``None``, before any
write) is older than every write.

Writes must give each key's writes distinct values, as the course's workloads do, so that a
read names the write it saw. Failed operations never happened; a write of unknown outcome
(``info``) may have.

References
----------
.. [1] D. B. Terry, A. J. Demers, K. Petersen, M. J. Spreitzer, M. M. Theimer and B. B. Welch,
   "Session guarantees for weakly consistent replicated data", PDIS 1994.
.. [2] W. Vogels, "Eventually consistent", Communications of the ACM 52(1), 2009 (read-your-writes
   and monotonic reads as the variations of eventual consistency that practitioners ask for).

Examples
--------
>>> from dsysedu.check.history import History, Operation
>>> h = History([Operation(0, "A", "write", "x", 1, invoke=0.0, complete=1.0),
...              Operation(1, "A", "read", "x", invoke=2.0, complete=3.0, result=None)])
>>> v = check_read_your_writes(h)
>>> bool(v), v.window
(False, (0, 1))
"""
from __future__ import annotations

from dataclasses import dataclass

from . import Verdict
from .history import History

__all__ = ["SessionVerdict", "check_monotonic_reads", "check_read_your_writes", "check_sessions"]

_INITIAL = None


@dataclass(frozen=True, repr=False)
class SessionVerdict(Verdict):
    """A :class:`~dsysedu.check.Verdict` with ``window`` (op ids of the evidence: the earlier
    operation of the client, the read that went back, and the write it returned, if any),
    ``culprit`` (the read) and ``violations`` (how many reads broke the guarantee)."""
    window: tuple = ()
    culprit: int | None = None
    violations: int = 0


def _writes(history: History) -> dict:
    """key -> value -> the write that wrote it (failed writes left out)."""
    out: dict = {}
    for op in history:
        if op.kind == "write" and op.status != "fail":
            seen = out.setdefault(op.key, {})
            if op.value in seen:
                raise ValueError(f"two writes of {op.value!r} to key {op.key!r} (operations {seen[op.value].id} and "
                                 f"{op.id}): session checks need distinct written values per key")
            seen[op.value] = op
    return out


def _older(a, b) -> bool:
    """Is write ``a`` (None: the initial value) older than write ``b`` in real time?"""
    if b is None:
        return False
    if a is None:
        return True
    return a.complete is not None and b.invoke is not None and a.complete < b.invoke


def _check(history, name: str, earlier_of) -> SessionVerdict:
    if not isinstance(history, History):
        raise TypeError(f"{name} checks a History, got {type(history).__name__}")
    writes = _writes(history)
    first = None
    count = 0
    for client in history.clients():
        lane = [op for op in history if op.client == client and op.status != "fail"]
        for i, read in enumerate(lane):
            if read.kind != "read" or read.status != "ok":
                continue
            table = writes.get(read.key, {})
            if read.result is not _INITIAL and read.result not in table:
                raise ValueError(f"read {read.id} returned {read.result!r}, which no write to {read.key!r} wrote")
            got = table.get(read.result)
            for before in lane[:i]:
                if before.complete is None or before.complete > read.invoke or before.key != read.key:
                    continue
                floor = earlier_of(before, table)
                if floor is not False and _older(got, floor):
                    count += 1
                    if first is None:
                        window = tuple(op.id for op in (before, read, got) if op is not None)
                        saw = "the initial value" if got is None else f"{got.value!r} (operation {got.id})"
                        first = (window, read.id, f"client {client}'s read {read.id} of {read.key!r} returned {saw}, "
                                 f"older than {floor.value!r} (operation {floor.id}), which its operation "
                                 f"{before.id} had {'written' if before.kind == 'write' else 'read'}")
                    break
    reads = sum(op.kind == "read" and op.status == "ok" for op in history)
    if first is None:
        return SessionVerdict(True, name, f"all {reads} reads keep it")
    window, culprit, message = first
    return SessionVerdict(False, name, f"{count} of {reads} reads break it; first: {message}", window=window,
                          culprit=culprit, violations=count)


def _read_floor(before, table):
    if before.kind != "read" or before.status != "ok":
        return False
    return table.get(before.result)   # None: it read the initial value, which bounds nothing


def _write_floor(before, table):
    if before.kind != "write" or before.status != "ok":
        return False
    return before


def check_monotonic_reads(history: History) -> SessionVerdict:
    """Monotonic reads: no client's read of a key returns a write older than one it read before.

    Parameters
    ----------
    history : History
        Reads and writes with distinct written values per key.

    Returns
    -------
    SessionVerdict
        ``window`` holds the earlier read, the later read and the older write it returned.

    Raises
    ------
    TypeError
        If ``history`` is not a :class:`~dsysedu.check.history.History`.
    ValueError
        If two writes to one key wrote the same value, or a read returned a value nobody wrote.

    Examples
    --------
    >>> from dsysedu.check.history import History, Operation
    >>> h = History([Operation(0, "A", "write", "x", 1, invoke=0.0, complete=1.0),
    ...              Operation(1, "B", "read", "x", invoke=2.0, complete=3.0, result=1),
    ...              Operation(2, "B", "read", "x", invoke=4.0, complete=5.0, result=None)])
    >>> check_monotonic_reads(h).window
    (1, 2)
    """
    return _check(history, "monotonic reads", _read_floor)


def check_read_your_writes(history: History) -> SessionVerdict:
    """Read-your-writes: after a client's write completed, its reads of that key return it or newer.

    Parameters and errors as :func:`check_monotonic_reads`; ``window`` holds the client's write,
    its read, and the older write the read returned (if it was not the initial value).
    """
    return _check(history, "read-your-writes", _write_floor)


def check_sessions(history: History) -> dict:
    """Both guarantees: ``{"monotonic reads": verdict, "read-your-writes": verdict}``."""
    return {"monotonic reads": check_monotonic_reads(history), "read-your-writes": check_read_your_writes(history)}
