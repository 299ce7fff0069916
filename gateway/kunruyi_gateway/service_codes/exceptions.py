"""The problems service_codes answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound


class ServiceCodeNotFound(NotFound):
    """没有这个昆e服码"""

    code = "service_code_not_found"


class RevokedServiceCode(Conflict):
    """该昆e服码已作废"""

    code = "service_code_revoked"
