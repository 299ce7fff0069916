"""Assigning approved demands to brokers: maximise total affinity under monthly capacity and conflicts of interest.

The problem is a bipartite b-matching. Each broker's remaining capacity is expanded into that many identical
slots, every demand also gets a private "wait" column worth 0, and scipy's ``linear_sum_assignment`` (the
Jonker-Volgenant algorithm) picks the maximum-weight assignment. Ineligible pairs (conflict of interest, no shared
chain or field) are worth ``-INELIGIBLE`` so the wait column always beats them; a demand whose best option is to
wait stays in the visible queue (status ``unassigned``), never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from kunruyi_matching.taxonomy import field_category

INELIGIBLE = 1e9
_CERT_BONUS = {"高级": 0.6, "中级": 0.3, "初级": 0.0}


def affinity(
    *,
    demand_chain: str,
    demand_field: str,
    broker_chains: Sequence[str],
    broker_fields: Sequence[str],
    certification: str,
    conflicted: bool,
) -> float | None:
    """How well a broker suits a demand, or None when they may not take it."""
    if conflicted:
        return None
    chain = demand_chain in broker_chains
    field = demand_field in broker_fields
    if not chain and not field:
        return None
    category = field_category(demand_field)
    near_field = (
        not field and category is not None and any(field_category(f) == category for f in broker_fields)
    )
    return 1.0 + 2.0 * chain + 2.0 * field + 0.5 * near_field + _CERT_BONUS.get(certification, 0.0)


def solve(weights: npt.NDArray[np.float64], capacities: Sequence[int]) -> list[tuple[int, int]]:
    """Optimal (demand, broker) pairs for a demands × brokers weight matrix (NaN = ineligible)."""
    n_demands, n_brokers = weights.shape
    if n_demands == 0 or n_brokers == 0:
        return []
    slot_owner: list[int] = []
    for b, cap in enumerate(capacities):
        eligible_rows = int(np.count_nonzero(~np.isnan(weights[:, b])))
        slot_owner.extend([b] * min(max(cap, 0), eligible_rows))
    if not slot_owner:
        return []
    owners = np.asarray(slot_owner)
    slots = np.where(np.isnan(weights[:, owners]), -INELIGIBLE, weights[:, owners])
    wait = np.full((n_demands, n_demands), -INELIGIBLE)
    np.fill_diagonal(wait, 0.0)
    rows, cols = linear_sum_assignment(np.hstack([slots, wait]), maximize=True)
    return [
        (int(r), int(owners[c]))
        for r, c in zip(rows, cols, strict=True)
        if c < len(owners) and slots[r, c] > -INELIGIBLE
    ]
