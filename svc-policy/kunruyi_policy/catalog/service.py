"""Listing and searching the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.pagination import decode_cursor, encode_cursor, invalid_cursor
from sqlalchemy import and_, any_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository, search
from kunruyi_policy.catalog.access import DepartmentReader
from kunruyi_policy.catalog.schemas import DEFAULT_NOTICE_DAYS, REVIEW_STAGE_ORDER
from kunruyi_policy.models import Policy, PolicyVersion


@dataclass
class PolicyFilters:
    department: str | None = None
    category: str | None = None
    theme: str | None = None
    policy_type: str | None = None
    mode: str | None = None
    beneficiary: str | None = None
    status: str | None = None
    tag: str | None = None


def policy_public(
    policy: Policy, names: repository.Names, current_version: int | None = None
) -> dict[str, Any]:
    return {
        "code": policy.code,
        "title": policy.title,
        "legal_source": policy.legal_source,
        "department_code": policy.department_code,
        "department": names.departments.get(policy.department_code, ""),
        "category_code": policy.category_code,
        "category": names.categories.get(policy.category_code, ""),
        "theme_code": policy.theme_code,
        "theme": names.themes.get(policy.theme_code, ""),
        "policy_type": policy.policy_type,
        "beneficiary": policy.beneficiary,
        "mode": policy.mode,
        "target_description": policy.target_description,
        "conditions_text": policy.conditions_text,
        "payout_days": policy.payout_days,
        "annual_budget_fen": policy.annual_budget_fen,
        "status": effective_status(policy),
        "valid_from": policy.valid_from,
        "valid_to": policy.valid_to,
        "tags": list(policy.tags or []),
        "is_demo": policy.is_demo,
        "document_code": policy.document_code,
        "benefit_kind": policy.benefit_kind,
        "exclusion_group": policy.exclusion_group,
        "stacking_group": policy.stacking_group,
        "once_per_entity": policy.once_per_entity,
        "current_version": current_version,
    }


def policy_detail(policy: Policy, names: repository.Names, versions: list[PolicyVersion]) -> dict[str, Any]:
    """An item as its detail page shows it: the catalog fields, the guide, the rules in force and the versions."""
    in_force = repository.version_in_force(versions, local_today())
    body = policy_public(policy, names, in_force.version if in_force else None)
    body["guide"] = policy_guide(policy)
    body["rules"] = repository.version_public(in_force) if in_force else None
    body["versions"] = [repository.version_public(v) for v in versions]
    return body


def review_stages_of(policy: Policy) -> list[str]:
    """The policy's review stages, or the default workflow (every stage) when it sets none."""
    return list(policy.review_stages or REVIEW_STAGE_ORDER)


def policy_guide(policy: Policy) -> dict[str, Any]:
    return {
        "plain_summary": policy.plain_summary or "",
        "faq": list(policy.faq or []),
        "materials": list(policy.materials or []),
        "application_window": policy.application_window or "",
        "review_stages": review_stages_of(policy),
        "notice_days": policy.notice_days if policy.notice_days is not None else DEFAULT_NOTICE_DAYS,
    }


def effective_status(policy: Policy) -> str:
    """A published item whose validity has ended reads as expired without anyone having to flip it."""
    if policy.status == "published" and policy.valid_to is not None and policy.valid_to < local_today():
        return "expired"
    return policy.status


def _resolve(value: str | None, mapping: dict[str, str]) -> str | None:
    """Filters accept a code or a Chinese name."""
    if value is None:
        return None
    if value in mapping:
        return value
    for code, name in mapping.items():
        if name == value:
            return code
    return value


async def list_policies(
    session: AsyncSession,
    filters: PolicyFilters,
    *,
    q: str | None,
    limit: int,
    cursor: str | None,
    reader: DepartmentReader,
) -> dict[str, Any]:
    """A page of the catalog; drafts only those ``reader`` may see (its own department's, staff only)."""
    names = await repository.load_names(session)
    query = select(Policy)
    department = _resolve(filters.department, names.departments)
    category = _resolve(filters.category, names.categories)
    theme = _resolve(filters.theme, names.themes)
    for column, value in (
        (Policy.department_code, department),
        (Policy.category_code, category),
        (Policy.theme_code, theme),
        (Policy.policy_type, filters.policy_type),
        (Policy.mode, filters.mode),
        (Policy.beneficiary, filters.beneficiary),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.status is not None:
        today = local_today()
        lapsed = Policy.valid_to < today
        if filters.status == "expired":
            query = query.where(or_(Policy.status == "expired", and_(Policy.status == "published", lapsed)))
        elif filters.status == "published":
            query = query.where(Policy.status == "published", or_(Policy.valid_to.is_(None), ~lapsed))
        else:
            query = query.where(Policy.status == filters.status)
    if filters.tag:
        query = query.where(literal(filters.tag) == any_(Policy.tags))
    visible = reader.visible()
    if visible is not None:
        query = query.where(visible)
    # A ranked search pages by offset ("o"), the plain list by the last code ("after").
    decoded = decode_cursor(cursor, 1)
    position = decoded[0] if decoded is not None else {}
    if not isinstance(position, dict):
        raise invalid_cursor()
    if q and q.strip():
        rows = list((await session.execute(query)).scalars())
        by_code = {p.code: p for p in rows}
        ranked = search.rank(q, [(p.code, p.search_tokens) for p in rows])
        offset = position.get("o", 0)
        if not isinstance(offset, int) or offset < 0:
            raise invalid_cursor()
        page = ranked[offset : offset + limit]
        versions = await _current_versions(session, [by_code[c].id for c, _ in page])
        items = []
        for code, score in page:
            item = policy_public(by_code[code], names, versions.get(by_code[code].id))
            item["score"] = round(score, 4)
            items.append(item)
        more = offset + limit < len(ranked)
        return {"items": items, "next_cursor": encode_cursor({"o": offset + limit}) if more else None}
    after = position.get("after")
    if after:
        query = query.where(Policy.code > str(after))
    rows = list((await session.execute(query.order_by(Policy.code).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    versions = await _current_versions(session, [p.id for p in rows])
    return {
        "items": [policy_public(p, names, versions.get(p.id)) for p in rows],
        "next_cursor": encode_cursor({"after": rows[-1].code}) if more and rows else None,
    }


async def _current_versions(session: AsyncSession, policy_ids: list[Any]) -> dict[Any, int]:
    """The version in force today per policy."""
    if not policy_ids:
        return {}
    today = local_today()
    rows = await session.execute(
        select(PolicyVersion.policy_id, func.max(PolicyVersion.version))
        .where(
            PolicyVersion.policy_id.in_(policy_ids),
            PolicyVersion.state == "published",
            PolicyVersion.effective_from <= today,
        )
        .group_by(PolicyVersion.policy_id)
    )
    return dict(rows.all())


def refresh_search_tokens(policy: Policy, department: str, category: str, theme: str) -> None:
    policy.search_tokens = search.searchable_text(
        [
            policy.title,
            policy.title,
            policy.target_description,
            policy.conditions_text,
            policy.legal_source,
            department,
            category,
            theme,
            " ".join(policy.tags or []),
        ]
    )
