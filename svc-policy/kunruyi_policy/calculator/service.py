"""The policy calculator (政策计算器): one profile against every policy in force that fits its beneficiary."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from fastapi.exceptions import RequestValidationError
from kunruyi_common.errors import NotFound, Unprocessable
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.models import EntityProfile
from kunruyi_policy.rules.evaluation import CompiledVersion, evaluate_version
from kunruyi_policy.rules.variables import PROFILE_MODELS

_STATUS_ORDER = {"eligible": 0, "needs_confirmation": 1, "error": 2, "ineligible": 3}


def validated_profile(beneficiary: str, profile: dict[str, Any], location: str = "profile") -> dict[str, Any]:
    """The profile with defaults filled in, or a 422 naming each bad field (``profile.rd_ratio``)."""
    try:
        return PROFILE_MODELS[beneficiary].model_validate(profile).model_dump()
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", location, *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc


async def stored_profile(session: AsyncSession, entity_type: str, entity_id: str) -> EntityProfile:
    row = await session.get(EntityProfile, (entity_type, entity_id))
    if row is None:
        raise NotFound(f"没有 {entity_id} 的画像（尚未从人才企业库同步）", code="profile_not_found")
    return row


def sort_key(result: dict[str, Any]) -> tuple[int, int, str]:
    return (-(result["amount_fen"] or 0), _STATUS_ORDER[result["status"]], result["policy_code"])


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building hundreds of traced results allocates many containers that all stay alive until the response is
    sent; letting the cyclic collector rescan them mid-way doubled the cost. Nothing here awaits, and reference
    counting still frees everything, so pausing the collector for this synchronous section is safe."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_all(
    policies: list[tuple[Any, CompiledVersion]], profile: dict[str, Any], at: date
) -> list[dict[str, Any]]:
    shared = dict(profile)
    with collector_paused():
        results = [evaluate_version(compiled, profile, at, shared=shared) for _, compiled in policies]
    results.sort(key=sort_key)
    return results


async def calculate(
    session: AsyncSession,
    beneficiary: str,
    profile: dict[str, Any],
    at: date,
    *,
    codes: list[str] | None = None,
) -> dict[str, Any]:
    if beneficiary not in PROFILE_MODELS:
        raise Unprocessable(
            "beneficiary 只能是 enterprise 或 talent", code="invalid_beneficiary", field="beneficiary"
        )
    policies = await repository.compiled_in_force(session, at, beneficiary=beneficiary, codes=codes)
    results = evaluate_all(policies, profile, at)
    summary: dict[str, Any] = {status: 0 for status in _STATUS_ORDER}
    for r in results:
        summary[r["status"]] += 1
    summary["almost"] = sum(1 for r in results if r["almost"])
    summary["eligible_amount_fen"] = sum(r["amount_fen"] or 0 for r in results if r["status"] == "eligible")
    summary["possible_amount_fen"] = sum(
        r["amount_fen"] or 0 for r in results if r["status"] == "needs_confirmation"
    )
    return {
        "evaluation_date": at,
        "beneficiary": beneficiary,
        "profile": profile,
        "summary": summary,
        "results": results,
        # Near-misses in short, ordered like the results; each result carries the full explanation.
        "almost": [
            {"policy_code": r["policy_code"], "title": r["title"], **r["almost"]}
            for r in results
            if r["almost"]
        ],
        "versions_used": [{"policy_code": r["policy_code"], "version": r["version"]} for r in results],
    }


async def profile_for_entity(session: AsyncSession, entity_type: str, entity_id: str) -> dict[str, Any]:
    row = await stored_profile(session, entity_type, entity_id)
    return dict(row.profile)


async def known_entity_ids(session: AsyncSession, entity_type: str, limit: int = 10) -> list[str]:
    rows = await session.execute(
        select(EntityProfile.entity_id).where(EntityProfile.entity_type == entity_type).limit(limit)
    )
    return list(rows.scalars())
