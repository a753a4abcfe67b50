"""The chaos lab dashboard in a real browser: Voila + headless Chromium, on a 1366x768 screen."""
import pytest

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/chaos_lab.ipynb"


def _table(page) -> str:
    return page.locator("div.dsysedu-metrics").inner_text()


def test_a_crash_refutes_a_small_slowdown_holds_and_the_healing_loop_helps(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    # the default: orders crashed for 2 s; retries do not hide it, the gateway's alert fires
    assert "REFUTED" in _table(page) and "users' error ratio" in _table(page)
    assert "refuted" in page.locator(".dsysedu-verdict").inner_text()
    assert float(_metric(page, "alert fired after (s)")) > 0
    assert_fits(page, "div.dsysedu-metrics", ".dsysedu-chaos-seed")
    page.screenshot(path=str(artifacts_dir / "dashboard_chaos_lab.png"))

    # 1. another service and fault: inventory, slow by the slider's smallest step -> the hypothesis holds
    page.locator(".dsysedu-chaos-service select").select_option(label="inventory")
    second = _wait_src_change(page, first)
    page.locator(".dsysedu-chaos-fault").get_by_text("slow", exact=True).click()
    second = _wait_src_change(page, second)
    handle = page.locator(".dsysedu-chaos-delay .noUi-handle, .dsysedu-chaos-delay .slider-handle, "
                          ".dsysedu-chaos-delay [role=slider]").first
    handle.focus()
    page.keyboard.press("Home")                      # 2 ms more per handler
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText.includes('held')""",
                           timeout=60_000)
    _wait_settled(page)
    assert "no alert" in _table(page) and "held" in page.locator(".dsysedu-verdict").inner_text()
    assert_fits(page, "div.dsysedu-metrics", ".dsysedu-chaos-seed")
    page.screenshot(path=str(artifacts_dir / "dashboard_chaos_lab_holds.png"))

    # 2. a machine of the replicated service, crashed: the healing loop moves its replica
    third = _wait_settled(page)
    page.locator(".dsysedu-chaos-service select").select_option(label="machine w0 (9.3 replicas)")
    third = _wait_src_change(page, third)
    page.locator(".dsysedu-chaos-fault").get_by_text("crash", exact=True).click()
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText
                                    .includes("healing loop's decisions")""", timeout=60_000)
    _wait_settled(page)
    assert int(_metric(page, "healing loop's decisions")) >= 1
    with_loop = float(_metric(page, "users' errors in the fault (%)"))
    assert_fits(page, "div.dsysedu-metrics", ".dsysedu-chaos-seed")
    page.screenshot(path=str(artifacts_dir / "dashboard_chaos_lab_healing.png"))
    page.locator(".dsysedu-chaos-loop input[type=checkbox]").click()      # the loop off
    page.wait_for_function("""() => document.querySelector('div.dsysedu-metrics').innerText.includes('no loop')""",
                           timeout=60_000)
    _wait_settled(page)
    assert float(_metric(page, "users' errors in the fault (%)")) > with_loop
    assert page.unexpected_console_errors() == [], page.console_errors
