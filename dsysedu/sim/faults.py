"""Faults: what goes wrong, and when.

Each fault is a frozen dataclass with a time ``at`` (seconds). Faults that last
take an optional ``until``: ``Crash(2, at=1.5, until=4.0)`` crashes node 2 at
1.5 s and recovers it at 4 s. A :class:`Nemesis` turns fault *rates* into a
random schedule of such faults, from the run's ``"faults"`` stream.

The primitive actions the simulator applies are the ``kind`` strings of
:func:`expand`, named once here (:data:`FAULT_KINDS`): the kernel applies each
kind with one method, and the trace and the views read the same names.
"""
from __future__ import annotations

from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Hashable

from .validate import number

__all__ = ["Fault", "Crash", "Recover", "Partition", "Heal", "CutLink", "RestoreLink", "Slow",
           "Pause", "Resume", "ClockJump", "ClockDrift", "Nemesis", "expand", "validate_faults", "FAULT_KINDS",
           "CRASH", "RECOVER", "PAUSE", "RESUME", "SLOW", "CLOCK_JUMP", "CLOCK_DRIFT", "PARTITION", "HEAL", "CUT", "RESTORE"]

# The primitive fault actions: each is also the ``kind`` of the trace row that records it.
CRASH, RECOVER = "crash", "recover"
PAUSE, RESUME = "pause", "resume"
SLOW, CLOCK_JUMP, CLOCK_DRIFT = "slow", "clock_jump", "clock_drift"
PARTITION, HEAL = "partition", "heal"
CUT, RESTORE = "cut", "restore"
MAX_DRAWS = 200_000   # random faults one Nemesis schedule may draw (each becomes one or two events)
MIN_MEAN = 1e-6       # seconds: the shortest mean outage or partition a Nemesis may ask for
FAULT_KINDS = (CRASH, RECOVER, PAUSE, RESUME, SLOW, CLOCK_JUMP, CLOCK_DRIFT, PARTITION, HEAL, CUT, RESTORE)


class Fault:
    """Base class of scheduled faults."""

    def actions(self) -> list[tuple[float, str, tuple]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def nodes(self) -> tuple:
        return ()


def _times(name: str, at, until) -> tuple[float, float | None]:
    at = number(f"{name}.at", at, low=0.0)
    if until is not None:
        until = number(f"{name}.until", until, low=0.0)
        if until < at:
            raise ValueError(f"{name}.until must be >= {name}.at, got at={at!r}, until={until!r}")
    return at, until


@dataclass(frozen=True)
class Crash(Fault):
    """Node ``node`` stops at ``at`` (crash-stop); recovers at ``until`` if given."""
    node: Hashable
    at: float
    until: float | None = None

    def __post_init__(self):
        _times("Crash", self.at, self.until)

    def actions(self):
        acts = [(self.at, CRASH, (self.node,))]
        if self.until is not None:
            acts.append((self.until, RECOVER, (self.node,)))
        return acts

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class Recover(Fault):
    """A crashed node comes back with its durable fields."""
    node: Hashable
    at: float

    def __post_init__(self):
        _times("Recover", self.at, None)

    def actions(self):
        return [(self.at, RECOVER, (self.node,))]

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class Partition(Fault):
    """Split the nodes into ``groups``; only nodes in the same group can talk. Heals at ``until``."""
    groups: tuple
    at: float
    until: float | None = None

    def __post_init__(self):
        _times("Partition", self.at, self.until)
        if isinstance(self.groups, (str, bytes)) or not hasattr(self.groups, "__iter__"):
            raise TypeError(f"Partition.groups must be a list of node lists, got {self.groups!r}")
        groups = []
        for g in self.groups:
            if isinstance(g, (str, bytes)) or not hasattr(g, "__iter__"):
                raise TypeError(f"Partition.groups must be a list of node lists, got group {g!r}")
            groups.append(tuple(sorted(g, key=repr)))
        if len(groups) < 2:
            raise ValueError(f"Partition.groups needs at least 2 groups, got {len(groups)}: {self.groups!r}")
        if any(len(g) == 0 for g in groups):
            raise ValueError(f"Partition.groups must not contain an empty group: {self.groups!r}")
        seen = set()
        for g in groups:
            for n in g:
                if n in seen:
                    raise ValueError(f"Partition.groups: node {n!r} is in more than one group: {self.groups!r}")
                seen.add(n)
        object.__setattr__(self, "groups", tuple(groups))

    def actions(self):
        acts = [(self.at, PARTITION, (self.groups,))]
        if self.until is not None:
            acts.append((self.until, HEAL, ()))
        return acts

    def nodes(self):
        return tuple(n for g in self.groups for n in g)


@dataclass(frozen=True)
class Heal(Fault):
    """End any partition: every node can talk to every neighbour again."""
    at: float

    def __post_init__(self):
        _times("Heal", self.at, None)

    def actions(self):
        return [(self.at, HEAL, ())]


@dataclass(frozen=True)
class CutLink(Fault):
    """Cut the one-way link ``src -> dst`` (the other direction keeps working)."""
    src: Hashable
    dst: Hashable
    at: float
    until: float | None = None

    def __post_init__(self):
        _times("CutLink", self.at, self.until)
        if self.src == self.dst:
            raise ValueError(f"CutLink needs two different nodes, got src=dst={self.src!r}")

    def actions(self):
        acts = [(self.at, CUT, (self.src, self.dst))]
        if self.until is not None:
            acts.append((self.until, RESTORE, (self.src, self.dst)))
        return acts

    def nodes(self):
        return (self.src, self.dst)


@dataclass(frozen=True)
class RestoreLink(Fault):
    """Restore a cut link ``src -> dst``."""
    src: Hashable
    dst: Hashable
    at: float

    def __post_init__(self):
        _times("RestoreLink", self.at, None)

    def actions(self):
        return [(self.at, RESTORE, (self.src, self.dst))]

    def nodes(self):
        return (self.src, self.dst)


@dataclass(frozen=True)
class Slow(Fault):
    """Gray failure: each handler of ``node`` takes ``delay`` seconds; back to normal at ``until``."""
    node: Hashable
    at: float
    delay: float = 0.1
    until: float | None = None

    def __post_init__(self):
        _times("Slow", self.at, self.until)
        number("Slow.delay", self.delay, low=0.0)

    def actions(self):
        acts = [(self.at, SLOW, (self.node, float(self.delay)))]
        if self.until is not None:
            acts.append((self.until, SLOW, (self.node, 0.0)))
        return acts

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class Pause(Fault):
    """Freeze ``node`` (a long GC pause, a stopped VM): its messages and timers wait until ``until``."""
    node: Hashable
    at: float
    until: float | None = None

    def __post_init__(self):
        _times("Pause", self.at, self.until)

    def actions(self):
        acts = [(self.at, PAUSE, (self.node,))]
        if self.until is not None:
            acts.append((self.until, RESUME, (self.node,)))
        return acts

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class Resume(Fault):
    """Unfreeze a paused node; what waited is handled now, in order."""
    node: Hashable
    at: float

    def __post_init__(self):
        _times("Resume", self.at, None)

    def actions(self):
        return [(self.at, RESUME, (self.node,))]

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class ClockJump(Fault):
    """The physical clock of ``node`` jumps by ``delta`` seconds (NTP step, leap second...)."""
    node: Hashable
    at: float
    delta: float = 1.0

    def __post_init__(self):
        _times("ClockJump", self.at, None)
        number("ClockJump.delta", self.delta)

    def actions(self):
        return [(self.at, CLOCK_JUMP, (self.node, float(self.delta)))]

    def nodes(self):
        return (self.node,)


@dataclass(frozen=True)
class ClockDrift(Fault):
    """From ``at`` on, the physical clock of ``node`` runs at ``1 + drift`` times true speed.

    The clock does not jump: it reads at ``at`` what it read just before, then advances at the new
    rate (a crystal warming up, NTP slewing the clock, a VM moved to another host). With
    ``Scenario(timer_clock="local")`` the node's timers count the new rate too, pending ones
    included: the time a pending timer still has to run, on the node's clock, is unchanged, so its
    true due time moves (the trace's ``timer_set`` row keeps the due time it was set with).
    ``drift`` is in ``[-0.5, 0.5]``, as ``Scenario.clock_drift``.
    """
    node: Hashable
    at: float
    drift: float = 0.0

    def __post_init__(self):
        _times("ClockDrift", self.at, None)
        number("ClockDrift.drift", self.drift, low=-0.5, high=0.5)

    def actions(self):
        return [(self.at, CLOCK_DRIFT, (self.node, float(self.drift)))]

    def nodes(self):
        return (self.node,)


def validate_faults(faults, node_ids, graph=None) -> tuple:
    """Check a fault list against the scenario's nodes (and links, given the ``graph``); return it as a tuple.

    A :class:`CutLink` or :class:`RestoreLink` must name a link of the topology: cutting a pair
    that has no link would be accepted and do nothing.
    """
    if faults is None:
        return ()
    if isinstance(faults, Fault):
        faults = [faults]
    known = set(node_ids)
    out = []
    for i, f in enumerate(faults):
        if not isinstance(f, Fault):
            raise TypeError(f"faults[{i}] must be a Fault (Crash, Partition, ...), got {f!r}")
        for n in f.nodes():
            if n not in known:
                raise ValueError(f"faults[{i}] {f!r} names unknown node {n!r}; nodes are {sorted(known, key=repr)}")
        if graph is not None and isinstance(f, (CutLink, RestoreLink)) and not graph.has_edge(f.src, f.dst):
            raise ValueError(f"faults[{i}] {f!r}: there is no link between {f.src!r} and {f.dst!r} in the topology")
        if isinstance(f, Partition):
            covered = set(f.nodes())
            if covered != known:
                missing = sorted(known - covered, key=repr)
                raise ValueError(
                    f"faults[{i}] Partition must put every node in a group; missing {missing}")
        out.append(f)
    return tuple(out)


def expand(faults) -> list[tuple[float, int, str, tuple]]:
    """The primitive actions of a fault list, sorted by time (stable for equal times)."""
    acts = []
    for f in faults:
        for at, kind, args in f.actions():
            acts.append((at, len(acts), kind, args))
    acts.sort(key=lambda a: (a[0], a[1]))
    return acts


@dataclass(frozen=True)
class Nemesis:
    """Random faults from rates, in the manner of Jepsen's nemesis.

    Parameters
    ----------
    crash_rate : float
        Crashes per node per second (Poisson). Each crash lasts an exponential time
        with mean ``mean_downtime`` and ends in a recovery.
    partition_rate : float
        Partitions per second; each splits the nodes at random into two sides and heals
        after an exponential time with mean ``mean_partition``.
    pause_rate : float
        Pauses per node per second, each lasting ``mean_downtime`` on average.
    max_down : int or None
        At most this many nodes crashed or paused at once (default: a minority, (n-1)//2).
    clock_rate : float
        Clock faults per node per second, as Jepsen's clock nemesis: each is, with even odds, a
        :class:`ClockJump` of a delta drawn uniformly from ``[-max_jump, max_jump]`` or a
        :class:`ClockDrift` to a rate drawn uniformly from ``[-max_drift, max_drift]``. A node
        whose drift was changed runs at drift 0 again from ``stop`` (its jumps stay: a clock
        stepped by NTP is not stepped back).
    max_jump, max_drift : float
        Bounds of the clock faults (``max_drift`` at most 0.5, as ``Scenario.clock_drift``).
    start, stop : float
        Faults happen only in ``[start, stop)``; everything is recovered and healed by ``stop``,
        so that liveness can be checked after it.

    Examples
    --------
    >>> import random
    >>> faults = Nemesis(crash_rate=0.2, stop=5.0).schedule([0, 1, 2], random.Random(1))
    >>> all(f.at < 5.0 for f in faults)
    True
    """
    crash_rate: float = 0.0
    mean_downtime: float = 0.5
    partition_rate: float = 0.0
    mean_partition: float = 1.0
    pause_rate: float = 0.0
    max_down: int | None = None
    start: float = 0.0
    stop: float = 5.0
    clock_rate: float = 0.0
    max_jump: float = 0.5
    max_drift: float = 0.2

    def __post_init__(self):
        for f in ("crash_rate", "partition_rate", "pause_rate", "clock_rate", "max_jump"):
            number(f"Nemesis.{f}", getattr(self, f), low=0.0)
        number("Nemesis.max_drift", self.max_drift, low=0.0, high=0.5)
        for f in ("mean_downtime", "mean_partition"):
            # shorter outages than a microsecond are below the simulator's time resolution at a few
            # thousand seconds (float spacing) and would only multiply the draws
            number(f"Nemesis.{f}", getattr(self, f), low=MIN_MEAN)
        number("Nemesis.start", self.start, low=0.0)
        number("Nemesis.stop", self.stop, low=0.0)
        if self.stop < self.start:
            raise ValueError(f"Nemesis.stop must be >= Nemesis.start, got start={self.start}, stop={self.stop}")
        if self.max_down is not None and (isinstance(self.max_down, bool) or not isinstance(self.max_down, int)
                                          or self.max_down < 0):
            raise ValueError(f"Nemesis.max_down must be None or an int >= 0, got {self.max_down!r}")

    def expected_draws(self, n: int) -> float:
        """How many random outages and partitions a schedule for ``n`` nodes draws, on average."""
        return ((self.crash_rate + self.pause_rate + self.clock_rate) * n + self.partition_rate) \
            * (self.stop - self.start)

    def check_size(self, n: int) -> None:
        """Refuse rates that would draw more than ``MAX_DRAWS`` faults for ``n`` nodes (it would not finish)."""
        draws = self.expected_draws(n)
        if draws > MAX_DRAWS:
            raise ValueError(
                f"Nemesis rates too high: (crash_rate + pause_rate + clock_rate) * nodes + partition_rate, times "
                f"stop - start, is {draws:.3g} expected faults for {n} nodes; at most {MAX_DRAWS:,} "
                f"(lower the rates or the window)")

    def schedule(self, nodes, rnd) -> list[Fault]:
        """Draw a fault schedule for ``nodes`` from the random stream ``rnd``.

        One pass over the draws: the outages in force are a heap of end times, so a draw
        costs O(log outages), not a scan of every earlier outage.
        """
        nodes = list(nodes)
        n = len(nodes)
        self.check_size(n)
        max_down = (n - 1) // 2 if self.max_down is None else self.max_down
        faults: list[Fault] = []
        # node-level outages: crash or pause, never more than max_down at once
        busy: list[float] = []  # a heap of the end times of the outages in force
        down_until = {v: -1.0 for v in nodes}
        total = (self.crash_rate + self.pause_rate) * n
        t = self.start
        while total > 0:
            t += rnd.expovariate(total)
            if t >= self.stop:
                break
            node = nodes[rnd.randrange(n)]
            is_crash = rnd.random() * (self.crash_rate + self.pause_rate) < self.crash_rate
            length = rnd.expovariate(1.0 / self.mean_downtime)
            end = min(t + length, self.stop)
            while busy and busy[0] <= t:  # outages over by now (every earlier one started before t)
                heappop(busy)
            if down_until[node] > t or len(busy) >= max_down or end <= t:
                continue
            heappush(busy, end)
            down_until[node] = end
            faults.append(Crash(node, at=t, until=end) if is_crash else Pause(node, at=t, until=end))
        t = self.start
        while self.partition_rate > 0 and n >= 2:
            t += rnd.expovariate(self.partition_rate)
            if t >= self.stop:
                break
            length = rnd.expovariate(1.0 / self.mean_partition)
            end = min(t + length, self.stop)
            side = [v for v in nodes if rnd.random() < 0.5]
            if not side or len(side) == n:
                side = [nodes[rnd.randrange(n)]]
            chosen = set(side)
            other = [v for v in nodes if v not in chosen]
            faults.append(Partition((tuple(side), tuple(other)), at=t, until=end))
            t = end  # one partition at a time
        # clock faults last, so that schedules without them draw exactly as before
        t, total, drifted = self.start, self.clock_rate * n, set()
        while total > 0:
            t += rnd.expovariate(total)
            if t >= self.stop:
                break
            node = nodes[rnd.randrange(n)]
            if rnd.random() < 0.5:
                faults.append(ClockJump(node, at=t, delta=rnd.uniform(-self.max_jump, self.max_jump)))
            else:
                faults.append(ClockDrift(node, at=t, drift=rnd.uniform(-self.max_drift, self.max_drift)))
                drifted.add(node)
        faults += [ClockDrift(v, at=self.stop, drift=0.0) for v in nodes if v in drifted]
        faults.sort(key=lambda f: f.at)
        return faults
