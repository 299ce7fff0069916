from __future__ import annotations

import base64
import hashlib
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kunruyi_common.crypto import (
    DecryptionError,
    FieldCipher,
    blind_index,
    key_id,
    mask_bank_account,
    mask_name,
    mask_phone,
    mask_resident_id,
    redact_text,
)


def _new_key() -> tuple[bytes, str]:
    raw = os.urandom(32)
    return raw, base64.b64encode(raw).decode()


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher.from_b64(_new_key()[1])


# --- FieldCipher -----------------------------------------------------------------------------


@given(st.text())
def test_roundtrip(plaintext: str) -> None:
    c = FieldCipher(os.urandom(32))
    assert c.decrypt(c.encrypt(plaintext)) == plaintext


def test_token_format(cipher: FieldCipher) -> None:
    token = cipher.encrypt("11010519491231002X")
    version, kid, body = token.split(".")
    assert version == "v1"
    assert kid == cipher.key_id and len(kid) == 8
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(raw) == 12 + len("11010519491231002X") + 16


def test_nonce_is_random(cipher: FieldCipher) -> None:
    assert cipher.encrypt("same") != cipher.encrypt("same")


def test_key_id_is_sha256_prefix() -> None:
    raw, b64 = _new_key()

    assert FieldCipher.from_b64(b64).key_id == key_id(raw) == hashlib.sha256(raw).hexdigest()[:8]


def _flip(token: str, index: int) -> str:
    version, kid, body = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[index] ^= 0x01
    return f"{version}.{kid}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


@pytest.mark.parametrize("index", [0, 11, 12, 15, -1, -16])
def test_tamper_detected(cipher: FieldCipher, index: int) -> None:
    token = cipher.encrypt("张三丰", associated_data=b"user:1")
    with pytest.raises(DecryptionError):
        cipher.decrypt(_flip(token, index), associated_data=b"user:1")


def test_wrong_associated_data_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("13812341234", associated_data=b"user:1:phone")
    assert cipher.decrypt(token, associated_data=b"user:1:phone") == "13812341234"
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, associated_data=b"user:2:phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v2.abcdef12.AAAA", "v1.abcdef12", "v1.{kid}.!!!!", "v1.{kid}.AAAA", "v1.{kid}.a.b"],
)
def test_malformed_tokens(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionError):
        cipher.decrypt(token.format(kid=cipher.key_id))


def test_non_canonical_base64_rejected(cipher: FieldCipher) -> None:
    token = cipher.encrypt("x")  # 29 raw bytes -> last b64 char carries unused bits
    head, _, body = token.rpartition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(body[-1])
    altered = head + "." + body[:-1] + alphabet[last ^ 1]
    with pytest.raises(DecryptionError):
        cipher.decrypt(altered)


def test_rotation() -> None:
    old_raw, old_b64 = _new_key()
    _, new_b64 = _new_key()
    old_cipher = FieldCipher.from_b64(old_b64)
    legacy = old_cipher.encrypt("11010519491231002X", associated_data=b"aad")

    rotated = FieldCipher.from_b64(new_b64, old_keys={key_id(old_raw): old_b64})
    assert rotated.decrypt(legacy, associated_data=b"aad") == "11010519491231002X"
    assert rotated.needs_rotation(legacy)
    fresh = rotated.encrypt("11010519491231002X")
    assert fresh.split(".")[1] == rotated.key_id != old_cipher.key_id
    assert not rotated.needs_rotation(fresh)

    # Without the old key the legacy token is unreadable.
    with pytest.raises(DecryptionError):
        FieldCipher.from_b64(new_b64).decrypt(legacy, associated_data=b"aad")
    # Old-only cipher cannot read tokens from the new key.
    with pytest.raises(DecryptionError):
        old_cipher.decrypt(fresh)


def test_retired_keys_from_settings_decrypt_and_the_current_key_encrypts() -> None:
    from kunruyi_common.settings import ServiceSettings

    a_raw, a_b64 = _new_key()
    b_raw, b_b64 = _new_key()
    c_raw, c_b64 = _new_key()
    under_a = FieldCipher.from_keys(a_b64).encrypt("13912345678", associated_data=b"talents.phone")
    under_c = FieldCipher.from_keys(c_b64).encrypt("6222021234567890123")
    settings = ServiceSettings(pii_key=b_b64, pii_retired_keys=f"{a_b64},\n {c_b64}\n")
    cipher = settings.field_cipher()
    assert cipher.key_id == key_id(b_raw)
    assert cipher.key_ids == {key_id(a_raw), key_id(b_raw), key_id(c_raw)}
    assert cipher.decrypt(under_a, associated_data=b"talents.phone") == "13912345678"
    assert cipher.decrypt(under_c) == "6222021234567890123"
    assert cipher.encrypt("x").split(".")[1] == key_id(b_raw)
    # The current key listed as retired too (a rotation half done) changes nothing.
    assert FieldCipher.from_keys(b_b64, [b_b64, a_b64]).key_ids == {key_id(a_raw), key_id(b_raw)}
    with pytest.raises(ValueError):
        ServiceSettings(pii_key=b_b64, pii_retired_keys="not-a-key").field_cipher()


def test_development_secrets_are_named_outside_development_mode() -> None:
    from kunruyi_common.settings import DevelopmentSecretError, InvalidSecretError, ServiceSettings

    real = _new_key()[1]
    db = "postgresql+asyncpg://kunruyi:pw@db:5432/kunruyi"
    with pytest.raises(DevelopmentSecretError) as refused:
        ServiceSettings(
            dev_mode=False, database_url=db, pii_key=real, internal_token_secret="x" * 40
        ).check_secrets()
    assert refused.value.env_names == ["KRY_BLIND_INDEX_KEY"]
    assert "KRY_BLIND_INDEX_KEY" in str(refused.value)
    ServiceSettings(dev_mode=True).check_secrets()
    # A malformed key is refused even in development mode, naming the setting.
    with pytest.raises(InvalidSecretError, match="KRY_PII_KEY"):
        ServiceSettings(dev_mode=True, pii_key="c2hvcnQ=").check_secrets()
    with pytest.raises(InvalidSecretError, match="KRY_BLIND_INDEX_KEY"):
        ServiceSettings(dev_mode=True, blind_index_key="not base64!").check_secrets()
    ServiceSettings(
        dev_mode=False,
        database_url=db,
        pii_key=real,
        blind_index_key=_new_key()[1],
        internal_token_secret="x" * 40,
    ).check_secrets()


def test_old_key_id_must_match_key() -> None:
    _, old_b64 = _new_key()
    with pytest.raises(ValueError, match="does not match"):
        FieldCipher.from_b64(_new_key()[1], old_keys={"deadbeef": old_b64})


@pytest.mark.parametrize(
    "key", ["not base64!", base64.b64encode(b"short").decode(), base64.b64encode(b"x" * 33).decode()]
)
def test_bad_keys_rejected(key: str) -> None:
    with pytest.raises(ValueError):
        FieldCipher.from_b64(key)


def test_urlsafe_key_accepted() -> None:
    raw = bytes([0xFB] * 32)  # encodes with '+'/'/' in the standard alphabet
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    assert FieldCipher.from_b64(urlsafe).key_id == FieldCipher(raw).key_id


# --- blind index -----------------------------------------------------------------------------

INDEX_KEY = base64.b64encode(b"k" * 32).decode()


def test_blind_index_deterministic_and_keyed() -> None:
    a = blind_index("11010519491231002X", INDEX_KEY, purpose="resident_id")
    assert a == blind_index("11010519491231002X", INDEX_KEY, purpose="resident_id")
    assert len(a) == 64 and int(a, 16) >= 0
    other_key = base64.b64encode(b"j" * 32).decode()
    assert a != blind_index("11010519491231002X", other_key, purpose="resident_id")


def test_blind_index_normalises() -> None:
    a = blind_index("11010519491231002X", INDEX_KEY, purpose="resident_id")
    assert a == blind_index(" 11010519491231002x ", INDEX_KEY, purpose="resident_id")
    assert a == blind_index("１１０１０５１９４９１２３１００２Ｘ", INDEX_KEY, purpose="resident_id")


def test_blind_index_purpose_separation() -> None:
    a = blind_index("13812341234", INDEX_KEY, purpose="phone")
    assert a != blind_index("13812341234", INDEX_KEY, purpose="contact_phone")
    # The NUL separator keeps purpose/value boundaries unambiguous.
    assert blind_index("b", INDEX_KEY, purpose="a") != blind_index("", INDEX_KEY, purpose="ab")
    with pytest.raises(ValueError):
        blind_index("x", INDEX_KEY, purpose="")


# --- masks -----------------------------------------------------------------------------------


def test_masks_canonical() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_resident_id("11010519491231002X") == "1****************X"
    assert mask_resident_id("11010519491231002x") == "1****************X"
    assert mask_bank_account("6222021234567890123") == "6222 **** **** 0123"
    assert mask_bank_account("6222 0212 3456 7890") == "6222 **** **** 7890"
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


@pytest.mark.parametrize("fn", [mask_phone, mask_resident_id, mask_bank_account, mask_name])
@pytest.mark.parametrize("value", ["", "1", "12", "123", "1234", "12345", "1234567"])
def test_masks_never_reveal_more_than_half_of_short_input(fn: object, value: str) -> None:
    assert callable(fn)
    masked = fn(value)
    revealed = sum(1 for ch in masked if ch not in "* ")
    assert revealed <= len(value) // 2
    assert fn("") == ""


# --- redaction -------------------------------------------------------------------------------


def test_redact_log_line() -> None:
    line = (
        '{"msg": "apply", "id_no": "11010519491231002X", "phone": "13812341234", '
        '"card": "6222021234567890123", "amount": 5000}'
    )
    out = redact_text(line)
    assert "11010519491231002X" not in out and "1****************X" in out
    assert "13812341234" not in out and "138****1234" in out
    assert "6222021234567890123" not in out and "6222 **** **** 0123" in out
    assert '"amount": 5000' in out


def test_redact_variants() -> None:
    assert redact_text("tel:+8613812341234.") == "tel:+86138****1234."
    assert redact_text("call 138-1234-1234 now") == "call 138****1234 now"
    assert redact_text("card 6222 0212 3456 7890 ok") == "card 6222 **** **** 7890 ok"
    assert redact_text("id 11010519491231002x,") == "id 1****************X,"
    assert redact_text("card16=6222021234567890") == "card16=6222 **** **** 7890"


def test_redact_leaves_other_numbers_alone() -> None:
    text = "ts=1712345678901 order=20240115 amount=12345678901.50 trace=123456789012345678901234 code=12812341234"
    assert redact_text(text) == text


def test_redact_no_partial_match_inside_longer_runs() -> None:
    # 12 digits: neither a phone (11) nor a card (16-19); must not mask an 11-digit slice of it.
    assert redact_text("x138123412345x") == "x138123412345x"
    assert redact_text("x913812341234x") == "x913812341234x"


_NOISE = st.text(alphabet=st.sampled_from("0123456789 abcX-+.:"))


@given(_NOISE, _NOISE)
def test_redact_masks_embedded_pii_in_noise(prefix: str, suffix: str) -> None:
    text = f"{prefix} 13812341234 / 11010519491231002X / 6222021234567890123 {suffix}"
    out = redact_text(text)
    for secret in ("13812341234", "11010519491231002X", "6222021234567890123", "0519491231", "0212345678"):
        assert secret not in out
