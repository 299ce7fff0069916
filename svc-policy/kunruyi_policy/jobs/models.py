"""The service's background jobs (the kit's job columns)."""

from __future__ import annotations

from kunruyi_common.jobs import JobColumns

from kunruyi_policy.db_base import Base


class BackgroundJob(JobColumns, Base):
    """Work too long for a request (jobs/): a 免申即享 run, a publication's re-evaluation, a catalog import. Any
    replica's worker claims it (``FOR UPDATE SKIP LOCKED``) under a lease it renews with every chunk; an expired
    lease is taken over by another replica, which resumes after the last committed chunk (``cursor``, ``done``).
    The columns are the kit's (``kunruyi_common.jobs.JobColumns``)."""
