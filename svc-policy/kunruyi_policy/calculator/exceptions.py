"""The problems calculator answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import NotFound, Unauthorized, Unprocessable


class BeneficiaryRequired(Unprocessable):
    """提供 profile 时需要 beneficiary"""

    code = "beneficiary_required"


class EntityReadRequiresCredentials(Unauthorized):
    """按编号读取企业、人才或团队画像需要登录（企业本身、工作人员或持 policy:read 的合作方）；匿名使用请直接提交画像（profile + beneficiary）"""

    code = "entity_read_requires_credentials"


class EntityTypeRequired(Unprocessable):
    """提供 entity_id 时需要 entity_type"""

    code = "entity_type_required"


class InvalidBeneficiary(Unprocessable):
    """beneficiary 只能是 enterprise、talent 或 team"""

    code = "invalid_beneficiary"


class ProfileNotFound(NotFound):
    """没有 … 的画像（尚未从人才企业库同步）"""

    code = "profile_not_found"


class ProfileRequired(Unprocessable):
    """需要 profile 或 entity_type + entity_id"""

    code = "profile_required"
