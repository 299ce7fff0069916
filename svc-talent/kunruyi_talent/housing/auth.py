"""Who may call housing's endpoints: one dependency per set of admitted callers, named for what it admits.

Admins pass every role check. The contract tests read the roles (and scope) of each dependency and compare them
with the gateway's access rules.

Housing is one department's business (``Settings.housing_department``, 住建局 by default): its officers register
projects, read the units, the waiting list and a talent's applications, apply or answer an offer for a talent,
release units and run the lapse scan. Another department's staff — and staff whose token names no department — get
403 ``other_department``; admins act for every department. A talent acts on their own application themself; the
projects list is public."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from kunruyi_common.auth import Principal, require_roles
from kunruyi_common.errors import OtherDepartment

from kunruyi_talent.access import talent_self_id
from kunruyi_talent.deps import SettingsDep
from kunruyi_talent.housing.exceptions import HousingForbidden

AnyOfficer = Annotated[Principal, Depends(require_roles("officer"))]
"""Staff with the officer role, of any department."""


def ensure_housing_department(principal: Principal, department: str) -> None:
    """Staff of the housing department, or admins; anyone else is refused (403 ``other_department``)."""
    if principal.acts_for(department):
        return
    raise OtherDepartment(
        f"人才公寓由{department}办理，您所在的部门（{principal.department or '未设置'}）不能办理",
        department=department,
        your_department=principal.department,
    )


def ensure_housing_staff_or_self(principal: Principal, talent_id: uuid.UUID, department: str) -> None:
    """An officer of the housing department (or an admin), or the talent themself."""
    if principal.kind == "staff" and principal.has_role("officer"):
        ensure_housing_department(principal, department)
        return
    if talent_self_id(principal) == talent_id:
        return
    raise HousingForbidden("只能办理本人的住房申请")


async def housing_officer(principal: AnyOfficer, settings: SettingsDep) -> Principal:
    ensure_housing_department(principal, settings.housing_department)
    return principal


Officer = Annotated[Principal, Depends(housing_officer)]
"""Staff with the officer role of the housing department (or admins)."""
