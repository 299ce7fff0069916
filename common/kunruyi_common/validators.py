"""Validators for Chinese identifiers: resident ID, USCC and mainland mobile numbers.

Every failure raises :class:`InvalidIdentifier`, whose ``message`` is Chinese because it is shown to
applicants as-is; ``part`` lets API handlers point at the offending part without parsing the text.

What is checked, and what is decided where the standards leave room:

- **统一社会信用代码** (GB 32100-2015): 18 characters of the 31-character alphabet (no I, O, Z, S, V). Position 1
  is the 登记管理部门码 and position 2 the 机构类别码, checked *as a pair* against
  :data:`USCC_ENTITY_TYPES` (the standard's table plus the authorities added since and used in practice:
  2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, A 中央军委改革和编制办公室, N 农业). Positions 3-8 are the
  registering authority's 行政区划码: six digits with a GB/T 2260 province prefix, or 100000 for central
  registrations. Positions 9-17 are the 组织机构代码 (GB 11714), whose own check character (position 17) is
  verified; position 18 is the MOD 31 check character over positions 1-17.
- **公民身份号码** (GB 11643-1999): the address code (positions 1-6) must have a GB/T 2260 province prefix and be
  county level, i.e. a prefecture part (positions 3-4) other than ``00``. County part ``00`` is accepted because
  prefecture-level cities without counties use it (东莞 441900, 中山 442000, 嘉峪关 620200, 儋州 460400).
  Codes abolished since stay valid on the IDs issued under them, so there is no list of current counties.
  The residence permits of Hong Kong, Macao and Taiwan residents use the same format with exactly 810000,
  820000 and 830000 (Taiwan itself is 710000). The birth date must be real, not before 1900 and not in the
  future; position 17 gives the gender; position 18 is the ISO 7064 MOD 11-2 check character.
- **外国人永久居留身份证号码** (the 18-character numbers issued since 1 December 2023): ``9``, the two-digit
  province code of the issuing office (mainland provinces only), the three-digit numeric nationality code
  (GB/T 2659 = ISO 3166-1 numeric; China, Hong Kong, Macao and Taiwan are refused), the birth date
  (YYYYMMDD), a three-digit sequence whose last digit gives the gender, and the same MOD 11-2 check character.
  :func:`parse_resident_id` accepts both kinds and says which in ``ResidentId.kind``.

Length and character set are checked on the raw input before anything is upper-cased: ``str.upper()`` turns
some single characters into two (the ligature ``ﬀ`` into ``FF``, ``ß`` into ``SS``), so a 17-character input
must never become an 18-character code.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from kunruyi_common.clock import local_today

__all__ = [
    "MAINLAND_PROVINCE_CODES",
    "NATIONALITY_CODES",
    "PROVINCE_CODES",
    "USCC_ALPHABET",
    "USCC_AUTHORITIES",
    "USCC_ENTITY_TYPES",
    "IdentifierPart",
    "InvalidIdentifier",
    "ResidentId",
    "Uscc",
    "build_foreign_resident_id",
    "build_resident_id",
    "build_uscc",
    "is_valid_resident_id",
    "is_valid_uscc",
    "normalize_cn_mobile",
    "org_code_check_char",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_char",
    "uscc_check_char",
]

IdentifierPart = Literal[
    "format",
    "alphabet",
    "registration_authority",
    "entity_type",
    "region",
    "organization_code",
    "nationality",
    "birth_date",
    "check_character",
]


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


# GB/T 2260 province-level codes (the first two digits of any administrative division code): the 31 mainland
# provinces, autonomous regions and municipalities, then 台湾 71, 香港 81, 澳门 82.
MAINLAND_PROVINCE_CODES: frozenset[str] = frozenset(
    [str(c) for c in range(11, 16)]
    + [str(c) for c in range(21, 24)]
    + [str(c) for c in range(31, 38)]
    + [str(c) for c in range(41, 47)]
    + [str(c) for c in range(50, 55)]
    + [str(c) for c in range(61, 66)]
)
PROVINCE_CODES: frozenset[str] = MAINLAND_PROVINCE_CODES | {"71", "81", "82"}

# GB/T 2659 (= ISO 3166-1) numeric country codes.
NATIONALITY_CODES: frozenset[str] = frozenset(
    "004 008 010 012 016 020 024 028 031 032 036 040 044 048 050 051 052 056 060 064 068 070 072 074 076 084 086 "
    "090 092 096 100 104 108 112 116 120 124 132 136 140 144 148 152 156 158 162 166 170 174 175 178 180 184 188 "
    "191 192 196 203 204 208 212 214 218 222 226 231 232 233 234 238 239 242 246 248 250 254 258 260 262 266 268 "
    "270 275 276 288 292 296 300 304 308 312 316 320 324 328 332 334 336 340 344 348 352 356 360 364 368 372 376 "
    "380 384 388 392 398 400 404 408 410 414 417 418 422 426 428 430 434 438 440 442 446 450 454 458 462 466 470 "
    "474 478 480 484 492 496 498 499 500 504 508 512 516 520 524 528 531 533 534 535 540 548 554 558 562 566 570 "
    "574 578 580 581 583 584 585 586 591 598 600 604 608 612 616 620 624 626 630 634 638 642 643 646 652 654 659 "
    "660 662 663 666 670 674 678 682 686 688 690 694 702 703 704 705 706 710 716 724 728 729 732 740 744 748 752 "
    "756 760 762 764 768 772 776 780 784 788 792 795 796 798 800 804 807 818 826 831 832 833 834 840 850 854 858 "
    "860 862 876 882 887 894 ".split()
)
# Nationalities a foreigner's permanent residence card cannot carry: 中国, 台湾, 香港, 澳门.
_NOT_FOREIGN = frozenset({"156", "158", "344", "446"})

_ASCII_DIGITS = frozenset("0123456789")


def _validate_birth_date(raw: str, label: str, today: datetime.date | None) -> datetime.date:
    try:
        birth_date = datetime.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise InvalidIdentifier("birth_date", f"{label}出生日期 {raw} 不是有效日期") from None
    if birth_date.year < 1900:
        raise InvalidIdentifier("birth_date", f"{label}出生日期 {raw} 早于 1900 年")
    if birth_date > (today or local_today()):
        raise InvalidIdentifier("birth_date", f"{label}出生日期 {raw} 晚于当前日期")
    return birth_date


# ---------------------------------------------------------------------------
# Resident ID (GB 11643-1999) and foreigner's permanent residence ID (2023)
# ---------------------------------------------------------------------------

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK_MAP = "10X98765432"
# Checked on the raw (stripped) input, before upper-casing: see the module docstring.
_RID_SHAPE = re.compile(r"\d{17}[\dXx]", re.ASCII)
_RID_PREFIX = re.compile(r"\d{17}", re.ASCII)
# Area codes of the Hong Kong, Macao and Taiwan residents' residence permits (and Taiwan's own GB/T 2260 code).
_WHOLE_PROVINCE_AREAS = frozenset({"710000", "810000", "820000", "830000"})
_WHOLE_PROVINCE_PREFIXES = frozenset(area[:2] for area in _WHOLE_PROVINCE_AREAS)

ResidentIdKind = Literal["resident", "foreign_permanent_resident"]


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    # The address code (positions 1-6); for a foreigner's card the issuing province's code (``320000``).
    region_code: str
    birth_date: datetime.date
    gender: Literal["male", "female"]
    kind: ResidentIdKind = "resident"
    # GB/T 2659 numeric nationality code, foreigners' cards only.
    nationality: str | None = None


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of a resident ID."""
    if not _RID_PREFIX.fullmatch(first17):
        raise InvalidIdentifier("format", "身份证号前 17 位必须是数字")
    total = sum(int(d) * w for d, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK_MAP[total % 11]


def parse_resident_id(value: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate and decompose an 18-character resident ID or (leading ``9``) foreigner's permanent residence
    ID; ``today`` is injectable for tests."""
    raw = value.strip()
    if not _RID_SHAPE.fullmatch(raw):
        raise InvalidIdentifier("format", "身份证号格式错误，应为 17 位数字加 1 位数字或 X，共 18 位")
    number = raw.upper()  # only an ASCII "x" can change here
    if number[0] == "9":
        return _parse_foreign_resident_id(number, today)

    region_code = number[:6]
    if region_code[:2] in _WHOLE_PROVINCE_PREFIXES:
        if region_code not in _WHOLE_PROVINCE_AREAS:
            raise InvalidIdentifier(
                "region", f"身份证号地区码 {region_code} 无效（港澳台地区码只能是 {region_code[:2]}0000）"
            )
    elif region_code[:2] not in PROVINCE_CODES:
        raise InvalidIdentifier(
            "region", f"身份证号地区码 {region_code} 无效（省级代码 {region_code[:2]} 不存在）"
        )
    elif region_code[2:4] == "00":
        raise InvalidIdentifier(
            "region", f"身份证号地区码 {region_code} 不是县级行政区划代码（第 3-4 位地市代码不能为 00）"
        )

    birth_date = _validate_birth_date(number[6:14], "身份证号", today)

    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier("check_character", f"身份证号校验位错误，应为 {expected}")

    gender: Literal["male", "female"] = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, region_code=region_code, birth_date=birth_date, gender=gender)


def _parse_foreign_resident_id(number: str, today: datetime.date | None) -> ResidentId:
    label = "外国人永久居留身份证号码"
    province = number[1:3]
    if province not in MAINLAND_PROVINCE_CODES:
        raise InvalidIdentifier("region", f"{label}第 2-3 位受理地省级代码 {province} 无效")
    nationality = number[3:6]
    if nationality not in NATIONALITY_CODES or nationality in _NOT_FOREIGN:
        raise InvalidIdentifier(
            "nationality", f"{label}第 4-6 位国籍代码 {nationality} 无效（应为 GB/T 2659 外国数字代码）"
        )
    birth_date = _validate_birth_date(number[6:14], label, today)
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier("check_character", f"{label}校验位错误，应为 {expected}")
    gender: Literal["male", "female"] = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(
        number=number,
        region_code=province + "0000",
        birth_date=birth_date,
        gender=gender,
        kind="foreign_permanent_resident",
        nationality=nationality,
    )


def is_valid_resident_id(value: str) -> bool:
    try:
        parse_resident_id(value)
    except InvalidIdentifier:
        return False
    return True


def build_resident_id(region: str, birth: datetime.date, sequence: int) -> str:
    """A valid resident ID from its parts (demo data and tests); raises :class:`InvalidIdentifier` if a
    part is not valid."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return parse_resident_id(first17 + resident_id_check_char(first17), today=birth).number


def build_foreign_resident_id(province: str, nationality: str, birth: datetime.date, sequence: int) -> str:
    """A valid foreigner's permanent residence ID from its parts (demo data and tests)."""
    first17 = f"9{province}{nationality}{birth:%Y%m%d}{sequence % 1000:03d}"
    return parse_resident_id(first17 + resident_id_check_char(first17), today=birth).number


# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015) and organisation code (GB 11714-1997)
# ---------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
# The raw input may be lower case; nothing else is mapped (see the module docstring).
_USCC_RAW_ALPHABET = frozenset(USCC_ALPHABET + USCC_ALPHABET.lower())
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# 登记管理部门码 → name.
USCC_AUTHORITIES: Mapping[str, str] = MappingProxyType(
    {
        "1": "机构编制",
        "2": "外交",
        "3": "司法行政",
        "4": "文化",
        "5": "民政",
        "6": "旅游",
        "7": "宗教",
        "8": "工会",
        "9": "工商",
        "A": "中央军委改革和编制办公室",
        "N": "农业",
        "Y": "其他",
    }
)
# 登记管理部门码 → its own 机构类别码 → name: a type code means something only under its authority.
USCC_ENTITY_TYPES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        authority: MappingProxyType(types)
        for authority, types in {
            "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
            "2": {"1": "外国常驻新闻机构", "9": "其他"},
            "3": {
                "1": "律师执业机构",
                "2": "公证处",
                "3": "基层法律服务所",
                "4": "司法鉴定机构",
                "5": "仲裁委员会",
                "9": "其他",
            },
            "4": {"1": "外国在华文化中心", "9": "其他"},
            "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
            "6": {
                "1": "外国旅游部门常驻代表机构",
                "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
                "9": "其他",
            },
            "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
            "8": {"1": "基层工会", "9": "其他"},
            "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
            "A": {"1": "军队事业单位", "9": "其他"},
            "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
            "Y": {"1": "其他"},
        }.items()
    }
)
# Central registrations use region code 100000, which is not a province code.
_USCC_CENTRAL_REGION = "100000"

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(r"[0-9A-Z]{8}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Uscc:
    code: str
    registration_authority: str
    entity_type: str
    region_code: str
    organization_code: str


def org_code_check_char(first8: str) -> str:
    """GB 11714-1997 check character of an organisation code (positions 9-17 of a USCC) from its first 8
    characters: digits count as themselves, letters A-Z as 10-35; weights 3,7,9,10,5,8,4,2;
    check = 11 - sum mod 11, where 10 is written X and 11 is written 0."""
    if not _ORG_BODY.fullmatch(first8):
        raise InvalidIdentifier("organization_code", "组织机构代码本体应为 8 位数字或大写字母")
    values = (int(ch) if ch in _ASCII_DIGITS else ord(ch) - 55 for ch in first8)
    total = sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


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


def _describe_types(types: Mapping[str, str]) -> str:
    return "、".join(f"{code} {name}" for code, name in types.items())


def parse_uscc(value: str) -> Uscc:
    """Validate and decompose an 18-character unified social credit code."""
    raw = value.strip()
    if len(raw) != 18:
        raise InvalidIdentifier("format", f"统一社会信用代码应为 18 位，实际为 {len(raw)} 位")
    for pos, ch in enumerate(raw, start=1):
        if ch not in _USCC_RAW_ALPHABET:
            raise InvalidIdentifier(
                "alphabet",
                f"统一社会信用代码第 {pos} 位字符 “{ch}” 不合法（不得使用 I、O、Z、S、V 及非数字字母字符）",
            )
    code = raw.upper()  # all ASCII by now, so the length cannot change

    authority, entity_type = code[0], code[1]
    if authority not in USCC_AUTHORITIES:
        raise InvalidIdentifier(
            "registration_authority",
            f"统一社会信用代码第 1 位登记管理部门码 “{authority}” 无效（应为 1-9、A、N 或 Y）",
        )
    types = USCC_ENTITY_TYPES[authority]
    if entity_type not in types:
        raise InvalidIdentifier(
            "entity_type",
            f"统一社会信用代码第 2 位机构类别码 “{entity_type}” 不属于登记管理部门 {authority}"
            f"（{USCC_AUTHORITIES[authority]}），应为 {_describe_types(types)}",
        )

    region_code = code[2:8]
    if not all(ch in _ASCII_DIGITS for ch in region_code) or (
        region_code[:2] not in PROVINCE_CODES and region_code != _USCC_CENTRAL_REGION
    ):
        raise InvalidIdentifier(
            "region", f"统一社会信用代码第 3-8 位登记管理机关行政区划码 {region_code} 无效"
        )

    organization_code = code[8:17]
    expected_org = org_code_check_char(organization_code[:8])
    if organization_code[8] != expected_org:
        raise InvalidIdentifier(
            "organization_code",
            f"统一社会信用代码第 9-17 位组织机构代码 {organization_code} 校验错误（GB 11714），"
            f"第 17 位应为 {expected_org}",
        )

    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier("check_character", f"统一社会信用代码校验位错误，应为 {expected}")

    return Uscc(
        code=code,
        registration_authority=authority,
        entity_type=entity_type,
        region_code=region_code,
        organization_code=organization_code,
    )


def is_valid_uscc(value: str) -> bool:
    try:
        parse_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def build_uscc(org_body: str, *, authority: str = "9", entity_type: str = "1", region: str = "320583") -> str:
    """A valid USCC from its parts (demo data and tests): ``org_body`` is the first 8 characters of the
    organisation code (USCC alphabet); both check characters are computed. Raises
    :class:`InvalidIdentifier` if a part is not valid (e.g. an authority/type pair the standard lacks)."""
    first16 = authority + entity_type + region + org_body
    first17 = first16 + org_code_check_char(org_body)
    return parse_uscc(first17 + uscc_check_char(first17)).code


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
