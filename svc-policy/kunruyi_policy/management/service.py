"""Writing policies: create, edit, save a draft version, publish it with an effective date, suspend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.clock import local_today
from kunruyi_common.errors import OtherDepartment
from kunruyi_common.events import add_event
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.service import refresh_search_tokens, review_stages_of
from kunruyi_policy.entitlements.service import queue_publication
from kunruyi_policy.events import (
    PolicyChanged,
    PolicyPublished,
    PolicySuspended,
    PolicyUpdated,
    PolicyVersionAdded,
)
from kunruyi_policy.exceptions import NoDraft, PolicyNotFound
from kunruyi_policy.management.exceptions import (
    EffectiveDateTooEarly,
    InvalidRule,
    InvalidValidity,
    PolicyCodeTaken,
    PolicyExpired,
    PolicyNotPublished,
    UnknownDepartment,
    UnknownDocument,
    UnknownStackingGroup,
    UnknownTheme,
)
from kunruyi_policy.management.schemas import PolicyCreate, PolicyUpdate, RulesIn
from kunruyi_policy.models import (
    BackgroundJob,
    Department,
    Policy,
    PolicyDocument,
    PolicyGroup,
    PolicyTheme,
    PolicyVersion,
)
from kunruyi_policy.rules.validation import RuleIssue, validate_version

SOURCE = "policy"


def check_department(principal: Principal | None, policy_department: str, department_name: str) -> None:
    """Officers manage their own department's policies; admins manage all."""
    if principal is None or "admin" in principal.roles:
        return
    if principal.department not in (policy_department, department_name):
        raise OtherDepartment(f"只能管理本部门（{principal.department or '未设置'}）的政策")


def rule_issues(policy: Policy, rules: RulesIn | dict[str, Any]) -> list[RuleIssue]:
    body = rules.model_dump() if isinstance(rules, RulesIn) else rules
    return validate_version(
        policy.beneficiary,
        body.get("criteria"),
        body.get("amount"),
        body.get("parameters") or {},
        mode=policy.mode,
        amount_cap_fen=body.get("amount_cap_fen"),
    )


def raise_on_issues(issues: list[RuleIssue]) -> None:
    if issues:
        first = issues[0]
        raise InvalidRule(
            f"规则无效：{first.path}：{first.message}",
            field=first.path,
            errors=[{"field": i.path, "code": i.code, "message": i.message} for i in issues],
        )


async def _names(session: AsyncSession, department_code: str, theme_code: str) -> tuple[str, PolicyTheme]:
    department = await session.get(Department, department_code)
    if department is None:
        raise UnknownDepartment(f"没有部门 {department_code}", field="department_code")
    theme = await session.get(PolicyTheme, theme_code)
    if theme is None:
        raise UnknownTheme(f"没有主题服务 {theme_code}", field="theme_code")
    return department.name, theme


async def create_policy(
    session: AsyncSession, data: PolicyCreate, principal: Principal | None, *, is_demo: bool = False
) -> Policy:
    department_name, theme = await _names(session, data.department_code, data.theme_code)
    check_department(principal, data.department_code, department_name)
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise InvalidValidity("失效日期早于生效日期", field="valid_to")
    if await repository.get_policy(session, data.code) is not None:
        raise PolicyCodeTaken(f"政策编码 {data.code} 已存在")
    if data.document_code is not None and await session.get(PolicyDocument, data.document_code) is None:
        raise UnknownDocument(f"没有政策文件 {data.document_code}", field="document_code")
    if data.stacking_group is not None and await session.get(PolicyGroup, data.stacking_group) is None:
        raise UnknownStackingGroup(f"没有叠加封顶组 {data.stacking_group}", field="stacking_group")
    policy = Policy(
        **data.model_dump(exclude={"theme_code"}),
        theme_code=theme.code,
        category_code=theme.category_code,
        status="draft",
        is_demo=is_demo,
    )
    names = await repository.load_names(session)
    refresh_search_tokens(policy, department_name, names.categories.get(theme.category_code, ""), theme.name)
    session.add(policy)
    await session.flush()
    return policy


async def update_policy(session: AsyncSession, policy: Policy, data: PolicyUpdate) -> Policy:
    changes = data.model_dump(exclude_unset=True)
    if "theme_code" in changes:
        theme = await session.get(PolicyTheme, changes["theme_code"])
        if theme is None:
            raise UnknownTheme(f"没有主题服务 {changes['theme_code']}", field="theme_code")
        policy.category_code = theme.category_code
    for key, value in changes.items():
        setattr(policy, key, value)
    if policy.valid_to is not None and policy.valid_to < policy.valid_from:
        raise InvalidValidity("失效日期早于生效日期", field="valid_to")
    names = await repository.load_names(session)
    refresh_search_tokens(
        policy,
        names.departments.get(policy.department_code, ""),
        names.categories.get(policy.category_code, ""),
        names.themes.get(policy.theme_code, ""),
    )
    await session.flush()
    if policy.status == "published" and changes.keys() & ANNOUNCED_FIELDS:
        await _announce_update(session, policy, names)
    return policy


# Catalog fields other services keep a copy of (svc-disbursement: title, budget, review stages, 公示 days).
ANNOUNCED_FIELDS = {"title", "annual_budget_fen", "valid_to", "review_stages", "notice_days"}


async def _announce_update(session: AsyncSession, policy: Policy, names: repository.Names) -> None:
    published = (
        await session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == policy.id, PolicyVersion.state == "published")
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if published is None:
        return
    payload = change_payload(
        policy, published.version, names.departments.get(policy.department_code, ""), published.amount_cap_fen
    )
    await add_event(session, SOURCE, PolicyUpdated(**payload), subject=policy.code)


async def draft_of(session: AsyncSession, policy: Policy) -> PolicyVersion | None:
    return (
        await session.execute(
            select(PolicyVersion).where(PolicyVersion.policy_id == policy.id, PolicyVersion.state == "draft")
        )
    ).scalar_one_or_none()


async def save_draft(
    session: AsyncSession, policy: Policy, rules: RulesIn, actor: str | None
) -> PolicyVersion:
    """Published versions are immutable: editing rules always writes the one open draft."""
    raise_on_issues(rule_issues(policy, rules))
    draft = await draft_of(session, policy)
    if draft is None:
        latest = (
            await session.execute(
                select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy.id)
            )
        ).scalar_one()
        draft = PolicyVersion(policy_id=policy.id, version=(latest or 0) + 1, state="draft")
        session.add(draft)
    draft.criteria = rules.criteria
    draft.amount = rules.amount
    draft.amount_cap_fen = rules.amount_cap_fen
    draft.parameters = rules.parameters
    draft.note = rules.note
    draft.created_by = actor
    await session.flush()
    return draft


def change_payload(policy: Policy, version: int, department_name: str, cap: int | None) -> dict[str, Any]:
    return {
        "code": policy.code,
        "title": policy.title,
        "department": department_name,
        "mode": policy.mode,
        "beneficiary": policy.beneficiary,
        "version": version,
        "annual_budget_fen": policy.annual_budget_fen,
        "max_amount_fen": cap,
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
        "status": policy.status,
        "review_stages": review_stages_of(policy),
        "notice_days": policy.notice_days,
    }


async def publish(
    session: AsyncSession, policy: Policy, effective_from: date, actor: str | None = None
) -> tuple[PolicyVersion, BackgroundJob | None]:
    """The draft becomes an immutable version, announced; an automatic policy's re-evaluation of the read model
    is queued as a background job (returned; none when the read model holds no entity it could apply to)."""
    if policy.status == "expired":
        raise PolicyExpired("政策已失效，不能发布新版本")
    draft = await draft_of(session, policy)
    if draft is None:
        raise NoDraft("没有待发布的草稿版本")
    raise_on_issues(
        rule_issues(
            policy,
            {
                "criteria": draft.criteria,
                "amount": draft.amount,
                "parameters": draft.parameters,
                "amount_cap_fen": draft.amount_cap_fen,
            },
        )
    )
    latest_effective = (
        await session.execute(
            select(func.max(PolicyVersion.effective_from)).where(
                PolicyVersion.policy_id == policy.id, PolicyVersion.state == "published"
            )
        )
    ).scalar_one()
    if latest_effective is not None and effective_from <= latest_effective:
        raise EffectiveDateTooEarly(
            f"生效日期须晚于现行版本的生效日期 {latest_effective.isoformat()}",
            field="effective_from",
        )
    first_publication = latest_effective is None
    draft.state = "published"
    draft.effective_from = effective_from
    draft.published_at = datetime.now(UTC)
    policy.status = "published"
    await session.flush()
    names = await repository.load_names(session)
    payload = change_payload(
        policy, draft.version, names.departments.get(policy.department_code, ""), draft.amount_cap_fen
    )
    event: PolicyChanged = PolicyPublished(**payload) if first_publication else PolicyVersionAdded(**payload)
    await add_event(session, SOURCE, event, subject=policy.code)
    job = None
    if policy.mode == "automatic":
        job = await queue_publication(
            session,
            policy.code,
            draft.version,
            actor,
            department=names.departments.get(policy.department_code) or policy.department_code,
        )
    return draft, job


async def suspend(session: AsyncSession, policy: Policy) -> None:
    if policy.status != "published":
        raise PolicyNotPublished("只有已发布的政策可以暂停")
    policy.status = "suspended"
    await session.flush()
    names = await repository.load_names(session)
    versions = await repository.versions_of(session, policy.id)
    current = repository.version_in_force(versions, local_today()) or (versions[-1] if versions else None)
    payload = change_payload(
        policy,
        current.version if current else 0,
        names.departments.get(policy.department_code, ""),
        current.amount_cap_fen if current else None,
    )
    await add_event(session, SOURCE, PolicySuspended(**payload), subject=policy.code)


async def get_for_staff(session: AsyncSession, code: str, principal: Principal) -> Policy:
    policy = await repository.get_policy(session, code)
    if policy is None:
        raise PolicyNotFound(f"政策 {code} 不存在")
    names = await repository.load_names(session)
    check_department(principal, policy.department_code, names.departments.get(policy.department_code, ""))
    return policy
