"""Amounts in fen from a formula's result; shared by the interpreter (evaluation) and the generated code (codegen)."""

from __future__ import annotations

import math
from typing import Any

from kunruyi_policy.rules.jsonlogic import RuleEvaluationError, to_number


def round_amount(value: Any, cap: int | None) -> int:
    """Fen from a formula result: half-up rounding, never negative, at most the cap."""
    number = to_number(value)
    if number != number or math.isinf(number):
        raise RuleEvaluationError("金额公式未得出有效数值")
    fen = max(0, int(math.floor(number + 0.5)))
    return min(fen, cap) if cap is not None else fen
