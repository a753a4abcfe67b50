"""The saga playground dashboard in a real browser: Voila + headless Chromium."""
import pytest

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/saga_playground.ipynb"


def _table(page) -> str:
    return page.locator("div.dsysedu-metrics").inner_text()


def test_saga_then_2pc_with_a_crashed_coordinator(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    # the default: the shipping step fails, refund then release, every property holds
    assert "compensated" in _table(page) and _metric(page, "compensations") == "2"
    assert "VIOLATED" not in _table(page)
    page.locator(".dsysedu-time .noUi-handle, .dsysedu-time .slider-handle, .dsysedu-time [role=slider]").first.focus()
    page.keyboard.press("End")                       # scrub to the end: a redraw, no re-run
    first = _wait_src_change(page, first)
    _wait_settled(page)
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_saga_playground.png"))

    # 1. the failing-step slider: keyboard on its handle, down to 0 -> the saga completes
    handle = page.locator(".dsysedu-saga-fail-step .noUi-handle, .dsysedu-saga-fail-step .slider-handle, "
                          ".dsysedu-saga-fail-step [role=slider]").first
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText.includes('done')""",
                           timeout=60_000)
    second = _wait_settled(page)
    assert second != first and _metric(page, "compensations") == "0"

    # 2. the style: 2PC commits; crash its coordinator and the participants are left blocked
    page.locator(".dsysedu-saga-style").get_by_text("2PC", exact=True).click()
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText.includes('committed')""",
                           timeout=60_000)
    third = _wait_settled(page)
    page.locator(".dsysedu-crash-c").first.click()
    _wait_src_change(page, third)
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText.includes('blocked')""",
                           timeout=60_000)
    _wait_settled(page)
    assert _metric(page, "blocked (prepared)") == "3" and "VIOLATED" in _table(page)
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_saga_playground_2pc_blocked.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
