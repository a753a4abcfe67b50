"""The token game driven from Python, as a learner's clicks would drive it, and the Petri net views."""
from __future__ import annotations

import doctest

import matplotlib
import pytest

from dsysedu.formal.petri import (dining_philosophers, coverability_graph, deadlocks, philosophers_word,
                                  reachability_graph, unbounded_producer)
from dsysedu.viz import petri as view
from dsysedu.widgets import token_game as module
from dsysedu.widgets.token_game import TokenGame

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def test_doctests():
    assert doctest.testmod(module).failed == 0
    assert doctest.testmod(view).failed == 0


def test_buttons_follow_the_firing_rule_and_the_picture_changes():
    net = dining_philosophers(3)
    game = TokenGame(net, size=(4.5, 4.5))
    assert game.png()[:8] == PNG and game.log.value == "<i>nothing fired yet</i>"
    assert {t for t, b in game.buttons.items() if not b.disabled} == set(net.enabled(net.initial))
    picture = game.png()
    game.buttons["first0"].click()
    assert game.marking == net.fire(net.initial, "first0") and game.png() != picture
    assert game.buttons["first0"].disabled and not game.buttons["second0"].disabled
    assert "1. <b>first0</b>" in game.log.value
    for b in game.buttons.values():  # every button agrees with the net, after every click
        assert b.disabled == (b.description not in net.enabled(game.marking))
    assert "dsysedu-token-fire" in game.buttons["done1"]._dom_classes
    assert "dsysedu-token-fire-done1" in game.buttons["done1"]._dom_classes
    assert "dsysedu-view" in game.image._dom_classes and "dsysedu-token-history" in game.log._dom_classes


def test_clicking_into_the_deadlock_disables_everything_then_undo_and_reset():
    net = dining_philosophers(4)
    game = TokenGame(net, size=(4.5, 4.5))
    for i in range(4):
        game.buttons[f"first{i}"].click()
    assert game.deadlocked and all(b.disabled for b in game.buttons.values())
    assert "deadlock" in game.status.value and "dsysedu-token-status" in game.status._dom_classes
    assert game.marking == deadlocks(net)[0] and philosophers_word(net, game.marking) == "HHHH"
    game.undo_button.click()
    assert not game.deadlocked and len(game.history) == 3 and not game.buttons["first3"].disabled
    game.reset_button.click()
    assert game.marking == net.initial and game.history == [] and game.undo_button.disabled


def test_firing_a_disabled_transition_through_the_api_is_refused():
    game = TokenGame(dining_philosophers(2))
    with pytest.raises(ValueError, match="'second0' is not enabled.*hold0 needs 1 has 0"):
        game.fire("second0")
    assert game.history == []
    with pytest.raises(TypeError, match="PetriNet"):
        TokenGame("not a net")


def test_screenshots_of_the_views(artifacts_dir):
    tmp_path = artifacts_dir
    net = dining_philosophers(5)
    game = TokenGame(net)
    for t in ("first0", "second0", "first2"):
        game.fire(t)
    (tmp_path / "token_game_philosophers.png").write_bytes(game.png())
    g = reachability_graph(net)
    ax = view.draw_state_graph(g, label=lambda m: philosophers_word(net, m))
    assert "82 markings, 1 deadlock" in ax.get_title()
    texts = [t.get_text() for t in ax.texts]
    assert "HHHHH" in texts and texts.count("HHHHH") == 1
    ax.figure.savefig(tmp_path / "petri_reachability_philosophers.png")
    ax = view.draw_net(net, deadlocks(g)[0])
    ax.figure.savefig(tmp_path / "petri_philosophers_deadlock.png")
    greens = [p for p in ax.patches if matplotlib.colors.same_color(p.get_facecolor(), view.ENABLED)]
    assert greens == []  # nothing enabled in the deadlock
    ax = view.draw_state_graph(coverability_graph(unbounded_producer()))
    assert any("items=ω" in t.get_text() for t in ax.texts)
    assert all((tmp_path / f).read_bytes()[:8] == PNG for f in ("token_game_philosophers.png", "petri_reachability_philosophers.png",
                                                          "petri_philosophers_deadlock.png"))
