"""π-calculus syntax: the terms (``0``, output, input, ``+``, ``|``, ``new``, ``!``), their text form, the parser."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Nil", "Out", "In", "Sum", "Par", "New", "Rep", "show", "parse", "summands"]



# -- terms ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Nil:
    """``0``."""
    def __str__(self):
        return show(self)


@dataclass(frozen=True)
class Out:
    """``channel<message>.then``."""
    channel: str
    message: str
    then: object = Nil()

    def __str__(self):
        return show(self)


@dataclass(frozen=True)
class In:
    """``channel(variable).then``; ``variable`` is bound in ``then``."""
    channel: str
    variable: str
    then: object = Nil()

    def __str__(self):
        return show(self)


@dataclass(frozen=True)
class Sum:
    """``left + right``: a choice (选择). Exactly one branch runs: the first to communicate, and
    the others are thrown away. Its branches are guarded: prefixes (``a<b>.P``, ``a(x).P``),
    ``0`` or other sums, as in Milner's guarded sums."""
    left: object
    right: object

    def __post_init__(self):
        for side in (self.left, self.right):
            if not isinstance(side, (Out, In, Nil, Sum)):
                raise ValueError(f"a branch of '+' must be a prefix (a<b>.P or a(x).P), 0 or another sum; got "
                                 f"{show(side) if isinstance(side, _TERMS) else repr(side)}: put a '|', '!' or "
                                 "'new' behind a prefix, as in a(x).(P | Q)")

    def __str__(self):
        return show(self)


def summands(p) -> tuple:
    """The branches of a sum, left to right (nested sums flattened); ``(p,)`` for any other term."""
    if isinstance(p, Sum):
        return summands(p.left) + summands(p.right)
    return (p,)


@dataclass(frozen=True)
class Par:
    """``left | right``."""
    left: object
    right: object

    def __str__(self):
        return show(self)


@dataclass(frozen=True)
class New:
    """``(new name) body``; ``name`` is bound in ``body``."""
    name: str
    body: object

    def __str__(self):
        return show(self)


@dataclass(frozen=True)
class Rep:
    """``!body``."""
    body: object

    def __str__(self):
        return show(self)


_TERMS = (Nil, Out, In, Sum, Par, New, Rep)


def _guarded(p) -> str:
    """``p`` where a prefix, ``!`` or ``new`` expects one: a parallel composition or a sum needs brackets."""
    return f"({show(p)})" if isinstance(p, (Par, Sum)) else show(p)


def show(p) -> str:
    """The term in the syntax :func:`parse` reads (``parse(show(p)) == p``).

    Examples
    --------
    >>> show(Par(Out("a", "b"), In("a", "x", Out("x", "c"))))
    'a<b>.0 | a(x).x<c>.0'
    >>> show(Sum(In("a", "x"), In("b", "y")))
    'a(x).0 + b(y).0'
    """
    if isinstance(p, Nil):
        return "0"
    if isinstance(p, Out):
        return f"{p.channel}<{p.message}>.{_guarded(p.then)}"
    if isinstance(p, In):
        return f"{p.channel}({p.variable}).{_guarded(p.then)}"
    if isinstance(p, Sum):
        return f"{show(p.left)} + {_guarded(p.right)}"
    if isinstance(p, Par):
        return f"{show(p.left)} | {f'({show(p.right)})' if isinstance(p.right, Par) else show(p.right)}"
    if isinstance(p, New):
        return f"(new {p.name}) {_guarded(p.body)}"
    if isinstance(p, Rep):
        return f"!{_guarded(p.body)}"
    raise TypeError(f"not a π-calculus term: {p!r}")


# -- parser --------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_']*)|(?P<zero>0)|(?P<sym>[<>().|!+]))")


def _tokens(text: str):
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            out.append(("end", "end of input", pos))
            return out
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"position {pos}: unexpected character {text[pos]!r}; expected a name, 0, or one of "
                             f"< > ( ) . | + !")
        kind = m.lastgroup
        value = m.group(kind)
        start = m.start(kind)
        if kind == "name" and value == "new":
            kind = "new"
        out.append((kind if kind != "sym" else value, value, start))
        pos = m.end()


class _Parser:
    def __init__(self, text):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def expect(self, kind, what):
        tok = self.peek()
        if tok[0] != kind:
            found = "end of input" if tok[0] == "end" else repr(tok[1])
            raise ValueError(f"position {tok[2]}: expected {what}, found {found}")
        self.i += 1
        return tok[1]

    def par(self):
        p = self.sum()
        while self.peek()[0] == "|":
            self.i += 1
            p = Par(p, self.sum())
        return p

    def sum(self):
        p = self.prefix()
        while self.peek()[0] == "+":
            pos = self.peek()[2]
            self.i += 1
            try:
                p = Sum(p, self.prefix())
            except ValueError as error:
                raise ValueError(f"position {pos}: {error}") from None
        return p

    def cont(self):
        if self.peek()[0] == ".":
            self.i += 1
            return self.prefix()
        return Nil()

    def prefix(self):
        kind, value, pos = self.peek()
        if kind == "zero":
            self.i += 1
            return Nil()
        if kind == "!":
            self.i += 1
            return Rep(self.prefix())
        if kind == "new":
            self.i += 1
            a = self.expect("name", "a channel name after 'new'")
            self.expect(".", "'.' after 'new " + a + "'")
            return New(a, self.prefix())
        if kind == "(":
            if self.peek(1)[0] == "new":
                self.i += 2
                a = self.expect("name", "a channel name after '(new'")
                self.expect(")", "')' to close '(new " + a + "'")
                return New(a, self.prefix())
            self.i += 1
            p = self.par()
            self.expect(")", "')', '|' or '+'")
            return p
        if kind == "name":
            self.i += 1
            nxt = self.peek()[0]
            if nxt == "<":
                self.i += 1
                b = self.expect("name", f"the name to send on {value!r}")
                self.expect(">", "'>'")
                return Out(value, b, self.cont())
            if nxt == "(":
                self.i += 1
                x = self.expect("name", f"a variable to receive into on {value!r}")
                self.expect(")", "')'")
                return In(value, x, self.cont())
            tok = self.peek()
            raise ValueError(f"position {tok[2]}: expected '<' (output) or '(' (input) after channel {value!r}, "
                             f"found {'end of input' if tok[0] == 'end' else repr(tok[1])}")
        found = "end of input" if kind == "end" else repr(value)
        raise ValueError(f"position {pos}: expected a process (0, a<b>, a(x), !, (new a), or '('), found {found}")


def parse(text: str):
    """Read a process term.

    Raises
    ------
    ValueError
        With the position (0-based character offset) and what was expected there.

    Examples
    --------
    >>> parse("a<b> | a(x).x<c>")
    Par(left=Out(channel='a', message='b', then=Nil()), right=In(channel='a', variable='x', then=Out(channel='x', message='c', then=Nil())))
    >>> show(parse("a(x).x<c> + b(y) | a<b>"))
    'a(x).x<c>.0 + b(y).0 | a<b>.0'
    >>> parse("a(x).")
    Traceback (most recent call last):
    ...
    ValueError: position 5: expected a process (0, a<b>, a(x), !, (new a), or '('), found end of input
    """
    if not isinstance(text, str):
        raise TypeError(f"parse needs a string, got {text!r}")
    ps = _Parser(text)
    p = ps.par()
    tok = ps.peek()
    if tok[0] != "end":
        raise ValueError(f"position {tok[2]}: expected '|', '+' or end of input, found {tok[1]!r}")
    return p


def _term(p):
    if isinstance(p, str):
        return parse(p)
    if not isinstance(p, _TERMS):
        raise TypeError(f"expected a π-calculus term or its text, got {p!r}")
    return p
