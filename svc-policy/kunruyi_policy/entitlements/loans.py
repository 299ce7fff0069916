"""Once per loan: which loans an entitlement of a financing item covers, and 补充认定 (supplements).

A financing item (贴息, 担保费补贴, 保费补贴) reads figures summed over the loans closed in the period
(profiles/period.py). Its entitlement records the loans it covers (``loan_keys``, ``<institution>|<loan number>``).
When a loan closes after the period's entitlement was determined, the item yields more than was covered: a
supplement (``sequence`` n ≥ 1, ``supplement_of`` the original) covers only the loans no entitlement of the item
covers yet, for what the rule gives on those loans alone, clipped so the period's total stays within the item's cap.

No loan is subsidised twice: a supplement's loans are the period's loans minus those of every entitlement of the
item already committed, and its sequence is the next after the highest committed — two writers that both missed
each other's row ask for the same (policy, entity, period, sequence) and the unique row lets one of them in.

An entitlement determined before ``loan_keys`` were recorded (null) counts as covering the loans closed by the day it
was determined.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kunruyi_common.clock import local_date
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.profiles.derived import as_date
from kunruyi_policy.profiles.period import period_loans
from kunruyi_policy.rules.evaluation import CompiledVersion
from kunruyi_policy.rules.variables import FINANCING_FIGURES, INTEREST_FIGURES

EntityKey = tuple[str, str]


@dataclass(frozen=True)
class Held:
    """One entitlement an entity holds (enough to settle, cover loans and chain supplements)."""

    id: uuid.UUID
    policy_code: str
    period: str
    amount_fen: int
    sequence: int
    loan_keys: list[str] | None
    determined_at: datetime


def financing_reads(compiled: CompiledVersion) -> frozenset[str]:
    """The financing figures a version reads (empty: not a financing item)."""
    return compiled.reads() & FINANCING_FIGURES


def covered_keys(financings: dict[str, Any], held: Iterable[Held]) -> frozenset[str]:
    """The loan keys these entitlements cover (an entitlement from before ``loan_keys``: the loans closed by the
    day it was determined)."""
    out: set[str] = set()
    for h in held:
        if h.loan_keys is not None:
            out.update(h.loan_keys)
            continue
        day = local_date(h.determined_at)
        for key, fact in financings.items():
            closed = as_date(fact.get("closed_on"))
            if closed is not None and closed <= day:
                out.add(key)
    return frozenset(out)


async def interest_codes(session: AsyncSession, at: date) -> frozenset[str]:
    """The automatic items in force that subsidise 知识产权质押 interest (they read an interest figure)."""
    policies = await repository.compiled_in_force(session, at, mode="automatic")
    return frozenset(c.meta.code for _, c in policies if c.reads() & INTEREST_FIGURES)


_HELD = text(
    "SELECT e.entity_type, e.entity_id, e.id, e.policy_code, e.period, e.amount_fen, e.sequence, e.loan_keys, "
    "e.determined_at FROM entitlements e JOIN unnest(CAST(:t AS text[]), CAST(:i AS text[])) AS k(t, i) "
    "ON e.entity_type = k.t AND e.entity_id = k.i"
)
_CHUNK = 2000


async def held_by(session: AsyncSession, keys: Iterable[EntityKey]) -> dict[EntityKey, list[Held]]:
    """(entity type, entity id) → every entitlement it holds."""
    found: dict[EntityKey, list[Held]] = {}
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = await session.execute(_HELD, {"t": [k[0] for k in chunk], "i": [k[1] for k in chunk]})
        for entity_type, entity_id, eid, code, period, amount, sequence, loan_keys, determined_at in rows:
            found.setdefault((entity_type, entity_id), []).append(
                Held(eid, code, period, int(amount), int(sequence), loan_keys, determined_at)
            )
    return found


def subsidised_of(financings: dict[str, Any], held: Iterable[Held], codes: frozenset[str]) -> frozenset[str]:
    """The loan keys an interest subsidy (an entitlement of one of ``codes``) already covers."""
    return covered_keys(financings, [h for h in held if h.policy_code in codes])


async def subsidised_loans(
    session: AsyncSession, profiles: dict[EntityKey, dict[str, Any]], at: date
) -> dict[EntityKey, frozenset[str]]:
    """For the entities with financings among ``profiles``: the loan keys their interest subsidies cover
    (``ip_pledge_interest_unsubsidised_fen`` leaves them out)."""
    with_loans = {k: p for k, p in profiles.items() if p.get("financings")}
    if not with_loans:
        return {}
    codes = await interest_codes(session, at)
    if not codes:
        return {}
    held = await held_by(session, with_loans)
    return {
        k: subsidised_of(p["financings"], held.get(k, []), codes) for k, p in with_loans.items() if k in held
    }


def base_loan_keys(
    compiled: CompiledVersion, view: dict[str, Any], at: date, subsidised: frozenset[str]
) -> list[str] | None:
    """The loans the period's first entitlement of a financing item covers (None: not a financing item)."""
    reads = financing_reads(compiled)
    if not reads:
        return None
    loans = period_loans(view.get("financings") or {}, at, reads)
    exclude = subsidised if reads & INTEREST_FIGURES else frozenset()
    return sorted(k for k in loans if k not in exclude)


@dataclass(frozen=True)
class Supplement:
    sequence: int
    supplement_of: uuid.UUID
    loan_keys: list[str]
    financings: dict[str, Any]
    room_fen: int | None  # what the item's cap leaves this period (None: no cap)


def supplement_for(
    compiled: CompiledVersion,
    view: dict[str, Any],
    at: date,
    period: str,
    held: list[Held],
    subsidised: frozenset[str],
) -> Supplement | None:
    """What a supplement of this financing item would cover, given the entitlements held (None: nothing new, not
    a financing item, a one-off item, or the cap used up). The caller evaluates the rule on ``financings``."""
    reads = financing_reads(compiled)
    if not reads or compiled.meta.once_per_entity:
        return None
    own = [h for h in held if h.policy_code == compiled.meta.code and h.period == period]
    if not own:
        return None
    financings = view.get("financings") or {}
    exclude = covered_keys(financings, own)
    if reads & INTEREST_FIGURES:
        exclude |= subsidised
    fresh = {k: f for k, f in period_loans(financings, at, reads).items() if k not in exclude}
    if not fresh:
        return None
    room = None
    if compiled.amount_cap_fen is not None:
        room = compiled.amount_cap_fen - sum(h.amount_fen for h in own)
        if room <= 0:
            return None
    first = min(own, key=lambda h: h.sequence)
    return Supplement(
        sequence=max(h.sequence for h in own) + 1,
        supplement_of=first.id,
        loan_keys=sorted(fresh),
        financings=fresh,
        room_fen=room,
    )
