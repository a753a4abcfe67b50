"""Space-time diagram: one arrow per delivery, a red cross per drop, faults on the lanes."""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dsysedu.viz import SpacetimeView, spacetime


def _artist(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


def _count(ax, gid):
    a = _artist(ax, gid)
    if a is None:
        return 0
    if gid == "arrows":
        return a.N
    return len(np.asarray(a.get_offsets()).reshape(-1, 2))


def _expected(trace, lo, hi):
    m = trace.messages()
    send_in = m.send_time.between(lo, hi)
    delivered = m[(m.status == "delivered") & (send_in | m.deliver_time.between(lo, hi))]
    drops = {}
    for r in trace.rows:
        if r[1] == "drop":
            drops.setdefault(r[4], r[0])
    m["drop_time"] = m.msg_id.map(drops)
    dropped = m[(m.status == "dropped") & (send_in | m.drop_time.between(lo, hi))]
    return int(delivered.deliveries.sum()), len(dropped)


def test_one_arrow_per_delivered_message_and_a_cross_per_drop(ping_trace):
    fig, ax = plt.subplots()
    assert spacetime(ping_trace, ax=ax) is ax
    arrows, drops = _expected(ping_trace, 0, ping_trace.end_time)
    assert (arrows, drops) == (109, 29)
    assert _count(ax, "arrows") == arrows and _count(ax, "drops") == drops
    assert ax.dsysedu_counts["arrows"] == arrows
    assert ax.get_title(loc="left").startswith(f"{arrows} delivered, {drops} dropped")
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"node {n}" for n in ping_trace.nodes]


@pytest.mark.parametrize("t_range", [(0.35, 0.75), (1.3, 1.9), (0.0, 0.05)])
def test_arrows_in_a_time_range(ping_trace, t_range):
    ax = spacetime(ping_trace, t_range=t_range)
    arrows, drops = _expected(ping_trace, *t_range)
    assert _count(ax, "arrows") == arrows
    assert _count(ax, "drops") == drops
    assert ax.get_xlim()[0] < t_range[0] + 1e-9 and ax.get_xlim()[1] > t_range[1] - 1e-9


def test_arrows_go_from_sender_lane_to_receiver_lane(flood_trace):
    ax = spacetime(flood_trace)
    q = _artist(ax, "arrows")
    lanes = {n: i for i, n in enumerate(flood_trace.nodes)}
    m = flood_trace.messages()
    got = sorted(zip(q.X.round(9), q.Y, (q.X + q.U).round(9), q.Y + q.V))
    want = sorted((round(r.send_time, 9), lanes[r.src], round(r.deliver_time, 9), lanes[r.dst])
                  for r in m[m.status == "delivered"].itertuples())
    assert got == want


def test_drops_at_send_are_short_stubs_and_drops_at_arrival_reach_the_lane(flood_trace):
    ax = spacetime(flood_trace)
    crosses = np.asarray(_artist(ax, "drops").get_offsets())
    lanes = {n: i for i, n in enumerate(flood_trace.nodes)}
    m = flood_trace.messages().set_index("msg_id")
    # message 0: 0 -> 1 dropped as it was sent (one-way cut): a third of the way to lane 1
    assert any(np.isclose(y, lanes[0] + (lanes[1] - lanes[0]) / 3) and x > m.send_time[0] for x, y in crosses)
    # message 2: 0 -> 4 dropped on arrival (node 4 crashed): on lane 4, at the drop time
    drop_time = next(r[0] for r in flood_trace.rows if r[1] == "drop" and r[4] == 2)
    assert m.drop_reason[2] == "crashed"
    assert any(np.isclose(x, drop_time) and y == lanes[4] for x, y in crosses)


def test_faults_and_timers_are_on_the_picture(ping_trace, flood_trace, request_trace):
    ax = spacetime(ping_trace)
    texts = [t.get_text() for t in ax.texts]
    assert any("partition {0,1} | {2,3,4}" in t for t in texts)
    crash = [ln for ln in ax.lines if list(ln.get_xdata()) == [0.5, 1.2] and list(ln.get_ydata()) == [3, 3]]
    assert len(crash) == 1 and crash[0].get_linewidth() >= 5
    ax = spacetime(flood_trace)
    assert any(p.get_hatch() for p in ax.patches)  # node 3 paused
    assert any("0\u21921 cut" in t.get_text() for t in ax.texts)
    ax = spacetime(request_trace)
    fires = sum(1 for r in request_trace.rows if r[1] == "timer_fire")
    assert _count(ax, "timers") == fires > 0
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"Request", "Reply", "dropped", "crashed (down)", "timer fires"} <= set(labels)


def _numbers(text):
    out = set()
    for part in re.findall(r"\d+(?:\u2013\d+)?", text):
        a, _, b = part.partition("\u2013")
        out.update(range(int(a), int(b or a) + 1))
    return out


def test_lamport_stamps_label_every_send_and_delivery(ping_trace):
    lo, hi = 0.0, 0.1
    ax = spacetime(ping_trace, t_range=(lo, hi), stamps="lamport")
    lam, _vc = ping_trace.clocks()
    sends = {r[4]: i for i, r in enumerate(ping_trace.rows) if r[1] == "send"}
    want = set()
    for i, r in enumerate(ping_trace.rows):
        if r[1] == "deliver" and r[4] in sends:
            s = sends[r[4]]
            if lo <= ping_trace.rows[s][0] <= hi or lo <= r[0] <= hi:
                want.update((lam[s], lam[i]))
        elif r[1] == "send" and lo <= r[0] <= hi and any(d[1] == "drop" and d[4] == r[4] for d in ping_trace.rows):
            want.add(lam[i])
    got = set().union(*(_numbers(t.get_text()) for t in ax.texts))
    assert want <= got


def test_vector_stamps_and_bad_stamps(ping_trace):
    ax = spacetime(ping_trace, t_range=(0, 0.1), stamps="vector")
    stamps = [t.get_text() for t in ax.texts if t.get_text().startswith("[")]
    assert stamps and all(s.count(",") == len(ping_trace.nodes) - 1 for s in stamps)
    with pytest.raises(ValueError, match="stamps"):
        spacetime(ping_trace, stamps="hybrid")
    with pytest.raises(ValueError, match="t_range"):
        spacetime(ping_trace, t_range=(1.0, 1.0))


def test_too_many_messages_window_then_thin(ping_trace):
    ax = spacetime(ping_trace, max_messages=50)
    title = ax.get_title(loc="left")
    assert "of 138 messages" in title and "t_range" in title
    assert ax.dsysedu_counts["arrows"] + ax.dsysedu_counts["drops"] <= 50
    assert ax.get_xlim()[1] < 1.0
    ax = spacetime(ping_trace, t_range=(0, 2.5), max_messages=40)
    assert "every 4th message" in ax.get_title(loc="left")
    assert ax.dsysedu_counts["arrows"] + ax.dsysedu_counts["drops"] <= 40


def test_highlight_rings_the_given_events(ping_trace):
    evidence = [e.seq for e in ping_trace.events if e.kind in ("deliver", "drop")][:3]
    ax = spacetime(ping_trace, t_range=(0, 0.2), highlight=evidence)
    rings = np.asarray(_artist(ax, "highlight").get_offsets())
    assert len(rings) == 3
    for seq, (x, _y) in zip(evidence, rings):
        assert x >= ping_trace[seq].time - 1e-12
    assert "3 highlighted events" in ax.get_title(loc="left")


def test_highlighted_messages_survive_thinning(ping_trace):
    late = [e.seq for e in ping_trace.events if e.kind == "deliver"][-1]
    ax = spacetime(ping_trace, t_range=(0, 2.5), max_messages=10, highlight=[late])
    assert len(np.asarray(_artist(ax, "highlight").get_offsets())) == 1


def test_spacetime_view_moves_now_in_place(ping_trace):
    view = SpacetimeView(ping_trace)
    n_artists = len(view.ax.get_children())
    cursor, future = view.cursor, view.future
    hi = view.ax.get_xlim()[1]
    for t in (0.2, 1.5):
        changed = view.draw(t)
        assert cursor in changed and view.cursor is cursor and view.future is future
        assert list(view.cursor.get_xdata()) == [t, t]
        assert view.future.get_x() == t and np.isclose(view.future.get_width(), hi - t)
        assert "now" in view.label.get_text()
    assert len(view.ax.get_children()) == n_artists


def test_accepts_a_dataframe(ping_trace):
    ax = spacetime(ping_trace.to_frame(), t_range=(0, 0.5))
    assert _count(ax, "arrows") == _expected(ping_trace, 0, 0.5)[0]


def test_inputs_from_outside_are_marked_and_lost_ones_crossed():
    from dsysedu import Crash, Input, Scenario, run
    from dsysedu.protocols.basics.toys import Flood, Rumor

    trace = run(Scenario(Flood, nodes=4, params={"origin": -1},
                         inputs=[Input(0.01, 2, Rumor(2)), Input(0.015, 3, Rumor(3))],
                         faults=[Crash(3, at=0.0, until=0.05)], until=1.0), seed=1)
    ax = spacetime(trace)
    assert _count(ax, "inputs") == 2
    lost = np.asarray(_artist(ax, "lost_inputs").get_offsets())
    assert lost.tolist() == [[0.015, 3.0]]
    assert "input from outside" in [t.get_text() for t in ax.get_legend().get_texts()]
