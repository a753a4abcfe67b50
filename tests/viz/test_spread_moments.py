"""spread_moments: a gossip run at a few moments, side by side (chapter 3.4)."""
from __future__ import annotations

import networkx as nx
import pytest

from dsysedu.protocols.membership import gossip
from dsysedu.viz import spread_moments


def test_one_panel_per_moment_titled_with_the_informed_count():
    spread = gossip.run_to_full_spread(gossip.gossip_scenario(nx.random_regular_graph(4, 20, seed=3)), seed=3)
    stats = gossip.spread_stats(spread)
    times = (1.0, 3.0, stats.time_to_last)
    axes = spread_moments(spread, times)
    counts = [int((stats.curve["time"] <= t).sum()) for t in times]   # one row per newly informed node
    assert [a.get_title(loc="left") for a in axes] == [f"t = {t:.1f} s: {k} of 20 informed" for t, k in zip(times, counts)]
    assert counts[-1] == 20 and axes[-1].get_legend() is not None and axes[0].get_legend() is None
    with pytest.raises(ValueError, match="Axes"):
        spread_moments(spread, times, axes=axes[:2])
    with pytest.raises(ValueError, match="at least one"):
        spread_moments(spread, ())
