"""Availability arithmetic (可用性计算) of series, parallel and k-of-n systems, checked by simulation.

A component alternates between up (exponential, mean ``mtbf``) and down (exponential, mean
``mttr``); in the long run it is up a share ``a = mtbf / (mtbf + mttr)`` of the time. Systems are
built from components as reliability block diagrams:

==================  =============================  =========================================
block               up while                       availability (independent parts)
==================  =============================  =========================================
:class:`Series`     every part is up               :math:`\\prod_i a_i`
:class:`Parallel`   at least one part is up        :math:`1 - \\prod_i (1 - a_i)`
:class:`KOfN`       at least ``k`` parts are up    the Poisson-binomial tail (binomial if equal)
==================  =============================  =========================================

:func:`availability` is the formula; :func:`simulate` draws every component's up and down
times from a seed (each replication starts in the stationary state: up with probability ``a``,
memoryless residual times), evaluates the block diagram on the merged timeline and returns the
mean share of time up with a Student-t confidence interval over independent replications.
The formulas assume independent failures; a shared rack or a bad deploy breaks them (and the
simulation, which draws components independently, would agree with the formula all the same).

References
----------
.. [1] M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed., Wiley 2004, ch. 4
   (reliability block diagrams) and ch. 13 (availability of repairable systems).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int

__all__ = ["Component", "Series", "Parallel", "KOfN", "availability", "components", "simulate", "SimulatedAvailability",
           "nines", "downtime_minutes_per_year", "component_from_nines", "EXAMPLES", "formula_vs_simulation"]

MINUTES_PER_YEAR = 365.25 * 24 * 60


@dataclass(frozen=True)
class Component:
    """One repairable part: mean time between failures and mean time to repair (any one time unit)."""
    name: str
    mtbf: float
    mttr: float

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Component.name must be a non-empty str, got {self.name!r}")
        number("Component.mtbf", self.mtbf, low=0.0, low_open=True)
        number("Component.mttr", self.mttr, low=0.0, low_open=True)

    @property
    def availability(self) -> float:
        return self.mtbf / (self.mtbf + self.mttr)


def _parts(kind: str, parts) -> tuple:
    parts = tuple(parts)
    if not parts:
        raise ValueError(f"{kind} needs at least one part")
    for p in parts:
        if not isinstance(p, (Component, Series, Parallel, KOfN)):
            raise TypeError(f"{kind} parts must be Component, Series, Parallel or KOfN, got {p!r}")
    return parts


@dataclass(frozen=True)
class Series:
    """Up while every part is up (a chain of dependencies: load balancer, service, database)."""
    parts: tuple

    def __post_init__(self):
        object.__setattr__(self, "parts", _parts("Series", self.parts))


@dataclass(frozen=True)
class Parallel:
    """Up while at least one part is up (redundant replicas, any one of which can serve)."""
    parts: tuple

    def __post_init__(self):
        object.__setattr__(self, "parts", _parts("Parallel", self.parts))


@dataclass(frozen=True)
class KOfN:
    """Up while at least ``k`` of the parts are up (a quorum of ``k`` out of ``len(parts)`` replicas)."""
    k: int
    parts: tuple

    def __post_init__(self):
        object.__setattr__(self, "parts", _parts("KOfN", self.parts))
        positive_int("KOfN.k", self.k, high=len(self.parts))


def _tail(probabilities, k: int) -> float:
    """P(at least k of independent events with these probabilities happen): dynamic programming."""
    dist = np.zeros(len(probabilities) + 1)
    dist[0] = 1.0
    for p in probabilities:
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(dist[k:].sum())


def availability(system) -> float:
    """The long-run share of time ``system`` is up, with independent components.

    Examples
    --------
    >>> web = Component("web", mtbf=99.0, mttr=1.0)
    >>> round(availability(Series([web, Component("db", 999.0, 1.0)])), 5)
    0.98901
    >>> round(availability(Parallel([web, Component("web2", 99.0, 1.0)])), 6)
    0.9999
    >>> round(availability(KOfN(2, [Component(f"r{i}", 9.0, 1.0) for i in range(3)])), 3)
    0.972
    """
    if isinstance(system, Component):
        return system.availability
    if isinstance(system, Series):
        return math.prod(availability(p) for p in system.parts)
    if isinstance(system, Parallel):
        return 1 - math.prod(1 - availability(p) for p in system.parts)
    if isinstance(system, KOfN):
        return _tail([availability(p) for p in system.parts], system.k)
    raise TypeError(f"system must be a Component, Series, Parallel or KOfN, got {system!r}")


def components(system) -> list:
    """The components of ``system``, in the order they appear; each name must appear once.

    Raises ValueError when a name repeats (a component shared by two branches is a correlated
    failure, which these formulas do not describe).
    """
    out = []

    def walk(s):
        if isinstance(s, Component):
            out.append(s)
        elif isinstance(s, (Series, Parallel, KOfN)):
            for p in s.parts:
                walk(p)
        else:
            raise TypeError(f"system must be a Component, Series, Parallel or KOfN, got {s!r}")

    walk(system)
    names = [c.name for c in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"component names must be unique (a shared part fails both branches at once), "
                         f"repeated: {repeated}")
    return out


def _up(system, state: dict) -> np.ndarray:
    """Boolean array: is ``system`` up in each segment, given each component's state array."""
    if isinstance(system, Component):
        return state[system.name]
    ups = [_up(p, state) for p in system.parts]
    if isinstance(system, Series):
        return np.logical_and.reduce(ups)
    if isinstance(system, Parallel):
        return np.logical_or.reduce(ups)
    return np.sum(ups, axis=0) >= system.k


def _timeline(c: Component, horizon: float, rng) -> np.ndarray:
    """Times at which ``c`` changes state in ``[0, horizon)``, and whether it starts up."""
    up = rng.random() < c.availability
    changes, t, now_up = [], 0.0, up
    # draw in batches: about horizon / (mtbf + mttr) cycles, twice as many to be safe
    while True:
        n = max(16, int(2 * horizon / (c.mtbf + c.mttr)) + 16)
        means = np.where(np.arange(n) % 2 == 0, c.mtbf if now_up else c.mttr, c.mttr if now_up else c.mtbf)
        steps = np.cumsum(rng.exponential(means)) + t
        inside = steps[steps < horizon]
        changes.append(inside)
        if len(inside) < n:
            break
        t = float(steps[-1])
        now_up = now_up if n % 2 == 0 else not now_up
    return up, np.concatenate(changes)


def _one_replication(system, parts, horizon: float, rng) -> float:
    starts, times = {}, []
    for c in parts:
        up, ch = _timeline(c, horizon, rng)
        starts[c.name] = (up, ch)
        times.append(ch)
    edges = np.unique(np.concatenate([[0.0], *times, [horizon]]))
    mids = (edges[:-1] + edges[1:]) / 2
    state = {}
    for name, (up, ch) in starts.items():
        flips = np.searchsorted(ch, mids)            # how many changes happened before each segment
        state[name] = (flips % 2 == 0) == up
    return float(np.sum(np.diff(edges)[_up(system, state)]) / horizon)


@dataclass(frozen=True)
class SimulatedAvailability:
    """The result of :func:`simulate`: mean share of time up, its confidence interval, the runs."""
    mean: float
    low: float
    high: float
    confidence: float
    replications: tuple

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies inside the confidence interval."""
        return self.low <= value <= self.high


def simulate(system, horizon: float = 10_000.0, replications: int = 30, confidence: float = 0.95,
             seed=None) -> SimulatedAvailability:
    """Simulate ``system``'s up and down times and measure the share of time it is up.

    Parameters
    ----------
    system : Component, Series, Parallel or KOfN
    horizon : float
        Length of each replication, in the components' time unit (> 0).
    replications : int
        Independent replications (>= 2); the interval is Student's t over their means.
    confidence : float
        Of the interval, in (0, 1).
    seed : None, int or numpy.random.Generator

    Examples
    --------
    >>> pair = Parallel([Component("a", 9.0, 1.0), Component("b", 9.0, 1.0)])
    >>> sim = simulate(pair, horizon=2000.0, replications=20, seed=1)
    >>> sim.covers(availability(pair))
    True
    """
    horizon = number("horizon", horizon, low=0.0, low_open=True)
    positive_int("replications", replications, low=2, high=100_000)
    confidence = number("confidence", confidence, low=0.0, high=1.0, low_open=True)
    if confidence >= 1.0:
        raise ValueError(f"confidence must be below 1, got {confidence!r}")
    parts = components(system)
    rng = np.random.default_rng(seed if isinstance(seed, np.random.Generator) else normalize_seed(seed))
    values = np.array([_one_replication(system, parts, horizon, rng) for _ in range(replications)])
    mean = float(values.mean())
    half = float(stats.t.ppf((1 + confidence) / 2, replications - 1) * values.std(ddof=1) / math.sqrt(replications))
    return SimulatedAvailability(mean, mean - half, mean + half, confidence, tuple(float(v) for v in values))


def nines(a: float) -> float:
    """The number of nines of availability ``a``: ``-log10(1 - a)`` (0.999 -> 3); inf for 1.

    >>> round(nines(0.999), 6)
    3.0
    """
    a = number("a", a, low=0.0, high=1.0)
    return math.inf if a == 1.0 else -math.log10(1 - a)


def downtime_minutes_per_year(a: float) -> float:
    """Expected minutes down per year at availability ``a`` (three nines: about 526).

    >>> round(downtime_minutes_per_year(0.999))
    526
    """
    return (1 - number("a", a, low=0.0, high=1.0)) * MINUTES_PER_YEAR


def component_from_nines(name: str, n: float, mttr: float = 1.0) -> Component:
    """A component with ``n`` nines of availability and the given repair time (mtbf follows).

    >>> round(component_from_nines("r", 2.0, mttr=1.0).mtbf, 6)
    99.0
    """
    n = number("nines", n, low=0.0, low_open=True, high=9.0)
    a = 1 - 10 ** -n
    return Component(name, mtbf=mttr * a / (1 - a), mttr=mttr)


def _web_shop():
    lb = Component("load balancer", mtbf=999.0, mttr=1.0)
    web = Parallel([Component("web1", 99.0, 1.0), Component("web2", 99.0, 1.0)])
    db = KOfN(2, [Component(f"db{i}", 49.0, 1.0) for i in range(3)])
    return Series([lb, web, db])


#: block diagrams of the lesson (times in hours): name -> system
EXAMPLES = {
    "3 in series (99.9 %, 98 %, 99 %)": Series([Component("lb", 999.0, 1.0), Component("app", 49.0, 1.0),
                                                 Component("db", 198.0, 2.0)]),
    "2 in parallel (90 % each)": Parallel([Component("a", 9.0, 1.0), Component("b", 9.0, 1.0)]),
    "2 of 3 (90 % each)": KOfN(2, [Component(f"r{i}", 9.0, 1.0) for i in range(3)]),
    "3 of 5 (90 % each)": KOfN(3, [Component(f"r{i}", 9.0, 1.0) for i in range(5)]),
    "web shop: lb, 2 web, 2-of-3 db": _web_shop(),
}


def formula_vs_simulation(systems=None, horizon: float = 10_000.0, replications: int = 30, seed=None):
    """One row per system: ``formula``, simulated ``mean``, ``low``, ``high`` (95 %) and ``covered``.

    Examples
    --------
    >>> bool(formula_vs_simulation({"pair": EXAMPLES["2 in parallel (90 % each)"]}, 2000.0, 10, seed=1).covered.all())
    True
    """
    import pandas as pd
    systems = EXAMPLES if systems is None else systems
    rng = np.random.default_rng(seed if isinstance(seed, np.random.Generator) else normalize_seed(seed))
    rows = []
    for name, system in systems.items():
        sim = simulate(system, horizon, replications, seed=rng)
        a = availability(system)
        rows.append({"system": name, "formula": a, "simulated": sim.mean, "low": sim.low, "high": sim.high,
                     "covered": sim.covers(a), "nines": nines(a)})
    return pd.DataFrame(rows).set_index("system")
