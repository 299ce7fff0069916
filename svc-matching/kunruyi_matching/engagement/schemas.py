from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_matching.text.validation import MAX_FEN, Text

StageName = Literal[
    "intake", "assigned", "recommended", "negotiating", "signed", "contract_registered", "closed"
]


class StageChange(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stage": "negotiating", "note": "双方已完成首轮技术交流"}]},
        str_strip_whitespace=True,
        extra="forbid",
    )

    stage: StageName
    note: Text | None = Field(default=None, max_length=2000)
    supply_id: uuid.UUID | None = None
    contract_number: Text | None = Field(default=None, min_length=1, max_length=64)
    contract_amount_fen: int | None = Field(default=None, gt=0, le=MAX_FEN)


class StageRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: str
    label: str = ""
    previous_stage: str | None
    actor: str
    note: str | None
    at: datetime


class EngagementOut(BaseModel):
    demand_id: uuid.UUID
    stage: str | None
    # the stage's Chinese name (技术合同登记 …), so no caller keeps its own copy of the names
    stage_label: str | None = None
    status: str
    allowed_next: list[str]
    # the Chinese name of every stage in allowed_next
    allowed_next_labels: dict[str, str] = Field(default_factory=dict)
    broker_id: uuid.UUID | None
    contract_number: str | None
    contract_amount_fen: int | None
    broker_reward_fen: int | None
    history: list[StageRecordOut]
