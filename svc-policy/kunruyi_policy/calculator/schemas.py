from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from kunruyi_policy.rules.variables import EntityType


class CalculatedEntity(BaseModel):
    """The entity whose stored profile was evaluated (only when asked by id)."""

    entity_type: EntityType = Field(description="主体类型")
    entity_id: str = Field(description="企业统一社会信用代码、talent_id 或团队编号 team_id")


class CalculatorAnswer(BaseModel):
    """The calculator's answer. `?detail=compact` (default) lists eligible, needs_confirmation, needs_data and
    excluded items without traces; `?detail=full` carries instead the profile, every result with its full
    criteria trace, and the rule versions used."""

    evaluation_date: str = Field(description="评估日期（ISO 8601）", examples=["2025-06-30"])
    beneficiary: EntityType = Field(description="画像所属主体类型")
    missing_data: list[str] = Field(description="画像中标为未知的变量")
    summary: dict[str, int] = Field(
        description="按状态计数、差一点数（almost），以及金额（分）：eligible_amount_fen、tax_relief_amount_fen、"
        "possible_amount_fen"
    )
    almost: list[dict[str, Any]] = Field(
        description="差一点：policy_code、title 与缺口说明；精简答复只列金额最高的 10 项（summary.almost 为总数），"
        "detail=full 列出全部"
    )
    entity: CalculatedEntity | None = Field(None, description="按 entity_id 计算时的主体")
    # compact (default)
    detail: Literal["compact"] | None = Field(None, description="compact 答复为 `compact`；full 答复无此字段")
    eligible: list[dict[str, Any]] | None = Field(
        None,
        description="compact：符合的政策（policy_code、title、department、benefit_kind、mode、legal_source、"
        "document_code、amount_fen，可有 stacking）",
    )
    needs_confirmation: list[dict[str, Any]] | None = Field(
        None, description="compact：需确认的政策，含 max_amount_fen 与 to_confirm（待确认条件）"
    )
    needs_data: list[dict[str, Any]] | None = Field(
        None, description="compact：需补充数据的政策，含 missing_data"
    )
    excluded: list[dict[str, Any]] | None = Field(
        None, description="compact：因叠加规则被排除的政策与排除原因"
    )
    # full
    profile: dict[str, Any] | None = Field(None, description="full：评估所用画像")
    results: list[dict[str, Any]] | None = Field(None, description="full：每项政策的状态、金额与逐条理由")
    versions_used: list[dict[str, Any]] | None = Field(None, description="full：每项政策所用的版本")
