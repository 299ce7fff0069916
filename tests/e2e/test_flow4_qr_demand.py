"""Flow 4: a technology demand posted from the 昆e服 page.

Two brokers cover the 半导体 (集成电路) chain: a senior one with room for one demand this month and a junior one
with room for two. Experts are in the supply index (posted by a partner). The enterprise posts a demand from its
昆e服 page (a phone, headless Chromium); an officer approves it, which assigns the best broker with capacity
left; the candidates come ranked with reasons; the broker takes the engagement through its stages to a
registered technology contract and the reward is computed (1.5 %, half-up to the fen). A second demand, posted
with the page's plain form, goes to the other broker: the first one's capacity is used up.
"""

from __future__ import annotations

import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(900)

CHAIN = "集成电路"
FIELD = "集成电路设计"
CONTRACT_FEN = 12_345_678


def _demand_id(driver: Any, uscc: str, html: str) -> str:
    """The page shows the filer a number and query code (no internal id); the officer finds the demand by it."""
    found = re.search(r'id="demand-number">(XQ[0-9]+)</strong>', html)
    assert found, html[-2000:]
    listed = driver.as_staff(
        "officer", "GET", "/api/v1/demands", params={"enterprise_uscc": uscc, "limit": 50}
    ).json()
    ids = [d["id"] for d in listed["items"] if d["demand_number"] == found.group(1)]
    assert len(ids) == 1, listed
    return str(ids[0])


def test_a_demand_from_the_qr_page_reaches_a_registered_contract(driver: Any, phone: Any) -> None:
    run = uuid.uuid4().hex[:8]
    senior, junior = f"e2e-broker-senior-{run}", f"e2e-broker-junior-{run}"
    brokers = {}
    for subject, name, certification, capacity in (
        (senior, "钱经纪", "高级", 1),
        (junior, "孙经纪", "初级", 2),
    ):
        made = driver.as_staff(
            "officer",
            "POST",
            "/api/v1/brokers",
            json={
                "subject": subject,
                "name": name,
                "agency": "昆山技术转移中心",
                "certification": certification,
                "fields": [FIELD],
                "chains": [CHAIN],
                "monthly_capacity": capacity,
            },
        )
        assert made.status_code == 201, made.text
        brokers[subject] = made.json()["id"]

    experts = [
        (
            "王教授",
            "苏州大学",
            "长期从事射频芯片与低功耗模拟芯片设计，主持多项数模混合集成电路攻关项目。",
            FIELD,
        ),
        ("赵研究员", "中科院苏州医工所", "医学影像设备与体外诊断仪器研发。", "医疗器械"),
    ]
    for i, (name, org, summary, field) in enumerate(experts):
        posted = driver.partner.post(
            "/api/v1/supply",
            json={
                "kind": "expert",
                "natural_key": f"e2e-{run}-{i}",
                "name": name,
                "organization": org,
                "summary": summary,
                "technical_field": field,
                "region": "苏州",
            },
        )
        assert posted.status_code in (200, 201), posted.text

    name = "昆山射频微电子有限公司"
    uscc = driver.register_enterprise(name=name, district="开发区", industry_chain=CHAIN)
    token = driver.service_code("enterprise", uscc, name, CHAIN)

    # The enterprise posts its demand from the page, on a phone.
    phone.goto(f"{driver.url}/q/{token}")
    phone.get_by_role("heading", name="发布技术需求").wait_for()
    phone.get_by_label("需求名称（必填）").fill("低功耗射频芯片设计攻关")
    phone.get_by_label("需求描述（必填）").fill(
        "需要低功耗射频芯片与数模混合电路的设计能力，完成物联网模组国产化。"
    )
    phone.get_by_label("需求类型").select_option("技术攻关")
    phone.get_by_label("技术领域").select_option(label=FIELD)
    phone.get_by_label("联系人（必填）").fill("周工")
    phone.get_by_label("联系电话（必填）").fill(driver.new_phone())
    phone.locator("#consent-demand").check()
    phone.get_by_role("button", name="发布需求").click()
    phone.get_by_role("heading", name="技术需求已提交").wait_for()
    demand_id = _demand_id(driver, uscc, phone.content())

    officer_view = driver.as_staff("officer", "GET", f"/api/v1/demands/{demand_id}")
    assert officer_view.status_code == 200, officer_view.text
    demand = officer_view.json()
    assert demand["channel"] == "qr" and demand["enterprise_uscc"] == uscc
    assert demand["status"] == "pending_review"

    # Approval puts it in the pool and assigns it on arrival: the senior broker has the higher affinity.
    reviewed = driver.as_staff(
        "officer", "POST", f"/api/v1/demands/{demand_id}/review", json={"decision": "approve", "note": "入库"}
    )
    assert reviewed.status_code == 200, reviewed.text
    assigned = driver.as_staff("officer", "GET", f"/api/v1/demands/{demand_id}").json()
    assert assigned["status"] == "assigned" and assigned["broker_id"] == brokers[senior], assigned

    # Ranked candidates with reasons: the chip-design expert first (the index picks new supply up within ~1 s).
    def ranked() -> list[dict[str, Any]] | None:
        resp = driver.as_staff(
            "broker",
            "GET",
            f"/api/v1/demands/{demand_id}/candidates",
            subject=senior,
            params={"kind": "expert", "limit": 5},
        )
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items if items and items[0]["supply"]["name"] == "王教授" else None

    candidates = driver.eventually(ranked, "the chip-design expert ranked first")
    top = candidates[0]
    assert top["rank"] == 1 and top["reasons"] and top["matched_terms"]
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)

    # The broker takes it through the pipeline to a registered contract.
    stages: list[tuple[str, dict[str, Any]]] = [
        ("recommended", {"supply_id": top["supply"]["id"]}),
        ("negotiating", {}),
        ("signed", {}),
        ("contract_registered", {"contract_number": f"2026320583{run}", "contract_amount_fen": CONTRACT_FEN}),
    ]
    for stage, extra in stages:
        moved = driver.as_staff(
            "broker",
            "POST",
            f"/api/v1/demands/{demand_id}/stages",
            subject=senior,
            json={"stage": stage, "note": f"端到端：{stage}", **extra},
        )
        assert moved.status_code == 200, f"{stage}: {moved.text}"
    engagement = driver.as_staff(
        "broker", "GET", f"/api/v1/demands/{demand_id}/engagement", subject=senior
    ).json()
    assert engagement["stage"] == "contract_registered"
    assert engagement["contract_amount_fen"] == CONTRACT_FEN
    expected_reward = int((Decimal(CONTRACT_FEN) * Decimal("0.015")).quantize(Decimal(1), ROUND_HALF_UP))
    assert engagement["broker_reward_fen"] == expected_reward == 185_185
    assert [h["stage"] for h in engagement["history"]] == [
        "intake",
        "assigned",
        "recommended",
        "negotiating",
        "signed",
        "contract_registered",
    ]

    # A second demand (the page's plain form POST) goes to the junior broker: the senior one is full.
    second = driver.http.post(
        f"/q/{token}/demands",
        data={
            "title": "数模混合芯片版图设计外包",
            "description": "寻找具备数模混合版图设计经验的团队，协助完成一款电源管理芯片。",
            "demand_type": "技术攻关",
            "technical_field": FIELD,
            "contact_name": "周工",
            "contact_phone": driver.new_phone(),
            "consent": "yes",
            # The broker queue reads demands brokers may see.
            "visibility": "brokers",
        },
    )
    assert second.status_code == 200 and "技术需求已提交" in second.text, second.text[-2000:]
    second_id = _demand_id(driver, uscc, second.text)
    approved = driver.as_staff(
        "officer", "POST", f"/api/v1/demands/{second_id}/review", json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    second_view = driver.as_staff("officer", "GET", f"/api/v1/demands/{second_id}").json()
    assert second_view["broker_id"] == brokers[junior], second_view

    listed = driver.as_staff("officer", "GET", "/api/v1/brokers", params={"industry_chain": CHAIN}).json()
    load = {b["id"]: (b["assigned_this_month"], b["monthly_capacity"]) for b in listed["items"]}
    assert load[brokers[senior]] == (1, 1) and load[brokers[junior]] == (1, 2), load
