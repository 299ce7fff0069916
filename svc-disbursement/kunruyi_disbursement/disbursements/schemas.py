"""Requests and answers of the disbursement endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_disbursement.schemas import Timestamp


class RejectBody(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "收款账户户名与企业名称不一致"}]})

    reason: str = Field(min_length=1, max_length=500)


class ReissueBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "企业已更正收款账户，重新发起支付"}]}
    )

    comment: str = Field(min_length=1, max_length=500, description="为何重新支付（如：收款账户已更正）")


class DisbursementRead(BaseModel):
    """One payment owed to one beneficiary for one (policy, period)."""

    id: str
    mode: str = Field(description="automatic（免申即享）| application（申报）")
    policy_code: str
    policy_version: int | None
    department: str | None
    district: str | None
    entity_type: str
    entity_id: str
    entity_name: str | None = Field(
        None,
        description="企业名称或人才姓名（来自人才服务的登记事件；工作人员与内部服务看到全名，其他调用方看到人才的姓）",
    )
    policy_title: str | None = Field(None, description="政策名称（来自政策目录事件）")
    period: str
    fiscal_year: int
    amount_fen: int = Field(description="金额（分）")
    entitlement_id: str | None
    sequence: int = Field(0, description="补充认定序号：0 为本期认定的拨付，≥1 为同期新增贷款的补充认定")
    supplement_of: str | None = Field(None, description="补充认定所补充的原认定（entitlement_id）")
    application_id: str | None
    status: str = Field(
        description="pending_approval | awaiting_budget | reserved | instructing | instructed | settled | failed"
        " | returned | rejected"
    )
    bank_reference: str = Field(description="银行支付参考号（重新支付时更换）")
    approved_by: str | None
    approved_at: Timestamp | None
    reserved_at: Timestamp | None
    instruction_sent_at: Timestamp | None
    instruction_attempts: int
    bank_status: str | None
    settled_at: Timestamp | None
    failure_reason: str | None
    created_at: Timestamp
    updated_at: Timestamp


class DisbursementPage(BaseModel):
    items: list[DisbursementRead]
    next_cursor: str | None
    counts: dict[str, int] = Field(description="各状态的拨付数（按 entity_id 筛选时只计该对象的）")
