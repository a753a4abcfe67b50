"""The gossip playground dashboard in a real browser: Voila + headless Chromium."""

import pytest

from .page import VIEW_IMG, metric as _metric, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/gossip_playground.ipynb"


def test_dashboard_reruns_on_mode_and_scrubs(voila_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(voila_server + DASHBOARD, wait_until="domcontentloaded")
    page.locator(VIEW_IMG).first.wait_for(state="visible", timeout=120_000)
    first = _wait_settled(page)
    assert first.startswith("blob:") or first.startswith("data:image/png")
    assert _metric(page, "informed share") == "1"
    traffic = _metric(page, "messages per node")

    # 1. a control: mode push -> push-pull re-runs (more messages per node: pull requests too)
    page.locator(".dsysedu-gossip-mode").get_by_text("push-pull", exact=True).click()
    second = _wait_src_change(page, first)
    page.wait_for_function(
        """(old) => { const m = /messages per node\\s+([0-9.]+)/.exec(
                        document.querySelector('div.dsysedu-metrics').innerText);
                      return m && m[1] !== old; }""", arg=traffic, timeout=60_000)
    second = _wait_settled(page)
    traffic2 = _metric(page, "messages per node")

    # 2. the time slider: keyboard on the slider handle -> redraw only
    page.locator(".dsysedu-time .noUi-handle, .dsysedu-time .slider-handle, .dsysedu-time [role=slider]").first.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    third = _wait_src_change(page, second)
    assert third != first
    assert _metric(page, "messages per node") == traffic2  # scrubbing did not re-run

    _wait_settled(page)
    page.screenshot(path=str(artifacts_dir / "dashboard_gossip_playground.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
