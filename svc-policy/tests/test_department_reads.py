"""Reads follow the department rule too: a policy's unpublished draft (the item, or the open draft version of a
published one) is its department's business — another department's staff get 403 ``other_department`` for it and
lists leave it out, as the catalog sheet's export and the sandbox already do — and the 免申即享 entitlements a
department's staff list are those of their department's policies (partners with ``policy:read`` and admins: all)."""

from typing import Any

from kunruyi_launcher.testing import partner, staff
from kunruyi_policy.demo.samples import new_policy_body as new_policy
from kunruyi_policy.models import Department, Policy
from kunruyi_policy.profiles.handlers import on_enterprise
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .test_entitlements import USCC, enterprise_event

SCI_TECH = staff("officer", department="科技局")
HR = staff("officer", department="人社局")
ADMIN = staff("admin")
RULES = {"criteria": [], "amount": 100}


async def _drafts(c: Any) -> list[str]:  # type: ignore[no-untyped-def]
    page = (await c.get("/api/v1/policies", params={"status": "draft", "limit": 200})).json()
    return [p["code"] for p in page["items"]]


async def test_another_departments_draft_is_refused_and_left_out_of_lists(client) -> None:  # type: ignore[no-untyped-def]
    async with client(SCI_TECH) as c:
        assert (await c.post("/api/v1/policies", json=new_policy("KS-T-DRAFT-READ"))).status_code == 201
        assert (await c.put("/api/v1/policies/KS-T-DRAFT-READ/draft", json=RULES)).status_code == 200
        # an open draft version of a published policy: KS-KJ-005 is 科技局's
        assert (await c.put("/api/v1/policies/KS-KJ-005/draft", json=RULES)).status_code == 200
        own = await c.get("/api/v1/policies/KS-T-DRAFT-READ")
        own_list = await _drafts(c)
        own_versions = (await c.get("/api/v1/policies/KS-KJ-005")).json()["versions"]
        by_code = await c.get("/api/v1/policies", params={"department": "科技局", "status": "draft"})
    async with client(HR) as c:
        other = await c.get("/api/v1/policies/KS-T-DRAFT-READ")
        other_list = await _drafts(c)
        searched = (await c.get("/api/v1/policies", params={"q": "测试政策", "limit": 200})).json()["items"]
        published = await c.get("/api/v1/policies/KS-KJ-005")
        documents = await c.get("/api/v1/policy-documents")
    async with client(staff("broker")) as c:
        nobody = await c.get("/api/v1/policies/KS-T-DRAFT-READ")
        nobody_list = await _drafts(c)
    async with client(ADMIN) as c:
        admin = await c.get("/api/v1/policies/KS-T-DRAFT-READ")
        admin_list = await _drafts(c)
    assert own.status_code == 200 and "KS-T-DRAFT-READ" in own_list
    assert any(v["state"] == "draft" for v in own_versions)
    assert "KS-T-DRAFT-READ" in [p["code"] for p in by_code.json()["items"]]
    assert other.status_code == 403 and other.json()["code"] == "other_department"
    assert "KS-T-DRAFT-READ" not in other_list
    assert "KS-T-DRAFT-READ" not in [p["code"] for p in searched]
    # a published policy of another department reads as the public reads it: no draft version
    assert published.status_code == 200
    assert all(v["state"] == "published" for v in published.json()["versions"])
    assert documents.status_code == 200
    assert nobody.status_code == 403 and "KS-T-DRAFT-READ" not in nobody_list
    assert admin.status_code == 200 and "KS-T-DRAFT-READ" in admin_list


async def test_a_documents_items_show_only_the_own_departments_drafts(client) -> None:  # type: ignore[no-untyped-def]
    async with client(SCI_TECH) as c:
        document = (await c.get("/api/v1/policy-documents")).json()["items"][0]["code"]
        body = {**new_policy("KS-T-DOC-DRAFT"), "document_code": document}
        assert (await c.post("/api/v1/policies", json=body)).status_code == 201
        own = (await c.get(f"/api/v1/policy-documents/{document}/items")).json()
    async with client(HR) as c:
        other = (await c.get(f"/api/v1/policy-documents/{document}/items")).json()
        counted = {
            d["code"]: d["item_count"] for d in (await c.get("/api/v1/policy-documents")).json()["items"]
        }
    assert "KS-T-DOC-DRAFT" in [i["code"] for i in own["items"]]
    assert "KS-T-DOC-DRAFT" not in [i["code"] for i in other["items"]]
    assert own["document"]["item_count"] == other["document"]["item_count"] + 1
    assert counted[document] == other["document"]["item_count"]


async def test_staff_list_only_their_departments_entitlements(client, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await on_enterprise(session, enterprise_event())
    params = {"entity_id": USCC, "limit": 200}
    async with client(partner("policy:read")) as c:
        everything = (await c.get("/api/v1/entitlements", params=params)).json()["items"]
    async with client(SCI_TECH) as c:
        own = (await c.get("/api/v1/entitlements", params=params)).json()["items"]
    async with client(HR) as c:
        other = (await c.get("/api/v1/entitlements", params=params)).json()["items"]
    async with client(staff("reviewer")) as c:
        no_department = (await c.get("/api/v1/entitlements", params=params)).json()["items"]
    async with client(ADMIN) as c:
        admin = (await c.get("/api/v1/entitlements", params=params)).json()["items"]
    of_sci_tech = set(
        (
            await session.execute(
                select(Policy.code)
                .join(Department, Department.code == Policy.department_code)
                .where(Department.name == "科技局")
            )
        ).scalars()
    )
    sci_tech = [e for e in everything if e["policy_code"] in of_sci_tech]
    assert sci_tech and len(sci_tech) < len(everything)  # the company holds other departments' items too
    assert {e["entitlement_id"] for e in own} == {e["entitlement_id"] for e in sci_tech}
    assert not {e["entitlement_id"] for e in other} & {e["entitlement_id"] for e in sci_tech}
    assert no_department == []
    assert len(admin) == len(everything)
