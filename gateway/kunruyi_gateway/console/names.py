"""Names, not codes: the console's directory of policy titles, departments and company / talent names.

Everything comes from the owning services over REST (never their tables): svc-policy's catalog (titles,
departments, 兑现时限), svc-talent's batch name lookups (``/enterprises/names``, ``/talents/names``) and its ticket
types (the service desk's departments). One call per page of codes, cached briefly (``ttl_s``) so a queue that is
refreshed every few seconds does not ask again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol


class Calls(Protocol):
    """How the console reaches a service: :class:`kunruyi_gateway.web.calls.PageCalls` (as the signed-in staff
    member, through the gateway's retry/breaker loop). A list value in ``params`` repeats the key. Raises
    :class:`kunruyi_gateway.service_codes.upstream.UpstreamError`."""

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class PolicyInfo:
    code: str
    title: str
    department: str
    mode: str
    payout_days: int


class NameDirectory:
    """Shared by every request of the app (``app.state.console_names``); safe across concurrent requests."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._policies: tuple[float, dict[str, PolicyInfo]] | None = None
        self._departments: tuple[float, tuple[str, ...]] | None = None
        self._desk: tuple[float, tuple[str, ...]] | None = None
        self._names: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = asyncio.Lock()

    def _fresh(self, at: float) -> bool:
        return time.monotonic() - at < self.ttl_s

    async def policies(self, calls: Calls) -> dict[str, PolicyInfo]:
        """The whole catalog (drafts too: staff see them), code → title, department, mode, 兑现时限."""
        cached = self._policies
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        async with self._lock:
            cached = self._policies
            if cached is not None and self._fresh(cached[0]):
                return cached[1]
            found: dict[str, PolicyInfo] = {}
            cursor: str | None = None
            for _ in range(50):  # 200 a page; the catalog holds ~460 policies
                params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
                page = await calls.call("policy", "GET", "/api/v1/policies", params=params)
                for p in page.get("items", []):
                    found[p["code"]] = PolicyInfo(
                        code=p["code"],
                        title=p.get("title") or p["code"],
                        department=p.get("department") or "",
                        mode=p.get("mode") or "",
                        payout_days=int(p.get("payout_days") or 0),
                    )
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            self._policies = (time.monotonic(), found)
            return found

    async def departments(self, calls: Calls) -> tuple[str, ...]:
        """Every department name: the catalog's (e.g. 科技局) and the service desk's (e.g. 公安局)."""
        cached = self._departments
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        catalog, desk = await asyncio.gather(
            calls.call("policy", "GET", "/api/v1/departments"),
            calls.call("talent", "GET", "/api/v1/service-desk/types"),
        )
        names = [d["name"] for d in catalog.get("items", [])]
        names += [t["department"] for t in desk.get("types", []) if t["department"] not in names]
        self._departments = (time.monotonic(), tuple(names))
        return self._departments[1]

    async def desk_departments(self, calls: Calls) -> tuple[str, ...]:
        """The service desk's departments (those a ticket can be transferred to or shared with)."""
        cached = self._desk
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        desk = await calls.call("talent", "GET", "/api/v1/service-desk/types")
        names: list[str] = []
        for t in desk.get("types", []):
            if t["department"] not in names:
                names.append(t["department"])
        self._desk = (time.monotonic(), tuple(names))
        return self._desk[1]

    async def _lookup(self, calls: Calls, kind: str, keys: set[str]) -> dict[str, str]:
        now = time.monotonic()
        result: dict[str, str] = {}
        missing = []
        for key in keys:
            hit = self._names.get((kind, key))
            if hit is not None and now - hit[0] < self.ttl_s:
                if hit[1] is not None:
                    result[key] = hit[1]
            else:
                missing.append(key)
        for start in range(0, len(missing), 200):
            chunk = sorted(missing[start : start + 200])
            if kind == "enterprise":
                body = await calls.call("talent", "GET", "/api/v1/enterprises/names", params={"uscc": chunk})
                got = {i["uscc"]: i["name"] for i in body.get("items", [])}
            else:
                body = await calls.call("talent", "GET", "/api/v1/talents/names", params={"id": chunk})
                got = {str(i["id"]): i["name"] for i in body.get("items", [])}
            for key in chunk:
                self._names[(kind, key)] = (now, got.get(key))
                if key in got:
                    result[key] = got[key]
        if len(self._names) > 20_000:  # a bound, not an LRU: the next lookups refill what they need
            self._names.clear()
        return result

    async def entity_names(self, calls: Calls, entities: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(enterprise|talent, code) → name, for those on file. A talent code that is not a UUID is skipped."""
        enterprises = {code for kind, code in entities if kind == "enterprise" and code}
        talents = set()
        for kind, code in entities:
            if kind == "talent":
                try:
                    talents.add(str(uuid.UUID(code)))
                except ValueError:
                    continue
        found: dict[tuple[str, str], str] = {}
        if enterprises:
            for code, name in (await self._lookup(calls, "enterprise", enterprises)).items():
                found[("enterprise", code)] = name
        if talents:
            for code, name in (await self._lookup(calls, "talent", talents)).items():
                found[("talent", code)] = name
        return found
