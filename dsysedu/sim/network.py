"""Links: how long a message takes, and whether it arrives at all.

A link is directed (``src -> dst``) and lives outside both nodes, as SimPy's
latency example keeps propagation delay in a link object: nodes never know how
slow or lossy the network is, they only see what arrives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .validate import number, probability

__all__ = ["Latency", "Constant", "Uniform", "Exponential", "LogNormal", "LinkModel", "as_latency"]


class Latency:
    """A latency distribution. Subclasses implement ``sample(rnd)`` and ``mean``.

    A latency whose delay depends on when the message is sent (a network that becomes
    synchronous after a global stabilization time, say) sets ``time_dependent = True`` and
    implements ``sample_at(rnd, now)``; the simulator then calls that with the send time.
    """

    time_dependent = False

    def sample(self, rnd) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample_at(self, rnd, now: float) -> float:
        """The delay of a message sent at time ``now`` (the same as :meth:`sample` unless time-dependent)."""
        return self.sample(rnd)


@dataclass(frozen=True)
class Constant(Latency):
    """Every message takes exactly ``delay`` seconds."""
    delay: float = 0.01

    def __post_init__(self):
        number("Constant.delay", self.delay, low=0.0)

    def sample(self, rnd) -> float:
        return self.delay

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
        return self.low + (self.high - self.low) * rnd.random()

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
