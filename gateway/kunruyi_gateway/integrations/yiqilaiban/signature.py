"""The 一企来办 portal's signature scheme, as the gateway implements it (both directions).

Headers ``X-YQLB-AppId``, ``X-YQLB-Timestamp`` (Unix ms), ``X-YQLB-Nonce``, ``X-YQLB-Sign`` = lowercase hex
HMAC-SHA256(secret, canonical) with canonical = ``METHOD\\nPATH\\nAPPID\\nTIMESTAMP\\nNONCE\\nsha256hex(body)``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADERS = ("x-yqlb-appid", "x-yqlb-timestamp", "x-yqlb-nonce", "x-yqlb-sign")


def canonical(method: str, path: str, app_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, app_id, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path: str, app_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        secret.encode(), canonical(method, path, app_id, timestamp, nonce, body).encode(), hashlib.sha256
    ).hexdigest()


def signed_headers(app_id: str, secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    nonce = secrets.token_hex(12)
    return {
        "X-YQLB-AppId": app_id,
        "X-YQLB-Timestamp": timestamp,
        "X-YQLB-Nonce": nonce,
        "X-YQLB-Sign": sign(secret, method, path, app_id, timestamp, nonce, body),
    }
