"""Who may call financing's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_scope_or_roles

FinancePartnerOfficerOrBroker = Annotated[
    Principal, Depends(require_scope_or_roles("finance:write", "officer", "broker"))
]
"""A financial institution's partner key with ``finance:write``, or staff with the officer or broker role."""

FinanceCaller = Annotated[
    Principal, Depends(require_scope_or_roles("finance:write", "officer", "broker", signed_in_company=True))
]
"""The callers above, and a company signed in through 苏商通 — which files and reads only its own financing needs
and their 对接 (financing/service.py, ``ensure_reads_demand`` and ``reads_pipeline``)."""
