"""Queries of disbursements, over the Core tables of ``kunruyi_disbursement.tables``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.tables import disbursements, policies, superseded_payments

d = disbursements.c


async def insert_disbursement(session: AsyncSession, values: dict[str, Any]) -> Row[Any] | None:
    """Insert the disbursement; None when one exists for its (policy, entity, period)."""
    statement = (
        insert(disbursements)
        .values(**values)
        .on_conflict_do_nothing(constraint="uq_disbursements_policy_entity_period")
        .returning(disbursements)
    )
    row: Row[Any] | None = (await session.execute(statement)).first()
    return row


async def held_in_periods(
    session: AsyncSession, keys: Sequence[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], int]:
    """(policy code, entity type, entity id, period) → the amount its disbursements not rejected already hold
    (a supplement's cap check: the period's total stays within the policy's cap)."""
    if not keys:
        return {}
    statement = (
        select(d.policy_code, d.entity_type, d.entity_id, d.period, func.sum(d.amount_fen))
        .where(
            tuple_(d.policy_code, d.entity_type, d.entity_id, d.period).in_(list(keys)),
            d.status != "rejected",
        )
        .group_by(d.policy_code, d.entity_type, d.entity_id, d.period)
    )
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in (await session.execute(statement)).all()}


async def update_returning(session: AsyncSession, disbursement_id: uuid.UUID, **values: Any) -> Row[Any]:
    """Set ``values`` (and ``updated_at``) on the disbursement; the row after."""
    statement = (
        update(disbursements)
        .where(d.id == disbursement_id)
        .values(updated_at=func.now(), **values)
        .returning(disbursements)
    )
    row: Row[Any] = (await session.execute(statement)).one()
    return row


async def mark_reserved(session: AsyncSession, disbursement_id: uuid.UUID, actor: str | None) -> Row[Any]:
    """Reserved now; approved by ``actor`` now unless an approval is already recorded."""
    return await update_returning(
        session,
        disbursement_id,
        status="reserved",
        reserved_at=func.now(),
        approved_by=func.coalesce(d.approved_by, actor),
        approved_at=func.coalesce(d.approved_at, func.now()),
    )


async def set_values(session: AsyncSession, disbursement_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(disbursements).where(d.id == disbursement_id).values(**values))


async def set_status_many(session: AsyncSession, ids: list[uuid.UUID], **values: Any) -> None:
    await session.execute(update(disbursements).where(d.id.in_(ids)).values(**values))


async def with_department(
    session: AsyncSession, disbursement_id: uuid.UUID, *, lock: bool
) -> Row[Any] | None:
    """The disbursement with ``policy_department`` (its own department or its policy's), locked when ``lock`` (the
    disbursement's row, not its policy's)."""
    statement = select(disbursements, _department().label("policy_department")).where(d.id == disbursement_id)
    if lock:
        statement = statement.with_for_update(of=disbursements)
    return (await session.execute(statement)).first()


async def insert_superseded(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(superseded_payments).values(**values))


async def claim_awaiting(
    session: AsyncSession,
    *,
    policy_code: str | None,
    fiscal_year: int | None,
    limit: int,
    skip_locked: bool,
) -> list[Row[Any]]:
    statement = select(disbursements).where(d.status == "awaiting_budget")
    if policy_code is not None:
        statement = statement.where(d.policy_code == policy_code)
    if fiscal_year is not None:
        statement = statement.where(d.fiscal_year == fiscal_year)
    statement = statement.order_by(d.created_at, d.id).limit(limit).with_for_update(skip_locked=skip_locked)
    return list((await session.execute(statement)).all())


async def get(session: AsyncSession, disbursement_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(disbursements).where(d.id == disbursement_id))).first()


def _department() -> Any:
    """A disbursement's department: its own, or its policy's (the rule every step of it follows)."""
    return func.coalesce(
        d.department, select(policies.c.department).where(policies.c.code == d.policy_code).scalar_subquery()
    )


async def page(
    session: AsyncSession,
    *,
    status: str | None,
    entity_id: str | None,
    policy_code: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    departments: list[str] | None = None,
) -> Sequence[Row[Any]]:
    """Newest first, keyset-paginated after ``after`` (created_at, id); ``limit`` rows at most; with
    ``departments``, only these departments' disbursements."""
    statement = select(disbursements)
    if departments is not None:
        statement = statement.where(_department().in_(departments))
    if status is not None:
        statement = statement.where(d.status == status)
    if entity_id is not None:
        statement = statement.where(d.entity_id == entity_id)
    if policy_code is not None:
        statement = statement.where(d.policy_code == policy_code)
    if after is not None:
        statement = statement.where(tuple_(d.created_at, d.id) < tuple_(*after))
    statement = statement.order_by(d.created_at.desc(), d.id.desc()).limit(limit)
    return (await session.execute(statement)).all()


async def counts_by_status(
    session: AsyncSession, *, entity_id: str | None, departments: list[str] | None = None
) -> dict[str, int]:
    statement = select(d.status, func.count()).group_by(d.status)
    if departments is not None:
        statement = statement.where(_department().in_(departments))
    if entity_id is not None:
        statement = statement.where(d.entity_id == entity_id)
    return {str(s): int(n) for s, n in (await session.execute(statement)).all()}


async def policies_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await session.execute(select(policies).where(policies.c.code.in_(codes)))).all()
    return {r.code: r for r in rows}


# Bulk statements of the 免申即享 intake (``batch.py``), kept as SQL: ``unnest`` over arrays sends a batch of any size
# as a fixed number of parameters (a multi-row VALUES would take one parameter per cell and hits PostgreSQL's 32767
# limit at a few thousand rows), and is one plan for every batch size.
INSERT_AUTOMATIC = text(
    """
    INSERT INTO disbursements (id, mode, policy_code, policy_version, department, district, entity_type, entity_id,
        period, fiscal_year, amount_fen, entitlement_id, status, reservation_id, approved_by, approved_at,
        sequence, supplement_of)
    SELECT id, 'automatic', pc, pv, dept, dist, et, eid, period, fy, amount, ent, 'pending_approval', rid,
           CASE WHEN auto THEN 'system:auto' END, CASE WHEN auto THEN now() END, seq, sup
    FROM unnest(CAST(:id AS uuid[]), CAST(:pc AS text[]), CAST(:pv AS int[]), CAST(:dept AS text[]),
                CAST(:dist AS text[]), CAST(:et AS text[]), CAST(:eid AS text[]), CAST(:period AS text[]),
                CAST(:fy AS int[]), CAST(:amount AS bigint[]), CAST(:ent AS text[]), CAST(:rid AS uuid[]),
                CAST(:auto AS bool[]), CAST(:seq AS int[]), CAST(:sup AS text[]))
         AS t(id, pc, pv, dept, dist, et, eid, period, fy, amount, ent, rid, auto, seq, sup)
    ON CONFLICT ON CONSTRAINT uq_disbursements_policy_entity_period DO NOTHING
    RETURNING id, policy_code, policy_version, entity_type, entity_id, fiscal_year, amount_fen, entitlement_id,
              reservation_id, approved_by, created_at
    """
)

INSERT_ACCOUNTS = text(
    "INSERT INTO ledger_accounts (id, code, kind, policy_code, fiscal_year, entity_type, entity_id, "
    "must_not_overdraw) SELECT id, code, kind, pc, fy, et, eid, kind = 'budget' FROM unnest("
    "CAST(:id AS uuid[]), CAST(:code AS text[]), CAST(:kind AS text[]), CAST(:pc AS text[]), "
    "CAST(:fy AS int[]), CAST(:et AS text[]), CAST(:eid AS text[])) AS t(id, code, kind, pc, fy, et, eid) "
    "ON CONFLICT (id) DO NOTHING"
)

APPLY_ACCOUNT_DELTAS = text(
    "UPDATE ledger_accounts a SET debits_pending = a.debits_pending + v.dp, "
    "debits_posted = a.debits_posted + v.dq, credits_pending = a.credits_pending + v.cp, "
    "credits_posted = a.credits_posted + v.cq FROM unnest(CAST(:id AS uuid[]), CAST(:dp AS bigint[]), "
    "CAST(:dq AS bigint[]), CAST(:cp AS bigint[]), CAST(:cq AS bigint[])) AS v(id, dp, dq, cp, cq) "
    "WHERE a.id = v.id"
)

INSERT_TRANSFERS = text(
    "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount_fen, phase, pending_id, "
    "cause_type, cause_id, rule_version, memo) SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:d AS uuid[]), "
    "CAST(:c AS uuid[]), CAST(:a AS bigint[]), CAST(:ph AS text[]), CAST(:p AS uuid[]), CAST(:ct AS text[]), "
    "CAST(:ci AS text[]), CAST(:rv AS int[]), CAST(:m AS text[]))"
)


async def insert_automatic(session: AsyncSession, columns: dict[str, list[Any]]) -> list[Row[Any]]:
    return list((await session.execute(INSERT_AUTOMATIC, columns)).all())


async def insert_accounts(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await session.execute(INSERT_ACCOUNTS, columns)


async def apply_account_deltas(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await session.execute(APPLY_ACCOUNT_DELTAS, columns)


async def insert_transfers(session: AsyncSession, columns: dict[str, list[Any]]) -> None:
    await session.execute(INSERT_TRANSFERS, columns)
