"""Events svc-policy publishes (schemas registered in the common catalog)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from kunruyi_common.events import event_type
from pydantic import BaseModel, Field


@event_type(
    "kunruyi.policy.entitlement.determined",
    description=(
        "免申即享：某主体在某期间符合某政策，金额已确定。每个 (policy, entity, period, sequence) 恰好一次；"
        "sequence ≥ 1 为补充认定（同期新增贷款，supplement_of 指向原认定，loan_keys 为所覆盖的贷款）。"
    ),
)
class EntitlementDetermined(BaseModel):
    entitlement_id: str
    policy_code: str
    policy_title: str
    department: str
    version: int
    period: str
    entity_type: Literal["enterprise", "talent"]
    entity_id: str
    amount_fen: int = Field(gt=0)
    mode: Literal["automatic"] = "automatic"
    trace_digest: str
    # 补充认定 (added fields, defaults keep older consumers and events valid): 0 the period's entitlement; n ≥ 1 a
    # supplement for loans that closed after it, with its own entitlement_id, paid as its own disbursement
    sequence: int = Field(0, ge=0)
    supplement_of: str | None = None
    # a financing item's entitlement: the loans it covers ("<institution>|<loan number>"); null for other items
    loan_keys: list[str] | None = None


class PolicyChanged(BaseModel):
    code: str
    title: str
    department: str
    mode: str
    beneficiary: str
    version: int
    annual_budget_fen: int
    max_amount_fen: int | None
    valid_from: date
    valid_to: date | None
    status: str
    # how applications are reviewed (svc-disbursement's workflow); absent in events before 2026-12
    review_stages: list[str] | None = None
    notice_days: int | None = None


@event_type("kunruyi.policy.policy.published", description="政策首次发布（含版本与预算）")
class PolicyPublished(PolicyChanged):
    pass


@event_type("kunruyi.policy.policy.version_added", description="已发布政策新增了一个带生效日期的版本")
class PolicyVersionAdded(PolicyChanged):
    pass


@event_type(
    "kunruyi.policy.policy.updated",
    description="已发布政策的目录信息变更（名称、预算、审核环节、公示天数等），规则与版本不变",
)
class PolicyUpdated(PolicyChanged):
    pass


@event_type("kunruyi.policy.policy.suspended", description="政策暂停执行")
class PolicySuspended(PolicyChanged):
    pass


@event_type(
    "kunruyi.policy.reach.gained",
    description="政策早知道：某主体的画像变化后新符合（或仅需人工确认）一项需申报的政策，每次进入可及范围时一次",
)
class ReachGained(BaseModel):
    policy_code: str
    policy_title: str
    department: str
    mode: str
    entity_type: Literal["enterprise", "talent"]
    entity_id: str
    status: Literal["eligible", "needs_confirmation"]
    amount_fen: int | None


@event_type(
    "kunruyi.policy.reach.lost",
    description="政策早知道：某主体的画像变化后不再符合此前已在可及范围内的需申报政策（如资质过期、指标回落），每次离开时一次",
)
class ReachLost(BaseModel):
    policy_code: str
    policy_title: str
    department: str
    entity_type: Literal["enterprise", "talent"]
    entity_id: str
