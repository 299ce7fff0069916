"""Who may call teams' endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. Registering a team and changing its members is for officers of 人才办 (the
department that runs the 双创团队 programs; the service checks it, another department gets 403
other_department); reading is for staff and partners with ``talent:read``. The contract tests compare these with
the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: register a team, change its members (人才办 only)."""

ReadingStaffOrPartner = Annotated[
    Principal, Depends(require_scope_or_roles("talent:read", "officer", "reviewer", "approver", "broker"))
]
"""A partner with ``talent:read``, or staff with the officer, reviewer, approver or broker role."""
