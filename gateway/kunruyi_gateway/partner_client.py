"""Reference client for partners: signs requests per the contract in docs/partner-guide.md.

    client = KunruyiClient("https://api.example", "demo-partner", "s3cr3t-demo")
    resp = client.post("/api/v1/policy-calculator", json={"entity_type": "enterprise", "entity_id": "9132…"})

It depends only on httpx and this package's ``partners.signature`` (copy both files to use it elsewhere).
"""

from __future__ import annotations

import json as _json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from kunruyi_gateway.partners.signature import DEFAULT_SIGN_METHOD, SignMethod, sign, string_to_sign


def signed_headers(
    *,
    app_key: str,
    secret: str,
    method: str,
    path: str,
    raw_query: str = "",
    body: bytes = b"",
    sign_method: SignMethod = DEFAULT_SIGN_METHOD,
    timestamp_ms: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    nonce = nonce or secrets.token_urlsafe(18)
    text = string_to_sign(
        method=method,
        path=path,
        raw_query=raw_query,
        app_key=app_key,
        timestamp=timestamp,
        nonce=nonce,
        body=body,
        sign_method=sign_method,
    )
    return {
        "X-Kry-AppKey": app_key,
        "X-Kry-Timestamp": timestamp,
        "X-Kry-Nonce": nonce,
        "X-Kry-Sign-Method": sign_method,
        "X-Kry-Signature": sign(secret, text, sign_method),
    }


def _sign_built(
    request: httpx.Request, app_key: str, secret: str, sign_method: SignMethod, body: bytes
) -> dict[str, str]:
    """Sign the request as it will go on the wire: the path with httpx's percent-escapes (a Chinese path segment
    is sent, and so signed, as ``%E9%9B%86…``; a base URL's path prefix included) and the query as encoded."""
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    return signed_headers(
        app_key=app_key,
        secret=secret,
        method=request.method,
        path=raw_path.decode("ascii"),
        raw_query=raw_query.decode("ascii"),
        body=body,
        sign_method=sign_method,
    )


class KunruyiClient:
    def __init__(
        self,
        base_url: str,
        app_key: str,
        secret: str,
        *,
        sign_method: SignMethod = DEFAULT_SIGN_METHOD,
        timeout: float = 10.0,
    ) -> None:
        self.app_key = app_key
        self.secret = secret
        self.sign_method = sign_method
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> KunruyiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        # Sign exactly the bytes that are sent: the query as encoded here, the body as serialized here.
        raw_query = urlencode(params or {}, doseq=True)
        body = (
            content
            if content is not None
            else (
                _json.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
                if json is not None
                else b""
            )
        )
        url = f"{path}?{raw_query}" if raw_query else path
        request = self.http.build_request(method, url, content=body or None)
        request.headers.update(_sign_built(request, self.app_key, self.secret, self.sign_method, body))
        if json is not None:
            request.headers["Content-Type"] = "application/json"
        return self.http.send(request)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


class AsyncKunruyiClient:
    def __init__(
        self,
        base_url: str,
        app_key: str,
        secret: str,
        *,
        sign_method: SignMethod = DEFAULT_SIGN_METHOD,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.app_key = app_key
        self.secret = secret
        self.sign_method = sign_method
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        raw_query = urlencode(params or {}, doseq=True)
        body = (
            content
            if content is not None
            else (
                _json.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
                if json is not None
                else b""
            )
        )
        url = f"{path}?{raw_query}" if raw_query else path
        request = self.http.build_request(method, url, content=body or None)
        request.headers.update(_sign_built(request, self.app_key, self.secret, self.sign_method, body))
        if json is not None:
            request.headers["Content-Type"] = "application/json"
        request.headers.update(headers or {})
        return await self.http.send(request)
