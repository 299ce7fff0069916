from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

Activity = Literal["政策宣讲", "辅导", "问需求", "送政策"]
ACTIVITIES: tuple[str, ...] = ("政策宣讲", "辅导", "问需求", "送政策")


class TeamIn(RequestModel):
    name: str = Field(min_length=1, max_length=60, description="服务队名称")
    leader: str = Field(min_length=1, max_length=60, description="队长（也是队员）")
    members: list[str] = Field(default_factory=list, max_length=50, description="队员（不含队长亦可）")


class CampaignCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "2026-service-month",
                    "name": "2026 年企业服务月",
                    "period_start": "2026-05-01",
                    "period_end": "2026-05-31",
                    "districts": ["开发区", "周市"],
                    "teams": [{"name": "第一服务队", "leader": "韩主任", "members": ["朱专员", "孙科长"]}],
                    "target_enterprises": ["91320583MA1XXXXXXX"],
                    "goal_visits": 160,
                    "goal_problems": 200,
                    "goal_reply_rate": 1.0,
                    "goal_solve_rate": 0.95,
                }
            ]
        }
    )

    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$", description="活动编号")
    name: str = Field(min_length=2, max_length=120)
    period_start: date
    period_end: date
    districts: list[str] = Field(default_factory=list, max_length=20, description="覆盖的区镇（见统一分类）")
    teams: list[TeamIn] = Field(min_length=1, max_length=50)
    target_enterprises: list[str] = Field(
        default_factory=list, max_length=5000, description="走访目标企业信用代码"
    )
    target_talents: list[uuid.UUID] = Field(
        default_factory=list, max_length=5000, description="走访目标人才编号"
    )
    goal_visits: int | None = Field(default=None, ge=0, le=1_000_000)
    goal_problems: int | None = Field(default=None, ge=0, le=1_000_000)
    goal_reply_rate: float | None = Field(default=None, ge=0, le=1)
    goal_solve_rate: float | None = Field(default=None, ge=0, le=1)
    goal_on_time_rate: float | None = Field(default=None, ge=0, le=1, description="按时答复率目标")
    goal_satisfaction: float | None = Field(
        default=None, ge=1, le=5, description="满意度目标（评价均分：满意 5、基本满意 3、不满意 1）"
    )


class TeamOut(BaseModel):
    name: str
    leader: str
    members: list[str]


class CampaignOut(BaseModel):
    code: str
    name: str
    period_start: date
    period_end: date
    districts: list[str]
    teams: list[TeamOut]
    target_enterprises: int = Field(description="目标企业数")
    target_talents: int = Field(description="目标人才数")
    goal_visits: int | None
    goal_problems: int | None
    goal_reply_rate: float | None
    goal_solve_rate: float | None
    goal_on_time_rate: float | None = None
    goal_satisfaction: float | None = None
    created_at: datetime


class CampaignPage(BaseModel):
    items: list[CampaignOut]


class ProblemIn(RequestModel):
    type: str = Field(description="诉求类型（决定承办部门，见 GET /service-desk/types）")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)


class VisitCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "team": "第一服务队",
                    "visited_on": "2026-05-08",
                    "enterprise_uscc": "91320583MA1XXXXXXX",
                    "activities": ["政策宣讲", "问需求", "送政策"],
                    "policies_delivered": ["KS-RD-001"],
                    "problems": [{"type": "融资需求", "title": "扩产需要中长期贷款"}],
                }
            ]
        }
    )

    team: str = Field(min_length=1, max_length=60)
    visited_on: date
    enterprise_uscc: str | None = None
    talent_id: uuid.UUID | None = None
    activities: list[Activity] = Field(default_factory=list, max_length=4)
    policies_delivered: list[str] = Field(
        default_factory=list, max_length=50, description="送达的政策编号（来自政策计算器）"
    )
    problems: list[ProblemIn] = Field(default_factory=list, max_length=50, description="每个问题生成一张工单")


class VisitOut(BaseModel):
    id: uuid.UUID
    team: str
    visited_on: date
    target_kind: str
    target: str
    activities: list[str]
    policies_delivered: list[str]
    source: str
    tickets: list[str] = Field(description="由本次走访的问题生成的工单号")


class VisitPage(BaseModel):
    items: list[VisitOut]


class SheetError(BaseModel):
    row: int = Field(description="表格行号（表头为第 1 行）")
    column: str
    reason: str


class SheetReport(BaseModel):
    dry_run: bool
    rows: int
    visits: int = Field(description="表中的走访数（同一日期、服务队、对象的行合为一次走访）")
    problems: int
    written: bool
    errors: list[SheetError]


class Rates(BaseModel):
    visits: int
    visited_targets: int
    targets: int | None = Field(description="目标数（仅合计）")
    problems: int
    replied: int
    solved: int
    on_time: int
    rated: int
    reply_rate: float | None
    solve_rate: float | None
    on_time_rate: float | None
    satisfaction: float | None


class GroupRates(Rates):
    key: str


class Goals(BaseModel):
    visits: int | None
    problems: int | None
    reply_rate: float | None
    solve_rate: float | None
    on_time_rate: float | None = None
    satisfaction: float | None = None
    met: dict[str, bool] = Field(description="各项目标是否达成")


class CampaignStats(BaseModel):
    code: str
    totals: Rates
    goals: Goals
    by_team: list[GroupRates]
    by_district: list[GroupRates]
