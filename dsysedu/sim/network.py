"""Links: how long a message takes, and whether it arrives at all.

A link is directed (``src -> dst``) and lives outside both nodes, as SimPy's
latency example keeps propagation delay in a link object: nodes never know how
slow or lossy the network is, they only see what arrives.

:class:`LinkModel` and the latency distributions describe links; :class:`Network`
is the network of one run: built from a scenario's link models, it decides for each
message sent when it arrives or why it is lost (partition, cut link, loss), and
whether it is duplicated, with the run's ``"network"`` random stream.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Callable, Hashable

from .validate import number, probability

__all__ = ["Latency", "Constant", "Uniform", "Exponential", "LogNormal", "LinkModel", "as_latency", "Network"]


class Latency:
    """A latency distribution. Subclasses implement ``sample(rnd)`` and ``mean``.

    A latency whose delay depends on when the message is sent (a network that becomes
    synchronous after a global stabilization time, say) sets ``time_dependent = True`` and
    implements ``sample_at(rnd, now)``; the simulator then calls that with the send time.
    """

    time_dependent = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.time_dependent and "arrival" not in vars(cls):
            # a time-dependent subclass of Constant or Uniform draws through sample_at, not their shortcut
            cls.arrival = Latency.arrival

    def sample(self, rnd) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample_at(self, rnd, now: float) -> float:
        """The delay of a message sent at time ``now`` (the same as :meth:`sample` unless time-dependent)."""
        return self.sample(rnd)

    def arrival(self, rnd, now: float) -> float:
        """When a message sent at time ``now`` arrives: ``now`` plus a delay drawn from ``rnd``."""
        return now + (self.sample_at(rnd, now) if self.time_dependent else self.sample(rnd))


@dataclass(frozen=True)
class Constant(Latency):
    """Every message takes exactly ``delay`` seconds."""
    delay: float = 0.01

    def __post_init__(self):
        number("Constant.delay", self.delay, low=0.0)

    def sample(self, rnd) -> float:
        return self.delay

    def arrival(self, rnd, now: float) -> float:
        return now + self.delay

    @property
    def mean(self) -> float:
        return self.delay


@dataclass(frozen=True)
class Uniform(Latency):
    """Latency drawn uniformly from ``[low, high]`` seconds."""
    low: float = 0.005
    high: float = 0.015

    def __post_init__(self):
        number("Uniform.low", self.low, low=0.0)
        number("Uniform.high", self.high, low=0.0)
        if self.high < self.low:
            raise ValueError(f"Uniform.high must be >= Uniform.low, got low={self.low!r}, high={self.high!r}")

    def sample(self, rnd) -> float:
        return Uniform.arrival(self, rnd, 0.0)  # the draw is written once, below (not self.arrival: subclasses)

    def arrival(self, rnd, now: float) -> float:
        # ``(now + low) + span * u``, in this order: the rounding every recorded run was made with
        return now + self.low + (self.high - self.low) * rnd.random()

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Exponential(Latency):
    """``minimum`` plus an exponential tail with mean ``mean_extra`` seconds."""
    mean_extra: float = 0.01
    minimum: float = 0.0

    def __post_init__(self):
        number("Exponential.mean_extra", self.mean_extra, low=0.0, low_open=True)
        number("Exponential.minimum", self.minimum, low=0.0)

    def sample(self, rnd) -> float:
        return self.minimum - self.mean_extra * math.log(1.0 - rnd.random())

    @property
    def mean(self) -> float:
        return self.minimum + self.mean_extra


@dataclass(frozen=True)
class LogNormal(Latency):
    """Log-normal latency with the given ``median`` (seconds) and shape ``sigma``.

    Heavy right tail, the usual shape of measured network round trips.
    """
    median: float = 0.01
    sigma: float = 0.5

    def __post_init__(self):
        number("LogNormal.median", self.median, low=0.0, low_open=True)
        number("LogNormal.sigma", self.sigma, low=0.0)

    def sample(self, rnd) -> float:
        return self.median * math.exp(self.sigma * rnd.gauss(0.0, 1.0))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


def as_latency(value, field_name: str = "latency") -> Latency:
    """Accept a Latency or a plain number of seconds (a constant latency)."""
    if isinstance(value, Latency):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{field_name} must be a number of seconds or one of Constant, Uniform, Exponential, "
            f"LogNormal; got {value!r} ({type(value).__name__})")
    return Constant(number(field_name, value, low=0.0))


@dataclass(frozen=True)
class LinkModel:
    """What one directed link does to the messages it carries.

    Parameters
    ----------
    latency : float or Latency
        Seconds, or a distribution (``Constant``, ``Uniform``, ``Exponential``, ``LogNormal``).
    loss : float
        Probability in [0, 1] that a message is lost.
    duplicate : float
        Probability in [0, 1] that a message is delivered twice.
    reorder : bool
        When False (the default) the link is FIFO: messages arrive in the order they were
        sent. When True each message takes its own latency and may overtake others.

    Examples
    --------
    >>> LinkModel(latency=Uniform(0.01, 0.03), loss=0.1).loss
    0.1
    """
    latency: Latency | float = field(default_factory=lambda: Constant(0.01))
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: bool = False

    def __post_init__(self):
        object.__setattr__(self, "latency", as_latency(self.latency, "LinkModel.latency"))
        probability("LinkModel.loss", self.loss)
        probability("LinkModel.duplicate", self.duplicate)
        if not isinstance(self.reorder, bool):
            raise TypeError(f"LinkModel.reorder must be True or False, got {self.reorder!r}")


class _Link:
    """One directed link of a run: its model, read once, and the last arrival time (for FIFO)."""

    __slots__ = ("latency", "loss", "duplicate", "fifo", "last")

    def __init__(self, model: LinkModel):
        latency = model.latency
        # a distribution of our own draws valid delays; any other is checked at every draw
        self.latency = latency if type(latency) in _BUILT_IN else _Checked(latency)
        self.loss = model.loss
        self.duplicate = model.duplicate
        self.fifo = not model.reorder
        self.last = -math.inf


class _Checked:
    """A user-written latency, each of its draws checked: a NaN, negative or non-numeric delay
    would stop the clock, run time backwards or fail deep in the kernel."""

    __slots__ = ("inner",)

    def __init__(self, inner: Latency):
        self.inner = inner

    def _check(self, delay, how: str) -> float:
        if type(delay) is not float:
            if isinstance(delay, bool) or not isinstance(delay, Real):
                raise TypeError(f"{type(self.inner).__name__}.{how} must return a number of seconds, "
                                f"got {delay!r} ({type(delay).__name__})")
            delay = float(delay)
        if not 0.0 <= delay < math.inf:
            raise ValueError(f"{type(self.inner).__name__}.{how} must return a finite delay >= 0 seconds, "
                             f"got {delay!r}")
        return delay

    def arrival(self, rnd, now: float) -> float:
        inner = self.inner
        if inner.time_dependent:
            return now + self._check(inner.sample_at(rnd, now), "sample_at")
        if type(inner).arrival is not Latency.arrival:  # a subclass of ours with its own shortcut
            at = inner.arrival(rnd, now)
            if type(at) is not float and (isinstance(at, bool) or not isinstance(at, Real)):
                self._check(at, "arrival")  # raises: not a number
            if not now <= at < math.inf:
                raise ValueError(f"{type(inner).__name__}.arrival must return a finite time >= the send time "
                                 f"{now!r}, got {at!r}")
            return float(at)
        return now + self._check(inner.sample(rnd), "sample")

    def sample_at(self, rnd, now: float) -> float:
        inner = self.inner
        if inner.time_dependent:
            return self._check(inner.sample_at(rnd, now), "sample_at")
        return self._check(inner.sample(rnd), "sample")


_SELF_LINK = LinkModel(latency=Constant(0.0))  # a node's messages to itself: instant, lossless, FIFO


_BUILT_IN = frozenset({Constant, Uniform, Exponential, LogNormal})


class Network:
    """The network of one run: when each message arrives, or why it is lost.

    Parameters
    ----------
    link_of : callable
        ``link_of(src, dst)`` gives the :class:`LinkModel` of the directed link (a scenario's
        :meth:`~dsysedu.sim.Scenario.link_of`). A node's link to itself is instant and lossless.
    rnd : random.Random
        The run's ``"network"`` stream: loss, latency and duplication draw from it, in that order.
    nodes : iterable, optional
        The node ids, to set up the per-sender link tables up front.

    Attributes
    ----------
    blocked : bool
        True while a partition or a cut link is in force (the fast path skips the checks otherwise).

    Notes
    -----
    A FIFO link (``reorder=False``) never lets a message overtake an earlier one: its arrival
    is at least the last arrival on the same link. A partition or cut link loses messages
    when they are sent and, for the kernel to check with :meth:`block_reason`, when they arrive.

    Examples
    --------
    >>> import random
    >>> net = Network(lambda src, dst: LinkModel(latency=0.5, loss=0.0), random.Random(1))
    >>> net.transmit(0, 1, now=1.0)
    1.5
    >>> net.partition(((0,), (1,)))
    >>> net.transmit(0, 1, now=2.0)
    'partition'
    """

    def __init__(self, link_of: Callable[[Hashable, Hashable], LinkModel], rnd, nodes=()):
        self._link_of = link_of
        self.rnd = rnd
        self._out: dict = {n: {} for n in nodes}   # src -> {dst: _Link}, made on first use
        self._side: dict | None = None             # node -> index of its partition group
        self.cut_links: set = set()
        self.blocked = False

    def link(self, src, dst) -> _Link:
        """The state of the directed link ``src -> dst`` (made on first use)."""
        out = self._out.get(src)
        if out is None:
            out = self._out[src] = {}
        link = out.get(dst)
        if link is None:
            link = out[dst] = _Link(_SELF_LINK if src == dst else self._link_of(src, dst))
        return link

    def transmit(self, src, dst, now: float):
        """Send one message ``src -> dst`` at time ``now``: where it goes, decided.

        Returns
        -------
        float, tuple or str
            The arrival time; a pair of arrival times when the link duplicates the message
            (the copy's second); or why it is lost: ``"cut"``, ``"partition"`` or ``"loss"``.
        """
        try:
            link = self._out[src][dst]
        except KeyError:
            link = self.link(src, dst)
        if self.blocked:
            reason = self.block_reason(src, dst)
            if reason:
                return reason
        rnd = self.rnd
        if link.loss and rnd.random() < link.loss:
            return "loss"
        arrival = link.latency.arrival(rnd, now)
        if link.fifo:
            if arrival < link.last:
                arrival = link.last
            link.last = arrival
        if link.duplicate and rnd.random() < link.duplicate:
            again = now + link.latency.sample_at(rnd, now)
            if link.fifo:
                if again < link.last:
                    again = link.last
                link.last = again
            return arrival, again
        return arrival

    def block_reason(self, src, dst) -> str | None:
        """``"cut"`` or ``"partition"`` if ``src -> dst`` cannot carry messages now, else None."""
        if (src, dst) in self.cut_links:
            return "cut"
        side = self._side
        if side is not None and src != dst and side[src] != side[dst]:
            return "partition"
        return None

    # -- link faults ------------------------------------------------------------
    def partition(self, groups) -> None:
        """Only nodes in the same group can talk from now on (replaces any partition)."""
        self._side = {n: i for i, g in enumerate(groups) for n in g}
        self.blocked = True

    def heal(self) -> bool:
        """End the partition; False if there was none."""
        if self._side is None:
            return False
        self._side = None
        self.blocked = bool(self.cut_links)
        return True

    def cut(self, src, dst) -> None:
        """Cut the one-way link ``src -> dst``."""
        self.cut_links.add((src, dst))
        self.blocked = True

    def restore(self, src, dst) -> bool:
        """Restore the cut link ``src -> dst``; False if it was not cut."""
        if (src, dst) not in self.cut_links:
            return False
        self.cut_links.discard((src, dst))
        self.blocked = bool(self.cut_links) or self._side is not None
        return True
