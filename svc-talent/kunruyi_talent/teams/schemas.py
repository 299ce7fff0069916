from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

Role = Literal["lead", "core", "member"]
ROLE_NAMES: dict[str, str] = {"lead": "带头人", "core": "核心成员", "member": "成员"}
ProgramTag = Annotated[str, Field(min_length=1, max_length=60)]

_EXAMPLE_MEMBERS: list[Any] = [
    {"talent_id": "0d3f3a52-1c7e-4b55-9a55-6b756e727501", "role": "lead"},
    {"talent_id": "0d3f3a52-1c7e-4b55-9a55-6b756e727502", "role": "core"},
    {"talent_id": "0d3f3a52-1c7e-4b55-9a55-6b756e727503", "role": "core"},
    {"talent_id": "0d3f3a52-1c7e-4b55-9a55-6b756e727504", "role": "member"},
]


class MemberIn(RequestModel):
    talent_id: uuid.UUID = Field(description="人才编号（人才画像中已有的人才）")
    role: Role = Field("member", description="lead 带头人（须为 lead_talent_id）、core 核心成员、member 成员")


class MembersIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"lead_talent_id": _EXAMPLE_MEMBERS[0]["talent_id"], "members": _EXAMPLE_MEMBERS}]
        }
    )

    lead_talent_id: uuid.UUID = Field(description="团队带头人（须在成员名单中）")
    members: list[MemberIn] = Field(min_length=1, max_length=100, description="成员名单（含带头人）")


class TeamCreate(MembersIn):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "第三代半导体功率器件创新团队",
                    "uscc": "91320583MA1KR8Y29Y",
                    "lead_talent_id": _EXAMPLE_MEMBERS[0]["talent_id"],
                    "members": _EXAMPLE_MEMBERS,
                    "programs": ["昆山双创团队"],
                }
            ]
        }
    )

    name: str = Field(min_length=2, max_length=120, description="团队名称")
    uscc: str = Field(min_length=1, max_length=40, description="团队所在企业的统一社会信用代码")
    programs: list[ProgramTag] = Field(
        default_factory=list, max_length=20, description="入选的团队计划（如 昆山双创团队、省双创团队）"
    )


class MemberOut(BaseModel):
    talent_id: uuid.UUID
    role: Role
    role_name: str
    talent_class: str | None
    education: str
    overseas: bool
    in_program: bool


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    uscc: str
    enterprise_name: str | None = Field(description="企业档案中的名称；企业尚未建档时为 null")
    company_in_kunshan: bool | None = Field(description="企业在昆山注册（已建档）；未知为 null")
    lead_talent_id: uuid.UUID
    programs: list[str]
    member_count: int
    core_member_count: int = Field(description="核心成员人数（含带头人）")
    doctorate_members: int
    overseas_members: int
    program_members: int = Field(description="入选人才计划的成员人数")
    members: list[MemberOut]
    created_at: datetime
    updated_at: datetime


class TeamPage(BaseModel):
    items: list[TeamOut]
