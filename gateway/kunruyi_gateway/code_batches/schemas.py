from __future__ import annotations

from kunruyi_common.jobs import JobOut
from pydantic import BaseModel, ConfigDict, Field

from kunruyi_gateway.service_codes.schemas import ServiceCodeCreate


class CodeBatchCreate(BaseModel):
    """Codes to issue in one batch (a background job): every item checked first; one bad item and none issued."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "kind": "enterprise",
                            "target": "91320583MA1KR8Y29Y",
                            "name": "昆山某某智能装备有限公司",
                            "industry_chain": "智能制造",
                        }
                    ]
                }
            ]
        }
    )

    items: list[ServiceCodeCreate] = Field(min_length=1, max_length=100_000)


class CodeBatchOut(JobOut):
    """A batch's job: progress while it issues, and where its codes download once it is done."""

    codes_url: str = Field(description="CSV of the codes the batch issued (名称、编号、二维码地址)")
    department: str | None = Field(
        description="the department the batch and its codes belong to: its staff and admins cancel it "
        "(None: admins alone)"
    )
