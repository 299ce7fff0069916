"""The partner signature contract (issue 7 §1): canonical query, string to sign, HMAC-SHA256 and HMAC-SM3.

Pure functions with no I/O, used by the gateway's verifier. Partners' client (``kunruyi_client.signing``, a
package that imports nothing of the platform) keeps its own implementation; clients/python/tests/test_signing.py
and tests/e2e/test_partner_guide_examples.py check both agree.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import quote, unquote_to_bytes

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _openssl_hmac
from gmssl import sm3 as _sm3

SignMethod = Literal["HMAC-SHA256", "HMAC-SM3"]
SIGN_METHODS: tuple[SignMethod, ...] = ("HMAC-SHA256", "HMAC-SM3")
DEFAULT_SIGN_METHOD: SignMethod = "HMAC-SHA256"

HEADER_APP_KEY = "x-kry-appkey"
HEADER_TIMESTAMP = "x-kry-timestamp"
HEADER_NONCE = "x-kry-nonce"
HEADER_SIGN_METHOD = "x-kry-sign-method"
HEADER_SIGNATURE = "x-kry-signature"
# Every header a signed request carries its credentials in.
CREDENTIAL_HEADERS = (HEADER_APP_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGN_METHOD, HEADER_SIGNATURE)

NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,16}$")
_SAFE = "-_.~"  # with ASCII letters and digits: RFC 3986 unreserved


def sm3_digest_reference(data: bytes) -> bytes:
    """SM3 in pure Python (gmssl): slow (milliseconds), kept as the fallback and as a cross-check in tests."""
    return bytes.fromhex(_sm3.sm3_hash(list(data)))


_SM3_BLOCK = 64
_IPAD = bytes(0x36 for _ in range(_SM3_BLOCK))
_OPAD = bytes(0x5C for _ in range(_SM3_BLOCK))


def hmac_sm3_reference(key: bytes, message: bytes) -> bytes:
    """HMAC per RFC 2104 over SM3 (block 64 bytes): H((K ^ opad) || H((K ^ ipad) || m)), in pure Python."""
    if len(key) > _SM3_BLOCK:
        key = sm3_digest_reference(key)
    key = key.ljust(_SM3_BLOCK, b"\x00")
    inner = sm3_digest_reference(bytes(k ^ p for k, p in zip(key, _IPAD, strict=True)) + message)
    return sm3_digest_reference(bytes(k ^ p for k, p in zip(key, _OPAD, strict=True)) + inner)


def _openssl_has_sm3() -> bool:
    try:
        hashes.Hash(hashes.SM3()).finalize()
    except UnsupportedAlgorithm:
        return False
    return True


# OpenSSL's SM3 (through `cryptography`, which ships OpenSSL 3 with SM3) is ~1,000× faster than pure Python and
# does not hold the event loop for milliseconds per request; builds without SM3 fall back to gmssl.
OPENSSL_SM3 = _openssl_has_sm3()


def sm3_digest(data: bytes) -> bytes:
    if not OPENSSL_SM3:
        return sm3_digest_reference(data)
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, message: bytes) -> bytes:
    """HMAC-SM3 per RFC 2104 (64-byte block, 32-byte tag)."""
    if not OPENSSL_SM3:
        return hmac_sm3_reference(key, message)
    mac = _openssl_hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize()


def body_digest(body: bytes, method: SignMethod = DEFAULT_SIGN_METHOD) -> str:
    if method == "HMAC-SM3":
        return sm3_digest(body).hex()
    return hashlib.sha256(body).hexdigest()


def _encode(raw: bytes) -> str:
    return quote(raw, safe=_SAFE)


def canonical_query(raw_query: str) -> str:
    """Split on ``&``, split each part at the first ``=``, percent-decode (``+`` stays a plus), re-encode with
    RFC 3986 rules in upper-case hex, sort by name then value, join."""
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        pairs.append((_encode(unquote_to_bytes(name)), _encode(unquote_to_bytes(value))))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def string_to_sign(
    *,
    method: str,
    path: str,
    raw_query: str,
    app_key: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    sign_method: SignMethod = DEFAULT_SIGN_METHOD,
) -> str:
    return "\n".join(
        [
            method.upper(),
            path,
            canonical_query(raw_query),
            app_key,
            timestamp,
            nonce,
            body_digest(body, sign_method),
        ]
    )


_MACS: dict[str, Callable[[bytes, bytes], bytes]] = {
    # hmac.digest is OpenSSL's one-shot HMAC: the same bytes as hmac.new(...).digest() without the HMAC object.
    "HMAC-SHA256": lambda key, msg: hmac.digest(key, msg, "sha256"),
    "HMAC-SM3": hmac_sm3,
}


def sign(secret: str, text: str, sign_method: SignMethod = DEFAULT_SIGN_METHOD) -> str:
    return _MACS[sign_method](secret.encode("utf-8"), text.encode("utf-8")).hex()


def signature_matches(secret: str, text: str, signature: str, sign_method: SignMethod) -> bool:
    return hmac.compare_digest(sign(secret, text, sign_method), signature)
