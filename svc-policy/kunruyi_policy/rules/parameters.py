"""Dated parameters, OpenFisca style: each value holds from its effective date, with the legal reference."""

from __future__ import annotations

from datetime import date
from typing import Any


def resolve_parameters(definitions: dict[str, Any], at: date) -> dict[str, dict[str, Any]]:
    """``{name: {value, effective_from, reference}}`` of the values in force on ``at``; names without one are left out."""
    resolved: dict[str, dict[str, Any]] = {}
    for name, definition in (definitions or {}).items():
        best: dict[str, Any] | None = None
        for entry in definition.get("values", []):
            start = date.fromisoformat(str(entry["effective_from"]))
            if start <= at and (best is None or start >= date.fromisoformat(str(best["effective_from"]))):
                best = entry
        if best is not None:
            resolved[name] = {
                "value": best["value"],
                "effective_from": str(best["effective_from"]),
                "reference": best.get("reference", ""),
            }
    return resolved
