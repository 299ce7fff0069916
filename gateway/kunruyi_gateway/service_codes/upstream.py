"""The services the 昆e服 page reads and writes, called over REST as the code's public principal.

Every call is defensive: a section whose service is down, slow, or not built yet renders "暂不可用" instead of
failing the page.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kunruyi_common.auth import Principal

from kunruyi_gateway.routing.proxy import Upstreams
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import PageCalls, Section

logger = logging.getLogger("kunruyi.gateway.service_codes")
_TIMEOUT_S = 3.0
# The 昆e服 page as a service: what it reads by id on the visitor's behalf (the calculator for the code's company).
QR_PAGE_PRINCIPAL = Principal(kind="service", subject="gateway-qr-page", name="昆e服页面")


class ServiceCalls:
    """The page's calls for one code: as the code's public principal (the visitor), or ``as_page`` as the page's
    own service identity — both through the web stack's ``PageCalls`` (the proxy's one retry/breaker loop)."""

    def __init__(self, upstreams: Upstreams, settings: Settings, code: ServiceCode) -> None:
        visitor = Principal(
            kind="public",
            subject=f"qr:{code.id}",
            name=code.name,
            target=code.target if code.kind == "enterprise" else None,
        )
        self.visitor = PageCalls(upstreams, settings, visitor, timeout_s=_TIMEOUT_S)
        # The page itself (not the visitor, who only holds a printed link) asks svc-policy's calculator about the
        # code's company by id: a read only the company, staff, partners with policy:read and services may make.
        self.page = PageCalls(upstreams, settings, QR_PAGE_PRINCIPAL, timeout_s=_TIMEOUT_S)

    async def call(
        self, service: str, method: str, path: str, *, as_page: bool = False, **kwargs: Any
    ) -> Any:
        return await (self.page if as_page else self.visitor).call(service, method, path, **kwargs)

    async def section(
        self, service: str, method: str, path: str, *, as_page: bool = False, **kwargs: Any
    ) -> Section:
        return await (self.page if as_page else self.visitor).section(service, method, path, **kwargs)


async def gather_sections(calls: ServiceCalls, code: ServiceCode) -> dict[str, Section]:
    """What the page shows for this kind of code, fetched concurrently."""
    wanted: dict[str, Any] = {
        "housing": calls.section("talent", "GET", "/api/v1/housing/projects"),
    }
    if code.kind == "enterprise":
        wanted["policies"] = enterprise_policies(calls, code)
    else:
        wanted["policies"] = catalog_policies(calls, code, limit=POLICIES_ON_THE_PAGE)
    if code.kind in ("enterprise", "park"):
        params = {"industry_chain": code.industry_chain} if code.industry_chain else None
        wanted["brokers"] = calls.section("matching", "GET", "/api/v1/brokers", params=params)
        # The demand form offers svc-matching's own catalog (chains, technical fields, demand types).
        wanted["taxonomy"] = calls.section("matching", "GET", "/api/v1/taxonomy")
    results = await asyncio.gather(*wanted.values())
    return dict(zip(wanted.keys(), results, strict=True))


# A park's or a lounge's page lists this many policies from the catalog, then "更多".
POLICIES_ON_THE_PAGE = 10


async def enterprise_policies(calls: ServiceCalls, code: ServiceCode) -> Section:
    """The calculator's answer for the code's company, as the public page may show it (no amounts)."""
    policies = await calls.section(
        "policy",
        "POST",
        "/api/v1/policy-calculator",
        json={"entity_type": "enterprise", "entity_id": code.target},
        as_page=True,
    )
    policies.items = policies_for_the_page(compact_items(policies.data))
    summary = (policies.data or {}).get("summary") if isinstance(policies.data, dict) else None
    policies.data = {"summary": _counts_only(summary)} if isinstance(summary, dict) else None
    return policies


async def catalog_policies(
    calls: ServiceCalls,
    code: ServiceCode,
    *,
    limit: int,
    cursor: str | None = None,
    ranked: bool | None = None,
) -> Section:
    """The published catalog items for the code's visitors: a lounge's talents get the talent policies, a park's
    companies the enterprise ones — those matching the park's industry chain first (svc-policy's ranked search)
    when it names one and the search finds any. ``data`` carries ``next_cursor`` and whether the list is ranked
    (``ranked``; a cursor of one kind means nothing to the other)."""
    params: dict[str, Any] = {
        "beneficiary": "talent" if code.kind == "lounge" else "enterprise",
        "status": "published",
        "limit": limit,
    }
    if cursor:
        params["cursor"] = cursor
    chain = code.industry_chain if code.kind == "park" else None
    section: Section | None = None
    if chain and ranked is not False:
        section = await calls.section("policy", "GET", "/api/v1/policies", params={**params, "q": chain})
        if section.ok and (section.items or ranked):
            section.data = {"next_cursor": _next_cursor(section.data), "ranked": True}
            return section
    section = await calls.section("policy", "GET", "/api/v1/policies", params=params)
    section.data = {"next_cursor": _next_cursor(section.data), "ranked": False}
    return section


def _next_cursor(data: Any) -> str | None:
    cursor = data.get("next_cursor") if isinstance(data, dict) else None
    return cursor if isinstance(cursor, str) else None


# The page is public: anyone holding the printed code reads it. It names the policies a company may qualify
# for, never an amount (an award, a total) or how a payment stands; those wait for a signed-in company view.
_SHOWN_FIELDS = ("policy_code", "title", "policy_title", "status")


def _counts_only(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: summary.get(k) for k in ("eligible", "needs_confirmation")}


# A phone user first wants what the company already qualifies for, then what needs a person's confirmation;
# within each, the largest awards first (the order only; no amount is shown). Ineligible items stay off the page
# (the calculator explains them).
_PAGE_ORDER = {"eligible": 0, "needs_confirmation": 1}


def compact_items(answer: Any) -> list[dict[str, Any]]:
    """The calculator's compact answer (its default) as one list: eligible items, then those needing
    confirmation (their 最高 amount only orders them); an exclusion group already shows one tier."""
    if not isinstance(answer, dict):
        return []
    items = [{**r, "status": "eligible"} for r in answer.get("eligible") or []]
    items += [
        {**r, "status": "needs_confirmation", "amount_fen": r.get("max_amount_fen")}
        for r in answer.get("needs_confirmation") or []
    ]
    return items


def policies_for_the_page(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = [r for r in results if r.get("status") in _PAGE_ORDER]
    ordered = sorted(shown, key=lambda r: (_PAGE_ORDER[r["status"]], -(r.get("amount_fen") or 0)))
    return [{k: r.get(k) for k in _SHOWN_FIELDS} for r in ordered]
