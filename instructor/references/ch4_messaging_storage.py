"""Reference solutions: chapter 4.1 and 4.2 exercises: the small rules at the heart of a hash ring and of an idempotent consumer.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch4_messaging_storage) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

import bisect

__all__ = ["ring_lookup_reference", "apply_once_reference"]


def ring_lookup_reference(points, key_position) -> str:
    """The node owning ``key_position`` on a ring given as ``points``, pairs ``(position, node)`` in any order:
    the first point at or after the key, clockwise, wrapping past the largest position to the smallest."""
    ring = sorted(points)
    positions = [p for p, _ in ring]
    i = bisect.bisect_left(positions, key_position)
    return ring[i % len(ring)][1]


def apply_once_reference(deliveries) -> int:
    """The balance after ``deliveries``, pairs ``(message_id, amount)`` in arrival order, applying each id once."""
    seen, balance = set(), 0
    for mid, amount in deliveries:
        if mid not in seen:
            seen.add(mid)
            balance += amount
    return balance


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch4-ring-lookup": ring_lookup_reference, "ch4-idempotent": apply_once_reference}
