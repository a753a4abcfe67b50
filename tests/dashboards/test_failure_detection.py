"""The failure-detection dashboard in a real browser: Voila + headless Chromium, with its Chinese terms."""
import subprocess

import pytest

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/failure_detection.ipynb"
SLIDER_HANDLE = "{} .noUi-handle, {} .slider-handle, {} [role=slider]"


def _handle(page, css):
    return page.locator(SLIDER_HANDLE.format(css, css, css)).first


def _cjk_font_installed() -> bool:
    try:
        return "Noto Sans CJK" in subprocess.run(["fc-list"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False


def test_timeout_and_phi_threshold_sliders_move_detection_time(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    assert_fits(page, "div.dsysedu-metrics")
    eager = float(_metric(page, "mean detection time (s)"))

    # 1. the timeout slider: wait longer -> the crash is caught later
    _handle(page, ".dsysedu-fd-timeout").focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    second = _wait_src_change(page, first)
    second = _wait_settled(page)
    assert float(_metric(page, "mean detection time (s)")) > eager

    # 2. φ accrual, and its threshold slider
    page.locator(".dsysedu-fd-detector").get_by_text("phi accrual", exact=True).click()
    third = _wait_src_change(page, second)
    third = _wait_settled(page)
    low = float(_metric(page, "mean detection time (s)"))
    _handle(page, ".dsysedu-fd-threshold").focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    _wait_src_change(page, third)
    _wait_settled(page)
    assert float(_metric(page, "mean detection time (s)")) > low

    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_failure_detection.png"))
    assert page.unexpected_console_errors() == [], page.console_errors


@pytest.mark.skipif(not _cjk_font_installed(), reason="no CJK font (scripts/setup.sh installs fonts-noto-cjk)")
def test_chinese_terms_are_drawn_with_a_cjk_font(voila_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(voila_server + DASHBOARD, wait_until="domcontentloaded")
    heading = page.locator("h1").first
    heading.wait_for(state="visible", timeout=120_000)
    assert "故障检测" in heading.inner_text()
    # a term drawn with a real CJK font is narrower than the same characters as missing-glyph boxes drawn
    # wide by a font without them; compare against Noto's own advance (one em per character)
    widths = page.evaluate("""() => {
        const probe = (text, font) => { const c = document.createElement('canvas').getContext('2d');
                                         c.font = font; return c.measureText(text).width; };
        return {cjk: probe('故障检测', "40px 'Noto Sans CJK SC'"), page: probe('故障检测', '40px sans-serif')}; }""")
    assert abs(widths["cjk"] - 160) < 8 and abs(widths["page"] - widths["cjk"]) < 8, widths
    heading.screenshot(path=str(artifacts_dir / "dashboard_failure_detection_heading.png"))
