from __future__ import annotations

import uuid
from datetime import date, datetime

from kunruyi_common.clock import local_today
from kunruyi_common.fields import Uscc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kunruyi_matching.taxonomy import normalise_chain
from kunruyi_matching.text.validation import MAX_FEN, Text


class ChallengeCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "1200V 碳化硅功率模块国产化",
                    "goal": "实现车规级碳化硅功率模块的国产替代。",
                    "requirements": "通过 AEC-Q101 认证，良率不低于 95%。",
                    "industry_chain": "新能源汽车",
                    "budget_fen": 500000000,
                    "deadline": "2026-12-31",
                    "publisher_uscc": "91320583MA1KR8Y29Y",
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    title: Text = Field(min_length=1, max_length=200)
    goal: Text = Field(min_length=1, max_length=5000)
    requirements: Text = Field(min_length=1, max_length=5000)
    industry_chain: str
    budget_fen: int = Field(gt=0, le=MAX_FEN)
    deadline: date
    publisher_uscc: Uscc | None = None

    @field_validator("industry_chain")
    @classmethod
    def _chain(cls, value: str) -> str:
        code = normalise_chain(value)
        if code is None:
            raise ValueError(f"未知产业链：{value}")
        return code

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: date) -> date:
        if value < local_today():
            raise ValueError("揭榜截止日期不能早于今天")
        return value


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "team_name": "功率器件攻关团队",
                    "leader": "张伟",
                    "organization": "昆山某某半导体研究院",
                    "proposal": "采用新型终端结构提升 1200V 器件的可靠性，12 个月完成样品验证。",
                }
            ]
        },
        str_strip_whitespace=True,
        extra="forbid",
    )

    team_name: Text = Field(min_length=1, max_length=120)
    leader: Text = Field(min_length=1, max_length=60)
    organization: Text = Field(min_length=1, max_length=200)
    proposal: Text = Field(min_length=1, max_length=10000)


class ScoreCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"score": 86, "comment": "技术路线清晰", "reviewer": "专家甲"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    score: int = Field(ge=0, le=100)
    comment: Text | None = Field(default=None, max_length=2000)
    # The panel member, when an officer records the score for them (a reviewer scores as themselves).
    reviewer: Text | None = Field(default=None, min_length=1, max_length=120)


class AwardCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"application_id": "3f6c2a0e-8b1d-4c5e-9a7f-1d2e3c4b5a69"}]},
        extra="forbid",
    )

    application_id: uuid.UUID


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "样品流片完成", "note": "首批 20 片样品已交付测试"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    title: Text = Field(min_length=1, max_length=200)
    note: Text | None = Field(default=None, max_length=2000)


class AcceptanceCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "各项指标达到榜单要求，同意验收"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    note: Text | None = Field(default=None, max_length=2000)


class ApplicationOut(BaseModel):
    id: uuid.UUID
    team_name: str
    leader: str
    organization: str
    proposal: str
    scores: int
    average_score: float | None


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    note: str | None
    recorded_by: str
    at: datetime


class ChallengeOut(BaseModel):
    id: uuid.UUID
    title: str
    goal: str
    requirements: str
    industry_chain: str
    budget_fen: int
    deadline: date
    publisher_uscc: str | None
    # the publishing officer's department: only its staff (and admins) score, award, record milestones, accept
    department: str | None = None
    status: str
    allowed_next: list[str]
    awarded_application_id: uuid.UUID | None
    # the winning team's name, shown to every reader once the challenge is awarded
    awarded_team_name: str | None = None
    accepted_at: datetime | None
    # The teams' applications the caller may read: every one for the officers and reviewers running the challenge
    # (its department's; admins) and for the company that published it (signed in as it); otherwise only the
    # caller's own team's.
    applications: list[ApplicationOut]
    # the progress record, for those who read every application and for the winning team
    milestones: list[MilestoneOut]


class ChallengePage(BaseModel):
    items: list[ChallengeOut]
    next_cursor: str | None
