"""A filed demand's follow-up: a number and a query code (given once), the contact phone encrypted and masked,
the filer's visibility choice, the status by number + code, and whether the company was verified when filed."""

import random

from kunruyi_common.auth import Principal
from kunruyi_launcher.testing import staff
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import text

USCC = make_uscc(random.Random(31))
PHONE = "13912345678"


def qr_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "enterprise_uscc": USCC,
        "title": "先进封装翘曲控制",
        "description": "需降低晶圆级封装翘曲，欢迎高校团队对接。",
        "industry_chain": "半导体",
        "technical_field": "advanced_packaging",
        "demand_type": "技术攻关",
        "channel": "qr",
        "contact_name": "王建国",
        "contact_phone": PHONE,
        "visibility": "brokers",
    }
    body.update(overrides)
    return body


def park_visitor() -> Principal:
    # A park's code names no company: the visitor types the company's code.
    return Principal(kind="public", subject="qr:park-1", target=None)


def signed_in(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="测试企业")


async def test_a_number_and_code_find_the_demand_and_nothing_else(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(park_visitor()) as c:
        r = await c.post("/api/v1/demands", json=qr_body())
        assert r.status_code == 201, r.text
        created = r.json()
        number, secret = created["demand_number"], created["access_secret"]
        assert number.startswith("XQ") and len(secret) >= 16
        assert (created["contact_name"], created["contact_phone"]) == ("王**", "139****5678")
        assert created["visibility"] == "brokers" and created["submitter_verified"] is False
    async with client(None) as c:
        found = await c.get("/api/v1/demands/lookup", params={"number": number, "secret": secret})
        assert found.status_code == 200, found.text
        status = found.json()
        assert (status["demand_number"], status["status_label"]) == (number, "待审核")
        assert (status["visibility_label"], status["submitter_verified"]) == ("仅技术经纪人可见", False)
        assert status["contact_phone"] == "139****5678" and "id" not in status
        wrong = await c.get("/api/v1/demands/lookup", params={"number": number, "secret": "x" + secret})
        unknown = await c.get("/api/v1/demands/lookup", params={"number": "XQ0", "secret": secret})
        assert (wrong.status_code, wrong.json()["code"]) == (404, "demand_lookup_failed")
        # The same answer for an unknown number as for a wrong code: numbers cannot be probed.
        assert (unknown.status_code, unknown.json()["detail"]) == (404, wrong.json()["detail"])
        bad = await c.get("/api/v1/demands/lookup", params={"number": "XQ 1/..", "secret": secret})
        assert (bad.status_code, bad.json()["field"]) == (422, "query.number")
    # The phone only encrypted at rest; officers see it masked, and in clear only through the audited reveal.
    raw = (await session.execute(text("SELECT row_to_json(d)::text FROM demands d"))).scalars().all()
    assert all(PHONE not in row for row in raw)
    async with client(staff("officer")) as c:
        view = (await c.get(f"/api/v1/demands/{created['id']}")).json()
        assert view["contact_phone"] == "139****5678" and "access_secret" not in view
        revealed = await c.post(f"/api/v1/demands/{created['id']}/reveal", json={"reason": "回电确认需求"})
        assert revealed.json()["contact_phone"] == PHONE


async def test_the_contact_is_required_on_the_page_and_checked(client) -> None:  # type: ignore[no-untyped-def]
    async with client(park_visitor()) as c:
        r = await c.post("/api/v1/demands", json=qr_body(contact_phone=None))
        assert (r.status_code, r.json()["code"], r.json()["field"]) == (
            422,
            "contact_required",
            "contact_phone",
        )
        r = await c.post("/api/v1/demands", json=qr_body(contact_phone="1234"))
        assert (r.status_code, r.json()["field"]) == (422, "contact_phone")


async def test_visibility_is_the_filers_choice(client) -> None:  # type: ignore[no-untyped-def]
    async with client(park_visitor()) as c:
        private = (await c.post("/api/v1/demands", json=qr_body(visibility="private"))).json()
        public = (await c.post("/api/v1/demands", json=qr_body(visibility="public"))).json()
        assert (private["visibility"], public["visibility"]) == ("private", "public")
    # A broker not assigned to it does not see a private demand; a public one they do.
    async with client(staff("broker", subject="bk-followup")) as c:
        assert (await c.get(f"/api/v1/demands/{private['id']}")).status_code == 403
        assert (await c.get(f"/api/v1/demands/{public['id']}")).status_code == 200


async def test_only_a_signed_in_company_is_verified_for_itself(client) -> None:  # type: ignore[no-untyped-def]
    async with client(signed_in(USCC)) as c:
        mine = await c.post("/api/v1/demands", json=qr_body())
        assert mine.status_code == 201 and mine.json()["submitter_verified"] is True
        # Signed in as one company, filing under another's code: refused.
        other = await c.post("/api/v1/demands", json=qr_body(enterprise_uscc=make_uscc(random.Random(32))))
        assert (other.status_code, other.json()["code"]) == (403, "not_own_entity")
    # The company's printed code on its wall is not a sign-in: unverified.
    async with client(Principal(kind="public", subject="qr:ent-1", target=USCC)) as c:
        printed = await c.post("/api/v1/demands", json=qr_body())
        assert printed.json()["submitter_verified"] is False
    async with client(staff("officer")) as c:
        pending = (await c.get("/api/v1/demands", params={"status": "pending_review", "limit": 200})).json()
        flags = {d["id"]: d["submitter_verified"] for d in pending["items"]}
        assert flags[mine.json()["id"]] is True and flags[printed.json()["id"]] is False
        staff_filed = await c.post("/api/v1/demands", json=qr_body(channel="api"))
        assert staff_filed.json()["submitter_verified"] is True
