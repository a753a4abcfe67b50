"""A simulated cluster (模拟集群): replicated, versioned services that run as simulator nodes.

The traced service system of :mod:`dsysedu.ops.services` has one node per service. Chapter 8 needs
what a real deployment has: several *instances* (replicas) of a service, each running a *version*,
and callers that spread their calls over the instances of the service they call. A
:class:`Cluster` holds that state (instances, versions, which service calls which) and turns it
into a runnable :class:`~dsysedu.sim.scenario.Scenario` with :meth:`Cluster.scenario`:

* every instance is a :class:`RoutedService`, a :class:`~dsysedu.ops.services.TracedService`
  whose calls go to one instance of the called service, drawn by weight from its seeded stream
  (``weights`` lets a release send 10 % of the traffic to a canary);
* the load comes from a :class:`RoutedClient` into the ``entry`` service;
* how an instance behaves (mean work, error rate) is a property of its service and *version*,
  looked up in ``behaviour``: a bad release is a version whose behaviour is worse.

:mod:`dsysedu.ops.infra` reconciles a Cluster with a declared desired state;
:mod:`dsysedu.ops.delivery` releases new versions onto one.
"""
from __future__ import annotations

from dsysedu.sim.network import LinkModel
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number

from .services import LoadClient, Request, TracedService

__all__ = ["Cluster", "RoutedService", "RoutedClient", "DEFAULT_WORK", "instance_id", "service_of"]

#: mean seconds of work per request of each service when its version has no behaviour of its own
DEFAULT_WORK = {"gateway": 0.002, "inventory": 0.005, "orders": 0.005, "store": 0.003}
CLIENT = "client"


def instance_id(service: str, index) -> str:
    """The node id of instance ``index`` of ``service``: ``"orders-0"``, ``"orders-canary"``."""
    return f"{service}-{index}"


def service_of(instance: str) -> str:
    """The service an instance id belongs to (everything before the last ``-``)."""
    return instance.rpartition("-")[0]


class _Routing:
    """Calls a *service*: each attempt goes to one of its instances, drawn by weight."""

    def pick(self, ctx, service):
        ids, weights = self.replicas.get(service, ((), ()))
        if len(ids) <= 1:
            return ids[0] if ids else None
        return ctx.rng.choices(ids, weights)[0]

    def call(self, ctx, sid, dst, attempt: int) -> None:
        req = self.open[sid]
        target = self.pick(ctx, dst)
        if target is None:                       # nothing runs this service: the attempt fails at once
            self.retry_or_fail(ctx, sid, dst, attempt, "no instance")
            return
        tp = req["tp"]
        cid = self._start_span(ctx, tp.trace_id, sid, f"call {dst}", "client",
                               (("peer", str(target)), ("attempt", attempt)))
        self.outgoing[cid] = (sid, dst, attempt)
        ctx.send(target, Request(tp.child(cid).header(), req["op"]))
        ctx.set_timer(("timeout", cid), self.timeout)


class RoutedService(_Routing, TracedService):
    """An instance of a service; ``replicas``: called service -> (instance ids, weights)."""

    def __init__(self, node_id, peers=(), replicas=None, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.replicas = dict(replicas or {})


class RoutedClient(_Routing, LoadClient):
    """The load: Poisson requests into the entry service, spread over its instances."""

    def __init__(self, node_id, peers=(), replicas=None, **kwargs):
        super().__init__(node_id, peers, **kwargs)
        self.replicas = dict(replicas or {})


class Cluster:
    """The running cluster: instances with their versions, and which service calls which.

    Parameters
    ----------
    instances : dict instance id -> version
        ``{"orders-0": "1.4.0", ...}``; an id is ``<service>-<index>`` (:func:`instance_id`).
    links : iterable of (caller, callee)
        Service names; ``("orders", "store")`` means orders calls the store.
    entry : str
        The service the client's requests enter (default ``"gateway"``).
    behaviour : dict (service, version) -> dict, optional
        ``{"work": mean seconds, "error_rate": p}`` of a version; missing entries behave as
        :data:`DEFAULT_WORK` with no errors.

    Examples
    --------
    >>> c = Cluster({"gateway-0": "2.0", "store-0": "1.0"}, [("gateway", "store")])
    >>> c.services()
    {'gateway': ('2.0',), 'store': ('1.0',)}
    """

    def __init__(self, instances=None, links=(), entry: str = "gateway", behaviour=None):
        self.instances: dict = {}
        for iid, version in dict(instances or {}).items():
            self.add(iid, version)
        self.links: set = set()
        for link in links:
            self.link(*link)
        if not isinstance(entry, str) or not entry:
            raise TypeError(f"entry must be a service name (a non-empty str), got {entry!r}")
        self.entry = entry
        self.behaviour = dict(behaviour or {})

    # -- changes (what apply and out-of-band edits do) -----------------------------------------
    def add(self, instance: str, version: str) -> None:
        """Start an instance (or replace the version of a running one)."""
        if not isinstance(instance, str) or not service_of(instance):
            raise ValueError(f"an instance id is '<service>-<index>', got {instance!r}")
        if not isinstance(version, str) or not version:
            raise TypeError(f"a version is a non-empty str, got {version!r}")
        self.instances[instance] = version

    def remove(self, instance: str) -> None:
        """Stop an instance; ValueError if it does not run."""
        if instance not in self.instances:
            raise ValueError(f"no instance {instance!r} runs; running: {sorted(self.instances)}")
        del self.instances[instance]

    def link(self, caller: str, callee: str) -> None:
        """Let ``caller`` call ``callee`` (service names)."""
        if not (isinstance(caller, str) and isinstance(callee, str)) or caller == callee:
            raise ValueError(f"a link joins two different service names, got {(caller, callee)!r}")
        self.links.add((caller, callee))

    def unlink(self, caller: str, callee: str) -> None:
        self.links.discard((caller, callee))

    def copy(self) -> "Cluster":
        return Cluster(self.instances, self.links, self.entry, self.behaviour)

    def snapshot(self) -> tuple:
        """The cluster's state as a hashable value (instances and links, sorted): equal iff the same."""
        return tuple(sorted(self.instances.items())), tuple(sorted(self.links))

    # -- reading ------------------------------------------------------------------------------
    def services(self) -> dict:
        """Service -> the versions of its instances, in instance order."""
        out: dict = {}
        for iid in sorted(self.instances):
            out.setdefault(service_of(iid), []).append(self.instances[iid])
        return {s: tuple(v) for s, v in out.items()}

    def instances_of(self, service: str) -> list:
        return sorted(i for i in self.instances if service_of(i) == service)

    def scenario(self, rate: float = 50.0, duration: float = 5.0, weights=None, timeout: float = 0.25,
                 retries: int = 1, latency: float = 0.002, faults=(), drain: float = 1.0) -> Scenario:
        """The cluster as a Scenario: a client sending ``rate`` requests/s into the entry service.

        Parameters
        ----------
        rate, duration : float
            Poisson requests per second (> 0) during ``duration`` seconds (> 0).
        weights : dict instance id -> float, optional
            The share of its service's calls an instance receives (default 1 each).
        timeout, retries : float, int
            Every caller's per-attempt timeout and further attempts.
        latency : float
            One-way link latency in seconds.
        faults : list of Fault
        drain : float
            Seconds after the last arrival for answers to finish.
        """
        if not self.instances:
            raise ValueError("the cluster runs no instance: apply a desired state first")
        rate = number("rate", rate, low=0.0, low_open=True)
        duration = number("duration", duration, low=0.0, low_open=True)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(self.instances))
        if unknown:
            raise ValueError(f"weights name instances that do not run: {unknown}")
        for iid, w in weights.items():
            number(f"weights[{iid!r}]", w, low=0.0)
        replicas = {}
        for service in sorted(self.services()):
            ids = tuple(self.instances_of(service))
            replicas[service] = (ids, tuple(float(weights.get(i, 1.0)) for i in ids))
        calls = {}
        for caller, callee in sorted(self.links):
            calls.setdefault(caller, []).append(callee)
        protocol, params = {CLIENT: RoutedClient}, {}
        params[CLIENT] = {"calls": (self.entry,), "replicas": {self.entry: replicas.get(self.entry, ((), ()))},
                          "rate": rate, "stop": duration, "work": 0.0}
        for iid, version in sorted(self.instances.items()):
            service = service_of(iid)
            b = self.behaviour.get((service, version), {})
            mine = tuple(calls.get(service, ()))
            protocol[iid] = RoutedService
            params[iid] = {"calls": mine, "replicas": {c: replicas.get(c, ((), ())) for c in mine},
                           "work": b.get("work", DEFAULT_WORK.get(service, 0.004)),
                           "error_rate": b.get("error_rate", 0.0)}
        return Scenario(protocol, nodes=list(protocol), params={"timeout": timeout, "retries": retries},
                        node_params=params, link=LinkModel(latency=latency), faults=list(faults),
                        until=duration + drain, name="cluster")

    def __repr__(self) -> str:
        return f"Cluster({len(self.instances)} instances, {len(self.links)} links)"
