"""Who may call applications's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

OfficerOrReviewer = Annotated[Principal, Depends(require_roles("officer", "reviewer"))]
"""Staff with the officer or reviewer role."""

OfficerReviewerOrApprover = Annotated[Principal, Depends(require_roles("officer", "reviewer", "approver"))]
"""Staff with the officer, reviewer or approver role."""

ReadPartnerOrStaff = Annotated[
    Principal,
    Depends(require_scope_or_roles("disbursement:read", "officer", "reviewer", "approver", "finance")),
]
"""A partner with ``disbursement:read``, or staff with the officer, reviewer, approver or finance role."""

WritePartnerOrOfficer = Annotated[Principal, Depends(require_scope_or_roles("disbursement:write", "officer"))]
"""A partner with ``disbursement:write``, or staff with the officer role."""
