"""The OTLP/JSON and Prometheus exports, read back with parsers that are not ours."""
import base64
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as ProtoStatus
from prometheus_client.parser import text_string_to_metric_families

from dsysedu.ops.export import (
    logs_jsonl,
    otel_spans,
    otlp_json,
    prometheus_text,
    write_exports,
)
from dsysedu.ops.services import service_scenario
from dsysedu.ops.telemetry import DURATION_BUCKETS, red_totals, spans
from dsysedu.sim import run
from dsysedu.sim.faults import Crash, Slow

EPOCH = 1_700_000_000 * 10**9


@pytest.fixture(scope="module")
def trace():
    return run(service_scenario(rate=20.0, duration=3.0, loss=0.05,
                                faults=[Crash("store", at=1.0, until=1.4), Slow("orders", at=2.0, delay=0.02)]),
               seed=7)


def b64_to_hex(raw: bytes) -> str:
    # OTLP/JSON writes ids in hex; protobuf's parser reads a bytes field as base64, and 16 or 32 hex digits
    # are valid base64: re-encoding what it read gives back the hex text exactly
    return base64.b64encode(raw).decode()


def test_otlp_json_parses_into_an_export_request(trace):
    ours = {s.span_id: s for s in spans(trace)}
    request = json_format.Parse(otlp_json(trace, epoch_ns=EPOCH), ExportTraceServiceRequest())
    seen = {}
    for rs in request.resource_spans:
        (attr,) = [a for a in rs.resource.attributes if a.key == "service.name"]
        for ss in rs.scope_spans:
            assert ss.scope.name == "dsysedu.ops"
            for p in ss.spans:
                seen[b64_to_hex(p.span_id)] = (attr.value.string_value, p)
    assert seen.keys() == ours.keys()
    kinds = {"server": ProtoSpan.SPAN_KIND_SERVER, "client": ProtoSpan.SPAN_KIND_CLIENT,
             "internal": ProtoSpan.SPAN_KIND_INTERNAL}
    codes = {"OK": ProtoStatus.STATUS_CODE_OK, "ERROR": ProtoStatus.STATUS_CODE_ERROR,
             "UNSET": ProtoStatus.STATUS_CODE_UNSET}
    for sid, s in ours.items():
        service, p = seen[sid]
        assert service == s.service and p.name == s.name
        assert b64_to_hex(p.trace_id) == s.trace_id
        assert (b64_to_hex(p.parent_span_id) if p.parent_span_id else None) == s.parent_id
        assert p.start_time_unix_nano == EPOCH + round(s.start * 1e9)
        assert p.end_time_unix_nano == EPOCH + round(s.end * 1e9)
        assert p.kind == kinds[s.kind] and p.status.code == codes[s.status]
    assert any(p.status.code == ProtoStatus.STATUS_CODE_ERROR and p.status.message for _, p in seen.values())


def test_otlp_json_writes_ids_in_hex_as_the_spec_says(trace):
    data = json.loads(otlp_json(trace))
    span = data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(span["traceId"]) == 32 and all(c in "0123456789abcdef" for c in span["traceId"])
    assert len(span["spanId"]) == 16 and isinstance(span["kind"], int)


def test_sdk_spans_carry_the_simulated_ids_and_times(trace):
    ours = spans(trace)[:50]
    for s, o in zip(ours, otel_spans(ours)):
        assert f"{o.context.trace_id:032x}" == s.trace_id and f"{o.context.span_id:016x}" == s.span_id
        assert o.start_time == round(s.start * 1e9) and o.resource.attributes["service.name"] == s.service


def test_prometheus_text_parses_and_agrees(trace):
    totals = red_totals(trace)
    families = {f.name: f for f in text_string_to_metric_families(prometheus_text(trace))}
    assert {"dsysedu_requests", "dsysedu_request_errors", "dsysedu_request_duration_seconds"} <= families.keys()
    requests = {s.labels["service"]: s.value for s in families["dsysedu_requests"].samples}
    errors = {s.labels["service"]: s.value for s in families["dsysedu_request_errors"].samples}
    assert requests == {k: v["requests"] for k, v in totals.items()}
    assert errors == {k: v["errors"] for k, v in totals.items()} and errors["store"] + errors["gateway"] > 0
    hist = families["dsysedu_request_duration_seconds"]
    assert hist.type == "histogram"
    for service, d in totals.items():
        buckets = [(float(s.labels["le"]), s.value) for s in hist.samples
                   if s.name.endswith("_bucket") and s.labels["service"] == service]
        assert [b for b, _ in buckets] == [*DURATION_BUCKETS, math.inf]
        counts = [c for _, c in buckets]
        assert counts == sorted(counts) and counts[-1] == d["requests"]
        (count,) = [s.value for s in hist.samples if s.name.endswith("_count") and s.labels["service"] == service]
        (total,) = [s.value for s in hist.samples if s.name.endswith("_sum") and s.labels["service"] == service]
        assert count == d["requests"] and total == pytest.approx(d["sum"])


def test_same_seed_gives_byte_identical_files(tmp_path):
    sc = service_scenario(rate=15.0, duration=2.0, loss=0.1, faults=[Crash("inventory", at=0.5, until=0.8)])
    a = write_exports(run(sc, seed=3), tmp_path / "a", epoch_ns=EPOCH)
    b = write_exports(run(sc, seed=3), tmp_path / "b", epoch_ns=EPOCH)
    c = write_exports(run(sc, seed=4), tmp_path / "c", epoch_ns=EPOCH)
    for kind in ("traces", "logs", "metrics"):
        assert a[kind].read_bytes() == b[kind].read_bytes()
    assert a["traces"].read_bytes() != c["traces"].read_bytes()


def test_bad_export_settings_are_refused(trace):
    with pytest.raises(ValueError, match="epoch_ns"):
        otlp_json(trace, epoch_ns=-1)
    with pytest.raises(ValueError, match="buckets"):
        prometheus_text(trace, buckets=(0.1, 0.05))


def test_log_lines_carry_the_trace_and_span_of_a_recorded_span(trace):
    ours = {s.span_id: s for s in spans(trace)}
    lines = [json.loads(line) for line in logs_jsonl(trace, epoch_ns=EPOCH).splitlines()]
    assert len(lines) > len(ours) / 2
    for line in lines:
        span = ours[line["span_id"]]
        assert line["trace_id"] == span.trace_id and line["resource.service.name"] == span.service
        assert EPOCH + round(span.start * 1e9) <= line["timestamp"] <= EPOCH + round(span.end * 1e9)
    assert {line["severity_text"] for line in lines} >= {"INFO", "WARN", "ERROR"}
    assert [line["timestamp"] for line in lines] == sorted(line["timestamp"] for line in lines)


def test_files_are_identical_across_processes(tmp_path):
    """Another interpreter, another hash seed: the same bytes (no set or dict order leaks into the files)."""
    code = ("import sys; from dsysedu.ops import service_scenario, write_exports; from dsysedu.sim import run; "
            "from dsysedu.sim.faults import Crash; "
            "write_exports(run(service_scenario(rate=15.0, duration=1.5, loss=0.1, "
            "faults=[Crash('orders', at=0.5, until=0.8)]), seed=3), sys.argv[1])")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for name, hash_seed in (("x", "1"), ("y", "2")):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, cwd=root,
                       env={**env, "PYTHONHASHSEED": hash_seed}, timeout=120)
    for f in ("traces.otlp.json", "logs.jsonl", "metrics.prom"):
        assert (tmp_path / "x" / f).read_bytes() == (tmp_path / "y" / f).read_bytes()


def test_buckets_are_the_prometheus_client_defaults():
    from prometheus_client import Histogram
    assert (*DURATION_BUCKETS, math.inf) == tuple(Histogram.DEFAULT_BUCKETS)
