"""The 一企来办 portal's request signature (both directions: portal → platform and platform → portal).

Headers ``X-YQLB-AppId``, ``X-YQLB-Timestamp`` (Unix ms), ``X-YQLB-Nonce`` (16–64 of ``A–Z a–z 0–9 _ -``),
``X-YQLB-Sign`` = lowercase hex HMAC-SHA256(secret, canonical), where canonical is these lines joined by ``\\n``:
``METHOD``, ``PATH``, ``APPID``, ``TIMESTAMP``, ``NONCE``, lowercase hex SHA-256 of the raw body.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time


def canonical(method: str, path: str, app_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, app_id, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path: str, app_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    text = canonical(method, path, app_id, timestamp, nonce, body)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def signed_headers(app_id: str, secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    nonce = secrets.token_hex(12)
    return {
        "X-YQLB-AppId": app_id,
        "X-YQLB-Timestamp": timestamp,
        "X-YQLB-Nonce": nonce,
        "X-YQLB-Sign": sign(secret, method, path, app_id, timestamp, nonce, body),
    }


def verify(
    headers: dict[str, str],
    secret: str,
    app_id: str,
    method: str,
    path: str,
    body: bytes,
    window_s: int = 300,
) -> str | None:
    """None when the request is genuine, else the reason."""
    got_app = headers.get("x-yqlb-appid")
    timestamp = headers.get("x-yqlb-timestamp", "")
    nonce = headers.get("x-yqlb-nonce", "")
    signature = headers.get("x-yqlb-sign", "")
    if not (got_app and timestamp and nonce and signature):
        return "missing_credentials"
    if got_app != app_id:
        return "unknown_app_id"
    if not timestamp.isdigit() or abs(int(time.time() * 1000) - int(timestamp)) > window_s * 1000:
        return "timestamp_out_of_window"
    expected = sign(secret, method, path, got_app, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature):
        return "invalid_signature"
    return None
