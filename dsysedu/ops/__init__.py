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
``incidents``      incidents injected into the service system (crash, slow, slow link, partition,
                   error rate) and the remedies that end them (restart, rollback, reroute, failover)
``alerting``       the SLI frame of a run; static and SLO burn-rate rules (the SRE Workbook's table);
                   alert events; precision, recall and time to detect per incident
``anomaly``        anomaly detection as alert rules: an EWMA z-score baseline, scikit-learn's
                   IsolationForest
``runbooks``       automated runbooks: detect (a page), diagnose (spans of the last seconds), act (a
                   remedy), verify; every step logged with what it saw and what it did
``healing``        a reconciliation loop as a simulator node (restart, reschedule, shift traffic)
                   with fall/rise hysteresis; MTTR, outages and health flips read from the trace
``autoscaling``    a daily load with bursts, the Kubernetes HPA rule, a replica simulator
``forecast``       Holt-Winters (statsmodels) forecasts, a predictive scaler, batch placement
``guard``          the AI component's formal interface and the guard that enforces its bounds
``humans``         a human task node: approve/reject, timeout, escalation, simulated humans
``explain``        IsolationForest over telemetry, SHAP per incident, an operator's trust
``agents``         an AI agent and a human console as nodes on a message bus with services
``chaos``          chaos engineering: a live seeded lab of the service system, and the probes and
                   actions Chaos Toolkit calls on it (one fault on one service: the blast radius)
``chaos_journal``  Chaos Toolkit experiments (JSON) checked, run by ``chaoslib`` against the lab,
                   and their journals read back with a verdict
``chaos_experiments``  the experiment for one fault on one service, run, swept over durations;
                   who suffered in a window (the blast radius); the alerts (alerting's rules) of a lab run
``verification``   chapter 8.1: the course's model checks with their broken variants, and a lease
                   lock whose narrow token only trace validation catches
``cluster``        replicated, versioned service instances as simulator nodes, calls spread by weight
``infra``          a desired state (TOML/JSON), plan, apply, drift and repair (infrastructure as code)
``canary``         the Mann-Whitney canary judge (latency and errors, effect sizes), after Kayenta
``delivery``       unit, contract and model-checking gates; canary, blue-green and all-at-once releases
                   with automated rollback, measured over many seeded releases
``selection``      technology selection: options measured by running them, requirements, Pareto front
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
from .incidents import (bad_day, FaultyService, Incident, INCIDENT_KINDS, incident_scenario, remedied, REMEDIES,
                        Remedy, SERVICE_NODES, SlowDuring)
from .alerting import (ALERT_COLUMNS, alerts, burn_rate_table, BurnRate, compare, Score, score, SLI_COLUMNS, sli_frame,
                       SRE_WORKBOOK, sre_workbook, Threshold)
from .anomaly import EWMAZScore, IsolationForestRule
from .runbooks import Diagnosis, diagnose_incident, LOG_STEPS, REMEDY_FOR, Runbook, RunbookResult, run_runbook
from .healing import (Controller, CONTROLLER, Endpoints, failure_schedule, HEALING_CLIENT, HealingClient,
                      healing_report, healing_scenario, health_flips, HealthProbe, HealthReport, outages, serving,
                      StartReplica, StopReplica, Worker, WorkDone, WorkRequest)
from .autoscaling import capacity_frame, DAY, daily_load, HPA, hpa_desired, Load, ScaleRun, simulate
from .guard import (AIInterface, Bounds, Decision, Guard, GuardedScaler, MisbehavingModel, Observation, Proposal,
                    SCALER_INTERFACE)
from .forecast import (batch_placement, best_start, bucket_means, compare_scalers, evaluation_part, ForecastModel,
                       holt_winters_forecast, PredictiveScaler, with_batch)
from .humans import (APPROVE, ApprovalQueue, compare_workflows, HumanTask, Outcome, outcomes_frame, REJECT, route,
                     run_workflow, RUNBOOKS, SimulatedHuman, task_stream, workflow_latencies, workflow_summary)
from .explain import (Detector, firing_windows, explain_windows, FEATURE_METRICS, feature_frame, fit_detector, incident_report,
                      operator_trust, STD_FLOOR, IncidentLab, incident_lab, LAB_INCIDENTS)
from .agents import (Agent, AGENT, Bus, BUS, BusService, Command, Console, CONSOLE, hybrid_scenario,
                     hybrid_summary, LANES, Publish, Suggestion, Telemetry, TOPICS)
from .chaos import (ACTIONS, ChaosLab, end_faults, error_ratio, FAULTS, inject_fault, InjectedFault, lab_of,
                    latency_p99, let_time_pass, PROBES, request_rate, TARGETS, user_series, window_measures, MACHINES,
                    SYSTEMS, DESIRED, replicas_serving, user_requests, fault_objects, callers_of)
from .chaos_experiments import (blast_radius_table, ERROR_TOLERANCE, fault_experiment, LATENCY_TOLERANCE,
                                outage_table, RECOVERY, run_fault, SETTLE, lab_alerts, LAB_ALERT_RULES,
                                healing_actions)
from .chaos_journal import (ActivityRun, BLAST_RADIUS, check_experiment, experiment_path, EXPERIMENTS_DIR, Journal,
                            load_experiment, ProbeReading, read_journal, run_experiment)
from .capstone import (capstone_scenario, formal_checks, hypotheses, latency_alerts, layer_views, LAYERS,
                       subtrace)
from .diagnosis import (diagnose_by_metrics, diagnose_by_traces, diagnosis_table, Triage, fanout_scenario,
                        fanout_topology, self_times)

__all__ = [
    "TraceParent", "parse_traceparent", "new_trace_id", "new_span_id", "SAMPLED",
    "Request", "Response", "TracedService", "LoadClient", "service_scenario", "CLIENT", "GATEWAY", "SERVICES",
    "STORE_NODE", "TOPOLOGY",
    "Span", "spans", "spans_frame", "logs", "red_metrics", "red_totals", "waterfall", "Correlation", "correlate",
    "DURATION_BUCKETS", "SPAN_COLUMNS", "LOG_COLUMNS",
    "ReplayIds", "otel_spans", "logs_jsonl", "otlp_json", "prometheus_text", "write_exports", "SCOPE",
    "Incident", "Remedy", "FaultyService", "SlowDuring", "incident_scenario", "remedied", "bad_day", "INCIDENT_KINDS",
    "REMEDIES", "SERVICE_NODES",
    "sli_frame", "Threshold", "BurnRate", "EWMAZScore", "IsolationForestRule", "sre_workbook", "burn_rate_table",
    "alerts", "score",
    "Score", "compare", "SRE_WORKBOOK", "SLI_COLUMNS", "ALERT_COLUMNS",
    "Diagnosis", "diagnose_incident", "Runbook", "RunbookResult", "run_runbook", "REMEDY_FOR", "LOG_STEPS",
    "HealthProbe", "HealthReport", "StartReplica", "StopReplica", "Endpoints", "WorkRequest", "WorkDone", "Worker",
    "Controller", "HealingClient",
    "healing_scenario", "failure_schedule", "serving", "outages", "health_flips", "healing_report", "CONTROLLER",
    "HEALING_CLIENT",
    "Load", "daily_load", "hpa_desired", "HPA", "ScaleRun", "simulate", "capacity_frame", "DAY",
    "Observation", "Proposal", "Bounds", "AIInterface", "Decision", "Guard", "GuardedScaler", "MisbehavingModel",
    "SCALER_INTERFACE",
    "bucket_means", "holt_winters_forecast", "ForecastModel", "PredictiveScaler", "best_start", "with_batch",
    "evaluation_part", "compare_scalers", "batch_placement",
    "HumanTask", "SimulatedHuman", "ApprovalQueue", "Outcome", "task_stream", "route", "run_workflow",
    "workflow_summary", "outcomes_frame", "compare_workflows", "workflow_latencies", "APPROVE", "REJECT", "RUNBOOKS",
    "feature_frame", "Detector", "fit_detector", "explain_windows", "firing_windows", "incident_report", "operator_trust",
    "FEATURE_METRICS", "STD_FLOOR", "IncidentLab", "incident_lab", "LAB_INCIDENTS",
    "Telemetry", "Publish", "Suggestion", "Command", "BusService", "Bus", "Agent", "Console", "hybrid_scenario",
    "hybrid_summary", "BUS", "AGENT", "CONSOLE", "TOPICS", "LANES",
    "ChaosLab", "InjectedFault", "FAULTS", "TARGETS", "lab_of", "error_ratio", "latency_p99", "request_rate",
    "inject_fault", "let_time_pass", "end_faults", "PROBES", "ACTIONS",
    "load_experiment", "check_experiment", "run_experiment", "read_journal", "Journal", "ProbeReading", "ActivityRun",
    "BLAST_RADIUS", "EXPERIMENTS_DIR", "experiment_path", "user_series", "window_measures", "MACHINES", "SYSTEMS",
    "DESIRED", "replicas_serving", "user_requests", "fault_objects", "callers_of",
    "fault_experiment", "run_fault", "outage_table", "blast_radius_table", "lab_alerts", "LAB_ALERT_RULES", "healing_actions", "ERROR_TOLERANCE",
    "LATENCY_TOLERANCE", "SETTLE", "RECOVERY",
    "fanout_topology", "fanout_scenario", "Triage", "diagnose_by_metrics", "diagnose_by_traces", "self_times",
    "diagnosis_table",
    "capstone_scenario", "hypotheses", "latency_alerts", "layer_views", "formal_checks", "subtrace", "LAYERS",
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
