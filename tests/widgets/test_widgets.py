"""Controls, the Playground and the step explorer, driven as a learner would (without a browser)."""
import pytest

from dsysedu import Crash, LinkModel, Partition, Scenario, Uniform
from dsysedu.demos import flood
from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.protocols.basics.request_reply import unknown_fraction
from dsysedu.protocols.basics.toys import PingEcho
from dsysedu.widgets import CrashToggles, LinkControls, PartitionEditor, Playground, StepExplorer, TimeScrubber

PNG = b"\x89PNG\r\n\x1a\n"


def test_crash_toggles_make_crash_faults_for_pressed_nodes_only():
    c = CrashToggles([0, 1, 2], until=2.0, window=(0.5, 1.0))
    assert c.faults() == []
    c.buttons[1].value = True
    assert c.faults() == [Crash(1, at=0.5, until=1.0)]


def test_partition_editor_groups_and_no_partition_when_one_side():
    p = PartitionEditor([0, 1, 2, 3], until=2.0, window=(0.2, 0.4))
    assert p.faults() == []
    p.set_groups([[0, 1], [2, 3]])
    assert p.faults() == [Partition([[0, 1], [2, 3]], at=0.2, until=0.4)]


def test_link_controls_round_trip_and_validation():
    lc = LinkControls(LinkModel(latency=Uniform(0.01, 0.05), loss=0.2, reorder=True))
    link = lc.link()
    assert link.loss == pytest.approx(0.2) and link.reorder and link.latency.high == pytest.approx(0.05)
    with pytest.raises(ValueError, match="max_latency"):
        LinkControls(max_latency=0)


def test_time_scrubber_maps_play_frames_to_times():
    seen = []
    s = TimeScrubber(2.0, seen.append, frames=10)
    s.play.value = 5
    assert seen[-1] == pytest.approx(1.0)
    s.slider.value = 0.3
    assert seen[-1] == pytest.approx(0.3)


@pytest.fixture
def playground():
    return Playground(request_reply_scenario(loss=0.2), metrics=lambda tr: {"unknown outcome": unknown_fraction(tr)})


def test_control_change_reruns_and_redraws(playground):
    runs, image, trace = playground.runs, playground.image.value, playground.trace
    assert image[:8] == PNG
    playground.controls["link"].loss.value = 0.6
    assert playground.runs == runs + 1
    assert playground.trace != trace
    assert playground.image.value != image
    assert "unknown outcome" in playground.info.value


def test_scrubbing_redraws_without_rerunning(playground):
    runs = playground.runs
    before = playground.image.value
    playground.scrubber.slider.value = playground.trace.end_time / 4   # it opened half-way
    assert playground.runs == runs
    assert playground.image.value != before


def test_crash_toggle_puts_a_crash_in_the_trace(playground):
    playground.controls["crash"].buttons[1].value = True
    assert playground.trace.count("crash") == 1
    at, until = playground.controls["crash"].window.value
    assert playground.trace.status_at((at + until) / 2)["crashed"] == {1}


def test_fork_here_keeps_the_past_and_changes_the_future():
    pg = Playground(flood(nodes=6, until=0.3))
    pg.scrubber.slider.value = 0.012
    base = pg.trace
    crash = pg.controls["crash"]
    crash.window.value = (0.02, 0.3)
    crash.buttons[0].value = False
    for n in (3, 4, 5):
        crash.buttons[n].value = True
    pg.fork_here()
    forked = pg.trace
    assert forked.prefix(0.012).rows == base.prefix(0.012).rows
    assert forked.count("crash") == 3
    assert "forked at" in pg.status.value


def test_bad_playground_arguments():
    with pytest.raises(TypeError, match="Scenario"):
        Playground("not a scenario")
    with pytest.raises(ValueError, match="unknown controls"):
        Playground(request_reply_scenario(), controls=("link", "warp drive"))


def test_step_explorer_takes_the_clicked_event_out_of_turn():
    sc = Scenario(PingEcho, nodes=3, params={"rounds": 2}, link=LinkModel(latency=Uniform(0.01, 0.05)), until=1.0)
    ex = StepExplorer(sc, seed=3)
    ex.run_until(0.0)
    pend = ex.sim.pending()
    deliveries = [p for p in pend if p.kind == "deliver"]
    assert len(deliveries) == 2
    last = max(deliveries, key=lambda p: p.time)  # the later ping: take it first
    buttons = {b.tooltip: b for b in ex.events.children}
    buttons[last.id].click()
    delivered = [r for r in ex.sim.rows if r[1] == "deliver"]
    assert delivered[0][4] == int(last.id.split(":")[1])
    assert "took" in ex.log.value and ex.image.value[:8] == PNG


def test_step_explorer_crash_button_crashes_the_chosen_node():
    ex = StepExplorer(Scenario(PingEcho, nodes=3, until=1.0), seed=1)
    ex.node_pick.value = 2
    ex.crash_button.click()
    assert ex.sim.status(2) == "crashed"
    assert "crashed" in ex.state.value
    ex.recover_button.click()
    assert ex.sim.status(2) == "up"


def _pixels(png):
    import io

    import numpy as np
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def test_rerun_that_keeps_the_topology_drawing_gives_the_same_picture_as_a_fresh_build():
    pg = Playground(request_reply_scenario())
    pg.controls["link"].loss.value = 0.4  # re-run: the topology view is kept, only space-time is redrawn
    pg.scrubber.slider.value = 0.7
    fresh = Playground(request_reply_scenario(loss=0.4))
    fresh.scrubber.slider.value = 0.7
    assert (_pixels(pg.image.value) == _pixels(fresh.image.value)).all()


def test_topology_set_trace_refuses_a_run_that_needs_another_legend():
    from dsysedu import run
    from dsysedu.viz import TopologyView
    view = TopologyView(run(request_reply_scenario(loss=0.0)), color_by="role")
    assert view.set_trace(run(request_reply_scenario(loss=0.3), seed=2))
    crashed = run(request_reply_scenario(loss=0.0, faults=[Crash(1, at=0.2, until=0.5)]))
    before = view.trace
    assert not view.set_trace(crashed)   # "crashed" would be a new legend entry
    assert view.trace is before


def test_a_playground_opens_on_a_moment_of_the_run_and_the_speed_scales_play():
    from dsysedu.widgets import FAILURE_DETECTION, PlaygroundSpec
    pg = Playground(FAILURE_DETECTION)
    assert pg.t_view == pytest.approx(pg.trace.end_time / 2) and pg.scrubber.t == pytest.approx(pg.t_view)
    assert pg.scrubber.play.value == pg.scrubber.frames // 2          # Play continues from there
    pg.scrubber.speed.value = 2.0
    assert pg.scrubber.play.interval == pg.scrubber.interval_ms // 2
    pg.scrubber.speed.value = 0.25
    assert pg.scrubber.play.interval == pg.scrubber.interval_ms * 4
    early = Playground(PlaygroundSpec(FAILURE_DETECTION.build, controls=FAILURE_DETECTION.controls,
                                      start=lambda trace: 1.2))
    assert early.t_view == pytest.approx(1.2)
    pg.controls["timeout"].value = 0.5                                  # a re-run keeps the learner's time
    assert pg.t_view == pytest.approx(pg.trace.end_time / 2)


def test_step_explorer_axis_has_no_offset_at_t0_and_buttons_fit_their_labels():
    from dsysedu import Scenario
    from dsysedu.protocols.consensus import raft
    se = StepExplorer(Scenario(raft.Raft, nodes=3, until=2.0), seed=7)
    lo, hi = se.ax.get_xlim()
    assert hi - lo >= StepExplorer.MIN_SPAN and se.ax.xaxis.get_offset_text().get_text() == ""
    for _ in range(6):
        se.step()
    buttons = [b for b in se.events.children if hasattr(b, "description")]
    assert buttons and all(b.layout.width == "auto" and b.layout.flex == "0 0 auto" for b in buttons)
