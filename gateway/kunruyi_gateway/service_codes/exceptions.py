"""The problems service_codes answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, ServiceUnavailable


class ServiceCodeNotFound(NotFound):
    """没有这个昆e服码"""

    code = "service_code_not_found"


class RevokedServiceCode(Conflict):
    """该昆e服码已作废"""

    code = "service_code_revoked"


class QrActivityNotFound(NotFound):
    """要生成签到二维码的活动不存在"""

    code = "qr_activity_not_found"


class ActivityCheckInUnavailable(ServiceUnavailable):
    """活动服务暂不可用，不能生成活动签到二维码"""

    code = "activity_check_in_unavailable"
