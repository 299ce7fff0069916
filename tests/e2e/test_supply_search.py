"""Supply search through the gateway: a company registered in 一企一档 (svc-talent) becomes supply of kind
``company`` in svc-matching over the bus, found with facets and pages by a broker, its detail read by a partner;
staff without a supply role are turned away by the gate."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)


def test_a_registered_company_is_searchable_supply(driver: Any) -> None:
    run = uuid.uuid4().hex[:6]
    uscc = driver.register_enterprise(name=f"昆山{run}先进封装科技有限公司", industry_chain="集成电路")
    params = {"kind": "company", "industry_chain": "集成电路", "q": f"{run} 先进封装", "limit": 100}

    def found() -> dict[str, Any] | None:
        resp = driver.as_staff("broker", "GET", "/api/v1/supply", params=params)
        assert resp.status_code == 200, resp.text
        page: dict[str, Any] = resp.json()
        return page if uscc in [i["supply"]["natural_key"] for i in page["items"]] else None

    page = driver.eventually(found, "the registered company as supply")
    item = next(i for i in page["items"] if i["supply"]["natural_key"] == uscc)
    assert item["supply"]["kind"] == "company" and item["supply"]["industry_chain"] == "semiconductor"
    facets = {f["value"]: f["count"] for f in page["facets"]["kind"]}
    assert facets["company"] == page["total"] >= 1

    # Pages of one: each match once.
    seen: list[str] = []
    cursor = None
    for _ in range(page["total"] + 1):
        resp = driver.as_staff(
            "officer", "GET", "/api/v1/supply", params={**params, "limit": 1, "cursor": cursor}
        )
        seen.extend(i["supply"]["id"] for i in resp.json()["items"])
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(i["supply"]["id"] for i in page["items"])

    detail = driver.partner.get(f"/api/v1/supply/{item['supply']['id']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["company"]["uscc"] == uscc

    bad = driver.as_staff("broker", "GET", "/api/v1/supply", params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["field"] == "query.cursor"
    assert driver.as_staff("finance", "GET", "/api/v1/supply").status_code == 403
