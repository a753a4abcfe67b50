"""The cost explorer dashboard in a real browser: Voila + headless Chromium."""
import pytest

from .page import metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/cost_explorer.ipynb"


def _table(page) -> str:
    return page.locator("div.dsysedu-metrics").inner_text()


def test_quorum_to_all_and_more_replicas(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    # the default: 3 replicas at QUORUM, 2 nines each -> 3.53 nines for 300 a month
    assert _metric(page, "replicas needed") == "2" and _metric(page, "nines") == "3.53"
    assert _metric(page, "monthly cost") == "300"
    page.screenshot(path=str(artifacts_dir / "dashboard_cost_explorer.png"))

    # 1. ALL: every replica must be up -> fewer nines than one replica, for the same bill
    page.locator(".dsysedu-cost-consistency").get_by_text("ALL", exact=True).click()
    page.wait_for_function("""() => /replicas needed\\s+3/.test(document.querySelector('div.dsysedu-metrics').innerText)""",
                           timeout=60_000)
    second = _wait_settled(page)
    assert float(_metric(page, "nines")) < 2     # the same crashes (same seed): only the table changes

    # 2. the replicas slider: two more replicas at ALL -> fewer nines still, a higher bill
    handle = page.locator(".dsysedu-cost-replicas .noUi-handle, .dsysedu-cost-replicas .slider-handle, "
                          ".dsysedu-cost-replicas [role=slider]").first
    handle.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("""() => /monthly cost\\s+500/.test(document.querySelector('div.dsysedu-metrics').innerText)""",
                           timeout=60_000)
    _wait_settled(page)
    assert _metric(page, "replicas needed") == "5" and float(_metric(page, "nines")) < 1.5
    page.screenshot(path=str(artifacts_dir / "dashboard_cost_explorer_all.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
