"""Who may call reports's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

FinanceApproverOfficerOrLeader = Annotated[
    Principal, Depends(require_roles("finance", "approver", "officer", "leader"))
]
"""Staff with the finance, approver or officer role, or a leader (领导, who reads the totals for the cockpit)."""
