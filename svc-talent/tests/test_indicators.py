"""The indicator system (指标体系) on the real database: a company gaining 高企 moves 有效高企 and 净增高企 (in its
区镇); a settled payment consumed from svc-disbursement's event moves the payouts indicator once, whatever the
redeliveries; a reported value is submitted by the lead department, approved by a second person (the submitter is
refused), revised with its history kept; bad input (unit, range, future quarter, another department, a computed
indicator) is refused naming the field and writes nothing; the status follows the linear path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.indicators import consumers, service
from kunruyi_talent.indicators.definitions import BY_CODE
from sqlalchemy import text

OFFICER = staff("officer", department="科技局", subject="kjj-officer", name="科技填报甲")
SECOND = staff("approver", department="科技局", subject="kjj-approver", name="科技审核乙")
OTHER = staff("officer", department="工信局", subject="gxj-officer", name="工信填报丙")
READER = staff("broker", department="科创发展服务中心", subject="reader")


def current_quarter() -> str:
    return service.label(service.quarter_of(local_today()))


def by_code(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for i in listing["items"]}


async def test_a_company_gaining_high_tech_moves_the_computed_indicators(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(8801)
    async with client(OFFICER) as c:
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "指标测试科技有限公司", "district": "花桥"}
        )
        assert made.status_code == 201, made.text
        before = by_code((await c.get("/api/v1/indicators")).json())
        district_before = {
            d["district_name"]: d["actual"]
            for d in (await c.get("/api/v1/indicators/high_tech_valid")).json()["by_district"]
        }
        gained = await c.post(
            f"/api/v1/enterprises/{uscc}/qualifications",
            json={"kind": "high_tech", "level": "national", "granted_on": local_today().isoformat()},
        )
        assert gained.status_code == 201, gained.text
        after = by_code((await c.get("/api/v1/indicators")).json())
        detail = (await c.get("/api/v1/indicators/high_tech_valid")).json()

    for code in ("high_tech_valid", "high_tech_net"):
        assert after[code]["actual"] == before[code]["actual"] + 1
        assert after[code]["quarter"] == current_quarter()
    assert after["high_tech_valid"]["target"] == 3500 and after["high_tech_net"]["target"] == 1300
    assert after["high_tech_valid"]["kind"] == "computed" and after["high_tech_valid"]["unit"] == "家"
    assert after["specialized_sme"]["actual"] == before["specialized_sme"]["actual"]
    districts = {d["district_name"]: d["actual"] for d in detail["by_district"]}
    assert districts["花桥"] == district_before.get("花桥", 0) + 1
    # The quarters run from 2022Q1 to now, each with its point on the linear path.
    assert detail["quarters"][0]["quarter"] == "2022Q1"
    assert detail["quarters"][-1]["quarter"] == current_quarter()
    assert detail["quarters"][-1]["actual"] == after["high_tech_valid"]["actual"]


async def test_settled_payments_consumed_as_events_count_once(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(READER) as c:
        before = by_code((await c.get("/api/v1/indicators")).json())["payouts"]["actual"]
    data = {
        "disbursement_id": str(uuid.uuid4()),
        "policy_code": "KS-GX-001",
        "entity_type": "enterprise",
        "entity_id": make_uscc(8802),
        "amount_fen": 12_345_000_000,  # 12,345 万元
        "mode": "automatic",
        "bank_reference": "B1",
        "settled_at": datetime.now(UTC).isoformat(),
    }
    event = CloudEvent(source="test", type=consumers.PAYMENT_SETTLED, subject="s", data=data)
    await consumers.on_payment_settled(session, event)
    await consumers.on_payment_settled(session, event)  # a redelivery the inbox did not catch
    async with client(READER) as c:
        after = by_code((await c.get("/api/v1/indicators")).json())["payouts"]
    assert after["actual"] == before + 12_345
    assert after["unit"] == "万元"


async def test_challenges_awarded_in_svc_matching_count_as_projects_once_in_the_publishers_district(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(8803)
    async with client(OFFICER) as c:
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "揭榜发榜科技有限公司", "district": "周市"}
        )
        assert made.status_code == 201, made.text
        before = (await c.get("/api/v1/indicators/challenge_projects")).json()
    district_before = {d["district_name"]: d["actual"] for d in before["by_district"]}

    def awarded(publisher: str | None) -> CloudEvent:
        data = {
            "challenge_id": str(uuid.uuid4()),
            "title": "高精度减速器寿命提升",
            "status": "awarded",
            "actor": "kjj-officer",
            "application_id": str(uuid.uuid4()),
            "team_name": "某高校精密传动团队",
            "publisher_uscc": publisher,
        }
        return CloudEvent(source="matching", type=consumers.CHALLENGE_AWARDED, subject="c", data=data)

    by_company, by_staff = awarded(uscc), awarded(None)
    for event in (by_company, by_company, by_staff):  # the second is a redelivery the inbox did not catch
        await consumers.on_challenge_awarded(session, event)
    async with client(OFFICER) as c:
        after = (await c.get("/api/v1/indicators/challenge_projects")).json()
        reported = await c.post(
            "/api/v1/indicators/challenge_projects/reports",
            json={"quarter": current_quarter(), "value": 3, "unit": "项", "note": "手工填报"},
        )
    assert after["kind"] == "computed" and after["unit"] == "项"
    assert after["actual"] == before["actual"] + 2
    assert after["quarter"] == current_quarter()
    districts = {d["district_name"]: d["actual"] for d in after["by_district"]}
    assert districts["周市"] == district_before.get("周市", 0) + 1
    # a computed indicator takes no hand-filled value
    assert reported.status_code == 409 and reported.json()["code"] == "indicator_not_reported"


async def test_a_reported_value_needs_a_second_person_and_revisions_keep_history(client, session) -> None:  # type: ignore[no-untyped-def]
    q = current_quarter()
    url = "/api/v1/indicators/rd_gdp/reports"
    good = {"quarter": q, "value": 4.1, "unit": "%", "note": "统计局快报口径"}

    async with client(OFFICER) as c:
        for body, field, code in (
            ({**good, "unit": "万元"}, "unit", "wrong_unit"),
            ({**good, "value": 450}, "value", "value_out_of_range"),
            ({**good, "value": -1}, "value", "value_out_of_range"),
            ({**good, "quarter": f"{local_today().year + 1}Q1"}, "quarter", "bad_quarter"),
            ({**good, "quarter": "2025-3"}, "quarter", "bad_quarter"),
            ({**good, "quarter": "2021Q4"}, "quarter", "bad_quarter"),
        ):
            r = await c.post(url, json=body)
            assert r.status_code == 422, r.text
            assert r.json()["code"] == code and field in str(r.json()), r.text
        computed = await c.post("/api/v1/indicators/high_tech_valid/reports", json={**good, "unit": "家"})
        assert computed.status_code == 409 and computed.json()["code"] == "indicator_not_reported"
        missing = await c.post("/api/v1/indicators/nope/reports", json=good)
        assert missing.status_code == 404
    assert await session.scalar(text("SELECT count(*) FROM indicator_reports WHERE code = 'rd_gdp'")) == 0

    async with client(OTHER) as c:
        r = await c.post(url, json=good)
        assert r.status_code == 403 and r.json()["code"] == "other_department"

    async with client(OFFICER) as c:
        first = await c.post(url, json=good)
        assert first.status_code == 201, first.text
        rid = first.json()["id"]
        assert first.json()["revision"] == 1 and not first.json()["approved"]
        listing = by_code((await c.get("/api/v1/indicators")).json())["rd_gdp"]
        assert listing["actual"] is None and listing["status"] == "no_data"  # not approved yet
        own = await c.post(f"/api/v1/indicators/rd_gdp/reports/{rid}/approve")
        assert own.status_code == 409 and own.json()["code"] == "same_person"

    async with client(OTHER) as c:
        r = await c.post(f"/api/v1/indicators/rd_gdp/reports/{rid}/approve")
        assert r.status_code == 403 and r.json()["code"] == "other_department"

    async with client(SECOND) as c:
        ok = await c.post(f"/api/v1/indicators/rd_gdp/reports/{rid}/approve")
        assert ok.status_code == 200, ok.text
        assert ok.json()["approved"] and ok.json()["approved_name"] == "科技审核乙"
        again = await c.post(f"/api/v1/indicators/rd_gdp/reports/{rid}/approve")
        assert again.status_code == 409
        listing = by_code((await c.get("/api/v1/indicators")).json())["rd_gdp"]
        assert listing["actual"] == 4.1 and listing["quarter"] == q

    async with client(OFFICER) as c:
        revised = await c.post(url, json={**good, "value": 4.3, "note": "统计局年报修订，联系人 13912345678"})
        assert revised.status_code == 201 and revised.json()["revision"] == 2
        detail = (await c.get("/api/v1/indicators/rd_gdp")).json()
    # The revision waits for its approval; the approved first version stays the value, both are in the history.
    assert detail["actual"] == 4.1
    assert (
        "13912345678" not in detail["reports"][1]["note"] and "统计局年报修订" in detail["reports"][1]["note"]
    )
    assert [(r["revision"], r["value"], r["approved"]) for r in detail["reports"]] == [
        (1, 4.1, True),
        (2, 4.3, False),
    ]
    async with client(SECOND) as c:
        ok = await c.post(f"/api/v1/indicators/rd_gdp/reports/{revised.json()['id']}/approve")
        assert ok.status_code == 200
        assert (await c.get("/api/v1/indicators/rd_gdp")).json()["actual"] == 4.3


def test_status_follows_the_linear_path_to_the_target() -> None:
    d = BY_CODE["high_tech_net"]  # 0 → 1,300 over 16 quarters
    assert service.expected(d, 0, (2023, 4)) == 650
    assert service.expected(d, 0, (2026, 2)) == 1300  # past the target year the target holds
    assert service.status(d, 0, 650, 650) == "on_track"
    assert service.status(d, 0, 620, 650) == "on_track"  # within 5 %
    assert service.status(d, 0, 550, 650) == "behind"
    assert service.status(d, 0, 500, 650) == "at_risk"
    assert service.status(d, 0, None, 650) == "no_data"
    rate = BY_CODE["desk_reply_rate"]  # 95 %
    assert service.status(rate, 0, 96, 95) == "on_track"
    assert service.status(rate, 0, 91, 95) == "behind"
    assert service.status(rate, 0, 80, 95) == "at_risk"


async def test_the_annual_monitoring_report_as_json_and_xlsx(client, session) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from openpyxl import load_workbook

    year = local_today().year
    async with client(READER) as c:
        report = await c.get(f"/api/v1/indicators/annual-reports/{year}")
        assert report.status_code == 200, report.text
        body = report.json()
        assert len(body["items"]) == len(BY_CODE) and sum(body["counts"].values()) == len(BY_CODE)
        sheet = await c.get(f"/api/v1/indicators/annual-reports/{year}/xlsx")
        assert sheet.status_code == 200
        bad = await c.get(f"/api/v1/indicators/annual-reports/{year + 1}")
        assert bad.status_code == 422 and bad.json()["code"] == "bad_report_year"
    ws = load_workbook(BytesIO(sheet.content)).active
    names = [row[1] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert "有效高新技术企业" in names and "全社会研发支出占地区生产总值比重" in names
    assert str(year) in ws["A1"].value
