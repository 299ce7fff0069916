"""The one HTTP client for the bank / treasury (contract: deploy/emulators/BANK.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx


class BankError(Exception):
    """The bank could not be reached or answered with a server error: retry later with the same reference."""


class BankRejected(Exception):
    """The bank refused the instruction itself (4xx): retrying the same instruction will not help."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"bank rejected the instruction ({status}): {body}")
        self.status = status
        self.body = body


class BankClient:
    def __init__(
        self, base_url: str, *, timeout_s: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            transport=transport,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BankError(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            raise BankError(f"bank answered {resp.status_code}")
        return resp

    async def send_instructions(self, instructions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send a batch; each result carries ``http_status`` (201 new, 200 duplicate of an earlier one, 409…)."""
        resp = await self._request("POST", "/payments/batch", json={"instructions": instructions})
        if resp.status_code >= 400:
            raise BankRejected(resp.status_code, resp.json())
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    async def send_instruction(self, instruction: dict[str, Any]) -> dict[str, Any]:
        resp = await self._request("POST", "/payments", json=instruction)
        if resp.status_code >= 400:
            raise BankRejected(resp.status_code, resp.json())
        result: dict[str, Any] = resp.json()
        return result

    async def get_payment(self, reference: str) -> dict[str, Any] | None:
        resp = await self._request("GET", f"/payments/{reference}")
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    async def get_statement(self, statement_date: date) -> Any:
        """The day's statement as the bank sent it (any JSON: the caller checks its shape); a refusal (4xx) is
        :class:`BankRejected`, an answer that is not JSON :class:`BankError`."""
        resp = await self._request("GET", f"/statements/{statement_date.isoformat()}")
        if resp.status_code >= 400:
            raise BankRejected(resp.status_code, resp.text[:200])
        try:
            return resp.json()
        except ValueError as exc:
            raise BankError(f"bank statement is not JSON: {exc}") from exc
