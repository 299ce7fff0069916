"""GET /api/v1/supply: facets (kind, chain, field, region) filtered and counted, cursor pages that neither repeat nor
skip, free text ranked by the engine; GET /api/v1/supply/{id} with every attribute; bad input is a 422 naming the
field."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

from kunruyi_launcher.testing import partner, staff
from kunruyi_matching.supply.models import SupplyEntity
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

CHAINS = ("new_energy", "semiconductor", "smart_manufacturing", None)
FIELDS = ("solid_state_battery", None, None, None)
KINDS = ("expert", "institute", "result", "park", "company")


def corpus(region: str, n: int = 23) -> list[dict[str, Any]]:
    """``n`` suppliers in a region of the test's own, every kind and several chains; every third one about
    固态电池 (solid-state batteries), the rest about 伺服电机 (servo motors)."""
    rng = random.Random(region)
    rows = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        topic = "硫化物固态电池电解质" if i % 3 == 0 else "伺服电机高精度位置控制"
        rows.append(
            {
                "kind": kind,
                "natural_key": make_uscc(rng) if kind == "company" else f"{region}-{i}",
                "name": f"{topic}{kind}{i}",
                "summary": f"{topic}方向，第 {i} 号",
                "industry_chain": CHAINS[i % len(CHAINS)],
                "technical_field": FIELDS[i % len(FIELDS)] if kind != "company" else None,
                "maturity": 5 if kind == "result" else None,
                "region": region,
            }
        )
    return rows


async def load(c: Any, rows: list[dict[str, Any]]) -> dict[str, str]:
    ids = {}
    for body in rows:
        r = await c.post("/api/v1/supply", json=body)
        assert r.status_code == 201, r.text
        ids[r.json()["id"]] = body["natural_key"]
    return ids


async def every_page(c: Any, params: dict[str, Any], limit: int) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        page = (await c.get("/api/v1/supply", params={**params, "limit": limit, "cursor": cursor})).json()
        pages.append(page)
        assert len(page["items"]) <= limit
        seen.extend(i["supply"]["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_pages_cover_every_match_once_with_and_without_free_text(client) -> None:  # type: ignore[no-untyped-def]
    region = f"测试{uuid.uuid4().hex[:6]}"
    async with client(staff("broker")) as c:
        ids = await load(c, corpus(region))  # id → natural key
        seen, pages = await every_page(c, {"region": region}, limit=5)
        assert len(seen) == len(set(seen)) == 23  # no duplicates
        assert set(seen) == set(ids)  # nothing missing
        assert len(pages) == 5 and all(p["total"] == 23 for p in pages)

        # Free text: the engine's order, paged by offset; the pages together are the one long list.
        one = (await c.get("/api/v1/supply", params={"region": region, "q": "固态电池", "limit": 100})).json()
        # About 固态电池 by name, or filed under the field 固态电池 (its name is searchable text).
        battery = {
            r["natural_key"]
            for r in corpus(region)
            if "固态电池" in r["name"] or r["technical_field"] == "solid_state_battery"
        }
        assert one["next_cursor"] is None and one["total"] == len(battery) == 11
        assert {ids[i["supply"]["id"]] for i in one["items"]} == battery
        assert all(i["score"] is not None and i["reasons"] for i in one["items"])
        scores = [i["score"] for i in one["items"]]
        assert scores == sorted(scores, reverse=True)
        paged, _ = await every_page(c, {"region": region, "q": "固态电池"}, limit=3)
        assert paged == [i["supply"]["id"] for i in one["items"]]


async def test_facet_counts_equal_a_count_of_the_rows(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    region = f"测试{uuid.uuid4().hex[:6]}"
    async with client(staff("officer")) as c:
        await load(c, corpus(region))
        rows = (await session.execute(select(SupplyEntity))).scalars().all()

        def counted(attribute: str, keep: Any) -> dict[str, int]:
            values = Counter(getattr(r, attribute) for r in rows if keep(r))
            return {v: n for v, n in values.items() if v is not None}

        def facet(page: dict[str, Any], name: str) -> dict[str, int]:
            return {f["value"]: f["count"] for f in page["facets"][name]}

        params = {"region": region, "kind": ["expert", "result"], "industry_chain": "新能源"}
        page = (await c.get("/api/v1/supply", params=params)).json()
        in_region = lambda r: r.region == region  # noqa: E731
        chosen_kinds = lambda r: r.kind in ("expert", "result")  # noqa: E731
        new_energy = lambda r: r.industry_chain == "new_energy"  # noqa: E731
        # Each facet: every other facet's filter, not its own.
        assert facet(page, "kind") == counted("kind", lambda r: in_region(r) and new_energy(r))
        assert facet(page, "industry_chain") == counted(
            "industry_chain", lambda r: in_region(r) and chosen_kinds(r)
        )
        assert facet(page, "technical_field") == counted(
            "technical_field", lambda r: in_region(r) and chosen_kinds(r) and new_energy(r)
        )
        assert facet(page, "region") == counted("region", lambda r: chosen_kinds(r) and new_energy(r))
        expected = [r for r in rows if in_region(r) and chosen_kinds(r) and new_energy(r)]
        assert page["total"] == len(expected) == len(page["items"]) > 0
        assert {f["name"] for f in page["facets"]["industry_chain"]} >= {"新能源"}
        assert {f["value"]: f["name"] for f in page["facets"]["kind"]}["expert"] == "专家"

        # With free text the counts are over the engine's matches.
        ranked = (await c.get("/api/v1/supply", params={"region": region, "q": "伺服电机"})).json()
        servo = lambda r: in_region(r) and "伺服电机" in r.name  # noqa: E731
        assert facet(ranked, "kind") == counted("kind", servo)
        assert facet(ranked, "industry_chain") == counted("industry_chain", servo)
        assert ranked["total"] == sum(1 for r in rows if servo(r)) == 15


async def test_detail_has_every_attribute_and_the_part_of_its_kind(client) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(random.Random(7))
    async with client(staff("officer")) as c:
        bodies = [
            {
                "kind": "expert",
                "natural_key": "detail-expert",
                "name": "周教授",
                "summary": "碳纤维复合材料",
                "attributes": {
                    "title": "教授",
                    "talent_programs": ["双创人才"],
                    "keywords": ["碳纤维"],
                    "research_lines": ["热塑性复合材料成型"],
                },
            },
            {
                "kind": "result",
                "natural_key": "CN-detail-1",
                "name": "一种伺服电机的位置控制方法",
                "ipc_class": "G05B 19/19",
                "maturity": 6,
                "attributes": {"patent_type": "发明", "holder": "苏州某大学"},
            },
            {
                "kind": "company",
                "natural_key": uscc,
                "name": "昆山某精密机械有限公司",
                "industry_chain": "智能制造",
                "attributes": {"qualifications": [{"code": "high_tech", "name": "高新技术企业"}]},
            },
            {"kind": "park", "natural_key": "park-1", "name": "昆山某科技园", "attributes": {"area_mu": 300}},
        ]
        ids = [(await c.post("/api/v1/supply", json=b)).json()["id"] for b in bodies]
    async with client(partner("matching:read")) as c:
        expert, result, company, park = [(await c.get(f"/api/v1/supply/{i}")).json() for i in ids]
    assert expert["attributes"]["research_lines"] == ["热塑性复合材料成型"]
    assert expert["expert"]["title"] == "教授" and expert["company"] is None
    assert result["ipc_class"] == "G05B 19/19" and result["maturity"] == 6
    assert result["attributes"] == {"patent_type": "发明", "holder": "苏州某大学"}
    assert result["expert"] is None and result["company"] is None
    assert company["company"]["uscc"] == uscc
    assert company["company"]["qualifications"] == [{"code": "high_tech", "name": "高新技术企业"}]
    assert park["attributes"] == {"area_mu": 300} and park["version"] == 1


async def test_bad_input_is_a_422_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("broker")) as c:
        await load(c, corpus(f"测试{uuid.uuid4().hex[:6]}", n=6))
        keyset = (await c.get("/api/v1/supply", params={"limit": 1})).json()["next_cursor"]
        offset = (await c.get("/api/v1/supply", params={"limit": 1, "q": "伺服电机"})).json()["next_cursor"]
        assert keyset and offset
        cases = [
            ({"cursor": "not-a-cursor"}, "invalid_cursor", "query.cursor"),
            ({"cursor": offset}, "invalid_cursor", "query.cursor"),  # a ranked cursor on the plain list
            ({"cursor": keyset, "q": "伺服电机"}, "invalid_cursor", "query.cursor"),
            ({"industry_chain": "造船"}, "unknown_industry_chain", "query.industry_chain"),
            ({"technical_field": "炼金术"}, "unknown_technical_field", "query.technical_field"),
            ({"kind": "robot"}, "validation_error", "query.kind.0"),
            ({"limit": 0}, "validation_error", "query.limit"),
            ({"region": "x" * 40}, "validation_error", "query.region.0"),
        ]
        for params, code, field in cases:
            r = await c.get("/api/v1/supply", params=params)
            assert r.status_code == 422, (params, r.text)
            assert (r.json()["code"], r.json()["field"]) == (code, field), params
        bad_company = {"kind": "company", "natural_key": "not-a-uscc", "name": "某公司"}
        r = await c.post("/api/v1/supply", json=bad_company)
        assert r.status_code == 422
        missing = await c.get(f"/api/v1/supply/{uuid.uuid4()}")
        assert missing.status_code == 404 and missing.json()["code"] == "supply_not_found"
        # Names and codes are both accepted for a facet.
        named = await c.get(
            "/api/v1/supply", params={"industry_chain": "新能源", "technical_field": "固态电池"}
        )
        assert named.status_code == 200


async def test_a_staff_member_without_a_supply_role_cannot_search(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("finance")) as c:
        assert (await c.get("/api/v1/supply")).status_code == 403
