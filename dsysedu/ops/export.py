"""Telemetry out of the simulation in the formats real tools read (导出).

* :func:`otlp_json`: spans built by the real OpenTelemetry SDK (``opentelemetry-sdk``), one
  ``TracerProvider`` per service with a ``service.name`` resource, the simulated ids handed to
  it by a custom ``IdGenerator`` (:class:`ReplayIds`) and the simulated times in nanoseconds,
  collected by its ``InMemorySpanExporter``, encoded into an ``ExportTraceServiceRequest`` by
  ``opentelemetry-exporter-otlp-proto-common`` and written as OTLP/JSON: protobuf's JSON mapping
  with the two changes the OTLP specification makes [1]_: trace and span ids as lowercase hex
  (not base64) and enums as integers. A collector's OTLP/HTTP JSON receiver takes it as it is.
* :func:`logs_jsonl`: the structured logs as JSON lines with the field names of OpenTelemetry's
  log data model (``timestamp``, ``severity_text``, ``body``, ``trace_id``, ``span_id``,
  ``resource.service.name``), which a log pipeline (Loki, Elasticsearch, an OTel collector's
  ``filelog`` receiver) can index by trace id.
* :func:`prometheus_text`: the RED metrics per service (requests and errors as counters,
  durations as a histogram with :data:`~dsysedu.ops.telemetry.DURATION_BUCKETS`) in the
  Prometheus text exposition format, written by ``prometheus_client`` from a custom collector.

Both are pure functions of the trace: the same scenario and seed give byte-identical files.

References
----------
.. [1] OpenTelemetry, "OTLP Specification 1.x", section "JSON Protobuf Encoding".
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, set_span_in_context
from opentelemetry.trace.status import Status, StatusCode
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

from .telemetry import DURATION_BUCKETS, Span, _as_spans, _check_buckets, logs, red_totals

__all__ = ["ReplayIds", "otel_spans", "otlp_json", "prometheus_text", "logs_jsonl", "write_exports", "SCOPE"]

SCOPE = "dsysedu.ops"
_KINDS = {"server": SpanKind.SERVER, "client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
_STATUS = {"OK": StatusCode.OK, "ERROR": StatusCode.ERROR, "UNSET": StatusCode.UNSET}


class ReplayIds(IdGenerator):
    """An ``IdGenerator`` that hands the SDK the ids the simulation drew, one span at a time."""

    def __init__(self):
        self.trace_id = 0
        self.span_id = 0

    def generate_span_id(self) -> int:
        return self.span_id

    def generate_trace_id(self) -> int:
        return self.trace_id


def _ns(seconds: float, epoch_ns: int) -> int:
    return epoch_ns + round(seconds * 1e9)


def otel_spans(source, epoch_ns: int = 0) -> list:
    """The spans of a trace (or a list of :class:`~dsysedu.ops.telemetry.Span`) as SDK ``ReadableSpan`` objects.

    Simulated time ``t`` seconds becomes ``epoch_ns + round(t * 1e9)`` Unix nanoseconds.
    """
    if isinstance(epoch_ns, bool) or not isinstance(epoch_ns, int) or epoch_ns < 0:
        raise ValueError(f"epoch_ns must be an int >= 0 (Unix nanoseconds of simulated time 0), got {epoch_ns!r}")
    items: list[Span] = _as_spans(source)
    exporter = InMemorySpanExporter()
    ids = ReplayIds()
    tracers = {}
    for service in sorted({s.service for s in items}):
        provider = TracerProvider(resource=Resource({"service.name": service}), id_generator=ids,
                                  shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracers[service] = provider.get_tracer(SCOPE)
    for s in items:
        ids.trace_id, ids.span_id = int(s.trace_id, 16), int(s.span_id, 16)
        context = None
        if s.parent_id is not None:
            parent = SpanContext(int(s.trace_id, 16), int(s.parent_id, 16), is_remote=s.kind == "server",
                                 trace_flags=TraceFlags(TraceFlags.SAMPLED))
            context = set_span_in_context(NonRecordingSpan(parent))
        attributes = {k: v for k, v in s.attributes if k != "service"}
        if not s.finished:
            attributes["dsysedu.unfinished"] = True
        span = tracers[s.service].start_span(s.name, context=context, kind=_KINDS[s.kind], attributes=attributes,
                                             start_time=_ns(s.start, epoch_ns))
        if s.status != "UNSET":
            span.set_status(Status(_STATUS[s.status], s.message if s.status == "ERROR" and s.message else None))
        span.end(end_time=_ns(s.end, epoch_ns))
    return list(exporter.get_finished_spans())


def _hex_ids(node) -> None:
    """OTLP/JSON writes ``traceId``, ``spanId`` and ``parentSpanId`` as hex, where protobuf's mapping gives base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)


def otlp_json(source, epoch_ns: int = 0) -> str:
    """The spans as one OTLP/JSON ``ExportTraceServiceRequest`` (a str: compact JSON, keys sorted).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.ops.services import service_scenario
    >>> text = otlp_json(run(service_scenario(duration=0.5), seed=1))
    >>> text.startswith('{') and '"resourceSpans"' in text
    True
    """
    request = encode_spans(otel_spans(source, epoch_ns))
    data = json_format.MessageToDict(request, use_integers_for_enums=True)
    _hex_ids(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"   # compact: the C encoder, 10x faster


class _RedCollector:
    """A ``prometheus_client`` collector that yields the RED metrics computed from a run."""

    def __init__(self, totals: dict, buckets: tuple):
        self.totals, self.buckets = totals, buckets

    def collect(self):
        requests = CounterMetricFamily("dsysedu_requests", "Requests served (server spans ended)",
                                       labels=["service"])
        errors = CounterMetricFamily("dsysedu_request_errors", "Requests that ended in an error",
                                     labels=["service"])
        duration = HistogramMetricFamily("dsysedu_request_duration_seconds",
                                         "Server-side request duration in simulated seconds", labels=["service"])
        for service, d in self.totals.items():
            requests.add_metric([service], d["requests"])
            errors.add_metric([service], d["errors"])
            bounds = [repr(b) for b in self.buckets] + ["+Inf"]
            duration.add_metric([service], list(zip(bounds, d["buckets"])), d["sum"])
        yield requests
        yield errors
        yield duration


def prometheus_text(source, buckets=DURATION_BUCKETS) -> str:
    """RED metrics per service in the Prometheus text exposition format (version 0.0.4).

    ``dsysedu_requests_total``, ``dsysedu_request_errors_total`` and the histogram
    ``dsysedu_request_duration_seconds`` (``_bucket``, ``_sum``, ``_count``), labelled by ``service``.
    The request *rate* is what Prometheus computes from the counter (``rate(...[1m])``); the
    per-window rates are :func:`~dsysedu.ops.telemetry.red_metrics`.
    """
    bounds = _check_buckets(buckets)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_RedCollector(red_totals(source, bounds), bounds))
    return generate_latest(registry).decode()


def logs_jsonl(trace, epoch_ns: int = 0) -> str:
    """The structured logs of a run, one JSON object per line, in time order (keys sorted).

    Examples
    --------
    >>> import json
    >>> from dsysedu.sim import run
    >>> from dsysedu.ops.services import service_scenario
    >>> line = logs_jsonl(run(service_scenario(duration=0.5), seed=1)).splitlines()[0]
    >>> sorted(json.loads(line))
    ['body', 'resource.service.name', 'severity_text', 'span_id', 'timestamp', 'trace_id']
    """
    if isinstance(epoch_ns, bool) or not isinstance(epoch_ns, int) or epoch_ns < 0:
        raise ValueError(f"epoch_ns must be an int >= 0 (Unix nanoseconds of simulated time 0), got {epoch_ns!r}")
    lines = [json.dumps({"timestamp": _ns(r.time, epoch_ns), "severity_text": r.level, "body": r.message,
                         "trace_id": r.trace_id, "span_id": r.span_id, "resource.service.name": r.service},
                        sort_keys=True) for r in logs(trace).itertuples()]
    return "".join(line + "\n" for line in lines)


def write_exports(trace, directory, epoch_ns: int = 0) -> dict:
    """Write ``traces.otlp.json``, ``logs.jsonl`` and ``metrics.prom`` for ``trace`` into ``directory``.

    Returns their paths under the keys ``traces``, ``logs`` and ``metrics``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    items = _as_spans(trace)
    paths = {"traces": directory / "traces.otlp.json", "logs": directory / "logs.jsonl",
             "metrics": directory / "metrics.prom"}
    paths["traces"].write_text(otlp_json(items, epoch_ns))
    paths["logs"].write_text(logs_jsonl(trace, epoch_ns))
    paths["metrics"].write_text(prometheus_text(items))
    return paths
