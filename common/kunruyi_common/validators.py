"""Validators for Chinese identifiers: resident ID, USCC and mainland mobile numbers.

Every failure raises :class:`InvalidIdentifier`, whose ``message`` is Chinese because it is shown to
applicants as-is; ``part`` lets API handlers point at the offending part without parsing the text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "IdentifierPart",
    "InvalidIdentifier",
    "ResidentId",
    "Uscc",
    "is_valid_resident_id",
    "is_valid_uscc",
    "normalize_cn_mobile",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_char",
    "uscc_check_char",
]

IdentifierPart = Literal["format", "alphabet", "region", "birth_date", "check_character"]


class InvalidIdentifier(ValueError):
    """An identifier failed validation; ``part`` names what is wrong, ``message`` says it in Chinese."""

    def __init__(self, part: IdentifierPart, message: str) -> None:
        super().__init__(message)
        self.part: IdentifierPart = part
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[InvalidIdentifier], tuple[IdentifierPart, str]]:
        # Keeps the exception picklable (e.g. across process pools) despite the custom __init__.
        return (type(self), (self.part, self.message))


# GB/T 2260 province-level codes: the first two digits of any administrative region code.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(c) for c in range(11, 16)]
    + [str(c) for c in range(21, 24)]
    + [str(c) for c in range(31, 38)]
    + [str(c) for c in range(41, 47)]
    + [str(c) for c in range(50, 55)]
    + [str(c) for c in range(61, 66)]
    + ["71", "81", "82", "83", "91"]
)

# ---------------------------------------------------------------------------
# Resident ID (GB 11643-1999)
# ---------------------------------------------------------------------------

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK_MAP = "10X98765432"
_RID_SHAPE = re.compile(r"\d{17}[\dX]", re.ASCII)
_RID_PREFIX = re.compile(r"\d{17}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: datetime.date
    gender: Literal["male", "female"]


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    if not _RID_PREFIX.fullmatch(first17):
        raise InvalidIdentifier("format", "身份证号前 17 位必须是数字")
    total = sum(int(d) * w for d, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK_MAP[total % 11]


def parse_resident_id(value: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate and decompose an 18-character resident ID; ``today`` is injectable for tests."""
    number = value.strip().upper()
    if not _RID_SHAPE.fullmatch(number):
        raise InvalidIdentifier("format", "身份证号格式错误，应为 17 位数字加 1 位数字或 X，共 18 位")

    region_code = number[:6]
    if region_code[:2] not in PROVINCE_CODES:
        raise InvalidIdentifier(
            "region", f"身份证号地区码 {region_code} 无效（省级代码 {region_code[:2]} 不存在）"
        )

    raw_date = number[6:14]
    try:
        birth_date = datetime.date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:8]))
    except ValueError:
        raise InvalidIdentifier("birth_date", f"身份证号出生日期 {raw_date} 不是有效日期") from None
    if birth_date.year < 1900:
        raise InvalidIdentifier("birth_date", f"身份证号出生日期 {raw_date} 早于 1900 年")
    if birth_date > (today or datetime.date.today()):
        raise InvalidIdentifier("birth_date", f"身份证号出生日期 {raw_date} 晚于当前日期")

    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier("check_character", f"身份证号校验位错误，应为 {expected}")

    gender: Literal["male", "female"] = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, region_code=region_code, birth_date=birth_date, gender=gender)


def is_valid_resident_id(value: str) -> bool:
    try:
        parse_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_AUTHORITIES = frozenset("123456789ABCDEFGY")
_USCC_ENTITY_TYPES = frozenset("1234589")
# Central-government registrations use region code 100000, which is not a province code.
_USCC_REGION_PREFIXES = PROVINCE_CODES | {"10"}


@dataclass(frozen=True, slots=True)
class Uscc:
    code: str
    registration_authority: str
    entity_type: str
    region_code: str
    organization_code: str


def uscc_check_char(first17: str) -> str:
    """GB 32100 MOD 31 check character for the first 17 characters of a USCC."""
    if len(first17) != 17:
        raise InvalidIdentifier("format", "统一社会信用代码前 17 位长度错误")
    total = 0
    for pos, (ch, weight) in enumerate(zip(first17, _USCC_WEIGHTS, strict=True), start=1):
        if ch not in _USCC_VALUE:
            raise InvalidIdentifier("alphabet", f"统一社会信用代码第 {pos} 位字符 “{ch}” 不合法")
        total += _USCC_VALUE[ch] * weight
    return USCC_ALPHABET[(31 - total % 31) % 31]


def parse_uscc(value: str) -> Uscc:
    """Validate and decompose an 18-character unified social credit code."""
    code = value.strip().upper()
    if len(code) != 18:
        raise InvalidIdentifier("format", f"统一社会信用代码应为 18 位，实际为 {len(code)} 位")
    for pos, ch in enumerate(code, start=1):
        if ch not in _USCC_VALUE:
            raise InvalidIdentifier(
                "alphabet",
                f"统一社会信用代码第 {pos} 位字符 “{ch}” 不合法（不得使用 I、O、Z、S、V 及非数字字母字符）",
            )

    if code[0] not in _USCC_AUTHORITIES:
        raise InvalidIdentifier("format", f"统一社会信用代码第 1 位登记管理部门代码 “{code[0]}” 无效")
    if code[1] not in _USCC_ENTITY_TYPES:
        raise InvalidIdentifier("format", f"统一社会信用代码第 2 位机构类别代码 “{code[1]}” 无效")

    region_code = code[2:8]
    if not region_code.isascii() or not region_code.isdigit() or region_code[:2] not in _USCC_REGION_PREFIXES:
        raise InvalidIdentifier(
            "region", f"统一社会信用代码第 3-8 位登记管理机关行政区划码 {region_code} 无效"
        )

    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier("check_character", f"统一社会信用代码校验位错误，应为 {expected}")

    return Uscc(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        region_code=region_code,
        organization_code=code[8:17],
    )


def is_valid_uscc(value: str) -> bool:
    try:
        parse_uscc(value)
    except InvalidIdentifier:
        return False
    return True


# ---------------------------------------------------------------------------
# Mainland mobile numbers
# ---------------------------------------------------------------------------

_MOBILE_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})", re.ASCII)


def normalize_cn_mobile(value: str) -> str:
    """Return the bare 11-digit mainland mobile number, dropping separators and a +86/0086/86 prefix."""
    compact = _MOBILE_SEPARATORS.sub("", value)
    match = _MOBILE.fullmatch(compact)
    if match is None:
        raise InvalidIdentifier("format", "手机号格式错误，应为以 13-19 开头的 11 位大陆手机号")
    return match.group(1)
