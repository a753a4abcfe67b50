"""The cost explorer's declaration: its run, table and verdict."""
import pytest

from dsysedu import run
from dsysedu.systems.principles import replica_set_measures, replica_set_scenario
from dsysedu.widgets import COST_EXPLORER, Playground, cost_rows, cost_verdict


def test_default_explorer_runs_and_agrees_with_the_formula():
    pg = Playground(COST_EXPLORER)
    assert pg.measures["needed"] == 2 and pg.measures["monthly_cost"] == 300.0
    assert cost_verdict(pg.trace).ok
    rows = cost_rows(pg.measures)
    assert rows["nines"] == 3.53 and rows["availability (formula)"] == "0.999702"


@pytest.mark.parametrize("level, needed", [("ONE", 1), ("QUORUM", 3), ("ALL", 5)])
def test_levels(level, needed):
    trace = run(replica_set_scenario(5, level, replica_nines=1.5, seed=7), seed=7)
    m = replica_set_measures(trace)
    assert m["needed"] == needed and cost_verdict(trace).ok


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="consistency"):
        replica_set_scenario(3, "SOME")
    with pytest.raises(ValueError, match="not a replica_set_scenario"):
        from dsysedu.sim import Scenario
        from dsysedu.systems.resilience.redundancy import Replica
        replica_set_measures(run(Scenario(Replica, nodes=2, until=1.0), seed=7))
