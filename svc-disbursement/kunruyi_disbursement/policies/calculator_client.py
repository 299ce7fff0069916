"""The one HTTP client for svc-policy's calculator (``POST /api/v1/policy-calculator``).

An application sent without ``amount_fen`` takes the amount svc-policy computes for that policy and applicant. The
calculator is called over REST with a short-lived internal token minted for this service (kind ``service``), the
same token the gateway mints for its callers; nothing of svc-policy is imported.

``POLICY_URL`` names one svc-policy or, comma-separated, every replica (the launcher's ``--replicas``). Calls take
the replicas in turn; one that cannot be reached, times out or answers 5xx is left for the next in the list, each
replica at most once per call (the calculator only computes, so asking another replica again is safe). The call
fails (``PolicyUnavailable``) only when every replica did. A single name that resolves to every replica (compose's
``policy``, a Kubernetes headless service) also works: the connection tries each address it resolves to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Protocol

import httpx
from fastapi import Depends, Request
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.logging import outgoing_context_headers
from pydantic import BaseModel, ConfigDict, ValidationError

logger = logging.getLogger("kunruyi.disbursement.policy_calculator")

# The full answer: an application keeps each criterion's state (the compact default has no trace).
CALCULATOR_PATH = "/api/v1/policy-calculator?detail=full"
SERVICE_PRINCIPAL = Principal(
    kind="service", subject="svc-disbursement", name="svc-disbursement 兑现与拨付服务"
)


# needs_data: a figure the policy reads is not known; excluded: another tier of the same topic counts (就高不重复)
CalculatorStatus = Literal["eligible", "needs_confirmation", "needs_data", "excluded", "ineligible", "error"]


class PolicyUnavailable(Exception):
    """svc-policy could not be reached, timed out, answered 5xx or something unreadable: try again later."""


class NotComputable(Exception):
    """svc-policy answered, but has no amount for this applicant (no stored profile, a request it refused)."""

    def __init__(self, message: str, *, upstream_code: str | None = None) -> None:
        super().__init__(message)
        self.upstream_code = upstream_code


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    label: str | None = None
    kind: str | None = None
    state: str | None = None
    reason: str | None = None


class _Result(BaseModel):
    model_config = ConfigDict(extra="ignore")

    policy_code: str
    version: int
    status: CalculatorStatus
    amount_fen: int | None = None
    criteria: list[_Criterion] | None = None
    reason: str | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    results: list[_Result]
    evaluation_date: str | None = None


@dataclass(frozen=True)
class Calculation:
    """svc-policy's outcome for one policy and one applicant."""

    policy_code: str
    version: int
    status: CalculatorStatus
    amount_fen: int | None
    evaluation_date: str | None
    reason: str | None = None
    criteria: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed_labels(self) -> list[str]:
        return [str(c.get("label") or c.get("id")) for c in self.criteria if c.get("state") == "fail"]

    @property
    def manual_labels(self) -> list[str]:
        return [str(c.get("label") or c.get("id")) for c in self.criteria if c.get("state") == "manual"]

    def snapshot(self) -> dict[str, Any]:
        """What the application keeps: the decision and each criterion's state, not the profile values read."""
        return {
            "policy_code": self.policy_code,
            "version": self.version,
            "status": self.status,
            "amount_fen": self.amount_fen,
            "evaluation_date": self.evaluation_date,
            "reason": self.reason,
            "criteria": self.criteria,
        }


class PolicyCalculatorClient:
    def __init__(
        self,
        base_url: str,
        *,
        internal_token_secret: str,
        timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_urls = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        if not self.base_urls:
            raise ValueError("POLICY_URL names no svc-policy")
        self._secret = internal_token_secret
        self._timeout_s = timeout_s
        self._turn = 0
        # One pooled client for the app's lifetime (kept-alive connections to each replica), like the bank client.
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def close(self) -> None:
        await self._client.aclose()

    def _headers(self) -> dict[str, str]:
        token = mint_internal_token(SERVICE_PRINCIPAL, self._secret, ttl_s=60)
        return {INTERNAL_TOKEN_HEADER: token, **outgoing_context_headers()}

    async def calculate(
        self, entity_type: str, entity_id: str, policy_code: str, evaluation_date: date
    ) -> Calculation | None:
        """The calculator's result for ``policy_code``, or None when svc-policy has no such policy in force for this
        kind of applicant on ``evaluation_date``."""
        payload = {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "policy_codes": [policy_code],
            "evaluation_date": evaluation_date.isoformat(),
        }
        resp = await self._post(payload)
        if resp.status_code in (404, 422):
            body = _json_or_none(resp)
            code = body.get("code") if isinstance(body, dict) else None
            detail = body.get("detail") if isinstance(body, dict) else None
            raise NotComputable(str(detail or f"svc-policy 答复 {resp.status_code}"), upstream_code=code)
        if resp.status_code != 200:
            # 5xx from every replica, or a 401/403 that means this service is misconfigured (its secret): nothing
            # the applicant did.
            logger.warning("policy calculator answered %s: %s", resp.status_code, resp.text[:500])
            raise PolicyUnavailable(f"svc-policy 答复 {resp.status_code}")
        try:
            answer = _Answer.model_validate_json(resp.content)
        except ValidationError as exc:
            logger.warning("policy calculator answered something unreadable: %s", exc)
            raise PolicyUnavailable("svc-policy 的答复无法识别") from exc
        for result in answer.results:
            if result.policy_code == policy_code:
                return Calculation(
                    policy_code=result.policy_code,
                    version=result.version,
                    status=result.status,
                    amount_fen=result.amount_fen,
                    evaluation_date=answer.evaluation_date,
                    reason=result.reason,
                    criteria=[c.model_dump(exclude_none=True) for c in result.criteria or []],
                )
        return None

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        """The first answer that is not a 5xx, asking the replicas in turn (each call starts at the next one); a
        5xx answer when every replica failed and one answered; ``PolicyUnavailable`` when none could be reached
        or all timed out."""
        start = self._turn
        self._turn = (self._turn + 1) % len(self.base_urls)
        unreachable: PolicyUnavailable | None = None
        server_error: httpx.Response | None = None
        for i in range(len(self.base_urls)):
            url = self.base_urls[(start + i) % len(self.base_urls)]
            try:
                resp = await self._client.post(url + CALCULATOR_PATH, json=payload, headers=self._headers())
            except httpx.TimeoutException as exc:
                logger.warning("policy calculator %s timed out", url)
                unreachable = PolicyUnavailable(f"svc-policy 超时（{self._timeout_s} 秒）")
                unreachable.__cause__ = exc
                continue
            except httpx.HTTPError as exc:
                logger.warning("policy calculator %s unreachable: %s", url, type(exc).__name__)
                unreachable = PolicyUnavailable(f"svc-policy 无法连接（{type(exc).__name__}）")
                unreachable.__cause__ = exc
                continue
            if resp.status_code < 500:
                return resp
            server_error = resp
        if server_error is not None:
            return server_error
        assert unreachable is not None
        raise unreachable


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


class PolicyCalculator(Protocol):
    """What callers need of the calculator (the client below; a test may pass its own)."""

    async def calculate(
        self, entity_type: str, entity_id: str, policy_code: str, evaluation_date: date
    ) -> Calculation | None: ...


def calculator_client(request: Request) -> PolicyCalculatorClient:
    """The app's one svc-policy calculator client, made on first use (closed with the background work)."""
    client: PolicyCalculatorClient | None = getattr(request.app.state, "policy_calculator", None)
    if client is None:
        settings = request.app.state.settings
        client = PolicyCalculatorClient(
            settings.policy_url,
            internal_token_secret=settings.internal_token_secret,
            timeout_s=settings.policy_timeout_s,
        )
        request.app.state.policy_calculator = client
    return client


CalculatorDep = Annotated[PolicyCalculatorClient, Depends(calculator_client)]
