"""Chapter 4.1 and 4.2 exercises: the small rules at the heart of a hash ring and of an idempotent consumer.

- ``ch4-ring-lookup``: which node a key belongs to on a consistent-hash ring with virtual nodes (the rule of
  :class:`dsysedu.systems.storage.HashRing`);
- ``ch4-idempotent``: the balance after a stream of deliveries with duplicates, applying each message once (what the
  idempotent store of :mod:`dsysedu.systems.messaging.queue` does).
"""
from __future__ import annotations


from .core import Exercise, register, same_int

__all__ = []


# ------------------------------------------------------------------ consistent-hash lookup


def _ring_cases():
    three = [(10, "a"), (40, "b"), (70, "c")]
    vnodes = [(5, "a"), (20, "b"), (33, "a"), (48, "c"), (61, "b"), (90, "c")]
    return [
        ("three nodes, a key between a and b", (three, 25)),
        ("a key exactly on a node's point belongs to that node", (three, 40)),
        ("a key after the last point wraps around to the first", (three, 85)),
        ("a key before the first point", (three, 3)),
        ("the points are not given in order", ([(70, "c"), (10, "a"), (40, "b")], 55)),
        ("virtual nodes: a owns two arcs", (vnodes, 30)),
        ("virtual nodes, wrapping", (vnodes, 95)),
        ("one node with one point owns everything", ([(50, "solo")], 99)),
        ("virtual nodes, exactly on the last point", (vnodes, 90)),
    ]


register(Exercise(
    id="ch4-ring-lookup",
    title="Consistent hashing: which node owns this key?",
    cases=_ring_cases,
    hint="sort the points by position; the owner is the node of the first point whose position is >= the key's "
         "position; if there is none (the key is past the last point), wrap around to the first point.",
))


# ------------------------------------------------------------------ idempotent consumer


def _apply_cases():
    return [
        ("no deliveries", ([],)),
        ("three messages, each delivered once", ([("m1", 10), ("m2", 5), ("m3", -3)],)),
        ("a message redelivered after a lost ack", ([("m1", 10), ("m2", 5), ("m1", 10)],)),
        ("a message delivered three times", ([("m1", 7), ("m1", 7), ("m1", 7)],)),
        ("the duplicate arrives after later messages", ([("a", 1), ("b", 2), ("c", 4), ("a", 1), ("d", 8)],)),
        ("a withdrawal redelivered must not be taken twice", ([("dep", 100), ("wd", -30), ("wd", -30)],)),
        ("two different messages with the same amount are both applied", ([("x", 5), ("y", 5)],)),
    ]


register(Exercise(
    id="ch4-idempotent",
    title="An idempotent consumer: each message's effect once",
    cases=_apply_cases,
    same=same_int,
    hint="keep a set of the message ids already applied; for each delivery, add its amount only if its id is not "
         "in the set yet, then remember the id. Return the balance as an int.",
))
