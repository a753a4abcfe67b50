"""The state machine a Raft cluster replicates: a key-value store with a session table.

Raft agrees on a log; what the log *means* is up to the state machine that every server
applies it to, in log order (Figure 2: "If commitIndex > lastApplied: increment
lastApplied, apply log[lastApplied] to state machine"). Here that machine is
:class:`KeyValueStore`: a key-value map, and the *session table* that makes each client
request take effect once. A client that times out retries its request, and the retry may
reach the log a second time (a new leader appends it again); the table remembers the
result of each ``(client_id, seq)`` it has applied, so the second entry changes nothing and
the client gets the first answer ([2]_ §6.3, which keeps client sessions in the state
machine for exactly this reason).

The store is a *value*, like every field of a node: :meth:`KeyValueStore.apply` returns a
new store and leaves the old one as it was. So a node's state can be copied, compared and
hashed, which the model checker needs (it keeps node states in a hash set).

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, Figure 2 and §8 (client interaction).
.. [2] D. Ongaro, "Consensus: Bridging Theory and Practice", PhD thesis, Stanford, 2014, §6.3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable

from .messages import Command

__all__ = ["apply_op", "KeyValueStore"]


def apply_op(kv: dict, op: tuple):
    """Apply one key-value operation to ``kv`` (in place) and return its result.

    Examples
    --------
    >>> kv = {}
    >>> apply_op(kv, ("set", "x", 1)), apply_op(kv, ("cas", "x", 1, 2)), kv
    (1, True, {'x': 2})
    """
    kind = op[0]
    if kind == "set":
        kv[op[1]] = op[2]
        return op[2]
    if kind == "get":
        return kv.get(op[1])
    if kind == "delete":
        return kv.pop(op[1], None)
    if kind == "cas":
        if kv.get(op[1]) == op[2]:
            kv[op[1]] = op[3]
            return True
        return False
    raise ValueError(f"unknown operation {op!r}")


def _pairs(items) -> tuple:
    """A mapping (a dict, or ``(key, value)`` pairs) as pairs sorted by ``repr`` of the key:
    one spelling for each content, so that equal stores compare and hash equal."""
    table = dict(items.items() if isinstance(items, dict) else items)
    return tuple(sorted(table.items(), key=lambda kv: repr(kv[0])))


@dataclass(frozen=True)
class KeyValueStore:
    """Raft's state machine: a key-value map, and the session table that applies each client request once.

    Parameters
    ----------
    data : dict or iterable of (key, value)
        The key-value map.
    sessions : dict or iterable of ((client_id, seq), result)
        The session table: the result of every client request applied so far.

    Notes
    -----
    Both fields are stored as tuples of pairs sorted by the key's ``repr``: a store is hashable,
    and two stores with the same content are equal (as two dicts with the same items are).
    Every method leaves the store unchanged; :meth:`apply` and :meth:`record` return a new one.

    Examples
    --------
    >>> store = KeyValueStore()
    >>> store, first = store.apply(Command("c", 1, ("set", "x", 1)))
    >>> store, retry = store.apply(Command("c", 1, ("set", "x", 1)))   # the same request again
    >>> store.as_dict(), first, retry, store.answered(("c", 1))
    ({'x': 1}, 1, 1, True)
    """
    data: tuple = ()
    sessions: tuple = ()

    def __post_init__(self):
        for name in ("data", "sessions"):
            value = getattr(self, name)
            if not isinstance(value, (dict, tuple, list)):
                raise TypeError(f"KeyValueStore.{name} must be a dict or (key, value) pairs, got {value!r}")
            object.__setattr__(self, name, _pairs(value))

    # -- reading ------------------------------------------------------------------------
    def as_dict(self) -> dict:
        """The key-value map, as a new dict."""
        return dict(self.data)

    def get(self, key, default=None):
        """The value of ``key`` (``default`` if it has none)."""
        return self.as_dict().get(key, default)

    def answered(self, request_id: tuple[Hashable, int]) -> bool:
        """Has the request ``(client_id, seq)`` been applied?"""
        return any(rid == request_id for rid, _result in self.sessions)

    def result_of(self, request_id: tuple[Hashable, int]) -> Any:
        """The result the request ``(client_id, seq)`` had when it was applied (KeyError if it was not)."""
        for rid, result in self.sessions:
            if rid == request_id:
                return result
        raise KeyError(request_id)

    # -- changing: each returns a new store -----------------------------------------------
    def apply(self, command) -> tuple[KeyValueStore, Any]:
        """Apply one log entry: ``(new store, result)``.

        A :class:`~dsysedu.protocols.consensus.raft.messages.Command` whose ``(client_id, seq)``
        is in the session table is not applied again: its first result is returned. Any other
        entry (the no-op a new leader appends) leaves the store as it is, with result None.
        """
        if not isinstance(command, Command):
            return self, None
        rid = (command.client_id, command.seq)
        sessions = dict(self.sessions)
        if rid in sessions:
            return self, sessions[rid]
        data = dict(self.data)
        result = apply_op(data, command.op)
        sessions[rid] = result
        return KeyValueStore(data, sessions), result

    def record(self, request_id: tuple[Hashable, int], result) -> KeyValueStore:
        """A store whose session table also says that ``request_id`` was answered with ``result``
        (for requests that do not change the key-value map, such as a membership change)."""
        sessions = dict(self.sessions)
        sessions[request_id] = result
        return KeyValueStore(self.data, sessions)
