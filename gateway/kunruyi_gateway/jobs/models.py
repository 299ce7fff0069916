from __future__ import annotations

from kunruyi_common.jobs import JobColumns
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kunruyi_gateway.db_base import Base


class BackgroundJob(JobColumns, Base):
    """The gateway's background jobs (the kit's job mechanism, ``kunruyi_common.jobs``): bulk 昆e服 code batches.
    Any replica's worker claims one (``FOR UPDATE SKIP LOCKED``) under a lease it renews with every chunk; an
    expired lease is taken over by another replica, which resumes after the last committed chunk."""

    # The department of the officer who queued it: its staff and admins cancel it (service_codes/access.py), and
    # the codes it issues belong to it too. None when not known (admins' alone).
    department: Mapped[str | None] = mapped_column(String(80), nullable=True)
