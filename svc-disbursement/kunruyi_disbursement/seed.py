"""Demo data (idempotent): policies in the local read model (codes as svc-policy's demo catalog), their 2026
budgets, payees, applications at several review stages, and disbursements in every state.

Everything is written through the same service functions the API uses, in one transaction, so the ledger and the
audit chain are consistent; a marker (the seed's first application) makes a second run a no-op.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.auth import Principal
from kunruyi_common.db import create_engine, create_sessionmaker
from kunruyi_common.settings import ServiceSettings
from kunruyi_common.validators import build_uscc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_disbursement.applications import schemas as application_schemas
from kunruyi_disbursement.applications import service as applications
from kunruyi_disbursement.applications import workflow as review
from kunruyi_disbursement.budgets.schemas import BudgetFunding
from kunruyi_disbursement.budgets.service import fund_budget
from kunruyi_disbursement.disbursements import repository as disbursement_rows
from kunruyi_disbursement.disbursements.service import create_disbursement, reject
from kunruyi_disbursement.disbursements.service import get as get_disbursement
from kunruyi_disbursement.payments.payees import register_payee
from kunruyi_disbursement.payments.schemas import PayeeIn
from kunruyi_disbursement.payments.settlement import BankUpdate, apply_bank_update
from kunruyi_disbursement.policies.schemas import LocalPolicy
from kunruyi_disbursement.policies.service import require_policy
from kunruyi_disbursement.settings import Settings
from kunruyi_disbursement.tables import applications as applications_table

WAN = 10_000 * 100  # 1万元 in fen
SEED_NAMESPACE = uuid.UUID("3b0c7d8e-5f1a-4c2b-9e6d-7a8b9c0d1e2f")

POLICIES: list[tuple[str, LocalPolicy, int]] = [
    (
        "KS-KJ-001",
        LocalPolicy(
            title="高新技术企业认定奖励",
            department="科技局",
            district="玉山镇",
            mode="automatic",
            max_amount_fen=30 * WAN,
            valid_from=datetime(2025, 1, 1).date(),
        ),
        6000 * WAN,
    ),
    (
        "KS-KJ-005",
        LocalPolicy(
            title="企业研发费用补助",
            department="科技局",
            district="高新区",
            mode="automatic",
            max_amount_fen=200 * WAN,
            valid_from=datetime(2022, 1, 1).date(),
        ),
        8000 * WAN,
    ),
    # A deliberately small budget, so the demo shows disbursements waiting for a top-up.
    (
        "KS-GX-001",
        LocalPolicy(
            title="专精特新中小企业奖励",
            department="工信局",
            district="花桥",
            mode="automatic",
            max_amount_fen=20 * WAN,
            valid_from=datetime(2023, 1, 1).date(),
        ),
        20 * WAN,
    ),
    (
        "KS-SB-012",
        LocalPolicy(
            title="工业企业研发投入后补助",
            department="工信局",
            district="开发区",
            mode="application",
            max_amount_fen=100 * WAN,
            valid_from=datetime(2023, 1, 1).date(),
            notice_days=0,
        ),
        2000 * WAN,
    ),
    (
        "KS-SB-032",
        LocalPolicy(
            title="科技成果转化项目资助（二档）",
            department="科技局",
            district="周市镇",
            mode="application",
            max_amount_fen=100 * WAN,
            valid_from=datetime(2023, 1, 1).date(),
            notice_days=5,
        ),
        2000 * WAN,
    ),
]


def demo_uscc(n: int) -> str:
    return build_uscc(f"MA{n:06d}")


def staff(*roles: str, department: str | None = None, subject: str | None = None) -> Principal:
    return Principal(
        kind="staff",
        subject=subject or f"demo-{roles[0]}",
        name="演示经办人",
        roles=list(roles),
        department=department,
    )


async def _automatic(
    session: AsyncSession, policy: str, n: int, amount_fen: int, *, approve: bool = True
) -> Any:
    return await create_disbursement(
        session,
        mode="automatic",
        policy_code=policy,
        policy_version=1,
        department=None,
        district=None,
        entity_type="enterprise",
        entity_id=demo_uscc(n),
        period="2026",
        amount_fen=amount_fen,
        entitlement_id=str(uuid.uuid5(SEED_NAMESPACE, f"{policy}|{n}")),
        approved_by="system:auto",
        needs_approval=not approve,
    )


async def _bank(session: AsyncSession, d: Any, status: str, sequence: int, *, in_flight: bool = True) -> None:
    if in_flight:
        await disbursement_rows.set_values(
            session, d.id, status="instructed", instruction_sent_at=func.now(), instruction_attempts=1
        )
    await apply_bank_update(
        session,
        BankUpdate(
            reference=str(d.reservation_id),
            status=status,
            sequence=sequence,
            amount_fen=d.amount_fen,
            settled_at=datetime.now(UTC),
        ),
        source="seed",
    )


async def seed_data(session: AsyncSession, settings: Settings) -> bool:
    marker = (
        await session.execute(
            select(applications_table.c.id).where(applications_table.c.external_ref == "SEED-0001")
        )
    ).first()
    if marker is not None:
        return False
    finance = staff("finance")
    for code, policy, budget in POLICIES:
        await fund_budget(
            session,
            BudgetFunding(
                policy_code=code,
                fiscal_year=2026,
                amount_fen=budget,
                policy=policy,
                memo="2026 年度预算（演示）",
            ),
            finance.subject,
            uuid.uuid5(SEED_NAMESPACE, f"budget|{code}|2026"),
        )
    await register_payee(
        session,
        settings,
        PayeeIn(
            entity_type="enterprise",
            entity_id=demo_uscc(1),
            account_name="昆山演示精密机械有限公司",
            account_number="6228480402564890018",
            bank_name="农业银行昆山支行",
        ),
        finance.subject,
    )

    # 免申即享 disbursements in every state.
    settled = await _automatic(session, "KS-KJ-001", 1, 30 * WAN)
    await _bank(session, settled, "settled", 2)
    failed = await _automatic(session, "KS-KJ-001", 2, 30 * WAN)
    await _bank(session, failed, "failed", 2)
    returned = await _automatic(session, "KS-KJ-005", 3, 85 * WAN)
    await _bank(session, returned, "settled", 2)
    await _bank(
        session,
        await get_disbursement(session, returned.id),
        "returned",
        3,
        in_flight=False,
    )
    await _automatic(session, "KS-KJ-005", 4, 120 * WAN)  # reserved: the payment worker will pay it
    await _automatic(
        session, "KS-KJ-005", 5, 260 * WAN, approve=False
    )  # above auto-approval: approver's queue
    queued = await _automatic(session, "KS-KJ-005", 6, 300 * WAN, approve=False)
    await reject(session, queued.id, "demo-approver", "与已拨付的同类奖励重复")
    await _automatic(session, "KS-GX-001", 7, 20 * WAN)  # uses the whole small budget
    await _automatic(session, "KS-GX-001", 8, 20 * WAN)  # awaiting_budget until finance tops up
    for n in range(9, 15):
        d = await _automatic(session, "KS-KJ-001", n, 30 * WAN)
        await _bank(session, d, "settled", 2)

    # Applications at several stages of review.
    steps = [
        ("officer", "accepted"),
        ("reviewer", "first_review"),
        ("reviewer", "second_review"),
        ("reviewer", "public_notice"),
        ("approver", "approved"),
    ]
    plans = [
        ("KS-SB-012", 21, 80 * WAN, 0),
        ("KS-SB-012", 22, 60 * WAN, 2),
        ("KS-SB-032", 23, 90 * WAN, 4),
        ("KS-SB-012", 24, 100 * WAN, 5),
        ("KS-SB-012", 25, 50 * WAN, 5),
        ("KS-SB-032", 26, 40 * WAN, 1),
        ("KS-SB-032", 27, 70 * WAN, 2),
    ]
    for i, (plan_policy, n, amount, upto) in enumerate(plans, start=1):
        app = await applications.submit(
            session,
            application_schemas.ApplicationIn(
                policy_code=plan_policy,
                applicant_type="enterprise",
                applicant_id=demo_uscc(n),
                period="2026",
                amount_fen=amount,
                channel="yiqilaiban" if i % 2 else "api",
                external_ref=f"SEED-{i:04d}",
            ),
            Principal(kind="partner", subject="demo-yiqilaiban", scopes=["disbursement:write"]),
        )
        # Staff of the policy's department, one person per stage (four eyes).
        department = (await require_policy(session, plan_policy)).department
        for role, stage in steps[:upto]:
            app = await review.advance(
                session,
                app.id,
                application_schemas.StepIn(to_status=stage, comment=f"演示：{stage}"),
                staff(role, department=department, subject=f"demo-{stage}"),
            )
        if i == 6:
            await review.reject(
                session,
                app.id,
                application_schemas.RejectIn(reason="项目尚未通过验收"),
                staff("reviewer", department=department),
            )
        if i == 7:
            await review.return_for_supplement(
                session,
                app.id,
                application_schemas.ReturnIn(comment="请补充项目验收报告"),
                staff("reviewer", department=department),
            )
        if i == 5:  # approved and paid
            d = await get_disbursement(session, app.disbursement_id)
            await _bank(session, d, "settled", 2)
    return True


async def seed(settings: ServiceSettings) -> None:
    assert isinstance(settings, Settings)
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_data(session, settings)
    finally:
        await engine.dispose()
