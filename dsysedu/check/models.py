"""Sequential models: what a single, correct copy of an object would answer.

A consistency checker asks one question over and over: "if the operations took effect in
*this* order, one at a time, would every client have been told what it was told?" A model
answers it one operation at a time. It is the *sequential specification* of Herlihy and
Wing [1]_: a start state and a step function.

A model is any object with

* ``init()`` -> a hashable start state;
* ``step(state, op)`` -> ``(ok, new_state)``: may ``op`` (an :class:`~dsysedu.check.history.Operation`)
  take effect in ``state`` with the result it reported, and what is the state afterwards.
  For an operation whose outcome is unknown (``op.pending``) the result is unknown too, so
  ``step`` must accept it whenever it *could* take effect;
* ``kinds``: the operation kinds it understands;

and optionally ``readonly`` (kinds that never change the state: a pending one can be dropped)
and ``partition(history)`` -> a list of ``(key, sub_history)`` that may be checked apart.
Subclass :class:`SequentialModel` to get the defaults. States must be hashable and compare by value
(ints, strings, tuples, frozensets): the checker remembers the (linearized set, state) pairs
it has seen.

Examples
--------
>>> from dsysedu.check.history import Operation
>>> reg = Register()
>>> reg.step(reg.init(), Operation(0, "a", "write", None, 3))
(True, 3)
>>> reg.step(3, Operation(1, "b", "read", None, None, 0, 1, result=4))
(False, 3)

References
----------
.. [1] M. P. Herlihy and J. M. Wing, "Linearizability: a correctness condition for concurrent
   objects", ACM TOPLAS 12(3), 1990.
"""
from __future__ import annotations

from numbers import Number

__all__ = ["SequentialModel", "Register", "CasRegister", "KeyValue", "KeyValueAppend", "KeyValueCas", "Counter", "Queue", "MODELS",
           "resolve_model", "op_label"]


class SequentialModel:
    """Base class of sequential models (see the module docstring for the protocol)."""

    name = "model"
    kinds: tuple = ()
    readonly: tuple = ()

    def init(self):
        raise NotImplementedError

    def step(self, state, op):
        raise NotImplementedError

    def partition(self, history) -> list:
        """Independent parts of ``history``: one part, the whole history, unless overridden."""
        return [(None, history)]

    def compile(self, op):
        """``state -> (ok, new state)`` for one operation: ``step`` with ``op`` bound.

        The checker calls this once per operation and the result once per search step;
        a model may return a faster closure, as long as it answers exactly as ``step`` does.
        """
        step = self.step
        return lambda state: step(state, op)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Register(SequentialModel):
    """A read/write register holding one value (``initial`` before any write).

    A read is right when it returns the current value; a write sets it.
    Keys are ignored: use :class:`KeyValue` for many registers.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> Register(initial=0).step(0, Operation(0, "a", "read", complete=1, result=0))
    (True, 0)
    """

    name = "register"
    kinds = ("read", "write")
    readonly = ("read",)

    def __init__(self, initial=None):
        self.initial = initial

    def init(self):
        return self.initial

    def step(self, state, op):
        if op.kind == "write":
            return True, op.value
        if op.kind == "read":
            return (op.pending or op.result == state), state
        raise ValueError(f"{self.name} model: unknown operation kind {op.kind!r} (allowed: {self.kinds})")

    def compile(self, op):
        if type(self).step is not Register.step and type(self).compile is Register.compile:
            return super().compile(op)               # a subclass changed step: follow it
        if op.kind == "write":
            value = op.value
            return lambda state: (True, value)
        if op.kind == "read":
            if op.pending:
                return lambda state: (True, state)
            result = op.result
            return lambda state: (result == state, state)
        return super().compile(op)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(initial={self.initial!r})"


class CasRegister(Register):
    """A register with compare-and-set: ``cas`` with ``value=(expected, new)``.

    The cas sets ``new`` and returns True when the register holds ``expected``; otherwise it
    changes nothing and returns False.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> CasRegister(initial=1).step(1, Operation(0, "a", "cas", None, (1, 2), 0, 1, True))
    (True, 2)
    """

    name = "cas-register"
    kinds = ("read", "write", "cas")

    def step(self, state, op):
        if op.kind != "cas":
            return super().step(state, op)
        try:
            expected, new = op.value
        except (TypeError, ValueError):
            raise TypeError(f"operation {op.id}: a cas takes value=(expected, new), got {op.value!r}") from None
        hit = state == expected
        if op.pending:
            return True, (new if hit else state)
        return bool(op.result) == hit, (new if hit else state)


class KeyValue(Register):
    """A map of independent registers, one per key, each starting at ``initial``.

    With ``partitioned=True`` (the default) :meth:`partition` splits a history per key, and the
    checker checks each key alone: linearizability is *local* (Herlihy and Wing 1990, Theorem 1),
    so the whole history is linearizable exactly when every key's sub-history is. The state is
    then one key's value. With ``partitioned=False`` the state is the whole map (a frozenset of
    ``(key, value)`` pairs): slower, and kept so tests can confirm that both ways agree.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> kv = KeyValue(partitioned=False)
    >>> ok, s = kv.step(kv.init(), Operation(0, "a", "write", "x", 1))
    >>> kv.step(s, Operation(1, "a", "read", "y", None, 0, 1))
    (True, frozenset({('x', 1)}))
    """

    name = "kv"

    def __init__(self, initial=None, partitioned: bool = True):
        super().__init__(initial)
        self.partitioned = bool(partitioned)

    def init(self):
        return self.initial if self.partitioned else frozenset()

    def partition(self, history) -> list:
        if not self.partitioned:
            return [(None, history)]
        return list(history.by_key().items())

    def compile(self, op):
        if self.partitioned and type(self).step in (KeyValue.step, KeyValueAppend.step):
            return Register.compile(self, op) if op.kind in Register.kinds else super().compile(op)
        return SequentialModel.compile(self, op)

    def step(self, state, op):
        if self.partitioned:
            return super().step(state, op)
        current = dict(state)
        ok, value = super().step(current.get(op.key, self.initial), op)
        if op.kind == "write":
            current[op.key] = value
            return ok, frozenset(current.items())
        return ok, state

    def __repr__(self) -> str:
        return f"KeyValue(initial={self.initial!r}, partitioned={self.partitioned})"


class KeyValueAppend(KeyValue):
    """A map of strings with ``read`` (get), ``write`` (put) and ``append``, the workload of Jepsen and Porcupine.

    Every key starts as ``initial`` (the empty string). ``append`` adds its value (a string) to
    the end of the key's string and returns nothing; a read returns the whole string, so it shows
    which appends took effect and in which order. A lost append or a stale read therefore shows
    up in a read. The history is split per key, as :class:`KeyValue` does.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> kv = KeyValueAppend()
    >>> ok, s = kv.step(kv.init(), Operation(0, "a", "append", "x", "1"))
    >>> kv.step(s, Operation(1, "b", "read", "x", None, 0, 1, result="1"))
    (True, '1')
    """

    name = "kv-append"
    kinds = ("read", "write", "append")

    def compile(self, op):
        if op.kind == "append" and self.partitioned and type(self).step is KeyValueAppend.step:
            if not isinstance(op.value, str):
                raise TypeError(f"operation {op.id}: an append takes a string value, got {op.value!r}")
            value = op.value
            return lambda state: (True, state + value)
        return super().compile(op)

    def __init__(self, initial: str = "", partitioned: bool = True):
        if not isinstance(initial, str):
            raise TypeError(f"a kv-append key starts as a string, got initial={initial!r}")
        super().__init__(initial, partitioned)

    def step(self, state, op):
        if op.kind != "append":
            return super().step(state, op)
        if not isinstance(op.value, str):
            raise TypeError(f"operation {op.id}: an append takes a string value, got {op.value!r}")
        if self.partitioned:
            return True, state + op.value
        current = dict(state)
        current[op.key] = current.get(op.key, self.initial) + op.value
        return True, frozenset(current.items())


class KeyValueCas(KeyValue, CasRegister):
    """A map of compare-and-set registers: ``read``, ``write`` and ``cas`` per key (Jepsen's etcd workload).

    Each key behaves as a :class:`CasRegister` starting at ``initial``; the history is split per
    key (linearizability is local), so each key is checked alone.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> kv = KeyValueCas()
    >>> ok, s = kv.step(kv.init(), Operation(0, "a", "write", "x", 1))
    >>> kv.step(s, Operation(1, "b", "cas", "x", (1, 2), 0, 1, result=True))
    (True, 2)
    """

    name = "kv-cas"
    kinds = ("read", "write", "cas")

    def __init__(self, initial=None):
        super().__init__(initial, partitioned=True)

    def step(self, state, op):
        if op.kind == "cas":
            return CasRegister.step(self, state, op)   # a KeyValueCas is a Register: CasRegister's cas rule
        return Register.step(self, state, op)

    def compile(self, op):
        return SequentialModel.compile(self, op)

    def __repr__(self) -> str:
        return f"KeyValueCas(initial={self.initial!r})"


class Counter(SequentialModel):
    """A counter: ``add`` (value: the increment) and ``read`` (result: the total).

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> Counter().step(0, Operation(0, "a", "add", None, 2))
    (True, 2)
    """

    name = "counter"
    kinds = ("add", "read")
    readonly = ("read",)

    def __init__(self, initial=0):
        self.initial = initial

    def init(self):
        return self.initial

    def step(self, state, op):
        if op.kind == "add":
            if not isinstance(op.value, Number) or isinstance(op.value, bool):
                raise TypeError(f"operation {op.id}: add takes a number, got {op.value!r}")
            return True, state + op.value
        if op.kind == "read":
            return (op.pending or op.result == state), state
        raise ValueError(f"{self.name} model: unknown operation kind {op.kind!r} (allowed: {self.kinds})")


class Queue(SequentialModel):
    """A FIFO queue: ``enqueue`` (value) and ``dequeue`` (result: the head, None when empty).

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> q = Queue()
    >>> ok, s = q.step(q.init(), Operation(0, "a", "enqueue", None, "m"))
    >>> q.step(s, Operation(1, "b", "dequeue", complete=1, result="m"))
    (True, ())
    """

    name = "queue"
    kinds = ("enqueue", "dequeue")

    def init(self):
        return ()

    def step(self, state, op):
        if op.kind == "enqueue":
            return True, state + (op.value,)
        if op.kind == "dequeue":
            if op.pending:
                return True, state[1:]
            if state:
                return op.result == state[0], state[1:]
            return op.result is None, state
        raise ValueError(f"{self.name} model: unknown operation kind {op.kind!r} (allowed: {self.kinds})")


MODELS = {"register": Register, "kv": KeyValue, "kv-append": KeyValueAppend, "counter": Counter, "queue": Queue,
          "cas-register": CasRegister, "kv-cas": KeyValueCas}


def resolve_model(model) -> SequentialModel:
    """A model instance from a name in :data:`MODELS` or an object that has ``init`` and ``step``.

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        For anything that is neither a name nor a model.

    Examples
    --------
    >>> resolve_model("kv")
    KeyValue(initial=None, partitioned=True)
    """
    if isinstance(model, str):
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; use one of {sorted(MODELS)} or a SequentialModel instance")
        return MODELS[model]()
    if isinstance(model, type):
        raise TypeError(f"pass a model instance ({model.__name__}()), not the class")
    if not (callable(getattr(model, "init", None)) and callable(getattr(model, "step", None))):
        raise TypeError(f"a model is a name in {sorted(MODELS)} or an object with init() and step(state, op); "
                        f"got {model!r}")
    return model


def op_label(op) -> str:
    """A short label: ``w(x)=1``, ``r(x)→1``, ``add 2``, ``enq 5``, ``cas(x) 1→2``; ``?`` for an unknown result.

    Examples
    --------
    >>> from dsysedu.check.history import Operation
    >>> op_label(Operation(0, "a", "read", "x", None, 0, 1, result=1))
    'r(x)→1'
    """
    key = "" if op.key is None else f"({op.key})"
    result = "?" if op.status == "info" else ("✗" if op.status == "fail" else repr(op.result))
    value = repr(op.value)
    if op.kind == "write":
        return f"w{key}={value}"
    if op.kind == "read":
        return f"r{key}→{result}"
    if op.kind == "cas" and isinstance(op.value, tuple) and len(op.value) == 2:
        return f"cas{key} {op.value[0]!r}→{op.value[1]!r}: {result}"
    if op.kind == "enqueue":
        return f"enq{key} {value}"
    if op.kind == "dequeue":
        return f"deq{key}→{result}"
    if op.kind == "add":
        return f"add{key} {value}"
    if op.kind == "append":
        return f"app{key} {value}"
    return f"{op.kind}{key} {value}→{result}"
