"""The 金融 page's amount: a financing need in 万元 or 元, to the fen, and a clear word for anything else."""

from __future__ import annotations

import pytest
from kunruyi_gateway.self_service.finance import finance_amount_fen


@pytest.mark.parametrize(
    ("text", "unit", "fen"),
    [
        ("300", "wan", 300_000_000),
        ("0.5", "wan", 500_000),
        ("1,200", "wan", 1_200_000_000),
        ("12,345.67", "yuan", 1_234_567),
        (" 8000 ", "yuan", 800_000),
        ("0.000001", "wan", 1),
    ],
)
def test_an_amount_in_wan_or_yuan_is_read_to_the_fen(text: str, unit: str, fen: int) -> None:
    assert finance_amount_fen(text, unit) == (fen, None)


@pytest.mark.parametrize(
    ("text", "unit", "word"),
    [
        ("", "wan", "请填写融资金额"),
        ("三百万", "wan", "不是金额"),
        ("-5", "wan", "须大于 0"),
        ("0", "yuan", "须大于 0"),
        ("1.234", "yuan", "精确到分"),
        ("NaN", "wan", "须大于 0"),
        ("1e20", "wan", "过大"),
        ("300", "亿", "单位"),
    ],
)
def test_anything_else_is_named_at_the_field(text: str, unit: str, word: str) -> None:
    fen, why = finance_amount_fen(text, unit)
    assert fen is None and why is not None and word in why
