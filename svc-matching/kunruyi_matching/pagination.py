"""Opaque keyset cursors: base64 of the last row's (created_at, id)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from kunruyi_common.errors import Unprocessable
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, row_id = json.loads(raw)
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError) as exc:
        raise Unprocessable("游标无效", field="cursor", code="invalid_cursor") from exc


def page(
    stmt: Select[Any],
    created_col: InstrumentedAttribute[datetime],
    id_col: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Newest first, then by id, ``limit + 1`` rows so the caller knows whether there is a next page."""
    if cursor:
        created, row_id = decode_cursor(cursor)
        stmt = stmt.where(or_(created_col < created, and_(created_col == created, id_col < row_id)))
    return stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)
