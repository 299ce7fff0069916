"""Service code tokens: ``<id hex>.<tag>`` where the tag is an HMAC of the id, so a token cannot be forged or
guessed; revocation lives in the database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid


def _tag(code_id: uuid.UUID, secret: str) -> str:
    mac = hmac.new(secret.encode(), b"service-code:" + code_id.bytes, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def code_token(code_id: uuid.UUID, secret: str) -> str:
    return f"{code_id.hex}.{_tag(code_id, secret)}"


def parse_token(token: str, secret: str) -> uuid.UUID | None:
    head, _, tag = token.partition(".")
    try:
        code_id = uuid.UUID(hex=head)
    except ValueError:
        return None
    if len(head) != 32 or not hmac.compare_digest(_tag(code_id, secret), tag):
        return None
    return code_id
