"""Exclusion groups and stacking caps, applied the same way by the calculator and the 免申即享 run.

- **Exclusion group** (就高不重复): the tiers of one topic. Of the eligible items in a group only the best counts
  (the highest amount; on a tie the first code); the others become ``excluded`` (``excluded_by`` names the one
  that counts). An item needing confirmation whose amount does not beat that best one is excluded as well.
- **Stacking group** (同一事项不重复享受，叠加封顶): a cap per entity per year across its items. Eligible items take
  the cap largest first; what exceeds it is cut (``capped_by``), an item left with nothing is ``excluded``.

``entries`` are ``(meta, status, amount_fen)``; ``paid`` gives what the entity was already determined this period
per stacking group (the run passes it, a fresh calculation has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kunruyi_policy.rules.evaluation import ELIGIBLE, NEEDS_CONFIRMATION, PolicyMeta

EXCLUDED = "excluded"
Entry = tuple[PolicyMeta, str, int | None]
Settled = tuple[str, int | None, dict[str, Any] | None]


def _rank(entry: Entry) -> tuple[int, str]:
    meta, _, amount = entry
    return (-(amount or 0), meta.code)


def settle(entries: Sequence[Entry], paid: dict[str, int] | None = None) -> list[Settled]:
    out: list[Settled] = [(status, amount, None) for _, status, amount in entries]
    groups: dict[str, list[int]] = {}
    for i, (meta, _, _) in enumerate(entries):
        if meta.exclusion_group:
            groups.setdefault(meta.exclusion_group, []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        eligible = sorted((i for i in members if entries[i][1] == ELIGIBLE), key=lambda i: _rank(entries[i]))
        if not eligible:
            continue
        best = eligible[0]
        best_amount = entries[best][2] or 0
        for i in members:
            if i == best:
                continue
            meta, status, amount = entries[i]
            if status == ELIGIBLE or (status == NEEDS_CONFIRMATION and (amount or 0) <= best_amount):
                out[i] = (
                    EXCLUDED,
                    None,
                    {"excluded_by": entries[best][0].code, "reason": "同一事项就高不重复，只享受最高一档"},
                )
    capped: dict[str, list[int]] = {}
    for i, (meta, _, _) in enumerate(entries):
        if meta.stacking_group and meta.stacking_cap_fen is not None and out[i][0] == ELIGIBLE:
            capped.setdefault(meta.stacking_group, []).append(i)
    for group, members in capped.items():
        cap = entries[members[0]][0].stacking_cap_fen or 0
        remaining = max(cap - (paid or {}).get(group, 0), 0)
        for i in sorted(members, key=lambda i: _rank(entries[i])):
            amount = out[i][1] or 0
            granted = min(amount, remaining)
            remaining -= granted
            note: dict[str, Any] = {"capped_by": group, "cap_fen": cap, "before_cap_fen": amount}
            if granted == 0 and amount > 0:
                out[i] = (EXCLUDED, None, {**note, "reason": "同组政策本年度已达叠加上限"})
            elif granted < amount:
                out[i] = (ELIGIBLE, granted, {**note, "reason": "同组政策叠加封顶"})
    return out
