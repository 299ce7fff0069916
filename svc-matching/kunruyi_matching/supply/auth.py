"""Who may call supply's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_scope_or_roles

WritePartnerOfficerOrBroker = Annotated[
    Principal, Depends(require_scope_or_roles("matching:write", "officer", "broker"))
]
"""A partner with ``matching:write``, or staff with the officer or broker role."""

ReadPartnerOfficerOrBroker = Annotated[
    Principal, Depends(require_scope_or_roles("matching:read", "officer", "broker"))
]
"""A partner with ``matching:read``, or staff with the officer or broker role (the gateway's supply read rule)."""
