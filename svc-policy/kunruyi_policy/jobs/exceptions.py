"""The problems jobs answers with: the kit's (``kunruyi_common.jobs``), shared by every service that runs jobs."""

from __future__ import annotations

from kunruyi_common.errors import JobNotCancellable, JobNotFound

__all__ = ["JobNotCancellable", "JobNotFound"]
