"""Trust item 5: an Idempotency-Key belongs to the caller who sent it. Two officers sending the same key each get
their own record; one caller's same key with another body is 409 ``idempotency_key_conflict`` — the one code on
every service (svc-matching's demands and svc-talent's enterprises here)."""

from __future__ import annotations

import uuid
from typing import Any

DEMANDS = "/api/v1/demands"
ENTERPRISES = "/api/v1/enterprises"


def demand(driver: Any, uscc: str, title: str) -> dict[str, Any]:
    return {
        "enterprise_uscc": uscc,
        "title": title,
        "description": "需要先进封装工艺专家，提升硅通孔良率。",
        "industry_chain": "集成电路",
        "technical_field": "advanced_packaging",
        "demand_type": "技术攻关",
        "budget_min_fen": 10_000_000,
        "budget_max_fen": 50_000_000,
    }


def enterprise(uscc: str, name: str) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": name,
        "district": "高新区",
        "industry_chain": "集成电路",
        "founded_on": "2019-06-01",
        "employees": 40,
        "invention_patents": 1,
    }


def post(driver: Any, officer: str, path: str, key: str, body: dict[str, Any]) -> Any:
    return driver.as_staff(
        "officer", "POST", path, subject=officer, json=body, headers={"Idempotency-Key": key}
    )


def test_two_officers_with_one_key_each_get_their_own_demand(driver: Any) -> None:
    key = f"demand-{uuid.uuid4().hex}"
    wang, li = f"e2e-officer-wang-{key[-6:]}", f"e2e-officer-li-{key[-6:]}"
    uscc = driver.new_uscc()
    first = post(driver, wang, DEMANDS, key, demand(driver, uscc, "王科长录入的需求"))
    second = post(driver, li, DEMANDS, key, demand(driver, uscc, "李科长录入的需求"))
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert (first.json()["title"], first.json()["submitted_by"]) == ("王科长录入的需求", f"staff:{wang}")
    assert (second.json()["title"], second.json()["submitted_by"]) == ("李科长录入的需求", f"staff:{li}")

    # Each one's retry replays their own answer.
    again = post(driver, li, DEMANDS, key, demand(driver, uscc, "李科长录入的需求"))
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == second.json()

    # The same officer, the same key, another body: the one conflict code.
    changed = post(driver, wang, DEMANDS, key, demand(driver, uscc, "王科长改了标题"))
    assert changed.status_code == 409, changed.text
    assert changed.json()["code"] == "idempotency_key_conflict"

    # Both demands exist, once each.
    listed = driver.as_staff("officer", "GET", DEMANDS, params={"enterprise_uscc": uscc, "limit": 50})
    assert listed.status_code == 200, listed.text
    assert sorted(d["id"] for d in listed.json()["items"]) == sorted(
        [first.json()["id"], second.json()["id"]]
    )


def test_enterprises_key_per_caller_and_answer_a_conflict_the_same_way(driver: Any) -> None:
    key = f"enterprise-{uuid.uuid4().hex}"
    wang, li = f"e2e-officer-wang-{key[-6:]}", f"e2e-officer-li-{key[-6:]}"
    mine, theirs = driver.new_uscc(), driver.new_uscc()
    first = post(driver, wang, ENTERPRISES, key, enterprise(mine, "昆山王氏精密有限公司"))
    second = post(driver, li, ENTERPRISES, key, enterprise(theirs, "昆山李氏电子有限公司"))
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert first.json()["uscc"] == mine and second.json()["uscc"] == theirs

    changed = post(driver, wang, ENTERPRISES, key, enterprise(driver.new_uscc(), "昆山王氏精密二厂"))
    assert changed.status_code == 409, changed.text
    assert changed.json()["code"] == "idempotency_key_conflict"
    again = post(driver, wang, ENTERPRISES, key, enterprise(mine, "昆山王氏精密有限公司"))
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["uscc"] == mine
