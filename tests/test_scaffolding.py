"""Proves the test scaffolding works end to end: a real Voila serving a notebook with
ipywidgets, driven by headless Chromium through Playwright."""

from __future__ import annotations

import nbformat
import pytest

CLICK_NOTEBOOK_CODE = """\
import ipywidgets as w

label = w.Label(value="not clicked", layout=w.Layout(min_width="200px"))
label.add_class("dsysedu-probe-label")
button = w.Button(description="Click me")
button.add_class("dsysedu-probe-button")

def on_click(_):
    label.value = "clicked"

button.on_click(on_click)
w.VBox([button, label])
"""


def write_click_notebook(directory):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Scaffolding probe"),
        nbformat.v4.new_code_cell(CLICK_NOTEBOOK_CODE),
    ]
    path = directory / "probe.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.browser
def test_voila_button_changes_label(tmp_path, voila_factory, browser_page, artifacts_dir):
    write_click_notebook(tmp_path)
    base_url = voila_factory(tmp_path)
    page = browser_page

    page.goto(base_url + "voila/render/probe.ipynb", wait_until="domcontentloaded")
    button = page.locator(".dsysedu-probe-button")
    label = page.locator(".dsysedu-probe-label")
    button.wait_for(state="visible", timeout=60_000)
    assert label.inner_text() == "not clicked"

    button.click()
    page.wait_for_function(
        "() => document.querySelector('.dsysedu-probe-label')?.innerText === 'clicked'",
        timeout=15_000,
    )
    assert label.inner_text() == "clicked"

    page.screenshot(path=str(artifacts_dir / "scaffolding_voila_click.png"))
    assert page.unexpected_console_errors() == [], page.console_errors


def test_console_error_filter_drops_only_offline_cdn_failures():
    from conftest import unexpected_console_errors

    cdn = "Failed to load resource: net::ERR_FAILED (https://cdn.jsdelivr.net/npm/x/all.min.css)"
    local = "Failed to load resource: net::ERR_FAILED (http://127.0.0.1:8866/static/x.js)"
    local_404 = "Failed to load resource: the server responded with a status of 404 (Not Found) (http://127.0.0.1:8866/x)"
    page_error = "pageerror: TypeError: x is undefined"
    assert unexpected_console_errors([cdn, local, local_404, page_error]) == [local, local_404, page_error]


def test_nbval_sanitize_config_parses_and_masks():
    import re
    from pathlib import Path

    from nbval.plugin import get_sanitize_patterns

    cfg = Path(__file__).with_name("nbval_sanitize.cfg").read_text()
    patterns = get_sanitize_patterns(cfg)
    assert len(patterns) == 3

    def sanitize(s):
        for regex, replace in patterns:
            s = re.sub(regex, replace, s)
        return s

    a = "<Node at 0x7f3a2b1c0d10> anim_3f2a9c0e4b1d4e5fa6b7c8d9e0f1a2b3 took 1.25 s, 3.5ms"
    b = "<Node at 0x55d0e1f2a3b4> anim_0123456789abcdef0123456789abcdef took 0.98 s, 12.0ms"
    assert sanitize(a) == sanitize(b)
