"""Who may call the funding agreements' endpoints, named for what each admits. Admins pass every role check; the
program's department (403 ``other_department``) and four eyes (409 ``same_person``: a tranche is released by an
approver other than who confirmed its milestone) are checked in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: agreements, milestone confirmations, 绩效评估 (the program department's own)."""

Approver = Annotated[Principal, Depends(require_roles("approver"))]
"""Staff with the approver role: releasing a tranche (not who confirmed its milestone)."""

ReadPartnerOrStaff = Annotated[
    Principal,
    Depends(require_scope_or_roles("disbursement:read", "officer", "reviewer", "approver", "finance")),
]
"""A partner with ``disbursement:read``, or staff with the officer, reviewer, approver or finance role."""
