"""``Idempotency-Key`` for POSTs that create records or move money (BRIEF §6, after Stripe).

The first answer is stored with the key, the caller and a hash of the request; a retry with the same key and body
gets that answer again (header ``Idempotent-Replayed: true``), the same key with another body gets 409
``idempotency_key_conflict``. The key row is written in the request's unit of work, so a request that fails leaves
no key behind and can simply be retried; an advisory lock on (caller, key) makes two concurrent retries run the
operation once.

A service keeps the answers in its own ``idempotency_keys`` table (created by ``IDEMPOTENCY_KEYS_DDL``, declared in
the service's metadata by :func:`idempotency_table`). Answers that carry
personal data or a secret (a ticket's lookup secret) are stored sealed: pass ``sealer``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, Protocol

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_common.auth import Principal
from kunruyi_common.errors import IdempotencyKeyConflict, InvalidIdempotencyKey
from kunruyi_common.reencrypt import EncryptedColumn

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="重试安全：同一键同一请求返回首次结果；同一键不同请求返回 409",
    ),
]

IDEMPOTENCY_KEYS_DDL = """
CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    key text NOT NULL,
    endpoint text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
)
"""


def idempotency_table(metadata: MetaData) -> Table:
    """``idempotency_keys`` as ``IDEMPOTENCY_KEYS_DDL`` creates it, so the service's alembic metadata owns it."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("principal", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("endpoint", Text, nullable=False),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        extend_existing=True,
    )


_SEALED = "__sealed__"
_COLUMN = "idempotency_keys.response"


class Sealer(Protocol):
    def encrypt(self, value: str, column: str) -> str: ...

    def decrypt(self, token: str, column: str) -> str: ...


def request_hash(endpoint: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


def caller(principal: Principal) -> str:
    """Whose keys these are: one namespace per caller (a partner's app key, a staff subject, a 昆e服 code…)."""
    return f"{principal.kind}:{principal.subject}"


async def key_used(session: AsyncSession, principal: Principal, key: str) -> bool:
    """Whether ``principal`` has already had an answer stored under ``key`` (a seed's "done already")."""
    found = await session.execute(
        text("SELECT 1 FROM idempotency_keys WHERE principal = :p AND key = :k"),
        {"p": caller(principal), "k": key},
    )
    return found.first() is not None


async def idempotent(
    session: AsyncSession,
    key: str | None,
    principal: Principal,
    endpoint: str,
    body: Any,
    produce: Callable[[], Awaitable[tuple[int, Any]]],
    *,
    sealer: Sealer | None = None,
) -> JSONResponse:
    """Run ``produce`` (which returns status and content) once per (caller, key)."""
    if key is None:
        status, content = await produce()
        return JSONResponse(jsonable_encoder(content), status_code=status)
    if not 1 <= len(key) <= 200:
        raise InvalidIdempotencyKey("Idempotency-Key 长度应为 1–200", field="header.Idempotency-Key")
    who = caller(principal)
    digest = request_hash(endpoint, body)
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{who}\n{key}"}
    )
    row = (
        await session.execute(
            text(
                "SELECT request_hash, status_code, response FROM idempotency_keys WHERE principal = :p AND key = :k"
            ),
            {"p": who, "k": key},
        )
    ).first()
    if row is not None:
        if row.request_hash != digest:
            raise IdempotencyKeyConflict("同一 Idempotency-Key 已用于不同的请求")
        stored: Any = row.response
        if sealer is not None and isinstance(stored, dict) and _SEALED in stored:
            stored = json.loads(sealer.decrypt(stored[_SEALED], _COLUMN))
        return JSONResponse(stored, status_code=row.status_code, headers={"Idempotent-Replayed": "true"})
    status, content = await produce()
    encoded = jsonable_encoder(content)
    kept = json.dumps(encoded, ensure_ascii=False)
    if sealer is not None:
        kept = json.dumps({_SEALED: sealer.encrypt(kept, _COLUMN)})
    await session.execute(
        text(
            "INSERT INTO idempotency_keys (principal, key, endpoint, request_hash, status_code, response) "
            "VALUES (:p, :k, :e, :h, :s, CAST(:r AS jsonb))"
        ),
        {"p": who, "k": key, "e": endpoint, "h": digest, "s": status, "r": kept},
    )
    return JSONResponse(encoded, status_code=status)


def _sealed_aad(_row: Mapping[str, Any]) -> bytes:
    return _COLUMN.encode()


# The sealed responses, for an app's list of encrypted columns (key rotation: ``reencrypt``), when it seals.
SEALED_RESPONSES = EncryptedColumn(
    "idempotency_keys", "response", key=("principal", "key"), aad=_sealed_aad, json_key=_SEALED
)
