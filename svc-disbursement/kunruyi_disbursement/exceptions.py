"""The problems kunruyi_disbursement answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from typing import Any

from kunruyi_common import errors
from kunruyi_common.errors import Conflict, ProblemError, Unprocessable


class Refusal(ProblemError):
    """A refusal the audit log keeps: what was refused, on what, and why (see ``access.audited``)."""

    def __init__(self, detail: str, *, entity_type: str, entity_id: str, action: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.action = action


class OtherDepartment(Refusal, errors.OtherDepartment):
    """A staff member acts on an application, disbursement or budget of a policy another department handles
    (written to the audit log)."""


class SamePerson(Refusal, Conflict):
    """Four eyes: 初审 and 复审 by one person, or 审定 by an approver who took either (written to the audit log)."""

    code, title = "same_person", "须由不同人员办理"


class UnknownPolicy(Unprocessable):
    """A request names a policy code svc-disbursement does not know (422; the 404 of svc-policy is ``policy_not_found``)."""

    code = "unknown_policy"
