"""Attachments in an S3-compatible object store: AWS Signature V4 against AWS's published example, and uploads
through the API into a store that checks every request's signature and payload hash (and one that is down)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from kunruyi_disbursement.applications import endpoints as application_endpoints
from kunruyi_disbursement.applications.storage import (
    AttachmentStoreError,
    S3Store,
    attachment_store,
    sigv4_authorization,
)
from kunruyi_disbursement.settings import Settings
from kunruyi_launcher.testing import partner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from test_applications import application, setup_policy

ACCESS, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def test_signature_matches_the_aws_documentation_example() -> None:
    # "GET Object" in AWS's Signature Version 4 header-based authentication examples (S3 developer guide).
    authorization = sigv4_authorization(
        method="GET",
        path="/test.txt",
        headers={
            "Host": "examplebucket.s3.amazonaws.com",
            "Range": "bytes=0-9",
            "x-amz-content-sha256": EMPTY_SHA256,
            "x-amz-date": "20130524T000000Z",
        },
        payload_sha256=EMPTY_SHA256,
        access_key=ACCESS,
        secret_key=SECRET,
        region="us-east-1",
        amz_date="20130524T000000Z",
    )
    assert authorization == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


class FakeS3:
    """Path-style S3 that refuses any request whose signature or payload hash does not check out."""

    def __init__(self, *, down: bool = False) -> None:
        self.objects: dict[str, bytes] = {}
        self.down = down

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        body = request.content
        if request.headers["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
            return httpx.Response(400, text="XAmzContentSHA256Mismatch")
        signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        expected = sigv4_authorization(
            method=request.method,
            path=request.url.raw_path.decode(),
            headers={h: request.headers[h] for h in signed},
            payload_sha256=request.headers["x-amz-content-sha256"],
            access_key=ACCESS,
            secret_key=SECRET,
            region="cn-east-1",
            amz_date=request.headers["x-amz-date"],
        )
        if "host" not in signed or request.headers["authorization"] != expected:
            return httpx.Response(403, text="SignatureDoesNotMatch")
        if request.method == "PUT":
            self.objects[request.url.path] = body
            return httpx.Response(200)
        if request.url.path in self.objects:
            return httpx.Response(200, content=self.objects[request.url.path])
        return httpx.Response(404)


def s3_store(fake: FakeS3) -> S3Store:
    return S3Store(
        endpoint_url="http://s3.kunshan.example:9000",
        bucket="kunruyi",
        access_key=ACCESS,
        secret_key=SECRET,
        region="cn-east-1",
        prefix="attachments/",
        transport=httpx.MockTransport(fake),
    )


async def test_s3_store_round_trip_and_errors() -> None:
    fake = FakeS3()
    store = s3_store(fake)
    await store.put("app-1/abc", b"%PDF-1.7 s3", "application/pdf")
    assert fake.objects == {"/kunruyi/attachments/app-1/abc": b"%PDF-1.7 s3"}
    assert await store.get("app-1/abc") == b"%PDF-1.7 s3"
    with pytest.raises(AttachmentStoreError):
        await store.get("app-1/missing")
    wrong_key = S3Store(
        endpoint_url="http://s3.kunshan.example:9000",
        bucket="kunruyi",
        access_key=ACCESS,
        secret_key="not-the-secret",
        region="cn-east-1",
        transport=httpx.MockTransport(fake),
    )
    with pytest.raises(AttachmentStoreError):
        await wrong_key.put("app-1/def", b"x", None)


def test_backend_is_chosen_by_settings(tmp_path: Any) -> None:
    assert type(attachment_store(Settings(attachments_dir=tmp_path))).__name__ == "LocalStore"
    s3 = attachment_store(
        Settings(attachments_backend="s3", s3_endpoint_url="http://127.0.0.1:9000", s3_bucket="b")
    )
    assert isinstance(s3, S3Store) and s3.bucket == "b"


@pytest.mark.parametrize("down", [False, True])
async def test_upload_goes_to_the_object_store_or_leaves_no_record(
    client, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, down: bool
) -> None:  # type: ignore[no-untyped-def]
    fake = FakeS3(down=down)
    monkeypatch.setattr(application_endpoints, "attachment_store", lambda settings: s3_store(fake))
    await setup_policy(client)
    content = b"%PDF-1.7 stored in s3"
    async with client(partner("disbursement:write")) as c:
        created = await c.post("/api/v1/applications", json=application())
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        upload = await c.post(
            f"/api/v1/applications/{app_id}/attachments",
            files={"file": ("营业执照.pdf", content, "application/pdf")},
        )
    rows = (
        await session.execute(
            text("SELECT sha256, storage_key FROM application_attachments WHERE application_id = :a"),
            {"a": app_id},
        )
    ).all()
    digest = hashlib.sha256(content).hexdigest()
    if down:
        assert upload.status_code == 503 and upload.json()["code"] == "attachment_store_unavailable"
        assert rows == [] and fake.objects == {}
    else:
        assert upload.status_code == 201 and upload.json()["sha256"] == digest
        assert [tuple(r) for r in rows] == [(digest, f"{app_id}/{digest}")]
        assert fake.objects == {f"/kunruyi/attachments/{app_id}/{digest}": content}
