"""Bad inputs under a time limit: each one must end in a clear error or a bounded run.

:func:`attempt` runs a call under a wall-clock limit (``signal.setitimer``: a hang fails
the test instead of stalling the suite) and tallies how it ended, per boundary; the tally
is written to ``tests/artifacts/boundary_tally_<worker>.json`` when the test process exits
(no conftest here: a second ``conftest`` module would shadow ``tests/conftest.py``).
"""
from __future__ import annotations

import atexit
import json
import os
import re
import signal
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, settings

TALLY: Counter = Counter()   # (boundary, how it ended) -> count
LIMIT = 10.0                 # seconds for one bad input (generous on a shared CPU; hangs take minutes)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


class Hang(AssertionError):
    """A bad input ran past its time limit."""


@contextmanager
def time_limit(seconds: float = LIMIT):
    """Fail with :class:`Hang` if the block runs longer than ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - no alarm off the main thread
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def attempt(boundary: str, fn, *, errors=(ValueError, TypeError), match: str | None = None,
            must_fail: bool = True, seconds: float = LIMIT):
    """Call ``fn()`` under a time limit; it must raise one of ``errors`` whose message matches
    ``match`` (a regex), or, unless ``must_fail``, return. Returns the exception or the result."""
    with time_limit(seconds):
        try:
            result = fn()
        except errors as exc:
            if match is not None:
                assert re.search(match, str(exc)), f"message {str(exc)!r} does not match {match!r}"
            assert str(exc), f"{type(exc).__name__} without a message"
            TALLY[(boundary, f"error ({type(exc).__name__})")] += 1
            return exc
    assert not must_fail, f"accepted a bad input: returned {result!r:.200}"
    if not hasattr(result, "ended_by"):   # a run is tallied by bounded(), with how it ended
        TALLY[(boundary, "returned")] += 1
    return result


def bounded(boundary: str, trace) -> None:
    """Tally a run that ended: its trace says how (and whether a bound cut it off)."""
    assert trace.ended_by in ("time", "quiescent", "max_events", "max_rows"), trace.ended_by
    assert trace.truncated == (trace.ended_by in ("max_events", "max_rows"))
    TALLY[(boundary, f"bounded run ({trace.ended_by})")] += 1


@atexit.register
def _write_tally() -> None:
    if not TALLY:
        return
    out = Path(__file__).resolve().parents[1] / "artifacts"
    out.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    rows = [{"boundary": b, "ended": how, "count": n} for (b, how), n in sorted(TALLY.items())]
    (out / f"boundary_tally_{worker}.json").write_text(json.dumps(rows, indent=1))
