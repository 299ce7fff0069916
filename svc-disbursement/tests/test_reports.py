from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

from kunruyi_launcher.testing import staff
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ROWS = [  # (policy, department, district, mode, amount_fen, settled month)
    ("KS-R-A", "科技局", "玉山镇", "automatic", 1_200_000_000_00, "2026-01-15"),
    ("KS-R-A", "科技局", "玉山镇", "automatic", 200_000_000_00, "2026-02-15"),
    ("KS-R-B", "人社局", "花桥", "application", 4_000_000_000_00, "2026-02-20"),
    ("KS-R-B", "人社局", "花桥", "application", 33, "2026-02-21"),
]


async def seed_rows(session: AsyncSession) -> None:
    for i, (policy, dept, district, mode, amount, day) in enumerate(ROWS):
        await session.execute(
            text(
                "INSERT INTO disbursements (id, mode, policy_code, department, district, entity_type, entity_id, period, "
                "fiscal_year, amount_fen, status, reservation_id, settled_at) VALUES (:id, :m, :p, :d, :di, 'enterprise', "
                ":e, '2026', 2026, :a, 'settled', :r, :s)"
            ),
            {
                "id": uuid.uuid4(),
                "m": mode,
                "p": policy,
                "d": dept,
                "di": district,
                "e": f"E{i}",
                "a": amount,
                "r": uuid.uuid4(),
                "s": datetime.fromisoformat(f"{day}T04:00:00+00:00"),
            },
        )
    # Not yet paid: never counted.
    await session.execute(
        text(
            "INSERT INTO disbursements (id, mode, policy_code, entity_type, entity_id, period, fiscal_year, amount_fen, "
            "status, reservation_id) VALUES (:id, 'automatic', 'KS-R-A', 'enterprise', 'E9', '2026', 2026, 5, "
            "'awaiting_budget', :r)"
        ),
        {"id": uuid.uuid4(), "r": uuid.uuid4()},
    )


async def test_report_groups_totals_and_exports(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await seed_rows(session)
    async with client(staff("finance", department="科技局")) as c:
        by_mode = (await c.get("/api/v1/reports/disbursements", params={"group_by": "mode"})).json()
        by_month = (await c.get("/api/v1/reports/disbursements", params={"group_by": "month"})).json()
        by_district = (await c.get("/api/v1/reports/disbursements", params={"group_by": "district"})).json()
        as_csv = await c.get("/api/v1/reports/disbursements", params={"group_by": "policy", "format": "csv"})
        as_xlsx = await c.get(
            "/api/v1/reports/disbursements", params={"group_by": "department", "format": "xlsx"}
        )
        bad = await c.get("/api/v1/reports/disbursements", params={"group_by": "planet"})
    assert by_mode["totals"] == {
        "projects": 4,
        "amount_fen": 5_400_000_000_33,
        "automatic_projects": 2,
        "automatic_amount_fen": 1_400_000_000_00,
        "quick_projects": 0,
        "quick_amount_fen": 0,
    }
    assert by_mode["summary"] == "累计兑现 4个项目 54亿元，其中免申即享 2个 14亿元"
    assert {i["key"]: i["projects"] for i in by_month["items"]} == {"2026-01": 1, "2026-02": 3}
    assert {i["key"] for i in by_district["items"]} == {"玉山镇", "花桥"}
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["政策", "政策名称"] and rows[-1] == [
        "合计",
        "",
        "4",
        "5400000000.33",
        "2",
        "1400000000.00",
        "0",
        "0.00",
    ]
    assert rows[0][-2:] == ["即申即享项目数", "即申即享金额（元）"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None and sheet["A1"].value == "部门" and sheet["B4"].value == 4
    assert bad.status_code == 422


async def test_money_by_mode_three_ways_and_by_department_within_a_beijing_quarter(
    client, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    """免申即享 / 即申即享 / 申报: 即申即享 is an application to a policy whose catalog mode is quick. The range is
    on the Beijing date: a payment settled at 2026-03-31 20:00 UTC is 2026-04-01 in Kunshan, so in Q2."""
    await seed_rows(session)
    await session.execute(
        text(
            "INSERT INTO policies (code, title, department, mode) VALUES ('KS-R-Q', '即申即享测试政策', '人社局', 'quick')"
        )
    )
    for amount, at in ((700, "2026-03-31T20:00:00+00:00"), (300, "2026-02-01T04:00:00+00:00")):
        await session.execute(
            text(
                "INSERT INTO disbursements (id, mode, policy_code, department, district, entity_type, entity_id, "
                "period, fiscal_year, amount_fen, status, reservation_id, settled_at) VALUES (:id, 'application', "
                "'KS-R-Q', '人社局', '花桥', 'enterprise', :e, '2026', 2026, :a, 'settled', :r, :s)"
            ),
            {
                "id": uuid.uuid4(),
                "e": f"EQ{amount}",
                "a": amount,
                "r": uuid.uuid4(),
                "s": datetime.fromisoformat(at),
            },
        )
    q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    async with client(staff("leader", department="市委人才办")) as c:
        by_mode = (await c.get("/api/v1/reports/disbursements", params={"group_by": "mode", **q1})).json()
        by_dept = (
            await c.get("/api/v1/reports/disbursements", params={"group_by": "department", **q1})
        ).json()
        q2 = await c.get(
            "/api/v1/reports/disbursements",
            params={"group_by": "mode", "date_from": "2026-04-01", "date_to": "2026-06-30"},
        )
    assert {i["key"]: (i["title"], i["projects"], i["amount_fen"]) for i in by_mode["items"]} == {
        "automatic": ("免申即享", 2, 1_400_000_000_00),
        "application": ("申报", 2, 4_000_000_000_33),
        "quick": ("即申即享", 1, 300),
    }
    assert by_mode["totals"]["quick_amount_fen"] == 300
    depts = {i["key"]: i for i in by_dept["items"]}
    assert (
        depts["人社局"]["amount_fen"] == 4_000_000_000_33 + 300 and depts["人社局"]["quick_amount_fen"] == 300
    )
    assert depts["科技局"]["automatic_amount_fen"] == depts["科技局"]["amount_fen"] == 1_400_000_000_00
    assert {i["key"]: i["amount_fen"] for i in q2.json()["items"]} == {"quick": 700}
    assert by_mode["summary"] == "累计兑现 5个项目 54亿元，其中免申即享 2个 14亿元，即申即享 1个 3.00元"
    async with client(staff("leader", department="市委人才办")) as c:
        sheet = await c.get(
            "/api/v1/reports/disbursements", params={"group_by": "mode", "format": "csv", **q1}
        )
    table = {r[0]: r[1:] for r in csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")))}
    assert table["即申即享"] == ["1", "3.00", "0", "0.00", "1", "3.00"]
    assert table["合计"][-2:] == ["1", "3.00"]
