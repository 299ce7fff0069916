"""Opaque cursors for every list (BRIEF §6): ``?limit=&cursor=`` → ``{"items": [...], "next_cursor": ...}``.

A cursor is the base64 of a JSON list: the last row's sort key (keyset paging, so pages do not shift while rows
are added) or, for a ranked search, an offset. A cursor a caller built or edited is a 422 ``invalid_cursor``
naming ``query.cursor`` — the same in every service.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from kunruyi_common.errors import InvalidCursor, Unprocessable


def invalid_cursor() -> Unprocessable:
    return InvalidCursor("分页游标无效", field="query.cursor")


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The ``arity`` values of a cursor, or None when there is none (the first page)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise invalid_cursor() from None
    if not isinstance(values, list) or len(values) != arity:
        raise invalid_cursor()
    return values


def decode_keyset(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A (created_at, id) cursor as written by ``keyset_cursor``."""
    values = decode_cursor(cursor, 2)
    if values is None:
        return None
    try:
        return datetime.fromisoformat(str(values[0])), uuid.UUID(str(values[1]))
    except ValueError:
        raise invalid_cursor() from None


def keyset_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    return encode_cursor(created_at.isoformat(), str(row_id))


def newest_first(
    stmt: Select[Any],
    created_col: InstrumentedAttribute[datetime],
    id_col: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Newest first, then by id, ``limit + 1`` rows so the caller knows whether there is a next page."""
    position = decode_keyset(cursor)
    if position is not None:
        created, row_id = position
        stmt = stmt.where(or_(created_col < created, and_(created_col == created, id_col < row_id)))
    return stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)
