"""Who may call activities' endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. Reading the list, an activity and its statistics is public (no dependency), and so
are registering from 昆e服 (``sign-ups``: a signed-in company or talent registers itself, anyone else by name and
phone; partners too) and self check-in (``self-check-ins``: the activity's signed code proves presence). The contract
tests compare these with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles

Officer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role: publish activities (for their own department), and — for the activities their
department hosts (the service checks it: ``service.ensure_host``) — register attendees, issue the check-in code,
check in, record outcomes and leads."""

HostStaff = Annotated[Principal, Depends(require_roles("officer", "reviewer", "approver"))]
"""Staff with the officer, reviewer or approver role: read an activity's registrations (their own department's
activities only — the service checks the host department)."""
