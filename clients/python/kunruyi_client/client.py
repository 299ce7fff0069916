"""Sync and async clients for partner platforms (httpx).

Two levels on each client:

- ``request()`` (and ``get``/``post``/``put``/``patch``/``delete``): one signed attempt; returns the raw
  ``httpx.Response`` whatever its status — for callers that inspect answers themselves.
- ``call()`` and ``paginate()``: retries with one ``Idempotency-Key`` per logical call, error answers raised as
  typed ``ProblemError`` subclasses, every page of a cursor-paginated list.
"""

from __future__ import annotations

import asyncio
import json as _json
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from kunruyi_client.errors import problem_from_response, retry_after
from kunruyi_client.signing import DEFAULT_SIGN_METHOD, SignMethod, rfc3986, sign_request

__all__ = ["AsyncKunruyiClient", "KunruyiClient", "Page", "RetryPolicy"]

USER_AGENT = "kunruyi-client/0.1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Repeating these changes nothing on the server (RFC 9110 §9.2.2): they are retried without a key.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# These may create a record or move money: retried only under an Idempotency-Key, which call() adds by default.
KEYED_METHODS = frozenset({"POST", "PATCH"})
RETRY_STATUSES = frozenset({502, 503, 504})
# Failures where the request may or may not have reached the server: safe to repeat only when idempotent or keyed.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

QueryParams = Mapping[str, Any]
Files = Mapping[str, Any] | Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class RetryPolicy:
    """When ``call()`` tries again. ``attempts`` counts the first try. Connection errors and 502/503/504 back off
    exponentially (``backoff`` × 2ⁿ, at most ``max_backoff``, with jitter; a longer ``Retry-After`` wins); 429
    waits ``Retry-After``. A wait longer than ``max_retry_after`` is not waited for: the error is raised."""

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def backoff_delay(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))

    def delay(self, attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before the next attempt after this answer, or None when it is not to be retried."""
        status = response.status_code
        if status != 429 and status not in RETRY_STATUSES:
            return None
        asked = retry_after(response)
        if asked is not None and asked > self.max_retry_after:
            return None
        if status == 429:
            return asked if asked is not None else self.backoff_delay(attempt)
        return max(self.backoff_delay(attempt), asked or 0.0)


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class Page:
    """One page of a list: ``items`` and the ``next_cursor`` (None on the last page); ``body`` is the whole answer."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    body: dict[str, Any] = field(repr=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_json(value: Any) -> bytes:
    """The JSON bytes the client sends (and signs): compact, UTF-8, Chinese as is."""
    return _json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def encode_query(params: QueryParams | None) -> str:
    """``name=value`` pairs in RFC 3986 encoding (spaces as ``%20``, a plus as ``%2B``); a list value repeats
    the name; None values are left out."""
    parts: list[str] = []
    for name, value in (params or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        parts.extend(f"{rfc3986(name)}={rfc3986(_query_value(v))}" for v in values if v is not None)
    return "&".join(parts)


def _url(path: str, params: QueryParams | None) -> str:
    query = encode_query(params)
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _key_for(method: str, idempotency_key: str | bool) -> str | None:
    if isinstance(idempotency_key, str):
        if not 1 <= len(idempotency_key) <= 200:
            raise ValueError("an Idempotency-Key has 1–200 characters")
        return idempotency_key
    if idempotency_key and method in KEYED_METHODS:
        return str(uuid.uuid4())
    return None


def _page(body: Any) -> Page:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise ValueError("not a list answer: expected {'items': [...], 'next_cursor': ...}")
    cursor = body.get("next_cursor")
    return Page(items=body["items"], next_cursor=str(cursor) if cursor else None, body=body)


class _Signer:
    def __init__(self, app_key: str, secret: str, sign_method: SignMethod, retry: RetryPolicy | None) -> None:
        self.app_key = app_key
        self.secret = secret
        self.sign_method: SignMethod = sign_method
        self.retry = retry or RetryPolicy()

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        params: QueryParams | None,
        json: Any,
        content: bytes | None,
        files: Files | None,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> httpx.Request:
        hdrs = dict(headers or {})
        if idempotency_key is not None:
            hdrs[IDEMPOTENCY_HEADER] = idempotency_key
        url = _url(path, params)
        if files is not None:
            request = http.build_request(method, url, files=files, headers=hdrs)
        else:
            body = content if content is not None else (dump_json(json) if json is not None else b"")
            if json is not None and content is None:
                hdrs.setdefault("Content-Type", "application/json")
            request = http.build_request(method, url, content=body or None, headers=hdrs)
        return sign_request(request, app_key=self.app_key, secret=self.secret, sign_method=self.sign_method)


class KunruyiClient(_Signer):
    """``KunruyiClient("https://api.example", app_key, secret)``; ``sign_method="HMAC-SM3"`` for SM3."""

    def __init__(
        self,
        base_url: str,
        app_key: str,
        secret: str,
        *,
        sign_method: SignMethod = DEFAULT_SIGN_METHOD,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(app_key, secret, sign_method, retry)
        self.http = http or httpx.Client(
            base_url=base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> KunruyiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one signed attempt, the raw answer ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one signed request (a fresh nonce and timestamp) and return the answer, whatever its status."""
        request = self._build(
            self.http,
            method.upper(),
            path,
            params=params,
            json=json,
            content=content,
            files=files,
            headers=headers,
            idempotency_key=idempotency_key,
        )
        return self.http.send(request)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # -- retried calls, typed errors, pages ----------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | bool = True,
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """Send a logical call, retrying where that is safe, and return the successful (2xx) answer.

        ``idempotency_key``: True (default) makes one key for a POST or PATCH, sent unchanged on every retry of
        this call; a string is used as the key; False sends none — then a POST or PATCH is never retried. Each
        attempt is signed anew. An error answer is raised as a ``ProblemError`` subclass (``ValidationFailed``,
        ``Conflict``, ``Forbidden``, ``NotFound``, ``RateLimited``, ``Unavailable``, …); a connection failure
        that outlasts the retries is raised as httpx's exception.
        """
        method = method.upper()
        key = _key_for(method, idempotency_key)
        policy = retry or self.retry
        repeatable = method in IDEMPOTENT_METHODS or key is not None
        attempt = 0
        while True:
            attempt += 1
            last = not repeatable or attempt >= policy.attempts
            try:
                response = self.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    content=content,
                    files=files,
                    headers=headers,
                    idempotency_key=key,
                )
            except TRANSIENT_ERRORS:
                if last:
                    raise
                time.sleep(policy.backoff_delay(attempt))
                continue
            if response.is_success:
                return response
            wait = None if last else policy.delay(attempt, response)
            if wait is None:
                raise problem_from_response(response)
            response.close()
            time.sleep(wait)

    def paginate(
        self, path: str, *, params: QueryParams | None = None, limit: int | None = None
    ) -> Iterator[Page]:
        """Every page of a list, following ``next_cursor`` until the last page (each page a retried GET)."""
        query = dict(params or {})
        if limit is not None:
            query["limit"] = limit
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page = _page(self.call("GET", path, params={**query, "cursor": cursor}).json())
            yield page
            if page.next_cursor is None or page.next_cursor in seen:
                return
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    def iterate(
        self, path: str, *, params: QueryParams | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, page after page."""
        for page in self.paginate(path, params=params, limit=limit):
            yield from page.items


class AsyncKunruyiClient(_Signer):
    """The asyncio twin of ``KunruyiClient``: the same methods, awaited; ``paginate``/``iterate`` are async
    iterators."""

    def __init__(
        self,
        base_url: str,
        app_key: str,
        secret: str,
        *,
        sign_method: SignMethod = DEFAULT_SIGN_METHOD,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(app_key, secret, sign_method, retry)
        self.http = http or httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncKunruyiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        request = self._build(
            self.http,
            method.upper(),
            path,
            params=params,
            json=json,
            content=content,
            files=files,
            headers=headers,
            idempotency_key=idempotency_key,
        )
        return await self.http.send(request)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Files | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | bool = True,
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """See ``KunruyiClient.call``."""
        method = method.upper()
        key = _key_for(method, idempotency_key)
        policy = retry or self.retry
        repeatable = method in IDEMPOTENT_METHODS or key is not None
        attempt = 0
        while True:
            attempt += 1
            last = not repeatable or attempt >= policy.attempts
            try:
                response = await self.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    content=content,
                    files=files,
                    headers=headers,
                    idempotency_key=key,
                )
            except TRANSIENT_ERRORS:
                if last:
                    raise
                await asyncio.sleep(policy.backoff_delay(attempt))
                continue
            if response.is_success:
                return response
            wait = None if last else policy.delay(attempt, response)
            if wait is None:
                raise problem_from_response(response)
            await response.aclose()
            await asyncio.sleep(wait)

    async def paginate(
        self, path: str, *, params: QueryParams | None = None, limit: int | None = None
    ) -> AsyncIterator[Page]:
        query = dict(params or {})
        if limit is not None:
            query["limit"] = limit
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page = _page((await self.call("GET", path, params={**query, "cursor": cursor})).json())
            yield page
            if page.next_cursor is None or page.next_cursor in seen:
                return
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    async def iterate(
        self, path: str, *, params: QueryParams | None = None, limit: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        async for page in self.paginate(path, params=params, limit=limit):
            for item in page.items:
                yield item
