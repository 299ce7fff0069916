"""Who may call entitlements's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles, require_scope_or_roles

OfficerOrFinance = Annotated[Principal, Depends(require_roles("officer", "finance"))]
"""Staff with the officer or finance role."""

ReadPartnerOfficerFinanceOrReviewer = Annotated[
    Principal, Depends(require_scope_or_roles("policy:read", "officer", "finance", "reviewer"))
]
"""A partner with ``policy:read``, or staff with the officer, finance or reviewer role."""
