"""Campaigns (专项服务月) and visits (走访) through the API on the real database: a campaign with five service teams,
visits imported from an XLSX sheet (dry run with row-level errors first, nothing half-written), problems turned into
tickets routed to departments, replies — one ticket transferred, one jointly handled — and statistics that equal a
count the test makes from the raw rows."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

CENTER = staff("officer", department="人才办", subject="campaign-lead")
DISTRICTS = ("开发区", "周市", "花桥")
TEAMS = [
    {"name": f"第{n}服务队", "leader": f"队长{n}", "members": [f"队员{n}a", f"队员{n}b"]}
    for n in ("一", "二", "三", "四", "五")
]
PROBLEMS = [
    ("融资需求", "扩产需要中长期贷款"),
    ("人才公寓", "新引进博士需要公寓"),
    ("政策咨询", "研发奖补如何申报"),
]


def campaign_body(code: str, usccs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "2026 年企业服务月",
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "districts": ["开发区", "周市镇", "花桥"],
        "teams": TEAMS,
        "target_enterprises": usccs,
        "goal_visits": 10,
        "goal_problems": 10,
        "goal_reply_rate": 1.0,
        "goal_solve_rate": 0.9,
        **extra,
    }


def xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["走访日期", "服务队", "统一社会信用代码", "走访内容", "送达政策", "问题类型", "问题"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def register(c: Any, count: int, base: int) -> list[str]:
    usccs = []
    for i in range(count):
        uscc = make_uscc(base + i)
        r = await c.post(
            "/api/v1/enterprises",
            json={"uscc": uscc, "name": f"昆山走访样本{i}有限公司", "district": DISTRICTS[i % 3]},
        )
        assert r.status_code == 201, r.text
        usccs.append(uscc)
    return usccs


async def move(client: Any, number: str, department: str, *steps: str) -> None:
    async with client(staff("officer", department=department, subject=f"dept-{department}")) as c:
        for to in steps:
            body: dict[str, Any] = {"to": to}
            if to == "replied":
                body["reply"] = "已答复企业"
            r = await c.post(f"/api/v1/tickets/{number}/transitions", json=body)
            assert r.status_code == 200, r.text


async def test_a_campaign_from_creation_to_statistics(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(CENTER) as c:
        usccs = await register(c, 12, 6100)
        clash = campaign_body("m-clash", usccs)
        clash["teams"] = [*TEAMS[:4], {"name": "第六服务队", "leader": "队长六", "members": ["队员一a"]}]
        refused = await c.post("/api/v1/campaigns", json=clash)
        assert refused.status_code == 422 and refused.json()["code"] == "member_in_two_teams"
        assert (await c.get("/api/v1/campaigns/m-clash")).status_code == 404

        created = await c.post(
            "/api/v1/campaigns",
            json=campaign_body("m2026", usccs, goal_on_time_rate=0.5, goal_satisfaction=4.0),
        )
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert campaign["districts"] == ["开发区", "周市", "花桥"]  # 周市镇 normalised by the taxonomy
        assert (
            len(campaign["teams"]) == 5
            and campaign["teams"][0]["members"][0] == campaign["teams"][0]["leader"]
        )
        assert campaign["target_enterprises"] == 12

        # Ten companies visited, one per row or more; 11 problems. Plus three bad rows.
        rows: list[list[Any]] = []
        for i in range(10):
            team = TEAMS[i % 5]["name"]
            day = date(2026, 5, 4 + i)
            kind, title = PROBLEMS[i % 3]
            rows.append([day, team, usccs[i], "政策宣讲、问需求", "KS-RD-001", kind, title])
            if i == 0:
                rows.append([day, team, usccs[i], "送政策", "KS-HT-002", "政策咨询", "高企认定辅导"])
        good = list(rows)
        rows.append([date(2026, 5, 9), "第九服务队", usccs[10], "辅导", "", "", ""])
        rows.append([date(2026, 6, 9), "第一服务队", usccs[11], "辅导", "", "", ""])
        rows.append([date(2026, 5, 9), "第一服务队", make_uscc(6999), "辅导", "", "融资需求", "贷款"])
        rows.append([date(2026, 5, 9), "第一服务队", usccs[11], "辅导", "", "办证", "不存在的类型"])
        sheet = xlsx(rows)
        files = {"file": ("走访表.xlsx", sheet, "application/octet-stream")}
        dry = await c.post("/api/v1/campaigns/m2026/visits/import", params={"dry_run": "true"}, files=files)
        assert dry.status_code == 200, dry.text
        report = dry.json()
        assert report["written"] is False and report["rows"] == 15
        assert [(e["row"], e["column"]) for e in report["errors"]] == [
            (13, "服务队"),
            (14, "走访日期"),
            (15, "统一社会信用代码"),
            (16, "问题类型"),
        ]
        assert "企业库" in report["errors"][2]["reason"]
        refused_sheet = await c.post("/api/v1/campaigns/m2026/visits/import", files=files)
        assert refused_sheet.status_code == 422 and refused_sheet.json()["code"] == "visit_sheet_invalid"
        assert len(refused_sheet.json()["errors"]) == 4
        assert (await c.get("/api/v1/campaigns/m2026/visits")).json()["items"] == []

        imported = await c.post(
            "/api/v1/campaigns/m2026/visits/import",
            files={"file": ("走访表.xlsx", xlsx(good), "application/octet-stream")},
        )
        assert imported.status_code == 200, imported.text
        assert imported.json() == {
            "dry_run": False,
            "rows": 11,
            "visits": 10,
            "problems": 11,
            "written": True,
            "errors": [],
        }
        visits = (await c.get("/api/v1/campaigns/m2026/visits")).json()["items"]
        first = next(v for v in visits if v["target"] == usccs[0])
        assert first["activities"] == ["政策宣讲", "问需求", "送政策"] and len(first["tickets"]) == 2
        assert first["policies_delivered"] == ["KS-RD-001", "KS-HT-002"]

    tickets = {
        r[0]: (r[1], r[2])
        for r in await session.execute(
            text("SELECT ticket_number, department, channel FROM tickets WHERE campaign_id IS NOT NULL")
        )
    }
    assert len(tickets) == 11 and {ch for _, ch in tickets.values()} == {"visit"}
    numbers = sorted(tickets)
    # Replies: all but one replied, all but two of those solved; one transferred first, one handled jointly.
    transferred = next(n for n in numbers if tickets[n][0] == "人才办")
    async with client(CENTER) as c:
        r = await c.post(
            f"/api/v1/tickets/{transferred}/transfer", json={"department": "人社局", "reason": "涉及人才招聘"}
        )
        assert r.status_code == 200, r.text
    tickets[transferred] = ("人社局", "visit")
    joint = next(n for n in numbers if tickets[n][0] == "人才办" and n != transferred)
    await move(client, joint, "人才办", "accepted", "in_progress")
    async with client(CENTER) as c:
        r = await c.post(f"/api/v1/tickets/{joint}/parts", json={"department": "住建局", "task": "住房部分"})
        assert r.status_code == 201, r.text
    async with client(staff("officer", department="住建局", subject="co-zj")) as c:
        r = await c.post(f"/api/v1/tickets/{joint}/parts/住建局/answer", json={"answer": "已安排公寓"})
        assert r.status_code == 200, r.text
    await move(client, joint, "人才办", "replied", "resolved")
    unanswered = numbers[-1] if numbers[-1] not in (joint, transferred) else numbers[-2]
    for i, number in enumerate(n for n in numbers if n not in (joint, unanswered)):
        steps = ["accepted", "in_progress", "replied"] + (["resolved"] if i % 4 else [])
        await move(client, number, tickets[number][0], *steps)

    async with client(staff("reviewer", department="人才办", subject="campaign-reader")) as c:
        stats = (await c.get("/api/v1/campaigns/m2026/stats")).json()

    raw = (
        await session.execute(
            text(
                """
                SELECT (SELECT count(*) FROM visits v JOIN campaigns c ON c.id = v.campaign_id
                        WHERE c.code = 'm2026') AS visits,
                       (SELECT count(DISTINCT t.target) FROM campaign_targets t JOIN visits v
                          ON v.campaign_id = t.campaign_id AND v.target = t.target
                        JOIN campaigns c ON c.id = t.campaign_id WHERE c.code = 'm2026') AS visited,
                       (SELECT count(*) FROM campaign_targets t JOIN campaigns c ON c.id = t.campaign_id
                        WHERE c.code = 'm2026') AS targets,
                       count(*) AS problems,
                       count(*) FILTER (WHERE replied_at IS NOT NULL) AS replied,
                       count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS solved
                FROM tickets tk JOIN campaigns c ON c.id = tk.campaign_id WHERE c.code = 'm2026'
                """
            )
        )
    ).one()
    totals = stats["totals"]
    assert (totals["visits"], totals["visited_targets"], totals["targets"]) == (
        raw.visits,
        raw.visited,
        raw.targets,
    )
    assert (totals["visits"], totals["visited_targets"], totals["targets"]) == (10, 10, 12)
    assert (totals["problems"], totals["replied"], totals["solved"]) == (
        raw.problems,
        raw.replied,
        raw.solved,
    )
    assert totals["problems"] == 11 and totals["replied"] == 10
    assert totals["reply_rate"] == round(raw.replied / raw.problems, 4)
    assert totals["solve_rate"] == round(raw.solved / raw.problems, 4)
    assert sum(t["visits"] for t in stats["by_team"]) == 10 and len(stats["by_team"]) == 5
    assert sum(t["problems"] for t in stats["by_team"]) == 11
    assert {d["key"] for d in stats["by_district"]} == set(DISTRICTS)
    assert sum(d["problems"] for d in stats["by_district"]) == 11
    assert (stats["goals"]["on_time_rate"], stats["goals"]["satisfaction"]) == (0.5, 4.0)
    assert stats["goals"]["met"] == {
        "visits": True,
        "problems": True,
        "reply_rate": False,
        "solve_rate": False,
        # Actuals against the on-time and satisfaction goals (no rating yet: satisfaction not met).
        "on_time_rate": (totals["on_time_rate"] or 0) >= 0.5,
        "satisfaction": (totals["satisfaction"] or 0) >= 4.0,
    }


async def test_bad_visits_are_refused_with_a_code_and_nothing_is_written(client, session) -> None:  # type: ignore[no-untyped-def]
    async with client(CENTER) as c:
        usccs = await register(c, 2, 6200)
        assert (await c.post("/api/v1/campaigns", json=campaign_body("m-bad", usccs))).status_code == 201
        again = await c.post("/api/v1/campaigns", json=campaign_body("m-bad", usccs))
        assert again.status_code == 409 and again.json()["code"] == "campaign_exists"
        backwards = await c.post(
            "/api/v1/campaigns", json=campaign_body("m-back", usccs, period_end="2026-04-01")
        )
        assert backwards.status_code == 422 and backwards.json()["code"] == "bad_campaign_period"
        mars = await c.post("/api/v1/campaigns", json=campaign_body("m-mars", usccs, districts=["火星"]))
        assert mars.status_code == 422 and mars.json()["code"] == "unknown_taxonomy_term"

        visit = {"team": "第一服务队", "visited_on": "2026-05-06", "activities": ["问需求"]}
        cases = [
            ({**visit, "enterprise_uscc": make_uscc(6299)}, "enterprise_not_registered"),
            ({**visit, "enterprise_uscc": usccs[0], "team": "第九服务队"}, "unknown_team"),
            ({**visit, "enterprise_uscc": usccs[0], "visited_on": "2026-07-01"}, "visit_outside_period"),
            (visit, "visit_target_required"),
            (
                {**visit, "enterprise_uscc": usccs[0], "problems": [{"type": "办证", "title": "x"}]},
                "unknown_ticket_type",
            ),
        ]
        for body, code in cases:
            r = await c.post("/api/v1/campaigns/m-bad/visits", json=body)
            assert r.status_code == 422 and r.json()["code"] == code, (code, r.text)
        unregistered = await c.post("/api/v1/campaigns/m-bad/visits", json=cases[0][0])
        assert unregistered.json()["register_at"] == "/api/v1/enterprises"
        assert (await c.get("/api/v1/campaigns/m-bad/visits")).json()["items"] == []
        ok = await c.post(
            "/api/v1/campaigns/m-bad/visits",
            json={**visit, "enterprise_uscc": usccs[0], "problems": [{"type": "融资需求", "title": "贷款"}]},
        )
        assert ok.status_code == 201, ok.text
        [number] = ok.json()["tickets"]
    async with client(staff("officer", department="金融监管局", subject="fin")) as c:
        ticket = (await c.get(f"/api/v1/tickets/{number}")).json()
        assert ticket["channel"] == "visit" and ticket["enterprise_uscc"] == usccs[0]
    data = (
        await session.execute(
            text("SELECT envelope->'data' FROM outbox_events WHERE subject = :n"), {"n": number}
        )
    ).scalar_one()
    campaign_id = (
        await session.execute(text("SELECT id::text FROM campaigns WHERE code = 'm-bad'"))
    ).scalar_one()
    assert data["channel"] == "visit" and data["campaign_id"] == campaign_id
