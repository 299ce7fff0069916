from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kunruyi_talent.inputs import RequestModel

ListKind = Literal["service", "need", "countermeasure"]
NeedGrouping = Literal["theme", "chain", "district"]
CountermeasureStatus = Literal["planned", "in_progress", "done"]


class ServiceItem(BaseModel):
    """服务清单：what the center offers — a request type (its department and time limit) or a resource."""

    category: Literal["request_type", "resource", "policy"]
    key: str
    title: str
    department: str | None = None
    working_days: int | None = None
    district: str | None = Field(None, description="所在区镇（限于某地的资源，如人才租赁住房）")


class NeedItem(BaseModel):
    """需求清单：needs gathered (tickets, visit problems, technology demands), grouped by theme (诉求类型 / 技术需求类型),
    chain or 区镇."""

    key: str
    total: int = Field(description="工单与技术需求合计")
    tickets: int = Field(description="其中工单（含走访问题）")
    technology_demands: int = Field(description="其中技术需求（svc-matching）")
    open: int = Field(description="尚未答复的")
    from_visits: int = Field(description="其中走访发现的问题")
    countermeasures: int = Field(description="针对该主题的对策数（按主题分组时）")


class CountermeasureOut(BaseModel):
    id: uuid.UUID
    theme: str
    title: str
    owner_department: str
    due_on: date
    status: str
    policy_ref: str | None = Field(description="修补该问题的政策版本（如 KS-RD-001@3）")
    tickets: list[str] = Field(description="所回应的工单号")


class PolicyMatchOut(BaseModel):
    """对策清单：a policy svc-policy matched to a company or talent (政策早知道)."""

    entity_type: str
    entity_id: str
    entity_name: str | None
    policy_code: str
    policy_title: str
    department: str
    status: str = Field(description="eligible 符合；needs_confirmation 需工作人员确认")


class ServiceListOut(BaseModel):
    kind: str
    group_by: str | None = None
    campaign: str | None = None
    district: str | None = None
    services: list[ServiceItem] | None = None
    needs: list[NeedItem] | None = None
    countermeasures: list[CountermeasureOut] | None = None
    policies: list[PolicyMatchOut] | None = Field(
        default=None, description="对策清单：为企业匹配的政策（svc-policy 的可及事件）"
    )


class CountermeasureCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "theme": "融资需求",
                    "title": "科技贷款贴息扩围至中长期贷款",
                    "owner_department": "金融监管局",
                    "due_on": "2026-09-30",
                    "tickets": ["KS20260508000123"],
                }
            ]
        }
    )

    theme: str = Field(min_length=1, max_length=60, description="主题（一般为诉求类型）")
    title: str = Field(min_length=2, max_length=200)
    owner_department: str = Field(min_length=1, max_length=40)
    due_on: date
    tickets: list[str] = Field(default_factory=list, max_length=500, description="所回应的工单号")
    policy_ref: str | None = Field(default=None, max_length=80)


class CountermeasureUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "done", "policy_ref": "KS-FIN-003@2"}]}
    )

    status: CountermeasureStatus | None = None
    policy_ref: str | None = Field(default=None, max_length=80)
    tickets: list[str] | None = Field(default=None, max_length=500, description="追加关联的工单号")
