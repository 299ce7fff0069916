"""What the "我的" pages share: the labels they show, the calls they make (as the browser's own principal, or as a
gateway identity holding one scope), the layout with the unread-message badge, and the policy calculator's
answer for the signed-in record."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.service_codes.upstream import compact_items
from kunruyi_gateway.web.calls import PageCalls, Section, UpstreamError
from kunruyi_gateway.web.sessions import SignedIn
from kunruyi_gateway.web.templating import render

MODE_LABELS = {"automatic": "免申即享", "application": "在线申报", "quick": "即申即享"}
RESULT_LABELS = {
    "eligible": "符合条件",
    "needs_confirmation": "需人工确认",
    "ineligible": "暂不符合",
    "error": "无法判断",
}
# The steps a phone user sees on an application's timeline (the review stages collapsed to what they mean).
TIMELINE = (
    ("submitted", "受理"),
    ("first_review", "初审"),
    ("second_review", "复审"),
    ("public_notice", "公示"),
    ("approved", "审定"),
    ("paid", "拨付"),
)
# A policy's review stages as its detail page lists them (在线申报 → 受理 → 初审 … → 拨付).
STAGE_LABELS = {"accepted": "受理", **dict(TIMELINE)}
STAGE_ORDER = {
    "submitted": 0,
    "pending_review": 0,
    "accepted": 0,
    "supplement_required": 0,
    "first_review": 1,
    "second_review": 2,
    "public_notice": 3,
    "approved": 4,
    "paid": 5,
}
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/heic", "image/webp", "application/pdf")
MAX_ATTACHMENTS = 5
POLICY_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FORM_ID = re.compile(r"^[0-9a-f]{32}$")


def own_calls(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.for_session(request, session)


def scoped_calls(request: Request, session: SignedIn, scope: str) -> PageCalls:
    return PageCalls.as_service(
        request,
        f"gateway-self:{session.principal().subject}",
        f"我的页面（{session.display_name or ''}）",
        scopes=[scope],
    )


def service_calls(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.as_service(request, "gateway-self-pages", f"我的页面（{session.display_name or ''}）")


def entity_type(session: SignedIn) -> str:
    return "enterprise" if session.kind == "company" else "talent"


async def unread_count(request: Request, session: SignedIn) -> int | None:
    """The signed-in person's unread messages (the badge on 消息); None when the inbox cannot be read now."""
    try:
        found = await own_calls(request, session).call(
            "talent", "GET", "/api/v1/messages", params={"limit": 1}
        )
    except UpstreamError:
        return None
    count = found.get("unread") if isinstance(found, dict) else None
    return count if isinstance(count, int) else None


async def page(request: Request, name: str, session: SignedIn, tab: str, **context: Any) -> HTMLResponse:
    if "unread" not in context:
        context["unread"] = await unread_count(request, session)
    return await render(
        request,
        name,
        tab=tab,
        mode_labels=MODE_LABELS,
        result_labels=RESULT_LABELS,
        **context,
    )


async def calculator_section(request: Request, session: SignedIn, codes: list[str] | None = None) -> Section:
    # The calculator reads the signed-in record by id: the page asks as a gateway service for exactly that id.
    body: dict[str, Any] = {"entity_type": entity_type(session), "entity_id": session.subject}
    if codes:
        body["policy_codes"] = codes
    section = await service_calls(request, session).section(
        "policy", "POST", "/api/v1/policy-calculator", json=body
    )
    # The calculator's default answer is compact (eligible, needs_confirmation …): one list for the page.
    section.items = compact_items(section.data)
    return section
