"""The boundary suite: write the tally of bad inputs and how they ended (see limits.py)."""
import json
import os
from pathlib import Path

from limits import TALLY


def pytest_sessionfinish(session, exitstatus):
    if not TALLY:
        return
    out = Path(__file__).resolve().parents[1] / "artifacts"
    out.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    rows = [{"boundary": b, "ended": how, "count": n} for (b, how), n in sorted(TALLY.items())]
    (out / f"boundary_tally_{worker}.json").write_text(json.dumps(rows, indent=1))
