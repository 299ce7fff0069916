"""Semantic recall: the LSA index learned from the corpus finds an expert who shares no word with the demand."""

import random

import numpy as np
from kunruyi_launcher.testing import staff
from kunruyi_matching.search import semantic
from kunruyi_matching.search.engine import Ranked, RankOptions, rank
from kunruyi_matching.search.index import Filters, IndexDoc, SupplyIndex
from kunruyi_matching.search.semantic import CoarseIndex, SemanticModel
from kunruyi_matching.supply.schemas import SupplyIn
from kunruyi_matching.supply.service import row_values
from kunruyi_matching.synthetic.identifiers import make_uscc
from kunruyi_matching.synthetic.profiles import load_profiles
from kunruyi_matching.text.segmenter import analyse_query, generic_terms, index_tokens

# A coating chemist: no word in common with the demand below; the seeded catheter profiles use 亲水涂层 together
# with 导管, 润滑 and 推送, which is what the semantic index learns.
TARGET = "亲水涂层配方与涂覆工艺，聚乙烯吡咯烷酮表面接枝，涂层牢度与微粒测试"
DEMAND = "导管推起来阻力大，润滑性差"


def _corpus() -> list[IndexDoc]:
    docs = []
    for record in load_profiles():
        if record.kind != "expert":
            continue
        values = row_values(record, "test")
        docs.append(IndexDoc.make(record.natural_key, "expert", values["search_tokens"].split()))
    return docs


def _target() -> IndexDoc:
    return IndexDoc.make("coating-chemist", "expert", index_tokens(TARGET), version=2)


def _find(ranked: list[Ranked], doc_id: str) -> Ranked | None:
    return next((r for r in ranked if r.id == doc_id), None)


def test_the_demand_shares_no_word_with_the_expert() -> None:
    query = analyse_query(DEMAND)
    assert not set(_target().tokens) & {*query.strong, *query.weak, *query.related}


def test_a_cross_vocabulary_demand_finds_the_expert_through_semantic_recall() -> None:
    index = SupplyIndex.build(["expert"], [*_corpus(), _target()])
    found = _find(rank(index, "expert", DEMAND, limit=20), "coating-chemist")
    assert found is not None
    assert found.signals["semantic"] > 0
    assert found.matched_terms == []
    semantic = [r for r in found.reasons if r.startswith("语义相近")]
    assert semantic, found.reasons
    assert "亲水涂层" in semantic[0]
    generic = generic_terms()
    assert not generic & set(semantic[0].removeprefix("语义相近：").split("、")), semantic
    # Without the semantic index the expert is no candidate at all.
    lexical_only = rank(index, "expert", DEMAND, limit=20, options=RankOptions(semantic=False))
    assert _find(lexical_only, "coating-chemist") is None


def test_a_document_added_after_the_build_is_found_semantically_too() -> None:
    index = SupplyIndex.build(["expert"], _corpus())
    assert index.upsert(_target())
    found = _find(rank(index, "expert", DEMAND, limit=20), "coating-chemist")
    assert found is not None and any(r.startswith("语义相近") for r in found.reasons)
    # Filters apply to the semantic list as well.
    filtered = rank(index, "expert", DEMAND, limit=20, filters=Filters(industry_chain="new_materials"))
    assert _find(filtered, "coating-chemist") is None
    # Folded into the main index at the merge, with a refitted model.
    index.kinds["expert"].merge()
    assert _find(rank(index, "expert", DEMAND, limit=20), "coating-chemist") is not None


def test_the_model_is_the_same_whatever_order_the_rows_arrive_in() -> None:
    docs = _corpus()
    forward = SemanticModel.fit([d.tokens for d in docs], [d.id for d in docs])
    backward = SemanticModel.fit([d.tokens for d in reversed(docs)], [d.id for d in reversed(docs)])
    assert forward is not None and backward is not None
    assert forward.vocabulary == backward.vocabulary
    query = analyse_query(DEMAND).strong
    a, b = forward.embed((t, 1.0) for t in query), backward.embed((t, 1.0) for t in query)
    assert a is not None and b is not None
    assert float(a @ b) > 0.999


def test_too_small_a_corpus_has_no_semantic_index() -> None:
    docs = [IndexDoc.make(str(i), "expert", index_tokens(t)) for i, t in enumerate(["亲水涂层", "导管润滑"])]
    index = SupplyIndex.build(["expert"], docs)
    assert index.semantic("expert") is None
    assert [r.id for r in rank(index, "expert", "导管润滑")] == ["1"]


def test_the_coarse_index_finds_the_nearest_documents_whatever_the_row_order() -> None:
    rng = np.random.default_rng(3)
    # Eight topics, 400 documents each, scattered around their topic's direction.
    topics = rng.normal(size=(8, 32))
    vectors = np.concatenate([t + 0.4 * rng.normal(size=(400, 32)) for t in topics]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"doc-{i:05d}" for i in range(len(vectors))]
    coarse = CoarseIndex.build(vectors, ids)
    assert sorted(coarse.order.tolist()) == list(range(len(vectors)))  # every document in exactly one cell
    query = (topics[2] / np.linalg.norm(topics[2])).astype(np.float32)
    exact = set(np.argsort(-(vectors @ query))[:50].tolist())
    found = set(coarse.candidates(query, probes=8).tolist())
    assert len(exact & found) >= 45
    # The same rows in another order: the same cells, so the same candidates.
    perm = rng.permutation(len(vectors))
    shuffled = CoarseIndex.build(vectors[perm], [ids[i] for i in perm])
    assert {ids[perm[i]] for i in shuffled.candidates(query, probes=8)} == {ids[i] for i in found}


def test_a_large_corpus_learns_the_same_leading_dimensions_as_an_exact_svd() -> None:
    # 3,000 documents over a 2,000-word vocabulary: above the exact-SVD size, so the randomized range finder (with
    # its Cholesky orthonormalisation) learns the model; its leading dimensions must be those of the exact SVD.
    rng = random.Random(7)
    words = [f"w{i:04d}" for i in range(2000)]
    topics = [words[i * 100 : (i + 1) * 100] for i in range(20)]
    docs = [
        [rng.choice(topics[t % 20]) for _ in range(30)] + [rng.choice(words) for _ in range(5)]
        for t in range(3000)
    ]
    fitted = SemanticModel.fit_and_embed(docs, [f"d{i:05d}" for i in range(len(docs))])
    assert fitted is not None
    model, vectors = fitted
    assert len(model.vocabulary) * len(docs) > semantic.EXACT_SVD_CELLS
    rows = semantic._tfidf_rows(docs, model.vocabulary, model.idf).toarray().astype(np.float64)
    _, _, vt = np.linalg.svd(rows, full_matrices=False)
    leading = np.abs(np.sum(vt[:10].T * model.projection[:, :10], axis=0))
    assert leading.min() > 0.99, leading
    # The documents' vectors are the projected rows, unit length.
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors, model.embed_documents(docs), atol=1e-6)


def test_the_orthonormalisation_holds_for_nearly_dependent_columns() -> None:
    rng = np.random.default_rng(5)
    well = rng.normal(size=(5000, 40))
    # Two columns equal to rounding: the Cholesky path cannot factor this, the Householder fallback must.
    nearly = np.concatenate([well, well[:, :1] + 1e-13 * rng.normal(size=(5000, 1))], axis=1)
    for x in (well, nearly):
        q = semantic._orthonormal(x)
        assert q.shape == x.shape
        assert np.abs(q.T @ q - np.eye(x.shape[1])).max() < 1e-8
    q = semantic._orthonormal(well)
    assert np.abs(q @ (q.T @ well) - well).max() < 1e-8  # the same span


async def test_a_demand_finds_the_expert_through_the_service(client) -> None:  # type: ignore[no-untyped-def]
    target = {
        "kind": "expert",
        "natural_key": "coating-chemist",
        "name": "秦岚 研究员",
        "summary": TARGET,
        "region": "苏州",
    }
    demand_text = {"title": "导管推起来阻力大", "description": "润滑性差"}
    query = analyse_query(f"{demand_text['title']} {demand_text['description']}")
    stored = row_values(SupplyIn.model_validate(target), "test")["search_tokens"].split()
    assert not set(stored) & {*query.strong, *query.weak, *query.related}
    async with client(staff("officer")) as c:
        for record in load_profiles():
            if record.kind == "expert":
                r = await c.post("/api/v1/supply", json=record.model_dump(mode="json"))
                assert r.status_code == 201, r.text
        assert (await c.post("/api/v1/supply", json=target)).status_code == 201
        demand = (
            await c.post(
                "/api/v1/demands",
                json={
                    "enterprise_uscc": make_uscc(random.Random(19)),
                    **demand_text,
                    "industry_chain": "small_nucleic_acid_biomedicine",
                    "technical_field": "medical_devices",
                    "demand_type": "技术攻关",
                },
            )
        ).json()
        await c.post(f"/api/v1/demands/{demand['id']}/review", json={"decision": "approve"})
        r = await c.get(f"/api/v1/demands/{demand['id']}/candidates", params={"kind": "expert", "limit": 30})
        assert r.status_code == 200, r.text
        found = next(i for i in r.json()["items"] if i["supply"]["natural_key"] == "coating-chemist")
        assert found["matched_terms"] == [] and found["signals"]["semantic"] > 0
        reason = next(x for x in found["reasons"] if x.startswith("语义相近"))
        assert "亲水涂层" in reason
        assert not generic_terms() & set(reason.removeprefix("语义相近：").split("、"))
