"""Idempotency-Key for record-creating and money-moving POSTs (after Stripe).

The first response is stored with the key, the caller and a hash of the request; a retry with the same key and body
gets that response again, the same key with another body gets 409 ``idempotency_key_conflict``. The key row is
written in the request's unit of work, so a failed request leaves no key behind and can be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from kunruyi_common.auth import Principal
from kunruyi_common.errors import Conflict, Unprocessable
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def request_hash(endpoint: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


async def idempotent(
    session: AsyncSession,
    key: str | None,
    principal: Principal,
    endpoint: str,
    body: Any,
    produce: Callable[[], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    if key is None:
        status, content = await produce()
        return JSONResponse(jsonable_encoder(content), status_code=status)
    if not 1 <= len(key) <= 200:
        raise Unprocessable(
            "Idempotency-Key 长度应为 1–200", field="header.Idempotency-Key", code="invalid_idempotency_key"
        )
    who = f"{principal.kind}:{principal.subject}"
    digest = request_hash(endpoint, body)
    # Lock the key for the rest of the unit of work so two concurrent retries cannot both run the operation.
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
            raise Conflict("同一 Idempotency-Key 已用于不同的请求", code="idempotency_key_conflict")
        return JSONResponse(
            row.response, status_code=row.status_code, headers={"Idempotent-Replayed": "true"}
        )
    status, content = await produce()
    encoded = jsonable_encoder(content)
    await session.execute(
        text(
            "INSERT INTO idempotency_keys (principal, key, endpoint, request_hash, status_code, response) "
            "VALUES (:p, :k, :e, :h, :s, CAST(:r AS jsonb))"
        ),
        {
            "p": who,
            "k": key,
            "e": endpoint,
            "h": digest,
            "s": status,
            "r": json.dumps(encoded, ensure_ascii=False),
        },
    )
    return JSONResponse(encoded, status_code=status)
