"""The problems talent answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class InvalidIdNumber(Unprocessable):
    """A 公民身份号码 fails GB 11643 (region, birth date or check character); `part` says which."""

    code = "invalid_id_number"


class TalentNotFound(NotFound):
    """没有该身份证号的人才档案"""

    code = "talent_not_found"


class UnknownEmployer(Unprocessable):
    """工作单位 … 尚未在一企一档中建档，请先登记企业"""

    code = "unknown_employer"


class TalentExists(Conflict):
    """The ID number is already registered. The answer names no record (no id, no name, no mask): registration must
    not double as the staff-only lookup. Staff with the lookup right find the record via ``/talents/lookup``;
    everyone else resolves the conflict with the record's owner."""

    code = "talent_exists"

    def __init__(self) -> None:
        super().__init__(
            "该身份证号已建档。如需更新该人才档案，请联系档案所属单位或人才办核实", field="id_number"
        )
