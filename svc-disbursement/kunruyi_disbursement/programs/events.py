"""Events of the talent programs (schemas registered for the catalog and contract tests; imported by the app)."""

from __future__ import annotations

from datetime import date, datetime

from kunruyi_common.events.envelope import event_type
from pydantic import BaseModel


@event_type("kunruyi.disbursement.program.application_submitted", description="人才计划申报已提交")
class ProgramApplicationSubmitted(BaseModel):
    application_id: str
    call_id: str
    program_code: str
    year: int
    applicant_kind: str
    applicant_id: str
    company_uscc: str | None
    category: str
    funding_level: str
    requested_amount_fen: int
    submitted_at: datetime


@event_type(
    "kunruyi.disbursement.program.selected",
    description="人才计划遴选入选（svc-talent 据此把计划与档次加入人才画像）",
)
class ProgramSelected(BaseModel):
    application_id: str
    call_id: str
    program_code: str
    program_title: str
    department: str
    year: int
    applicant_kind: str
    applicant_id: str
    company_uscc: str | None
    category: str
    funding_level: str
    funding_level_max_fen: int
    requested_amount_fen: int
    rank: int
    selected_by: str
    selected_at: datetime


@event_type("kunruyi.disbursement.program.notice_published", description="人才计划入选名单公示")
class ProgramNoticePublished(BaseModel):
    call_id: str
    program_code: str
    year: int
    notice_starts_on: date
    notice_ends_on: date
    selected: int


@event_type(
    "kunruyi.disbursement.program.selection_withdrawn",
    description="公示异议成立，撤销入选（svc-talent 据此从人才画像中移除该计划）",
)
class ProgramSelectionWithdrawn(BaseModel):
    application_id: str
    call_id: str
    program_code: str
    year: int
    applicant_kind: str
    applicant_id: str
    company_uscc: str | None
    objection_id: str
    withdrawn_by: str
    withdrawn_at: datetime
