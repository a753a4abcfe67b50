"""What the dashboard browser tests share: the view image and waiting for redraws to finish."""
import re
import time

VIEW_IMG = "img.dsysedu-view, .dsysedu-view img"


def view_src(page) -> str:
    """The ``src`` of the dashboard's picture (a new blob URL after every redraw)."""
    return page.locator(VIEW_IMG).first.get_attribute("src") or ""


def wait_settled(page, quiet_ms=1500, timeout_s=60) -> str:
    """Wait until the picture has not changed for ``quiet_ms`` (all queued redraws done); return its src."""
    last, since, deadline = view_src(page), time.monotonic(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = view_src(page)
        if now != last:
            last, since = now, time.monotonic()
        elif (time.monotonic() - since) * 1000 >= quiet_ms:
            return now
    raise AssertionError("the dashboard kept redrawing")


def wait_src_change(page, old: str, timeout=60_000) -> str:
    """Wait until the picture's ``src`` differs from ``old`` (a redraw arrived); return the new one."""
    page.wait_for_function(
        """(old) => { const i = document.querySelector('.dsysedu-view img, img.dsysedu-view');
                      return i && i.src && i.src !== old; }""", arg=old, timeout=timeout)
    return view_src(page)


def metric(page, name: str) -> str:
    """The number shown next to ``name`` in the dashboard's metrics table."""
    text = page.locator("div.dsysedu-metrics").inner_text()
    m = re.search(re.escape(name) + r"\s+([0-9.]+)", text)
    assert m, text
    return m.group(1)


#: the screen the dashboards are laid out for: a laptop or a lecture-hall projector
SCREEN = {"width": 1366, "height": 768}
#: what must be on the screen: the controls, the picture and its time slider
ON_SCREEN = (".dsysedu-controls", VIEW_IMG, ".dsysedu-time")


def open_dashboard(page, url: str, timeout_ms: int = 120_000) -> str:
    """Open a dashboard on a :data:`SCREEN`-sized page and wait for its first picture; return its ``src``."""
    page.set_viewport_size(SCREEN)
    page.goto(url, wait_until="domcontentloaded")
    page.locator(VIEW_IMG).first.wait_for(state="visible", timeout=timeout_ms)
    return view_src(page)


def assert_fits(page, *also: str) -> dict:
    """Assert that the dashboard shows whole on the :data:`SCREEN` without scrolling.

    Voila scrolls its cells inside ``#rendered_cells``, not the document, so both must not scroll:
    their ``scrollHeight`` (and width) at most the screen's. And the boxes of the controls, the
    picture, the time slider and the selectors in ``also`` (the measures table...) lie inside the
    viewport. Returns the measured sizes (for the failure message and the report).
    """
    got = page.evaluate("""(sels) => {
        const inner = [window.innerWidth, window.innerHeight];
        const scrollers = [document.scrollingElement, document.querySelector('#rendered_cells')].filter(e => e);
        const sizes = scrollers.map(e => [e.id || e.tagName, e.scrollWidth, e.scrollHeight]);
        const boxes = sels.map(s => { const e = document.querySelector(s);
            if (!e) return [s, null];
            const r = e.getBoundingClientRect(); return [s, [r.left, r.top, r.right, r.bottom]]; });
        return {inner, sizes, boxes}; }""", [*ON_SCREEN, *also])
    w, h = SCREEN["width"], SCREEN["height"]
    assert got["inner"] == [w, h], got
    for name, sw, sh in got["sizes"]:
        assert sw <= w and sh <= h, f"{name} scrolls ({sw}x{sh} on a {w}x{h} screen): {got}"
    for sel, box in got["boxes"]:
        assert box is not None, f"{sel} is not on the page"
        left, top, right, bottom = box
        assert left >= 0 and top >= 0 and right <= w + 0.5 and bottom <= h + 0.5, f"{sel} is off screen at {box}: {got}"
    return got
