"""Chapter 7's principles: simplicity, evolvability, antifragility and least privilege, each measured."""
import pytest

from dsysedu import run
from dsysedu.systems.principles import antifragility as af
from dsysedu.systems.principles.evolvability import RULES, router_mentions, StaleRing, store_contract, swap_table
from dsysedu.systems.principles.least_privilege import (ACTIONS, blast_radius, issue, NEEDS, privilege_scenario,
                                                        Token, verify)
from dsysedu.systems.principles.simplicity import code_lines, simplicity_table
from dsysedu.systems.storage.sharding import STRATEGIES


# ---------------------------------------------------------------------------------------------- simplicity

def test_simplicity_table_pins_the_price_of_non_blocking():
    t = simplicity_table()
    two, three = t.loc["two-phase commit"], t.loc["three-phase commit"]
    assert (two.states, three.states) == (72, 1877)              # pinned: drift fails loudly
    assert (two.states_one_crash, three.states_one_crash) == (335, 6788)
    assert two.atomic and three.atomic
    assert not two.decides_after_crash and three.decides_after_crash
    assert two.lines < three.lines and two.message_types == 3 and three.message_types == 8


def test_code_lines_skips_docstrings_comments_and_blanks():
    def f(x):
        """A docstring
        over two lines."""
        # a comment

        return (x +
                1)
    assert code_lines(f) == 3
    with pytest.raises(TypeError, match="classes and functions"):
        code_lines(42)


# ---------------------------------------------------------------------------------------------- evolvability

@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_placement_passes_the_one_contract(strategy):
    assert store_contract(strategy) == []


def test_the_contract_can_fail():
    assert store_contract(StaleRing) == [RULES[2]]


def test_router_knows_only_the_interface_and_the_swap_pays():
    assert router_mentions() == []
    t = swap_table()
    assert (t.contract_broken == 0).all()
    assert t.loc["mod N", "moved_on_join"] > 0.8 and t.loc["consistent hashing", "moved_on_join"] < 0.15


# ---------------------------------------------------------------------------------------------- antifragility

def test_heartbeat_gaps_and_learned_timeout():
    trace = af.leader_crash_run(af.Raft, latency_median=af.STRESSED, seed=1, election_timeout=0.1)
    gaps = af.heartbeat_gaps(trace)
    assert len(gaps) > 50 and gaps.min() >= 0
    assert af.learned_timeout([trace], quantile=0.5, margin=1.0) == pytest.approx(float(sorted(gaps)[len(gaps) // 2]),
                                                                                  rel=0.2)
    with pytest.raises(ValueError, match="no heartbeat gaps"):
        af.learned_timeout([])


def test_stress_makes_the_learning_cluster_better():
    df, learned = af.stress_table(learn_seeds=range(3), test_seeds=range(100, 106))
    assert learned > 0.2
    mean = df.groupby(["network", "stage"])[["elections", "leaderless_s"]].mean()
    calm_tuned, stressed_tuned = mean.loc[("calm", "tuned for calm")], mean.loc[("stressed", "tuned for calm")]
    stressed_learned = mean.loc[("stressed", "learned from stress")]
    assert stressed_tuned.elections > 2 * stressed_learned.elections           # needless elections gone
    assert stressed_learned.leaderless_s < stressed_tuned.leaderless_s
    assert mean.loc[("stressed", "adaptive")].leaderless_s < stressed_tuned.leaderless_s
    assert calm_tuned.elections == 2                                           # the first and the failover


# ---------------------------------------------------------------------------------------------- least privilege

def test_tokens_are_signed_and_scoped():
    token = issue("reports", ["orders:read"])
    assert verify(token)
    assert not verify(Token("reports", frozenset(ACTIONS), token.signature))
    with pytest.raises(ValueError, match="unknown scopes"):
        issue("reports", ["orders:everything"])


@pytest.mark.parametrize("service", sorted(NEEDS))
def test_a_compromised_service_can_do_only_what_it_was_granted(service):
    scoped = blast_radius(run(privilege_scenario("scoped", service), seed=7), service)
    shared = blast_radius(run(privilege_scenario("shared", service), seed=7), service)
    assert scoped["actions"] == len(NEEDS[service]) and scoped["forged_accepted"] == 0
    assert shared["actions"] == len(ACTIONS) and shared["orders_lost"] == 5
    assert scoped["orders_lost"] == (5 if "payments:refund" in NEEDS[service] else 0)


def test_ordinary_work_is_never_refused():
    trace = run(privilege_scenario("scoped"), seed=7)
    early = [e for e in trace.events if e.kind == "observe" and e.data == "refused" and e.time < 1.0]
    assert early == []
    with pytest.raises(ValueError, match="grants"):
        privilege_scenario("none")
