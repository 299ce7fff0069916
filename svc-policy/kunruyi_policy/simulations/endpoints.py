from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from kunruyi_common.clock import local_today
from kunruyi_common.db import SessionDep
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_policy.exceptions import NoDraft
from kunruyi_policy.management.schemas import RulesIn
from kunruyi_policy.management.service import draft_of, get_for_staff
from kunruyi_policy.simulations.auth import Officer
from kunruyi_policy.simulations.schemas import SimulationResult
from kunruyi_policy.simulations.service import simulate

router = APIRouter(prefix="/api/v1", tags=["政策沙盘 simulations"])


class SimulationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"policy_code": "KS-KJ-001", "evaluation_date": "2025-06-30"}]},
        extra="forbid",
    )

    policy_code: str = Field(max_length=60)
    draft: RulesIn | None = Field(None, description="待评估的规则；省略时使用已保存的草稿版本")
    evaluation_date: date | None = None


@router.post(
    "/policy-simulations",
    summary="政策沙盘：草稿与现行版本对比（增减人数、成本对预算、按区镇与产业链），不发布",
)
async def post_simulation(body: SimulationIn, session: SessionDep, principal: Officer) -> SimulationResult:
    policy = await get_for_staff(session, body.policy_code, principal)
    if body.draft is not None:
        draft = body.draft.model_dump()
    else:
        saved = await draft_of(session, policy)
        if saved is None:
            raise NoDraft("没有可模拟的草稿版本，请在请求中提供 draft")
        draft = {
            "criteria": saved.criteria,
            "amount": saved.amount,
            "amount_cap_fen": saved.amount_cap_fen,
            "parameters": saved.parameters,
        }
    result = await simulate(session, policy, draft, body.evaluation_date or local_today())
    return SimulationResult.model_validate(result)
