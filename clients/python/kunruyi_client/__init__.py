"""Python client for partner platforms calling the 昆如意 (Kunruyi) API.

    from kunruyi_client import KunruyiClient, Conflict

    with KunruyiClient("https://api.example", "ak-…", "secret") as api:
        api.call("POST", "/api/v1/enterprises", json={...})          # signed, retried under one Idempotency-Key
        for page in api.paginate("/api/v1/enterprises", params={"district": "高新区"}):
            ...

The contract it implements: gateway/docs/partner-guide.md. It depends on httpx only.
"""

from kunruyi_client.client import AsyncKunruyiClient, KunruyiClient, Page, RetryPolicy
from kunruyi_client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    IdempotencyKeyConflict,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    RateLimited,
    ServerError,
    Unauthorized,
    Unavailable,
    ValidationFailed,
    problem_from_response,
)
from kunruyi_client.signing import (
    DEFAULT_SIGN_METHOD,
    SIGN_METHODS,
    SignMethod,
    body_digest,
    canonical_query,
    sign,
    sign_request,
    signed_headers,
    string_to_sign,
)

__all__ = [
    "DEFAULT_SIGN_METHOD",
    "SIGN_METHODS",
    "AsyncKunruyiClient",
    "BadRequest",
    "ClientError",
    "Conflict",
    "Forbidden",
    "IdempotencyKeyConflict",
    "KunruyiClient",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "ProblemError",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "SignMethod",
    "Unauthorized",
    "Unavailable",
    "ValidationFailed",
    "body_digest",
    "canonical_query",
    "problem_from_response",
    "sign",
    "sign_request",
    "signed_headers",
    "string_to_sign",
]
