"""Derived variables, computed in one place from the underlying figures.

Used by the calculator's profile path, the read model of svc-talent's events and (through the stored profiles
the read model writes) the 免申即享 runs, so one company's figures give the same variables whichever way it is
evaluated.

- ``rd_ratio`` 由 ``rd_expense_fen / revenue_fen`` 计算. Capped at 1 (a start-up that spends more on R&D than
  it earns, or earns nothing yet, meets every ratio threshold); 0 when both figures are 0.
- ``founded_years`` 由 ``founded_on`` 计算: whole years to today's Asia/Shanghai date.
- ``age`` 由 ``birth_date`` 计算: whole years to today's Asia/Shanghai date (svc-talent sends ``age`` itself).

A derived value supplied without its underlying figures is taken as given. A supplied value that disagrees with
the computed one beyond rounding is a contradiction: the calculator refuses it (422 ``derived_value_mismatch``
naming both fields); the read model, which must never stall on an event, keeps the computed value and logs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from kunruyi_common.clock import local_today

from kunruyi_policy.profiles.exceptions import DerivedValueMismatch

logger = logging.getLogger("kunruyi.policy.derived")

# A ratio given rounded to a whole percent (0.03 for 0.032) still agrees.
RATIO_TOLERANCE = 0.005


@dataclass(frozen=True)
class Contradiction:
    derived: str
    sources: tuple[str, ...]
    supplied: Any
    computed: Any


def rd_ratio(rd_expense_fen: int, revenue_fen: int) -> float:
    if revenue_fen <= 0:
        return 1.0 if rd_expense_fen > 0 else 0.0
    return min(rd_expense_fen / revenue_fen, 1.0)


def whole_years(since: date, today: date) -> int:
    return max(today.year - since.year - ((today.month, today.day) < (since.month, since.day)), 0)


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def derive(
    entity_type: str, values: dict[str, Any], today: date
) -> tuple[dict[str, Any], list[Contradiction]]:
    """The values with every derivable variable computed (source-only fields such as ``founded_on`` removed),
    and the supplied derived values that contradict their figures (the computed value is used)."""
    out = dict(values)
    found: list[Contradiction] = []

    def settle(
        name: str, computed: Any, sources: tuple[str, ...], tolerance: float, cap: float | None = None
    ) -> None:
        supplied: Any = out.get(name)
        if supplied is not None and not _number(supplied):
            return  # not a number: left for validation to name (the read model reads it as unknown)
        # a ratio supplied uncapped (1.5 for R&D at 150 % of revenue) agrees with its capped computed value
        compared = min(supplied, cap) if cap is not None and _number(supplied) else supplied
        if supplied is not None and _number(supplied) and abs(compared - computed) > tolerance:
            found.append(Contradiction(name, sources, supplied, computed))
        out[name] = computed

    if entity_type == "enterprise":
        rd: Any = out.get("rd_expense_fen")
        revenue: Any = out.get("revenue_fen")
        if _number(rd) and _number(revenue) and rd >= 0 and revenue >= 0:
            computed = rd_ratio(int(rd), int(revenue))
            settle("rd_ratio", computed, ("rd_expense_fen", "revenue_fen"), RATIO_TOLERANCE, cap=1.0)
        founded_on = as_date(out.pop("founded_on", None))
        if founded_on is not None:
            settle("founded_years", whole_years(founded_on, today), ("founded_on",), 0)
    elif entity_type == "talent":
        birth_date = as_date(out.pop("birth_date", None))
        if birth_date is not None:
            settle("age", whole_years(birth_date, today), ("birth_date",), 0)
    return out, found


def derive_strict(
    entity_type: str, values: dict[str, Any], today: date | None = None, location: str = "profile"
) -> dict[str, Any]:
    """The calculator's path: a contradiction is a 422 naming the derived field and its figures."""
    out, found = derive(entity_type, values, today or local_today())
    if found:
        first = found[0]
        raise DerivedValueMismatch(
            f"{first.derived} 与 {'、'.join(first.sources)} 矛盾：提交 {first.supplied}，"
            f"由原始数据计算为 {first.computed}；请删去 {first.derived}（将自动计算）或更正原始数据",
            field=f"{location}.{first.derived}",
            errors=[
                {
                    "field": f"{location}.{name}",
                    "message": f"{c.derived} 提交 {c.supplied}，由 {'、'.join(c.sources)} 计算为 {c.computed}",
                }
                for c in found
                for name in (c.derived, *c.sources)
            ],
        )
    return out


def derive_tolerant(
    entity_type: str, values: dict[str, Any], today: date | None, entity: str
) -> dict[str, Any]:
    """The read model's path: never refused; the computed value wins over a contradicting one, logged."""
    out, found = derive(entity_type, values, today or local_today())
    for c in found:
        logger.warning(
            "%s: %s=%s contradicts %s (computed %s); using the computed value",
            entity,
            c.derived,
            c.supplied,
            "/".join(c.sources),
            c.computed,
        )
    return out
