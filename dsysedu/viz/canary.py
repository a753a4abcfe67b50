"""The canary's view: the latencies the judge compared, as two cumulative distributions.

A Mann-Whitney U test asks whether one sample tends to be larger than the other; on a plot of the two
empirical cumulative distribution functions (ECDF) that is the canary's curve lying to the right of
the baseline's. The medians are marked, since the judge's effect size compares them.
"""
from __future__ import annotations

import numpy as np

from .curves import curves

__all__ = ["latency_ecdf"]


def latency_ecdf(outcome, ax=None, title=None, labels=("baseline", "new version")):
    """Draw the ECDFs of ``outcome.samples`` (a :class:`~dsysedu.ops.delivery.ReleaseOutcome`), in ms.

    Returns the Axes. ValueError if the release judged nothing (all at once).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ax = latency_ecdf(SimpleNamespace(samples=([0.01, 0.02], [0.02, 0.04])))
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['baseline (2 requests)', 'new version (2 requests)']
    """
    samples = getattr(outcome, "samples", ())
    if len(samples) != 2 or not len(samples[0]) or not len(samples[1]):
        raise ValueError("this release judged nothing (all at once has no samples): draw a canary or blue-green one")
    series, medians = {}, {}
    for label, values in zip(labels, samples):
        xs = np.sort(np.asarray(values, dtype=float)) * 1000
        name = f"{label} ({len(xs)} requests)"
        series[name] = (xs, np.arange(1, len(xs) + 1) / len(xs))
        medians[float(np.median(xs))] = f"{label} median"
    return curves(series, step=True, markers=False, ax=ax, title=title, vlines=medians,
                  xlabel="latency of a request (ms)", ylabel="share of requests at most this slow", legend="lower right")
