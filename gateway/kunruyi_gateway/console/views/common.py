"""What the console's views share: dates and times from the services' JSON, money in 元, the names of codes,
and the check that a department exists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kunruyi_gateway.console.exceptions import (
    InvalidAmount,
    UnknownDepartment,
)
from kunruyi_gateway.console.names import Calls, NameDirectory
from kunruyi_gateway.web.amounts import FEN_PER_YUAN, AmountError, fen_of


async def check_department(calls: Calls, names: NameDirectory, department: str | None, *, field: str) -> str:
    """A department the catalog or the service desk knows, else ``unknown_department`` naming the field."""
    known = await names.departments(calls)
    if not department or department not in known:
        close = [d for d in known if department and (department[:1] in d or d[:1] in department)][:3]
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        raise UnknownDepartment(f"部门“{department or '（未设置）'}”不存在{hint}", field=field)
    return department


async def shown_department(
    calls: Calls,
    names: NameDirectory,
    roles: list[str],
    department: str | None,
    department_filter: str | None,
) -> str | None:
    """The department a queue shows: an admin's chosen one (None: every department), anyone else's own — a
    department nobody knows is ``unknown_department``, not an empty list."""
    if "admin" in roles:
        return (
            await check_department(calls, names, department_filter, field="department")
            if department_filter
            else None
        )
    return await check_department(calls, names, department, field="department")


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def yuan(fen: Any) -> str:
    if fen is None:
        return "—"
    amount = int(fen)
    return f"¥{amount // 100:,}.{amount % 100:02d}"


def fen_from_yuan(text: str, *, field: str) -> int:
    """``"12,345.6"`` 元 → 1234560 fen; anything else (negative, zero, three decimals, letters) is ``invalid_amount``."""
    fen = fen_of(text, fen_per_unit=FEN_PER_YUAN, max_fen=10**14 - 1)
    if isinstance(fen, int):
        return fen
    if fen in (AmountError.EMPTY, AmountError.NOT_A_NUMBER):
        raise InvalidAmount(f"“{text}”不是金额，请填写元，如 50000 或 12345.67", field=field)
    raise InvalidAmount("金额须大于 0、最多两位小数（单位：元）", field=field)


async def named(
    calls: Calls, names: NameDirectory, items: list[dict[str, Any]], type_key: str, id_key: str, name_key: str
) -> dict[tuple[str, str], str]:
    """(type, code) → name: svc-disbursement's lists carry names from its read model of the registry events; only
    those it does not know yet (a company registered moments ago) are looked up, in one batch."""
    known = {(a[type_key], a[id_key]): a[name_key] for a in items if a.get(name_key)}
    missing = [(a[type_key], a[id_key]) for a in items if not a.get(name_key)]
    return {**(await names.entity_names(calls, missing) if missing else {}), **known}
