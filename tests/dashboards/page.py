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
