"""Events the gateway publishes (through its outbox)."""

from __future__ import annotations

from kunruyi_common.events.envelope import event_type
from pydantic import BaseModel


@event_type("kunruyi.gateway.service_code.scanned", description="有人扫描了昆e服码（才企需求早知道）")
class ServiceCodeScanned(BaseModel):
    code_id: str
    kind: str
    target: str
    name: str
    scan_count: int


@event_type(
    "kunruyi.gateway.service_code.issued", description="工作人员为企业、园区或人才会客厅生成了昆e服码"
)
class ServiceCodeIssued(BaseModel):
    code_id: str
    kind: str
    target: str
    name: str
    issued_by: str


@event_type("kunruyi.gateway.service_code.revoked", description="昆e服码被作废")
class ServiceCodeRevoked(BaseModel):
    code_id: str
    revoked_by: str
