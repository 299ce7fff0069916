"""The SMS gateway adapter: one real HTTP client for the provider's template-message API (and the emulator,
``kunruyi_emulators.sms``, which speaks the same contract).

``POST {sms_url}/v1/sms/send`` with ``Idempotency-Key: <delivery id>`` and ``{phone, sign_name, template_code,
params}``. ``200 {"code": "OK", "message_id"}`` — accepted (a repeated key answers the first message id and sends
nothing again); ``400 {"code": "invalid_phone" | "unknown_template" | "missing_param"}`` — refused for good;
``429`` (``Retry-After``) and ``5xx`` — try again later. A timeout or a refused connection is retried too: the
idempotency key makes a retry of a send that did get through harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent | retry | rejected
    provider_message_id: str | None = None
    error: str | None = None
    retry_after_s: float | None = None


class SmsClient:
    def __init__(self, base_url: str, *, sign_name: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.sign_name = sign_name
        self.timeout_s = timeout_s

    async def send(
        self, *, idempotency_key: str, phone: str, template_code: str, params: dict[str, str]
    ) -> SendResult:
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(
                    f"{self.base_url}/v1/sms/send",
                    headers={"Idempotency-Key": idempotency_key},
                    json={
                        "phone": phone,
                        "sign_name": self.sign_name,
                        "template_code": template_code,
                        "params": params,
                    },
                )
        except httpx.HTTPError as exc:
            return SendResult("retry", error=f"transport: {type(exc).__name__}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("code", "")) if isinstance(body, dict) else ""
        if response.status_code == 200 and code == "OK":
            return SendResult("sent", provider_message_id=str(body.get("message_id") or "") or None)
        if response.status_code == 429:
            retry_after = response.headers.get("retry-after", "")
            return SendResult(
                "retry",
                error="rate_limited",
                retry_after_s=float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None,
            )
        if response.status_code >= 500:
            return SendResult("retry", error=f"http {response.status_code} {code}".strip())
        return SendResult("rejected", error=(code or f"http {response.status_code}")[:200])

    async def receipt(self, provider_message_id: str) -> str | None:
        """The delivery receipt: ``delivered`` or ``undelivered``; None while unknown (or the gateway is away)."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.get(f"{self.base_url}/v1/sms/{provider_message_id}")
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        status = response.json().get("status")
        return status if status in ("delivered", "undelivered") else None
