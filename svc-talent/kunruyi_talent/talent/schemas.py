from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from kunruyi_common.fields import CnMobile, ResidentId
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

Tag = Annotated[str, Field(min_length=1, max_length=40)]
FieldName = Annotated[str, Field(min_length=1, max_length=60)]
Education = Literal["bachelor", "master", "doctor", "other"]


class ProgramIn(RequestModel):
    name: str = Field(min_length=1, max_length=60)
    level: Literal["national", "provincial", "city", "county"] | None = None
    year: int = Field(ge=1980, le=2100)


class TalentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "张伟",
                    "id_number": "320583198605171232",
                    "phone": "13912345678",
                    "education": "doctor",
                    "school": "南京大学",
                    "overseas": False,
                    "title": "高级工程师",
                    "programs": [{"name": "昆山市高层次人才", "level": "city", "year": 2024}],
                    "employer_uscc": "91320583MA1KR8Y29Y",
                    "arrival_date": "2023-09-01",
                    "annual_salary_fen": 60000000,
                    "tags": ["集成电路"],
                    "expertise": "功率半导体器件设计与可靠性",
                    "fields": ["集成电路"],
                    "is_expert": True,
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=60)
    id_number: ResidentId = Field(description="居民身份证号或外国人永久居留身份证号码（加密保存）")
    phone: CnMobile | None = None
    education: Education = "other"
    school: str | None = Field(default=None, max_length=120)
    overseas: bool = False
    title: str | None = Field(default=None, max_length=40)
    skill_level: str | None = Field(default=None, max_length=40)
    programs: list[ProgramIn] = Field(default_factory=list, max_length=20)
    employer_uscc: str | None = None
    arrival_date: date | None = None
    annual_salary_fen: int | None = Field(default=None, ge=0, le=10**13)
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    expertise: str = Field(default="", max_length=4000)
    fields: list[FieldName] = Field(default_factory=list, max_length=30)
    is_expert: bool = False


class TalentUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "正高级工程师", "annual_salary_fen": 72000000}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=60)
    phone: CnMobile | None = None
    education: Education | None = None
    school: str | None = Field(default=None, max_length=120)
    overseas: bool | None = None
    title: str | None = Field(default=None, max_length=40)
    skill_level: str | None = Field(default=None, max_length=40)
    programs: list[ProgramIn] | None = Field(default=None, max_length=20)
    employer_uscc: str | None = None
    arrival_date: date | None = None
    annual_salary_fen: int | None = Field(default=None, ge=0, le=10**13)
    tags: list[Tag] | None = Field(default=None, max_length=30)
    expertise: str | None = Field(default=None, max_length=4000)
    fields: list[FieldName] | None = Field(default=None, max_length=30)
    is_expert: bool | None = None


class EmployerOut(BaseModel):
    uscc: str
    name: str


class TalentRead(BaseModel):
    talent_id: uuid.UUID
    name: str
    id_number: str = Field(description="脱敏后的身份证号")
    gender: str
    birth_date: date | None = Field(
        description="出生日期：仅人才本人、以及凭完整身份证号查找的工作人员可见；其他调用方为 null，请用 age"
    )
    age: int
    phone: str | None = Field(description="脱敏后的手机号")
    education: str
    school: str | None
    overseas: bool
    title: str | None
    skill_level: str | None
    programs: list[dict[str, object]]
    talent_class: str | None
    employer: EmployerOut | None
    arrival_date: date | None
    annual_salary_fen: int | None
    tags: list[str]
    expertise: str
    fields: list[str]
    is_expert: bool
    created_at: datetime
    updated_at: datetime


class TalentPage(BaseModel):
    items: list[TalentRead]
    next_cursor: str | None


class HistoryEntry(BaseModel):
    actor: str
    action: str
    at: datetime
    changes: dict[str, object]
