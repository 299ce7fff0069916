"""Issue 17 "Must show": an activity with 30 registrations (some duplicated), check-ins by QR in Chromium, two leads
turned into a demand and a ticket, and the activity's outcome counts — all through the gateway over real HTTP.

- A 聚链融创 session of 30 seats: 10 companies and 5 talents registered by the host officer, 15 people by name and
  phone (some through the partner API, some from 昆e服 with no account). Three duplicates — the same company, the
  same talent, the same phone written another way — are refused with ``already_registered`` at their field and not
  counted; a 31st registrant is refused with ``activity_full``.
- Five people check in on their phones (390×844) by opening the door's QR; a second scan keeps the first time; an
  unregistered visitor at the full activity is told so; a finished activity's QR refuses check-in. Two companies
  are checked in at the door by the officer (code + registration).
- After the start, the officer records two needs, a cooperation and a negotiation; one need becomes a 融资需求
  ticket (routed to 金融监管局, channel ``activity``), the other a technology demand that svc-matching files from
  ``activity_lead.converted`` over the real bus (polled with a deadline until the lead carries the demand's id).
- The activity's report counts exactly what the test did: 30 registered, 7 checked in, 4 leads, 2 conversions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from kunruyi_common.clock import local_now, utc_now

pytestmark = pytest.mark.timeout(600)

HOST = "人才办"
CAPACITY = 30
COMPANIES, TALENTS, PEOPLE = 10, 5, 15
# Registration closes at the start, leads open at the start: the registrations must fit before it.
LEAD_IN = timedelta(seconds=90)


def _talent(driver: Any, name: str) -> str:
    resp = driver.partner.post(
        "/api/v1/talents",
        json={
            "name": name,
            "id_number": driver.new_resident_id(),
            "education": "doctor",
            "expertise": "集成电路",
        },
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["talent_id"])


def _masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


def _check_in_on_the_phone(page: Any, url: str, name: str, mobile: str) -> str:
    page.goto(url)
    page.fill("#f-name", name)
    page.fill("#f-phone", mobile)
    page.click("#check-in-submit")
    return str(page.locator("h1").first.inner_text())


def _activity(driver: Any, title: str, starts: datetime, hours: int, capacity: int, **extra: Any) -> str:
    """A 聚链融创 session of the host department, published by its officer; its id."""
    created = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/activities",
        HOST,
        json={
            "kind": "聚链融创",
            "title": title,
            "department": HOST,
            "venue": "昆山科创中心 3 楼报告厅",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            "capacity": capacity,
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _check_in_url(driver: Any, activity_id: str) -> str:
    """The door's QR of an activity, as the phone opens it (on the platform under test)."""
    qr = driver.as_staff("officer", "GET", f"/api/v1/service-codes/activities/{activity_id}", HOST)
    assert qr.status_code == 200, qr.text
    parts = urlsplit(qr.json()["url"])
    return f"{driver.url}{parts.path}?{parts.query}"


def _convert(driver: Any, leads_url: str, lead_id: str, **body: Any) -> Any:
    """The officer turns a lead into a ticket or a technology demand."""
    return driver.as_staff("officer", "POST", f"{leads_url}/{lead_id}/conversion", HOST, json=body)


def test_thirty_registrations_qr_check_ins_two_leads_converted_and_the_outcome_counts(
    driver: Any, browser: Any, phone: Any, artifacts_dir: Path
) -> None:
    # The parties, on file before the activity is published (the registry is the partner's).
    companies = [
        (
            driver.register_enterprise(name=f"昆山聚链示范{n:02d}电子有限公司"),
            f"昆山聚链示范{n:02d}电子有限公司",
        )
        for n in range(COMPANIES)
    ]
    talents = [_talent(driver, f"聚链博士{n}") for n in range(TALENTS)]
    people = [(f"参会者{n:02d}", driver.new_phone()) for n in range(PEOPLE)]

    start = local_now().replace(microsecond=0) + LEAD_IN
    title = f"集成电路产业链聚链融创对接会 {start:%H%M%S}"
    aid = _activity(driver, title, start, 3, CAPACITY, industry_chain="集成电路")
    base = f"/api/v1/activities/{aid}"

    # --- 30 registrations, three duplicates refused and not counted --------------------------------------------------
    registration_of: dict[str, str] = {}
    for uscc, _name in companies:
        r = driver.as_staff("officer", "POST", f"{base}/registrations", HOST, json={"uscc": uscc})
        assert r.status_code == 201, r.text
        assert r.json()["attendee_type"] == "enterprise" and r.json()["registered_via"] == "officer"
        registration_of[uscc] = r.json()["id"]
    for talent_id in talents:
        r = driver.as_staff("officer", "POST", f"{base}/registrations", HOST, json={"talent_id": talent_id})
        assert r.status_code == 201, r.text
    for n, (name, mobile) in enumerate(people):
        body = {"name": name, "phone": mobile}
        # Some through the partner API, the rest from 昆e服 with no account.
        r = (
            driver.partner.post(f"{base}/sign-ups", json=body)
            if n % 3 == 0
            else driver.http.post(f"{base}/sign-ups", json=body)
        )
        assert r.status_code == 201, r.text
        assert r.json()["phone_masked"] == _masked(mobile) and mobile not in r.text
        assert r.json()["registered_via"] == ("partner" if n % 3 == 0 else "self")

    duplicates = [
        driver.as_staff("officer", "POST", f"{base}/registrations", HOST, json={"uscc": companies[3][0]}),
        driver.as_staff("officer", "POST", f"{base}/registrations", HOST, json={"talent_id": talents[1]}),
        driver.http.post(
            f"{base}/sign-ups",
            json={
                "name": people[4][0],
                "phone": f"+86 {people[4][1][:3]}-{people[4][1][3:7]}-{people[4][1][7:]}",
            },
        ),
    ]
    assert [(d.status_code, d.json()["code"], d.json()["field"]) for d in duplicates] == [
        (409, "already_registered", "uscc"),
        (409, "already_registered", "talent_id"),
        (409, "already_registered", "phone"),
    ]
    assert all(d.headers["content-type"].startswith("application/problem+json") for d in duplicates)
    assert all("已报名" in d.json()["detail"] for d in duplicates)

    late_comer = driver.new_phone()
    full = driver.http.post(f"{base}/sign-ups", json={"name": "晚来者", "phone": late_comer})
    assert full.status_code == 409 and full.json()["code"] == "activity_full", full.text
    assert utc_now() < start, (
        "the registrations took longer than LEAD_IN: the test's timing assumption failed"
    )

    public = driver.http.get(base)
    assert public.status_code == 200 and public.json()["registered"] == CAPACITY

    # --- check-ins: five people scan the door's QR on their phones ------------------------------------------------
    check_in_url = _check_in_url(driver, aid)
    parts = urlsplit(check_in_url)

    scanned = people[:5]
    first_times: dict[str, str] = {}
    for n, (name, mobile) in enumerate(scanned):
        assert _check_in_on_the_phone(phone, check_in_url, name, mobile) == "签到成功"
        assert _masked(mobile) in phone.locator("#checked-in").inner_text()
        assert mobile not in phone.content()
        first_times[mobile] = phone.locator("#checked-in-at").inner_text()
        if n == 0:
            phone.screenshot(path=str(artifacts_dir / "e2e-outcomes-checked-in.png"), full_page=True)

    # Scanned twice: the first check-in stands (and is counted once).
    name, mobile = scanned[0]
    assert _check_in_on_the_phone(phone, check_in_url, name, mobile) == "您已签到"
    assert phone.locator("#checked-in-at").inner_text() == first_times[mobile]

    # A visitor who did not register, at a full activity: told so, no check-in.
    _check_in_on_the_phone(phone, check_in_url, "晚来者", late_comer)
    assert "活动名额已满" in phone.locator(".errors").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-outcomes-full.png"), full_page=True)

    # A forged code: refused.
    expiry, _, signature = parts.query.removeprefix("code=").partition(".")
    forged = ("1" if signature[0] == "0" else "0") * len(signature)
    phone.goto(f"{driver.url}{parts.path}?code={expiry}.{forged}")
    phone.fill("#f-name", scanned[1][0])
    phone.fill("#f-phone", scanned[1][1])
    phone.click("#check-in-submit")
    assert "签到码无效" in phone.locator(".errors").inner_text()

    # A finished activity's QR: refused, the page says why.
    past = local_now().replace(microsecond=0) - timedelta(hours=3)
    finished = _activity(driver, f"已结束的聚链融创 {past:%H%M%S}", past, 1, 10, venue="昆山科创中心 2 楼")
    _check_in_on_the_phone(phone, _check_in_url(driver, finished), scanned[1][0], scanned[1][1])
    assert "活动已结束" in phone.locator(".errors").inner_text()
    phone.screenshot(path=str(artifacts_dir / "e2e-outcomes-finished.png"), full_page=True)

    # Two companies checked in at the door by the officer (the code + their registration).
    code = driver.as_staff("officer", "POST", f"{base}/check-in-code", HOST).json()["code"]
    for uscc, _name in companies[:2]:
        r = driver.as_staff(
            "officer",
            "POST",
            f"{base}/check-ins",
            HOST,
            json={"code": code, "registration": registration_of[uscc]},
        )
        assert r.status_code == 200 and r.json()["checked_in_via"] == "officer", r.text
    checked_in = len(scanned) + 2

    # --- leads, after the start ------------------------------------------------------------------------------------
    (loan_uscc, loan_name), (warp_uscc, warp_name) = companies[0], companies[1]
    leads_url = f"{base}/leads"

    def record(**data: Any) -> dict[str, Any] | None:
        r = driver.as_staff("officer", "POST", leads_url, HOST, json=data)
        if r.status_code == 409 and r.json()["code"] == "activity_not_started":
            return None  # not yet: the session opens at the start
        assert r.status_code == 201, r.text
        return dict(r.json())

    loan = driver.eventually(
        lambda: record(kind="need", uscc=loan_uscc, content="扩产需要中长期贷款，联系人 13912345678"),
        "the activity to start (leads are recorded at the session)",
        timeout=LEAD_IN.total_seconds() + 120,
    )
    assert loan["content"].endswith("139****5678") and loan["status"] == "open"
    warpage = record(kind="need", uscc=warp_uscc, content="晶圆级封装翘曲控制需要高校团队攻关")
    cooperation = record(
        kind="cooperation", uscc=companies[2][0], party="苏州大学", content="共建先进封装联合实验室"
    )
    negotiation = record(
        kind="negotiation", talent_id=talents[0], party=loan_name, content="意向洽谈技术入股"
    )
    assert warpage and cooperation and negotiation

    ticket = _convert(driver, leads_url, loan["id"], to="ticket", type="融资需求")
    assert ticket.status_code == 200, ticket.text
    number = ticket.json()["ticket_number"]
    assert ticket.json()["converted_to"] == "ticket" and number
    again = _convert(driver, leads_url, loan["id"], to="ticket", type="融资需求")
    assert again.status_code == 409 and again.json()["code"] == "lead_already_converted"
    not_a_need = _convert(driver, leads_url, cooperation["id"], to="ticket", type="其他诉求")
    assert not_a_need.status_code == 409 and not_a_need.json()["code"] == "lead_not_convertible"

    demand = _convert(
        driver,
        leads_url,
        warpage["id"],
        to="demand",
        industry_chain="集成电路",
        technical_field="先进封装",
        demand_type="技术攻关",
    )
    assert demand.status_code == 200, demand.text
    assert demand.json()["converted_to"] == "demand"

    # The ticket: routed like any other 融资需求 (金融监管局), on the activity channel, the company's name on it.
    filed = driver.as_staff("officer", "GET", f"/api/v1/tickets/{number}", "金融监管局")
    assert filed.status_code == 200, filed.text
    assert (filed.json()["channel"], filed.json()["department"]) == ("activity", "金融监管局")
    assert filed.json()["enterprise_uscc"] == loan_uscc

    # The demand: svc-matching files it from the event; its id comes back onto the lead. Poll, never sleep.
    def demand_id() -> str | None:
        listed = driver.as_staff("officer", "GET", leads_url, HOST).json()
        row = next(i for i in listed["items"] if i["id"] == warpage["id"])
        return row["demand_id"]

    demand_uuid = driver.eventually(
        demand_id, "svc-matching to file the lead's technology demand", timeout=120
    )
    found = driver.as_staff("officer", "GET", f"/api/v1/demands/{demand_uuid}", HOST)
    assert found.status_code == 200, found.text
    got = found.json()
    assert got["enterprise_uscc"] == warp_uscc and got["channel"] == "activity"
    assert got["demand_type"] == "技术攻关" and "翘曲" in got["title"]

    # --- the outcome report: exactly what the test did -------------------------------------------------------------
    stats = driver.http.get(f"{base}/stats")
    assert stats.status_code == 200, stats.text
    report = stats.json()
    assert (report["registered"], report["checked_in"]) == (CAPACITY, checked_in)
    assert report["attendance_rate"] == round(checked_in / CAPACITY, 4)
    assert report["leads"] == {
        "leads": 4,
        "needs": 2,
        "converted": 2,
        "to_tickets": 1,
        "to_demands": 1,
        "cooperations": 1,
        "negotiations": 1,
    }

    # The organisers' list agrees row by row: 30 rows, names (never a bare code), phones masked.
    listed = driver.as_staff("reviewer", "GET", f"{base}/registrations", HOST)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["registered"], page["checked_in"], len(page["items"])) == (CAPACITY, checked_in, CAPACITY)
    kinds = [i["attendee_type"] for i in page["items"]]
    assert (kinds.count("enterprise"), kinds.count("talent"), kinds.count("person")) == (
        COMPANIES,
        TALENTS,
        PEOPLE,
    )
    names = {i["name"] for i in page["items"]}
    assert {n for _u, n in companies} <= names and {n for n, _m in people} <= names
    assert sum(1 for i in page["items"] if i["checked_in_at"]) == checked_in
    assert not any(mobile in listed.text for _n, mobile in people)
    assert warp_name in names
