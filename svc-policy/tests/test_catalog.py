from kunruyi_launcher.testing import staff


async def test_reference_data_lists_15_departments_10_categories_and_27_themes(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        departments = (await c.get("/api/v1/departments")).json()["items"]
        categories = (await c.get("/api/v1/policy-categories")).json()["items"]
        themes = (await c.get("/api/v1/policy-themes")).json()["items"]
    assert len(departments) == 15 and {"市委人才办", "税务局", "科创发展服务中心"} <= {
        d["name"] for d in departments
    }
    assert len(categories) == 10
    assert len(themes) == 27 and sum(len(c["themes"]) for c in categories) == 27


async def test_demo_catalog_has_463_items_with_120_automatic(client) -> None:  # type: ignore[no-untyped-def]
    codes, automatic, cursor = [], 0, None
    async with client() as c:
        while True:
            page = (
                await c.get(
                    "/api/v1/policies", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
                )
            ).json()
            codes += [p["code"] for p in page["items"]]
            automatic += sum(p["mode"] == "automatic" for p in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert len(codes) == len(set(codes)) >= 463
    assert automatic >= 120


def test_no_more_than_three_demo_items_share_a_template() -> None:
    """The demo catalog is written per topic: at most three items (levels of an award told apart only by a
    reviewer's confirmation) have the same conditions and amount formula."""
    import json
    from collections import Counter

    from kunruyi_policy.demo.catalog import demo_catalog

    shapes = Counter(
        json.dumps([[c.get("rule") for c in i["criteria"]], i["amount"]], sort_keys=True, ensure_ascii=False)
        for i in demo_catalog()
    )
    assert {shape: n for shape, n in shapes.items() if n > 3} == {}


def test_a_template_shared_by_four_items_is_caught() -> None:
    """The check above fails on filler: the same conditions and amount under four titles."""
    import json
    from collections import Counter

    from kunruyi_policy.demo.catalog import demo_catalog

    filler = demo_catalog()[:1] * 4
    shapes = Counter(
        json.dumps([[c.get("rule") for c in i["criteria"]], i["amount"]], sort_keys=True, ensure_ascii=False)
        for i in filler
    )
    assert max(shapes.values()) == 4


def test_every_department_and_theme_has_items_and_every_item_a_document() -> None:
    from kunruyi_policy.catalog.taxonomy import CATEGORIES, DEPARTMENTS
    from kunruyi_policy.demo.catalog import demo_catalog
    from kunruyi_policy.demo.documents import DOCUMENTS

    catalog = demo_catalog()
    documents = {code: number for code, number, *_ in DOCUMENTS}
    assert len(catalog) >= 463 and sum(i["mode"] == "automatic" for i in catalog) >= 120
    assert {code for code, _ in DEPARTMENTS} == {i["department_code"] for i in catalog}
    themes = {theme for _, _, ts in CATEGORIES for theme, _ in ts}
    assert themes == {i["theme_code"] for i in catalog}
    for i in catalog:
        assert documents[i["document_code"]] == i["legal_source"], i["code"]
    # every department writes more than a token item or two
    per_department = {code: sum(i["department_code"] == code for i in catalog) for code, _ in DEPARTMENTS}
    assert min(per_department.values()) >= 8, per_department


def test_every_demo_rule_validates() -> None:
    from kunruyi_policy.demo.catalog import demo_catalog
    from kunruyi_policy.rules.validation import validate_version

    problems = {
        i["code"]: [p.public() for p in issues]
        for i in demo_catalog()
        if (
            issues := validate_version(
                i["beneficiary"],
                i["criteria"],
                i["amount"],
                i["parameters"],
                mode=i["mode"],
                amount_cap_fen=i["amount_cap_fen"],
            )
        )
    }
    assert problems == {}


def test_yearly_awards_for_a_status_are_tied_to_the_period() -> None:
    """An automatic enterprise item never pays for merely holding a status: it reads the period's new (or
    renewed) qualifications and platforms, or a yearly figure (研发费用, 利息, 应纳税所得额 …) it pays on."""
    import json

    from kunruyi_policy.demo.catalog import demo_catalog

    figures = ("_fen", "_ratio", "new_invention_patents", "trainees", "employees", "export_growth")
    for i in demo_catalog():
        if i["mode"] != "automatic" or i["beneficiary"] != "enterprise":
            continue
        text = json.dumps([[c.get("rule") for c in i["criteria"]], i["amount"]])
        period = "new_qualifications" in text or "new_platforms" in text or "renewed_qualifications" in text
        assert period or any(f in text for f in figures), i["code"]


def test_demo_groups_are_sound() -> None:
    """An exclusion group's tiers share one beneficiary and mode (so the calculator and the 免申即享 run see the
    same group), and a non-cash measure pays nothing."""
    from kunruyi_policy.demo.catalog import DEMO_GROUPS, demo_catalog

    catalog = demo_catalog()
    groups: dict[str, set[tuple[str, str]]] = {}
    for i in catalog:
        if i["exclusion_group"]:
            groups.setdefault(i["exclusion_group"], set()).add((i["beneficiary"], i["mode"] == "automatic"))
        if i["benefit_kind"] in ("land", "service"):
            assert i["amount"] == 0, i["code"]
    assert groups and all(len(kinds) == 1 for kinds in groups.values()), groups
    # a stacking cap is shared by items the 免申即享 run and the calculator both settle: all automatic or none
    stacked: dict[str, set[bool]] = {}
    for i in catalog:
        if i["stacking_group"]:
            stacked.setdefault(i["stacking_group"], set()).add(i["mode"] == "automatic")
    assert all(len(kinds) == 1 for kinds in stacked.values()), stacked
    stacking = {code for code, _, _ in DEMO_GROUPS}
    assert {i["stacking_group"] for i in catalog if i["stacking_group"]} <= stacking
    # 研发费用加计扣除 is the tax bureau's tax measure, 产业用地保障 is land
    by_title = {i["title"]: i for i in catalog}
    assert (
        by_title["研发费用加计扣除"]["benefit_kind"] == "tax"
        and by_title["研发费用加计扣除"]["department_code"] == "tax"
    )
    assert by_title["产业用地保障"]["benefit_kind"] == "land"


async def test_filters_combine_and_accept_chinese_names(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        page = (
            await c.get(
                "/api/v1/policies", params={"department": "人社局", "mode": "automatic", "limit": 100}
            )
        ).json()
        relief = (await c.get("/api/v1/policies", params={"type": "减免", "limit": 100})).json()["items"]
        tagged = (
            await c.get("/api/v1/policies", params={"tag": "专精特新", "beneficiary": "enterprise"})
        ).json()
        bad = await c.get("/api/v1/policies", params={"mode": "sometimes"})
    assert page["items"]
    assert all(p["department"] == "人社局" and p["mode"] == "automatic" for p in page["items"])
    assert relief and all(p["policy_type"] == "减免" for p in relief)
    assert {p["code"] for p in tagged["items"]} == {"KS-GX-001", "KS-GX-002"}
    assert bad.status_code == 422 and bad.json()["field"] == "query.mode"


async def test_chinese_search_ranks_the_matching_items_first(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        page = (await c.get("/api/v1/policies", params={"q": "专精特新小巨人奖励", "limit": 3})).json()
        none = (await c.get("/api/v1/policies", params={"q": "深海潜水艇"})).json()
        postdoc = (await c.get("/api/v1/policies", params={"q": "博士后工作站", "limit": 1})).json()
    assert page["items"][0]["code"] == "KS-GX-002"
    assert page["items"][0]["score"] >= page["items"][1]["score"]
    assert none["items"] == [] and none["next_cursor"] is None
    assert postdoc["items"][0]["code"] == "KS-RS-001"


async def test_search_pages_with_a_cursor_without_repeats(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        first = (await c.get("/api/v1/policies", params={"q": "高新技术企业", "limit": 5})).json()
        second = (
            await c.get(
                "/api/v1/policies", params={"q": "高新技术企业", "limit": 5, "cursor": first["next_cursor"]}
            )
        ).json()
        bad = await c.get("/api/v1/policies", params={"cursor": "%%%"})
    assert not {p["code"] for p in first["items"]} & {p["code"] for p in second["items"]}
    assert (
        bad.status_code == 422
        and bad.json()["code"] == "invalid_cursor"
        and bad.json()["field"] == "query.cursor"
    )


async def test_policy_detail_has_every_catalog_field_and_the_rules_in_force(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        body = (await c.get("/api/v1/policies/KS-KJ-005")).json()
        missing = await c.get("/api/v1/policies/NOPE-1")
    for field in (
        "legal_source",
        "department",
        "category",
        "theme",
        "policy_type",
        "beneficiary",
        "mode",
        "target_description",
        "conditions_text",
        "payout_days",
        "annual_budget_fen",
        "status",
        "valid_from",
        "valid_to",
        "tags",
    ):
        assert field in body
    assert body["is_demo"] is True and "演示数据" in body["tags"]
    assert body["rules"]["parameters"]["min_rd_ratio"]["values"][1]["reference"]
    assert missing.status_code == 404 and missing.json()["code"] == "policy_not_found"


async def test_drafts_are_hidden_from_the_public(client) -> None:  # type: ignore[no-untyped-def]
    new = {
        "code": "KS-KJ-900",
        "title": "测试草稿政策",
        "legal_source": "昆科规〔2026〕1号",
        "department_code": "sci_tech",
        "theme_code": "innovation_rd",
        "policy_type": "奖补",
        "beneficiary": "enterprise",
        "mode": "application",
        "valid_from": "2026-01-01",
    }
    async with client(staff("officer", department="科技局")) as c:
        assert (await c.post("/api/v1/policies", json=new)).status_code == 201
    async with client() as c:
        assert (await c.get("/api/v1/policies/KS-KJ-900")).status_code == 404
        assert (await c.get("/api/v1/policies", params={"status": "draft"})).json()["items"] == []


async def test_a_policy_past_its_validity_reads_as_expired(client) -> None:  # type: ignore[no-untyped-def]
    body = {"criteria": [], "amount": 100}
    async with client(staff("officer", department="科技局")) as c:
        new = {
            "code": "KS-KJ-901",
            "title": "已到期的测试政策",
            "legal_source": "昆科规〔2020〕1号",
            "department_code": "sci_tech",
            "theme_code": "innovation_rd",
            "policy_type": "奖补",
            "beneficiary": "enterprise",
            "mode": "application",
            "valid_from": "2020-01-01",
            "valid_to": "2021-12-31",
        }
        await c.post("/api/v1/policies", json=new)
        await c.put("/api/v1/policies/KS-KJ-901/draft", json=body)
        await c.post("/api/v1/policies/KS-KJ-901/publish", json={"effective_from": "2020-01-01"})
        expired = (await c.get("/api/v1/policies", params={"status": "expired"})).json()["items"]
        published = (await c.get("/api/v1/policies", params={"status": "published", "limit": 200})).json()[
            "items"
        ]
        in_2021 = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={
                    "profile": {},
                    "beneficiary": "enterprise",
                    "evaluation_date": "2021-06-01",
                    "policy_codes": ["KS-KJ-901"],
                },
            )
        ).json()
        today = (
            await c.post(
                "/api/v1/policy-calculator?detail=full",
                json={"profile": {}, "beneficiary": "enterprise", "policy_codes": ["KS-KJ-901"]},
            )
        ).json()
    assert [p["code"] for p in expired] == ["KS-KJ-901"] and expired[0]["status"] == "expired"
    assert "KS-KJ-901" not in {p["code"] for p in published}
    assert in_2021["results"][0]["status"] == "eligible" and today["results"] == []
