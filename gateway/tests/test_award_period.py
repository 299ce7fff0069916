"""A supplement (补充认定) reads as one on the pages: 我的资金 on 昆e服 and the console's finance queue."""

from __future__ import annotations

from kunruyi_gateway.web.templating import award_period, templates


def test_a_supplement_says_so_with_its_number_and_a_periods_award_is_its_period() -> None:
    assert award_period({"period": "2026", "sequence": 0}) == "2026"
    assert award_period({"period": "2026"}) == "2026"
    assert award_period({"period": "2026", "sequence": 2}) == "2026 · 补充认定（第 2 次）"


def test_my_funds_lists_a_loans_supplement_beside_the_periods_subsidy() -> None:
    listed = type(
        "Listed",
        (),
        {
            "ok": True,
            "items": [
                {
                    "policy_code": "KS-JR-122",
                    "period": "2026",
                    "sequence": 0,
                    "amount_fen": 450_000_00,
                    "status": "settled",
                    "settled_at": "2026-05-01T10:00:00+08:00",
                    "mode": "automatic",
                },
                {
                    "policy_code": "KS-JR-122",
                    "period": "2026",
                    "sequence": 1,
                    "amount_fen": 17_250_00,
                    "status": "settled",
                    "settled_at": "2026-09-01T10:00:00+08:00",
                    "mode": "automatic",
                },
            ],
        },
    )()
    html = templates.get_template("self/funds.html").render(
        listed=listed, settled_fen=467_250_00, signed_in=None, csrf_token=""
    )
    assert "KS-JR-122</b> · 2026<br>" in html
    assert "KS-JR-122</b> · 2026 · 补充认定（第 1 次）<br>" in html
