"""昆e服 codes: the companies that should have one (coverage)."""

from __future__ import annotations

from typing import Any

from kunruyi_gateway.console.names import Calls

COVERAGE_QUALIFICATIONS = ("high_tech", "above_scale")


async def companies_with(calls: Calls, qualification: str, *, most: int = 2000) -> list[dict[str, Any]]:
    """The companies of the registry holding ``qualification`` (高企, 规上 …), paged through svc-talent."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(found) < most:
        params: dict[str, Any] = {"qualification": qualification, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = await calls.call("talent", "GET", "/api/v1/enterprises", params=params)
        found.extend(page.get("items", []))
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found[:most]
