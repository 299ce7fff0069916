from __future__ import annotations

import datetime
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kunruyi_common.validators import (
    MAINLAND_PROVINCE_CODES,
    NATIONALITY_CODES,
    PROVINCE_CODES,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    USCC_ENTITY_TYPES,
    InvalidIdentifier,
    build_foreign_resident_id,
    build_resident_id,
    build_uscc,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_cn_mobile,
    org_code_check_char,
    parse_resident_id,
    parse_uscc,
    resident_id_check_char,
    uscc_check_char,
)

TODAY = datetime.date(2026, 1, 1)

# --- resident ID -----------------------------------------------------------------------------


def test_published_resident_id_vector() -> None:
    rid = parse_resident_id("11010519491231002X")
    assert rid.number == "11010519491231002X"
    assert rid.region_code == "110105"
    assert rid.birth_date == datetime.date(1949, 12, 31)
    assert rid.gender == "female"
    assert (rid.kind, rid.nationality) == ("resident", None)
    assert resident_id_check_char("11010519491231002") == "X"
    assert is_valid_resident_id("11010519491231002X")


def test_lowercase_x_is_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x ").number == "11010519491231002X"


def test_gender_from_sequence() -> None:
    first17 = "11010519900101001"
    assert parse_resident_id(first17 + resident_id_check_char(first17)).gender == "male"


@pytest.mark.parametrize(
    ("value", "part"),
    [
        ("", "format"),
        ("1101051949123100", "format"),
        ("11010519491231002XX", "format"),
        ("1101051949123100X2", "format"),
        ("11010519491231002Y", "format"),
        ("00010519491231002X", "region"),
        ("110105199902310020", "birth_date"),
        ("110105189912310020", "birth_date"),
        ("110105204001010020", "birth_date"),
        ("110105194913010020", "birth_date"),
        ("110105194912310021", "check_character"),
    ],
)
def test_resident_id_error_parts(value: str, part: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(value, today=TODAY)
    assert ei.value.part == part
    assert str(ei.value) == ei.value.message
    assert isinstance(ei.value, ValueError)


def _rid(region: str, birth: datetime.date = datetime.date(1990, 6, 1), seq: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize(
    "region",
    [
        "320583",  # 昆山市 (county-level city)
        "110105",  # 北京市朝阳区
        "441900",  # 东莞市: a prefecture-level city without counties, county part 00
        "442000",  # 中山市, same
        "429004",  # 仙桃市: 省直辖县级行政单位 (prefecture part 90)
        "810000",  # 港澳台居民居住证: 香港
        "820000",  # 澳门
        "830000",  # 台湾
        "710000",  # 台湾 (GB/T 2260)
    ],
)
def test_county_level_and_residence_permit_areas_accepted(region: str) -> None:
    assert parse_resident_id(_rid(region), today=TODAY).region_code == region


@pytest.mark.parametrize(
    ("region", "fragment"),
    [
        ("320000", "第 3-4 位地市代码不能为 00"),  # 江苏省: province level, not a county
        ("320083", "第 3-4 位地市代码不能为 00"),
        ("810100", "810000"),  # a Hong Kong permit's area code is 810000 and nothing else
        ("830583", "83"),
        ("660101", "66"),  # no province 66
        ("100000", "10"),  # the central code of USCCs is no one's address
    ],
)
def test_non_county_areas_rejected(region: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(_rid(region), today=TODAY)
    assert ei.value.part == "region"
    assert region in ei.value.message and fragment in ei.value.message


def test_bad_date_after_fixing_checksum_still_birth_date() -> None:
    first17 = "11010519990231002"
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(first17 + resident_id_check_char(first17))
    assert ei.value.part == "birth_date"
    assert "19990231" in ei.value.message


def test_check_char_message_names_expected_char() -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id("110105194912310021")
    assert ei.value.message == "身份证号校验位错误，应为 X"


def test_future_birth_date_is_relative_to_today() -> None:
    first17 = "11010520251231002"
    value = first17 + resident_id_check_char(first17)
    assert parse_resident_id(value, today=TODAY).birth_date == datetime.date(2025, 12, 31)
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(value, today=datetime.date(2025, 12, 30))
    assert ei.value.part == "birth_date"


def test_exception_pickles() -> None:
    exc = InvalidIdentifier("region", "地区码无效")
    clone = pickle.loads(pickle.dumps(exc))
    assert (clone.part, clone.message) == ("region", "地区码无效")


def test_build_resident_id() -> None:
    assert build_resident_id("110105", datetime.date(1949, 12, 31), 2) == "11010519491231002X"
    with pytest.raises(InvalidIdentifier) as ei:
        build_resident_id("320000", datetime.date(1990, 1, 1), 1)
    assert ei.value.part == "region"


# --- foreigner's permanent residence ID (2023) --------------------------------------------------


def test_foreign_permanent_resident_id_worked_vector() -> None:
    # 9 | 31 上海受理 | 276 德国 | 1979-11-30 | 顺序码 021 (odd: male) | MOD 11-2 check 5
    value = "931276197911300215"
    assert resident_id_check_char(value[:17]) == "5"
    rid = parse_resident_id(value, today=TODAY)
    assert rid.kind == "foreign_permanent_resident"
    assert (rid.nationality, rid.region_code) == ("276", "310000")
    assert (rid.birth_date, rid.gender) == (datetime.date(1979, 11, 30), "male")
    assert is_valid_resident_id(value)
    # 9 | 32 江苏 | 392 日本 | 1992-02-29 | 004 (even: female)
    japanese = build_foreign_resident_id("32", "392", datetime.date(1992, 2, 29), 4)
    assert japanese == "932392199202290048"
    assert parse_resident_id(japanese, today=TODAY).gender == "female"


def _frid(body: str) -> str:
    assert len(body) == 17
    return body + resident_id_check_char(body)


@pytest.mark.parametrize(
    ("value", "part", "fragment"),
    [
        (_frid("90027619791130021"), "region", "第 2-3 位受理地省级代码 00"),
        (_frid("99927619791130021"), "region", "99"),
        (_frid("98127619791130021"), "region", "81"),  # 香港 is not a mainland issuing province
        (_frid("93199919791130021"), "nationality", "第 4-6 位国籍代码 999"),
        (_frid("93100019791130021"), "nationality", "000"),
        (_frid("93115619791130021"), "nationality", "156"),  # 中国: not a foreigner
        (_frid("93134419791130021"), "nationality", "344"),  # 香港
        (_frid("93127619790230021"), "birth_date", "19790230"),
        (_frid("93127618991231021"), "birth_date", "1900"),
        (_frid("93127620400101021"), "birth_date", "晚于"),
        ("931276197911300216", "check_character", "应为 5"),
        ("99999999999999999X", "region", "99"),
        ("9312761979113002", "format", "18 位"),
    ],
)
def test_foreign_permanent_resident_id_junk_rejected(value: str, part: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(value, today=TODAY)
    assert ei.value.part == part
    assert fragment in ei.value.message


# --- raw input is checked before it is normalised --------------------------------------------


def test_ligature_cannot_become_a_uscc() -> None:
    code = build_uscc("FF000000")  # 91320583FF0000004N: a valid code with "FF" inside
    assert code == "91320583FF0000004N"
    ligature = code.replace("FF", "\ufb00")  # "ﬀ", one character
    assert len(ligature) == 17 and ligature.upper() == code  # what a naive upper() would have accepted
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(ligature)
    assert ei.value.part == "format" and "实际为 17 位" in ei.value.message
    assert not is_valid_uscc(ligature)
    # Padded back to 18 characters the ligature is still no letter of the alphabet.
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(ligature[:-1] + "N" + "N")
    assert ei.value.part == "alphabet" and "第 9 位" in ei.value.message


@pytest.mark.parametrize(
    "char",
    ["\ufb00", "\u00df", "\ufb01", "\u0149", "\u1e9e"],  # ﬀ→FF, ß→SS, ﬁ→FI, ŉ→ʼN, ẞ (stays one char)
)
def test_characters_that_change_under_upper_are_refused(char: str) -> None:
    base = build_uscc("MF0000A1")
    for pos in range(18):
        candidate = base[:pos] + char + base[pos + 1 :]
        assert not is_valid_uscc(candidate)
        assert not is_valid_resident_id(_rid("320583")[:pos] + char + _rid("320583")[pos + 1 :])


@given(st.text(min_size=17, max_size=17))
def test_no_17_character_input_is_an_18_character_code(value: str) -> None:
    assert not is_valid_uscc(value)
    assert not is_valid_resident_id(value)


# --- resident ID properties ------------------------------------------------------------------


@st.composite
def county_areas(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(MAINLAND_PROVINCE_CODES)))
    prefecture = draw(st.integers(1, 99))
    county = draw(st.integers(0, 99))
    return f"{province}{prefecture:02d}{county:02d}"


@st.composite
def valid_resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.one_of(county_areas(), st.sampled_from(["710000", "810000", "820000", "830000"])))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def valid_foreign_resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(MAINLAND_PROVINCE_CODES)))
    nationality = draw(st.sampled_from(sorted(NATIONALITY_CODES - {"156", "158", "344", "446"})))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    first17 = f"9{province}{nationality}{birth:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


@given(valid_resident_ids())
def test_generated_resident_ids_are_valid(value: str) -> None:
    rid = parse_resident_id(value, today=TODAY)
    assert rid.number == value and rid.kind == "resident"
    assert rid.gender == ("male" if int(value[16]) % 2 else "female")


@given(valid_foreign_resident_ids())
def test_generated_foreign_resident_ids_are_valid(value: str) -> None:
    rid = parse_resident_id(value, today=TODAY)
    assert (rid.number, rid.kind, rid.nationality) == (value, "foreign_permanent_resident", value[3:6])


@given(st.one_of(valid_resident_ids(), valid_foreign_resident_ids()), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_substitution_is_detected(value: str, pos: int, delta: int) -> None:
    mutated_digit = str((int(value[pos]) + delta) % 10)
    mutated = value[:pos] + mutated_digit + value[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_resident_id(mutated, today=TODAY)


@given(st.one_of(valid_resident_ids(), valid_foreign_resident_ids()), st.integers(0, 17), st.characters())
def test_any_single_character_change_of_an_id_is_rejected(value: str, pos: int, ch: str) -> None:
    if value[pos] == ch.upper():
        return
    assert not is_valid_resident_id(value[:pos] + ch + value[pos + 1 :])


@given(st.one_of(valid_resident_ids(), valid_foreign_resident_ids()), st.sampled_from("0123456789X"))
def test_changed_check_char_is_detected(value: str, new_check: str) -> None:
    if new_check == value[17]:
        return
    with pytest.raises(InvalidIdentifier) as ei:
        parse_resident_id(value[:17] + new_check, today=TODAY)
    assert ei.value.part == "check_character"


# --- USCC ------------------------------------------------------------------------------------


def test_published_uscc_vector() -> None:
    u = parse_uscc("91110000600037341L")
    assert u.code == "91110000600037341L"
    assert u.registration_authority == "9"
    assert u.entity_type == "1"
    assert u.region_code == "110000"
    assert u.organization_code == "600037341"
    assert org_code_check_char("60003734") == "1"
    assert uscc_check_char("91110000600037341") == "L"
    assert is_valid_uscc("91110000600037341L")


@pytest.mark.parametrize("code", ["92371000MA3MXH0E3W", "91230184MA1BUFLT44"])
def test_codes_in_the_wild_validate(code: str) -> None:
    # A 个体工商户 (9-2) and an enterprise code as printed in public examples: both check characters hold.
    assert parse_uscc(code).code == code


def test_org_code_check_char_worked_example() -> None:
    # M=22 F=15 0 0 0 0 A=10 1, weights 3 7 9 10 5 8 4 2: 66+105+40+2 = 213; 213 mod 11 = 4; 11-4 = 7.
    assert org_code_check_char("MF0000A1") == "7"
    # 11 - sum mod 11 == 10 is written X, == 11 is written 0.
    assert org_code_check_char("00000001") == "9"  # sum 2: 11 - 2 = 9
    assert org_code_check_char("00000006") == "X"  # sum 12: 11 - 1 = 10, written X
    assert org_code_check_char("00000000") == "0"  # sum 0: 11 - 0 = 11, written 0
    with pytest.raises(InvalidIdentifier) as ei:
        org_code_check_char("MF0000A")
    assert ei.value.part == "organization_code"


@pytest.mark.parametrize(
    ("code", "authority", "entity_type"),
    [
        ("N1320583MF0000A17G", "N", "1"),  # 农业: 组级集体经济组织
        ("N2320583MF0000A17D", "N", "2"),  # 农业: 村级集体经济组织
        ("N3320583MF0000A17A", "N", "3"),  # 农业: 乡镇级集体经济组织
        ("N9320583MF0000A17P", "N", "9"),
        ("A1320583MF0000A17W", "A", "1"),  # 中央军委改革和编制办公室: 军队事业单位
        ("A9320583MF0000A174", "A", "9"),
        ("Y1320583MF0000A178", "Y", "1"),  # 其他
        ("91320583MF0000A17X", "9", "1"),  # 工商: 企业
        ("92320583MF0000A17T", "9", "2"),  # 工商: 个体工商户
        ("93320583MF0000A17P", "9", "3"),  # 工商: 农民专业合作社
        ("13320583MF0000A170", "1", "3"),  # 机构编制: 中央编办直接管理机构编制的群众团体
        ("35320583MF0000A17P", "3", "5"),  # 司法行政: 仲裁委员会
        ("62320583MF0000A17X", "6", "2"),  # 旅游: 港澳台地区旅游部门常驻内地（大陆）代表机构
    ],
)
def test_authority_type_pairs_of_the_standard_accepted(code: str, authority: str, entity_type: str) -> None:
    u = parse_uscc(code)
    assert (u.registration_authority, u.entity_type, u.organization_code) == (
        authority,
        entity_type,
        "MF0000A17",
    )
    assert parse_uscc(code.lower()).code == code


def _with_checks(first16: str) -> str:
    first17 = first16 + org_code_check_char(first16[8:16])
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize(
    ("pair", "fragment"),
    [
        ("99", "登记管理部门 9（工商），应为 1 企业、2 个体工商户、3 农民专业合作社"),
        ("N4", "登记管理部门 N（农业）"),
        ("Y2", "应为 1 其他"),
        ("54", "登记管理部门 5（民政）"),
        ("A2", "登记管理部门 A（中央军委改革和编制办公室）"),
        ("83", "登记管理部门 8（工会）"),
        ("26", "登记管理部门 2（外交）"),
        ("N0", "第 2 位机构类别码 “0”"),
    ],
)
def test_type_outside_its_authority_rejected(pair: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(_with_checks(pair + "320583MF0000A1"))
    assert ei.value.part == "entity_type"
    assert fragment in ei.value.message


@pytest.mark.parametrize("authority", ["0", "B", "C", "G", "H", "M", "X"])
def test_unknown_authority_rejected(authority: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(_with_checks(authority + "1320583MF0000A1"))
    assert ei.value.part == "registration_authority"
    assert f"第 1 位登记管理部门码 “{authority}”" in ei.value.message


def test_org_code_check_failure_names_positions_9_to_17() -> None:
    first17 = "91320583MF0000A10"  # the organisation code's check character should be 7
    code = first17 + uscc_check_char(first17)  # a correct USCC check character does not save it
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(code)
    assert ei.value.part == "organization_code"
    assert ei.value.message == (
        "统一社会信用代码第 9-17 位组织机构代码 MF0000A10 校验错误（GB 11714），第 17 位应为 7"
    )


def test_uscc_lowercase_normalised() -> None:
    assert parse_uscc("91110000600037341l").code == "91110000600037341L"


@pytest.mark.parametrize(
    ("value", "part", "fragment"),
    [
        ("9111000060003734", "format", "18"),
        ("91110000600037341LL", "format", "18"),
        ("9111000060003734IL", "alphabet", "第 17 位"),
        ("91110000600O37341L", "alphabet", "第 12 位"),
        ("91110000600037341S", "alphabet", "第 18 位"),
        ("9111000060003734-L", "alphabet", "第 17 位"),
        ("H1110000600037341L", "registration_authority", "第 1 位"),
        ("97110000600037341L", "entity_type", "第 2 位"),
        ("911A0000600037341L", "region", "1A0000"),
        ("91990000600037341L", "region", "990000"),
        ("91830000600037341L", "region", "830000"),
        ("91101000600037341L", "region", "101000"),
        ("91110000600037341A", "check_character", "应为 L"),
    ],
)
def test_uscc_error_parts(value: str, part: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(value)
    assert ei.value.part == part
    assert fragment in ei.value.message


def test_central_region_accepted() -> None:
    assert parse_uscc(
        build_uscc("00001317", authority="1", entity_type="1", region="100000")
    ).region_code == ("100000")


def test_uscc_check_char_zero_case() -> None:
    # sum % 31 == 0 must map to "0", not to the out-of-range index 31.
    for tail in range(100_000):
        code = build_uscc(f"600{tail:05d}", region="110000")
        if code.endswith("0"):
            assert parse_uscc(code).code == code
            return
    pytest.fail("no code with check char 0 found")


def test_build_uscc_refuses_pairs_outside_the_table() -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        build_uscc("MF0000A1", authority="9", entity_type="9")
    assert ei.value.part == "entity_type"


_ALPHABET_CHAR = st.sampled_from(USCC_ALPHABET)
_PAIRS = sorted((a, t) for a, types in USCC_ENTITY_TYPES.items() for t in types)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    authority, entity = draw(st.sampled_from(_PAIRS))
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    region = draw(st.one_of(st.just("100000"), st.from_regex(rf"{province}[0-9]{{4}}", fullmatch=True)))
    org = "".join(draw(st.lists(_ALPHABET_CHAR, min_size=8, max_size=8)))
    return build_uscc(org, authority=authority, entity_type=entity, region=region)


def test_authority_table_matches_the_standard() -> None:
    assert set(USCC_AUTHORITIES) == set("123456789ANY")
    assert set(USCC_ENTITY_TYPES) == set(USCC_AUTHORITIES)
    assert {a: "".join(sorted(t)) for a, t in USCC_ENTITY_TYPES.items()} == {
        "1": "1239",
        "2": "19",
        "3": "123459",
        "4": "19",
        "5": "1239",
        "6": "129",
        "7": "129",
        "8": "19",
        "9": "123",
        "A": "19",
        "N": "1239",
        "Y": "1",
    }


@given(valid_usccs())
def test_generated_usccs_are_valid(value: str) -> None:
    u = parse_uscc(value)
    assert u.code == value
    assert u.entity_type in USCC_ENTITY_TYPES[u.registration_authority]
    assert org_code_check_char(value[8:16]) == value[16]


@given(valid_usccs(), st.integers(0, 17), _ALPHABET_CHAR)
def test_any_single_uscc_substitution_is_detected(value: str, pos: int, ch: str) -> None:
    if value[pos] == ch:
        return
    mutated = value[:pos] + ch + value[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_uscc(mutated)


@given(valid_usccs(), st.integers(0, 17), st.characters())
def test_any_single_character_change_is_rejected(value: str, pos: int, ch: str) -> None:
    if value[pos] == ch.upper():
        return
    assert not is_valid_uscc(value[:pos] + ch + value[pos + 1 :])


# --- mobile ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13812341234", "+8613812341234", "86 138 1234 1234", "+86-138-1234-1234", "0086 13812341234"],
)
def test_normalize_cn_mobile(value: str) -> None:
    assert normalize_cn_mobile(value) == "13812341234"


@pytest.mark.parametrize(
    "value", ["", "12812341234", "1381234123", "138123412345", "+1 13812341234", "1381234123a"]
)
def test_normalize_cn_mobile_rejects(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        normalize_cn_mobile(value)
    assert ei.value.part == "format"


def test_non_ascii_digits_rejected() -> None:
    arabic_indic = "11010519491231002X".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    fullwidth = "11010519491231002X".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for value in (arabic_indic, fullwidth):
        assert not is_valid_resident_id(value)
    assert not is_valid_uscc("911100006000373４1L")
    with pytest.raises(InvalidIdentifier):
        normalize_cn_mobile("１３８１２３４１２３４")
