"""Who may read and cancel a background job: the staff of the department it belongs to, and admins.

A job belongs to a department (``BackgroundJob.department``): a catalog import to the department of the officer who
queued it, a publication's re-evaluation to the department of the policy, a 免申即享 run to the department of who
started it. A 免申即享 run goes over every automatic policy of every department, so the staff of any department may
read its progress; cancelling it stops every department's payments, so only admins and the starter's department
may. A job whose department is not known (stored before it was recorded, or queued by someone without one) is
read and cancelled by admins only — a 免申即享 run's progress is still read by everyone.

A refusal is 403 ``other_department`` (the kit's :class:`~kunruyi_common.errors.OtherDepartment`, as the catalog's
own department rule answers); a list shows only what the caller may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kunruyi_common.auth import Principal
from kunruyi_common.errors import OtherDepartment
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kunruyi_policy.entitlements.service import ENTITLEMENT_RUN
from kunruyi_policy.models import BackgroundJob, Department

# Jobs over every department's policies: their progress is every department's business.
READ_BY_EVERY_DEPARTMENT = frozenset({ENTITLEMENT_RUN})


@dataclass(frozen=True)
class JobReader:
    """The caller as the job rules see them: an admin, or the names their department goes by (code and name)."""

    admin: bool
    departments: frozenset[str]

    def _own(self, job: BackgroundJob) -> bool:
        return self.admin or (job.department is not None and job.department in self.departments)

    def may_read(self, job: BackgroundJob) -> bool:
        return self._own(job) or job.kind in READ_BY_EVERY_DEPARTMENT

    def may_cancel(self, job: BackgroundJob) -> bool:
        return self._own(job)

    def check_read(self, job: BackgroundJob) -> None:
        if not self.may_read(job):
            raise OtherDepartment(f"该后台任务属于{_owner(job)}，您只能查看本部门的后台任务")

    def check_cancel(self, job: BackgroundJob) -> None:
        if not self.may_cancel(job):
            raise OtherDepartment(f"该后台任务属于{_owner(job)}，只有该部门工作人员或管理员可以取消")

    def visible(self) -> ColumnElement[bool] | None:
        """The jobs a list shows this caller (None: all of them)."""
        if self.admin:
            return None
        shared = BackgroundJob.kind.in_(sorted(READ_BY_EVERY_DEPARTMENT))
        if not self.departments:
            return shared
        return or_(shared, BackgroundJob.department.in_(sorted(self.departments)))


def _owner(job: BackgroundJob) -> str:
    return job.department or "其他部门"


async def department_names(session: AsyncSession, department: str | None) -> frozenset[str]:
    """``department`` and the other name it goes by in the catalog's departments (code ↔ name): a principal may
    carry either, as the catalog's own department check accepts either."""
    if not department:
        return frozenset()
    rows = (
        await session.execute(
            select(Department.code, Department.name).where(
                or_(Department.code == department, Department.name == department)
            )
        )
    ).all()
    return frozenset({department, *(name for row in rows for name in row)})


async def job_reader(session: AsyncSession, principal: Principal) -> JobReader:
    return JobReader(
        admin="admin" in principal.roles,
        departments=await department_names(session, principal.department),
    )
