"""The capstone's panels draw, and every link of the recursive loop opens a notebook that exists."""
import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from dsysedu import run
from dsysedu.ops import capstone as cs
from dsysedu.viz.capstone import LOOP, layer_panels, recursive_loop

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_every_link_of_the_loop_resolves():
    loop = recursive_loop()
    hrefs = re.findall(r'href="([^"]+)"', loop.svg)
    assert hrefs and sorted(hrefs) == sorted(h for _, h in loop.links)
    for href in hrefs:
        assert (NOTEBOOKS / href).is_file(), href
    assert [label for label, _ in LOOP] == list(cs.LAYERS)


def test_a_missing_chapter_is_shown_without_a_link(tmp_path):
    (tmp_path / "02_3_verification.ipynb").write_text("{}")
    loop = recursive_loop(root=tmp_path)
    assert loop.links == (("2.3", "02_3_verification.ipynb"),)
    assert loop.svg.count("<a ") == 1 and ">planned</title>" in loop.svg


def test_panels_draw_six_layers():
    trace = run(cs.capstone_scenario(duration=4.0), seed=7)
    views = cs.layer_views(trace)
    fig = layer_panels(views, verdicts=cs.hypotheses(trace))
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert len(fig.axes) == 6 and titles[0] == "formal" and titles[4].startswith("AI and humans:")
    assert titles[5].startswith("operations:")
    del views["AI and humans"]                       # a run without the AI layer: the panel says so
    fig = layer_panels(views)
    assert fig.axes[4].get_title(loc="left") == "AI and humans"
