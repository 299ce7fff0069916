"""Identifier and phone types for request schemas: ``Uscc``, ``ResidentId``, ``CnMobile``.

Each is ``Annotated[str, AfterValidator(...)]`` over :mod:`kunruyi_common.validators`: the value comes out in
its canonical form (upper-cased code, bare 11-digit mobile), and a wrong one is a 422 naming the field with the
validator's Chinese message: the problem's ``code`` is ``invalid_uscc`` / ``invalid_id_number`` / ``invalid_phone``
(the codes every service uses for these, also where it validates outside a schema) and ``part`` names the wrong
part of the identifier (:data:`~kunruyi_common.validators.IdentifierPart`).
The JSON schema carries a pattern, a description and an example. Use them in schemas instead of a hand-written
``field_validator``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from kunruyi_common.validators import (
    InvalidIdentifier,
    build_resident_id,
    build_uscc,
    normalize_cn_mobile,
    parse_resident_id,
    parse_uscc,
)

__all__ = ["IDENTIFIER_ERROR_CODES", "CnMobile", "ResidentId", "Uscc"]

# The error types these fields raise; a validation problem whose first error is one of them carries it as its code.
IDENTIFIER_ERROR_CODES = frozenset({"invalid_uscc", "invalid_id_number", "invalid_phone"})


def _checked(error_type: str, parse: Callable[[str], str]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        try:
            return parse(value)
        except InvalidIdentifier as exc:
            # The message is the template: escape braces so it is shown as written.
            message = exc.message.replace("{", "{{").replace("}", "}}")
            raise PydanticCustomError(error_type, message, {"part": exc.part}) from None

    return validate


USCC_EXAMPLE = build_uscc("MA1MXQ5E")
RESIDENT_ID_EXAMPLE = build_resident_id("320583", datetime.date(1990, 3, 7), 123)

Uscc = Annotated[
    str,
    AfterValidator(_checked("invalid_uscc", lambda v: parse_uscc(v).code)),
    Field(
        description="统一社会信用代码（GB 32100，18 位，校验位与组织机构代码校验位均核验）",
        examples=[USCC_EXAMPLE],
        json_schema_extra={"pattern": "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$"},
    ),
]

ResidentId = Annotated[
    str,
    AfterValidator(_checked("invalid_id_number", lambda v: parse_resident_id(v).number)),
    Field(
        description="公民身份号码（GB 11643，18 位）或外国人永久居留身份证号码（9 开头）",
        examples=[RESIDENT_ID_EXAMPLE],
        json_schema_extra={"pattern": "^[0-9]{17}[0-9X]$"},
    ),
]

CnMobile = Annotated[
    str,
    AfterValidator(_checked("invalid_phone", normalize_cn_mobile)),
    Field(
        description="大陆手机号，11 位（可带 +86 前缀、空格或连字符，存为 11 位数字）",
        examples=["13812345678"],
        json_schema_extra={"pattern": "^(\\+86|0086|86)?[ -]?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}$"},
    ),
]
