"""Events of the funding agreements (schemas registered for the catalog and contract tests; imported by the app)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from kunruyi_common.events.envelope import event_type
from pydantic import BaseModel


class _Agreement(BaseModel):
    agreement_id: str
    application_id: str
    call_id: str
    program_code: str
    year: int
    applicant_id: str
    company_uscc: str | None
    total_fen: int
    released_fen: int


@event_type(
    "kunruyi.disbursement.program.tranche_released",
    description="资助协议一期拨付已批准（里程碑确认后；款项经银行支付，到账见 payment.settled）",
)
class ProgramTrancheReleased(_Agreement):
    seq: int
    milestone: str
    amount_fen: int
    disbursement_id: str
    released_by: str
    released_at: datetime


@event_type(
    "kunruyi.disbursement.program.agreement_ended",
    description="资助协议终止：绩效评估或验收未通过，剩余期次不再拨付",
)
class ProgramAgreementEnded(_Agreement):
    reason: Literal["assessment_failed", "acceptance_failed"]
    cancelled_fen: int
    ended_by: str
    ended_at: datetime


@event_type(
    "kunruyi.disbursement.program.accepted",
    description="资助协议验收（通过或不通过；绿色通道：计划期内企业晋升高企、专精特新、瞪羚、独角兽培育或规上）",
)
class ProgramAccepted(_Agreement):
    result: Literal["passed", "failed"]
    channel: Literal["regular", "green"]
    green_qualifications: list[str]
    accepted_by: str
    accepted_at: datetime
