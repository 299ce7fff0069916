"""Who may call payments's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_scope_or_roles

WritePartnerOrFinance = Annotated[Principal, Depends(require_scope_or_roles("disbursement:write", "finance"))]
"""A partner with ``disbursement:write`` (the bank), or staff with the finance role."""
