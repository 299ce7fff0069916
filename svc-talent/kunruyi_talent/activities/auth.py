"""Who may call activities' endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. Reading the list, an activity and its statistics is public (no dependency); the
contract tests compare these with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: publish activities, register attendees, issue the check-in code, check in, record
outcomes."""
