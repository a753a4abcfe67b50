"""The unreliable-link dashboard in a real browser: Voila + headless Chromium."""

import pytest

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/unreliable_link.ipynb"


def test_dashboard_reruns_on_controls_and_scrubs(voila_server, browser_page, artifacts_dir):
    page = browser_page
    first = open_dashboard(page, voila_server + DASHBOARD, timeout_ms=90_000)
    assert_fits(page, "div.dsysedu-metrics")
    assert first.startswith("blob:") or first.startswith("data:image/png")
    crashed_before = _metric(page, "crashes")
    assert crashed_before == "0"

    # 1. a control: crash the server (Crashes tab) -> the scenario re-runs, a crash appears
    page.get_by_text("Crashes", exact=True).click()
    page.locator(".dsysedu-crash-1").click()
    second = _wait_src_change(page, first)
    page.wait_for_function("() => /crashes\\s+1/.test(document.querySelector('div.dsysedu-metrics').innerText)",
                           timeout=30_000)

    # 2. the time slider: keyboard on the slider handle -> redraw only
    page.locator(".dsysedu-time .noUi-handle, .dsysedu-time .slider-handle, .dsysedu-time [role=slider]").first.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    third = _wait_src_change(page, second)
    assert third != first
    assert _metric(page, "crashes") == "1"  # scrubbing did not re-run

    _wait_settled(page)
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_unreliable_link.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
