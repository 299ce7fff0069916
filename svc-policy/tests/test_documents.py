"""Policy documents, 1+N+X: every demo item cites a document; a document lists its items and children."""

from kunruyi_policy.demo.catalog import demo_catalog
from kunruyi_policy.demo.documents import DOCUMENTS


def test_every_demo_item_belongs_to_a_document_whose_number_it_cites() -> None:
    numbers = {code: number for code, number, *_ in DOCUMENTS}
    for item in demo_catalog():
        assert numbers[item["document_code"]] == item["legal_source"], item["code"]
    parents = {code: parent for code, _, _, _, _, parent, _ in DOCUMENTS}
    levels = {code: level for code, _, _, _, level, _, _ in DOCUMENTS}
    assert [c for c, level in levels.items() if level == "1"] == ["DOC-1"]
    for code, parent in parents.items():
        if parent is not None:  # an N hangs under the 1, an X under an N
            assert (levels[code], levels[parent]) in (("N", "1"), ("X", "N")), code


async def test_documents_and_their_items(client) -> None:  # type: ignore[no-untyped-def]
    async with client() as c:
        listed = (await c.get("/api/v1/policy-documents")).json()["items"]
        hightech = (await c.get("/api/v1/policy-documents/DOC-X-HIGHTECH/items")).json()
        missing = await c.get("/api/v1/policy-documents/NOPE/items")
    assert listed[0]["code"] == "DOC-1" and listed[0]["level"] == "1"
    assert "DOC-N-SCI" in listed[0]["children"]
    assert sum(d["item_count"] for d in listed) >= 463
    assert hightech["document"]["parent_code"] == "DOC-N-SCI"
    assert {i["code"] for i in hightech["items"]} == {"KS-KJ-001", "KS-KJ-002"}
    assert all(i["legal_source"] == "昆科规〔2024〕9号" for i in hightech["items"])
    assert missing.status_code == 404 and missing.json()["code"] == "document_not_found"


async def test_an_item_citing_an_unknown_document_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_launcher.testing import staff
    from kunruyi_policy.demo.samples import new_policy_body

    async with client(staff("officer", department="科技局")) as c:
        response = await c.post(
            "/api/v1/policies", json=new_policy_body("KS-KJ-901", document_code="DOC-NOPE")
        )
    assert response.status_code == 422 and response.json()["field"] == "document_code"


def _doc(code: str, level: str, parent: str | None, number: str) -> dict[str, object]:
    return {
        "code": code,
        "doc_number": number,
        "title": f"{code} 测试文件",
        "issuer": "昆山市科学技术局",
        "level": level,
        "parent_code": parent,
        "issued_on": "2026-03-01",
    }


async def test_an_officer_adds_a_document_that_items_can_then_cite(client) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_launcher.testing import staff
    from kunruyi_policy.demo.samples import new_policy_body

    async with client(staff("officer", department="科技局")) as c:
        made = await c.post(
            "/api/v1/policy-documents", json=_doc("DOC-X-AI", "X", "DOC-N-SCI", "昆科规〔2026〕3号")
        )
        item = await c.post("/api/v1/policies", json=new_policy_body("KS-KJ-902", document_code="DOC-X-AI"))
        # a document without a date of issue sits beside dated ones of its level, after them
        undated = _doc("DOC-X-UNDATED", "X", "DOC-N-SCI", "昆科规〔2026〕5号") | {"issued_on": None}
        made_undated = await c.post("/api/v1/policy-documents", json=undated)
        listing = await c.get("/api/v1/policy-documents")
        listed = listing.json()["items"]
    async with client() as anonymous:
        refused = await anonymous.post(
            "/api/v1/policy-documents", json=_doc("DOC-X-AI2", "X", "DOC-N-SCI", "昆科规〔2026〕4号")
        )
    assert made.status_code == 201 and made.json()["parent_code"] == "DOC-N-SCI"
    assert item.status_code == 201
    assert made_undated.status_code == 201 and listing.status_code == 200, listing.text
    x_level = [d["code"] for d in listed if d["level"] == "X"]
    assert x_level[-1] == "DOC-X-UNDATED"
    assert "DOC-X-AI" in next(d for d in listed if d["code"] == "DOC-N-SCI")["children"]
    assert refused.status_code == 401


async def test_a_document_out_of_the_1_n_x_order_or_in_a_cycle_is_refused(client, session) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_launcher.testing import staff
    from kunruyi_policy.models import PolicyDocument
    from sqlalchemy import func, select

    async def count() -> int:
        return int((await session.execute(select(func.count()).select_from(PolicyDocument))).scalar_one())

    before = await count()
    async with client(staff("officer", department="科技局")) as c:
        answers = {
            "x_under_the_1": await c.post(
                "/api/v1/policy-documents", json=_doc("DOC-X-A", "X", "DOC-1", "测〔2026〕1号")
            ),
            "no_parent": await c.post(
                "/api/v1/policy-documents", json=_doc("DOC-N-A", "N", None, "测〔2026〕2号")
            ),
            "unknown_parent": await c.post(
                "/api/v1/policy-documents", json=_doc("DOC-X-B", "X", "DOC-NOPE", "测〔2026〕3号")
            ),
            "same_number": await c.post(
                "/api/v1/policy-documents", json=_doc("DOC-X-C", "X", "DOC-N-SCI", "昆科规〔2024〕9号")
            ),
            "same_code": await c.post(
                "/api/v1/policy-documents", json=_doc("DOC-N-SCI", "N", "DOC-1", "测〔2026〕4号")
            ),
            "bad_code": await c.post(
                "/api/v1/policy-documents", json=_doc("doc x", "X", "DOC-N-SCI", "测〔2026〕5号")
            ),
            # the sector policy made a rule under its own rule: a cycle
            "cycle": await c.patch(
                "/api/v1/policy-documents/DOC-N-SCI", json={"level": "X", "parent_code": "DOC-X-HIGHTECH"}
            ),
            "orphans_children": await c.patch(
                "/api/v1/policy-documents/DOC-N-SCI", json={"level": "X", "parent_code": "DOC-N-IP"}
            ),
        }
        moved = await c.patch(
            "/api/v1/policy-documents/DOC-X-HIGHTECH", json={"parent_code": "DOC-N-INDUSTRY"}
        )
    problems = {k: (r.status_code, r.json()["code"], r.json().get("field")) for k, r in answers.items()}
    assert problems == {
        "x_under_the_1": (422, "document_level_mismatch", "parent_code"),
        "no_parent": (422, "document_level_mismatch", "level"),
        "unknown_parent": (422, "unknown_parent_document", "parent_code"),
        "same_number": (409, "document_number_taken", "doc_number"),
        "same_code": (409, "document_exists", "code"),
        "bad_code": (422, "validation_error", "code"),
        "cycle": (422, "document_parent_cycle", "parent_code"),
        "orphans_children": (422, "document_level_mismatch", "level"),
    }
    assert await count() == before
    assert moved.status_code == 200 and moved.json()["parent_code"] == "DOC-N-INDUSTRY"
