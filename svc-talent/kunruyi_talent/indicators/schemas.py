"""What the indicator system reads and answers: definitions with target, actual and status; quarters; by 区镇;
reported values with their revisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

Status = Literal["on_track", "behind", "at_risk", "no_data"]

STATUS_NAMES: dict[str, str] = {
    "on_track": "进度正常",
    "behind": "略有滞后",
    "at_risk": "存在风险",
    "no_data": "暂无数据",
}


class IndicatorSummary(BaseModel):
    code: str
    name: str
    group: str
    unit: str
    kind: Literal["computed", "reported"]
    measure: Literal["level", "increase", "rate"]
    department: str
    baseline: float
    target: float
    target_year: int
    quarter: str | None = Field(description="the quarter of the actual value, e.g. 2025Q3")
    actual: float | None
    expected: float | None = Field(description="the value on the linear path from baseline to target")
    progress: float | None = Field(description="(actual − baseline) / (target − baseline), 0..1+")
    status: Status
    status_name: str


class IndicatorList(BaseModel):
    as_of: str
    items: list[IndicatorSummary]


class QuarterValue(BaseModel):
    quarter: str
    actual: float | None
    expected: float
    status: Status


class DistrictValue(BaseModel):
    district: str
    district_name: str
    actual: float


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    quarter: str
    revision: int
    value: float
    note: str
    department: str
    submitted_by: str
    submitted_name: str | None
    submitted_at: datetime
    approved_by: str | None
    approved_name: str | None
    approved_at: datetime | None
    approved: bool


class IndicatorDetail(IndicatorSummary):
    quarters: list[QuarterValue]
    by_district: list[DistrictValue]
    reports: list[ReportOut] = Field(description="reported indicators: every submission, revisions included")


class ReportIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"quarter": "2025Q3", "value": 4.2, "unit": "%", "note": "统计局季度快报口径"}]
        },
    )

    quarter: str = Field(examples=["2025Q3"], max_length=6)
    value: float
    unit: str = Field(max_length=8, description="must equal the indicator's unit (a guard against 万 vs 个)")
    note: str = Field(default="", max_length=2000)


class AnnualRow(IndicatorSummary):
    year_quarters: list[QuarterValue]


class AnnualReport(BaseModel):
    """年度监测分析: every indicator at the year's last quarter with data, against the linear path."""

    year: int
    as_of: str
    counts: dict[str, int] = Field(description="indicators per status (on_track, behind, at_risk, no_data)")
    items: list[AnnualRow]
