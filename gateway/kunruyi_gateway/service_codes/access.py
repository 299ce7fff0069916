"""Who may manage a 昆e服 code or a bulk batch of codes: the staff of the department that issued it, and admins.

A code and a batch record the department of the officer who issued them (``department``). Another department's
staff are refused revoking the code or cancelling the batch with 403 ``other_department`` (the kit's
:class:`~kunruyi_common.errors.OtherDepartment`), and nothing changes. A code or batch whose department is not
known (issued before it was recorded, or by someone without one) is managed by admins alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kunruyi_common.errors import OtherDepartment

DEPARTMENT_MAX = 80  # the column's length


class Staff(Protocol):
    """A signed-in staff member as the API (``Principal``) or the console (``SignedIn``) knows them."""

    @property
    def subject(self) -> str: ...

    @property
    def roles(self) -> Sequence[str]: ...

    @property
    def department(self) -> str | None: ...


def department_of(staff: Staff) -> str | None:
    """The department a record issued by ``staff`` belongs to (as stored)."""
    return staff.department[:DEPARTMENT_MAX] if staff.department else None


def may_manage(staff: Staff, department: str | None) -> bool:
    return "admin" in staff.roles or (department is not None and department == department_of(staff))


def ensure_may_manage(staff: Staff, department: str | None, action: str, what: str) -> None:
    """Refuse (403 ``other_department``) when ``staff`` may not ``action`` a record of ``department``."""
    if not may_manage(staff, department):
        raise OtherDepartment(
            f"该{what}由{department or '其他部门'}生成，只有该部门工作人员或管理员可以{action}"
        )
