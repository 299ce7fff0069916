"""Who may open which console page: one dependency per queue, named for whom it admits. A signed-in staff member
without the role gets the 403 page (``console_role_required``); admins open every page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends

from kunruyi_gateway.console.exceptions import ConsoleRoleRequired
from kunruyi_gateway.console.roles import QUEUE_ROLES, ROLE_TITLES, may_open
from kunruyi_gateway.web.sessions import SignedIn, StaffSession


def console_roles(queue: str) -> Callable[..., Coroutine[Any, Any, SignedIn]]:
    async def dependency(session: StaffSession) -> SignedIn:
        if not may_open(queue, list(session.roles)):
            wanted = "、".join(ROLE_TITLES[r] for r in QUEUE_ROLES[queue])
            raise ConsoleRoleRequired(f"此页面仅供{wanted}（及管理员）使用；您的角色不包含这些")
        return session

    return dependency


OfficerDesk = Annotated[SignedIn, Depends(console_roles("tickets"))]
"""Staff with the officer role (the department's tickets)."""

OfficerReviewerOrApproverDesk = Annotated[SignedIn, Depends(console_roles("applications"))]
"""Staff with the officer, reviewer or approver role (the department's applications)."""

FinanceOrApproverDesk = Annotated[SignedIn, Depends(console_roles("finance"))]
"""Staff with the finance or approver role (disbursements awaiting approval, budgets)."""

BrokerOrOfficerDesk = Annotated[SignedIn, Depends(console_roles("broker"))]
"""Staff with the broker or officer role (technology demands)."""

CatalogDesk = Annotated[SignedIn, Depends(console_roles("catalog"))]
"""Staff with the officer role (their department's policy catalog: sheets in and out, publishing drafts)."""

AdminDesk = Annotated[SignedIn, Depends(console_roles("overview"))]
"""Administrators (the hub's overview)."""

ActivityDesk = Annotated[SignedIn, Depends(console_roles("activities"))]
"""Staff with the officer, reviewer or approver role (their department's activities: registrations, check-ins)."""

CockpitDesk = Annotated[SignedIn, Depends(console_roles("cockpit"))]
"""Any staff member, leaders (领导) included (the leaders' cockpit: targets, actuals, status, money paid)."""

IndicatorReporterDesk = Annotated[SignedIn, Depends(console_roles("indicator_reports"))]
"""Staff with the officer or approver role (reporting a quarter's value, approving another's; the lead department
is checked by svc-talent). A leader only reads."""

PlatformDesk = Annotated[SignedIn, Depends(console_roles("platforms"))]
"""Staff with the officer, reviewer, approver or broker role (the 科创平台 list with hosts, levels, expiry and
the last yearly review)."""

RunsDesk = Annotated[SignedIn, Depends(console_roles("runs"))]
"""Staff with the officer, finance or approver role (免申即享 runs and svc-policy's other background jobs)."""

ServiceCodeDesk = Annotated[SignedIn, Depends(console_roles("codes"))]
"""Staff with the officer role (昆e服 codes: bulk issue for a list of companies, print sheets, coverage)."""

DeliveriesDesk = Annotated[SignedIn, Depends(console_roles("deliveries"))]
"""Administrators (the SMS delivery log, phones masked, and its delivery rate)."""

ProgramDesk = Annotated[SignedIn, Depends(console_roles("programs"))]
"""Staff with the officer or approver role (their department's talent programs: calls, ranking, 公示 and its
objections; svc-disbursement refuses another department's and lets only officers resolve an objection)."""
