"""Who may call the 公示 objections' endpoints, named for what each admits. Filing an objection is public (anyone
may object during the notice; the gateway rate-limits anonymous callers by address); resolving one is the program
department's officers' (403 ``other_department`` is checked in the service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: resolving an objection (the program department's own)."""

ReadPartnerOrStaff = Annotated[
    Principal,
    Depends(require_scope_or_roles("disbursement:read", "officer", "reviewer", "approver", "finance")),
]
"""A partner with ``disbursement:read``, or staff with the officer, reviewer, approver or finance role."""
