"""The local read model of svc-policy's catalog: enough to know a policy code, its cap, validity, mode and budget.

Filled from ``kunruyi.policy.policy.published|suspended|version_added|updated`` events (which carry the review
stages and 公示 days svc-policy owns): the catalog is where a policy's rules come from. A budget top-up may register
a *placeholder* for a code nobody knows yet (tests, demos, a policy not yet in the catalog; ``source`` local), never
change a known policy; the catalog's first event about the code replaces the placeholder whole.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from kunruyi_common.errors import InvalidPeriod
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.exceptions import UnknownPolicy
from kunruyi_disbursement.policies import repository
from kunruyi_disbursement.policies.exceptions import AmountOverCap, PeriodOutsideValidity, PolicyNotOpen
from kunruyi_disbursement.policies.schemas import LocalPolicy, PolicyData

DEFAULT_REVIEW_STAGES = ["accepted", "first_review", "second_review", "public_notice", "approved", "paid"]
_PERIOD_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<m>0[1-9]|1[0-2])|Q(?P<q>[1-4])|H(?P<h>[12])))?$")


async def upsert_policy(
    session: AsyncSession,
    data: PolicyData | dict[str, Any],
    *,
    source: str = "event",
    district: str | None = None,
    review_stages: list[str] | None = None,
    notice_days: int | None = None,
    four_eyes: bool | None = None,
) -> None:
    p = data if isinstance(data, PolicyData) else PolicyData.model_validate(data)
    # A late, older version never overwrites a newer one.
    await repository.upsert(
        session,
        {
            "code": p.code,
            "title": p.title,
            "department": p.department,
            "mode": p.mode,
            "beneficiary": p.beneficiary,
            "version": p.version,
            "annual_budget_fen": p.annual_budget_fen,
            "max_amount_fen": p.max_amount_fen,
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
            "status": p.status,
            "source": source,
        },
        district=district,
        review_stages=review_stages,
        notice_days=notice_days,
        four_eyes=four_eyes,
    )


async def register_placeholder(session: AsyncSession, code: str, p: LocalPolicy) -> bool:
    """A local placeholder for ``code`` when no policy has it (True); a known policy — from the catalog or an
    earlier placeholder — is never changed (False)."""
    return await repository.insert_if_absent(
        session,
        {
            "code": code,
            "title": p.title,
            "department": p.department,
            "district": p.district,
            "mode": p.mode,
            "beneficiary": p.beneficiary,
            "version": p.version,
            "max_amount_fen": p.max_amount_fen,
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
            "status": "published",
            "source": "local",
        },
        review_stages=p.review_stages,
        four_eyes=p.four_eyes,
        notice_days=p.notice_days,
    )


async def get_policy(session: AsyncSession, code: str) -> Any | None:
    return await repository.get(session, code)


def period_bounds(period: str, field: str = "period") -> tuple[date, date]:
    m = _PERIOD_RE.match(period)
    if m is None:
        raise InvalidPeriod("期间格式应为 2026、2026-03、2026-Q1 或 2026-H1", field=field)
    year = int(m["y"])
    if m["m"]:
        month = int(m["m"])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if m["q"]:
        q = int(m["q"])
        end_month = q * 3
        return date(year, end_month - 2, 1), date(year, end_month, calendar.monthrange(year, end_month)[1])
    if m["h"]:
        h = int(m["h"])
        return (date(year, 1, 1), date(year, 6, 30)) if h == 1 else (date(year, 7, 1), date(year, 12, 31))
    return date(year, 1, 1), date(year, 12, 31)


def fiscal_year_of(period: str) -> int:
    return period_bounds(period)[0].year


async def require_policy(session: AsyncSession, code: str, *, field: str = "policy_code") -> Any:
    policy = await get_policy(session, code)
    if policy is None:
        raise UnknownPolicy(f"未知的政策编码：{code}", field=field)
    if policy.status not in ("published", "active"):
        raise PolicyNotOpen(f"政策 {code} 当前不可申报（{policy.status}）", field=field)
    return policy


def check_period(policy: Any, period: str, *, field: str = "period") -> None:
    start, end = period_bounds(period, field)
    if (policy.valid_to is not None and start > policy.valid_to) or (
        policy.valid_from is not None and end < policy.valid_from
    ):
        raise PeriodOutsideValidity(
            f"期间 {period} 不在政策有效期（{policy.valid_from} 至 {policy.valid_to or '长期'}）内",
            field=field,
        )


def check_amount(policy: Any, amount_fen: int, *, field: str = "amount_fen") -> None:
    if policy.max_amount_fen is not None and amount_fen > policy.max_amount_fen:
        raise AmountOverCap(f"金额超过政策上限 {policy.max_amount_fen} 分", field=field)
