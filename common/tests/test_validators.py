from __future__ import annotations

import datetime
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kunruyi_common.validators import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    InvalidIdentifier,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_cn_mobile,
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
        ("99010519491231002X", "region"),
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


@st.composite
def valid_resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    region = province + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + resident_id_check_char(first17)


@given(valid_resident_ids())
def test_generated_resident_ids_are_valid(value: str) -> None:
    rid = parse_resident_id(value, today=TODAY)
    assert rid.number == value
    assert rid.gender == ("male" if int(value[16]) % 2 else "female")


@given(valid_resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_substitution_is_detected(value: str, pos: int, delta: int) -> None:
    mutated_digit = str((int(value[pos]) + delta) % 10)
    mutated = value[:pos] + mutated_digit + value[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_resident_id(mutated, today=TODAY)


@given(valid_resident_ids(), st.sampled_from("0123456789X"))
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
    assert uscc_check_char("91110000600037341") == "L"
    assert is_valid_uscc("91110000600037341L")


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
        ("H1110000600037341L", "format", "第 1 位"),
        ("97110000600037341L", "format", "第 2 位"),
        ("911A0000600037341L", "region", "1A0000"),
        ("91990000600037341L", "region", "990000"),
        ("91110000600037341A", "check_character", "应为 L"),
    ],
)
def test_uscc_error_parts(value: str, part: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier) as ei:
        parse_uscc(value)
    assert ei.value.part == part
    assert fragment in ei.value.message


def test_uscc_check_char_zero_case() -> None:
    # sum % 31 == 0 must map to "0", not to the out-of-range index 31.
    for tail in range(10_000):
        first17 = f"911100006000{tail:05d}"
        if uscc_check_char(first17) == "0":
            assert parse_uscc(first17 + "0").code.endswith("0")
            return
    pytest.fail("no prefix with check char 0 found")


_ALPHABET_CHAR = st.sampled_from(USCC_ALPHABET)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from("123456789ABCDEFGY"))
    entity = draw(st.sampled_from("1234589"))
    region = draw(st.sampled_from(sorted(PROVINCE_CODES | {"10"}))) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True)
    )
    org = "".join(draw(st.lists(_ALPHABET_CHAR, min_size=9, max_size=9)))
    first17 = authority + entity + region + org
    return first17 + uscc_check_char(first17)


@given(valid_usccs())
def test_generated_usccs_are_valid(value: str) -> None:
    assert parse_uscc(value).code == value


@given(valid_usccs(), st.integers(0, 17), _ALPHABET_CHAR)
def test_any_single_uscc_substitution_is_detected(value: str, pos: int, ch: str) -> None:
    if value[pos] == ch:
        return
    mutated = value[:pos] + ch + value[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_uscc(mutated)


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
