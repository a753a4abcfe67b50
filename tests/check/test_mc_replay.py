"""Counterexamples leave the checker: the state graph draws them, step mode replays them."""
import matplotlib
import pytest

matplotlib.use("Agg")

from dsysedu.protocols.consensus.raft.model import election_safety_invariant, raft_election_model
from dsysedu.check.model_checker import Action, check, replay_in
from dsysedu.protocols.coordination.mutex import ImpatientClient, mutex_model, mutual_exclusion
from dsysedu.protocols.consensus.raft import LEADER, RaftForgetsVote
from dsysedu.protocols.transactions.twopc import ABORTED, COMMITTED, MajorityCoordinator, atomicity, twopc_model
from dsysedu.sim import Simulation
from dsysedu.viz.stategraph import state_graph


def test_twopc_counterexample_replays_in_step_mode():
    r = check(twopc_model(3, MajorityCoordinator), atomicity)
    sim = Simulation(r.model.scenario)
    rows = replay_in(sim, r)
    assert rows
    states = {p: sim.nodes[p].phase for p in ("p1", "p2", "p3")}
    assert COMMITTED in states.values() and ABORTED in states.values()


def test_raft_counterexample_replays_with_crash_and_recovery():
    r = check(raft_election_model(RaftForgetsVote, crashes=1, recoveries=1), election_safety_invariant)
    sim = Simulation(r.model.scenario)
    replay_in(sim, r.path)
    leaders = [n for n, node in sim.nodes.items() if node.role == LEADER]
    assert len(leaders) == 2 and len({sim.nodes[n].current_term for n in leaders}) == 1


def test_replay_refuses_what_step_mode_cannot_do():
    r = check(twopc_model(2), atomicity)
    sim = Simulation(r.model.scenario)
    with pytest.raises(ValueError, match="nothing pending"):
        replay_in(sim, [Action("deliver", "p1", "c", "no such message")])
    with pytest.raises(ValueError, match="duplicate"):
        replay_in(Simulation(r.model.scenario), [Action("duplicate", "p1", "c", None)])


def test_state_graph_marks_bad_states_and_the_path():
    r = check(mutex_model(2, ImpatientClient, symmetric=False), mutual_exclusion, max_states=5000)
    small = check(twopc_model(3, MajorityCoordinator), atomicity)
    ax = state_graph(small, bad=atomicity, symmetry=True)
    c = ax.dsysedu_counts
    assert c["states"] == 198 and c["path"] == 6 and c["bad"] == 6
    ax = state_graph(twopc_model(2, symmetric=False), label=lambda s: s["p1"].phase[0])
    assert ax.dsysedu_counts == {"states": 72, "transitions": 134, "bad": 0, "path": 0}
    with pytest.raises(ValueError, match="more than"):
        state_graph(r.model, max_states=50)
    with pytest.raises(TypeError, match="Model or a Result"):
        state_graph("2PC")


def test_step_explorer_shows_the_replayed_counterexample():
    from dsysedu.widgets.stepper import StepExplorer
    r = check(twopc_model(3, MajorityCoordinator), atomicity)
    ex = StepExplorer(r.model.scenario)
    replay_in(ex.sim, r)
    ex.refresh()
    assert "committed" in ex.state.value and "aborted" in ex.state.value
    assert ex.image.value   # the space-time picture was drawn
