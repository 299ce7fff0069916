"""Who may call the indicator system's endpoints: one dependency per set of admitted callers, named for what it
admits. Admins pass every role check; the lead department of a reported indicator is checked in the service
(another department → 403 other_department) and the approver must not be the submitter (409 same_person)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

StaffOrLeader = Annotated[
    Principal, Depends(require_roles("officer", "reviewer", "approver", "finance", "broker", "leader"))
]
"""Any staff member, leaders (领导) included: the cockpit (targets, actuals, status) is read by the leaders and
every department; a leader only reads."""

DepartmentOfficerOrApprover = Annotated[Principal, Depends(require_roles("officer", "approver"))]
"""An officer or approver (of the indicator's lead department, checked by the service): submits a quarter's value
(填报) or, being a different person, approves one."""
