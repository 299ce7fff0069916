"""Segmentation keeps domain terms whole; ranking prefers the whole term and explains itself; the delta index."""

import random

from kunruyi_launcher.testing import staff
from kunruyi_matching.search.engine import MatchContext, rank
from kunruyi_matching.search.index import Filters, IndexDoc, SupplyIndex
from kunruyi_matching.synthetic.identifiers import make_uscc
from kunruyi_matching.taxonomy import TECHNICAL_FIELDS
from kunruyi_matching.text.segmenter import domain_terms, index_tokens, segment


def test_domain_terms_stay_whole() -> None:
    tokens = segment("我们需要小核酸递送、先进封装和集成电路方面的专家，研究智能网联汽车的光电显示与固态电池")
    for term in ["小核酸", "先进封装", "集成电路", "智能网联汽车", "光电显示", "固态电池"]:
        assert term in tokens, (term, tokens)
    # Whole means not also split: precise mode never yields the pieces of a dictionary term.
    assert "封装" not in tokens and "电池" not in tokens and "汽车" not in tokens


def test_every_taxonomy_keyword_is_in_the_dictionary_and_survives_segmentation() -> None:
    terms = set(domain_terms())
    for field in TECHNICAL_FIELDS:
        for keyword in field.keywords:
            assert keyword in terms, keyword
            assert keyword.lower() in segment(f"关于{keyword}的合作"), keyword


def test_search_tokens_add_sub_words_after_the_whole_term() -> None:
    assert index_tokens("先进封装")[-1] == "先进封装"
    assert {"先进", "封装"} <= set(index_tokens("先进封装"))


def test_delta_documents_are_found_and_merge_keeps_them() -> None:
    index = SupplyIndex.build(["expert"], [IndexDoc.make("a", "expert", index_tokens("锂离子电池 正极材料"))])
    assert [h.id for h in index.search("expert", index_tokens("固态电解质"), Filters(), 10)] == []
    index.upsert(IndexDoc.make("b", "expert", index_tokens("固态电解质 界面"), industry_chain="new_energy"))
    assert [h.id for h in index.search("expert", index_tokens("固态电解质"), Filters(), 10)] == ["b"]
    # A newer version replaces the main entry; an older one is ignored.
    index.upsert(IndexDoc.make("a", "expert", index_tokens("固态电解质 硫化物电解质"), version=2))
    assert not index.upsert(IndexDoc.make("a", "expert", index_tokens("无关"), version=1))
    assert index.kinds["expert"].merge() == 2
    hits = index.search("expert", index_tokens("硫化物电解质"), Filters(), 10)
    # "b" shares only the sub-word 电解质.
    assert [h.id for h in hits] == ["a", "b"] and hits[0].bm25 > hits[1].bm25
    filtered = index.search("expert", index_tokens("固态电解质"), Filters(industry_chain="new_energy"), 10)
    assert [h.id for h in filtered] == ["b"]
    assert len(index.kinds["expert"]) == 2


def test_engine_fuses_signals_with_reasons() -> None:
    docs = [
        IndexDoc.make("far", "result", index_tokens("固态电池 电解质 专利"), region="北京"),
        IndexDoc.make(
            "near",
            "result",
            index_tokens("固态电池 电解质 专利"),
            industry_chain="new_energy",
            technical_field="solid_state_battery",
            region="上海",
            maturity=7,
        ),
    ]
    ranked = rank(
        SupplyIndex.build(["result"], docs),
        "result",
        "固态电池电解质",
        context=MatchContext("new_energy", "solid_state_battery"),
    )
    assert [r.id for r in ranked] == ["near", "far"]
    reasons = " ".join(ranked[0].reasons)
    assert "固态电池" in reasons and "新能源" in reasons and "固态电池" in ranked[0].matched_terms
    assert "上海" in reasons and "TRL 7" in reasons


async def test_advanced_packaging_demand_ranks_the_matching_expert_first(client) -> None:  # type: ignore[no-untyped-def]
    experts = [
        {
            "natural_key": "t-packaging",
            "name": "王工",
            "summary": "长期从事先进封装与晶圆级封装工艺研发",
            "region": "苏州",
        },
        {
            "natural_key": "t-food",
            "name": "李工",
            "summary": "食品封装设备与包装机械设计，封装产线改造",
            "region": "苏州",
        },
        {"natural_key": "t-battery", "name": "赵工", "summary": "固态电池电解质", "region": "苏州"},
    ]
    async with client(staff("officer")) as c:
        for e in experts:
            r = await c.post("/api/v1/supply", json={"kind": "expert", **e})
            assert r.status_code == 201, r.text
        demand = (
            await c.post(
                "/api/v1/demands",
                json={
                    "enterprise_uscc": make_uscc(random.Random(7)),
                    "title": "先进封装工艺合作",
                    "description": "寻求先进封装方向的专家合作攻关",
                    "industry_chain": "semiconductor",
                    "technical_field": "advanced_packaging",
                    "demand_type": "技术攻关",
                },
            )
        ).json()
        await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
        r = await c.get(f"/api/v1/demands/{demand['id']}/candidates", params={"kind": "expert"})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        names = [i["supply"]["natural_key"] for i in items]
        # Sharing only 封装 (food packaging), the broader term inside 先进封装, is a weak signal: far below and
        # never a match reason; the generic words of the demand (工艺, 专家, 方向, 攻关) are no evidence at all.
        assert names[0] == "t-packaging" and "t-battery" not in names, names
        assert items[0]["matched_terms"] == ["先进封装"]
        for weak in items[1:]:
            assert weak["matched_terms"] == [] and weak["score"] < 0.5 * items[0]["score"]
        assert any("先进封装" in reason for reason in items[0]["reasons"])
        assert not any(w in " ".join(items[0]["reasons"]) for w in ("专家", "工艺"))


async def test_supply_search_with_filters_and_kinds(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        for body in [
            {
                "kind": "result",
                "natural_key": "CN1",
                "name": "一种硫化物固态电解质及其制备方法",
                "summary": "固态电池用硫化物电解质",
                "ipc_class": "H01M 10/0562",
                "maturity": 6,
                "industry_chain": "新能源",
                "region": "上海",
            },
            {
                "kind": "result",
                "natural_key": "CN2",
                "name": "固态电解质膜",
                "summary": "固态电池隔膜",
                "industry_chain": "new_materials",
                "region": "南京",
            },
            {
                "kind": "institute",
                "natural_key": "INST1",
                "name": "某大学储能研究院",
                "summary": "固态电池 储能系统",
                "industry_chain": "new_energy",
            },
        ]:
            assert (await c.post("/api/v1/supply", json=body)).status_code == 201
        all_results = (
            await c.get("/api/v1/supply/search", params={"q": "固态电池", "kind": "result"})
        ).json()
        assert {i["supply"]["natural_key"] for i in all_results["items"]} == {"CN1", "CN2"}
        cn1 = next(i for i in all_results["items"] if i["supply"]["natural_key"] == "CN1")
        assert cn1["supply"]["technical_field"] == "solid_state_battery"  # derived from the IPC class
        chain = (
            await c.get(
                "/api/v1/supply/search",
                params={"q": "固态电池", "kind": "result", "industry_chain": "新能源"},
            )
        ).json()
        assert [i["supply"]["natural_key"] for i in chain["items"]] == ["CN1"]
        bad = await c.get("/api/v1/supply/search", params={"q": "电池", "industry_chain": "造船"})
        assert bad.status_code == 422 and bad.json()["field"] == "industry_chain"
        inst = (await c.get("/api/v1/supply/search", params={"q": "固态电池", "kind": "institute"})).json()
        assert [i["supply"]["natural_key"] for i in inst["items"]] == ["INST1"]


async def test_a_broker_registers_supply_and_finds_it(client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "kind": "expert",
        "natural_key": "broker-known-1",
        "name": "钱研究员",
        "summary": "光刻胶配方与涂布工艺",
    }
    async with client(staff("broker", subject="b-supply")) as c:
        r = await c.post("/api/v1/supply", json=body)
        assert r.status_code == 201 and r.json()["source"] == "api", r.text
        found = (await c.get("/api/v1/supply/search", params={"q": "光刻胶"})).json()["items"]
        assert [i["supply"]["natural_key"] for i in found] == ["broker-known-1"]
    async with client(staff("reviewer")) as c:
        assert (await c.post("/api/v1/supply", json=body)).status_code == 403
