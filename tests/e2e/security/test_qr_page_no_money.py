"""A company's 昆e服 page is public (its code is printed and posted at the company): it lists the policies the
company may qualify for, never an amount of money or how a payment of the company stands.

Two companies: one the seeded data paid (a settled 免申即享 award), one that qualifies for an award right now."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

# Every status label a payment could be shown with, and the old section's heading.
PAYMENT_WORDS = (
    "兑付情况",
    "已兑付",
    "待审批",
    "等待预算",
    "待拨付",
    "拨付中",
    "拨付失败",
    "银行退回",
    "未通过",
)
POLICY = "KS-KJ-001"
TITLE = "高新技术企业认定奖励"


def _page_text(driver: Any, uscc: str, name: str) -> str:
    token = driver.service_code("enterprise", uscc, name, "集成电路")
    page = driver.http.get(f"/q/{token}")
    assert page.status_code == 200, page.text
    assert "直达政策" in page.text
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def _no_money(text: str, amounts_fen: list[int]) -> None:
    assert "¥" not in text and "￥" not in text, text
    assert not re.search(r"\d\s*万?元", text), text
    for word in PAYMENT_WORDS:
        assert word not in text, (word, text)
    for fen in amounts_fen:
        for shown in (f"{fen / 100:,.2f}", f"{fen / 100:,.0f}", f"{fen / 1_000_000:g}万"):
            assert shown not in text, (shown, text)


def test_the_page_of_a_paid_company_shows_no_amount_and_no_payment_status(driver: Any) -> None:
    # An admin's list: every department's payments (a department's finance sees only its own).
    settled = driver.as_staff(
        "admin", "GET", "/api/v1/disbursements", params={"status": "settled", "limit": 200}
    )
    assert settled.status_code == 200, settled.text
    paid = next(d for d in settled.json()["items"] if d["entity_type"] == "enterprise")
    uscc = paid["entity_id"]
    everything = driver.as_staff(
        "admin", "GET", "/api/v1/disbursements", params={"entity_id": uscc, "limit": 200}
    ).json()["items"]
    text = _page_text(driver, uscc, "昆山演示精密机械有限公司")
    _no_money(text, [d["amount_fen"] for d in everything])


def test_the_page_lists_the_award_a_company_qualifies_for_without_its_amount(driver: Any) -> None:
    name = "昆山公开页芯片科技有限公司"
    uscc = driver.register_enterprise(name=name)
    granted = driver.partner.post(
        f"/api/v1/enterprises/{uscc}/qualifications",
        json={"kind": "high_tech", "level": "national", "granted_on": f"{date.today().year}-10-15"},
    )
    assert granted.status_code == 201, granted.text

    def eligible() -> list[dict[str, Any]] | None:
        resp = driver.as_staff(
            "officer",
            "POST",
            "/api/v1/policy-calculator?detail=full",
            json={"entity_type": "enterprise", "entity_id": uscc},
        )
        assert resp.status_code == 200, resp.text
        results: list[dict[str, Any]] = resp.json()["results"]
        ours = next((r for r in results if r["policy_code"] == POLICY), None)
        return results if ours and ours["status"] == "eligible" else None

    results = driver.eventually(eligible, f"{POLICY} eligible for {uscc}")
    text = _page_text(driver, uscc, name)
    assert TITLE in text and "符合条件" in text, text
    _no_money(text, [r["amount_fen"] for r in results if r.get("amount_fen")])
