"""Operations: what chapters 6 and 9 run on top of a simulated service system.

Observability (traces, structured logs, metrics and their exports), alerting and anomaly
detection, autoscaling and forecasting, human-in-the-loop workflows, self-healing, chaos
experiments, deployments (canary, blue-green) and desired-state reconciliation. Everything here
reads traces and drives scenarios through the same engine as the protocols.

=================  ==========================================================================
``tracecontext``   the W3C ``traceparent`` header: parse, format, seeded trace and span ids
``services``       client → gateway → {inventory, orders} → store as simulator nodes; every
                   request carries a ``traceparent`` through every hop, retries included
``telemetry``      spans, structured logs and RED metrics read from a run; the correlation
                   walk from a latency spike to the slow traces to their logs
``export``         spans through ``opentelemetry-sdk`` as OTLP/JSON, logs as JSON lines,
                   RED metrics in the Prometheus text format (``prometheus_client``)
``diagnosis``      a slow node in a fan-out found from dashboards alone and from traces:
                   the culprit and the steps each takes
``capstone``       the course's shop in one run: tracing, a balancer with breakers, a queue,
                   a saga, a Raft ledger, chaos, alerts; each layer's view of the run
=================  ==========================================================================
"""
from .tracecontext import new_span_id, new_trace_id, parse_traceparent, SAMPLED, TraceParent
from .services import (CLIENT, GATEWAY, LoadClient, Request, Response, service_scenario, SERVICES, STORE_NODE,
                       TOPOLOGY, TracedService)
from .telemetry import (correlate, Correlation, DURATION_BUCKETS, LOG_COLUMNS, logs, red_metrics, red_totals,
                        Span, SPAN_COLUMNS, spans, spans_frame, waterfall)
from .export import logs_jsonl, otel_spans, otlp_json, prometheus_text, ReplayIds, SCOPE, write_exports
from .capstone import (capstone_scenario, formal_checks, hypotheses, latency_alerts, layer_views, LAYERS,
                       subtrace)
from .diagnosis import (diagnose_by_metrics, diagnose_by_traces, Diagnosis, diagnosis_table, fanout_scenario,
                        fanout_topology, self_times)

__all__ = [
    "TraceParent", "parse_traceparent", "new_trace_id", "new_span_id", "SAMPLED",
    "Request", "Response", "TracedService", "LoadClient", "service_scenario", "CLIENT", "GATEWAY", "SERVICES",
    "STORE_NODE", "TOPOLOGY",
    "Span", "spans", "spans_frame", "logs", "red_metrics", "red_totals", "waterfall", "Correlation", "correlate",
    "DURATION_BUCKETS", "SPAN_COLUMNS", "LOG_COLUMNS",
    "ReplayIds", "otel_spans", "logs_jsonl", "otlp_json", "prometheus_text", "write_exports", "SCOPE",
    "fanout_topology", "fanout_scenario", "Diagnosis", "diagnose_by_metrics", "diagnose_by_traces", "self_times",
    "diagnosis_table",
    "capstone_scenario", "hypotheses", "latency_alerts", "layer_views", "formal_checks", "subtrace", "LAYERS",
]
