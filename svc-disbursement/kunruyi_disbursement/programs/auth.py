"""Who may call the talent programs' endpoints: one dependency per set of admitted callers, named for what it
admits. Admins pass every role check; the department (403 ``other_department``), the panel (403 ``not_on_panel``)
and four eyes (409 ``same_person``) are checked in the service. Experts are staff with the reviewer role who sit on
the call's panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role (programs, calls, panels; the department's own)."""

Reviewer = Annotated[Principal, Depends(require_roles("reviewer"))]
"""Staff with the reviewer role: the experts (scores, conflict declarations)."""

Approver = Annotated[Principal, Depends(require_roles("approver"))]
"""Staff with the approver role (selection and 公示; the department's own, not on the panel)."""

ReadPartnerOrStaff = Annotated[
    Principal,
    Depends(require_scope_or_roles("disbursement:read", "officer", "reviewer", "approver", "finance")),
]
"""A partner with ``disbursement:read``, or staff with the officer, reviewer, approver or finance role."""

WritePartnerOrOfficer = Annotated[Principal, Depends(require_scope_or_roles("disbursement:write", "officer"))]
"""A partner with ``disbursement:write`` (submitting for a talent), or staff with the officer role."""
