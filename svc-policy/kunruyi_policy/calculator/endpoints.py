from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse, Response
from kunruyi_common.auth import OptionalPrincipal
from kunruyi_common.clock import local_today
from kunruyi_common.db import ReadSessionDep
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_policy.calculator.exceptions import BeneficiaryRequired, EntityTypeRequired, ProfileRequired
from kunruyi_policy.calculator.schemas import CalculatorAnswer
from kunruyi_policy.calculator.service import (
    check_read_by_id,
    collector_paused,
    prepare,
    profile_for_entity,
    validated_profile,
)
from kunruyi_policy.catalog.repository import REVISION_WATCH
from kunruyi_policy.rules.variables import VARIABLES, EntityType

router = APIRouter(prefix="/api/v1", tags=["政策计算器 calculator"])


async def watch_catalog_revision(app: FastAPI) -> None:
    """on_startup: the calculator's revision watch takes its bound from the settings, and forgets the token after
    every commit of this process (a catalog write through this replica is seen by the next answer)."""
    REVISION_WATCH.max_age_s = app.state.settings.calculator_catalog_max_age_s
    REVISION_WATCH.forget()
    after_commit = getattr(app.state, "after_commit", None)
    if after_commit is not None:
        after_commit.register(REVISION_WATCH.forget)


class CalculatorIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_type": "enterprise",
                    "entity_id": "91320583MA1KR8Y29Y",
                    "evaluation_date": "2025-06-30",
                }
            ]
        },
        extra="forbid",
    )

    profile: dict[str, Any] | None = Field(None, description="画像（变量见 /api/v1/policy-variables）")
    beneficiary: EntityType | None = Field(
        None, description="画像所属主体类型：enterprise 企业、talent 人才、team 创新创业团队"
    )
    entity_type: EntityType | None = None
    entity_id: str | None = Field(
        None, max_length=64, description="企业统一社会信用代码、talent_id 或团队编号 team_id"
    )
    evaluation_date: date | None = Field(None, description="评估日期（默认今天），决定适用的版本与参数")
    policy_codes: list[str] | None = Field(None, max_length=500)


class VariableOut(BaseModel):
    name: str
    type: str
    unit: str | None
    label: str
    entity_type: str
    minimum: float | None
    maximum: float | None
    values: list[str] | None
    default: Any
    description: str | None = None  # for a derived variable: 由…计算


class VariableList(BaseModel):
    items: list[VariableOut]


@router.post(
    "/policy-calculator",
    summary="政策计算器：画像 → 每项政策的符合情况、金额、逐条理由与“差一点”",
    response_class=JSONResponse,
    response_model=CalculatorAnswer,
)
async def post_calculator(
    body: CalculatorIn,
    session: ReadSessionDep,  # reads only: no commit, no outbox wake-up
    principal: OptionalPrincipal,
    detail: Annotated[
        Literal["compact", "full"],
        Query(
            description="compact（默认）：符合、需确认（最高金额）、需补充数据、差一点；full：逐条理由的完整答复"
        ),
    ] = "compact",
) -> Response:
    at = body.evaluation_date or local_today()
    if body.entity_id is not None:
        if body.entity_type is None:
            raise EntityTypeRequired("提供 entity_id 时需要 entity_type", field="entity_type")
        # The stored profile is the entity's own figures: only the company itself, staff, a partner holding
        # policy:read or a service may read it by id. Anyone else sends a profile.
        check_read_by_id(principal, body.entity_type, body.entity_id)
        beneficiary = body.entity_type
        profile = await profile_for_entity(session, beneficiary, body.entity_id)
    elif body.profile is not None:
        if body.beneficiary is None:
            raise BeneficiaryRequired("提供 profile 时需要 beneficiary", field="beneficiary")
        beneficiary = body.beneficiary
        profile = validated_profile(beneficiary, body.profile)
    else:
        raise ProfileRequired("需要 profile 或 entity_type + entity_id", field="profile")
    calculation = await prepare(
        session, beneficiary, profile, at, codes=body.policy_codes, entity_id=body.entity_id
    )
    entity = {"entity_type": beneficiary, "entity_id": body.entity_id} if body.entity_id is not None else None
    with collector_paused():  # nothing below awaits; the answer is freed before the collector resumes
        if detail == "compact":
            # encoded from per-version fragments: the bytes JSONResponse would give for compact(answer)
            return Response(calculation.compact_json(entity), media_type="application/json")
        result = calculation.answer(traced=True)
        if entity is not None:
            result["entity"] = entity
        # The answer is plain JSON already; skipping FastAPI's generic encoder matters for 463 traced results.
        result["evaluation_date"] = at.isoformat()
        response = JSONResponse(result)
        del result
    return response


@router.get(
    "/policy-variables", response_model=VariableList, summary="画像变量字典（规则只能引用这里的变量）"
)
async def get_variables(entity_type: EntityType | None = None) -> dict[str, Any]:
    return {"items": [v.public() for v in VARIABLES if entity_type is None or v.entity_type == entity_type]}
