"""policy_0014 gives the jobs already stored their department where it is known: an import the department of the
officer who queued it, a publication's re-evaluation the policy's; a 免申即享 run stays without one."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import asyncpg
from alembic import command
from kunruyi_common.db.migrations import alembic_config
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from kunruyi_policy.demo.seed import seed_taxonomy
from kunruyi_policy.models import Policy
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

JOB = (
    "INSERT INTO background_jobs (id, kind, params, subject, status, total, done, chunks, counts, input, attempts, "
    "created_by) VALUES ($1, $2, $3::jsonb, $4, 'queued', 1, 0, 0, '{}'::jsonb, $5::jsonb, 0, 'x')"
)


async def test_stored_jobs_get_their_department(infra: Infra) -> None:
    await ensure_databases(infra.database_admin_url, ["test_policy_job_department"], recreate=True)
    url = with_database(infra.database_admin_url, "test_policy_job_department")
    cfg = alembic_config("kunruyi_policy", url)
    await asyncio.to_thread(command.upgrade, cfg, "policy_0013")
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as s:
            await seed_taxonomy(s)
            s.add(
                Policy(
                    code="KS-T-MIG",
                    title="迁移测试",
                    legal_source="昆科规〔2025〕9号",
                    department_code="sci_tech",
                    category_code="innovation",
                    theme_code="innovation_rd",
                    policy_type="奖补",
                    beneficiary="enterprise",
                    mode="automatic",
                    valid_from=date(2024, 1, 1),
                )
            )
            await s.commit()
    finally:
        await engine.dispose()
    imported, evaluated, run, by_admin = (uuid.uuid4() for _ in range(4))
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        principal = {"kind": "staff", "subject": "kj", "roles": ["officer"], "department": "科技局"}
        admin = {"kind": "staff", "subject": "root", "roles": ["admin"], "department": None}
        await conn.execute(
            JOB,
            imported,
            "catalog_import",
            "{}",
            "catalog-import:kj",
            json.dumps({"rows": [], "principal": principal}),
        )
        await conn.execute(
            JOB,
            by_admin,
            "catalog_import",
            "{}",
            "catalog-import:root",
            json.dumps({"rows": [], "principal": admin}),
        )
        await conn.execute(
            JOB,
            evaluated,
            "policy_evaluation",
            json.dumps({"policy_code": "KS-T-MIG"}),
            "policy:KS-T-MIG:1",
            None,
        )
        await conn.execute(JOB, run, "entitlement_run", "{}", "entitlement-run:1", None)
        await asyncio.to_thread(command.upgrade, cfg, "head")
        rows = {
            r["id"]: r["department"] for r in await conn.fetch("SELECT id, department FROM background_jobs")
        }
    finally:
        await conn.close()
    assert rows == {imported: "科技局", evaluated: "科技局", run: None, by_admin: None}
