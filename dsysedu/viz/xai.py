"""Why the detector fired, beside the metric that moved (chapter 6.3).

:func:`explanation_view` draws two panels for one incident: on the left, the metric over time
with the incident shaded and the windows where the detector fired marked; on the right, the
SHAP value of every feature summed over the incident's windows, most anomalous at the top
(negative values push toward "anomalous" in an ``IsolationForest``'s output).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dsysedu.viz import style

__all__ = ["explanation_view"]


def explanation_view(frame: pd.DataFrame, shap_values: pd.DataFrame, fired, incident, metric: str | None = None,
                     top: int = 6, axes=None):
    """Draw the metric and the incident's SHAP values side by side; return the two Axes.

    Parameters
    ----------
    frame : DataFrame
        The feature frame (index: window start, s), as :func:`dsysedu.ops.explain.feature_frame` builds it.
    shap_values : DataFrame
        Same shape, from :func:`dsysedu.ops.explain.explain_windows`.
    fired : array of bool
        Per window, did the detector fire.
    incident : (name, start, end)
    metric : str, optional
        The column to draw on the left (default: the one SHAP blames most in the incident).
    top : int
        How many features to show on the right.
    axes : pair of Axes, optional
    """
    name, start, end = incident
    sel = (frame.index >= start) & (frame.index < end)
    if not sel.any():
        raise ValueError(f"incident {name!r} covers no window of the frame")
    blame = shap_values[sel].sum().sort_values()
    metric = metric or str(blame.index[0])
    if metric not in frame.columns:
        raise ValueError(f"no feature {metric!r}; the features are {list(frame.columns)}")
    if axes is None:
        import matplotlib.pyplot as plt     # here, so that importing the views does not start pyplot
        axes = plt.subplots(1, 2, figsize=(10.0, 3.2), layout="constrained", width_ratios=(1.6, 1.0))[1]
    left, right = axes
    left.axvspan(start, end, color=style.FAULT, alpha=0.12, linewidth=0, label=f"incident: {name}")
    left.plot(frame.index, frame[metric], color=style.series_color(0), marker="o", markersize=3, label=metric)
    hits = np.asarray(fired, bool)
    left.plot(frame.index[hits], frame[metric][hits], linestyle="none", marker="x", color=style.FAULT,
              markersize=7, label="detector fired")
    left.set_xlabel("time (s)", fontsize=style.FONT["label"])
    left.set_ylabel(metric, fontsize=style.FONT["label"])
    left.legend(fontsize=style.FONT["legend"], loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False)
    left.tick_params(labelsize=style.FONT["tick"])
    shown = blame.head(top)[::-1]
    colours = [style.FAULT if v < 0 else style.FAINT for v in shown]
    right.barh(range(len(shown)), shown.to_numpy(), color=colours)
    right.set_yticks(range(len(shown)), shown.index, fontsize=style.FONT["tick"])
    right.axvline(0, color=style.ANNOTATION, linewidth=0.8)
    right.set_xlabel("SHAP value, summed over the incident\n(negative: toward anomalous)",
                     fontsize=style.FONT["label"])
    right.tick_params(axis="x", labelsize=style.FONT["tick"])
    right.set_title(f"why it fired: {name}", fontsize=style.FONT["title"])
    return left, right
