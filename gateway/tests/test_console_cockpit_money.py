"""The cockpit's money charts: the period asked for (year, quarter, Beijing dates; a bad or future one named and
replaced by this year), and the report by mode and by department turned into the charts' data and the tables."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from kunruyi_gateway.console.views import cockpit
from kunruyi_gateway.web.calls import UpstreamError

TODAY = date(2026, 5, 20)


@pytest.mark.parametrize(
    ("year", "quarter", "expected", "problem"),
    [
        (None, None, (date(2026, 1, 1), date(2026, 12, 31)), None),
        ("2025", "2", (date(2025, 4, 1), date(2025, 6, 30)), None),
        ("2025", "4", (date(2025, 10, 1), date(2025, 12, 31)), None),
        ("2026", "2", (date(2026, 4, 1), date(2026, 6, 30)), None),
        ("2026", "3", (date(2026, 1, 1), date(2026, 12, 31)), "尚未开始"),
        ("2027", None, (date(2026, 1, 1), date(2026, 12, 31)), "2022–2026"),
        ("2025", "5", (date(2026, 1, 1), date(2026, 12, 31)), "季度须为 1–4"),
        ("二〇二五", None, (date(2026, 1, 1), date(2026, 12, 31)), "不是数字"),
    ],
)
def test_the_period_of_the_money_charts(
    year: str | None, quarter: str | None, expected: tuple[date, date], problem: str | None
) -> None:
    period, why = cockpit.period_of(year, quarter, TODAY)
    assert (period.date_from, period.date_to) == expected
    assert (why is None) if problem is None else (why is not None and problem in why)


class FakeCalls:
    def __init__(self, reports: dict[str, dict[str, Any]] | None = None, status: int | None = None) -> None:
        self.reports, self.status, self.asked = reports or {}, status, []

    async def call(self, service: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
        assert (service, method, path) == ("disbursement", "GET", "/api/v1/reports/disbursements")
        self.asked.append(kw["params"])
        if self.status:
            raise UpstreamError(self.status, "refused", {"code": "role_required"})
        return self.reports[kw["params"]["group_by"]]


def _row(key: str, amount: int, automatic: int = 0, quick: int = 0, projects: int = 1) -> dict[str, Any]:
    return {
        "key": key,
        "projects": projects,
        "amount_fen": amount,
        "automatic_amount_fen": automatic,
        "quick_amount_fen": quick,
    }


async def test_money_by_mode_and_department_for_the_quarter() -> None:
    calls = FakeCalls(
        {
            "mode": {
                "items": [_row("application", 3_000_000, projects=2), _row("automatic", 1_500_050)],
                "totals": {"amount_fen": 4_500_050},
                "summary": "累计兑现 3个项目 4.5万元",
            },
            "department": {
                "items": [_row("科技局", 4_000_050, automatic=1_500_050), _row("人社局", 500_000, quick=0)],
                "totals": {"amount_fen": 4_500_050},
            },
        }
    )
    money = await cockpit.money(calls, cockpit.Period(2025, 3))  # type: ignore[arg-type]
    assert {p["date_from"] for p in calls.asked} == {"2025-07-01"} and {
        p["date_to"] for p in calls.asked
    } == {"2025-09-30"}
    assert [(m["name"], m["projects"], m["amount_text"]) for m in money["modes"]] == [
        ("免申即享", 1, "15,000.50"),
        ("即申即享", 0, "0.00"),
        ("申报", 2, "30,000.00"),
    ]
    assert money["total_text"] == "45,000.50"
    chart = json.loads(money["department_chart"])
    assert chart["x"] == ["科技局", "人社局"]
    assert [s["name"] for s in chart["series"]] == ["免申即享", "即申即享", "申报"]
    assert chart["series"][0]["data"] == [1.5, 0] and chart["series"][2]["data"] == [2.5, 0.5]  # 万元
    assert json.loads(money["mode_chart"])["items"][0] == {"name": "免申即享", "value": 1.5}


async def test_a_role_the_report_refuses_sees_why() -> None:
    money = await cockpit.money(FakeCalls(status=403), cockpit.Period(2025))  # type: ignore[arg-type]
    assert money["problem"] == "您的角色无权查看资金统计" and "modes" not in money
