"""The one real HTTP client for the provincial portal: every request signed with the platform's app id.

What the portal answers is outside the platform's control: the enterprise lookup passes on fields the province's
platform adds, and an error body is quoted in the error. Personal data in any of it (phones, ID numbers, bank
cards, in any string however nested) is masked here, at the boundary, before it reaches a response or a log."""

from __future__ import annotations

import json
from typing import Any

import httpx
from kunruyi_common.pii_text import mask_pii, mask_pii_json

from kunruyi_gateway.integrations.yiqilaiban.signature import signed_headers
from kunruyi_gateway.settings import Settings


class PortalError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class YiqilaibanClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.base = settings.yiqilaiban_url.rstrip("/")
        self.app_id = settings.yiqilaiban_app_id
        self.secret = settings.yiqilaiban_secret
        self.timeout_s = settings.yiqilaiban_timeout_s
        self.http = http

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        timeout_s: float = 10.0,
        extra_headers: dict[str, str] | None = None,
    ) -> Any:
        body = (
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            if payload is not None
            else b""
        )
        headers = signed_headers(self.app_id, self.secret, method, path, body)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        headers.update(extra_headers or {})
        try:
            resp = await self.http.request(
                method, f"{self.base}{path}", content=body or None, headers=headers, timeout=timeout_s
            )
        except httpx.HTTPError as exc:
            raise PortalError(None, f"一企来办不可达：{type(exc).__name__}") from exc
        if resp.status_code >= 400:
            raise PortalError(
                resp.status_code, f"一企来办返回 {resp.status_code}：{mask_pii(resp.text[:200])}"
            )
        try:
            return resp.json()
        except ValueError:
            return None

    async def enterprise(self, uscc: str) -> dict[str, Any]:
        """The enterprise as the province's platform records it, personal data in every field masked."""
        result: dict[str, Any] = mask_pii_json(
            await self.request("GET", f"/api/enterprises/{uscc}", timeout_s=self.timeout_s)
        )
        return result

    async def verify_sso_ticket(self, ticket: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", "/api/sso/verify", {"ticket": ticket}, timeout_s=self.timeout_s
        )
        return result
