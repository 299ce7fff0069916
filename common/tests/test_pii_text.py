from __future__ import annotations

import base64
import datetime
import logging
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kunruyi_common.crypto import DecryptionError, FieldCipher, mask_resident_id, redact_text
from kunruyi_common.logging import RedactingJsonFormatter
from kunruyi_common.pii_text import (
    find_pii,
    mask_pii,
    protect_text,
    remask_existing_rows,
    remask_legacy_ids,
    reveal_text,
)
from kunruyi_common.validators import PROVINCE_CODES, resident_id_check_char
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import create_async_engine

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
    # An ID keeps its first and last character only (the structured fields' mask): area, birth date and sequence
    # stay hidden.
    assert f"身份证{rid[0]}{'*' * 16}{rid[-1]}" in protected.masked
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
    assert mask_pii("旧证号320583821218182。") == "旧证号3*************2。"
    assert mask_pii("证件11010519491231002x。") == "证件1****************X。"


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


# --- a masked ID beside an age: what any officer reads (a ticket's text, the talent's age and gender) ---------------

REBUILD_LIMIT = 1000  # as tests/e2e/security/test_pii_rebuild.py
LOCAL_AREA = "320583"


def _completions(mask: str, age: int, gender: str, today: datetime.date) -> int:
    """How many valid ID numbers fit ``mask`` for a person of ``age`` and ``gender`` (the attacker knows the local
    area code for the hidden area characters), as test_pii_rebuild.candidates counts them."""
    area = "".join(m if m != "*" else LOCAL_AREA[i] for i, m in enumerate(mask[:6]))
    if not area.isdigit():
        return 0
    fits = lambda text, at: all(mask[at + i] in ("*", c) for i, c in enumerate(text))  # noqa: E731
    dates = []
    day = today.replace(year=today.year - age - 1)
    while day <= today.replace(year=today.year - age):
        born_age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
        if born_age == age and fits(f"{day:%Y%m%d}", 6):
            dates.append(day)
        day += datetime.timedelta(days=1)
    sequences = [
        f"{n:03d}" for n in range(1000) if fits(f"{n:03d}", 14) and ("male" if n % 2 else "female") == gender
    ]
    if mask[17] == "*":
        return len(dates) * len(sequences)
    return sum(
        1
        for d in dates
        for s in sequences
        if resident_id_check_char(f"{area}{d:%Y%m%d}{s}") == mask[17].upper()
    )


@pytest.mark.parametrize(
    ("rid", "written"),
    [
        ("320583198212181827", "320583198212181827"),
        ("11010519491231002X", "11010519491231002x"),
        # full-width digits, as a phone keyboard types them
        ("320583199502030028", "３２０５８３１９９５０２０３００２８"),
    ],
)
def test_a_masked_id_in_free_text_cannot_be_completed_from_an_age(rid: str, written: str) -> None:
    today = datetime.date(2025, 6, 1)
    born = datetime.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    gender = "male" if int(rid[16]) % 2 else "female"
    text = f"本人身份证 {written}，申请人才补贴一直没有回音"
    [span] = find_pii(text)
    assert span.kind == "resident_id" and span.value == rid
    masked = mask_pii(text)
    shown = masked[span.start : span.start + len(span.mask)]
    # One mask for free text and structured fields (and log lines): the first and the last character only.
    assert shown == span.mask == mask_resident_id(rid) == rid[0] + "*" * (len(rid) - 2) + rid[-1]
    assert redact_text(f"id {rid}") == f"id {mask_resident_id(rid)}"
    assert _completions(shown, age, gender, today) >= REBUILD_LIMIT
    # The check is not vacuous: the area + last-four shape this replaced completes to a few dozen.
    assert _completions(rid[:4] + "*" * 10 + rid[-4:], age, gender, today) < 100


def test_an_old_fifteen_digit_id_keeps_only_its_first_and_last_digit() -> None:
    [span] = find_pii("旧证号 320583821218182 已作废")
    assert span.mask == mask_resident_id("320583821218182") == "3*************2"


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@given(chinese, resident_ids())
def test_a_log_line_masks_an_id_as_the_registry_does(a: str, rid: str) -> None:
    for written in (rid, rid.translate(_FULL_WIDTH)):
        record = logging.LogRecord("t", logging.INFO, __file__, 1, f"{a}诉求：{written}。", None, None)
        # as configure_logging sets it up (Chinese and full-width digits written as they are)
        line = RedactingJsonFormatter("%(message)s", json_ensure_ascii=False).format(record)
        assert mask_resident_id(rid) in line, line
        assert rid[1:-1] not in line


# --- text stored with the old ID mask ----------------------------------------------------------------------------


def _old_mask(rid: str) -> str:
    """The ID mask free text had before (area + last four; 15-digit: area + last three)."""
    tail = 4 if len(rid) == 18 else 3
    return rid[:4] + "*" * (len(rid) - 4 - tail) + rid[-tail:]


@given(chinese, resident_ids(), written_phones(), cards(), chinese)
def test_text_stored_with_the_old_id_mask_is_remasked_as_it_is_masked_now(
    a: str, rid: str, phone: tuple[str, str], card: str, b: str
) -> None:
    text = f"{a}身份证{rid}，手机{phone[0]}，卡号{card}。旧证{rid[:6] + rid[8:17]}，{b}"
    now = mask_pii(text)
    before = now.replace(mask_resident_id(rid), _old_mask(rid), 1).replace(
        mask_resident_id(rid[:6] + rid[8:17]), _old_mask(rid[:6] + rid[8:17]), 1
    )
    assert remask_legacy_ids(before) == now
    assert remask_legacy_ids(now) == now, "the new masks, a phone's and a card's are left as they are"


def test_only_an_old_id_mask_is_remasked() -> None:
    assert remask_legacy_ids("证件1101**********002X，卡号6222********0128") == (
        "证件1****************X，卡号6222********0128"
    )
    assert remask_legacy_ids("旧证号3205********182。") == "旧证号3*************2。"
    for kept in ("AB3205**********1827", "3205**********18270", "3205***********1827", "6222 **** **** 0123"):
        assert remask_legacy_ids(kept) == kept


async def test_rows_stored_with_the_old_id_mask_are_remasked_by_a_migration_step(infra: Infra) -> None:
    name = "test_common_remask_rows"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    engine = create_async_engine(with_database(infra.database_admin_url, name))
    try:
        async with engine.begin() as conn:
            await conn.execute(sql_text("CREATE TABLE notes (id int PRIMARY KEY, body text, note text)"))
            await conn.execute(
                sql_text(
                    "INSERT INTO notes VALUES (1, '身份证3205**********1827', NULL), "
                    "(2, '卡号6222********0128', '无'), (3, NULL, '旧证3205********182'), (4, '无号码', NULL)"
                )
            )
            changed = await conn.run_sync(lambda c: remask_existing_rows(c, "notes", ("body", "note")))
            again = await conn.run_sync(lambda c: remask_existing_rows(c, "notes", ("body", "note")))
            rows = (await conn.execute(sql_text("SELECT id, body, note FROM notes ORDER BY id"))).all()
    finally:
        await engine.dispose()
    assert changed == 2 and again == 0
    assert [tuple(r) for r in rows] == [
        (1, "身份证3****************7", None),
        (2, "卡号6222********0128", "无"),
        (3, None, "旧证3*************2"),
        (4, "无号码", None),
    ]
