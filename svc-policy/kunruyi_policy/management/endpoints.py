from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import IdempotencyKey, idempotent

from kunruyi_policy.catalog import repository
from kunruyi_policy.catalog.schemas import PolicyDetailOut, VersionOut
from kunruyi_policy.catalog.service import policy_detail
from kunruyi_policy.jobs.service import job_url
from kunruyi_policy.management import service
from kunruyi_policy.management.auth import Officer
from kunruyi_policy.management.schemas import (
    PolicyCreate,
    PolicyUpdate,
    PublishedOut,
    PublishIn,
    RulesIn,
    ValidationOut,
)
from kunruyi_policy.rules.warnings import rule_warnings

router = APIRouter(prefix="/api/v1", tags=["政策管理 management"])


async def _detail(session: Any, policy: Any) -> dict[str, Any]:
    names = await repository.load_names(session)
    return policy_detail(policy, names, await repository.versions_of(session, policy.id))


@router.post("/policies", response_model=PolicyDetailOut, status_code=201, summary="新建政策（草稿）")
async def create_policy(
    body: PolicyCreate, session: SessionDep, principal: Officer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def produce() -> tuple[int, PolicyDetailOut]:
        policy = await service.create_policy(session, body, principal)
        return 201, PolicyDetailOut.model_validate(await _detail(session, policy))

    return await idempotent(session, idempotency_key, principal, "policies", body, produce)


@router.patch("/policies/{code}", response_model=PolicyDetailOut, summary="编辑政策目录信息")
async def update_policy(
    code: str, body: PolicyUpdate, session: SessionDep, principal: Officer
) -> dict[str, Any]:
    policy = await service.get_for_staff(session, code, principal)
    await service.update_policy(session, policy, body)
    return await _detail(session, policy)


@router.put("/policies/{code}/draft", response_model=VersionOut, summary="保存草稿版本（保存时校验规则）")
async def save_draft(code: str, body: RulesIn, session: SessionDep, principal: Officer) -> dict[str, Any]:
    policy = await service.get_for_staff(session, code, principal)
    draft = await service.save_draft(session, policy, body, principal.subject)
    return repository.version_public(draft)


@router.post("/policies/{code}/validate", response_model=ValidationOut, summary="校验规则（不保存）")
async def validate(code: str, body: RulesIn, session: SessionDep, principal: Officer) -> dict[str, Any]:
    policy = await service.get_for_staff(session, code, principal)
    issues = service.rule_issues(policy, body)
    warnings = rule_warnings(policy.beneficiary, body.criteria)
    return {
        "valid": not issues,
        "errors": [i.public() for i in issues],
        "warnings": [w.public() for w in warnings],
    }


@router.post(
    "/policies/{code}/publish",
    response_model=PublishedOut,
    summary="发布草稿为新版本（指定生效日期）；免申即享政策的读模型重评估排入后台任务",
)
async def publish(
    code: str,
    body: PublishIn,
    session: SessionDep,
    principal: Officer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> tuple[int, PublishedOut]:
        policy = await service.get_for_staff(session, code, principal)
        version, job = await service.publish(session, policy, body.effective_from, principal.subject)
        return 200, PublishedOut.model_validate(
            {
                **repository.version_public(version),
                "evaluation_job_id": str(job.id) if job else None,
                "evaluation_job_url": job_url(job.id) if job else None,
            }
        )

    return await idempotent(session, idempotency_key, principal, f"policies/{code}/publish", body, produce)


@router.post("/policies/{code}/suspend", response_model=PolicyDetailOut, summary="暂停政策")
async def suspend(
    code: str, session: SessionDep, principal: Officer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def produce() -> tuple[int, PolicyDetailOut]:
        policy = await service.get_for_staff(session, code, principal)
        await service.suspend(session, policy)
        return 200, PolicyDetailOut.model_validate(await _detail(session, policy))

    return await idempotent(session, idempotency_key, principal, f"policies/{code}/suspend", None, produce)
