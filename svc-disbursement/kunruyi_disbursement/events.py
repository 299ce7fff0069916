"""Events svc-disbursement publishes (schemas registered for the catalog and contract tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from kunruyi_common.events.envelope import event_type
from pydantic import BaseModel


@event_type("kunruyi.disbursement.application.status_changed", description="申报状态变化（每一步）")
class ApplicationStatusChanged(BaseModel):
    application_id: str
    application_number: str
    policy_code: str
    applicant_type: str
    applicant_id: str
    period: str
    status: str
    previous_status: str | None
    channel: Literal["api", "yiqilaiban"]
    external_ref: str | None
    comment: str | None
    actor: str | None
    changed_at: datetime


class _Payment(BaseModel):
    disbursement_id: str
    policy_code: str
    entity_type: str
    entity_id: str
    amount_fen: int
    mode: Literal["automatic", "application"]
    bank_reference: str
    settled_at: datetime | None


@event_type("kunruyi.disbursement.payment.settled", description="拨付到账")
class PaymentSettled(_Payment):
    pass


@event_type("kunruyi.disbursement.payment.failed", description="拨付失败或被退回")
class PaymentFailed(_Payment):
    pass


@event_type("kunruyi.disbursement.reconciliation.mismatch_found", description="对账发现差异")
class ReconciliationMismatchFound(BaseModel):
    statement_date: str
    kind: Literal["missing_in_ledger", "missing_in_bank", "amount_mismatch"]
    reference: str
    ledger_amount_fen: int | None
    bank_amount_fen: int | None
