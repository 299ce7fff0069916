"""Who may call platforms' endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. Recording a platform and its yearly reviews is for officers of the department that
manages the kind (the service checks it: 人社局 博士后, 工信局 企业技术中心, 科技局 the others); reading is for
staff and partners with ``talent:read``. The contract tests compare these with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: record a platform and its yearly review (their department's kinds only)."""

ReadingStaffOrPartner = Annotated[
    Principal, Depends(require_scope_or_roles("talent:read", "officer", "reviewer", "approver", "broker"))
]
"""A partner with ``talent:read``, or staff with the officer, reviewer, approver or broker role."""
