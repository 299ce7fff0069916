"""Where application attachments are kept: a local directory by default, or any S3-compatible object store.

Objects are content-addressed (``<application id>/<sha256>``), so storing the same file twice is one object and an
object's name proves its hash. The S3 backend speaks plain HTTP with AWS Signature Version 4 (path-style URLs, so
MinIO, Ceph RGW and the cloud vendors' S3 APIs all work) through httpx; no SDK is needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx

from kunruyi_disbursement.settings import Settings


class AttachmentStoreError(Exception):
    """The object store did not take or give back the object."""


class AttachmentStore(Protocol):
    async def put(self, key: str, content: bytes, content_type: str | None) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, key: str, content: bytes) -> None:
        target = self.directory / key
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            tmp = target.with_suffix(".part")
            tmp.write_bytes(content)
            tmp.replace(target)

    async def put(self, key: str, content: bytes, content_type: str | None) -> None:
        await asyncio.to_thread(self._write, key, content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread((self.directory / key).read_bytes)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_authorization(
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    amz_date: str,
    query: str = "",
    service: str = "s3",
) -> str:
    """The ``Authorization`` header of AWS Signature Version 4 over every header given (names lower-cased).

    ``path`` must already be URI-encoded; ``amz_date`` is ``YYYYMMDDTHHMMSSZ`` and must equal the x-amz-date header.
    """
    canonical = {k.lower().strip(): " ".join(v.strip().split()) for k, v in headers.items()}
    signed = ";".join(sorted(canonical))
    canonical_request = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{k}:{canonical[k]}\n" for k in sorted(canonical)),
            signed,
            payload_sha256,
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret_key).encode(), amz_date[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key}/{scope},SignedHeaders={signed},Signature={signature}"


class S3Store:
    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "",
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint_url.rstrip("/")
        self.host = urlsplit(self.endpoint).netloc
        self.base_path = urlsplit(self.endpoint).path.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.transport = transport

    def _path(self, key: str) -> str:
        return quote(f"{self.base_path}/{self.bucket}/{self.prefix}{key}", safe="/-_.~")

    async def _send(self, method: str, key: str, content: bytes, extra: dict[str, str]) -> httpx.Response:
        path = self._path(key)
        payload_sha256 = hashlib.sha256(content).hexdigest()
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "host": self.host,
            "x-amz-content-sha256": payload_sha256,
            "x-amz-date": amz_date,
            **extra,
        }
        headers["authorization"] = sigv4_authorization(
            method=method,
            path=path,
            headers=headers,
            payload_sha256=payload_sha256,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            amz_date=amz_date,
        )
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
                return await client.request(
                    method,
                    f"{self.endpoint.removesuffix(self.base_path)}{path}",
                    content=content,
                    headers=headers,
                )
        except httpx.HTTPError as exc:
            raise AttachmentStoreError(f"{type(exc).__name__}: {exc}") from exc

    async def put(self, key: str, content: bytes, content_type: str | None) -> None:
        extra = {"content-type": content_type or "application/octet-stream"}
        resp = await self._send("PUT", key, content, extra)
        if resp.status_code >= 300:
            raise AttachmentStoreError(f"object store answered {resp.status_code} to PUT {key}")

    async def get(self, key: str) -> bytes:
        resp = await self._send("GET", key, b"", {})
        if resp.status_code >= 300:
            raise AttachmentStoreError(f"object store answered {resp.status_code} to GET {key}")
        return resp.content


def attachment_store(settings: Settings) -> AttachmentStore:
    if settings.attachments_backend == "s3":
        if not (settings.s3_endpoint_url and settings.s3_bucket):
            raise RuntimeError("attachments_backend=s3 needs s3_endpoint_url and s3_bucket")
        return S3Store(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    return LocalStore(settings.attachments_dir)
