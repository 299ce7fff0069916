"""The services a page reads and writes, over REST through the proxy's one retry/breaker loop.

A page calls either as the signed-in browser (``PageCalls.for_session``: the principal of its web session, so the
services apply their own rules to the company, talent or staff member) or as a named service identity of the
gateway (``PageCalls.as_service``) for reads the page makes on the browser's behalf after checking ownership
itself. ``call`` raises ``UpstreamError`` (status, body) on an answer ≥ 400 or an unreachable service; ``section``
turns that into a ``Section`` the template shows as "暂不可用".
"""

from __future__ import annotations

import json as json_lib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.routing.proxy import Upstreams
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.sessions import SignedIn

logger = logging.getLogger("kunruyi.gateway.web")
DEFAULT_TIMEOUT_S = 5.0

__all__ = ["PageCalls", "Section", "UpstreamError", "multipart_body"]


@dataclass
class Section:
    """One part of a page: its data, or why it is unavailable (shown in place as "暂不可用")."""

    ok: bool
    data: Any = None
    items: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class UpstreamError(Exception):
    """A service answered ≥ 400 (``status``, its decoded ``body``) or could not be reached (``status`` None)."""

    def __init__(self, status: int | None, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class PageCalls:
    def __init__(
        self,
        upstreams: Upstreams,
        settings: Settings,
        principal: Principal,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.upstreams = upstreams
        self.settings = settings
        self.principal = principal
        self.timeout_s = timeout_s

    @classmethod
    def for_session(cls, request: Request, signed_in: SignedIn, **kwargs: Any) -> PageCalls:
        """Calls made as the signed-in browser's principal."""
        return cls(request.app.state.upstreams, request.app.state.settings, signed_in.principal(), **kwargs)

    @classmethod
    def as_service(
        cls, request: Request, subject: str, name: str, *, scopes: list[str] | None = None, **kwargs: Any
    ) -> PageCalls:
        """Calls made as a service identity of the gateway's pages. With ``scopes`` the identity is a partner-like
        caller holding them (what the services' ``require_scope_or_roles`` admit); the page must itself restrict
        what it shows to the signed-in browser's own records."""
        principal = (
            Principal(kind="partner", subject=subject, name=name, scopes=list(scopes))
            if scopes
            else Principal(kind="service", subject=subject, name=name)
        )
        return cls(request.app.state.upstreams, request.app.state.settings, principal, **kwargs)

    def _headers(self) -> dict[str, str]:
        token = mint_internal_token(
            self.principal, self.settings.internal_token_secret, ttl_s=self.settings.internal_token_ttl_s
        )
        return {INTERNAL_TOKEN_HEADER: token}

    async def _send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        timeout_s: float | None = None,
    ) -> tuple[int, bytes]:
        target = path + (f"?{urlencode(params, doseq=True)}" if params else "")
        payload = json_lib.dumps(json, ensure_ascii=False).encode() if json is not None else body
        headers = self._headers()
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            return await self.upstreams.call(
                service,
                method,
                target,
                body=payload,
                headers=headers,
                timeout_s=timeout_s or self.timeout_s,
                content_type=content_type,
            )
        except ProblemError as exc:
            logger.warning("page call %s %s%s failed: %s", method, service, path, exc.detail)
            raise UpstreamError(None, exc.detail) from exc
        except ValueError as exc:  # an unsafe target: refused before anything was sent
            raise UpstreamError(400, str(exc)) from exc

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        timeout_s: float | None = None,
    ) -> Any:
        """One call; the decoded JSON answer (None for an empty one)."""
        status, raw = await self._send(
            service,
            method,
            path,
            json=json,
            params=params,
            idempotency_key=idempotency_key,
            body=body,
            content_type=content_type,
            timeout_s=timeout_s,
        )
        decoded = _decoded(raw)
        if status >= 400:
            raise UpstreamError(status, f"{service} 返回 {status}", decoded)
        return decoded

    async def download(
        self, service: str, path: str, *, params: dict[str, Any] | None = None, timeout_s: float = 30.0
    ) -> bytes:
        """A GET whose answer is a file (an export), returned as it came."""
        status, raw = await self._send(service, "GET", path, params=params, timeout_s=timeout_s)
        if status >= 400:
            raise UpstreamError(status, f"{service} 返回 {status}", _decoded(raw))
        return raw

    async def section(self, service: str, method: str, path: str, **kwargs: Any) -> Section:
        """A call whose failure the page shows in place ("暂不可用") instead of failing."""
        try:
            decoded = await self.call(service, method, path, **kwargs)
        except UpstreamError as exc:
            return Section(ok=False, error=str(exc))
        if isinstance(decoded, dict):
            items = decoded.get("items") or decoded.get("results") or []
        else:
            items = decoded if isinstance(decoded, list) else []
        return Section(ok=True, data=decoded, items=list(items) if isinstance(items, list) else [])


def _decoded(raw: bytes) -> Any:
    try:
        return json_lib.loads(raw) if raw else None
    except ValueError:
        return None


def multipart_body(
    file_field: str, filename: str, content_type: str, content: bytes, fields: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body with one file (and plain fields) for a service's upload endpoint, and its
    Content-Type."""
    boundary = f"kry{uuid.uuid4().hex}"
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "") or "attachment"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{safe_name}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    body = b"".join(parts) + head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
