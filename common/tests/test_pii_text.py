from __future__ import annotations

import base64
import datetime
import logging
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kunruyi_common.crypto import DecryptionError, FieldCipher
from kunruyi_common.logging import RedactingJsonFormatter
from kunruyi_common.pii_text import find_pii, mask_pii, protect_text, reveal_text
from kunruyi_common.validators import PROVINCE_CODES, resident_id_check_char

# Chinese text around the numbers: CJK ideographs and full-width punctuation, never a digit or a Latin letter.
chinese = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.sampled_from("，。：；、！？ ")
    ),
    max_size=30,
)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    # A county-level area (GB 11643): a mainland province, then a prefecture that is not 00 (Taiwan, Hong Kong
    # and Macao have only their exact province-level codes, left out here).
    province = draw(st.sampled_from(sorted(set(PROVINCE_CODES) - {"71", "81", "82"})))
    region = province + draw(st.from_regex(r"(0[1-9]|[1-9][0-9])[0-9]{2}", fullmatch=True))
    born = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31)))
    first17 = region + born.strftime("%Y%m%d") + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return first17 + resident_id_check_char(first17)


phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(16, 19))
    body = draw(st.sampled_from(["62", "4", "5", "9", "35"]))
    body += draw(st.from_regex(rf"[0-9]{{{length - len(body) - 1}}}", fullmatch=True))
    for check in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(body + check)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable")


def _grouped(number: str, sep: str) -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def written_phones(draw: st.DrawFn) -> tuple[str, str]:
    """(how it is written, the 11 digits)."""
    number = draw(phones)
    style = draw(st.sampled_from(["plain", "dash", "space", "+86", "+86 dash", "full-width"]))
    written = {
        "plain": number,
        "dash": f"{number[:3]}-{number[3:7]}-{number[7:]}",
        "space": f"{number[:3]} {number[3:7]} {number[7:]}",
        "+86": "+86" + number,
        "+86 dash": f"+86 {number[:3]}-{number[3:7]}-{number[7:]}",
        "full-width": number.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
    }[style]
    return written, number


def _cipher() -> FieldCipher:
    return FieldCipher.from_b64(base64.b64encode(os.urandom(32)).decode())


@given(chinese, resident_ids(), chinese, written_phones(), chinese, cards(), chinese)
def test_every_number_in_chinese_text_is_found_masked_and_kept_encrypted(
    a: str, rid: str, b: str, phone: tuple[str, str], c: str, card: str, d: str
) -> None:
    written_phone, phone_digits = phone
    # Each number is followed by punctuation: digits followed by a unit (万, 元 …) are an amount, not an identifier.
    text = f"{a}身份证{rid}，{b}手机{written_phone}，{c}卡号{card}。{d}"
    spans = find_pii(text)
    assert [(s.kind, s.value) for s in spans] == [
        ("resident_id", rid),
        ("phone", phone_digits),
        ("bank_card", card),
    ]
    cipher = _cipher()
    protected = protect_text(text, cipher, associated_data=b"t.description")
    for number in (rid, phone_digits, card, written_phone):
        assert number not in protected.masked
    # The birth date of an ID is never shown, nor the county; the check character and sequence are.
    assert f"身份证{rid[:4]}{'*' * 10}{rid[-4:]}" in protected.masked
    assert f"手机{phone_digits[:3]}****{phone_digits[-4:]}" in protected.masked
    assert f"卡号{card[:4]}{'*' * 8}{card[-4:]}" in protected.masked
    assert len(protected.masked) <= len(text)
    assert protected.encrypted is not None
    assert (
        reveal_text(protected.masked, protected.encrypted, cipher, associated_data=b"t.description") == text
    )
    # The mask is stable: masking again finds nothing more.
    assert find_pii(protected.masked) == []


@given(chinese)
def test_text_without_numbers_is_stored_as_is(text: str) -> None:
    protected = protect_text(text, _cipher(), associated_data=b"x")
    assert protected.masked == text
    assert protected.encrypted is None


@pytest.mark.parametrize(
    "text",
    [
        "申请金额13800000000元",
        "预算 ¥13800000000",
        "合计 1,38123456789 元",
        "利率 13812345678.5",
        "订单号 202312181230451234",
        "时间 2023-12-18 12:30:45，日期20231218",
        "企业 91320583MA1MDXYH8C 提交",
        "编号AB320583198212181827",
        "身份证 320583198213181827 日期无效",
        "身份证 320583198212181828 校验位不对",
        "座机 0512-57001234",
        "卡号 6222021234567890 校验不过",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_pii(text) == []
    assert mask_pii(text) == text


def test_a_uuid_is_not_read_as_a_phone() -> None:
    # An application id whose hex groups read "138-1234-5678": an identifier, not a phone; a phone beside it still is.
    application_id = "3fa8c138-1234-5678-9abc-2c963f66afa6"
    assert find_pii(f"申报 {application_id} 已受理") == []
    assert mask_pii(f"申报 {application_id} 已受理") == f"申报 {application_id} 已受理"
    found = find_pii(f"申报 {application_id}，联系电话 13812345678")
    assert [(s.kind, s.value) for s in found] == [("phone", "13812345678")]
    # Nor a trace id (W3C traceparent, as the outbox stores it) or a digest whose digits run 11 long.
    traceparent = "00-4bf92f35c13812345678da6a3ce929d0-00f067aa0ba902b7-01"
    assert find_pii(f'{{"traceparent": "{traceparent}"}}') == []
    assert (
        find_pii("00-886a863c409293771f83a3a57b9209d2-3022307539517133-01") == []
    )  # a span id of card shape
    assert find_pii("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78525678") == []


def test_old_fifteen_digit_id_and_x_check_character() -> None:
    assert mask_pii("旧证号320583821218182。") == "旧证号3205********182。"
    assert mask_pii("证件11010519491231002x。") == "证件1101**********002X。"


def test_ciphertext_is_bound_to_its_column() -> None:
    cipher = _cipher()
    protected = protect_text("手机13812345678", cipher, associated_data=b"tickets.description:1")
    assert protected.encrypted is not None
    with pytest.raises(DecryptionError):
        reveal_text(protected.masked, protected.encrypted, cipher, associated_data=b"tickets.reply:1")


@given(chinese, resident_ids(), written_phones(), cards())
def test_log_lines_never_carry_the_numbers(a: str, rid: str, phone: tuple[str, str], card: str) -> None:
    old_id = rid[:6] + rid[8:17]
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, f"{a}诉求内容：{rid}，{phone[0]}，{card}，旧证{old_id}", None, None
    )
    line = RedactingJsonFormatter("%(message)s").format(record)
    for number in (rid, phone[1], card, old_id):
        assert number not in line
