"""Reading an amount typed on a page (元 or 万元) into integer fen — the one reader the console and 昆e服 share.

Each page words the refusal its own way; what was wrong is the same everywhere: nothing typed, not a number, not
above zero, finer than a fen, or above the page's ceiling."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元


class AmountError(Enum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    FINER_THAN_A_FEN = "finer_than_a_fen"
    TOO_LARGE = "too_large"


def fen_of(text: str, *, fen_per_unit: int, max_fen: int) -> int | AmountError:
    """``"12,345.67"`` with 元 (100 fen) → 1,234,567; ``"300"`` with 万元 → 300,000,000; else what was wrong.
    Thousands separators (ASCII or full-width commas) and spaces are ignored."""
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "").strip()
    if not cleaned:
        return AmountError.EMPTY
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return AmountError.NOT_A_NUMBER
    if not value.is_finite() or value <= 0:  # NaN and Infinity parse as numbers, but are no amount above zero
        return AmountError.NOT_POSITIVE
    fen = value * fen_per_unit
    if fen != fen.to_integral_value():
        return AmountError.FINER_THAN_A_FEN
    if fen > max_fen:
        return AmountError.TOO_LARGE
    return int(fen)
