"""The redex picker driven by clicks, as a learner would: each button is one redex on offer."""
from __future__ import annotations

import doctest

from dsysedu.formal.pi import CHOICE, MOBILITY, redexes, show
from dsysedu.widgets import pi_stepper as module
from dsysedu.widgets.pi_stepper import RedexPicker


def test_doctests():
    assert doctest.testmod(module).failed == 0


def test_one_button_per_redex_and_clicks_follow_the_walk():
    picker = RedexPicker(MOBILITY)
    assert len(picker.buttons) == len(redexes(MOBILITY)) == 1
    assert picker.undo_button.disabled and "none yet" in picker.log.value
    for _ in range(3):
        before = picker.walk.current
        picker.buttons[0].click()
        assert picker.walk.current == redexes(before)[0].after
        assert show(picker.walk.current).replace("<", "&lt;").replace(">", "&gt;") in picker.term.value
    assert picker.buttons == [] and "no redex" in picker.choices.children[0].value
    assert picker.log.value.count("<br>") == 2 and not picker.undo_button.disabled
    picker.undo_button.click()
    assert len(picker.walk.steps) == 2 and len(picker.buttons) == 1
    picker.reset_button.click()
    assert picker.walk.steps == () and picker.undo_button.disabled


def test_a_choice_offers_both_branches_and_each_button_drops_the_other():
    for k, kept, lost in ((0, "decided<a>", "retry"), (1, "retry<b>", "decided")):
        picker = RedexPicker(CHOICE)
        assert len(picker.buttons) == 2 and all("drops" in b.description for b in picker.buttons)
        picker.buttons[k].click()
        now = show(picker.walk.current)
        assert kept in now and lost not in now and picker.buttons == []
        assert "drops" in picker.log.value and lost in picker.log.value   # the history says what was dropped
