"""Declared playgrounds: a spec is checked when it is made, and any spec plays, finished or live."""
from __future__ import annotations

import doctest

import pytest

from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.protocols.basics.toys import Flood
from dsysedu.sim import Crash, LinkModel, Scenario
from dsysedu.widgets import (Choice, LinkSliders, LivePlayground, NodeToggles, PartitionSides, Playground,
                             PlaygroundSpec, Seed, Slider, Toggle)
from dsysedu.widgets import spec as spec_module

PNG = b"\x89PNG\r\n\x1a\n"


def flood(nodes=6, loss=0.0, crash=(), crash_at=0.05, crash_until=None, partition=None, partition_at=0.0,
          partition_until=None, reorder=False, shape="complete"):
    """A small builder for the tests: Flood over a complete graph or a ring."""
    import networkx as nx
    graph = nx.complete_graph(nodes) if shape == "complete" else nx.cycle_graph(nodes)
    faults = [Crash(n, at=crash_at, until=crash_until) for n in crash]
    if partition:
        from dsysedu.sim import Partition
        faults.append(Partition(partition, at=partition_at, until=partition_until))
    return Scenario(Flood, nodes=graph, link=LinkModel(latency=0.01, loss=loss, reorder=reorder), faults=faults,
                    until=0.3)


FLOOD = PlaygroundSpec(
    flood,
    controls=[Slider("nodes", 3, 12, 1), Slider("loss", 0.0, 0.5, 0.05), Toggle("reorder"),
              Choice("shape", ["complete", "ring"], buttons=True),
              NodeToggles("crash", window=("crash_at", "crash_until"), group="faults"),
              PartitionSides("partition", window=("partition_at", "partition_until"), group="faults"), Seed()],
    views=("topology", "spacetime"), measures=lambda tr: {"informed": len(tr.observations("informed"))},
    css="dsysedu-flood", fork=True)


def test_every_kind_of_control_plays_and_reruns():
    pg = Playground(FLOOD)
    assert pg.image.value[:8] == PNG and pg.runs == 1 and "informed" in pg.info.value
    for name, value in (("nodes", 8), ("loss", 0.2), ("reorder", True), ("shape", "ring")):
        runs = pg.runs
        pg.controls[name].value = value
        assert pg.runs == runs + 1 and pg.values()[name] == value
        assert f"dsysedu-flood-{name}" in pg.controls[name]._dom_classes
    assert len(pg.trace.nodes) == 8
    pg.controls["crash"].buttons[3].value = True
    pg.controls["partition"].set_groups([[0, 1, 2], [3, 4, 5, 6, 7]])
    values = pg.values()
    assert values["crash"] == (3,) and values["partition"] == [[0, 1, 2], [3, 4, 5, 6, 7]]
    assert pg.trace.count("crash") == 1 and pg.trace.count("partition") == 1
    runs = pg.runs
    pg.controls["seed"].box.value = 5
    assert pg.spec.seed_of(pg.values()) == 5 and pg.runs == runs + 1
    pg.controls["nodes"].value = 4      # fewer nodes: the per-node controls are made again
    assert list(pg.controls["crash"].buttons) == [0, 1, 2, 3] and pg.values()["crash"] == (3,)
    assert pg.values()["partition"] == [[0, 1, 2], [3]] and len(pg.trace.nodes) == 4
    assert pg.controls["crash"].widget in pg._rows["crash"][0].children


def test_a_builder_error_shows_in_the_status_line_and_keeps_the_last_run():
    def strict(loss=0.0, crash=()):
        if loss > 0.3:
            raise ValueError(f"loss must be at most 0.3, got {loss}")
        return flood(loss=loss)
    pg = Playground(PlaygroundSpec(strict, controls=[Slider("loss", 0.0, 0.5, 0.05)]))
    trace = pg.trace
    pg.controls["loss"].value = 0.4
    assert "at most 0.3" in pg.status.value and pg.trace is trace


def test_overrides_start_the_controls_and_are_checked():
    pg = Playground(FLOOD, nodes=4, crash=(1,), shape="ring")
    assert pg.controls["crash"].buttons[1].value and len(pg.trace.nodes) == 4
    with pytest.raises(TypeError, match="unexpected parameter"):
        Playground(FLOOD, warp=9)
    with pytest.raises(ValueError, match="outside its range"):
        Playground(FLOOD, nodes=40)
    with pytest.raises(ValueError, match="not one of"):
        Playground(FLOOD, shape="torus")
    with pytest.raises((ValueError, TypeError), match="list of"):
        Playground(FLOOD, partition="default")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(controls=[Slider("speed", 0, 1)]), ValueError, "does not take; it takes ['crash', 'crash_at'"),
    (dict(controls=[Slider("loss", 0.6, 0.9)]), ValueError, "outside its range [0.6, 0.9]"),
    (dict(controls=[Choice("shape", ["star"])]), ValueError, "is not one of ['star']"),
    (dict(controls=[Choice("shape")]), ValueError, "needs options"),
    (dict(controls=[Toggle("loss")]), ValueError, "must be True or False"),
    (dict(controls=[Slider("loss", 0, 1), Slider("loss", 0, 1)]), ValueError, "both set the parameter 'loss'"),
    (dict(controls=[NodeToggles("crash", window=("crash_at", "crash_until")), Slider("crash_at", 0, 1)]),
     ValueError, "both set the parameter 'crash_at'"),
    (dict(controls=["loss"]), TypeError, "controls must be declarations from ['Slider', 'Toggle', 'Choice'"),
    (dict(views=("topology", "pie chart")), ValueError, "views are chosen from"),
    (dict(views=("history", "spread")), ValueError, "no panel draws"),
    (dict(measures=42), TypeError, "measures must be a function"),
    (dict(defaults={"colour": "red"}), ValueError, "defaults name ['colour']"),
    (dict(live=True, run=lambda sc, seed: None), ValueError, "live spec"),
])
def test_bad_declarations_say_what_is_allowed(kwargs, error, words):
    with pytest.raises(error) as info:
        PlaygroundSpec(flood, **kwargs)
    assert words in str(info.value)


def test_a_builder_must_be_callable_and_a_parameter_needs_a_default():
    with pytest.raises(TypeError, match="build must be a function"):
        PlaygroundSpec("flood")
    with pytest.raises(ValueError, match="no default value"):
        PlaygroundSpec(lambda loss: flood(loss=loss), controls=[Slider("loss", 0, 1)])
    assert PlaygroundSpec(lambda loss: flood(loss=loss), controls=[Slider("loss", 0, 1)],
                          defaults={"loss": 0.1}).values()["loss"] == 0.1


def test_fork_keeps_the_prefix_and_adds_the_later_faults():
    pg = Playground(FLOOD, crash_at=0.02, crash_until=0.3)
    pg.scrubber.slider.value = 0.012
    base = pg.trace
    for n in (3, 4):
        pg.controls["crash"].buttons[n].value = True
    pg.fork_here()
    assert pg.trace.prefix(0.012).rows == base.prefix(0.012).rows and pg.trace.count("crash") == 2
    assert "forked at" in pg.status.value


def test_live_and_finished_specs_go_to_their_own_playground():
    live = PlaygroundSpec(request_reply_scenario, controls=[Slider("loss", 0.0, 0.5, 0.05)], live=True)
    with pytest.raises(ValueError, match="LivePlayground"):
        Playground(live)
    with pytest.raises(ValueError, match="live=True"):
        LivePlayground(FLOOD)
    pg = LivePlayground(live)
    assert pg.sim.now == 0.0 and pg.image.value[:8] == PNG
    pg.advance(0.5)
    pg.step()
    assert pg.sim.now >= 0.5 and "t = " in pg.status.value
    pg.controls["loss"].value = 0.3           # a control starts the run again
    assert pg.sim.now == 0.0 and pg.sim.scenario.link.loss == 0.3
    pg.advance(1.0)
    pg.scrubber.value = 0.4
    assert "viewing the past" in pg.status.value
    pg.fork_here()
    assert pg.sim.now == pytest.approx(0.4)
    # the generic live actions: node cards, the partition editor, messages on the wire
    _box, head, crash, recover = pg.cards[1]
    crash.click()
    assert pg.sim.status(1) == "crashed" and crash.disabled and not recover.disabled and "crashed" in head.value
    recover.click()
    pg.partition_editor.set_groups([[0], [1]])
    pg._partition_from_editor()
    assert pg.sim.status(1) == "up" and any(r[1] == "partition" for r in pg.sim.rows)
    pg.heal()
    for _ in range(50):
        if pg.pending_messages():
            break
        pg.step()
    first = pg.pending_messages()[0]
    assert len(pg.pending_box.children) == len(pg.pending_messages()) and "Request" in pg.pending_box.children[0].children[0].value
    pg.drop(first.id)
    assert pg.sim.trace[-1].kind == "drop"


def test_docstring_examples_run():
    assert doctest.testmod(spec_module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
    from dsysedu.widgets import link_playground, live, playground
    for module in (link_playground, live, playground):
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_link_sliders_make_the_link():
    def build(link=LinkModel(latency=0.02)):
        return request_reply_scenario(latency=link.latency, loss=link.loss)
    pg = Playground(PlaygroundSpec(build, controls=[LinkSliders("link")]))
    pg.controls["link"].loss.value = 0.3
    assert pg.values()["link"].loss == pytest.approx(0.3) and pg.scenario().link.loss == pytest.approx(0.3)
