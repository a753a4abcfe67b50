"""W3C Trace Context (追踪上下文): the ``traceparent`` header that carries a trace across every hop.

A ``traceparent`` is four dash-separated lowercase hex fields [1]_::

    00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
    ^^ version (00)
       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ trace-id: 16 bytes, never all zeros
                                        ^^^^^^^^^^^^^^^^ parent-id: 8 bytes (the caller's span), never all zeros
                                                         ^^ trace-flags: bit 0 = sampled

Every request in :mod:`dsysedu.ops.services` carries one in its message; a callee reads it,
starts its own span as a child of ``parent-id`` and puts its *own* span id in the header it
sends further down. Ids are drawn from the node's seeded stream (``ctx.rng``), so the same seed
gives the same ids.

References
----------
.. [1] W3C, "Trace Context", W3C Recommendation, 23 November 2021, §3.2 (traceparent header).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TraceParent", "parse_traceparent", "new_trace_id", "new_span_id", "SAMPLED"]

SAMPLED = 0x01
_FORMAT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceParent:
    """One ``traceparent`` value (version 00).

    Parameters
    ----------
    trace_id : str
        32 lowercase hex digits, not all zeros.
    parent_id : str
        16 lowercase hex digits, not all zeros: the span of the caller.
    flags : int
        0..255; bit 0 (:data:`SAMPLED`) says the caller records this trace.

    Examples
    --------
    >>> tp = TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    >>> tp.header()
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    >>> parse_traceparent(tp.header()) == tp
    True
    """
    trace_id: str
    parent_id: str
    flags: int = SAMPLED

    def __post_init__(self):
        _hex("trace_id", self.trace_id, 32)
        _hex("parent_id", self.parent_id, 16)
        if isinstance(self.flags, bool) or not isinstance(self.flags, int) or not 0 <= self.flags <= 255:
            raise ValueError(f"traceparent flags must be an int in 0..255, got {self.flags!r}")

    def header(self) -> str:
        """The header value: ``00-<trace_id>-<parent_id>-<flags as 2 hex digits>``."""
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags:02x}"

    def child(self, span_id: str) -> "TraceParent":
        """The header a callee sends on: same trace and flags, its own span as the parent."""
        return TraceParent(self.trace_id, span_id, self.flags)

    @property
    def sampled(self) -> bool:
        return bool(self.flags & SAMPLED)


def _hex(name: str, value, digits: int) -> None:
    if not isinstance(value, str) or len(value) != digits or not all(c in "0123456789abcdef" for c in value):
        raise ValueError(f"traceparent {name} must be {digits} lowercase hex digits, got {value!r}")
    if value == "0" * digits:
        raise ValueError(f"traceparent {name} must not be all zeros (the W3C spec calls that invalid)")


def parse_traceparent(header: str) -> TraceParent:
    """Read a ``traceparent`` header of version 00; raise ValueError saying what is wrong.

    Examples
    --------
    >>> parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").sampled
    False
    """
    if not isinstance(header, str):
        raise TypeError(f"a traceparent header is a str, got {type(header).__name__}")
    m = _FORMAT.match(header)
    if m is None:
        raise ValueError(f"traceparent must look like 00-<32 hex>-<16 hex>-<2 hex> (lowercase), got {header!r}")
    version, trace_id, parent_id, flags = m.groups()
    if version != "00":
        raise ValueError(f"only traceparent version 00 is supported, got {version!r}")
    return TraceParent(trace_id, parent_id, int(flags, 16))


def _draw(rng, digits: int) -> str:
    while True:
        v = rng.getrandbits(4 * digits)
        if v:                                   # all zeros is invalid: draw again (probability 2**-64 or less)
            return f"{v:0{digits}x}"


def new_trace_id(rng) -> str:
    """A random 16-byte trace id (32 hex digits) from ``rng`` (a node's ``ctx.rng``)."""
    return _draw(rng, 32)


def new_span_id(rng) -> str:
    """A random 8-byte span id (16 hex digits) from ``rng`` (a node's ``ctx.rng``)."""
    return _draw(rng, 16)
