"""The problems platforms answer with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class PlatformNotFound(NotFound):
    """没有编号为 … 的科创平台"""

    code = "platform_not_found"


class UnknownPlatformLevel(Unprocessable):
    """平台级别不是 国家、省、苏州、昆山 之一"""

    code = "unknown_platform_level"


class RecognitionAfterExpiry(Unprocessable):
    """认定日期晚于有效期截止日"""

    code = "recognition_after_expiry"


class RecognitionInFuture(Unprocessable):
    """认定日期晚于今天（北京时间）"""

    code = "recognition_in_future"


class CertificateExists(Conflict):
    """证书编号 … 已登记在另一个平台上"""

    code = "certificate_exists"


class ReviewYearExists(Conflict):
    """该平台该年度的考核结果已登记（每年一次）"""

    code = "review_year_exists"


class ReviewBeforeRecognition(Unprocessable):
    """考核年度早于平台的认定年度"""

    code = "review_before_recognition"


class ReviewYearInFuture(Unprocessable):
    """考核年度晚于今年"""

    code = "review_year_in_future"


class PlatformRevoked(Conflict):
    """该平台已因年度考核不合格而不再有效，不能再登记考核"""

    code = "platform_revoked"
