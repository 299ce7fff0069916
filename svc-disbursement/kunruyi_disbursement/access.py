"""Who may move money: the policy's department, and four eyes.

Every step of an application (受理, 初审, 复审, 公示, 审定, 不予通过, 退回补正, 公示异议), the approval or rejection of a
免申即享 disbursement, a reissue and a budget top-up are taken only by staff of the policy's department (the
``department`` claim of the staff token, the department's name as in svc-policy's catalog, e.g. ``科技局``);
admins act for every department. Otherwise 403 ``other_department``. A policy without a department is the
admins' alone.

Four eyes (per policy, ``policies.four_eyes``, on unless a policy turns it off): 初审 and 复审 are taken by two
different people, and 审定 by an approver who took neither (409 ``same_person``) — counted from the application's
current round of review (a resubmission after 补正 starts a new one); frozen onto an application when it is submitted,
so a later change of the policy never removes it from a review under way. It binds admins too: an admin is still one
person.

Reads follow the same rule (``ensure_department`` with a ``….read`` action): a single record of another department —
an application with its steps, objections and material, a disbursement, a talent program's application, objection or
funding agreement — is 403 ``other_department`` to its staff, and the lists (applications, disbursements, budgets,
the reconciliation runs' differences, the audit log) hold only their department's records
(:func:`visible_departments`). Partners (``disbursement:read``), the applicant's own channels and internal services
are not department staff and read as before; admins read everything.

Every refusal is written to the hash-chained audit log (``access.refused``): the refused request answers with its
problem, yet its unit of work commits that entry (see :func:`audited`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from kunruyi_common.auth import Principal
from kunruyi_common.errors import problem_response
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.audit import service as audit
from kunruyi_disbursement.exceptions import OtherDepartment, Refusal, SamePerson

T = TypeVar("T")


def ensure_department(
    principal: Principal | None,
    department: str | None,
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    what: str = "该政策",
) -> None:
    """Staff of ``department`` (or admins) only. ``principal`` None is the service itself (worker, consumer, seed);
    other callers (partners, services) never hold a staff role, and every step's role check refuses them. ``what``
    names the record in the refusal's words (a policy's, or 该人才计划 for a talent program's)."""
    if principal is None or principal.kind != "staff" or principal.acts_for(department):
        return
    raise OtherDepartment(
        (
            f"{what}由{department}办理，您所在的部门（{principal.department or '未设置'}）不能办理"
            if department is not None
            else f"{what}未指定主管部门，仅管理员可以办理"
        ),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        department=department,
        your_department=principal.department,
    )


def visible_departments(principal: Principal | None) -> list[str] | None:
    """The departments whose records a list shows ``principal``: None for every department (admins, partners,
    internal services, the service itself); for other staff their own department, or none at all when their token
    names no department (a policy without a department is the admins' alone)."""
    if principal is None or principal.kind != "staff" or "admin" in principal.roles:
        return None
    return [principal.department] if principal.department else []


def ensure_program_department(
    principal: Principal | None, department: str | None, *, entity_type: str, entity_id: str, action: str
) -> None:
    """:func:`ensure_department` for a talent program's records: the refusal names 该人才计划."""
    ensure_department(
        principal, department, entity_type=entity_type, entity_id=entity_id, action=action, what="该人才计划"
    )


def ensure_other_person(
    principal: Principal,
    earlier: dict[str, str],
    stages: tuple[str, ...],
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    titles: dict[str, str],
) -> None:
    """Four eyes: ``principal`` must not be who took any of ``stages`` (``earlier``: stage → subject)."""
    taken = [s for s in stages if earlier.get(s) == principal.subject]
    if taken:
        raise SamePerson(
            f"{'、'.join(titles.get(s, s) for s in taken)}已由您办理，此环节须由另一人办理",
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            stages_taken=taken,
        )


async def record_refusal(session: AsyncSession, principal: Principal | None, refusal: Refusal) -> None:
    await audit.append(
        session,
        actor=principal.subject if principal else None,
        action="access.refused",
        entity_type=refusal.entity_type,
        entity_id=refusal.entity_id,
        data={
            "code": refusal.code,
            "refused": refusal.action,
            "detail": refusal.detail,
            "principal_kind": principal.kind if principal else None,
            "roles": principal.roles if principal else [],
            "department": principal.department if principal else None,
            **{k: v for k, v in refusal.extra.items() if k not in ("your_department",)},
        },
    )


async def audited(
    session: AsyncSession,
    request: Request,
    principal: Principal | None,
    call: Callable[[], Awaitable[T]],
) -> T | JSONResponse:
    """Run ``call``; a :class:`Refusal` undoes whatever it began (a savepoint), is written to the audit log and
    answered as its problem — returned, not raised, so the request's unit of work commits the audit entry."""
    try:
        async with session.begin_nested():
            return await call()
    except Refusal as refusal:
        await record_refusal(session, principal, refusal)
        return problem_response(refusal.status, refusal.to_problem(request.url.path), refusal.headers)
