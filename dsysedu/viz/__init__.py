"""Views: functions from a Trace to a picture (placeholder while modules are written)."""
