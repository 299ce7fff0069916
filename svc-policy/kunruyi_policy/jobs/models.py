"""The service's background jobs (the kit's job columns)."""

from __future__ import annotations

from kunruyi_common.jobs import JobColumns
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_policy.db_base import Base


class BackgroundJob(JobColumns, Base):
    """Work too long for a request (jobs/): a 免申即享 run, a publication's re-evaluation, a catalog import. Any
    replica's worker claims it (``FOR UPDATE SKIP LOCKED``) under a lease it renews with every chunk; an expired
    lease is taken over by another replica, which resumes after the last committed chunk (``cursor``, ``done``).
    The columns are the kit's (``kunruyi_common.jobs.JobColumns``)."""

    # The department the job belongs to (jobs/access.py): who queued a catalog import or a 免申即享 run, the
    # department of the policy whose publication is re-evaluated. None when not known (admins only then).
    department: Mapped[str | None] = mapped_column(String(80), nullable=True)
