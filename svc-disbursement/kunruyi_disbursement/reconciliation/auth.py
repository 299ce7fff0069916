"""Who may call reconciliation's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

FinanceStaff = Annotated[Principal, Depends(require_roles("finance"))]
"""Staff with the finance role."""

FinanceReaders = Annotated[Principal, Depends(require_roles("finance", "approver"))]
"""Staff with the finance or approver role: who may read the reconciliation runs."""
