"""Who may call the service lists' endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests compare these with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role (keeping the countermeasure list)."""

OfficerReviewerOrApprover = Annotated[Principal, Depends(require_roles("officer", "reviewer", "approver"))]
"""Staff with the officer, reviewer or approver role (reading the lists)."""
