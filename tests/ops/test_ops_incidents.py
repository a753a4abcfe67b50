"""Injected incidents show up in telemetry, and remedies end them without changing the past."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.incidents import INCIDENT_KINDS, Incident, Remedy, incident_scenario, remedied
from dsysedu.ops.services import service_scenario
from dsysedu.ops.telemetry import spans
from dsysedu.sim import run

from test_ops_services import check_context


def test_without_incidents_it_is_the_plain_service_system():
    a = run(service_scenario(rate=10.0, duration=20.0, loss=0.01), seed=4)
    b = run(incident_scenario([], rate=10.0, duration=20.0, loss=0.01), seed=4)
    assert a.rows == b.rows


@pytest.mark.parametrize("incident, sign", [
    (Incident("crash", "store", 5.0, 10.0), "no answer from store"),
    (Incident("partition", "inventory", 5.0, 10.0), "no answer from inventory"),
    (Incident("error_rate", "orders", 5.0, 10.0, severity=1.0), "internal error"),
])
def test_each_failing_kind_leaves_its_sign_in_the_spans(incident, sign):
    trace = run(incident_scenario([incident], duration=15.0), seed=2)
    bad = [s for s in spans(trace) if s.status == "ERROR"]
    assert any(sign in s.message for s in bad)
    assert all(incident.start <= s.end for s in bad if sign in s.message)
    check_context(trace)


@pytest.mark.parametrize("incident, service", [
    (Incident("slow", "store", 5.0, 10.0, severity=0.01), "store"),
    (Incident("slow_link", ("orders", "store"), 5.0, 10.0, severity=0.05), "orders"),
])
def test_slow_kinds_make_requests_slow_only_while_they_last(incident, service):
    trace = run(incident_scenario([incident], duration=15.0), seed=2)
    server = [s for s in spans(trace) if s.service == service and s.kind == "server"]
    during = [s.duration for s in server if 6.0 <= s.start < 9.0]
    before = [s.duration for s in server if s.start < 4.0]
    after = [s.duration for s in server if s.start > 12.0]
    assert min(during) > max(before) and min(during) > max(after)


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(INCIDENT_KINDS), at=st.floats(2.0, 6.0), seed=st.integers(0, 1000))
def test_a_remedy_changes_nothing_before_it_and_ends_the_incident(kind, at, seed):
    target = ("orders", "store") if kind == "slow_link" else "orders"
    incident = Incident(kind, target, 1.0, 9.0, severity=1.0 if kind == "error_rate" else None)
    action = {"crash": "restart", "slow": "restart", "error_rate": "rollback", "slow_link": "reroute",
              "partition": "failover"}[kind]
    remedy = Remedy(action, target, at)
    assert remedied([incident], [remedy])[0].end == at
    plain = run(incident_scenario([incident], duration=10.0), seed=seed)
    fixed = run(incident_scenario([incident], [remedy], duration=10.0), seed=seed)
    assert [r for r in plain.rows if r[0] < at] == [r for r in fixed.rows if r[0] < at]
    assert plain.rows != fixed.rows


def test_a_remedy_only_fixes_what_it_fixes():
    crash = Incident("crash", "orders", 1.0, 9.0)
    assert remedied([crash], [Remedy("rollback", "orders", 3.0)]) == [crash]       # wrong action
    assert remedied([crash], [Remedy("restart", "store", 3.0)]) == [crash]         # wrong target
    assert remedied([crash], [Remedy("restart", "orders", 0.5)]) == [crash]        # before it began
    assert remedied([crash], [Remedy("restart", "orders", 4.0), Remedy("restart", "orders", 3.0)])[0].end == 3.0


@pytest.mark.parametrize("make, error, says", [
    (lambda: Incident("meteor", "store", 1, 2), ValueError, "kind"),
    (lambda: Incident("crash", "client", 1, 2), ValueError, "target"),
    (lambda: Incident("slow_link", ("store", "orders"), 1, 2), ValueError, "caller, callee"),
    (lambda: Incident("crash", "store", 2, 2), ValueError, "after"),
    (lambda: Incident("error_rate", "store", 1, 2, severity=1.5), ValueError, "error rate"),
    (lambda: Remedy("reboot", "store", 1), ValueError, "action"),
    (lambda: incident_scenario([Incident("crash", "store", 1, 5), Incident("crash", "store", 4, 6)]), ValueError,
     "overlap"),
    (lambda: incident_scenario(["crash"]), TypeError, "Incident"),
    (lambda: incident_scenario([], faults=[]), TypeError, "faults"),
])
def test_bad_incidents_are_refused(make, error, says):
    with pytest.raises(error, match=says):
        make()


_KINDS = st.sampled_from(INCIDENT_KINDS)
_SERVICES = st.sampled_from(["gateway", "inventory", "orders", "store"])
_LINKS = st.sampled_from([("gateway", "inventory"), ("gateway", "orders"), ("inventory", "store"), ("orders", "store")])


@st.composite
def incident_sets(draw):
    """Up to four incidents of random kinds, targets and times in a 3 s run, never two that clash."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(_KINDS)
        target = draw(_LINKS) if kind == "slow_link" else draw(_SERVICES)
        start = draw(st.floats(0.0, 2.5))
        x = Incident(kind, target, start, start + draw(st.floats(0.05, 1.0)),
                     severity=draw(st.floats(0.05, 1.0)) if kind == "error_rate" else None)
        if all(not (x.kind == y.kind and (x.kind == "partition" or x.target == y.target)
                    and x.start < y.end and y.start < x.end) for y in out):
            out.append(x)
    return out


@settings(max_examples=25, deadline=None)
@given(incidents=incident_sets(), seed=st.integers(0, 2**16), loss=st.sampled_from([0.0, 0.05]))
def test_trace_context_reaches_every_span_under_random_incidents(incidents, seed, loss):
    trace = run(incident_scenario(incidents, rate=15.0, duration=3.0, loss=loss), seed=seed)
    all_spans, sent = check_context(trace)
    assert sent >= sum(s.parent_id is None for s in all_spans) > 0
