"""The replicas of one upstream service and how the gateway chooses among them.

An upstream is a list of base URLs (``KRY_GATEWAY_UPSTREAM_POLICY_URL=http://127.0.0.1:8001,http://127.0.0.1:8011``)
and, for a URL whose host is a DNS name, every address the name resolves to (compose ``deploy.replicas``: the
service name resolves to one address per container), re-resolved every ``dns_refresh_s``. Each replica has its own
keep-alive pool, its own circuit breaker and a count of the requests it has outstanding.

Choosing (:meth:`UpstreamGroup.pick`): the replica with the fewest outstanding requests among those neither
ejected nor behind an open breaker, ties taken in turn (round robin). A replica is *ejected* when a connect to it
fails or its ``/readyz`` does not answer 200; the health check (:meth:`UpstreamGroup.probe`, every
``health_interval_s`` for a service with more than one replica) probes it again after ``eject_s`` and takes it back
once it answers. When every replica is ejected the gateway still tries those whose breaker lets it (one replica
behaves exactly as before: only its breaker can refuse).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kunruyi_common.http_server import UNIX_SCHEME

from kunruyi_gateway.routing.http1 import (
    HostPool,
    UpstreamConnectError,
    UpstreamProtocolError,
    UpstreamTimeout,
    read_body,
    read_response_head,
    send_head_and_body,
)
from kunruyi_gateway.routing.metrics import UPSTREAM_EJECTIONS, UPSTREAM_REPLICAS

logger = logging.getLogger("kunruyi.gateway.replicas")


@dataclass
class CircuitBreaker:
    threshold: int
    cooldown_s: float
    failures: int = 0
    open_until: float = 0.0

    def allow(self) -> bool:
        return time.monotonic() >= self.open_until

    def record_success(self) -> None:
        self.failures = 0

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = time.monotonic() + self.cooldown_s
            self.failures = 0


@dataclass(eq=False)
class Replica:
    """One process of a service: its base URL, the address it is reached at (None: the URL's host as the system
    resolves it), its pool and breaker, and the requests it has outstanding."""

    upstream: str
    url: str
    address: str | None
    pool: HostPool
    breaker: CircuitBreaker
    outstanding: int = 0
    ejected: bool = False
    ejected_until: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.url} ({self.address})" if self.address else self.url

    def eject(self, cooldown_s: float, why: str) -> None:
        if not self.ejected:
            logger.warning("upstream replica %s ejected for %.0f s: %s", self.label, cooldown_s, why)
            UPSTREAM_EJECTIONS.labels(self.upstream).inc()
        self.ejected = True
        self.ejected_until = time.monotonic() + cooldown_s

    def restore(self) -> None:
        if self.ejected:
            logger.info("upstream replica %s back in rotation", self.label)
        self.ejected = False
        self.ejected_until = 0.0


def _is_name(host: str) -> bool:
    """A DNS name worth resolving for replicas (not an IP literal, not ``localhost``)."""
    if host == "localhost":
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


@dataclass(eq=False)
class UpstreamGroup:
    name: str
    urls: list[str]
    breaker_threshold: int
    breaker_cooldown_s: float
    ssl_context: ssl.SSLContext | None
    eject_s: float = 10.0
    replicas: list[Replica] = field(default_factory=list)
    _turn: int = 0

    def __post_init__(self) -> None:
        self.replicas = [self._replica(url, None) for url in self.urls]

    def _replica(self, url: str, address: str | None) -> Replica:
        return Replica(
            self.name,
            url,
            address,
            HostPool(url, ssl_context=self.ssl_context, address=address),
            CircuitBreaker(self.breaker_threshold, self.breaker_cooldown_s),
        )

    @property
    def first(self) -> Replica:
        return self.replicas[0]

    def pick(self, exclude: set[Replica] | frozenset[Replica] = frozenset()) -> Replica | None:
        """The least-loaded replica in rotation (ties in turn); else, with all ejected, one whose breaker is
        closed; None when every breaker is open (or everything was tried)."""
        candidates = [r for r in self.replicas if r not in exclude and r.breaker.allow()]
        healthy = [r for r in candidates if not r.ejected]
        pool = healthy or candidates
        if not pool:
            return None
        if len(pool) == 1:
            return pool[0]
        least = min(r.outstanding for r in pool)
        tied = [r for r in pool if r.outstanding == least]
        self._turn = (self._turn + 1) % (1 << 30)
        return tied[self._turn % len(tied)]

    def close(self) -> None:
        for replica in self.replicas:
            replica.pool.close()

    def report(self) -> None:
        """Set the replica gauge (in rotation, ejected) for this upstream."""
        ejected = sum(1 for r in self.replicas if r.ejected)
        UPSTREAM_REPLICAS.labels(self.name, "in_rotation").set(len(self.replicas) - ejected)
        UPSTREAM_REPLICAS.labels(self.name, "ejected").set(ejected)

    # -- discovery --------------------------------------------------------------------------------------------
    async def resolve(self) -> None:
        """Re-resolve the URLs whose host is a DNS name: several addresses → one replica per address (new ones
        join, vanished ones leave with their pool); one address → the URL itself, as configured."""
        loop = asyncio.get_running_loop()
        wanted: list[tuple[str, str | None]] = []
        for url in self.urls:
            parts = urlsplit(url)
            host = parts.hostname or ""
            if parts.scheme == UNIX_SCHEME or not _is_name(host):
                wanted.append((url, None))
                continue
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                # Not resolvable right now: keep what we have for this URL (the connect will tell).
                wanted.extend((r.url, r.address) for r in self.replicas if r.url == url)
                if not any(r.url == url for r in self.replicas):
                    wanted.append((url, None))
                continue
            addresses = sorted({str(info[4][0]) for info in infos})
            if len(addresses) > 1:
                wanted.extend((url, address) for address in addresses)
            else:
                wanted.append((url, None))
        current = {(r.url, r.address): r for r in self.replicas}
        if list(current) == wanted:
            return
        replicas = []
        for key in dict.fromkeys(wanted):
            replica = current.pop(key, None) or self._replica(*key)
            replicas.append(replica)
        for gone in current.values():
            gone.pool.close()
        logger.info("upstream %s replicas: %s", self.name, ", ".join(r.label for r in replicas) or "none")
        self.replicas = replicas

    # -- health -----------------------------------------------------------------------------------------------
    async def probe(self, timeout_s: float) -> None:
        """``GET /readyz`` on each replica (only when the service has several): a failure ejects it for
        ``eject_s``; an ejected replica is probed again once its cool-down has passed and comes back on a 200."""
        if len(self.replicas) < 2:
            for replica in self.replicas:  # the last one left is never out of rotation
                replica.restore()
            return
        now = time.monotonic()
        due = [r for r in self.replicas if not r.ejected or now >= r.ejected_until]
        results = await asyncio.gather(*(self._ready(r, timeout_s) for r in due))
        for replica, reason in zip(due, results, strict=True):
            if reason is None:
                replica.restore()
            else:
                replica.eject(self.eject_s, reason)

    async def _ready(self, replica: Replica, timeout_s: float) -> str | None:
        pool = replica.pool
        head = b"GET " + pool.base_path + b"/readyz HTTP/1.1\r\nhost: " + pool.host_header + b"\r\n\r\n"
        try:
            conn = await pool.acquire(timeout_s)
        except UpstreamConnectError as exc:
            return f"connect failed ({exc})"
        try:
            await send_head_and_body(conn, head, None, method="GET")
            answer = await read_response_head(conn, timeout_s)
            await read_body(conn, answer, timeout_s)
        except (UpstreamTimeout, UpstreamProtocolError, ConnectionError) as exc:
            conn.close()
            return f"readiness check failed ({type(exc).__name__})"
        if answer.reusable:
            pool.release(conn)
        else:
            conn.close()
        return None if answer.status == 200 else f"readiness answered {answer.status}"
