"""Trust, item 10: an integer no PostgreSQL column can hold is a 422 naming the field — in a query, a path or a
body, on every service (the kit's guard) — never a 500; and every problem carries the request id.

(A 500's body carrying ``request_id`` is checked on the kit's handler itself, ``common/tests/test_integer_bounds.py``:
the platform offers no legitimate request that fails that way.)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(600)


def _names(resp: Any, field: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = resp.json()
    assert body["field"] == field, body
    assert body["request_id"] == resp.headers["x-request-id"], body
    return body


@pytest.mark.parametrize("year", ["2147483648", "-2147483649", "9" * 30, "1999", "2101"])
def test_a_fiscal_year_out_of_range_is_422_naming_query_fiscal_year(driver: Any, year: str) -> None:
    resp = driver.as_staff("finance", "GET", "/api/v1/budgets", "科技局", params={"fiscal_year": year})
    _names(resp, "query.fiscal_year")


def test_a_path_integer_beyond_int4_is_422_on_another_service(driver: Any) -> None:
    uscc = driver.register_enterprise(name="昆山整数边界测试有限公司")
    figures = {"revenue_fen": 1, "rd_expense_fen": 1, "tax_paid_fen": 1, "high_tech_revenue_ratio": 0.5}
    resp = driver.partner.request("PUT", f"/api/v1/enterprises/{uscc}/figures/2147483648", json=figures)
    body = _names(resp, "path.year")
    assert body["code"] == "integer_out_of_range"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_fen": 2**63}, "amount_fen"),
        ({"amount_fen": 1e30}, "amount_fen"),
        ({"fiscal_year": 2**31}, "fiscal_year"),
    ],
)
def test_body_integers_beyond_their_column_are_422_naming_the_field(
    driver: Any, overrides: dict[str, Any], field: str
) -> None:
    resp = driver.as_staff(
        "finance",
        "POST",
        "/api/v1/budgets",
        "科技局",
        headers={"Idempotency-Key": f"e2e-bounds-{field}-{overrides[field]}"},
        json={"policy_code": "KS-SB-032", "fiscal_year": date.today().year, "amount_fen": 1, **overrides},
    )
    _names(resp, field)


def test_an_application_amount_beyond_bigint_is_422_naming_amount_fen(driver: Any) -> None:
    resp = driver.partner.post(
        "/api/v1/applications",
        json={
            "policy_code": "KS-SB-032",
            "applicant_type": "enterprise",
            "applicant_id": driver.new_uscc(),
            "period": str(date.today().year),
            "amount_fen": 2**64,
        },
    )
    _names(resp, "amount_fen")
