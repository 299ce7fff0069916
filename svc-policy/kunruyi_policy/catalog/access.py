"""Which department's records a caller reads: a policy's drafts, and what its policies determined.

A draft — a policy not yet published, or the open draft version of a published one — is its department's
business, as the catalog sheet's export and the sandbox already hold: staff of the policy's department (the
``department`` claim of the staff token, the department's code or its name) and admins read it; another department's
staff get 403 ``other_department`` for a draft policy and lists leave its drafts out; everyone else (the public,
partners, services) never sees a draft. The 免申即享 entitlements a department's staff list are those of their
department's policies, as svc-disbursement's lists hold only the department's disbursements; partners holding
``policy:read`` (and services) read every entitlement, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from kunruyi_common.auth import Principal
from kunruyi_common.errors import OtherDepartment
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kunruyi_policy.models import Department, Policy


@dataclass(frozen=True)
class DepartmentReader:
    """The caller as the read rules see them: ``departments`` the codes of the departments whose records they read
    (None: every department — admins, and for entitlements partners and services); ``staff`` whether they are
    staff at all (only staff ever see a draft)."""

    staff: bool
    departments: frozenset[str] | None

    def reads(self, department_code: str) -> bool:
        return self.departments is None or department_code in self.departments

    def sees_drafts_of(self, department_code: str) -> bool:
        return self.staff and self.reads(department_code)

    def check_draft(self, policy: Policy, department_name: str) -> None:
        """A draft policy: 403 ``other_department`` to staff of another department (others never see it)."""
        if self.staff and not self.reads(policy.department_code):
            raise OtherDepartment(
                f"政策 {policy.code} 是{department_name or policy.department_code}尚未发布的草稿，"
                "只有该部门工作人员或管理员可以查看"
            )

    def visible(self) -> ColumnElement[bool] | None:
        """The policies a list shows: no drafts to non-staff, the own department's drafts to staff (None: all)."""
        if not self.staff:
            return Policy.status != "draft"
        if self.departments is None:
            return None
        return or_(Policy.status != "draft", Policy.department_code.in_(sorted(self.departments)))

    def own_policies(self) -> ColumnElement[bool] | None:
        """The codes of the policies whose records (entitlements) a list shows (None: every policy's)."""
        if self.departments is None:
            return None
        return Policy.department_code.in_(sorted(self.departments))


async def department_codes(session: AsyncSession, department: str | None) -> frozenset[str]:
    """The codes of the catalog departments ``department`` names (a token may carry the code or the name)."""
    if not department:
        return frozenset()
    rows = await session.execute(
        select(Department.code).where(or_(Department.code == department, Department.name == department))
    )
    return frozenset(rows.scalars())


async def department_reader(session: AsyncSession, principal: Principal | None) -> DepartmentReader:
    """Staff other than admins read their own department's records; admins, partners and services all (only
    staff see drafts at all)."""
    if principal is None or principal.kind != "staff":
        return DepartmentReader(staff=False, departments=None)
    if "admin" in principal.roles:
        return DepartmentReader(staff=True, departments=None)
    return DepartmentReader(staff=True, departments=await department_codes(session, principal.department))
