"""Partner calls as metrics over real HTTP: each verified call counted by app key and status (429s per key for the
alert, 5xx for the partner-call objective), and a nonce store that fails is counted, not hidden."""

from __future__ import annotations

import secrets
import time

import httpx
from kunruyi_common.crypto import FieldCipher
from kunruyi_common.db import create_sessionmaker
from kunruyi_gateway.partners import service
from kunruyi_gateway.partners.signature import DEFAULT_SIGN_METHOD, sign, string_to_sign
from kunruyi_gateway.settings import Settings
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def signed_headers(*, app_key: str, secret: str, method: str, path: str) -> dict[str, str]:
    """The partner guide's X-Kry-* headers for a bodiless request (signed with the gateway's own functions)."""
    timestamp, nonce = str(int(time.time() * 1000)), secrets.token_urlsafe(18)
    text_to_sign = string_to_sign(
        method=method,
        path=path,
        raw_query="",
        app_key=app_key,
        timestamp=timestamp,
        nonce=nonce,
        body=b"",
        sign_method=DEFAULT_SIGN_METHOD,
    )
    return {
        "X-Kry-AppKey": app_key,
        "X-Kry-Timestamp": timestamp,
        "X-Kry-Nonce": nonce,
        "X-Kry-Sign-Method": DEFAULT_SIGN_METHOD,
        "X-Kry-Signature": sign(secret, text_to_sign, DEFAULT_SIGN_METHOD),
    }


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _create_key(engine: AsyncEngine, settings: Settings, name: str, rate: str) -> tuple[str, str]:
    async with create_sessionmaker(engine)() as session, session.begin():
        issued = await service.create_key(
            session, FieldCipher.from_b64(settings.pii_key), name=name, scopes=["policy:read"], rate=rate
        )
    return issued.app_key.app_key, issued.secret


async def test_partner_calls_and_429s_are_counted_per_app_key(gateway, engine, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    app_key, secret = await _create_key(engine, gateway_settings, "计数合作方", "2/minute")
    latency_before = sample("kunruyi_gateway_partner_request_duration_seconds_count")
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        for _ in range(3):
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            await c.get("/api/v1/policies", headers=headers)
        bad = signed_headers(app_key=app_key, secret="wrong-secret", method="GET", path="/api/v1/policies")
        assert (await c.get("/api/v1/policies", headers=bad)).status_code == 401
    assert sample("kunruyi_gateway_partner_requests_total", app_key=app_key, status="200") == 2
    assert sample("kunruyi_gateway_partner_requests_total", app_key=app_key, status="429") == 1
    assert sample("kunruyi_gateway_partner_requests_total", app_key=app_key, status="401") == 0, (
        "a call whose signature fails is not a partner's call"
    )
    assert sample("kunruyi_gateway_partner_request_duration_seconds_count") == latency_before + 3


async def test_a_failing_nonce_store_is_counted(gateway, engine, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    app_key, secret = await _create_key(engine, gateway_settings, "故障合作方", "100/minute")
    before = sample("kunruyi_gateway_nonce_store_errors_total", operation="claim")
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE partner_nonces RENAME TO partner_nonces_away"))
    try:
        async with httpx.AsyncClient(base_url=gateway.url) as c:
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            resp = await c.get("/api/v1/policies", headers=headers)
        assert resp.status_code == 500 and resp.json()["code"] == "internal_error"
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE partner_nonces_away RENAME TO partner_nonces"))
    assert sample("kunruyi_gateway_nonce_store_errors_total", operation="claim") == before + 1
