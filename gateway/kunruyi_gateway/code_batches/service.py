"""Bulk 昆e服 codes as a background job (the kit's job mechanism, ``kunruyi_common.jobs``).

The request checks every item (an enterprise's USCC, the industry chain, duplicates) and answers a problem naming
each bad item — one bad item and nothing is issued — then queues a job with the items. Any replica's worker issues
them ``code_batch_chunk_size`` a chunk, each chunk one transaction with its codes, their ``service_code.issued``
outbox rows and the job's cursor (the index of the next item): a replica that dies mid-chunk loses that chunk only,
and the one that takes the job over starts at the first item not committed — every code issued exactly once. A
cancelled batch keeps the codes already issued. Each code records its batch (``batch_job_id``) for the download.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from kunruyi_common import jobs
from kunruyi_common.errors import JobNotFound, ProblemError
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_gateway.code_batches.exceptions import CodeBatchRejected
from kunruyi_gateway.jobs.models import BackgroundJob
from kunruyi_gateway.service_codes import service as codes
from kunruyi_gateway.service_codes.access import Staff, department_of, ensure_may_manage
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.service_codes.schemas import ServiceCodeCreate
from kunruyi_gateway.settings import Settings

CODE_BATCH = "service_code_batch"
KIND_LABELS = {"enterprise": "企业", "park": "园区", "lounge": "人才会客厅"}


def job_url(job_id: uuid.UUID) -> str:
    return f"/api/v1/service-codes/batches/{job_id}"


def check_items(items: list[ServiceCodeCreate]) -> list[ServiceCodeCreate]:
    """The items as they will be issued (USCC upper-cased, the chain by its taxonomy name), or a problem listing
    every bad item by its field (``items[i].target``) — nothing is queued then."""
    problems: list[dict[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    checked: list[ServiceCodeCreate] = []
    for i, item in enumerate(items):
        target = item.target.strip()
        if item.kind == "enterprise":
            try:
                target = parse_uscc(target).code
            except InvalidIdentifier as exc:
                problems.append(
                    {"field": f"items[{i}].target", "message": f"统一社会信用代码无效：{exc.message}"}
                )
                continue
        try:
            chain = codes.chain_name(item.industry_chain)
        except ProblemError as exc:
            problems.append({"field": f"items[{i}].industry_chain", "message": exc.detail})
            continue
        key = (item.kind, target)
        if key in seen:
            problems.append(
                {"field": f"items[{i}].target", "message": f"{target} 与第 {seen[key] + 1} 项重复"}
            )
            continue
        seen[key] = i
        checked.append(item.model_copy(update={"target": target, "industry_chain": chain}))
    if problems:
        raise CodeBatchRejected(
            f"企业清单有 {len(problems)} 处问题，未生成任何码", field=problems[0]["field"], errors=problems
        )
    return checked


async def enqueue(
    session: AsyncSession, items: list[ServiceCodeCreate], issued_by: Staff, *, source: str
) -> BackgroundJob:
    """A queued batch of checked items (written in the caller's unit of work), belonging to the department of
    ``issued_by`` as the codes it issues do (its staff and admins cancel it)."""
    department = department_of(issued_by)
    return await jobs.enqueue(
        session,
        BackgroundJob,
        kind=CODE_BATCH,
        subject=f"service-codes:{issued_by.subject}"[:120],
        params={"items": len(items), "source": source},
        total=len(items),
        created_by=issued_by.subject,
        input={"items": [item.model_dump() for item in items], "issued_by": issued_by.subject},
        extra={"department": department},
    )


async def batch_chunk(session: AsyncSession, job: BackgroundJob, limit: int) -> jobs.Chunk:
    """The next at most ``limit`` codes of the batch, in the chunk's transaction."""
    payload = job.input or {}
    items: list[dict[str, Any]] = payload.get("items") or []
    start = int((job.cursor or {}).get("next", 0))
    batch = items[start : start + limit]
    for item in batch:
        await codes.issue(
            session,
            ServiceCodeCreate.model_validate(item),
            str(payload["issued_by"]),
            department=job.department,
            batch_job_id=job.id,
        )
    after = start + len(batch)
    finished = after >= len(items)
    return jobs.Chunk(
        len(batch),
        {"next": after},
        counts={"issued": len(batch)},
        finished=finished,
        result={"issued": after, "codes_url": f"{job_url(job.id)}/codes.csv"} if finished else None,
    )


async def get(session: AsyncSession, job_id: uuid.UUID) -> BackgroundJob:
    job = await jobs.get_job(session, BackgroundJob, job_id)
    if job.kind != CODE_BATCH:
        raise JobNotFound("后台任务不存在")
    return job


def public(job: BackgroundJob, now: Any) -> dict[str, Any]:
    return {
        **jobs.job_public(job, now, job_url(job.id)),
        "codes_url": f"{job_url(job.id)}/codes.csv",
        "department": job.department,
    }


async def _no_end(session: AsyncSession, job: Any) -> None:
    return None


async def cancel(session: AsyncSession, job_id: uuid.UUID, by: Staff) -> BackgroundJob:
    """Cancel the batch as ``by``: the staff of its department or an admin (another department: 403, checked on
    the locked row before anything changes)."""
    await get(session, job_id)

    def check(job: BackgroundJob) -> None:
        ensure_may_manage(by, job.department, "取消", "批量生成任务")

    return await jobs.cancel(session, BackgroundJob, job_id, _no_end, check=check)


async def issued(session: AsyncSession, job_id: uuid.UUID) -> list[ServiceCode]:
    """The codes the batch issued so far, in the order of its list."""
    query = (
        select(ServiceCode)
        .where(ServiceCode.batch_job_id == job_id)
        .order_by(ServiceCode.created_at, ServiceCode.id)
    )
    return list((await session.scalars(query)).all())


def as_csv(settings: Settings, rows: list[ServiceCode]) -> str:
    """The batch as a sheet to hand out or print from (UTF-8 with BOM, so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["名称", "类型", "统一社会信用代码/编号", "产业链", "二维码地址", "二维码图片（PNG）", "状态"]
    )
    for code in rows:
        public = codes.to_out(settings, code)
        writer.writerow(
            [
                public.name,
                KIND_LABELS.get(public.kind, public.kind),
                public.target,
                public.industry_chain or "",
                public.url,
                public.png_url,
                "已作废" if public.revoked_at else "有效",
            ]
        )
    return "\ufeff" + out.getvalue()
