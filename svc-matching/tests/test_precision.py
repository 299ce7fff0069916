"""Precision of matching: the domain thesaurus, whole domain terms, generic words, the chain as a bounded prior."""

import importlib.util
import sys
from importlib import resources
from pathlib import Path

import pytest
from kunruyi_matching.search.engine import MatchContext, Ranked, rank
from kunruyi_matching.search.index import IndexDoc, SupplyIndex
from kunruyi_matching.synthetic.profiles import load_profiles
from kunruyi_matching.text.segmenter import (
    analyse_query,
    generic_terms,
    index_tokens,
    parse_thesaurus,
    segment,
    thesaurus,
)

# A filler corpus so corpus statistics (a word in more than a fifth of the documents) behave as in production.
FILLER = [
    "数控机床主轴热变形补偿",
    "高分子材料注塑成型",
    "锂离子电池正极材料包覆",
    "抗体药物细胞培养工艺",
    "工业互联网设备联网",
    "光伏组件可靠性测试",
    "射频芯片功率放大器",
    "自动驾驶决策规划算法",
]


def _index(docs: dict[str, str], chains: dict[str, str] | None = None) -> SupplyIndex:
    chains = chains or {}
    items = [
        IndexDoc.make(k, "expert", index_tokens(v), industry_chain=chains.get(k)) for k, v in docs.items()
    ]
    items += [IndexDoc.make(f"filler-{i}", "expert", index_tokens(t)) for i, t in enumerate(FILLER * 8)]
    return SupplyIndex.build(["expert"], items)


def _rank(docs: dict[str, str], query: str, **kw: object) -> list[Ranked]:
    chains = kw.pop("chains", None)
    return rank(_index(docs, chains), "expert", query, **kw)  # type: ignore[arg-type]


def _ids(ranked: list[Ranked]) -> list[str]:
    return [r.id for r in ranked if not r.id.startswith("filler-")]


def test_the_thesaurus_file_is_well_formed() -> None:
    lines = [
        line.strip()
        for line in resources.files("kunruyi_matching.text")
        .joinpath("thesaurus.txt")
        .read_text("utf-8")
        .splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parsed = parse_thesaurus(lines)
    assert len(parsed.canonical_of) > 150
    seen: dict[str, str] = {}
    for line in lines:
        mark, _, rest = line.partition(" ")
        terms = [t.strip().lower() for t in rest.split("|")]
        if mark != "=":
            continue
        # A canonical is a Chinese term the segmenter keeps whole; a variant names one concept only.
        assert segment(terms[0]) == [terms[0]], terms[0]
        for variant in terms:
            assert seen.setdefault(variant, terms[0]) == terms[0], f"{variant} in two groups"
    with pytest.raises(ValueError):
        parse_thesaurus(["微型发光二极管 | micro led"])


@pytest.mark.parametrize(
    ("profile", "demand", "term"),
    [
        ("Micro LED巨量转移与坏点修复", "微型发光二极管显示的巨量转移良率", "微型发光二极管"),
        ("微型发光二极管外延与芯片", "MicroLED芯片外延", "微型发光二极管"),
        ("扇出型晶圆级封装的塑封翘曲控制", "FOWLP翘曲问题", "扇出型晶圆级封装"),
        ("Fan-out WLP 重布线层工艺", "扇出型晶圆级封装细线宽", "扇出型晶圆级封装"),
        ("准分子激光剥离(LLO)工艺", "柔性基板激光剥离不良", "激光剥离"),
        ("化学机械抛光装备与铜互连工艺", "铜CMP碟形凹陷", "化学机械抛光"),
        ("GalNAc偶联siRNA肝靶向递送", "N-乙酰半乳糖胺配体偶联", "乙酰半乳糖胺"),
    ],
)
def test_synonyms_and_abbreviations_match(profile: str, demand: str, term: str) -> None:
    ranked = _rank({"hit": profile, "other": "碳化硅陶瓷烧结"}, demand)
    assert _ids(ranked)[:1] == ["hit"], ranked
    assert term in ranked[0].matched_terms
    assert any(term in reason for reason in ranked[0].reasons)


@pytest.mark.parametrize(
    ("demand", "trap", "right"),
    [
        ("PEM电解槽寿命衰减", "氧化物固态电解质与界面阻抗", "碱性电解槽电极与隔膜"),
        ("贵金属催化剂回收", "锂金属负极枝晶抑制", "铂铱贵金属催化剂制备与回收"),
        ("无人机机臂复合材料", "人机交互与语音交互", "多旋翼无人机结构设计"),
        ("无人机机臂复合材料", "无人零售场景感知", "多旋翼无人机结构设计"),
        ("协作机器人关节减速器", "机器学习理论与推荐系统", "协作机器人力控"),
    ],
)
def test_sub_words_of_domain_terms_never_match(demand: str, trap: str, right: str) -> None:
    ranked = _rank({"trap": trap, "right": right}, demand)
    ids = _ids(ranked)
    assert ids[:1] == ["right"] and "trap" not in ids, ranked
    for term in ("电解", "金属", "无人", "人机", "机器"):
        assert term not in ranked[0].matched_terms


def test_generic_words_are_never_evidence_nor_reasons() -> None:
    docs = {
        "generic": "昆山某公司专家团队，拥有多项专利，工艺经验丰富，生物领域研发",
        "right": "质子交换膜电解水制氢，低铱催化剂与膜电极",
    }
    ranked = _rank(docs, "昆山企业求专家团队：PEM电解水制氢工艺，可专利合作，生物")
    assert _ids(ranked) == ["right"], ranked
    generic = generic_terms()
    for r in ranked:
        assert not generic & set(r.matched_terms), r.matched_terms
        for reason in r.reasons:
            if reason.startswith("匹配关键词："):
                assert not generic & set(reason.removeprefix("匹配关键词：").split("、")), reason
    # Only generic words: nothing to match on at all.
    assert _ids(_rank(docs, "昆山专家团队 工艺 专利 生物")) == []


def test_a_word_in_most_documents_is_no_evidence() -> None:
    # 材料 is in a fifth of the filler corpus here? No: it is in every one of these extra documents.
    docs = {f"common-{i}": f"材料 {t}" for i, t in enumerate(FILLER * 4)} | {"right": "石墨烯导热膜材料"}
    ranked = _rank(docs, "石墨烯导热材料")
    assert ranked[0].id == "right"
    assert "材料" not in ranked[0].matched_terms


def test_the_chain_is_a_bounded_prior_and_another_chain_can_win() -> None:
    docs = {
        "same_chain": "多旋翼无人机飞控系统与姿态估计算法",
        "other_chain": "碳纤维复合材料铺层设计与成型，无人机机臂分层与冲击损伤",
    }
    chains = {"same_chain": "commercial_aerospace", "other_chain": "new_materials"}
    ranked = _rank(
        docs,
        "碳纤维无人机机臂分层开裂，需要铺层设计和成型方案",
        context=MatchContext("commercial_aerospace", "aerospace"),
        chains=chains,
    )
    assert _ids(ranked)[:2] == ["other_chain", "same_chain"], ranked
    assert any(reason.startswith("跨产业链：新材料") for reason in ranked[0].reasons)
    assert all(r.signals["prior"] <= 1.3 for r in ranked)
    assert any("同属产业链" in reason for reason in ranked[1].reasons)


def test_query_analysis_keeps_domain_terms_whole_and_sub_words_weak() -> None:
    q = analyse_query("碱性电解槽的抗冲击，贵金属和无人机、机器人")
    for term in ("碱性电解槽", "贵金属", "无人机", "机器人"):
        assert term in q.strong
    # The broader domain term inside a domain term is a weak signal: 碱性电解槽 → 电解槽.
    assert "电解槽" in q.weak
    for piece in ("电解", "金属", "无人", "人机", "机器"):
        assert piece not in q.strong and piece not in q.weak
    # A word that is no domain term may contribute its sub-words, weakly.
    assert "抗冲击" in q.strong and "冲击" in q.weak
    assert "电解水制氢" in q.related
    assert thesaurus().canonicals_in("FOWLP", ["fowlp"]) == ["扇出型晶圆级封装"]


def test_the_engine_beats_plain_bm25_on_the_judged_set() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "matching" / "judged_eval.py"
    spec = importlib.util.spec_from_file_location("judged_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["judged_eval"] = module
    spec.loader.exec_module(module)
    result = module.main([])
    systems = result["systems"]
    assert result["demands"] >= 60 and result["corpus"] >= 180
    assert systems["engine"]["ndcg10"] > systems["bm25"]["ndcg10"]
    assert systems["engine"]["ndcg10"] >= 0.85


def test_the_seeded_profiles_are_the_judged_corpus() -> None:
    bench = Path(__file__).resolve().parents[2] / "bench" / "matching" / "judged" / "supply.psv"
    package = resources.files("kunruyi_matching.synthetic").joinpath("profiles.psv").read_text("utf-8")
    assert package == bench.read_text("utf-8"), "edit bench/matching/judged/supply.psv and copy it over"
    profiles = load_profiles()
    assert len(profiles) >= 200 and {p.kind for p in profiles} == {"expert", "institute"}
    assert all(p.natural_key.startswith("profile-") and p.industry_chain and p.summary for p in profiles)
