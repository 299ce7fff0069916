"""An attachment that is empty or over the size limit is refused with the kit's codes, and nothing is stored."""

from __future__ import annotations

import pytest
from kunruyi_launcher.testing import partner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_applications import application, setup_policy


@pytest.mark.parametrize(
    ("content", "status", "code"), [(b"", 422, "empty_file"), (b"x" * 17, 413, "payload_too_large")]
)
async def test_an_empty_or_oversized_attachment_is_refused_and_not_stored(  # type: ignore[no-untyped-def]
    client,
    app,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    status: int,
    code: str,
) -> None:
    monkeypatch.setattr(app.state.settings, "attachment_max_bytes", 16)
    await setup_policy(client)
    async with client(partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application())
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        upload = await c.post(
            f"/api/v1/applications/{app_id}/attachments",
            files={"file": ("营业执照.pdf", content, "application/pdf")},
        )
    assert upload.status_code == status, upload.text
    assert upload.headers["content-type"].startswith("application/problem+json")
    assert upload.json()["code"] == code and upload.json()["field"] == "file"
    stored = await session.scalar(
        text("SELECT count(*) FROM application_attachments WHERE application_id = :a"), {"a": app_id}
    )
    assert stored == 0
