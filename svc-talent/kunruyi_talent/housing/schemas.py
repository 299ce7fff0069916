from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel


class UnitIn(RequestModel):
    unit_number: str = Field(min_length=1, max_length=40)
    layout: str = Field(default="", max_length=40)
    area_m2: float = Field(default=0, ge=0, le=10_000)


class ProjectCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "KS-RC-2025-01",
                    "name": "花桥人才公寓一期",
                    "district": "花桥",
                    "address": "花桥镇某某路 88 号",
                    "eligible_classes": ["A", "B", "C"],
                    "monthly_rent_fen": 150000,
                    "units": [{"unit_number": "1-101", "layout": "两室一厅", "area_m2": 78.5}],
                }
            ]
        }
    )

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    district: str = Field(max_length=40)
    address: str = Field(default="", max_length=200)
    eligible_classes: list[str] = Field(min_length=1)
    monthly_rent_fen: int = Field(ge=0, le=10**10)
    units: list[UnitIn] = Field(default_factory=list, max_length=2000)


class ProjectOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    district: str = Field(max_length=40)
    address: str
    eligible_classes: list[str]
    monthly_rent_fen: int
    units_total: int
    units_available: int
    waiting: int


class ApplicationCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"talent_id": "8d3f1c2a-4b5e-4f60-9a7b-2c1d0e9f8a76", "project_code": "KS-RC-2025-01"}
            ]
        }
    )

    talent_id: uuid.UUID
    project_code: str


class ApplicationOut(BaseModel):
    application_id: uuid.UUID
    talent_id: uuid.UUID
    project_code: str
    talent_class: str
    score: int
    status: str
    declines: int
    queued_at: datetime
    back_of_queue: bool
    position: int | None = None


class OfferOut(BaseModel):
    offer_id: uuid.UUID
    application_id: uuid.UUID
    unit_id: uuid.UUID
    unit_number: str
    status: str
    offered_at: datetime
    expires_at: datetime


class ReleaseOut(BaseModel):
    unit_id: uuid.UUID
    offer: OfferOut | None
