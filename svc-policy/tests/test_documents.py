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
