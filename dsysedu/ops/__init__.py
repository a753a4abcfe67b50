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
``verification``   chapter 8.1: the course's model checks with their broken variants, and a lease
                   lock whose narrow token only trace validation catches
``cluster``        replicated, versioned service instances as simulator nodes, calls spread by weight
``infra``          a desired state (TOML/JSON), plan, apply, drift and repair (infrastructure as code)
``canary``         the Mann-Whitney canary judge (latency and errors, effect sizes), after Kayenta
``delivery``       unit, contract and model-checking gates; canary, blue-green and all-at-once releases
                   with automated rollback, measured over many seeded releases
``selection``      technology selection: options measured by running them, requirements, Pareto front
=================  ==========================================================================
"""
from .tracecontext import new_span_id, new_trace_id, parse_traceparent, SAMPLED, TraceParent
from .services import (CLIENT, GATEWAY, LoadClient, Request, Response, service_scenario, SERVICES, STORE_NODE,
                       TOPOLOGY, TracedService)
from .telemetry import (correlate, Correlation, DURATION_BUCKETS, LOG_COLUMNS, logs, red_metrics, red_totals,
                        Span, SPAN_COLUMNS, spans, spans_frame, waterfall)
from .export import logs_jsonl, otel_spans, otlp_json, prometheus_text, ReplayIds, SCOPE, write_exports

__all__ = [
    "TraceParent", "parse_traceparent", "new_trace_id", "new_span_id", "SAMPLED",
    "Request", "Response", "TracedService", "LoadClient", "service_scenario", "CLIENT", "GATEWAY", "SERVICES",
    "STORE_NODE", "TOPOLOGY",
    "Span", "spans", "spans_frame", "logs", "red_metrics", "red_totals", "waterfall", "Correlation", "correlate",
    "DURATION_BUCKETS", "SPAN_COLUMNS", "LOG_COLUMNS",
    "ReplayIds", "otel_spans", "logs_jsonl", "otlp_json", "prometheus_text", "write_exports", "SCOPE",
]

# Chapter 8 (practice): formal methods in practice, infrastructure as code, delivery, technology selection.
from .verification import (lease_implementation_scenario, lease_spec, lost_writes, MODEL_CHECKS,  # noqa: E402
                           model_check_record, ModelCheck, NarrowTokenLock, validation_runs)

__all__ += ["ModelCheck", "MODEL_CHECKS", "model_check_record", "NarrowTokenLock", "lease_implementation_scenario",
            "lease_spec", "lost_writes", "validation_runs"]
from .cluster import Cluster, DEFAULT_WORK, instance_id, RoutedClient, RoutedService, service_of  # noqa: E402
from .infra import (apply, Change, DesiredState, drift, EXAMPLE_DESIRED, load_desired, MAX_REPLICAS,  # noqa: E402
                    Plan, plan, ServiceSpec, write_desired)

__all__ += ["Cluster", "RoutedService", "RoutedClient", "DEFAULT_WORK", "instance_id", "service_of",
            "ServiceSpec", "DesiredState", "Change", "Plan", "load_desired", "write_desired", "plan", "apply", "drift",
            "MAX_REPLICAS", "EXAMPLE_DESIRED"]
from .canary import instance_samples, Judgement, judge, MetricVerdict  # noqa: E402
from .delivery import (Candidate, candidates, CONTRACT, Gate, GateResult, GATES, price, PRICE_EXAMPLES,  # noqa: E402
                       release, release_experiment, release_summary, ReleaseOutcome, run_pipeline, STRATEGIES)

__all__ += ["MetricVerdict", "Judgement", "judge", "instance_samples",
            "Candidate", "price", "PRICE_EXAMPLES", "CONTRACT", "Gate", "GateResult", "GATES", "run_pipeline",
            "STRATEGIES", "ReleaseOutcome", "release", "candidates", "release_experiment", "release_summary"]
from .selection import measure_options, OBJECTIVES, Option, OPTIONS, pareto_front, select  # noqa: E402

__all__ += ["Option", "OPTIONS", "measure_options", "select", "pareto_front", "OBJECTIVES"]
