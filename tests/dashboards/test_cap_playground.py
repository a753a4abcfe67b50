"""The CAP playground dashboard in a real browser: Voila + headless Chromium."""
import os
import shutil
from pathlib import Path

import pytest

from .page import SCREEN, assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/cap_playground.ipynb"
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "dashboard_cap_playground.png"


def test_dashboard_cp_to_ap_and_scrub(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    assert_fits(page, "div.dsysedu-metrics")
    assert first.startswith("blob:") or first.startswith("data:image/png")
    # CP under the default partition: the minority side is refused, and what is answered is linearizable
    assert float(_metric(page, "answered")) < 1
    assert float(_metric(page, "stale reads")) == 0
    assert _metric(page, "linearizable") == "1"

    # 1. a control: CP -> AP re-runs; every request answered, consistency gone
    page.locator(".dsysedu-cap-mode").get_by_text("AP", exact=True).click()
    _wait_src_change(page, first)
    page.wait_for_function(
        """() => { const m = /answered\\s+([0-9.]+)/.exec(document.querySelector('div.dsysedu-metrics').innerText);
                   return m && m[1] === '1'; }""", timeout=60_000)
    second = _wait_settled(page)
    assert _metric(page, "answered") == "1"
    assert float(_metric(page, "stale reads")) > 0 and float(_metric(page, "lost writes")) > 0
    assert _metric(page, "linearizable") == "0"
    metrics = page.locator("div.dsysedu-metrics").inner_text()

    # 2. the time slider: keyboard on the slider handle -> redraw only
    page.locator(".dsysedu-time .noUi-handle, .dsysedu-time .slider-handle, .dsysedu-time [role=slider]").first.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    third = _wait_src_change(page, second)
    assert third != first
    _wait_settled(page)
    assert page.locator("div.dsysedu-metrics").inner_text() == metrics  # scrubbing did not re-run

    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_cap_playground.png"))
    # the README picture: the dashboard only, down to the metrics table
    box = page.locator(".dsysedu-picture").bounding_box()
    cropped = artifacts_dir / "dashboard_cap_playground_cropped.png"
    page.screenshot(path=str(cropped), clip={"x": 0, "y": 0, "width": SCREEN["width"],
                                             "height": min(SCREEN["height"], box["y"] + box["height"] + 16)})
    if os.environ.get("DSYSEDU_UPDATE_DOCS") == "1":  # refresh the README picture only when asked
        shutil.copyfile(cropped, DOCS_IMAGE)
    assert page.unexpected_console_errors() == [], page.console_errors
