"""The Raft playground driven from Python, as a learner's clicks would drive it."""
from __future__ import annotations

import doctest

import pytest

from dsysedu.protocols.consensus.raft.properties import leaders
from dsysedu.protocols.consensus.raft import (RaftCommitOldTerm, leader_crash_scenario, partitioned_leader_scenario,
                                              split_vote_scenario)
from dsysedu.widgets import RaftPlayground
from dsysedu.widgets import raft_playground as module

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def pg():
    return RaftPlayground(nodes=5, seed=7)


@pytest.fixture
def led(pg):
    """A playground whose cluster has elected a leader."""
    pg.advance(1.0)
    assert pg.leader() is not None
    return pg


def test_starts_at_zero_with_a_picture_and_a_green_badge(pg):
    assert pg.sim.now == 0.0 and pg.image.value[:8] == PNG
    assert "safe" in pg.badge.value and pg.verdict.ok
    assert len(pg.cards) == 5 and "free play" in pg.narration.value


def test_run_buttons_and_play_advance_the_live_run(pg):
    image = pg.image.value
    run = next(b for b in _buttons(pg) if "dsysedu-run" in b._dom_classes)
    run.click()
    assert pg.sim.now == pytest.approx(0.1) and pg.image.value != image
    pg.play.value += 1  # one tick of the Play widget
    assert pg.sim.now == pytest.approx(0.2)
    pg.step()
    assert pg.sim.now >= 0.2


def test_crashing_the_leader_elects_a_new_leader_with_a_higher_term(led):
    node, term = led.leader()
    card = led.cards[node]
    card[2].click()  # "crash" on the leader's card
    assert led.sim.status(node) == "crashed" and card[2].disabled and not card[3].disabled
    led.advance(1.0)
    new, new_term = led.leader()
    assert new != node and new_term > term
    assert f"node {new} (term {new_term})" in led.status.value
    card[3].click()  # recover: it comes back as a follower of the new term
    led.advance(0.5)
    assert led.sim.nodes[node].role == "follower" and led.sim.nodes[node].current_term == new_term


def test_time_out_button_starts_an_election_on_that_node(led):
    node, term = led.leader()
    follower = next(n for n in led.cards if n != node)
    assert led.cards[node][4].disabled  # a leader has no election timer
    led.cards[follower][4].click()
    state = led.sim.nodes[follower]
    assert state.role == "candidate" and state.current_term == term + 1
    assert state.voted_for == follower
    assert "timed out" in led.status.value
    led.advance(1.0)
    assert led.leader()[1] >= term + 1


def test_client_command_is_applied_everywhere_and_acknowledged(led):
    seq = led.client("x", 2)
    led.advance(0.5)
    acks = led.sim.trace.observations("ack")
    assert ("you", seq) in set(acks.value)
    applied = led.sim.trace.observations("applied")
    nodes = {r.node for r in applied.itertuples() if getattr(r.value[1], "seq", None) == seq}
    assert nodes == set(led.cards)
    assert all(node.state_machine.as_dict() == {"x": 2} for node in led.sim.nodes.values())
    assert "acknowledged" in led.sent_html.value


def test_client_box_sends_to_a_chosen_node(led):
    node, _term = led.leader()
    other = next(n for n in led.cards if n != node)
    led.key.value, led.value.value, led.target.value = "y", "7", other
    next(b for b in _buttons(led) if "dsysedu-client-send" in b._dom_classes).click()
    assert led.sent[1][:3] == ("y", 7, other) and led.value.value == "8"
    led.advance(0.5)
    assert led.sim.nodes[node].state_machine.get("y") == 7  # forwarded to the leader


def test_drop_and_deliver_a_pending_message(led):
    for _ in range(100):  # next events until a heartbeat round is on the wire
        if len(led.pending_messages()) >= 2:
            break
        led.sim.step()
    led.refresh()
    first = led.pending_messages()
    assert len(first) >= 2 and len(led.pending_box.children) == len(first)  # one row per message
    victim = first[0]
    led.drop(victim.id)
    assert victim.id not in {e.id for e in led.sim.pending()}
    last = led.sim.trace[-1]
    assert last.kind == "drop" and last.value == "manual"
    other = led.pending_messages()[0]
    before = len(led.sim.rows)
    led.deliver(other.id)
    assert any(r[1] == "deliver" for r in led.sim.rows[before:])
    assert other.id not in {e.id for e in led.sim.pending()}


def test_scrubbing_only_redraws_and_fork_keeps_the_prefix(led):
    led.client("x", 1)  # at t = 1.0: before the fork point, replayed by the fork
    led.advance(1.0)
    led.client("x", 2)  # at t = 2.0: after the fork point, forgotten
    rows, now, image = len(led.sim.rows), led.sim.now, led.image.value
    led.scrubber.value = 1.5
    assert len(led.sim.rows) == rows and led.sim.now == now  # nothing ran
    assert led.image.value != image and "viewing the past" in led.status.value
    assert led.panel.log.t == 1.5 and led.panel.topo.t == 1.5
    prefix = [r for r in led.sim.rows if r[0] <= 1.5]
    led.fork_here()
    assert led.sim.now == pytest.approx(1.5)
    assert led.sim.rows == prefix
    assert list(led.sent) == [1]
    led.advance(0.5)
    assert led.sim.rows[:len(prefix)] == prefix
    assert all(node.state_machine.as_dict() == {"x": 1} for node in led.sim.nodes.values())


def test_partition_and_heal_from_the_editor(led):
    node, term = led.leader()
    others = [n for n in led.cards if n != node]
    led.partition_editor.set_groups([[node, others[0]], others[1:]])
    next(b for b in _buttons(led) if "dsysedu-partition" in b._dom_classes).click()
    led.advance(1.5)
    assert led.leader()[1] > term  # the majority side elected a new leader
    assert any(r[1] == "partition" for r in led.sim.rows)
    led.heal()
    led.advance(1.0)
    assert led.sim.nodes[node].role == "follower"


def test_options_rebuild_the_cluster(led):
    led.controls["prevote"].value = True
    assert led.sim.now == 0.0
    assert all(node.prevote for node in led.sim.nodes.values())
    assert "PreVote" in led.panel.messages
    led.controls["check_quorum"].value = True
    assert all(node.check_quorum for node in led.sim.nodes.values())


def test_split_vote_scenario_has_no_leader_in_term_1(pg):
    # the Raft package's split_vote_scenario: nodes 0 and 1 (on two sites) both stand in term 1
    pg.load("split vote")
    assert pg.sim.scenario.faults == split_vote_scenario(seed=7).faults and len(pg.cards) == 4
    pg.advance(0.3)
    roles = {n: node.role for n, node in pg.sim.nodes.items()}
    assert roles == {0: "candidate", 1: "candidate", 2: "follower", 3: "follower"}
    assert "split vote" in pg.narration.value
    pg.advance(1.0)
    elected = leaders(pg.sim.trace)
    assert 1 not in elected and min(elected) >= 2


def test_leader_crash_and_partition_scenarios_do_what_their_narration_says(pg):
    # the Raft package's scenarios: node 0 crashes at 1.0 s; the partition holds from 1.0 s to 2.0 s
    pg.load("leader crash")
    assert pg.sim.scenario.faults == leader_crash_scenario(seed=7).faults
    pg.advance(0.9)
    assert pg.leader() == (0, 1)
    pg.advance(1.0)
    assert pg.leader()[0] != 0 and pg.leader()[1] >= 2
    pg.load("partitioned old leader")
    assert pg.sim.scenario.faults == partitioned_leader_scenario(seed=7).faults
    pg.advance(1.9)
    assert pg.sim.nodes[0].role == "leader"  # the old leader still thinks it leads
    assert not any(getattr(r[6][1], "seq", None) == 2 for r in pg.sim.rows
                   if r[1] == "observe" and r[5] == "applied")  # x=2 cannot commit
    pg.advance(1.0)
    assert pg.sim.nodes[0].role == "follower"
    assert pg.verdict.ok


def test_badge_is_red_for_a_broken_variant_and_highlights_the_evidence(pg):
    pg.load("Figure 8")
    pg.advance(5.0)
    assert pg.verdict.ok and "safe" in pg.badge.value  # correct Raft: never commits x=2 by counting
    pg.controls["variant"].value = "broken: commits old-term entries"
    assert pg.sim.nodes[1].__class__ is RaftCommitOldTerm
    pg.advance(5.0)
    assert not pg.verdict.ok and "\u2717" in pg.badge.value
    gids = {c.get_gid() for c in pg.panel.st.ax.collections}
    assert "highlight" in gids
    lo, _hi = pg.panel.st.ax.get_xlim()
    first = min(pg.sim.trace.rows[s][0] for s in pg.verdict.events)
    assert lo <= first  # the evidence is inside the window


def test_end_of_run_stops_play(pg):
    pg.load("Figure 8")
    pg.play.playing = True
    pg.advance(10.0)
    pg.advance(0.1)
    assert "ends at" in pg.status.value and not pg.play.playing


def test_docstring_examples_run():
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def _buttons(pg):
    """Every Button in the playground's widget tree."""
    import ipywidgets as W
    out, todo = [], [pg.widget]
    while todo:
        w = todo.pop()
        if isinstance(w, W.Button):
            out.append(w)
        todo.extend(getattr(w, "children", ()))
    return out


def test_the_learner_chooses_how_fast_play_runs_the_cluster(pg):
    base = pg.play.interval
    pg.speed.value = 4.0
    assert pg.play.interval == base // 4
    pg.speed.value = 0.5
    assert pg.play.interval == base * 2


def test_the_playground_can_open_on_a_working_cluster():
    from dsysedu.widgets import RaftPlayground
    opened = RaftPlayground(nodes=5, seed=7, start=0.6)
    assert opened.sim.now == pytest.approx(0.6) and opened.leader() is not None
    with pytest.raises(ValueError, match="start"):
        RaftPlayground(nodes=3, seed=1, start=-1.0)


def test_compaction_option_runs_compacting_raft_and_the_log_view_shows_snapshots(led):
    led.controls["snapshot_every"].value = 4
    assert led.sim.now == 0.0
    assert all(type(node).__name__ == "CompactingRaft" and node.snapshot_every == 4 for node in led.sim.nodes.values())
    led.advance(1.0)
    for k in range(6):
        led.client("x", k)
        led.advance(0.3)
    assert all(node.snapshot_index >= 4 for node in led.sim.nodes.values())
    led.advance(0.1)
    assert min(led.panel.log.snapshots.values()) >= 4 and led.verdict.ok


def test_compaction_with_a_broken_variant_is_refused_with_a_reason(led):
    with pytest.raises(ValueError, match="correct Raft only"):
        module.raft_cluster(variant="broken: commits old-term entries", snapshot_every=4)
    led.controls["variant"].value = "broken: commits old-term entries"
    led.controls["snapshot_every"].value = 8
    assert "correct Raft only" in led.status.value


@pytest.mark.parametrize("scenario", list(module.SCENARIOS))
def test_every_scenario_can_compact(scenario):
    sc = module.raft_cluster(scenario, snapshot_every=4)
    assert sc.protocol.__name__ == "CompactingRaft"
