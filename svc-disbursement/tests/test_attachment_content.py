"""An uploaded material is shown in the browser only when its bytes are what was declared: an HTML page declared
``image/png`` (or ``application/pdf``) was served inline under that type on the service's origin; it is now a
download (``application/octet-stream``, ``attachment``). A file name keeps its last path component only, without
the right-to-left override, isolates or zero-width characters, 200 characters at most with its extension — it was stored and
offered as sent (``../../``, ``\\u202e``)."""

from __future__ import annotations

import pytest
from kunruyi_launcher.testing import partner, staff
from test_applications import application, setup_policy

HTML = b"<!doctype html><script>alert(document.cookie)</script>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def upload(client, name: str, content: bytes, declared: str) -> tuple[str, str, dict[str, object]]:  # type: ignore[no-untyped-def]
    await setup_policy(client)
    async with client(partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application())
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        resp = await c.post(
            f"/api/v1/applications/{app_id}/attachments", files={"file": (name, content, declared)}
        )
        assert resp.status_code == 201, resp.text
        return app_id, resp.json()["id"], resp.json()


@pytest.mark.parametrize(
    ("content", "declared", "served", "disposition"),
    [
        (HTML, "image/png", "application/octet-stream", "attachment"),
        (HTML, "application/pdf", "application/octet-stream", "attachment"),
        (PNG, "image/png", "image/png", "inline"),
        (b"%PDF-1.7 ok", "application/pdf", "application/pdf", "inline"),
    ],
)
async def test_only_bytes_of_the_declared_type_are_shown_inline(
    client, content: bytes, declared: str, served: str, disposition: str
) -> None:  # type: ignore[no-untyped-def]
    app_id, attachment_id, _ = await upload(client, "材料.png", content, declared)
    async with client(staff("reviewer", department="科技局")) as c:
        r = await c.get(f"/api/v1/applications/{app_id}/attachments/{attachment_id}")
    assert r.status_code == 200, r.text
    assert r.content == content
    assert r.headers["content-type"] == served
    assert r.headers["content-disposition"].startswith(f"{disposition};")
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/营业执照.pdf", "营业执照.pdf"),
        ("C:\\Users\\x\\审计报告.pdf", "审计报告.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\u200b\u2067b\u202c.pdf", "ab.pdf"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
        ("\u202e", "attachment"),
    ],
)
async def test_a_file_name_is_kept_without_path_or_bidi_characters(client, sent: str, kept: str) -> None:  # type: ignore[no-untyped-def]
    app_id, attachment_id, answer = await upload(client, sent, b"%PDF-1.7 x", "application/pdf")
    assert answer["filename"] == kept
    async with client(staff("reviewer", department="科技局")) as c:
        detail = (await c.get(f"/api/v1/applications/{app_id}")).json()
        r = await c.get(f"/api/v1/applications/{app_id}/attachments/{attachment_id}")
    assert [a["filename"] for a in detail["attachments"]] == [kept]
    assert (
        "%E2%80%AE" not in r.headers["content-disposition"] and "%2F" not in r.headers["content-disposition"]
    )
