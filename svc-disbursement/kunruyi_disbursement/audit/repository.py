"""Queries of the hash-chained audit log, over the Core tables of ``kunruyi_disbursement.tables``.

The appender runs at commit on the unit of work's sync connection (``Connection``); the readers are async."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, and_, cast, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.agreements.tables import funding_agreements
from kunruyi_disbursement.programs.tables import (
    program_applications,
    program_calls,
    program_objections,
    programs,
)
from kunruyi_disbursement.tables import applications, audit_chain_head, audit_log, disbursements, policies

h = audit_chain_head.c
log = audit_log.c


def lock_head(conn: Connection) -> Any:
    """The chain's tip (last_seq, last_hash), locked until commit: appenders chain in commit order without forks."""
    return conn.execute(select(h.last_seq, h.last_hash).where(h.id == 1).with_for_update()).one()


# Kept as SQL: the entries (any number, as arrays through ``unnest``: a fixed number of parameters) and the new tip
# are written in one statement, so the log and its head never disagree.
APPEND = text(
    "WITH e AS (INSERT INTO audit_log (seq, occurred_at, actor, action, entity_type, entity_id, data, "
    "prev_hash, hash) SELECT s, at, a, act, et, eid, CAST(d AS jsonb), p, h FROM unnest("
    "CAST(:seq AS bigint[]), CAST(:at AS timestamptz[]), CAST(:actor AS text[]), CAST(:action AS text[]), "
    "CAST(:et AS text[]), CAST(:eid AS text[]), CAST(:data AS text[]), CAST(:prev AS text[]), "
    "CAST(:hash AS text[])) AS t(s, at, a, act, et, eid, d, p, h)) "
    "UPDATE audit_chain_head SET last_seq = :last_seq, last_hash = :last_hash WHERE id = 1"
)


def append(conn: Connection, columns: dict[str, Any]) -> None:
    conn.execute(APPEND, columns)


async def entries_from(session: AsyncSession, seq: int, limit: int) -> Sequence[Any]:
    """Up to ``limit`` entries from ``seq`` on, in chain order."""
    statement = select(audit_log).where(log.seq >= seq).order_by(log.seq).limit(limit)
    return (await session.execute(statement)).all()


async def head(session: AsyncSession) -> Any:
    return (await session.execute(select(h.last_seq, h.last_hash).where(h.id == 1))).one()


def about_departments(departments: list[str]) -> ColumnElement[bool]:
    """Entries about a record of ``departments``: a policy, its budgets, applications and disbursements (a
    disbursement's own department or its policy's), a talent program, its calls, applications, objections and funding
    agreements — and the reconciliation runs, whose entries hold the day's counts only. Entries about anything else
    (an enterprise, a policy without a department) are the admins'."""
    codes = select(policies.c.code).where(policies.c.department.in_(departments))
    disbursement_department = func.coalesce(
        disbursements.c.department,
        select(policies.c.department).where(policies.c.code == disbursements.c.policy_code).scalar_subquery(),
    )
    program_ids = select(programs.c.id).where(programs.c.department.in_(departments))
    call_ids = select(program_calls.c.id).where(program_calls.c.program_id.in_(program_ids))

    def ids(column: Any, where: ColumnElement[bool]) -> Any:
        return select(cast(column, String)).where(where)

    by_type: dict[str, Any] = {
        "policy": codes,
        "application": ids(applications.c.id, applications.c.policy_code.in_(codes)),
        "disbursement": ids(disbursements.c.id, disbursement_department.in_(departments)),
        "program": ids(programs.c.id, programs.c.department.in_(departments)),
        "program_call": ids(program_calls.c.id, program_calls.c.id.in_(call_ids)),
        "program_application": ids(program_applications.c.id, program_applications.c.call_id.in_(call_ids)),
        "program_objection": ids(program_objections.c.id, program_objections.c.call_id.in_(call_ids)),
        "funding_agreement": ids(funding_agreements.c.id, funding_agreements.c.department.in_(departments)),
    }
    return or_(
        *(and_(log.entity_type == kind, log.entity_id.in_(query)) for kind, query in by_type.items()),
        # budget:<policy code>:<fiscal year>
        and_(
            log.entity_type == "budget",
            func.regexp_replace(log.entity_id, "^budget:(.*):[0-9]+$", "\\1").in_(codes),
        ),
        log.entity_type == "reconciliation",
    )


async def latest(
    session: AsyncSession,
    *,
    action: str | None,
    entity_type: str | None,
    entity_id: str | None,
    limit: int,
    departments: list[str] | None = None,
) -> Sequence[Any]:
    """The newest entries, optionally of one action and/or about one entity; with ``departments``, only entries
    about these departments' records (:func:`about_departments`)."""
    statement = select(
        log.seq, log.occurred_at, log.actor, log.action, log.entity_type, log.entity_id, log.data
    )
    if departments is not None:
        statement = statement.where(about_departments(departments))
    if action is not None:
        statement = statement.where(log.action == action)
    if entity_type is not None:
        statement = statement.where(log.entity_type == entity_type)
    if entity_id is not None:
        statement = statement.where(log.entity_id == entity_id)
    return (await session.execute(statement.order_by(log.seq.desc()).limit(limit))).all()
