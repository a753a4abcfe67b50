"""The node API: Context records effects and refuses what a protocol may not do."""
from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from dsysedu.protocols.basics.toys import Flood, Rumor
from dsysedu.sim import Context, Node, Scenario, run
from dsysedu.sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, check_message


@dataclass
class Loose:
    x: int


@dataclass(frozen=True)
class Tight:
    x: int


def ctx_for(node=0, peers=(1, 2), known=None):
    return Context(node, peers, rng=random.Random(1), known=known)


def test_effects_are_recorded_in_order_and_taken_once():
    ctx = ctx_for()
    ctx.send(1, Tight(1))
    ctx.set_timer("t", 0.5)
    ctx.cancel_timer("u")
    ctx.observe("role", "leader")
    ctx.broadcast(Tight(2), include_self=False)
    assert ctx.take_effects() == [(SEND, 1, Tight(1)), (SET_TIMER, "t", 0.5), (CANCEL_TIMER, "u", None),
                                  (OBSERVE, "role", "leader"), (SEND, 1, Tight(2)), (SEND, 2, Tight(2))]
    assert ctx.take_effects() == []


def test_broadcast_include_self():
    ctx = ctx_for(known=(0, 1, 2))
    ctx.broadcast("hi", include_self=True)
    assert [e[1] for e in ctx.effects] == [1, 2, 0]


def test_send_to_non_neighbour_raises():
    ctx = ctx_for()
    with pytest.raises(ValueError, match=r"node 0 has no link to 7; it can send to \[1, 2\]"):
        ctx.send(7, Tight(1))
    assert ctx.effects == []


@pytest.mark.parametrize("msg", [Loose(1), [1, 2], {"a": 1}, {1, 2}, (1, [2]), object()])
def test_mutable_messages_raise_type_error(msg):
    ctx = ctx_for()
    with pytest.raises(TypeError):
        ctx.send(1, msg)
    with pytest.raises(TypeError):
        ctx.broadcast(msg)
    assert ctx.effects == []


def test_non_frozen_dataclass_message_names_the_fix():
    with pytest.raises(TypeError, match=r"make Loose a @dataclass\(frozen=True\)"):
        check_message(Loose(1))


@pytest.mark.parametrize("msg", [Tight(1), (1, "a", (2.5, None)), "text", 3, 2.5, True, b"raw", None,
                                 frozenset({1, 2})])
def test_immutable_messages_pass(msg):
    check_message(msg)


@pytest.mark.parametrize("delay, exc", [(-0.1, ValueError), (float("nan"), ValueError), ("1", TypeError)])
def test_set_timer_bad_delay(delay, exc):
    ctx = ctx_for()
    with pytest.raises(exc, match=r"set_timer\('t'\) delay"):
        ctx.set_timer("t", delay)
    assert ctx.effects == []


def test_clock_defaults_to_true_time():
    ctx = ctx_for()
    ctx.now = 1.25
    assert ctx.clock() == 1.25


def test_handler_in_isolation():
    """A handler test in the STYLE sense: hand-made state, one call, check its effects."""
    node = Flood(1, peers=(0, 2, 3))
    ctx = Context(1, node.peers)
    node.on_message(ctx, 0, Rumor(0))
    assert node.informed
    sends = [(dst, msg) for kind, dst, msg in ctx.take_effects() if kind == SEND]
    assert sends == [(2, Rumor(0)), (3, Rumor(0))]
    node.on_message(ctx, 2, Rumor(0))
    assert ctx.take_effects() == []


class Stateful(Node):
    durable = ("log",)

    def __init__(self, node_id, peers=()):
        super().__init__(node_id, peers)
        self.log = [1, 2]
        self.votes = {"b": {1}, "a": set()}


def test_state_is_hashable_and_sorted():
    s = Stateful(0).state()
    assert [k for k, _ in s] == ["log", "votes"]
    hash(s)
    other = Stateful(0)
    other.votes = {"a": set(), "b": {1}}
    assert other.state() == s
    other.log.append(3)
    assert other.state() != s


def test_durable_state_is_a_copy():
    n = Stateful(0)
    d = n.durable_state()
    n.log.append(9)
    assert d == {"log": [1, 2]}


class Raiser(Node):
    def on_start(self, ctx):
        ctx.send(99, "x")


def test_handler_errors_surface_from_the_run():
    with pytest.raises(ValueError, match="has no link to 99"):
        run(Scenario(Raiser, nodes=2, until=1.0))


class SelfTalk(Node):
    def on_start(self, ctx):
        ctx.send(self.id, ("me", self.id))

    def on_message(self, ctx, src, msg):
        ctx.observe("got", (src, msg))


def test_a_node_may_send_to_itself_without_delay():
    trace = run(Scenario(SelfTalk, nodes=2, until=1.0))
    got = trace.observations("got")
    assert sorted(got.value) == [(0, ("me", 0)), (1, ("me", 1))]
    assert (got.time == 0.0).all()


class Dice(Node):
    def on_start(self, ctx):
        ctx.observe("roll", ctx.rng.random())


def test_rng_is_per_node_and_seeded():
    def rolls(seed):
        return run(Scenario(Dice, nodes=3), seed=seed).value_at("roll", 0.0)
    a = rolls(4)
    assert a == rolls(4)
    assert len(set(a.values())) == 3
    assert a != rolls(5)
