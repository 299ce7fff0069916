"""Field-level encryption, blind indexes, display masks and log redaction for personal data."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kunruyi_common.validators import InvalidIdentifier, is_valid_resident_id, normalize_cn_mobile

__all__ = [
    "DecryptionError",
    "FieldCipher",
    "blind_index",
    "key_id",
    "mask_bank_account",
    "mask_name",
    "mask_phone",
    "mask_resident_id",
    "redact_text",
]

_TOKEN_VERSION = "v1"
_NONCE_LEN = 12
_TAG_LEN = 16
_KEY_LEN = 32
_SEPARATORS = re.compile(r"[\s\-]")


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, unknown key id, tampered, or wrong associated data."""


def _decode_key(key_b64: str, *, min_len: int = _KEY_LEN, exact: bool = True) -> bytes:
    # Accept both alphabets because keys come from env vars written by different tools.
    try:
        alt = b"-_" if ("-" in key_b64 or "_" in key_b64) else None
        raw = base64.b64decode(key_b64.strip(), altchars=alt, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("key is not valid base64") from exc
    if (exact and len(raw) != min_len) or len(raw) < min_len:
        raise ValueError(f"key must decode to {'exactly' if exact else 'at least'} {min_len} bytes")
    return raw


def decode_key(key_b64: str) -> bytes:
    """The bytes of a base64 key of exactly 32 bytes (either alphabet, whitespace around it stripped); ValueError
    for anything else."""
    return _decode_key(key_b64)


def key_id(key: bytes) -> str:
    """Short public identifier of a key: first 8 hex chars of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Non-canonical encodings (e.g. altered padding bits) would otherwise decode to the same bytes.
    if _b64e(raw) != text:
        raise ValueError("non-canonical base64")
    return raw


class FieldCipher:
    """AES-256-GCM for individual DB fields; tokens look like ``v1.<kid>.<urlsafe-b64(nonce||ct)>``.

    New tokens always use the current key; ``old_keys`` only serve decryption so that keys can be
    rotated without rewriting every row at once.
    """

    def __init__(self, key: bytes, *, old_keys: Mapping[str, bytes] | None = None) -> None:
        if len(key) != _KEY_LEN:
            raise ValueError(f"key must be {_KEY_LEN} bytes")
        self._kid = key_id(key)
        self._aead = AESGCM(key)
        self._keyring: dict[str, AESGCM] = {}
        for kid, old in (old_keys or {}).items():
            if len(old) != _KEY_LEN:
                raise ValueError(f"old key {kid!r} must be {_KEY_LEN} bytes")
            # The kid in a token is derived from the key, so a mislabeled key could never be selected.
            if kid != key_id(old):
                raise ValueError(f"old key id {kid!r} does not match its key (expected {key_id(old)!r})")
            self._keyring[kid] = AESGCM(old)
        self._keyring[self._kid] = self._aead

    @classmethod
    def from_b64(cls, key: str, old_keys: Mapping[str, str] | None = None) -> FieldCipher:
        return cls(
            _decode_key(key),
            old_keys={kid: _decode_key(k) for kid, k in (old_keys or {}).items()},
        )

    @classmethod
    def from_keys(cls, key: str, retired: Iterable[str] = ()) -> FieldCipher:
        """The current key (base64) encrypts; each retired key (base64) only decrypts. The key ids are derived
        from the keys, so retired keys are given as a plain list (``PII_RETIRED_KEYS``)."""
        current = _decode_key(key)
        old: dict[str, bytes] = {}
        for text in retired:
            raw = _decode_key(text)
            if raw != current:
                old[key_id(raw)] = raw
        return cls(current, old_keys=old)

    @property
    def key_ids(self) -> frozenset[str]:
        """Ids of every key this cipher can decrypt with (the current one included)."""
        return frozenset(self._keyring)

    @property
    def key_id(self) -> str:
        return self._kid

    def encrypt(self, plaintext: str, *, associated_data: bytes = b"") -> str:
        # Random 96-bit nonces are safe well below 2**32 encryptions per key; rotate long before that.
        nonce = os.urandom(_NONCE_LEN)
        ct = self._aead.encrypt(nonce, plaintext.encode("utf-8"), associated_data)
        return f"{_TOKEN_VERSION}.{self._kid}.{_b64e(nonce + ct)}"

    def decrypt(self, token: str, associated_data: bytes = b"") -> str:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_VERSION:
            raise DecryptionError("unsupported token format")
        _, kid, body = parts
        aead = self._keyring.get(kid)
        if aead is None:
            raise DecryptionError(f"unknown key id {kid!r}")
        try:
            raw = _b64d(body)
        except (binascii.Error, ValueError):
            raise DecryptionError("token body is not valid base64") from None
        if len(raw) < _NONCE_LEN + _TAG_LEN:
            raise DecryptionError("token too short")
        try:
            plaintext = aead.decrypt(raw[:_NONCE_LEN], raw[_NONCE_LEN:], associated_data)
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError("token failed authentication") from None

    def needs_rotation(self, token: str) -> bool:
        """True when the token was written under an old key and should be re-encrypted."""
        parts = token.split(".")
        return len(parts) == 3 and parts[1] != self._kid


def blind_index(value: str, key_b64: str, *, purpose: str) -> str:
    """Keyed, deterministic lookup hash so encrypted columns can still be searched by equality.

    The value is NFKC-normalised, stripped and casefolded so trivially different spellings
    (full-width digits, ``x``/``X``) index identically. ``purpose`` separates domains so one column's
    index cannot be joined against another's. Use a key distinct from the encryption key.
    """
    if not purpose or "\x00" in purpose:
        raise ValueError("purpose must be a non-empty string without NUL")
    key = _decode_key(key_b64, exact=False)
    normalized = unicodedata.normalize("NFKC", value).strip().casefold()
    msg = f"{purpose}\x00{normalized}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Display masks
# ---------------------------------------------------------------------------


def _mask_middle(value: str, head: int, tail: int, *, full_len: int) -> str:
    """Keep ``head``/``tail`` chars for full-length values; otherwise reveal at most half."""
    n = len(value)
    if n == 0:
        return ""
    if n < full_len:
        budget = n // 2
        tail = min(tail, (budget + 1) // 2)
        head = min(head, budget - tail)
    return value[:head] + "*" * (n - head - tail) + value[n - tail :]


def mask_phone(value: str) -> str:
    """``13812341234`` -> ``138****1234``."""
    try:
        value = normalize_cn_mobile(value)
    except InvalidIdentifier:
        value = value.strip()
    return _mask_middle(value, 3, 4, full_len=11)


def mask_resident_id(value: str) -> str:
    """``11010519491231002X`` -> ``1****************X``.

    Only the first and the last character: the area code, the birth date and the sequence stay hidden, so the
    mask together with an age and a gender still fits tens of thousands of valid numbers (an area + last-four
    mask beside a birth date, or even an age, narrows it to one or a few dozen)."""
    return _mask_middle(value.strip().upper(), 1, 1, full_len=18)


def mask_bank_account(value: str) -> str:
    """``6222021234567890123`` -> ``6222 **** **** 0123``; a fixed mask width also hides the length."""
    digits = _SEPARATORS.sub("", value)
    if len(digits) >= 12:
        return f"{digits[:4]} **** **** {digits[-4:]}"
    return _mask_middle(digits, 4, 4, full_len=12)


def mask_name(value: str) -> str:
    """``张三丰`` -> ``张**``; single-character names are fully masked."""
    name = value.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


# ---------------------------------------------------------------------------
# Log redaction
# ---------------------------------------------------------------------------

# One alternation so each log line is scanned once. Order matters: an 18-char run is tried as an ID
# before a card, and the digit lookarounds stop matches from starting/ending inside longer numbers.
# The leading (?=[+\d]) lets the engine skip non-candidate positions before the costlier lookbehind.
_PII_RE = re.compile(
    r"(?=[+\d])(?<!\d)(?:"
    r"(?P<rid>\d{17}[\dXx])(?!\d)"
    r"|(?P<card>\d{4}(?:[ \-]?\d{4}){3}(?:[ \-]?\d{1,3})?)(?!\d)"
    r"|(?P<phone_prefix>(?:\+86|0086|86)[ \-]?)?(?P<phone>1[3-9]\d(?:[ \-]?\d{4}){2})(?!\d)"
    r")",
    re.ASCII,
)
# Every PII match contains a digit followed by 10 digits/separators, so most log lines (no such run)
# skip the full pattern entirely.
_PII_HINT = re.compile(r"\d[\d \-]{10}", re.ASCII)


def _redact_match(m: re.Match[str]) -> str:
    rid = m.group("rid")
    if rid is not None:
        # An all-digit 18-char run that fails the ID checksum is more likely a card number.
        if rid[-1].isdigit() and not is_valid_resident_id(rid):
            return mask_bank_account(rid)
        return mask_resident_id(rid)
    card = m.group("card")
    if card is not None:
        return mask_bank_account(card)
    phone = _SEPARATORS.sub("", m.group("phone"))
    return (m.group("phone_prefix") or "") + _mask_middle(phone, 3, 4, full_len=11)


def redact_text(text: str) -> str:
    """Mask resident IDs, mainland mobile numbers and bank card numbers found in free text."""
    if _PII_HINT.search(text) is None:
        return text
    return _PII_RE.sub(_redact_match, text)
