"""Operations: what chapters 6 and 9 run on top of a simulated service system.

Observability (traces, structured logs, metrics and their exports), alerting and anomaly
detection, autoscaling and forecasting, human-in-the-loop workflows, self-healing, chaos
experiments, deployments (canary, blue-green) and desired-state reconciliation. Empty for now;
everything here reads traces and drives scenarios through the same engine as the protocols.
"""
__all__: list[str] = []
