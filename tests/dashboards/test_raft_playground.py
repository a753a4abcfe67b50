"""The Raft playground dashboard in a real browser: Voila + headless Chromium."""
import re
import time

import pytest

pytestmark = pytest.mark.browser

DASHBOARD = "voila/render/raft_playground.ipynb"
from .page import assert_fits, open_dashboard, wait_settled as _wait_settled
LEADER = re.compile(r"leader: node (\d+) \(term (\d+)\)")


def _status(page) -> str:
    return page.locator(".dsysedu-status").first.inner_text()


def _leader(page):
    m = LEADER.search(_status(page))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _wait_leader(page, test, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = _leader(page)
        if got is not None and test(got):
            return got
        page.wait_for_timeout(250)
    raise AssertionError(f"no such leader; status: {_status(page)!r}")


def test_run_crash_the_leader_and_see_a_new_one(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD, timeout_ms=90_000)
    first = _wait_settled(page)
    assert_fits(page, ".dsysedu-verdict", ".dsysedu-node-4", ".dsysedu-narration")
    assert first.startswith(("blob:", "data:image/png"))
    assert "safe" in page.locator(".dsysedu-verdict").first.inner_text()

    # run: the cluster elects a leader (the first run button runs 0.1 s; a second runs 1 s)
    page.locator("button.dsysedu-run").click()
    page.locator("button.dsysedu-run-long").click()
    node, term = _wait_leader(page, lambda got: True)
    before = _wait_settled(page)
    assert before != first

    # crash the leader from its node card, then run again: a new leader with a higher term
    page.locator(f"button.dsysedu-node-{node}-crash").click()
    page.wait_for_function("(n) => document.querySelector(`button.dsysedu-node-${n}-crash`).disabled",
                           arg=node, timeout=30_000)
    page.locator("button.dsysedu-run-long").click()
    new, new_term = _wait_leader(page, lambda got: got[0] != node and got[1] > term)
    after = _wait_settled(page)
    assert after != before
    assert f"node {new} (term {new_term})" in _status(page)
    assert "crashed" in page.locator(f".dsysedu-node-{node}").first.inner_text()
    assert "safe" in page.locator(".dsysedu-verdict").first.inner_text()

    assert_fits(page, ".dsysedu-verdict", ".dsysedu-node-4", ".dsysedu-status")
    page.screenshot(path=str(artifacts_dir / "dashboard_raft_playground.png"))
    # the longest tab, the messages on the wire, scrolls inside itself: the page still fits
    page.get_by_text("Messages", exact=True).click()
    page.locator(".dsysedu-pending").wait_for(state="visible", timeout=30_000)
    assert_fits(page, ".dsysedu-pending")
    page.screenshot(path=str(artifacts_dir / "dashboard_raft_playground_messages.png"))
    assert page.unexpected_console_errors() == [], page.console_errors
