"""A policy newly in reach (政策早知道): after a company's or a talent's profile changes, the application policies
in force for it (modes other than 免申即享, which pays by itself) are evaluated; each that is now eligible or needs
only a person's confirmation, and was not in reach before, is announced once with ``kunruyi.policy.reach.gained``
(svc-talent tells the person). A policy that falls out of reach is announced with ``kunruyi.policy.reach.lost``
(svc-talent's 对策清单 drops it) and forgotten, so regaining it is news again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events import Staged, add_events
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kunruyi_policy.catalog import repository
from kunruyi_policy.events import ReachGained, ReachLost
from kunruyi_policy.models import PolicyReach
from kunruyi_policy.rules.evaluation import ELIGIBLE, NEEDS_CONFIRMATION, evaluate_version

SOURCE = "policy"
IN_REACH = (ELIGIBLE, NEEDS_CONFIRMATION)


async def update_reach(
    session: AsyncSession, entity_type: str, entity_id: str, profile: dict[str, Any], at: date | None = None
) -> list[str]:
    """Re-evaluate the entity's reach; returns the codes of the policies newly in reach (announced)."""
    at = at or local_today()
    policies = await repository.compiled_in_force(session, at, beneficiary=entity_type)
    reached: dict[str, tuple[Any, dict[str, Any]]] = {}
    for meta, compiled in policies:
        if meta.mode == "automatic":
            continue
        result = evaluate_version(compiled, profile, at, explain=False)
        if result["status"] in IN_REACH:
            reached[meta.code] = (compiled, result)
    known = set(
        (
            await session.execute(
                select(PolicyReach.policy_code).where(
                    PolicyReach.entity_type == entity_type, PolicyReach.entity_id == entity_id
                )
            )
        ).scalars()
    )
    lost = known - set(reached)
    staged: list[Staged] = []
    if lost:
        removed = (
            await session.execute(
                delete(PolicyReach)
                .where(
                    PolicyReach.entity_type == entity_type,
                    PolicyReach.entity_id == entity_id,
                    PolicyReach.policy_code.in_(sorted(lost)),
                )
                .returning(PolicyReach.policy_code)
            )
        ).scalars()
        titles = {meta.code: meta for meta, _ in policies}
        staged.extend(
            Staged(
                ReachLost(
                    policy_code=code,
                    # a policy no longer in force has no meta today: its code stands for its title
                    policy_title=titles[code].title if code in titles else code,
                    department=titles[code].department if code in titles else "",
                    entity_type=entity_type,
                    entity_id=entity_id,
                ),
                subject=f"{entity_type}:{entity_id}",
            )
            for code in sorted(removed)
        )
    fresh = sorted(set(reached) - known)
    if not fresh:
        await add_events(session, SOURCE, staged)
        return []
    inserted = set(
        (
            await session.execute(
                insert(PolicyReach)
                .values(
                    [
                        {
                            "entity_type": entity_type,
                            "entity_id": entity_id,
                            "policy_code": code,
                            "status": reached[code][1]["status"],
                        }
                        for code in fresh
                    ]
                )
                .on_conflict_do_nothing()
                .returning(PolicyReach.policy_code)
            )
        ).scalars()
    )
    for code in fresh:
        if code not in inserted:
            continue
        compiled, result = reached[code]
        staged.append(
            Staged(
                ReachGained(
                    policy_code=code,
                    policy_title=compiled.meta.title,
                    department=compiled.meta.department,
                    mode=compiled.meta.mode,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    status=result["status"],
                    amount_fen=result.get("amount_fen"),
                ),
                subject=f"{entity_type}:{entity_id}",
            )
        )
    await add_events(session, SOURCE, staged)
    return [code for code in fresh if code in inserted]
