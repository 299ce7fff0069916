"""Answers of the report endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

GroupBy = Literal["policy", "department", "district", "month", "mode"]


class ReportRow(BaseModel):
    key: str = Field(
        description="分组值：政策编码、部门、区镇、月份（YYYY-MM，北京时间）或兑现方式"
        "（automatic 免申即享 | quick 即申即享 | application 申报）"
    )
    title: str | None = Field(
        None, description="按政策分组时的政策名称，按方式分组时方式的中文名（其他分组为空）"
    )
    projects: int
    amount_fen: int
    automatic_projects: int = Field(description="其中免申即享的项目数")
    automatic_amount_fen: int = Field(description="其中免申即享的金额（分）")
    quick_projects: int = Field(description="其中即申即享的项目数")
    quick_amount_fen: int = Field(description="其中即申即享的金额（分）")


class ReportTotals(BaseModel):
    projects: int
    amount_fen: int
    automatic_projects: int
    automatic_amount_fen: int
    quick_projects: int
    quick_amount_fen: int


class DisbursementReport(BaseModel):
    """Disbursements settled (in the date range), grouped; the largest amount first."""

    group_by: GroupBy
    items: list[ReportRow]
    totals: ReportTotals
    summary: str = Field(
        description="一句话摘要，如「累计兑现 3.7万个项目 54亿元，其中免申即享 1.1万个 14亿元」"
    )
