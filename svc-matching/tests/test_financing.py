"""科技金融: a financing demand matched to products with reasons, the pipeline 对接 → 尽调 → 授信/投资 → 放款/交割
recorded by the bank's own partner key, the closed event in the outbox, and the closings refused with nothing
written (a loan number twice, an amount above the demand, out of order, another institution's product)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from kunruyi_launcher.testing import partner, staff
from kunruyi_matching.financing.service import first_year_interest_fen
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import text

BANK = partner("finance:write", subject="ksrcb-bank")
OTHER_BANK = partner("finance:write", subject="other-bank")
WAN = 1_000_000  # 1万元 in fen
_rng = random.Random(18)
USCC_A, USCC_B = make_uscc(_rng), make_uscc(_rng)


def test_first_year_interest_is_half_up_to_the_fen() -> None:
    assert first_year_interest_fen(200_000_000, Decimal("3.45"), 12) == 6_900_000
    assert first_year_interest_fen(100_000_000, Decimal("3.45"), 6) == 1_725_000
    assert first_year_interest_fen(333, Decimal("4.5"), 12) == 15  # 14.985 → 15
    assert first_year_interest_fen(100_000_000, Decimal("4"), 36) == 4_000_000  # year one


async def _products(c: Any) -> dict[str, str]:
    specs = {
        "ip": {
            "institution": "昆山农商银行",
            "institution_kind": "bank",
            "product_kind": "ip_pledge_loan",
            "name": "知惠贷",
            "min_amount_fen": 10 * WAN,
            "max_amount_fen": 1000 * WAN,
            "stages": ["startup", "growth"],
            "collateral_kinds": ["patent", "trademark"],
            "max_term_months": 36,
        },
        "talent": {
            "institution": "昆山农商银行",
            "institution_kind": "bank",
            "product_kind": "talent_loan",
            "name": "人才贷",
            "max_amount_fen": 500 * WAN,
            "industry_chains": ["光电显示"],
            "max_term_months": 12,
        },
        "angel": {
            "institution": "昆山天使基金",
            "institution_kind": "fund",
            "product_kind": "angel_fund",
            "name": "天使投资",
            "max_amount_fen": 500 * WAN,
            "stages": ["seed"],
        },
        "big": {
            "institution": "某银行",
            "institution_kind": "bank",
            "product_kind": "tech_loan",
            "name": "大额科技贷",
            "min_amount_fen": 2000 * WAN,
            "max_amount_fen": 10000 * WAN,
        },
    }
    out = {}
    for key, body in specs.items():
        resp = await c.post("/api/v1/financing/products", json=body)
        assert resp.status_code == 201, resp.text
        out[key] = resp.json()["id"]
    return out


async def _demand(
    c: Any, uscc: str, amount_fen: int = 300 * WAN, term_months: int | None = None
) -> dict[str, Any]:
    resp = await c.post(
        "/api/v1/financing/demands",
        json={
            "enterprise_uscc": uscc,
            "enterprise_name": "昆山示例光电科技有限公司",
            "amount_fen": amount_fen,
            "stage": "growth",
            "purpose": "扩产检测线，联系人手机 13912345678",
            "collateral_kinds": ["patent"],
            "preferred_kinds": ["ip_pledge_loan"],
            "industry_chain": "光电显示",
            "term_months": term_months,
        },
    )
    assert resp.status_code == 201, resp.text
    demand: dict[str, Any] = resp.json()
    return demand


async def test_matching_gives_reasons_and_the_bank_closes_once(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(BANK) as bank:
        products = await _products(bank)
        assert (await bank.get("/api/v1/financing/products")).json()["items"][0][
            "partner_app_key"
        ] == "ksrcb-bank"
    async with client(staff("broker", subject="fin-broker")) as broker:
        demand = await _demand(broker, USCC_A)
        assert "13912345678" not in demand["purpose"] and "139****5678" in demand["purpose"]
        assert demand["stage_label"] == "成长期" and demand["collateral_labels"] == ["专利"]
        assert demand["preferred_labels"] == ["知识产权质押贷"]
        matches = (await broker.get(f"/api/v1/financing/demands/{demand['id']}/matches")).json()
        ids = [m["product"]["id"] for m in matches["items"]]
        # the IP-pledge product asked for and aimed by collateral first, then the chain's talent loan
        assert ids == [products["ip"], products["talent"]], matches
        assert matches["excluded"] == 2
        assert matches["items"][0]["product"]["institution_kind_label"] == "银行"
        first = matches["items"][0]["reasons"]
        assert "额度 10万元–1000万元 覆盖需求 300万元" in first
        assert "以专利质押/担保（产品接受：专利、商标）" in first
        assert "企业希望的融资方式：知识产权质押贷" in first
        everything = (await broker.get(f"/api/v1/financing/demands/{demand['id']}/matches?all=true")).json()
        unmet = {m["product"]["name"]: m["unmet"] for m in everything["items"] if not m["matched"]}
        assert unmet["天使投资"] == ["产品只服务种子期企业（企业处于成长期）"]
        assert unmet["大额科技贷"] == ["需求 300万元 不在产品额度 2000万元–10000万元 内"]

        # A wished term of two years: the one-year talent loan no longer fits, and says why.
        longer = await _demand(broker, USCC_A, term_months=24)
        assert longer["term_months"] == 24
        answer = (await broker.get(f"/api/v1/financing/demands/{longer['id']}/matches?all=true")).json()
        by_name = {m["product"]["name"]: m for m in answer["items"]}
        assert (
            by_name["知惠贷"]["matched"]
            and "期限最长 36 个月，满足期望的 24 个月" in by_name["知惠贷"]["reasons"]
        )
        assert not by_name["人才贷"]["matched"]
        assert by_name["人才贷"]["unmet"] == ["产品期限最长 12 个月，短于期望的 24 个月"]

    async with client(BANK) as bank:
        started = await bank.post(
            f"/api/v1/financing/demands/{demand['id']}/pipelines", json={"product_id": products["ip"]}
        )
        assert started.status_code == 201, started.text
        pipeline = started.json()
        assert pipeline["stage"] == "contact" and pipeline["allowed_next"] == ["due_diligence"]
        url = f"/api/v1/financing/pipelines/{pipeline['id']}/stages"
        skipped = await bank.post(url, json={"stage": "closed"})
        assert skipped.status_code == 409 and skipped.json()["allowed_next"] == ["due_diligence"]
        assert (await bank.post(url, json={"stage": "due_diligence"})).status_code == 200
        assert (await bank.post(url, json={"stage": "approved", "note": "授信 200 万"})).status_code == 200
    async with client(OTHER_BANK) as other:
        stranger = await other.post(url, json={"stage": "closed", "loan_number": "X", "amount_fen": 1})
        assert stranger.status_code == 403 and stranger.json()["code"] == "not_your_product"

    async def closed_events() -> int:
        return int(
            (
                await session.execute(
                    text(
                        "SELECT count(*) FROM outbox_events WHERE type = 'kunruyi.matching.financing.closed'"
                    )
                )
            ).scalar_one()
        )

    before = await closed_events()
    async with client(BANK) as bank:
        close = {
            "stage": "closed",
            "loan_number": "KSRCB-ZHD-0001",
            "amount_fen": 200 * WAN,
            "annual_rate_percent": "3.45",
            "term_months": 12,
        }
        too_much = await bank.post(url, json={**close, "amount_fen": 301 * WAN})
        assert too_much.status_code == 422, too_much.text
        assert too_much.json()["code"] == "amount_above_demand" and too_much.json()["field"] == "amount_fen"
        no_rate = await bank.post(url, json={k: v for k, v in close.items() if k != "annual_rate_percent"})
        assert no_rate.status_code == 422 and no_rate.json()["field"] == "annual_rate_percent"
        assert (await bank.get(f"/api/v1/financing/pipelines/{pipeline['id']}")).json()["stage"] == "approved"
        assert await closed_events() == before  # nothing written

        done = await bank.post(url, json=close)
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["stage"] == "closed" and body["stage_label"] == "放款/交割"
        assert body["first_year_interest_fen"] == 6_900_000
        assert [h["stage"] for h in body["history"]] == ["contact", "due_diligence", "approved", "closed"]
        again = await bank.post(url, json=close)
        assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

        # the same loan number on another demand's pipeline of the same bank: 409, nothing written
        other_demand = await _demand(bank, USCC_B)
        second = (
            await bank.post(
                f"/api/v1/financing/demands/{other_demand['id']}/pipelines",
                json={"product_id": products["ip"]},
            )
        ).json()
        url2 = f"/api/v1/financing/pipelines/{second['id']}/stages"
        for stage in ("due_diligence", "approved"):
            assert (await bank.post(url2, json={"stage": stage})).status_code == 200
        twice = await bank.post(url2, json=close)
        assert twice.status_code == 409 and twice.json()["code"] == "loan_number_taken", twice.text
        assert (await bank.get(f"/api/v1/financing/pipelines/{second['id']}")).json()["stage"] == "approved"

    assert await closed_events() == before + 1
    event = (
        await session.execute(
            text(
                "SELECT envelope FROM outbox_events WHERE type = 'kunruyi.matching.financing.closed' "
                "ORDER BY seq DESC LIMIT 1"
            )
        )
    ).scalar_one()
    data = event["data"]
    assert data["enterprise_uscc"] == USCC_A and data["product_kind"] == "ip_pledge_loan"
    assert data["loan_number"] == "KSRCB-ZHD-0001" and data["amount_fen"] == 200 * WAN
    assert data["first_year_interest_fen"] == 6_900_000 and data["collateral_kinds"] == ["patent"]


async def test_bad_products_and_demands_are_refused_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        wrong_kind = await c.post(
            "/api/v1/financing/products",
            json={
                "institution": "某担保",
                "institution_kind": "guarantor",
                "product_kind": "ip_pledge_loan",
                "name": "x",
                "max_amount_fen": 100,
            },
        )
        assert wrong_kind.status_code == 422
        bad_chain = await c.post(
            "/api/v1/financing/demands",
            json={
                "enterprise_uscc": make_uscc(random.Random(3)),
                "enterprise_name": "x",
                "amount_fen": 1,
                "stage": "growth",
                "purpose": "x",
                "industry_chain": "不存在的链",
            },
        )
        assert bad_chain.status_code == 422 and bad_chain.json()["field"] == "industry_chain", bad_chain.text
    async with client(partner("matching:write")) as c:
        denied = await c.get("/api/v1/financing/products")
        assert denied.status_code == 403 and denied.json()["code"] == "scope_denied"


async def test_a_demand_posted_twice_with_one_key_is_filed_once(client) -> None:  # type: ignore[no-untyped-def]
    """昆e服's form sends its form id as the Idempotency-Key: a double tap, or a retried post, files one demand; the
    key with another body is refused, and another caller's same key is its own."""
    uscc = make_uscc(random.Random(181))
    body = {
        "enterprise_uscc": uscc,
        "enterprise_name": "昆山重复提交科技有限公司",
        "amount_fen": 50 * WAN,
        "stage": "startup",
        "purpose": "研发流动资金",
    }
    key = {"Idempotency-Key": "m-finance-0123456789abcdef"}
    async with client(partner("finance:write", subject=f"gateway-self:{uscc}")) as page:
        first = await page.post("/api/v1/financing/demands", json=body, headers=key)
        assert first.status_code == 201, first.text
        again = await page.post("/api/v1/financing/demands", json=body, headers=key)
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        changed = await page.post(
            "/api/v1/financing/demands", json={**body, "amount_fen": 60 * WAN}, headers=key
        )
        assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_conflict"
        listed = (await page.get("/api/v1/financing/demands", params={"enterprise_uscc": uscc})).json()
        assert [d["id"] for d in listed["items"]] == [first.json()["id"]]
    async with client(BANK) as bank:
        own = await bank.post("/api/v1/financing/demands", json=body, headers=key)
        assert own.status_code == 201 and own.json()["id"] != first.json()["id"]


async def test_the_form_vocabularies_come_with_their_chinese_names(client) -> None:  # type: ignore[no-untyped-def]
    async with client(partner("finance:write")) as c:
        resp = await c.get("/api/v1/financing/vocabularies")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"code": "seed", "label": "种子期"} in body["stages"]
    assert {"code": "patent", "label": "专利"} in body["collateral_kinds"]
    assert {"code": "ip_pledge_loan", "label": "知识产权质押贷"} in body["product_kinds"]
    assert {"code": "insurer", "label": "保险机构"} in body["institution_kinds"]


def _company(uscc: str) -> Any:
    from kunruyi_common.auth import ENTERPRISE_SESSION_PREFIX, Principal

    return Principal(kind="public", subject=f"{ENTERPRISE_SESSION_PREFIX}{uscc}", target=uscc, name="企业")


async def test_each_party_reads_only_its_own_financing(client) -> None:  # type: ignore[no-untyped-def]
    """A 对接's loan number, rate and amounts are the company's and the institution's business: another bank reads
    neither it nor it in the need's list; a company signed in through 苏商通 files and reads its own needs only."""
    rng = random.Random(1808)
    own, other = make_uscc(rng), make_uscc(rng)
    async with client(BANK) as bank:
        products = await _products(bank)
    async with client(_company(own)) as company:
        demand = await _demand(company, own)
        refused = await company.post(
            "/api/v1/financing/demands",
            json={
                "enterprise_uscc": other,
                "enterprise_name": "别人的公司",
                "amount_fen": 100 * WAN,
                "stage": "growth",
                "purpose": "流动资金",
            },
        )
        assert refused.status_code == 403 and refused.json()["code"] == "not_own_entity", refused.text
    async with client(staff("broker", subject="fin-broker-2")) as broker:
        theirs = await _demand(broker, other)
    async with client(BANK) as bank:
        started = await bank.post(
            f"/api/v1/financing/demands/{demand['id']}/pipelines", json={"product_id": products["ip"]}
        )
        assert started.status_code == 201, started.text
        pipeline = started.json()["id"]
    async with client(OTHER_BANK) as other_bank:
        # the need itself is open to every institution (that is what they answer) ...
        assert (await other_bank.get(f"/api/v1/financing/demands/{demand['id']}")).status_code == 200
        # ... the 对接 another institution runs is not
        read = await other_bank.get(f"/api/v1/financing/pipelines/{pipeline}")
        assert read.status_code == 403 and read.json()["code"] == "not_your_product", read.text
        listed = await other_bank.get(f"/api/v1/financing/demands/{demand['id']}/pipelines")
        assert listed.status_code == 200 and listed.json()["items"] == []
    async with client(BANK) as bank:
        assert (await bank.get(f"/api/v1/financing/pipelines/{pipeline}")).status_code == 200
        listed = await bank.get(f"/api/v1/financing/demands/{demand['id']}/pipelines")
        assert [p["id"] for p in listed.json()["items"]] == [pipeline]
    async with client(_company(own)) as company:
        assert (await company.get(f"/api/v1/financing/pipelines/{pipeline}")).status_code == 200
        listed = await company.get(f"/api/v1/financing/demands/{demand['id']}/pipelines")
        assert [p["id"] for p in listed.json()["items"]] == [pipeline]
        mine = (await company.get("/api/v1/financing/demands")).json()["items"]
        assert {d["enterprise_uscc"] for d in mine} == {own}
        for path in (
            f"/api/v1/financing/demands/{theirs['id']}",
            f"/api/v1/financing/demands/{theirs['id']}/matches",
        ):
            resp = await company.get(path)
            assert resp.status_code == 403 and resp.json()["code"] == "not_own_entity", (path, resp.text)
        asked = await company.get("/api/v1/financing/demands", params={"enterprise_uscc": other})
        assert asked.status_code == 403 and asked.json()["code"] == "not_own_entity"
    async with client(_company(other)) as stranger:
        resp = await stranger.get(f"/api/v1/financing/pipelines/{pipeline}")
        assert resp.status_code == 403 and resp.json()["code"] == "not_own_entity", resp.text
