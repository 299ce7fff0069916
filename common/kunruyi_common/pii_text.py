"""Personal data inside free text: find resident IDs, mainland mobile numbers and bank card numbers, mask them,
and keep the original only encrypted.

A ticket description, a reply, a review comment is typed by people, and people write "本人身份证 3205…，手机
188…" into it. Services protect such a field at write time with :func:`protect_text`: the column keeps the
masked text in clear (every span replaced by its mask) and a second column keeps the original encrypted with the
kit's field encryption (:class:`kunruyi_common.crypto.FieldCipher`). Responses show the masked text; an audited
staff action reveals the original with :func:`reveal_text`.

What is found (digits may be ASCII or full-width):

- 18-character resident IDs (GB 11643) whose region, birth date and check character (``X`` too) are valid;
- 15-digit first-generation IDs with a valid province code and birth date;
- mainland mobile numbers ``1[3-9]`` + 9 digits, also written ``188-1234-5678`` / ``188 1234 5678`` and with a
  ``+86`` / ``0086`` prefix;
- bank card numbers of 16–19 digits (contiguous or in groups of four) that pass the Luhn check and start like a
  card (3, 4, 5, 6, 9 or the 2221–2720 Mastercard range).

Not found, on purpose: digit runs glued to Latin letters or longer digit runs (USCCs, order numbers), numbers that
are part of a decimal or a thousands-separated amount, amounts in 元/万/亿, all-digit valid USCCs, dates.

Masks never let the number be rebuilt from what else is shown: an ID gets the structured fields' mask,
:func:`kunruyi_common.crypto.mask_resident_id` (its first and last character only, ``3****************7``: area,
birth date and sequence hidden, so an age or a birth date shown beside it still leaves thousands of numbers); a
phone keeps ``138****1234``; a card keeps its first and last four digits with a fixed eight stars (the length is
hidden too). A mask is never longer than its span, so a masked text fits the column the original fitted.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, Request
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection

from kunruyi_common.crypto import FieldCipher, mask_resident_id
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_common.validators import PROVINCE_CODES, is_valid_resident_id, is_valid_uscc

__all__ = [
    "PiiKind",
    "PiiSpan",
    "ProtectedText",
    "TextCipher",
    "TextCipherDep",
    "find_pii",
    "has_pii",
    "mask_pii",
    "protect_existing_rows",
    "protect_text",
    "protected_text_column",
    "remask_existing_rows",
    "remask_legacy_ids",
    "request_text_cipher",
    "reveal_text",
]

PiiKind = Literal["resident_id", "phone", "bank_card"]

# One separator between digit groups: ASCII space/hyphen, ideographic space, full-width hyphen, no-break space.
_SEP = r"[ \-\u3000\uff0d\u00a0]"
# What may stand between the digits of a number (a character class), for checks made elsewhere (logging).
SEPARATOR_CLASS = _SEP
# Unicode \d (full-width digits too); Latin letters in both widths count as "part of a longer code".
_ALNUM_BEFORE = r"(?<!\d)(?<![A-Za-z\uff21-\uff3a\uff41-\uff5a])"
_ALNUM_AFTER = r"(?![\dA-Za-z\uff21-\uff3a\uff41-\uff5a])"

_RID18 = re.compile(_ALNUM_BEFORE + r"\d{17}[\dXx\uff38\uff58]" + _ALNUM_AFTER)
_RID15 = re.compile(_ALNUM_BEFORE + r"\d{15}" + _ALNUM_AFTER)
_CARD = re.compile(
    _ALNUM_BEFORE + r"(?:\d{16,19}|\d{4}(?:" + _SEP + r"\d{4}){3}(?:" + _SEP + r"\d{1,3})?)" + _ALNUM_AFTER
)
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|\uff0b|00)86" + _SEP + r"?|[(（](?:\+|\uff0b)?86[)）]" + _SEP + r"?)?"
    r"\d{3}(?:" + _SEP + r"?\d{4}){2}(?!\d)"
)
# Every match holds at least 11 digits within a short stretch: texts without such a run skip the full scan.
_HINT = re.compile(r"\d(?:" + _SEP + r"?\d){10}")
# Machine identifiers whose hex digits may read like a phone or another number: a UUID (an application's, a bank
# reference: ``…c138-1234-5678-…``) and a long hex token with a letter in it (a trace or span id, a SHA-256). Nothing
# inside one is personal data.
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{16,}(?![0-9A-Za-z])")
# A W3C traceparent (version-trace id-span id-flags): its span id may be 16 decimal digits, the shape of a card.
_TRACEPARENT = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?![0-9A-Za-z])")
# An amount right after the number: 元, 万, 亿, 块.
_AMOUNT_AFTER = re.compile(r"\s*[元万亿块]")
_CURRENCY_BEFORE = frozenset("¥￥$")


class TextCipher(Protocol):
    """What :func:`protect_text` needs of a cipher: :class:`kunruyi_common.crypto.FieldCipher` fits."""

    def encrypt(self, plaintext: str, *, associated_data: bytes = b"") -> str: ...

    def decrypt(self, token: str, associated_data: bytes = b"") -> str: ...


@dataclass(frozen=True, slots=True)
class PiiSpan:
    kind: PiiKind
    start: int
    end: int
    # The number as ASCII digits (and an upper-case X), separators and prefixes removed.
    value: str

    @property
    def mask(self) -> str:
        return _mask(self.kind, self.value)


@dataclass(frozen=True, slots=True)
class ProtectedText:
    """What a service stores: ``masked`` in the clear column, ``encrypted`` (None when nothing was found) beside it."""

    masked: str
    encrypted: str | None


def _ascii_digits(text: str) -> str:
    out = []
    for ch in text:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch in "Xx\uff38\uff58":
            out.append("X")
    return "".join(out)


def _valid_rid15(value: str) -> bool:
    if value[:2] not in PROVINCE_CODES:
        return False
    # Issued to people born in 19YY; 2000-02-29 read as 1900 would be invalid, so either century counts.
    for century in (1900, 2000):
        try:
            datetime.date(century + int(value[6:8]), int(value[8:10]), int(value[10:12]))
        except ValueError:
            continue
        return True
    return False


def _luhn(value: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_like(value: str) -> bool:
    if not 16 <= len(value) <= 19 or not _luhn(value):
        return False
    if value[0] in "34569":
        return True
    return value[0] == "2" and 2221 <= int(value[:4]) <= 2720


def _is_amount_or_decimal(text: str, start: int, end: int) -> bool:
    if start > 0 and text[start - 1] in _CURRENCY_BEFORE:
        return True
    if start > 1 and text[start - 1] in ".,，" and text[start - 2].isdecimal():
        return True
    if end + 1 < len(text) and text[end] in ".," and text[end + 1].isdecimal():
        return True
    return _AMOUNT_AFTER.match(text, end) is not None


def _mask(kind: PiiKind, value: str) -> str:
    if kind == "resident_id":
        # The structured fields' mask (first and last character only), one function for both: an area + last-four
        # mask beside an age or a birth date (a talent's, shown to any officer) completes to a few dozen numbers.
        return mask_resident_id(value)
    if kind == "phone":
        return value[:3] + "****" + value[-4:]
    return value[:4] + "*" * 8 + value[-4:]


def find_pii(text: str) -> list[PiiSpan]:
    """The personal numbers in ``text``, in order, never overlapping (an ID wins over a card over a phone)."""
    if not text or _HINT.search(text) is None:
        return []
    found: list[PiiSpan] = []
    identifiers = [m.span() for pattern in (_UUID, _HEX_TOKEN, _TRACEPARENT) for m in pattern.finditer(text)]

    def free(start: int, end: int) -> bool:
        return all(end <= s.start or start >= s.end for s in found) and all(
            end <= u_start or start >= u_end for u_start, u_end in identifiers
        )

    for m in _RID18.finditer(text):
        value = _ascii_digits(m.group())
        if (
            is_valid_resident_id(value)
            and not _is_amount_or_decimal(text, m.start(), m.end())
            and free(*m.span())
        ):
            found.append(PiiSpan("resident_id", m.start(), m.end(), value))
    for m in _RID15.finditer(text):
        value = _ascii_digits(m.group())
        if _valid_rid15(value) and not _is_amount_or_decimal(text, m.start(), m.end()) and free(*m.span()):
            found.append(PiiSpan("resident_id", m.start(), m.end(), value))
    for m in _CARD.finditer(text):
        value = _ascii_digits(m.group())
        if (
            _card_like(value)
            and not (len(value) == 18 and is_valid_uscc(value))
            and not _is_amount_or_decimal(text, m.start(), m.end())
            and free(*m.span())
        ):
            found.append(PiiSpan("bank_card", m.start(), m.end(), value))
    for m in _PHONE.finditer(text):
        value = _ascii_digits(m.group())[-11:]
        if (
            value[0] == "1"
            and value[1] in "3456789"
            and not _is_amount_or_decimal(text, m.start(), m.end())
            and free(*m.span())
        ):
            found.append(PiiSpan("phone", m.start(), m.end(), value))
    found.sort(key=lambda s: s.start)
    return found


def has_pii(text: str) -> bool:
    return bool(find_pii(text))


def mask_pii(text: str) -> str:
    """``text`` with every span :func:`find_pii` finds replaced by its mask."""
    spans = find_pii(text)
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(span.mask)
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def mask_pii_json(value: Any) -> Any:
    """A JSON value with the personal numbers in every string it holds masked (lists and objects walked; keys,
    numbers and the rest kept)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [mask_pii_json(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_pii_json(item) for key, item in value.items()}
    return value


def protect_text(text: str, cipher: TextCipher, *, associated_data: bytes) -> ProtectedText:
    """The masked text for the clear column and, when anything was masked, the original encrypted.

    ``associated_data`` should name the column (and the row when known), so a ciphertext cannot be moved
    to another column or row and still decrypt.
    """
    masked = mask_pii(text)
    if masked == text:
        return ProtectedText(text, None)
    return ProtectedText(masked, cipher.encrypt(text, associated_data=associated_data))


def reveal_text(masked: str, encrypted: str | None, cipher: TextCipher, *, associated_data: bytes) -> str:
    """The original text of a protected field (the clear column itself when nothing was masked)."""
    if encrypted is None:
        return masked
    return cipher.decrypt(encrypted, associated_data=associated_data)


@lru_cache(maxsize=8)
def _cipher_for(key_b64: str, retired: tuple[str, ...]) -> FieldCipher:
    return FieldCipher.from_keys(key_b64, retired)


def request_text_cipher(request: Request) -> FieldCipher:
    """The app's field cipher, for endpoints that protect or reveal free text: encrypts under ``pii_key`` and
    decrypts under it and every ``pii_retired_keys`` entry (text written before a key rotation still reveals)."""
    settings = request.app.state.settings
    return _cipher_for(settings.pii_key, tuple(settings.pii_retired_key_list()))


TextCipherDep = Annotated[FieldCipher, Depends(request_text_cipher)]


def protect_existing_rows(
    connection: Connection,
    cipher: TextCipher,
    table: str,
    columns: tuple[str, ...],
    *,
    row_key: str = "id",
    where: str = "",
) -> int:
    """Protect the free text already in ``table`` (a migration's data step); returns the rows changed.

    Each ``column`` gets its masked text and ``<column>_encrypted`` the original, bound to
    ``"<table>.<column>:<row_key value>"`` as the services bind new rows. Rows without a match are left as they
    are, so the step can run again. Names come from the migration, never from input.
    """
    key = "id" if row_key == "id" else f"id, {row_key}"
    digits = " OR ".join(f"{c} ~ '[0-9０-９]'" for c in columns)
    rows = connection.execute(
        sql_text(
            f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE ({digits}){' AND ' + where if where else ''}"
        )
    ).mappings()
    changed = 0
    for row in list(rows):
        values: dict[str, object] = {}
        for column in columns:
            if row[column] is None:
                continue
            ad = f"{table}.{column}:{row[row_key]}".encode()
            protected = protect_text(row[column], cipher, associated_data=ad)
            if protected.encrypted is not None:
                values[column] = protected.masked
                values[f"{column}_encrypted"] = protected.encrypted
        if values:
            sets = ", ".join(f"{name} = :{name}" for name in values)
            connection.execute(
                sql_text(f"UPDATE {table} SET {sets} WHERE id = :_id"), {**values, "_id": row["id"]}
            )
            changed += 1
    return changed


# The ID mask free text had before it took the structured fields' one: the first four and the last four characters
# of an 18-character ID (``3205**********1827``), the first four and the last three of a 15-digit one
# (``3205********182``). A card's mask (four, eight stars, four) is not one of them.
_LEGACY_ID_MASK = re.compile(
    r"(?<![0-9A-Za-z*])([0-9])[0-9]{3}(?:\*{10}[0-9]{3}([0-9X])|\*{8}[0-9]{2}([0-9]))(?![0-9A-Za-z*])"
)


def _remask(m: re.Match[str]) -> str:
    if m.group(2) is not None:
        return m.group(1) + "*" * 16 + m.group(2)
    return m.group(1) + "*" * 13 + m.group(3)


def remask_legacy_ids(text: str) -> str:
    """``text`` with every ID masked the old way (area + last four, ``3205**********1827``) masked as
    :func:`mask_pii` masks it now (``3****************7``): for text stored masked before. Only hides more; the
    length stays, so it fits its column."""
    if "*" not in text:
        return text
    return _LEGACY_ID_MASK.sub(_remask, text)


def remask_existing_rows(
    connection: Connection, table: str, columns: tuple[str, ...], *, where: str = "", row_key: str = "id"
) -> int:
    """Re-mask the IDs stored in ``table``'s masked free text the old way (a migration's data step, like
    :func:`protect_existing_rows`); returns the rows changed. Needs no key: the encrypted originals
    (``<column>_encrypted``) are left as they are. Rows without an old mask are left alone, so it can run again.
    ``row_key`` is the table's one-column primary key. Names come from the migration, never from input."""
    stars = " OR ".join(f"{c} LIKE '%********%'" for c in columns)
    rows = connection.execute(
        sql_text(
            f"SELECT {row_key} AS _key, {', '.join(columns)} FROM {table} WHERE ({stars})"
            f"{' AND ' + where if where else ''}"
        )
    ).mappings()
    changed = 0
    for row in list(rows):
        values = {
            column: remasked
            for column in columns
            if row[column] is not None and (remasked := remask_legacy_ids(row[column])) != row[column]
        }
        if values:
            sets = ", ".join(f"{name} = :{name}" for name in values)
            connection.execute(
                sql_text(f"UPDATE {table} SET {sets} WHERE {row_key} = :_key"),
                {**values, "_key": row["_key"]},
            )
            changed += 1
    return changed


def protected_text_column(table: str, column: str, *, row_key: str = "id") -> EncryptedColumn:
    """``<column>_encrypted`` of ``table`` for an app's ``ENCRYPTED_COLUMNS`` (key rotation: ``reencrypt``).

    The associated data is ``"<table>.<column>:<row_key value>"``, as :func:`protect_existing_rows` binds it and
    as the services bind new rows (``row_key``: the row the text belongs to, e.g. a transition's ticket).
    """
    prefix = f"{table}.{column}:"

    def aad(row: Mapping[str, Any]) -> bytes:
        return f"{prefix}{row[row_key]}".encode()

    return EncryptedColumn(table, f"{column}_encrypted", aad=aad, aad_columns=(row_key,))
