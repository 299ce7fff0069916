"""科创平台 on the real database: an officer of the managing department records a platform's recognition and its
yearly reviews; the host's file lists it and the enterprise event carries the kind with its recognition date, expiry
and level (what svc-policy turns into ``new_platforms``); a failed review stops it counting as held; an expired one
is not held; the indicator system counts new platforms by year, kind and level. Bad input (recognition after
expiry, a duplicate certificate, a review year twice or before recognition, an unknown kind or level, another
department) is refused naming the field and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kunruyi_common.clock import local_today
from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_uscc
from sqlalchemy import text

KJJ = staff("officer", department="科技局", subject="kjj-platforms", name="科技甲")
RSJ = staff("officer", department="人社局", subject="rsj-platforms", name="人社乙")
READER = staff("broker", department="科创发展服务中心", subject="reader")


async def outbox(session, event_type: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        text("SELECT envelope FROM outbox_events WHERE type = :t ORDER BY seq"), {"t": event_type}
    )
    return [r[0] for r in rows]


async def count(session, table: str) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def platform(uscc: str, **over: Any) -> dict[str, Any]:
    today = local_today()
    body = {
        "uscc": uscc,
        "kind": "工程技术研究中心",
        "level": "省级",
        "recognized_on": today.isoformat(),
        "expires_on": (today + timedelta(days=3 * 365)).isoformat(),
        "issuing_body": "江苏省科学技术厅",
        "certificate_number": f"BM-{uscc[-6:]}-1",
    }
    return body | over


async def test_record_review_and_the_enterprise_profile(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(9101)
    today = local_today()
    async with client(KJJ) as c:
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "平台测试科技有限公司", "district": "花桥"}
        )
        assert made.status_code == 201, made.text
        counts_before = {
            (i["year"], i["kind"], i["level"]): i["count"]
            for i in (await c.get("/api/v1/platforms/yearly-counts")).json()["items"]
        }
        indicator_before = (await c.get("/api/v1/indicators/new_platforms")).json()
        rec = await c.post("/api/v1/platforms", json=platform(uscc))
        assert rec.status_code == 201, rec.text
        p = rec.json()
        assert (p["kind"], p["kind_name"], p["level"], p["status"]) == (
            "engineering_center",
            "工程技术研究中心",
            "省",
            "held",
        )
        assert p["department"] == "科技局" and p["name"] == "平台测试科技有限公司省级工程技术研究中心"
        # an incubator recognised years ago and already expired: listed, not held
        old = await c.post(
            "/api/v1/platforms",
            json=platform(
                uscc,
                kind="科技企业孵化器",
                level="苏州市",
                recognized_on=date(today.year - 4, 3, 1).isoformat(),
                expires_on=date(today.year - 1, 2, 28).isoformat(),
                issuing_body="苏州市科学技术局",
                certificate_number=f"FH-{uscc[-6:]}",
            ),
        )
        assert old.status_code == 201, old.text
        assert old.json()["status"] == "expired" and old.json()["level"] == "苏州"

        listed = (await c.get(f"/api/v1/enterprises/{uscc}/platforms")).json()["items"]
        assert [x["kind"] for x in listed] == ["engineering_center", "incubator"]
        file = (await c.get(f"/api/v1/enterprises/{uscc}")).json()
        assert file["platforms"] == ["engineering_center"]
        only = (await c.get("/api/v1/platforms", params={"kind": "incubator"})).json()["items"]
        assert {x["certificate_number"] for x in only} >= {f"FH-{uscc[-6:]}"}
        assert all(x["kind"] == "incubator" for x in only)

        counts = {
            (i["year"], i["kind"], i["level"]): i["count"]
            for i in (await c.get("/api/v1/platforms/yearly-counts")).json()["items"]
        }
        key = (today.year, "engineering_center", "省")
        assert counts[key] == counts_before.get(key, 0) + 1
        indicator = (await c.get("/api/v1/indicators/new_platforms")).json()
        assert indicator["actual"] == indicator_before["actual"] + 2  # both recognised since 2021 年末

    recognized = await outbox(session, "kunruyi.talent.platform.recognized")
    assert [e["data"]["certificate_number"] for e in recognized[-2:]] == [
        f"BM-{uscc[-6:]}-1",
        f"FH-{uscc[-6:]}",
    ]
    profile = (await outbox(session, "kunruyi.talent.enterprise.updated"))[-1]["data"]
    assert profile["uscc"] == uscc
    assert profile["platforms"] == ["engineering_center"]
    assert profile["platform_dates"] == {"engineering_center": today.isoformat()}
    assert profile["platform_levels"] == {"engineering_center": "省"}
    assert profile["platform_expiry"] == {"engineering_center": (today + timedelta(days=3 * 365)).isoformat()}

    # yearly reviews: 合格 keeps it; a failed one ends it (event, profile without it)
    async with client(KJJ) as c:
        ok = await c.post(f"/api/v1/platforms/{p['id']}/reviews", json={"year": today.year, "result": "合格"})
        assert ok.status_code == 201, ok.text
        assert ok.json()["last_review"]["result"] == "合格" and ok.json()["status"] == "held"
    failed_pid = await _failed_review_on_a_second_platform(client, uscc, today)
    failed = await outbox(session, "kunruyi.talent.platform.review_failed")
    assert failed[-1]["data"]["platform_id"] == failed_pid and failed[-1]["data"]["year"] == today.year
    profile = (await outbox(session, "kunruyi.talent.enterprise.updated"))[-1]["data"]
    assert "postdoc_station" not in profile["platforms"]
    assert "postdoc_station" not in profile["platform_dates"]
    assert profile["platforms"] == ["engineering_center"]


async def _failed_review_on_a_second_platform(client, uscc: str, today: date) -> str:  # type: ignore[no-untyped-def]
    async with client(RSJ) as c:
        made = await c.post(
            "/api/v1/platforms",
            json=platform(
                uscc,
                kind="postdoc_station",
                level="国家",
                recognized_on=date(today.year - 2, 5, 1).isoformat(),
                expires_on=None,
                issuing_body="人力资源社会保障部",
                certificate_number=f"BSH-{uscc[-6:]}",
            ),
        )
        assert made.status_code == 201, made.text
        pid = made.json()["id"]
        bad = await c.post(
            f"/api/v1/platforms/{pid}/reviews",
            json={"year": today.year, "result": "不合格", "note": "未开展工作"},
        )
        assert bad.status_code == 201, bad.text
        assert bad.json()["status"] == "revoked" and bad.json()["status_name"] == "考核不合格"
        again = await c.post(
            f"/api/v1/platforms/{pid}/reviews", json={"year": today.year - 1, "result": "合格"}
        )
        assert again.status_code == 409 and again.json()["code"] == "platform_revoked"
    return str(pid)


async def test_bad_input_is_refused_and_writes_nothing(client, session) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(9102)
    today = local_today()
    async with client(KJJ) as c:
        made = await c.post(
            "/api/v1/enterprises", json={"uscc": uscc, "name": "平台校验有限公司", "district": "玉山"}
        )
        assert made.status_code == 201
        first = await c.post("/api/v1/platforms", json=platform(uscc, certificate_number="DUP-0001"))
        assert first.status_code == 201, first.text
        pid = first.json()["id"]
        platforms_before = await count(session, "platforms")
        events_before = await count(session, "outbox_events")
        cases = [
            (
                platform(uscc, recognized_on="2025-05-01", expires_on="2024-05-01", certificate_number="X-1"),
                422,
                "recognition_after_expiry",
                "expires_on",
            ),
            (platform(uscc, certificate_number="DUP-0001"), 409, "certificate_exists", "certificate_number"),
            (platform(uscc, kind="火箭发射场", certificate_number="X-2"), 422, None, "kind"),
            (platform(uscc, level="区级", certificate_number="X-3"), 422, "unknown_platform_level", "level"),
            (
                platform(
                    uscc, recognized_on=(today + timedelta(days=2)).isoformat(), certificate_number="X-4"
                ),
                422,
                "recognition_in_future",
                "recognized_on",
            ),
        ]
        for body, status, code, field in cases:
            r = await c.post("/api/v1/platforms", json=body)
            assert r.status_code == status, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            problem = r.json()
            if code:
                assert problem["code"] == code
            assert field in r.text
        ok = await c.post(f"/api/v1/platforms/{pid}/reviews", json={"year": today.year, "result": "优秀"})
        assert ok.status_code == 201
        reviews_before = await count(session, "platform_reviews")
        twice = await c.post(f"/api/v1/platforms/{pid}/reviews", json={"year": today.year, "result": "合格"})
        assert twice.status_code == 409 and twice.json()["code"] == "review_year_exists"
        early = await c.post(
            f"/api/v1/platforms/{pid}/reviews", json={"year": today.year - 1, "result": "合格"}
        )
        assert early.status_code == 422 and early.json()["code"] == "review_before_recognition"
        assert "year" in early.text
        odd = await c.post(f"/api/v1/platforms/{pid}/reviews", json={"year": today.year, "result": "良好"})
        assert odd.status_code == 422 and "result" in odd.text
        assert (await c.get("/api/v1/platforms", params={"level": "区"})).status_code == 422
    # another department's officer: 403, nothing written
    async with client(RSJ) as c:
        other = await c.post("/api/v1/platforms", json=platform(uscc, certificate_number="X-5"))
        assert other.status_code == 403 and other.json()["code"] == "other_department"
        other_review = await c.post(
            f"/api/v1/platforms/{pid}/reviews", json={"year": today.year, "result": "合格"}
        )
        assert other_review.status_code == 403
    async with client(READER) as c:
        assert (await c.get(f"/api/v1/platforms/{pid}")).status_code == 200
        assert (
            await c.post("/api/v1/platforms", json=platform(uscc, certificate_number="X-6"))
        ).status_code == 403
    assert await count(session, "platforms") == platforms_before
    assert await count(session, "platform_reviews") == reviews_before
    assert await count(session, "outbox_events") == events_before


def test_the_list_filter_offers_every_taxonomy_kind() -> None:
    from typing import get_args

    from kunruyi_common.taxonomy import TAXONOMY
    from kunruyi_talent.platforms.schemas import KindCode

    assert set(get_args(KindCode)) == set(TAXONOMY.platform_kinds.codes())
