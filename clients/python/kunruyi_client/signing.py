"""The partner signature contract (gateway/docs/partner-guide.md §2–5), on the client's side.

Seven lines joined by LF — METHOD, PATH as sent, CANONICAL_QUERY, APPKEY, TIMESTAMP (ms), NONCE, BODY_DIGEST —
signed with HMAC-SHA256 or HMAC-SM3, lowercase hex. Pure functions, no I/O, nothing from the platform's own
packages: the gateway verifies with its own copy, and a test checks both agree.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Literal
from urllib.parse import quote, unquote_to_bytes

import httpx

from kunruyi_client.sm3 import hmac_sm3, sm3_digest

SignMethod = Literal["HMAC-SHA256", "HMAC-SM3"]
SIGN_METHODS: tuple[SignMethod, ...] = ("HMAC-SHA256", "HMAC-SM3")
DEFAULT_SIGN_METHOD: SignMethod = "HMAC-SHA256"

HEADER_APP_KEY = "X-Kry-AppKey"
HEADER_TIMESTAMP = "X-Kry-Timestamp"
HEADER_NONCE = "X-Kry-Nonce"
HEADER_SIGN_METHOD = "X-Kry-Sign-Method"
HEADER_SIGNATURE = "X-Kry-Signature"

_UNRESERVED = "-_.~"  # with ASCII letters and digits: RFC 3986 unreserved


def body_digest(body: bytes, sign_method: SignMethod = DEFAULT_SIGN_METHOD) -> str:
    """Lowercase hex SHA-256 (HMAC-SHA256) or SM3 (HMAC-SM3) of the raw body bytes (of b"" when there is none)."""
    if sign_method == "HMAC-SM3":
        return sm3_digest(body).hex()
    return hashlib.sha256(body).hexdigest()


def rfc3986(raw: bytes | str) -> str:
    """Percent-encode everything but the RFC 3986 unreserved characters, upper-case hex, UTF-8."""
    return quote(raw, safe=_UNRESERVED)


def canonical_query(raw_query: str) -> str:
    """Split on ``&``, split each part at the first ``=``, percent-decode (``+`` stays a plus), re-encode with
    RFC 3986 rules in upper-case hex, sort by name then value, join with ``&``."""
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        pairs.append((rfc3986(unquote_to_bytes(name)), rfc3986(unquote_to_bytes(value))))
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


def sign(secret: str, text: str, sign_method: SignMethod = DEFAULT_SIGN_METHOD) -> str:
    """Lowercase hex HMAC of the string to sign (UTF-8) keyed by the secret (UTF-8)."""
    key, message = secret.encode("utf-8"), text.encode("utf-8")
    if sign_method == "HMAC-SM3":
        return hmac_sm3(key, message).hex()
    if sign_method == "HMAC-SHA256":
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown sign method {sign_method!r}; use one of {', '.join(SIGN_METHODS)}")


def new_nonce() -> str:
    """24 characters of ``A–Z a–z 0–9 _ -``: new for every request, retries included."""
    return secrets.token_urlsafe(18)


def signed_headers(
    *,
    app_key: str,
    secret: str,
    method: str,
    path: str,
    raw_query: str = "",
    body: bytes = b"",
    sign_method: SignMethod = DEFAULT_SIGN_METHOD,
    timestamp_ms: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five ``X-Kry-*`` headers for a request whose path (as sent), raw query and body bytes are given."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    nonce = nonce or new_nonce()
    text = string_to_sign(
        method=method,
        path=path,
        raw_query=raw_query,
        app_key=app_key,
        timestamp=timestamp,
        nonce=nonce,
        body=body,
        sign_method=sign_method,
    )
    return {
        HEADER_APP_KEY: app_key,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGN_METHOD: sign_method,
        HEADER_SIGNATURE: sign(secret, text, sign_method),
    }


def sign_request(
    request: httpx.Request,
    *,
    app_key: str,
    secret: str,
    sign_method: SignMethod = DEFAULT_SIGN_METHOD,
) -> httpx.Request:
    """Sign a built httpx request as it goes on the wire: the path with httpx's percent-escapes (a Chinese path
    segment is sent, and so signed, as ``%E9%9B%86…``; a base URL's path prefix included), the query as encoded,
    the body bytes as they will be sent (a multipart body included). Adds the headers and returns the request."""
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    request.headers.update(
        signed_headers(
            app_key=app_key,
            secret=secret,
            method=request.method,
            path=raw_path.decode("ascii"),
            raw_query=raw_query.decode("ascii"),
            body=request.read(),
            sign_method=sign_method,
        )
    )
    return request
