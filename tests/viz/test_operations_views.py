"""Chapter 9's views: the waterfall, the alerts against incidents, replicas serving."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from dsysedu.ops.alerting import Threshold, sli_frame, sre_workbook  # noqa: E402
from dsysedu.ops.healing import failure_schedule, healing_scenario  # noqa: E402
from dsysedu.ops.incidents import Incident, incident_scenario  # noqa: E402
from dsysedu.ops.telemetry import spans  # noqa: E402
from dsysedu.sim import run  # noqa: E402
from dsysedu.viz.operations import alert_view, serving_view, waterfall_view  # noqa: E402


def test_waterfall_has_a_row_per_span_and_marks_errors():
    trace = run(incident_scenario([Incident("error_rate", "store", 0.0, 2.0, severity=1.0)], duration=1.0), seed=2)
    root = next(s for s in spans(trace) if s.parent_id is None and s.status == "ERROR")
    ax = waterfall_view(trace, root.trace_id)
    bars = ax.patches
    assert len(ax.get_yticks()) == len([s for s in spans(trace) if s.trace_id == root.trace_id])
    assert any(p.get_facecolor()[:3] != p.get_edgecolor()[:3] for p in bars)      # client spans are outlined
    assert {t.get_text().strip() for t in ax.texts} >= {"client checkout", "store checkout"}
    with pytest.raises(ValueError, match="trace id"):
        waterfall_view(trace, "f" * 32)


def test_alert_view_has_a_row_per_detector():
    incidents = [Incident("crash", "orders", 20.0, 30.0)]
    frame = sli_frame(run(incident_scenario(incidents, duration=40.0), seed=1))
    fig = alert_view(frame, {"static": Threshold("bad_ratio", 0.2), "burn rate": sre_workbook(0.99)}, incidents)
    top, bottom = fig.axes
    assert [t.get_text() for t in bottom.get_yticklabels()] == ["static", "burn rate"]
    assert len(top.patches) == 1                          # the incident, shaded


def test_serving_view_draws_a_line_per_run_and_a_lane_per_failing_machine():
    failures = failure_schedule(1, duration=60.0, mtbf=30.0)
    traces = {label: run(healing_scenario(loop=loop, failures=failures, duration=60.0), seed=1)
              for label, loop in (("no loop", False), ("loop", True))}
    ax = serving_view(traces, 3, failures)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-3:] == ["no loop", "loop", "desired = 3"] or "no loop" in labels
    machines = {f.node for f in failures}
    assert {t.get_text() for t in ax.get_yticklabels()} >= machines
