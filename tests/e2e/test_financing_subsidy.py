"""科技金融 → 免申即享 through the gateway: a partner bank records a company's 知识产权质押 loan with its own signed
key (scope ``finance:write``) from 对接 to 放款; the ``financing.closed`` event reaches svc-policy three times (the
same event id, republished); a 免申即享 run determines one interest subsidy (KS-JR-122) and the bank emulator pays
it once. A second loan in the same year, closed after that subsidy was determined, gets a supplement (补充认定) for
its own interest only, paid once by the bank emulator although its closed event arrives three times."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import httpx
import nats
import pytest

pytestmark = pytest.mark.timeout(600)

POLICY = "KS-JR-122"
SUBJECT = "kunruyi.matching.financing.closed"
WAN = 1_000_000


async def _republish(nats_url: str, loan_number: str, times: int) -> None:
    """Publish the loan's closed event again ``times`` times (new message ids, the same event id)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(SUBJECT, ordered_consumer=True)
        found: bytes | None = None
        while found is None:
            msg = await sub.next_msg(timeout=20)
            if json.loads(msg.data)["data"]["loan_number"] == loan_number:
                found = msg.data
        await sub.unsubscribe()
        for _ in range(times):
            await js.publish(SUBJECT, found)
        for _ in range(600):
            info = await js.consumer_info("KUNRUYI_MATCHING", "policy-financings")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.2)
        raise AssertionError("svc-policy did not take the republished events")
    finally:
        await nc.close()


def _fund(driver: Any, uscc: str) -> Any:
    """The subsidy's budget (金融办): svc-disbursement learns the policy from svc-policy's catalog events after it
    starts, so a platform started moments ago answers unknown_policy until they arrive (a refusal stores nothing, so
    the same key is tried again)."""

    def top_up() -> Any:
        resp = driver.as_staff(
            "finance",
            "POST",
            "/api/v1/budgets",
            "金融办",
            json={"policy_code": POLICY, "fiscal_year": date.today().year, "amount_fen": 500 * WAN},
            headers={"Idempotency-Key": f"fund-{POLICY}-{uscc}"},
        )
        if resp.status_code == 422 and resp.json().get("code") == "unknown_policy":
            return None
        assert resp.status_code in (200, 201), resp.text
        return resp

    return driver.eventually(top_up, f"svc-disbursement to know {POLICY}")


def test_an_ip_pledge_loan_gets_its_interest_subsidy_paid_once(driver: Any) -> None:
    uscc = driver.register_enterprise(
        name="昆山质押光电科技有限公司", district="高新区", industry_chain="光电显示"
    )
    bank = driver.partner
    product = bank.post(
        "/api/v1/financing/products",
        json={
            "institution": "昆山农商银行",
            "institution_kind": "bank",
            "product_kind": "ip_pledge_loan",
            "name": "知惠贷",
            "min_amount_fen": 10 * WAN,
            "max_amount_fen": 1000 * WAN,
            "collateral_kinds": ["patent"],
        },
    )
    assert product.status_code == 201, product.text
    demand = bank.post(
        "/api/v1/financing/demands",
        json={
            "enterprise_uscc": uscc,
            "enterprise_name": "昆山质押光电科技有限公司",
            "amount_fen": 300 * WAN,
            "stage": "growth",
            "purpose": "扩产流动资金",
            "collateral_kinds": ["patent"],
        },
    )
    assert demand.status_code == 201, demand.text
    matches = bank.get(f"/api/v1/financing/demands/{demand.json()['id']}/matches").json()
    assert product.json()["id"] in [m["product"]["id"] for m in matches["items"]]
    pipeline = bank.post(
        f"/api/v1/financing/demands/{demand.json()['id']}/pipelines",
        json={"product_id": product.json()["id"]},
    )
    assert pipeline.status_code == 201, pipeline.text
    url = f"/api/v1/financing/pipelines/{pipeline.json()['id']}/stages"
    for stage in ("due_diligence", "approved"):
        assert bank.post(url, json={"stage": stage}).status_code == 200
    loan = f"KSRCB-E2E-{uscc[-6:]}"
    close = {
        "stage": "closed",
        "loan_number": loan,
        "amount_fen": 200 * WAN,
        "annual_rate_percent": "3.45",
        "term_months": 12,
    }
    closed = bank.post(url, json=close)
    assert closed.status_code == 200, closed.text
    assert closed.json()["first_year_interest_fen"] == 6_900_000
    assert bank.post(url, json=close).status_code == 409

    # the subsidy's budget (金融办), then the event three times
    _fund(driver, uscc)
    asyncio.run(_republish(driver.platform.infra.nats_url, loan, 2))

    run = driver.as_staff("officer", "POST", "/api/v1/entitlement-runs", "金融办", json={})
    assert run.status_code in (200, 202), run.text

    def ours() -> list[dict[str, Any]]:
        resp = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc, "limit": 200})
        assert resp.status_code == 200, resp.text
        return [d for d in resp.json()["items"] if d["policy_code"] == POLICY]

    settled = driver.eventually(
        lambda: (d := ours()) and d[0]["status"] == "settled" and d[0], f"{POLICY} settled", timeout=180
    )
    assert settled["amount_fen"] == 3_450_000  # 50 % of 69,000 元
    assert len(ours()) == 1
    payment = httpx.get(f"{driver.emulator('bank')}/payments/{settled['bank_reference']}", timeout=10).json()
    assert payment["status"] == "settled" and payment["amount_fen"] == 3_450_000
    entitlements = driver.partner.get(
        "/api/v1/entitlements", params={"entity_id": uscc, "policy_code": POLICY}
    )
    assert entitlements.status_code == 200 and len(entitlements.json()["items"]) == 1, entitlements.text


def _ip_pledge_loan(driver: Any, uscc: str, name: str, loan: str, amount_fen: int) -> dict[str, Any]:
    """The partner bank records a 知识产权质押 loan from 对接 to 放款 (its own demand and pipeline)."""
    bank = driver.partner
    product = bank.post(
        "/api/v1/financing/products",
        json={
            "institution": "昆山农商银行",
            "institution_kind": "bank",
            "product_kind": "ip_pledge_loan",
            "name": "知惠贷",
            "min_amount_fen": 10 * WAN,
            "max_amount_fen": 1000 * WAN,
            "collateral_kinds": ["patent"],
        },
    )
    assert product.status_code == 201, product.text
    demand = bank.post(
        "/api/v1/financing/demands",
        json={
            "enterprise_uscc": uscc,
            "enterprise_name": name,
            "amount_fen": amount_fen,
            "stage": "growth",
            "purpose": "扩产流动资金",
            "collateral_kinds": ["patent"],
        },
    )
    assert demand.status_code == 201, demand.text
    pipeline = bank.post(
        f"/api/v1/financing/demands/{demand.json()['id']}/pipelines",
        json={"product_id": product.json()["id"]},
    )
    assert pipeline.status_code == 201, pipeline.text
    url = f"/api/v1/financing/pipelines/{pipeline.json()['id']}/stages"
    for stage in ("due_diligence", "approved"):
        assert bank.post(url, json={"stage": stage}).status_code == 200
    closed = bank.post(
        url,
        json={
            "stage": "closed",
            "loan_number": loan,
            "amount_fen": amount_fen,
            "annual_rate_percent": "3.45",
            "term_months": 12,
        },
    )
    assert closed.status_code == 200, closed.text
    return dict(closed.json())


def test_a_second_loan_in_the_year_gets_a_supplement_paid_once(driver: Any) -> None:
    name = "昆山二贷光电科技有限公司"
    uscc = driver.register_enterprise(name=name, district="高新区", industry_chain="光电显示")
    _fund(driver, uscc)

    def ours() -> list[dict[str, Any]]:
        resp = driver.partner.get("/api/v1/disbursements", params={"entity_id": uscc, "limit": 200})
        assert resp.status_code == 200, resp.text
        return sorted(
            (d for d in resp.json()["items"] if d["policy_code"] == POLICY), key=lambda d: d["sequence"]
        )

    # the first loan: 200万 at 3.45 % → 69,000 元 interest → 34,500 元, determined when the event arrives
    _ip_pledge_loan(driver, uscc, name, f"KSRCB-A-{uscc[-6:]}", 200 * WAN)
    first = driver.eventually(
        lambda: (d := ours()) and d[0]["status"] == "settled" and d[0], f"{POLICY} settled", timeout=180
    )
    assert first["amount_fen"] == 3_450_000 and first["sequence"] == 0

    # the second loan of the year: 100万 → 34,500 元 interest → a supplement of 17,250 元, its event three times
    second = f"KSRCB-B-{uscc[-6:]}"
    closed = _ip_pledge_loan(driver, uscc, name, second, 100 * WAN)
    assert closed["first_year_interest_fen"] == 3_450_000
    asyncio.run(_republish(driver.platform.infra.nats_url, second, 2))
    run = driver.as_staff("officer", "POST", "/api/v1/entitlement-runs", "金融办", json={})
    assert run.status_code in (200, 202), run.text

    both = driver.eventually(
        lambda: (d := ours()) and len(d) == 2 and all(x["status"] == "settled" for x in d) and d,
        "the supplement settled",
        timeout=180,
    )
    supplement = both[1]
    assert supplement["sequence"] == 1 and supplement["amount_fen"] == 1_725_000
    assert supplement["supplement_of"] == first["entitlement_id"]
    assert len(ours()) == 2
    payment = httpx.get(
        f"{driver.emulator('bank')}/payments/{supplement['bank_reference']}", timeout=10
    ).json()
    assert payment["status"] == "settled" and payment["amount_fen"] == 1_725_000
    assert payment["instruction_count"] == 1
    entitlements = driver.partner.get(
        "/api/v1/entitlements", params={"entity_id": uscc, "policy_code": POLICY}
    ).json()["items"]
    assert sorted((e["sequence"], e["loan_keys"]) for e in entitlements) == [
        (0, [f"昆山农商银行|KSRCB-A-{uscc[-6:]}"]),
        (1, [f"昆山农商银行|{second}"]),
    ]
