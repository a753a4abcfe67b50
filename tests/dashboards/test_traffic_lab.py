"""The traffic lab dashboard in a real browser: Voila + headless Chromium, on a 1366x768 screen."""
import pytest

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/traffic_lab.ipynb"


def test_policy_retries_and_shedding_on_a_laptop_screen(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    # round robin feeds the slow backend its share: requests time out at 500 ms
    assert int(_metric(page, "timeouts")) > 50 and _metric(page, "p99 (ms)") == "500"
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_traffic_lab.png"))

    # 1. the policy: peak EWMA steers around the slow backend, the tail shrinks
    page.locator(".dsysedu-traffic-policy select").select_option(label="peak EWMA")
    second = _wait_src_change(page, first)
    page.wait_for_function("""() => /p99 \\(ms\\)\\s+([0-9]+)/.exec(document.querySelector('div.dsysedu-metrics')
                                    .innerText)[1] !== '500'""", timeout=60_000)
    second = _wait_settled(page)
    assert int(_metric(page, "p99 (ms)")) < 500 and int(_metric(page, "timeouts")) < 30

    # 2. overload: arrivals far past capacity, retries at once; then shedding on
    handle = page.locator(".dsysedu-traffic-rate .noUi-handle, .dsysedu-traffic-rate .slider-handle, "
                          ".dsysedu-traffic-rate [role=slider]").first
    handle.focus()
    page.keyboard.press("End")                       # 400 per second
    third = _wait_src_change(page, second)
    page.locator(".dsysedu-traffic-retry select").select_option(label="3 at once")
    third = _wait_src_change(page, third)
    _wait_settled(page)
    assert float(_metric(page, "attempts per request")) > 1.2
    page.locator(".dsysedu-traffic-shedding input[type=checkbox]").click()
    _wait_src_change(page, third)
    page.wait_for_function("""() => /shed\\s+([0-9]+)/.exec(document.querySelector('div.dsysedu-metrics')
                                    .innerText)[1] !== '0'""", timeout=60_000)
    _wait_settled(page)
    assert int(_metric(page, "shed")) > 0
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_traffic_lab_overload.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
