"""Who may call broker's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

BrokerOrOfficer = Annotated[Principal, Depends(require_roles("officer", "broker"))]
"""Staff with the broker or officer role."""

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role."""
