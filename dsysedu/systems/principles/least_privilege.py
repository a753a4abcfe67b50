"""Least privilege (最小权限): a service holding a scoped token cannot do what it was not granted.

A store of orders and payments is called by three services. Each call carries a :class:`Token`:
who holds it, the scopes it grants (``"orders:read"``...) and an HMAC signature by the store's
issuer, so a holder cannot add scopes to its own token. The :class:`ScopedStore` checks the
signature and the scope of every :class:`Call` and observes ``done`` or ``refused``.

:func:`privilege_scenario` runs the services' ordinary work, and then one service is compromised
(an attacker runs code inside it): it tries every action on every key, with its own token and
with a forged one. Under ``grants="shared"`` every service holds the one admin token (a common
shortcut); under ``"scoped"`` each holds only what its job needs. :func:`blast_radius` counts what
the attacker managed. This is the model of OAuth 2.0 scopes, of cloud IAM policies and of
Kubernetes RBAC; the signature is what a JWT or a macaroon carries.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["Token", "issue", "verify", "Call", "Answer", "ScopedStore", "Service", "ACTIONS", "NEEDS",
           "privilege_scenario", "blast_radius", "STORE"]

STORE = "store"
ACTIONS = ("orders:read", "orders:write", "orders:delete", "payments:refund")
#: what each service's job needs
NEEDS = {"checkout": ("orders:read", "orders:write"), "reports": ("orders:read",),
         "refunds": ("orders:read", "payments:refund")}
_SECRET = b"issuer secret (the store's, never a service's)"


@dataclass(frozen=True)
class Token:
    holder: str
    scopes: frozenset
    signature: str


def _sign(holder: str, scopes, secret: bytes) -> str:
    body = f"{holder}|{','.join(sorted(scopes))}".encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()[:32]


def issue(holder: str, scopes, secret: bytes = _SECRET) -> Token:
    """A token for ``holder`` granting ``scopes`` (each one of :data:`ACTIONS`), signed with ``secret``.

    >>> verify(issue("reports", ["orders:read"]))
    True
    """
    scopes = frozenset(scopes)
    unknown = sorted(scopes - set(ACTIONS))
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; scopes are {list(ACTIONS)}")
    if not isinstance(holder, str) or not holder:
        raise TypeError(f"holder must be a non-empty str, got {holder!r}")
    return Token(holder, scopes, _sign(holder, scopes, secret))


def verify(token, secret: bytes = _SECRET) -> bool:
    """Whether ``token`` was issued with ``secret`` exactly as it reads (no scope added or removed)."""
    return isinstance(token, Token) and hmac.compare_digest(token.signature, _sign(token.holder, token.scopes, secret))


@dataclass(frozen=True)
class Call:
    token: Token
    action: str
    key: str
    value: Any = None


@dataclass(frozen=True)
class Answer:
    action: str
    key: str
    ok: bool
    reason: str = ""


class ScopedStore(Node):
    """Orders and payments; a call is done only if its token verifies and grants its action.

    Observes ``done`` ``(caller, action, key)`` or ``refused`` ``(caller, action, key, reason)``.
    """

    def __init__(self, node_id, peers=(), secret=_SECRET, data=()):
        super().__init__(node_id, peers)
        self.secret = secret
        self.data = dict(data)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Call):
            return
        if not verify(msg.token, self.secret):
            reason = "bad signature"
        elif msg.action not in msg.token.scopes:
            reason = f"token does not grant {msg.action}"
        else:
            reason = ""
        if reason:
            ctx.observe("refused", (src, msg.action, msg.key, reason))
            ctx.send(src, Answer(msg.action, msg.key, False, reason))
            return
        if msg.action == "orders:write":
            self.data[msg.key] = msg.value
        elif msg.action in ("orders:delete", "payments:refund"):
            self.data.pop(msg.key, None)
        ctx.observe("done", (src, msg.action, msg.key))
        ctx.send(src, Answer(msg.action, msg.key, True))


class Service(Node):
    """Sends its ``script`` of ``(at, action, key, value)`` calls to the store with its ``token``;
    ``forged`` calls carry a token that claims every scope under the holder's own name."""

    def __init__(self, node_id, peers=(), token=None, script=(), forged=()):
        super().__init__(node_id, peers)
        self.token, self.script, self.forged = token, tuple(script), tuple(forged)

    def on_start(self, ctx):
        for i, _ in enumerate(self.script):
            ctx.set_timer(("call", i), self.script[i][0])
        for i, _ in enumerate(self.forged):
            ctx.set_timer(("forged", i), self.forged[i][0])

    def on_timer(self, ctx, name):
        kind, i = name
        _at, action, key, value = (self.script if kind == "call" else self.forged)[i]
        token = self.token
        if kind == "forged":    # the attacker edits the token: every scope, the old signature
            token = Token(self.token.holder, frozenset(ACTIONS), self.token.signature)
        ctx.send(STORE, Call(token, action, key, value))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Answer):
            ctx.observe("answer", (msg.action, msg.key, msg.ok))


def privilege_scenario(grants: str = "scoped", compromised: str = "reports", orders: int = 5) -> Scenario:
    """Three services' ordinary work for 1 s, then ``compromised`` tries every action on every order.

    Parameters
    ----------
    grants : {"scoped", "shared"}
        Each service holds a token for what it needs (:data:`NEEDS`), or all share one admin token.
    compromised : str
        One of :data:`NEEDS`'s services.
    orders : int
        Orders in the store at the start (``o0``...).
    """
    if grants not in ("scoped", "shared"):
        raise ValueError(f"grants must be 'scoped' or 'shared', got {grants!r}")
    if compromised not in NEEDS:
        raise ValueError(f"compromised must be one of {sorted(NEEDS)}, got {compromised!r}")
    if isinstance(orders, bool) or not isinstance(orders, int) or not 1 <= orders <= 100:
        raise ValueError(f"orders must be an int from 1 to 100, got {orders!r}")
    keys = [f"o{i}" for i in range(orders)]
    params = {STORE: {"data": tuple((k, "paid") for k in keys)}}
    for i, (service, needs) in enumerate(sorted(NEEDS.items())):
        token = issue(service, needs if grants == "scoped" else ACTIONS)
        ordinary = tuple((0.1 + 0.2 * j + 0.01 * i, action, keys[j % orders], "paid")
                         for j, action in enumerate(needs))
        attack, forged = (), ()
        if service == compromised:
            attack = tuple((1.0 + 0.01 * n, action, key, "tampered")
                           for n, (action, key) in enumerate((a, k) for a in ACTIONS for k in keys))
            forged = tuple((2.0 + 0.01 * n, action, keys[0], "tampered") for n, action in enumerate(ACTIONS))
        params[service] = {"token": token, "script": ordinary + attack, "forged": forged}
    nodes = [STORE, *sorted(NEEDS)]
    return Scenario({STORE: ScopedStore, **{s: Service for s in NEEDS}}, nodes=nodes, node_params=params,
                    link=LinkModel(latency=0.002), until=3.0, name=f"least privilege ({grants} tokens)")


def blast_radius(trace, service: str = "reports", since: float = 1.0) -> dict:
    """What ``service`` managed from ``since`` on: ``actions`` (distinct actions done, of
    :data:`ACTIONS`), ``calls_done``, ``refused``, ``orders_lost`` (deleted or refunded) and
    ``forged_accepted`` (calls with an edited token that were done)."""
    done, refused, lost, forged = set(), 0, set(), 0
    for e in trace.events:
        if e.kind != "observe" or e.time < since:
            continue
        if e.data == "done" and e.value[0] == service:
            done.add(e.value[1])
            if e.value[1] in ("orders:delete", "payments:refund"):
                lost.add(e.value[2])
            forged += e.time >= 2.0
        elif e.data == "refused" and e.value[0] == service:
            refused += 1
    calls = sum(1 for e in trace.events if e.kind == "observe" and e.data == "done" and e.time >= since
                and e.value[0] == service)
    return {"actions": len(done), "calls_done": calls, "refused": refused, "orders_lost": len(lost),
            "forged_accepted": forged}
