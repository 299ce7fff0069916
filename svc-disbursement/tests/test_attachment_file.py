"""An uploaded material read back: a PDF opens in the browser, its bytes are those uploaded; another application's
attachment id is 404."""

from __future__ import annotations

import uuid

from kunruyi_launcher.testing import partner, staff
from test_applications import application, setup_policy


async def test_a_reviewer_opens_an_uploaded_pdf_inline(client) -> None:  # type: ignore[no-untyped-def]
    await setup_policy(client)
    async with client(partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application())
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        upload = await c.post(
            f"/api/v1/applications/{app_id}/attachments",
            files={"file": ("审计报告.pdf", b"%PDF-1.7 read back", "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
        attachment_id = upload.json()["id"]
    async with client(staff("reviewer", department="科技局")) as c:
        r = await c.get(f"/api/v1/applications/{app_id}/attachments/{attachment_id}")
        assert r.status_code == 200, r.text
        assert r.content == b"%PDF-1.7 read back"
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("inline;")
        missing = await c.get(f"/api/v1/applications/{app_id}/attachments/{uuid.uuid4()}")
        assert (missing.status_code, missing.json()["code"]) == (404, "attachment_not_found")
