"""Infrastructure as code (基础设施即代码): a declared desired state, a plan, apply, drift and repair.

Terraform and Pulumi keep the infrastructure's *desired* state in files under version control and
compute, each time, the changes that take the *actual* state there. This module does the same
for a simulated :class:`~dsysedu.ops.cluster.Cluster`:

* :class:`DesiredState`: services (version, replicas) and links, read from a TOML or JSON file
  (:func:`load_desired`, :func:`write_desired`) and validated;
* :func:`plan`: the list of :class:`Change` s from the cluster to the desired state, printed like
  ``terraform plan`` (``+`` create, ``~`` update in place, ``-`` destroy);
* :func:`apply`: makes the changes; applying the same desired state again plans nothing and changes
  nothing (idempotence, 幂等性: a property test checks it on random states);
* :func:`drift`: the plan against a cluster someone edited by hand (out of band); :func:`apply`
  is the repair.

The reconciliation is a pure function of the two states: no change depends on the order in which
instances were created, so the plan is the same whoever computes it.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .cluster import Cluster, instance_id

__all__ = ["ServiceSpec", "DesiredState", "Change", "Plan", "load_desired", "write_desired", "plan", "apply",
           "drift", "MAX_REPLICAS", "EXAMPLE_DESIRED"]

MAX_REPLICAS = 20
#: the course's example desired state (four services), read by chapter 8.2
EXAMPLE_DESIRED = Path(__file__).resolve().parents[2] / "data" / "cluster.toml"


@dataclass(frozen=True)
class ServiceSpec:
    """One service as declared: its version and how many replicas run it."""
    name: str
    version: str
    replicas: int

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "-" in self.name:
            raise ValueError(f"a service name is a non-empty str without '-', got {self.name!r}")
        if not isinstance(self.version, str) or not self.version:
            raise ValueError(f"service {self.name!r}: version must be a non-empty str, got {self.version!r}")
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int) or not 0 <= self.replicas <= MAX_REPLICAS:
            raise ValueError(f"service {self.name!r}: replicas must be an int in 0..{MAX_REPLICAS}, "
                             f"got {self.replicas!r}")


@dataclass(frozen=True)
class DesiredState:
    """What should run: services by name and links ``(caller, callee)`` between declared services."""
    services: tuple
    links: frozenset = frozenset()
    entry: str = "gateway"

    def __post_init__(self):
        services = tuple(sorted(self.services, key=lambda s: s.name))
        if not all(isinstance(s, ServiceSpec) for s in services):
            raise TypeError("services must be ServiceSpec values")
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            raise ValueError(f"a service is declared twice: {sorted(n for n in names if names.count(n) > 1)}")
        links = frozenset(tuple(link) for link in self.links)
        for link in sorted(links):
            if len(link) != 2 or link[0] == link[1] or not set(link) <= set(names):
                raise ValueError(f"link {list(link)} must join two different declared services; declared: {names}")
        if self.entry not in names:
            raise ValueError(f"entry {self.entry!r} is not a declared service; declared: {names}")
        object.__setattr__(self, "services", services)
        object.__setattr__(self, "links", links)

    def service(self, name: str) -> ServiceSpec:
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(name)

    @classmethod
    def from_dict(cls, data: dict) -> "DesiredState":
        """From ``{"entry": ..., "links": [[a, b], ...], "services": {name: {"version": v, "replicas": n}}}``."""
        if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
            raise ValueError("a desired state is a table with a 'services' table of {name: {version, replicas}}")
        extra = sorted(set(data) - {"entry", "links", "services"})
        if extra:
            raise ValueError(f"unknown keys {extra}; a desired state has entry, links and services")
        specs = []
        for name, body in data["services"].items():
            if not isinstance(body, dict) or set(body) != {"version", "replicas"}:
                raise ValueError(f"service {name!r} must have exactly 'version' and 'replicas', got {body!r}")
            specs.append(ServiceSpec(name, body["version"], body["replicas"]))
        return cls(tuple(specs), frozenset(tuple(x) for x in data.get("links", ())), data.get("entry", "gateway"))

    def to_dict(self) -> dict:
        return {"entry": self.entry, "links": [list(x) for x in sorted(self.links)],
                "services": {s.name: {"version": s.version, "replicas": s.replicas} for s in self.services}}


def load_desired(path) -> DesiredState:
    """Read a desired state from a ``.toml`` or ``.json`` file (see :meth:`DesiredState.from_dict`)."""
    path = Path(path)
    if path.suffix not in (".toml", ".json"):
        raise ValueError(f"a desired state is a .toml or .json file, got {path.name!r}")
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    return DesiredState.from_dict(data)


def write_desired(state: DesiredState, path) -> Path:
    """Write ``state`` as JSON (sorted keys, one change per line in a diff) and return the path."""
    if not isinstance(state, DesiredState):
        raise TypeError(f"write_desired() takes a DesiredState, got {state!r}")
    path = Path(path)
    if path.suffix != ".json":
        raise ValueError(f"write_desired() writes .json files, got {path.name!r}")
    path.write_text(json.dumps(state.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Change:
    """One step of a plan: ``op`` is ``create``, ``update``, ``destroy``, ``link`` or ``unlink``."""
    op: str
    target: str
    before: str | None = None
    after: str | None = None

    def __str__(self) -> str:
        sign = {"create": "+", "link": "+", "update": "~", "destroy": "-", "unlink": "-"}[self.op]
        if self.op == "update":
            return f"  {sign} {self.target}: version {self.before} -> {self.after}"
        if self.op in ("create", "destroy"):
            return f"  {sign} {self.target} ({self.after if self.op == 'create' else self.before})"
        return f"  {sign} link {self.target}"


class Plan(tuple):
    """The changes, in the order :func:`apply` makes them (creates and updates before destroys)."""

    def text(self) -> str:
        if not self:
            return "No changes. The cluster matches the desired state."
        counts = {op: sum(c.op == op for c in self) for op in ("create", "update", "destroy")}
        links = sum(c.op in ("link", "unlink") for c in self)
        head = (f"Plan: {counts['create']} to add, {counts['update']} to change, {counts['destroy']} to destroy"
                + (f", {links} link change{'s' if links != 1 else ''}" if links else "") + ".")
        return "\n".join([*map(str, self), head])

    def __repr__(self) -> str:
        return self.text()

    @property
    def empty(self) -> bool:
        return not self


def plan(desired: DesiredState, cluster: Cluster) -> Plan:
    """The changes that take ``cluster`` to ``desired``: a pure function of the two states.

    Instances are ``<service>-0`` ... ``<service>-(replicas-1)``; any other instance of a declared
    service, and every instance of an undeclared one, is destroyed.

    Examples
    --------
    >>> d = DesiredState((ServiceSpec("gateway", "2.0", 1), ServiceSpec("store", "1.0", 2)), {("gateway", "store")})
    >>> print(plan(d, Cluster()).text())
      + gateway-0 (2.0)
      + store-0 (1.0)
      + store-1 (1.0)
      + link gateway -> store
    Plan: 3 to add, 0 to change, 0 to destroy, 1 link change.
    """
    if not isinstance(desired, DesiredState):
        raise TypeError(f"plan() takes a DesiredState, got {desired!r}")
    if not isinstance(cluster, Cluster):
        raise TypeError(f"plan() takes a Cluster, got {cluster!r}")
    want = {instance_id(s.name, i): s.version for s in desired.services for i in range(s.replicas)}
    have = cluster.instances
    changes = []
    for iid in sorted(want):
        if iid not in have:
            changes.append(Change("create", iid, None, want[iid]))
        elif have[iid] != want[iid]:
            changes.append(Change("update", iid, have[iid], want[iid]))
    for a, b in sorted(desired.links - cluster.links):
        changes.append(Change("link", f"{a} -> {b}", None, None))
    for a, b in sorted(cluster.links - desired.links):
        changes.append(Change("unlink", f"{a} -> {b}", None, None))
    for iid in sorted(set(have) - set(want)):
        changes.append(Change("destroy", iid, have[iid], None))
    return Plan(changes)


def apply(desired: DesiredState, cluster: Cluster) -> Plan:
    """Make ``cluster`` match ``desired``; returns the plan it carried out (empty when nothing was to do)."""
    steps = plan(desired, cluster)
    for c in steps:
        if c.op in ("create", "update"):
            cluster.add(c.target, c.after)
        elif c.op == "destroy":
            cluster.remove(c.target)
        else:
            a, b = c.target.split(" -> ")
            (cluster.link if c.op == "link" else cluster.unlink)(a, b)
    cluster.entry = desired.entry
    return steps


def drift(desired: DesiredState, cluster: Cluster) -> Plan:
    """What differs between the declared state and the running cluster (an empty plan: no drift).

    The same computation as :func:`plan`, named for its use: run on a schedule, a non-empty
    answer means someone or something changed the cluster outside the code (a hand-made hotfix,
    a crashed instance, a console click), and :func:`apply` repairs it.
    """
    return plan(desired, cluster)

