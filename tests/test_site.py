"""The static site (``dsysedu.site``, ``bash scripts/site.sh``): it builds and its links resolve.

To stay quick, the whole site is built WITHOUT running the chapters (``execute=False``, what
``bash scripts/site.sh --no-execute`` does, about 10 s); one short chapter is built executed to
check that the run's figures reach the page. The full executed build is ``bash scripts/site.sh``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dsysedu.course import CHAPTERS, notebooks_dir
from dsysedu.site import broken_links, build_site, main, page_name

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build_site(out, execute=False, log=lambda line: None)
    return out


def test_the_front_page_is_the_mind_map_linking_every_written_chapter(site):
    from dsysedu.mind_map import mind_map

    front = (site / "index.html").read_text()
    assert 'class="dsysedu-map"' in front
    for ch in CHAPTERS:
        if (notebooks_dir() / ch.notebook).exists():
            assert (site / page_name(ch.notebook)).is_file()
            assert f'href="{page_name(ch.notebook)}' in front, ch.notebook
    # a leaf with a lesson opens its page at its section; a planned one is grey and unlinked
    for node in mind_map().walk():
        if node.status == "section":
            notebook, _, anchor = node.href.partition("#")
            assert f'href="{page_name(notebook)}#{anchor}' in front.replace("&amp;", "&"), node.href
    assert front.count('<span class="tag">planned</span>') == sum(n.status == "planned" for n in mind_map().walk())


def test_every_internal_link_resolves(site):
    assert broken_links(site) == []
    # and there are links to check: notebook links became page links, and each page has its bar
    intro = (site / "01_introduction.html").read_text()
    assert 'href="02_1_system_model.html"' in intro and ".ipynb\"" not in intro.split("<body", 1)[1]
    assert 'href="exercises/01_unreliable_link.html"' in intro
    assert 'href="../index.html"' in (site / "exercises" / "01_unreliable_link.html").read_text()


def test_the_checker_catches_broken_links(tmp_path):
    (tmp_path / "a.html").write_text('<a href="b.html">b</a> <a href="c.html">c</a> <img src="x.png">'
                                     '<a href="b.html#there">t</a> <a href="#nowhere">n</a> <h2 id="here">h</h2>'
                                     '<a href="#here">ok</a> <a href="https://example.org/x">ext</a>'
                                     '<a href="../outside.html">out</a>')
    (tmp_path / "b.html").write_text('<h1 id="%E4%B8%AD-x">h</h1><a href="#%E4%B8%AD-x">raw</a>'
                                     '<a href="a.html#here">ok</a>')
    (tmp_path.parent / "outside.html").write_text("")
    assert sorted(broken_links(tmp_path)) == sorted([("a.html", "../outside.html"), ("a.html", "#nowhere"),
                                                     ("a.html", "b.html#there"), ("a.html", "c.html"),
                                                     ("a.html", "x.png")])


def test_an_executed_chapter_carries_its_figures(tmp_path):
    nb = nbformat.read(notebooks_dir() / "00_start_here.ipynb", as_version=4)
    assert any(c.cell_type == "code" for c in nb.cells)
    # in a child process, as scripts/site.sh runs it: executing a notebook in this process would leave
    # nbclient's event loop behind for the next test of this worker
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-m", "dsysedu.site", str(tmp_path), "--only", "00_start_here.ipynb"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken links" in run.stdout
    page = (tmp_path / "00_start_here.html").read_text()
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page), "the executed page has no figure"
    # the mind map and the glossary reach the page without a kernel: the map's HTML, the table's HTML
    assert 'class="dsysedu-map"' in page and "dsysedu-glossary-static" in page and "circuit breaker" in page
    assert broken_links(tmp_path) == []
    front = (tmp_path / "index.html").read_text()
    assert 'href="01_introduction.html"' not in front   # not built: listed without a link
    assert 'href="01_introduction' not in page            # nor linked from the page


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not written chapters"):
        build_site(tmp_path, only=["99_nothing.ipynb"])
    with pytest.raises(ValueError, match="positive"):
        build_site(tmp_path, timeout=0)
    with pytest.raises(TypeError, match="True or False"):
        build_site(tmp_path, execute="yes")
    with pytest.raises(ValueError, match="not a .ipynb"):
        page_name("notes.md")
    with pytest.raises(ValueError, match="not a folder"):
        broken_links(tmp_path / "missing")


def test_cli_exits_nonzero_on_a_broken_link(tmp_path, monkeypatch, capsys):
    import dsysedu.site as site_mod
    monkeypatch.setattr(site_mod, "broken_links", lambda out: [("x.html", "y.html")])
    assert main([str(tmp_path), "--no-execute", "--only", "00_start_here.ipynb"]) == 1
    assert "BROKEN LINK in x.html: y.html" in capsys.readouterr().out


def test_every_notebook_is_valid_nbformat():
    """nbconvert (and JupyterLab) refuse invalid notebooks, e.g. a cell of type 'md'."""
    for path in sorted(notebooks_dir().rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts:
            nbformat.validate(nbformat.read(path, as_version=4))


def test_a_link_to_a_missing_notebook_is_reported(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 0 Start\n\nGo on with [the next one](01_introduction.ipynb) or [a typo](01_intro.ipynb).")])
    nbformat.write(nb, nbs / "00_start_here.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), nbs / "01_introduction.ipynb")
    build_site(tmp_path / "site", nbs, execute=False, log=lambda line: None)
    assert broken_links(tmp_path / "site") == [("00_start_here.html", "01_intro.ipynb")]


def test_a_page_shows_the_html_a_widget_offers_beside_itself():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from dsysedu.site import _static_outputs

    both = new_output("display_data", data={"text/html": "<table></table>", "text/plain": "VBox()",
                                            "application/vnd.jupyter.widget-view+json": {"model_id": "x"}})
    alone = new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "y"}})
    nb = new_notebook(cells=[new_code_cell("x", outputs=[both, alone])])
    _static_outputs(nb)
    assert set(nb.cells[0].outputs[0].data) == {"text/html", "text/plain"}
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[0].outputs[1].data
