from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from kunruyi_common.fields import CnMobile, ResidentId
from pydantic import BaseModel, Field

from kunruyi_talent.inputs import RequestModel

Tag = Annotated[str, Field(min_length=1, max_length=40)]
FieldName = Annotated[str, Field(min_length=1, max_length=60)]
Education = Literal["bachelor", "master", "doctor", "other"]


class ProgramIn(RequestModel):
    name: str = Field(min_length=1, max_length=60)
    level: Literal["national", "provincial", "city", "county"] | None = None
    year: int = Field(ge=1980, le=2100)


class TalentCreate(RequestModel):
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
