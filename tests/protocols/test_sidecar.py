"""Sidecar and ambassador: the same app code in three deployments; retries beat loss, discovery beats a crash."""
import pytest

from dsysedu.sim import run
from dsysedu.sim.node import Context, SEND, SET_TIMER
from dsysedu.systems.patterns import (Alive, Ambassador, APP, AppService, Instances, LOCAL, REGISTRY, Registry,
                                      Request, Resolve, Response, Sidecar, mesh_scenario, mesh_sweep, success_rate)


def ctx_at(node, now=0.0, peers=(APP, LOCAL, REGISTRY, "inventory1", "inventory2")):
    c = Context(node, [p for p in peers if p != node])
    c.now = now
    return c


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def test_the_app_code_is_the_same_class_in_every_deployment():
    for d in ("plain", "sidecar", "ambassador"):
        sc = mesh_scenario(d)
        assert sc.protocol[APP] is AppService


def test_sidecar_retries_after_its_timeout_then_gives_up():
    s = Sidecar(LOCAL, upstream="inventory1", timeout=0.1, retries=1)
    c = ctx_at(LOCAL)
    s.on_message(c, APP, Request(1))
    assert sends(c) == [("inventory1", Request(1))] and (SET_TIMER, ("timeout", 1), 0.1) in c.effects
    c = ctx_at(LOCAL, 0.1)
    s.on_timer(c, ("timeout", 1))
    assert sends(c) == [("inventory1", Request(1))] and s.pending == {1: 1}
    c = ctx_at(LOCAL, 0.2)
    s.on_timer(c, ("timeout", 1))
    assert sends(c) == [] and s.pending == {}
    c = ctx_at(LOCAL, 0.3)
    s.on_message(c, "inventory1", Response(1))       # a late answer after giving up is dropped
    assert sends(c) == []


def test_sidecar_passes_the_first_answer_once():
    s = Sidecar(LOCAL, retries=2)
    s.on_message(ctx_at(LOCAL), APP, Request(4))
    s.on_timer(ctx_at(LOCAL, 0.1), ("timeout", 4))
    c = ctx_at(LOCAL, 0.15)
    s.on_message(c, "inventory1", Response(4))
    s.on_message(c, "inventory1", Response(4))
    assert sends(c) == [(APP, Response(4))]


def test_registry_and_ambassador_route_to_live_instances():
    r = Registry(REGISTRY, ttl=0.5)
    r.on_message(ctx_at(REGISTRY, 0.0), "inventory1", Alive())
    r.on_message(ctx_at(REGISTRY, 0.4), "inventory2", Alive())
    c = ctx_at(REGISTRY, 0.6)
    r.on_message(c, LOCAL, Resolve())
    assert sends(c) == [(LOCAL, Instances(("inventory2",)))]
    a = Ambassador(LOCAL)
    a.on_message(ctx_at(LOCAL), REGISTRY, Instances(("inventory1", "inventory2")))
    c = ctx_at(LOCAL)
    a.on_message(c, APP, Request(1))
    a.on_timer(c, ("timeout", 1))
    assert [dst for dst, _m in sends(c)] == ["inventory2", "inventory1"]    # a retry goes to the next instance


def test_measured_success_under_loss_and_a_crash():
    rate = {d: success_rate(run(mesh_scenario(d, loss=0.2), seed=3)) for d in ("plain", "sidecar", "ambassador")}
    assert rate["plain"] < 0.5 and rate["sidecar"] < 0.55 < 0.9 < rate["ambassador"]
    no_crash = {d: success_rate(run(mesh_scenario(d, loss=0.2, crash_at=None), seed=3)) for d in ("plain", "sidecar")}
    assert no_crash["plain"] < 0.7 < 0.95 < no_crash["sidecar"]


def test_sweep_without_loss_everyone_succeeds_until_the_crash():
    df = mesh_sweep(losses=(0.0,), seeds=range(2), crash_at=None, until=5.0)
    assert (df.success == 1.0).all()


def test_bad_parameters():
    with pytest.raises(ValueError, match="deployment"):
        mesh_scenario("mesh")
    with pytest.raises(ValueError):
        Sidecar(LOCAL, retries=-1)
    with pytest.raises(ValueError):
        mesh_scenario(loss=2.0)


def test_500_random_runs_the_app_hears_each_call_at_most_once():
    import random
    for seed in range(500):
        r = random.Random(seed)
        loss, crash = r.choice((0.0, 0.1, 0.3)), r.choice((None, 1.0))
        for d in ("sidecar", "ambassador"):
            t = run(mesh_scenario(d, loss=loss, crash_at=crash, until=2.5), seed=seed)
            answered = list(t.observations("answered")["value"])
            assert len(answered) == len(set(answered)), (seed, d)        # retries never answer a call twice
            if loss == 0 and crash is None:
                assert success_rate(t) == 1.0, (seed, d)
