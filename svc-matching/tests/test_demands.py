"""Demands: submission rules, bad input (422 naming the field), HTML kept verbatim, review and the queue."""

import random

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import partner, staff
from kunruyi_matching.synthetic.identifiers import make_uscc

USCC = make_uscc(random.Random(1))


def demand_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "enterprise_uscc": USCC,
        "title": "先进封装良率提升",
        "description": "我司需要晶圆级先进封装工艺专家，解决硅通孔良率问题。",
        "industry_chain": "半导体",
        "technical_field": "advanced_packaging",
        "demand_type": "技术攻关",
        "budget_min_fen": 10_000_000,
        "budget_max_fen": 50_000_000,
        "channel": "api",
    }
    body.update(overrides)
    return body


async def test_officer_submits_and_approves_into_queue(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        created = await c.post("/api/v1/demands", json=demand_body())
        assert created.status_code == 201, created.text
        demand = created.json()
        assert demand["status"] == "pending_review"
        assert demand["industry_chain"] == "semiconductor"
        early = await c.get(f"/api/v1/demands/{demand['id']}/candidates")
        assert early.status_code == 409 and early.json()["code"] == "demand_not_approved"
        reviewed = await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
        assert reviewed.status_code == 200, reviewed.text
        # No broker is registered, so it waits in the visible queue.
        assert reviewed.json()["status"] == "unassigned"
        assert reviewed.json()["stage"] == "intake"
        queue = (await c.get("/api/v1/demands", params={"status": "unassigned"})).json()
        assert demand["id"] in [d["id"] for d in queue["items"]]
        again = await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
        assert again.status_code == 409


async def test_bad_input_names_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        for override, field in [
            ({"description": "   "}, "description"),
            ({"description": "长" * 5001}, "description"),
            ({"title": ""}, "title"),
            ({"industry_chain": "造船"}, "industry_chain"),
            ({"technical_field": "烹饪"}, "technical_field"),
            ({"demand_type": "咨询"}, "demand_type"),
            ({"enterprise_uscc": "91320583MA1X00000A"}, "enterprise_uscc"),
            ({"budget_min_fen": 5, "budget_max_fen": 1}, "budget_max_fen"),
            ({"channel": "fax"}, "channel"),
        ]:
            r = await c.post("/api/v1/demands", json=demand_body(**override))
            assert r.status_code == 422, (override, r.text)
            assert r.json()["field"] == field, (override, r.json())
        listed = (await c.get("/api/v1/demands")).json()["items"]
        assert listed == []


async def test_html_is_stored_and_returned_verbatim(client) -> None:  # type: ignore[no-untyped-def]
    text = "<script>alert('x')</script><b>需求</b>"
    async with client(staff("officer")) as c:
        r = await c.post("/api/v1/demands", json=demand_body(title=text, description=text))
        assert r.status_code == 201
        got = (await c.get(f"/api/v1/demands/{r.json()['id']}")).json()
        assert got["title"] == text and got["description"] == text


async def test_channels_and_idempotency(client) -> None:  # type: ignore[no-untyped-def]
    phone = Principal(kind="public", subject="qr:abc", target=USCC)
    async with client(phone) as c:
        assert (await c.post("/api/v1/demands", json=demand_body(channel="api"))).status_code == 403
        other = make_uscc(random.Random(2))
        assert (
            await c.post("/api/v1/demands", json=demand_body(channel="qr", enterprise_uscc=other))
        ).status_code == 403
        no_contact = await c.post("/api/v1/demands", json=demand_body(channel="qr"))
        assert (no_contact.status_code, no_contact.json()["field"]) == (422, "contact_name")
        qr_body = demand_body(channel="qr", contact_name="王工", contact_phone="13912345678")
        assert (await c.post("/api/v1/demands", json=qr_body)).status_code == 201
    async with client(partner("matching:write")) as c:
        headers = {"Idempotency-Key": "yql-0001"}
        first = await c.post("/api/v1/demands", json=demand_body(channel="yiqilaiban"), headers=headers)
        retry = await c.post("/api/v1/demands", json=demand_body(channel="yiqilaiban"), headers=headers)
        assert first.status_code == 201 and "idempotent-replayed" not in first.headers
        assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
        assert retry.json() == first.json()
        changed = await c.post(
            "/api/v1/demands", json=demand_body(channel="yiqilaiban", title="别的"), headers=headers
        )
        assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_conflict"
    async with client(partner("other:scope")) as c:
        assert (await c.post("/api/v1/demands", json=demand_body())).status_code == 403
    async with client(None) as c:
        assert (await c.post("/api/v1/demands", json=demand_body())).status_code == 401


async def test_nul_characters_and_huge_amounts_are_bad_input_not_errors(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        for override, field in [
            ({"description": "含\x00空字符"}, "description"),
            ({"budget_max_fen": 10**19}, "budget_max_fen"),
        ]:
            r = await c.post("/api/v1/demands", json=demand_body(**override))
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        r = await c.post(
            "/api/v1/supply",
            json={"kind": "expert", "natural_key": "k", "name": "n", "attributes": {"x": "a\x00b"}},
        )
        assert r.status_code == 422 and r.json()["field"] == "attributes.x"
        for path in ["/api/v1/demands", "/api/v1/brokers"]:
            r = await c.get(path, params={"industry_chain": "造\x00船"})
            assert r.status_code == 422 and r.json()["field"] == "query.industry_chain", r.text
        assert (await c.get("/api/v1/brokers", params={"industry_chain": "半导体"})).status_code == 200
        assert (await c.get("/api/v1/demands", params={"cursor": "not-a-cursor"})).status_code == 422
        assert (await c.get("/api/v1/demands/not-a-uuid")).status_code == 422


async def test_visibility_decides_who_sees_a_demand(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        for subject, chains in [("vis-b", ["semiconductor"]), ("vis-other", ["new_energy"])]:
            made = await c.post(
                "/api/v1/brokers",
                json={
                    "subject": subject,
                    "name": subject,
                    "agency": "昆山技术转移中心",
                    "certification": "中级",
                    "fields": [],
                    "chains": chains,
                    "monthly_capacity": 5,
                },
            )
            assert made.status_code == 201, made.text
        ids = {}
        for visibility in ["public", "brokers", "private"]:
            r = await c.post("/api/v1/demands", json=demand_body(visibility=visibility, title=visibility))
            assert r.status_code == 201, r.text
            ids[visibility] = r.json()["id"]
        # Approving the private one assigns it on arrival to the semiconductor broker.
        approved = await c.post(f"/api/v1/demands/{ids['private']}/review", json={"decision": "approve"})
        assert approved.json()["status"] == "assigned"
        officer_list = (await c.get("/api/v1/demands")).json()["items"]
        assert {d["id"] for d in officer_list} == set(ids.values())

    async with client(partner("matching:read", "matching:write", subject="yql")) as c:
        own = await c.post(
            "/api/v1/demands", json=demand_body(visibility="private", channel="yiqilaiban", title="own")
        )
        assert own.status_code == 201
        listed = {d["id"] for d in (await c.get("/api/v1/demands")).json()["items"]}
        # Public demands and its own submission, nothing else.
        assert listed == {ids["public"], own.json()["id"]}
        for hidden in ("brokers", "private"):
            r = await c.get(f"/api/v1/demands/{ids[hidden]}")
            assert r.status_code == 403 and r.json()["code"] == "demand_not_visible", r.text
        r = await c.get(f"/api/v1/demands/{ids['private']}/candidates")
        assert r.status_code == 403 and r.json()["code"] == "demand_not_visible"
        assert (await c.get(f"/api/v1/demands/{own.json()['id']}")).status_code == 200

    async with client(staff("broker", subject="vis-other")) as c:
        listed = {d["id"] for d in (await c.get("/api/v1/demands")).json()["items"]}
        assert listed == {ids["public"], ids["brokers"]}
        assert (await c.get(f"/api/v1/demands/{ids['brokers']}")).status_code == 200
        for path in (f"/api/v1/demands/{ids['private']}", f"/api/v1/demands/{ids['private']}/engagement"):
            r = await c.get(path)
            assert r.status_code == 403 and r.json()["code"] == "demand_not_visible", r.text
        claimed = await c.post(f"/api/v1/demands/{ids['private']}/claim")
        assert claimed.status_code == 403 and claimed.json()["code"] == "demand_not_visible"

    async with client(staff("broker", subject="vis-b")) as c:
        listed = {d["id"] for d in (await c.get("/api/v1/demands")).json()["items"]}
        assert listed == set(ids.values())
        engagement = await c.get(f"/api/v1/demands/{ids['private']}/engagement")
        assert engagement.status_code == 200 and engagement.json()["stage"] == "assigned"
        mine = (await c.get("/api/v1/demands", params={"mine": "true"})).json()["items"]
        assert [d["id"] for d in mine] == [ids["private"]]
    async with client(staff("broker", subject="vis-other")) as c:
        assert (await c.get("/api/v1/demands", params={"mine": "true"})).json()["items"] == []
    async with client(partner("matching:read")) as c:
        r = await c.get("/api/v1/demands", params={"mine": "true"})
        assert r.status_code == 403 and r.json()["code"] == "not_a_broker"


async def test_a_batch_of_demands_is_read_by_id_in_one_call(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        made = [
            (await c.post("/api/v1/demands", json=demand_body(title=f"需求 {n}"))).json()["id"]
            for n in range(3)
        ]
        asked = await c.get("/api/v1/demands", params={"id": made[:2], "limit": 200})
        assert asked.status_code == 200, asked.text
        assert sorted(d["id"] for d in asked.json()["items"]) == sorted(made[:2])
        bad = await c.get("/api/v1/demands", params={"id": ["not-a-uuid"]})
        assert bad.status_code == 422 and bad.json()["field"] == "query.id.0", bad.text
