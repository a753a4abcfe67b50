"""The client messages of the labs, in the shapes of Maelstrom's workloads.

Maelstrom (Kingsbury, github.com/jepsen-io/maelstrom, ``doc/workloads.md``) speaks JSON bodies with a
``type``, a ``msg_id`` on each request and an ``in_reply_to`` on each reply. Here a body is a frozen
dataclass named after its ``type`` (``echo`` -> :class:`Echo`, ``echo_ok`` -> :class:`EchoOk`), with the
same fields. Maps become tuples of pairs (messages must be immutable): Maelstrom's
``{"offsets": {"k1": 3}}`` is ``offsets=(("k1", 3),)``.

The messages a lab's servers send each other are the learner's own: any frozen dataclass.

Examples
--------
>>> Echo(msg_id=1, echo="hi")
Echo(msg_id=1, echo='hi')
>>> EchoOk(in_reply_to=1, echo="hi").in_reply_to
1
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Echo", "EchoOk", "Generate", "GenerateOk", "Broadcast", "BroadcastOk", "Read", "ReadOk", "Add", "AddOk",
           "Send", "SendOk", "Poll", "PollOk", "CommitOffsets", "CommitOffsetsOk", "ListCommittedOffsets",
           "ListCommittedOffsetsOk", "Write", "WriteOk", "Error", "TEMPORARILY_UNAVAILABLE", "REQUESTS"]

#: Maelstrom's error code 11: the operation certainly did not happen; the client may retry it
TEMPORARILY_UNAVAILABLE = 11


@dataclass(frozen=True)
class Echo:
    """``echo``: answer with :class:`EchoOk` carrying the same ``echo``."""
    msg_id: int
    echo: str


@dataclass(frozen=True)
class EchoOk:
    in_reply_to: int
    echo: str


@dataclass(frozen=True)
class Generate:
    """``generate``: answer with :class:`GenerateOk` and an ``id`` no other answer ever carries."""
    msg_id: int


@dataclass(frozen=True)
class GenerateOk:
    in_reply_to: int
    id: Any


@dataclass(frozen=True)
class Broadcast:
    """``broadcast``: remember ``message`` and pass it to every server; answer :class:`BroadcastOk`."""
    msg_id: int
    message: int


@dataclass(frozen=True)
class BroadcastOk:
    in_reply_to: int


@dataclass(frozen=True)
class Read:
    """``read``: the broadcast lab answers every message seen, the counter its value, the key-value
    store the value of ``key`` (all in :attr:`ReadOk.value`)."""
    msg_id: int
    key: Any = None


@dataclass(frozen=True)
class ReadOk:
    in_reply_to: int
    value: Any


@dataclass(frozen=True)
class Add:
    """``add``: add ``delta`` (>= 0) to the grow-only counter; answer :class:`AddOk`."""
    msg_id: int
    delta: int


@dataclass(frozen=True)
class AddOk:
    in_reply_to: int


@dataclass(frozen=True)
class Send:
    """``send``: append ``msg`` to the log of ``key``; answer :class:`SendOk` with its ``offset``."""
    msg_id: int
    key: str
    msg: int


@dataclass(frozen=True)
class SendOk:
    in_reply_to: int
    offset: int


@dataclass(frozen=True)
class Poll:
    """``poll``: for each ``(key, offset)``, the messages of that log from ``offset`` on."""
    msg_id: int
    offsets: tuple


@dataclass(frozen=True)
class PollOk:
    """``msgs``: ``((key, ((offset, msg), ...)), ...)``."""
    in_reply_to: int
    msgs: tuple


@dataclass(frozen=True)
class CommitOffsets:
    """``commit_offsets``: remember ``(key, offset)`` pairs as processed; answer :class:`CommitOffsetsOk`."""
    msg_id: int
    offsets: tuple


@dataclass(frozen=True)
class CommitOffsetsOk:
    in_reply_to: int


@dataclass(frozen=True)
class ListCommittedOffsets:
    """``list_committed_offsets``: the last committed offset of each key in ``keys`` (keys never
    committed are left out)."""
    msg_id: int
    keys: tuple


@dataclass(frozen=True)
class ListCommittedOffsetsOk:
    in_reply_to: int
    offsets: tuple


@dataclass(frozen=True)
class Write:
    """``write``: set ``key`` to ``value``; answer :class:`WriteOk`."""
    msg_id: int
    key: Any
    value: Any


@dataclass(frozen=True)
class WriteOk:
    in_reply_to: int


@dataclass(frozen=True)
class Error:
    """``error``: with ``code`` 11 (:data:`TEMPORARILY_UNAVAILABLE`) the request certainly did not take effect."""
    in_reply_to: int
    code: int
    text: str = ""


#: the request types, by the operation kind a client history records
REQUESTS = {"echo": Echo, "generate": Generate, "broadcast": Broadcast, "read": Read, "add": Add, "send": Send,
            "poll": Poll, "commit": CommitOffsets, "list_committed": ListCommittedOffsets, "write": Write}
