"""The π-calculus reducer: parsing round-trips, textbook reductions, mobility, scope extrusion,
capture-free substitution (checked against a de Bruijn encoding) and bounded replication."""
from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.formal import pi
from dsysedu.formal.pi import (CHOICE, EXTRUSION, MOBILITY, SERVER, In, New, Nil, Out, Par, Rep, Sum, Walk,
                               free_names, normal_form, parse, redexes, reduce, show, substitute)

NAMES = st.sampled_from(["a", "b", "c", "x", "y", "b1"])


def terms(max_leaves=8):
    leaf = st.just(Nil())

    def grow(sub):
        prefix = st.one_of(st.builds(Out, NAMES, NAMES, sub), st.builds(In, NAMES, NAMES, sub))
        branch = st.one_of(prefix, leaf)
        return st.one_of(prefix, st.builds(Sum, branch, branch), st.builds(Par, sub, sub), st.builds(New, NAMES, sub),
                         st.builds(Rep, sub))
    return st.recursive(leaf, grow, max_leaves=max_leaves)


def test_doctests():
    for module in (pi, pi.syntax, pi.reduction, pi.walk):
        assert doctest.testmod(module).failed == 0


@settings(max_examples=200, deadline=None)
@given(terms())
def test_pretty_print_then_parse_is_the_identity(p):
    assert parse(show(p)) == p


def test_parser_reads_the_documented_syntax():
    assert parse("a<b>") == Out("a", "b", Nil())
    assert parse("new a. a<b>.0 | c(x)") == Par(New("a", Out("a", "b")), In("c", "x"))
    assert parse("(new a)(a<b> | c(x))") == New("a", Par(Out("a", "b"), In("c", "x")))
    assert parse("!a(x).(x<y> | 0)") == Rep(In("a", "x", Par(Out("x", "y"), Nil())))
    assert parse("  a<b>.0|b(y').y'<c>  ") == Par(Out("a", "b"), In("b", "y'", Out("y'", "c")))


@pytest.mark.parametrize("text, message", [
    ("a<b", "position 3: expected '>'"),
    ("a(x).", "position 5: expected a process"),
    ("a<b> |", "position 6: expected a process"),
    ("a b", "position 2: expected '<' \\(output\\) or '\\(' \\(input\\) after channel 'a'"),
    ("(new) a<b>", "position 4: expected a channel name after '\\(new'"),
    ("(a<b>", "position 5: expected '\\)', '\\|' or '\\+'"),
    ("a<b> $", "position 5: unexpected character '\\$'"),
    ("a<b>) ", "position 4: expected '\\|', '\\+' or end of input"),
    ("new a a<b>", "position 6: expected '\\.' after 'new a'"),
])
def test_parse_errors_say_where_and_what_was_expected(text, message):
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_textbook_communication_and_mobility():
    r = reduce("a<b>.0 | a(x).x<c>.0 | b(y).0")
    assert [show(s.after) for s in r.steps] == ["b<c>.0 | b(y).0", "0"]
    assert (r.steps[0].channel, r.steps[0].substitution) == ("a", "{b/x}")
    assert r.steps[1].channel == "b"  # the received name is now used as a channel: mobility
    m = reduce(MOBILITY)
    assert [s.channel for s in m.steps] == ["a", "b", "c"] and m.stopped == "no redex" and m.final == Nil()
    assert show(m.steps[0].after) == "(new b) (b(y).y<ok>.0 | b<c>.0 | c(z).0)"


def test_scope_extrusion_keeps_a_private_name_apart_from_a_free_one():
    r = reduce(EXTRUSION)
    first = r.steps[0]
    # the private b travelled to the receiver under a fresh name; the receiver's free b is untouched
    assert "b" in free_names(first.after) and first.message != "b"
    assert first.message in show(first.after) and first.message not in free_names(first.after)
    assert show(r.final) == "b<t>.0" and r.stopped == "no redex"
    # without renaming, the private b would meet b<t> (a wrong second step on channel 'b')
    assert [s.channel for s in r.steps] == ["a", first.message]


def test_substitution_renames_a_binder_that_would_capture():
    assert show(substitute(parse("(new b) x<b>.0"), "x", "b")) == "(new b1) b<b1>.0"
    assert show(substitute(parse("b(y).x<y>.0"), "x", "b")) == "b(y).b<y>.0"
    assert show(substitute(parse("c(b).x<b>.0"), "x", "b")) == "c(b1).b<b1>.0"
    assert show(substitute(parse("c(x).x<b>.0"), "x", "d")) == "c(x).x<b>.0"  # x is bound there: nothing to do
    r = reduce("a<b>.0 | a(x).(new b) x<b>.0")
    assert free_names(r.final) == {"b"}


def test_replication_serves_each_client_and_is_bounded():
    r = reduce(SERVER)
    assert [s.message for s in r.steps] == ["c1", "c2"] and all(s.unfolded for s in r.steps)
    assert show(r.final) == "c1<answer>.0 | c2<answer>.0 | !request(r).r<answer>.0"
    forever = reduce("!a<b>.0 | !a(x).0", max_steps=25)
    assert forever.stopped == "step limit" and len(forever.steps) == 25
    private = reduce("!(new c) (c<x>.0 | c(y).y<z>.0)", max_steps=3)  # one copy talks to itself only
    assert len(private.steps) == 3 and all(s.channel != "c" and s.channel not in free_names(s.before)
                                           for s in private.steps)
    assert show(private.final).count("x<z>.0") == 3
    with pytest.raises(ValueError, match="max_steps"):
        reduce("0", max_steps=-1)


def test_seeded_runs_are_reproducible():
    t = "a<p>.0 | a<q>.0 | a(x).x<r>.0 | a(y).y<s>.0 | p(u).0 | q(v).0"
    runs = {str(reduce(t, seed=s)) for s in range(8)}
    assert len(runs) > 1  # the seed chooses among redexes
    assert str(reduce(t, seed=3)) == str(reduce(t, seed=3))


# -- capture: checked against a de Bruijn encoding, which cannot capture -------------------

def de_bruijn(p, env=()):
    """Bound names become their binder's depth; free names stay names. Alpha-equivalent terms are equal."""
    ref = lambda n: ("bound", env.index(n)) if n in env else ("free", n)
    if isinstance(p, Nil):
        return ("0",)
    if isinstance(p, Out):
        return ("out", ref(p.channel), ref(p.message), de_bruijn(p.then, env))
    if isinstance(p, In):
        return ("in", ref(p.channel), de_bruijn(p.then, (p.variable,) + env))
    if isinstance(p, New):
        return ("new", de_bruijn(p.body, (p.name,) + env))
    if isinstance(p, Par):
        return ("par", de_bruijn(p.left, env), de_bruijn(p.right, env))
    if isinstance(p, Sum):
        return ("sum", de_bruijn(p.left, env), de_bruijn(p.right, env))
    return ("rep", de_bruijn(p.body, env))


def db_subst(t, x, b):
    if t == ("free", x):
        return ("free", b)
    if isinstance(t, tuple):
        return tuple(db_subst(u, x, b) for u in t)
    return t


def db_free(t):
    if isinstance(t, tuple) and len(t) == 2 and t[0] == "free":
        return {t[1]}
    return set().union(*(db_free(u) for u in t if isinstance(u, tuple))) if isinstance(t, tuple) else set()


@settings(max_examples=200, deadline=None)
@given(terms(), NAMES, NAMES)
def test_substitution_never_captures(q, x, b):
    assert de_bruijn(substitute(q, x, b)) == db_subst(de_bruijn(q), x, b)


@settings(max_examples=150, deadline=None)
@given(terms(max_leaves=6), NAMES)
def test_a_received_name_stays_free_after_the_step(r, x):
    # a<b> sends the free name b to a(x).R; R may bind b itself, which must not capture the received b
    before = Par(Out("a", "b"), In("a", x, r))
    step = redexes(before)[0]
    assert (step.channel, step.message, step.variable) == ("a", "b", x)
    assert free_names(step.after) == db_free(db_subst(de_bruijn(r), x, "b"))


@settings(max_examples=150, deadline=None)
@given(terms())
def test_reduction_never_invents_free_names(p):
    for s in redexes(p)[:6]:
        assert free_names(s.after) <= free_names(p)
    assert free_names(normal_form(p)) == free_names(p)


# -- choice (P + Q) and the walk the learner steers --------------------------------------

def test_choice_parses_between_prefix_and_parallel():
    assert parse("a<b> + c(x) | d<e>") == Par(Sum(Out("a", "b"), In("c", "x")), Out("d", "e"))
    assert parse("a<b> + c(x) + 0") == Sum(Sum(Out("a", "b"), In("c", "x")), Nil())
    assert parse("a(x).(b<x> + c<x>)") == In("a", "x", Sum(Out("b", "x"), Out("c", "x")))
    assert show(parse("a<b> + (c<d> + e<f>)")) == "a<b>.0 + (c<d>.0 + e<f>.0)"
    for bad in ("a<b> + (c<d> | e<f>)", "a<b> + !c(x)", "a<b> + (new c) c<d>"):
        with pytest.raises(ValueError, match="branch of '\\+' must be a prefix"):
            parse(bad)
    with pytest.raises(ValueError, match="branch"):
        Sum(Par(Nil(), Nil()), Nil())


def test_a_choice_keeps_one_branch_and_drops_the_other():
    steps = redexes(CHOICE)
    assert [s.channel for s in steps] == ["yes", "no"]
    assert [show(s.after) for s in steps] == ["decided<a>.0 | no<b>.0", "retry<b>.0 | yes<a>.0"]
    assert steps[0].dropped == ("no(v).retry<v>.0",) and "choice drops" in str(steps[0])
    for s in steps:   # the loser's partner is left waiting for ever
        assert redexes(s.after) == []
    # the two branches of one choice are one process: it cannot talk to itself
    assert redexes("a<b>.0 + a(x).0") == []
    # both partners may be choices
    both = redexes("a<k>.0 + b<k>.0 | a(x).x<z>.0 + c(y).0")
    assert len(both) == 1 and set(both[0].dropped) == {"b<k>.0", "c(y).0"}


def test_a_replicated_choice_serves_either_branch_in_each_copy():
    steps = redexes("!(a(x).x<k>.0 + b(y).0) | a<c>.0 | b<d>.0")
    assert [s.channel for s in steps] == ["a", "b"]
    assert all(s.unfolded == ("!(a(x).x<k>.0 + b(y).0)",) for s in steps)
    assert "!(a(x).x<k>.0 + b(y).0)" in show(steps[0].after)    # the server stays for the next client


@settings(max_examples=150, deadline=None)
@given(terms(max_leaves=6), st.lists(st.integers(0, 5), max_size=4))
def test_a_walk_takes_exactly_the_redexes_on_offer(p, picks):
    w = Walk(p)
    for k in picks:
        if w.stuck:
            with pytest.raises(ValueError, match="no redex left"):
                w.take(0)
            break
        k = k % len(w.options)
        before = w.current
        w = w.take(k)
        assert w.current == redexes(before)[k].after
        assert free_names(w.current) <= free_names(p)
        assert w.undo().current == before
    assert len(w.steps) <= len(picks)


def test_walk_errors_and_reduction():
    w = Walk(CHOICE)
    with pytest.raises(ValueError, match="index 0..1"):
        w.take(2)
    with pytest.raises(ValueError, match="index"):
        w.take(True)
    with pytest.raises(TypeError, match="Step"):
        Walk(CHOICE, ("not a step",))
    assert w.undo() == w and not w.stuck
    done = w.take(1)
    assert done.stuck and done.as_reduction().stopped == "no redex" and "retry<b>" in str(done)
