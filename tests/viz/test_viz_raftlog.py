"""The Raft log view and the log reconstruction behind it."""
from __future__ import annotations

import doctest

import matplotlib
import pytest

from dsysedu.protocols.consensus.raft import Command, NOOP, Raft, chaos_scenario, figure8_scenario
from dsysedu.sim import Crash, Scenario, Simulation, Trace, run
from dsysedu.viz import RaftLogView, logs_at, raft_log, style, term_color
from dsysedu.viz import raftlog as raftlog_module
from dsysedu.viz.raftlog import short_command


def _entry(t, node, index, term, command):
    return (t, "observe", node, None, None, "entry", (index, term, command))


def test_logs_at_cuts_the_log_after_each_entry():
    rows = [_entry(0.1, 0, 1, 1, "a"), _entry(0.2, 0, 2, 1, "b"), _entry(0.2, 1, 1, 1, "a"),
            _entry(0.3, 0, 2, 2, "c"),   # index 2 rewritten: the log is cut after it
            _entry(0.4, 0, 1, 3, "d")]   # index 1 rewritten: everything after it is gone
    tr = Trace([0, 1, 2], rows)
    assert logs_at(tr, 0.0) == {0: [], 1: [], 2: []}
    assert logs_at(tr, 0.2) == {0: [(1, "a"), (1, "b")], 1: [(1, "a")], 2: []}
    assert logs_at(tr, 0.3)[0] == [(1, "a"), (2, "c")]
    assert logs_at(tr, 0.4)[0] == [(3, "d")]


def test_logs_at_ignores_an_entry_written_past_a_gap():
    tr = Trace([0], [_entry(0.1, 0, 1, 1, "a"), _entry(0.2, 0, 3, 1, "c")])
    assert logs_at(tr, 1.0) == {0: [(1, "a")]}


@pytest.mark.parametrize("seed", [1, 4, 9])
def test_logs_at_agrees_with_the_nodes_own_logs_under_faults(seed):
    """The rebuilt logs equal what the live nodes hold (crashed nodes keep their durable log)."""
    sim = Simulation(chaos_scenario(5, seed=seed))
    for t in (0.7, 1.9, 4.0):
        sim.run_until(t)
        assert logs_at(sim.trace, t) == {n: list(node.log) for n, node in sim.nodes.items()}


def test_logs_at_uses_the_checkers_reconstruction():
    from dsysedu.protocols.consensus.raft.properties import _Logs
    assert raftlog_module._Logs is _Logs  # one reconstruction, not two


def test_short_command_and_term_color():
    assert short_command(NOOP) == "noop"
    assert short_command(Command("c", 1, ("set", "x", 2))) == "x=2"
    assert short_command(Command("c", 1, ("delete", "x"))) == "del x"
    assert short_command(Command("c", 1, ("cas", "x", 1, 2))) == "x:1\u21922"
    assert len(short_command(Command("c", 1, ("set", "a_long_key", 123456)))) <= 7
    assert term_color(0) == term_color(None) == style.NO_VALUE
    assert len({term_color(t) for t in range(1, 9)}) == 8
    assert term_color(1) == term_color(1 + len(style.TERM_COLORS))


@pytest.fixture(scope="module")
def crash_trace():
    """5 nodes; node 0 crashes at 1.0 s; client commands before and after."""
    from dsysedu.protocols.consensus.raft import ClientRequest
    from dsysedu.sim import Input
    inputs = [Input(0.5 + 0.1 * i, 1, ClientRequest("c", i + 1, ("set", "x", i + 1))) for i in range(4)]
    return run(Scenario(Raft, nodes=5, faults=[Crash(0, at=1.0)], inputs=inputs, until=2.0), seed=3)


def _cells_per_row(view, artist):
    """How many cells of ``artist`` sit in each row (cells are boxes between y=i and y=i+1)."""
    counts = [0] * len(view.trace.nodes)
    for path in artist.get_paths():
        counts[int(path.vertices[:, 1].min())] += 1
    return counts


def test_log_view_cells_match_log_lengths_and_commit_indexes(crash_trace):
    view = RaftLogView(crash_trace)
    t = 0.62  # the last command is on the leader, not yet committed everywhere
    view.draw(t)
    logs = logs_at(crash_trace, t)
    commit = crash_trace.value_at("commit_index", t)
    nodes = crash_trace.nodes
    assert view.lengths == {n: len(logs[n]) for n in nodes}
    solid = _cells_per_row(view, view.committed_artist)
    pale = _cells_per_row(view, view.pending_artist)
    for i, n in enumerate(nodes):
        assert solid[i] == min(commit[n], len(logs[n]))
        assert solid[i] + pale[i] == len(logs[n])
        texts = [x.get_text() for x in view.cell_texts[i] if x.get_text()]
        assert len(texts) == len(logs[n])
        assert [x.split("\n") for x in texts] == [[str(term), short_command(c)] for term, c in logs[n]]
    assert sum(pale) > 0 and sum(solid) > 0  # both kinds on the picture at this moment
    assert view.pending_artist.get_hatch() and not view.committed_artist.get_hatch()


def test_log_view_marks_the_leader_and_greys_crashed_nodes(crash_trace):
    view = RaftLogView(crash_trace)
    view.draw(0.9)
    (leader,) = [n for n, r in crash_trace.value_at("role", 0.9).items() if r == "leader"]
    i = crash_trace.nodes.index(leader)
    assert view.leaders == [leader]
    assert view.name_texts[i].get_text().startswith("\u2605") and view.name_texts[i].get_fontweight() == "bold"
    assert view.role_texts[i].get_text().startswith("leader, term")
    assert len(view.frame_artist.get_paths()) == 1 and len(view.crashed_artist.get_paths()) == 0
    view.draw(1.5)  # node 0 crashed at 1.0
    assert len(view.crashed_artist.get_paths()) == 1
    assert view.role_texts[0].get_text() == "crashed"
    assert matplotlib.colors.same_color(view.name_texts[0].get_color(), style.CRASHED)
    assert 0 not in view.leaders


def test_log_view_shows_the_last_entries_of_a_long_log(crash_trace):
    view = RaftLogView(crash_trace, max_entries=3)
    view.draw(2.0)
    longest = max(view.lengths.values())
    assert longest > 3 and view.first_index == longest - 2
    assert [x.get_text() for x in view.index_texts] == [str(i) for i in range(longest - 2, longest + 1)]
    assert "indexes" in view.title.get_text()


def test_log_view_redraws_in_place_and_follows_a_growing_trace():
    sim = Simulation(Scenario(Raft, nodes=3, until=5.0), seed=2)
    sim.run_until(0.1)
    view = RaftLogView(sim.trace, legend=False)
    first = view.draw(0.1)
    assert view.lengths == {0: 0, 1: 0, 2: 0}
    sim.run_until(1.0)
    again = view.draw(1.0)
    assert [id(a) for a in again] == [id(a) for a in first]  # same artists, updated
    assert set(view.lengths.values()) == {1}  # the leader's no-op, everywhere


def test_raft_log_draws_figure8_on_given_axes():
    import matplotlib.pyplot as plt
    _fig, ax = plt.subplots()
    trace = run(figure8_scenario())
    assert raft_log(trace, 2.4, ax=ax) is ax
    assert "logs at t = 2.400" in ax.get_title(loc="left")


def test_docstring_examples_run():
    assert doctest.testmod(raftlog_module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
