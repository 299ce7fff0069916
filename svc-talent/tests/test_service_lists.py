"""The three lists (服务—需求—对策) on the real database: the service list offers every request type with its
department, the need list groups tickets and visit problems by theme, chain and 区镇, and a countermeasure links the
tickets it answers and, once done, the policy version that fixed them."""

from __future__ import annotations

from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.servicedesk.routing import TICKET_TYPES
from sqlalchemy import text

OFFICE = staff("officer", department="人才办", subject="lists")


async def test_service_need_and_countermeasure_lists(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICE) as c:
        offered = (await c.get("/api/v1/service-lists", params={"kind": "service"})).json()
        assert {s["key"] for s in offered["services"] if s["category"] == "request_type"} == set(TICKET_TYPES)

        uscc = make_uscc(6301)
        r = await c.post(
            "/api/v1/enterprises",
            json={"uscc": uscc, "name": "清单样本有限公司", "district": "张浦", "industry_chain": "半导体"},
        )
        assert r.status_code == 201, r.text
        numbers = []
        for title in ("中长期贷款", "设备融资租赁"):
            r = await c.post(
                "/api/v1/tickets",
                json={"type": "融资需求", "title": title, "channel": "window", "enterprise_uscc": uscc},
            )
            assert r.status_code == 201, r.text
            numbers.append(r.json()["ticket_number"])

        async def need(group_by: str) -> dict[str, Any]:
            page = await c.get("/api/v1/service-lists", params={"kind": "need", "group_by": group_by})
            assert page.status_code == 200, page.text
            return {n["key"]: n for n in page.json()["needs"]}

        raw = (
            await session.execute(text("SELECT count(*) FROM tickets WHERE type = '融资需求'"))
        ).scalar_one()
        assert (await need("theme"))["融资需求"]["total"] == raw
        assert (await need("chain"))["集成电路"]["total"] >= 2
        assert (await need("district"))["张浦"]["open"] >= 2

        missing = await c.post(
            "/api/v1/service-lists/countermeasures",
            json={
                "theme": "融资需求",
                "title": "科技贷款贴息扩围",
                "owner_department": "金融监管局",
                "due_on": "2026-09-30",
                "tickets": [numbers[0], "KS00000000000000"],
            },
        )
        assert missing.status_code == 422 and missing.json()["code"] == "unknown_linked_ticket"
        bad_department = await c.post(
            "/api/v1/service-lists/countermeasures",
            json={"theme": "融资需求", "title": "扩围", "owner_department": "火星局", "due_on": "2026-09-30"},
        )
        assert bad_department.status_code == 422 and bad_department.json()["code"] == "unknown_department"
        assert (await c.get("/api/v1/service-lists", params={"kind": "countermeasure"})).json()[
            "countermeasures"
        ] == []

        created = await c.post(
            "/api/v1/service-lists/countermeasures",
            json={
                "theme": "融资需求",
                "title": "科技贷款贴息扩围至中长期贷款",
                "owner_department": "金融监管局",
                "due_on": "2026-09-30",
                "tickets": [numbers[0]],
            },
        )
        assert created.status_code == 201, created.text
        measure = created.json()
        assert measure["status"] == "planned" and measure["tickets"] == [numbers[0]]
        done = await c.patch(
            f"/api/v1/service-lists/countermeasures/{measure['id']}",
            json={"status": "done", "policy_ref": "KS-FIN-003@2", "tickets": numbers},
        )
        assert done.status_code == 200, done.text
        assert done.json()["tickets"] == sorted(numbers) and done.json()["policy_ref"] == "KS-FIN-003@2"
        listed = (
            await c.get("/api/v1/service-lists", params={"kind": "countermeasure", "status": "done"})
        ).json()["countermeasures"]
        assert [m["id"] for m in listed] == [measure["id"]]
        assert (await need("theme"))["融资需求"]["countermeasures"] == 1
        unknown = await c.patch(
            "/api/v1/service-lists/countermeasures/00000000-0000-0000-0000-000000000000",
            json={"status": "done"},
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "countermeasure_not_found"
    async with client(staff("broker", subject="lists-broker")) as c:
        assert (await c.get("/api/v1/service-lists", params={"kind": "need"})).status_code == 403
