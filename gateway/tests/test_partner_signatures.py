"""Issue 7 §1: the signature contract (worked examples exactly) and every refusal code over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from kunruyi_client import AsyncKunruyiClient, signed_headers
from kunruyi_common.crypto import FieldCipher
from kunruyi_gateway.partners import service
from kunruyi_gateway.partners.signature import body_digest, canonical_query, hmac_sm3, sign, string_to_sign
from kunruyi_gateway.settings import Settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

EXAMPLE = {
    "method": "POST",
    "path": "/api/v1/policy-calculator",
    "raw_query": "lang=zh&q=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF&b=1",
    "app_key": "demo-partner",
    "timestamp": "1763712000000",
    "nonce": "n0nce-0001-abcdef",
    "body": b'{"entity_type":"enterprise","entity_id":"91320583MA1KRY007B"}',
}


def test_worked_example_hmac_sha256() -> None:
    assert canonical_query(str(EXAMPLE["raw_query"])) == "b=1&lang=zh&q=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF"
    assert body_digest(EXAMPLE["body"]) == "17af6a078d5b286374164796ec25e5656b4f290057635dba83c0e2f2d0513ee6"  # type: ignore[arg-type]
    text_ = string_to_sign(**EXAMPLE, sign_method="HMAC-SHA256")  # type: ignore[arg-type]
    assert sign("s3cr3t-demo", text_) == "8961062dfba86dccb516b235d27c0c201211bca78316b50bf390376a60854df1"


def test_worked_example_hmac_sm3() -> None:
    assert body_digest(EXAMPLE["body"], "HMAC-SM3") == (  # type: ignore[arg-type]
        "1521aeb2333e9396136f277744c10d4dc40a3cf393f73406f9bb9d9f8c673357"
    )
    text_ = string_to_sign(**EXAMPLE, sign_method="HMAC-SM3")  # type: ignore[arg-type]
    assert (
        sign("s3cr3t-demo", text_, "HMAC-SM3")
        == "8a8f72bb03985e02e914ae6d397c4178ef77587f46e7c57d0dfb0aedd27f5672"
    )


def test_string_to_sign_layout() -> None:
    text_ = string_to_sign(**EXAMPLE)  # type: ignore[arg-type]
    assert text_.split("\n") == [
        "POST",
        "/api/v1/policy-calculator",
        "b=1&lang=zh&q=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF",
        "demo-partner",
        "1763712000000",
        "n0nce-0001-abcdef",
        "17af6a078d5b286374164796ec25e5656b4f290057635dba83c0e2f2d0513ee6",
    ]
    assert not text_.endswith("\n")
    empty = string_to_sign(
        method="get", path="/x", raw_query="", app_key="k", timestamp="1", nonce="n", body=b""
    )
    assert empty.split("\n")[0] == "GET"
    assert empty.split("\n")[2] == ""
    assert empty.endswith("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", ""),
        ("a+b=c+d", "a%2Bb=c%2Bd"),  # a plus stays a literal plus
        ("flag&x=1", "flag=&x=1"),  # no "=" means an empty value
        ("k=v=w", "k=v%3Dw"),  # split at the first "=" only
        ("x=2&x=10&a=%7e", "a=~&x=10&x=2"),  # sort by name then value; ~ unreserved; hex upper case
        ("q=%e4%b8%ad", "q=%E4%B8%AD"),
        ("q=中 文", "q=%E4%B8%AD%20%E6%96%87"),
    ],
)
def test_canonical_query_rules(raw: str, canonical: str) -> None:
    assert canonical_query(raw) == canonical


def test_openssl_hmac_sm3_matches_the_rfc2104_reference() -> None:
    """The fast HMAC-SM3 (OpenSSL) and the pure-Python RFC 2104 construction agree, across key lengths around the
    64-byte block and messages of several blocks."""
    import os

    from kunruyi_gateway.partners.signature import (
        OPENSSL_SM3,
        hmac_sm3_reference,
        sm3_digest,
        sm3_digest_reference,
    )

    assert OPENSSL_SM3  # this platform's build has SM3: the gateway verifies HMAC-SM3 in C
    for key_len in (0, 1, 11, 63, 64, 65, 100):
        for msg_len in (0, 1, 55, 56, 64, 300):
            key, msg = os.urandom(key_len), os.urandom(msg_len)
            assert hmac_sm3(key, msg) == hmac_sm3_reference(key, msg), (key_len, msg_len)
            assert sm3_digest(msg) == sm3_digest_reference(msg)
    # GB/T 32905-2016 example 1: SM3("abc").
    assert sm3_digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_hmac_sm3_handles_long_keys_like_rfc2104() -> None:
    long_key = b"k" * 100
    from kunruyi_gateway.partners.signature import sm3_digest

    assert hmac_sm3(long_key, b"m") == hmac_sm3(sm3_digest(long_key), b"m")
    assert hmac_sm3(b"k", b"m") != hmac_sm3(b"k\x00x", b"m")


# -- through the gateway -----------------------------------------------------------------------------------------


def _problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    return body


async def _create_key(
    engine: AsyncEngine, settings: Settings, name: str, scopes: list[str], rate: str = "1000/minute"
) -> tuple[str, str]:
    from kunruyi_common.db import create_sessionmaker

    async with create_sessionmaker(engine)() as session, session.begin():
        issued = await service.create_key(
            session, FieldCipher.from_b64(settings.pii_key), name=name, scopes=scopes, rate=rate
        )
    return issued.app_key.app_key, issued.secret


async def test_signed_request_reaches_the_service_as_a_partner_principal(gateway, demo_key) -> None:  # type: ignore[no-untyped-def]
    app_key, secret = demo_key
    for method in ("HMAC-SHA256", "HMAC-SM3"):
        client = AsyncKunruyiClient(gateway.url, app_key, secret, sign_method=method)  # type: ignore[arg-type]
        try:
            resp = await client.request(
                "POST",
                "/api/v1/policy-calculator",
                params={"q": "集成电路", "b": "1"},
                json={"uscc": "91320583MA1XXXXXX0"},
            )
        finally:
            await client.aclose()
        assert resp.status_code == 200, resp.text
        echoed = resp.json()
        assert echoed["principal"]["kind"] == "partner"
        assert echoed["principal"]["subject"] == "demo-partner"
        assert "policy:read" in echoed["principal"]["scopes"]
        assert json.loads(echoed["body"]) == {"uscc": "91320583MA1XXXXXX0"}
        # The partner's credentials stay at the gateway: the service gets the internal token only.
        assert not {
            "x-kry-appkey",
            "x-kry-nonce",
            "x-kry-signature",
            "x-kry-timestamp",
            "x-kry-sign-method",
        } & set(echoed["header_names"])
        assert "x-kry-principal" in echoed["header_names"]


async def test_the_path_is_signed_exactly_as_sent(gateway, demo_key) -> None:  # type: ignore[no-untyped-def]
    """PATH is the path as it goes on the wire: percent-escapes kept, not decoded, not re-encoded."""
    app_key, secret = demo_key
    wire = "/api/v1/policies/%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF"
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        as_sent = signed_headers(app_key=app_key, secret=secret, method="GET", path=wire, raw_query="v=1")
        resp = await c.get(f"{wire}?v=1", headers=as_sent)
        assert resp.status_code == 200, resp.text
        assert resp.json()["path"] == "/api/v1/policies/集成电路"
        # The decoded form is not what was sent.
        decoded = signed_headers(
            app_key=app_key, secret=secret, method="GET", path="/api/v1/policies/集成电路"
        )
        _problem(await c.get(wire, headers=decoded), 401, "invalid_signature")
        # An escaped slash is part of the path as sent; signing "a/b" does not cover "a%2Fb".
        slash = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies/a%2Fb")
        assert (await c.get("/api/v1/policies/a%2Fb", headers=slash)).status_code == 200
        other = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies/a/b")
        _problem(await c.get("/api/v1/policies/a%2Fb", headers=other), 401, "invalid_signature")
    # The reference client signs what httpx puts on the wire, Chinese path segments and spaces included.
    for method in ("HMAC-SHA256", "HMAC-SM3"):
        client = AsyncKunruyiClient(gateway.url, app_key, secret, sign_method=method)  # type: ignore[arg-type]
        try:
            resp = await client.request("GET", "/api/v1/policies/集成 电路", params={"q": "人才+公寓"})
        finally:
            await client.aclose()
        assert resp.status_code == 200, resp.text
        assert resp.json()["path"] == "/api/v1/policies/集成 电路"
        assert resp.json()["principal"]["subject"] == app_key


async def test_missing_credentials(gateway, demo_key) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        headers = signed_headers(
            app_key=demo_key[0], secret=demo_key[1], method="GET", path="/api/v1/enterprises"
        )
        del headers["X-Kry-Signature"]
        body = _problem(await c.get("/api/v1/enterprises", headers=headers), 401, "missing_credentials")
        assert "X-Kry-Signature" in body["detail"]
        # Anonymous on a non-public route is refused the same way.
        _problem(await c.get("/api/v1/enterprises"), 401, "missing_credentials")


async def test_unknown_and_disabled_app_keys(gateway, engine, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        headers = signed_headers(app_key="no-such-key", secret="x", method="GET", path="/api/v1/policies")
        _problem(await c.get("/api/v1/policies", headers=headers), 401, "unknown_app_key")

        app_key, secret = await _create_key(engine, gateway_settings, "停用测试", ["policy:read"])
        ok = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/entitlements")
        assert (await c.get("/api/v1/entitlements", headers=ok)).status_code == 200
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE partner_app_keys SET status = 'disabled' WHERE app_key = :k"), {"k": app_key}
            )
        again = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/entitlements")
        _problem(await c.get("/api/v1/entitlements", headers=again), 401, "unknown_app_key")


async def test_timestamp_out_of_window(gateway, demo_key) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        for skew_ms in (-301_000, 301_000):
            headers = signed_headers(
                app_key=demo_key[0],
                secret=demo_key[1],
                method="GET",
                path="/api/v1/policies",
                timestamp_ms=int(time.time() * 1000) + skew_ms,
            )
            _problem(await c.get("/api/v1/policies", headers=headers), 401, "timestamp_out_of_window")
        inside = signed_headers(
            app_key=demo_key[0],
            secret=demo_key[1],
            method="GET",
            path="/api/v1/policies",
            timestamp_ms=int(time.time() * 1000) - 250_000,
        )
        assert (await c.get("/api/v1/policies", headers=inside)).status_code == 200


async def test_invalid_signature(gateway, demo_key) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        wrong_secret = signed_headers(
            app_key=demo_key[0], secret="not-the-secret", method="GET", path="/api/v1/policies"
        )
        _problem(await c.get("/api/v1/policies", headers=wrong_secret), 401, "invalid_signature")
        # Signed for one query, sent with another.
        signed = signed_headers(
            app_key=demo_key[0], secret=demo_key[1], method="GET", path="/api/v1/policies", raw_query="page=1"
        )
        _problem(await c.get("/api/v1/policies?page=2", headers=signed), 401, "invalid_signature")
        # Signed for one body, sent with another.
        signed = signed_headers(
            app_key=demo_key[0], secret=demo_key[1], method="POST", path="/api/v1/demands", body=b'{"a":1}'
        )
        _problem(
            await c.post("/api/v1/demands", headers=signed, content=b'{"a":2}'), 401, "invalid_signature"
        )


async def test_replayed_request_is_refused_also_by_a_restarted_gateway(  # type: ignore[no-untyped-def]
    gateway, gateway_settings, demo_key, serve_gateway
) -> None:
    headers = signed_headers(
        app_key=demo_key[0], secret=demo_key[1], method="GET", path="/api/v1/policies", raw_query="a=1"
    )
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        assert (await c.get("/api/v1/policies?a=1", headers=headers)).status_code == 200
        _problem(await c.get("/api/v1/policies?a=1", headers=headers), 401, "replayed_request")
    # A new gateway instance (a restart, or another replica) on the same database remembers the nonce.
    async with serve_gateway(gateway_settings) as restarted, httpx.AsyncClient(base_url=restarted.url) as c:
        _problem(await c.get("/api/v1/policies?a=1", headers=headers), 401, "replayed_request")
        fresh = signed_headers(
            app_key=demo_key[0], secret=demo_key[1], method="GET", path="/api/v1/policies", raw_query="a=1"
        )
        assert (await c.get("/api/v1/policies?a=1", headers=fresh)).status_code == 200


async def test_a_claim_cut_off_from_the_database_is_503_and_the_same_request_goes_through_after(  # type: ignore[no-untyped-def]
    gateway, engine, demo_key
) -> None:
    """The nonce claim's connection dies under it (a database restart, a failover): the partner gets a 503 it may
    retry — not a 500, not a replay refusal — and its very same signed request passes next time, since nothing was
    claimed."""
    app_key, secret = demo_key
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        warm = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
        assert (await c.get("/api/v1/policies", headers=warm)).status_code == 200
        async with engine.connect() as admin:
            cut = (
                await admin.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND query LIKE 'WITH input AS%partner_nonces%'"
                    )
                )
            ).scalar_one()
        assert cut >= 1  # the verifier keeps the connection that ran the last claim for the next one
        headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
        refused = await c.get("/api/v1/policies", headers=headers)
        _problem(refused, 503, "database_unavailable")
        assert refused.headers["retry-after"] == "1"
        assert (await c.get("/api/v1/policies", headers=headers)).status_code == 200
        _problem(await c.get("/api/v1/policies", headers=headers), 401, "replayed_request")


async def test_an_expired_nonce_may_be_used_again(gateway, engine, demo_key) -> None:  # type: ignore[no-untyped-def]
    headers = signed_headers(app_key=demo_key[0], secret=demo_key[1], method="GET", path="/api/v1/policies")
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        assert (await c.get("/api/v1/policies", headers=headers)).status_code == 200
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE partner_nonces SET expires_at = now() - interval '1 second' WHERE nonce = :n"),
                {"n": headers["X-Kry-Nonce"]},
            )
        assert (await c.get("/api/v1/policies", headers=headers)).status_code == 200


async def test_scope_denied(gateway, engine, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    app_key, secret = await _create_key(engine, gateway_settings, "只读合作方", ["policy:read"])
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        body = b'{"policy_code":"P1"}'
        headers = signed_headers(
            app_key=app_key, secret=secret, method="POST", path="/api/v1/applications", body=body
        )
        problem = _problem(
            await c.post("/api/v1/applications", headers=headers, content=body), 403, "scope_denied"
        )
        assert problem["required_scope"] == "disbursement:write"
        headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/app-keys")
        _problem(await c.get("/api/v1/app-keys", headers=headers), 403, "scope_denied")


async def test_rate_limited_with_retry_after(gateway, engine, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    app_key, secret = await _create_key(
        engine, gateway_settings, "限速合作方", ["policy:read"], rate="3/minute"
    )
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        statuses = []
        for _ in range(4):
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            resp = await c.get("/api/v1/policies", headers=headers)
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 200, 429]
        _problem(resp, 429, "rate_limited")
        assert 1 <= int(resp.headers["retry-after"]) <= 60


async def test_a_keys_rate_is_one_rate_across_gateway_replicas(  # type: ignore[no-untyped-def]
    gateway, engine, gateway_settings, serve_gateway
) -> None:
    """Two replicas on one database: the key's 3/minute holds for the pair, not 3 per replica; replays and
    refused signatures do not use up the rate."""
    app_key, secret = await _create_key(
        engine, gateway_settings, "双副本限速", ["policy:read"], rate="3/minute"
    )
    async with serve_gateway(gateway_settings) as other, httpx.AsyncClient() as c:
        first = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
        assert (await c.get(f"{gateway.url}/api/v1/policies", headers=first)).status_code == 200
        _problem(await c.get(f"{other.url}/api/v1/policies", headers=first), 401, "replayed_request")
        forged = signed_headers(app_key=app_key, secret="wrong", method="GET", path="/api/v1/policies")
        _problem(await c.get(f"{other.url}/api/v1/policies", headers=forged), 401, "invalid_signature")
        statuses = []
        for url in (other.url, gateway.url, other.url):
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            resp = await c.get(f"{url}/api/v1/policies", headers=headers)
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 429]
        problem = _problem(resp, 429, "rate_limited")
        assert problem["limit"] == "3/minute"
        assert 1 <= int(resp.headers["retry-after"]) <= 60
        # Another key has its own window.
        other_key, other_secret = await _create_key(engine, gateway_settings, "另一合作方", ["policy:read"])
        headers = signed_headers(
            app_key=other_key, secret=other_secret, method="GET", path="/api/v1/policies"
        )
        assert (await c.get(f"{other.url}/api/v1/policies", headers=headers)).status_code == 200


async def test_rotation_keeps_the_old_secret_during_the_overlap(
    gateway, engine, gateway_settings, staff_token
) -> None:  # type: ignore[no-untyped-def]
    app_key, old_secret = await _create_key(engine, gateway_settings, "轮换合作方", ["policy:read"])
    admin = {"Authorization": f"Bearer {staff_token('admin')}"}
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        rotated = await c.post(f"/api/v1/app-keys/{app_key}/rotate", json={"overlap_s": 3600}, headers=admin)
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != old_secret
        for secret in (old_secret, new_secret):
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            assert (await c.get("/api/v1/policies", headers=headers)).status_code == 200
        # A second rotation with no overlap retires every earlier secret at once.
        newest = (
            await c.post(f"/api/v1/app-keys/{app_key}/rotate", json={"overlap_s": 0}, headers=admin)
        ).json()
        for secret in (old_secret, new_secret):
            headers = signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            _problem(await c.get("/api/v1/policies", headers=headers), 401, "invalid_signature")
        headers = signed_headers(
            app_key=app_key, secret=newest["secret"], method="GET", path="/api/v1/policies"
        )
        assert (await c.get("/api/v1/policies", headers=headers)).status_code == 200


async def test_admin_api_creates_lists_and_disables_keys_and_never_shows_secrets_again(  # type: ignore[no-untyped-def]
    gateway, engine, staff_token
) -> None:
    admin = {"Authorization": f"Bearer {staff_token('admin')}"}
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        created = await c.post(
            "/api/v1/app-keys",
            headers=admin,
            json={"name": "接口测试", "scopes": ["talent:read"], "rate": "10/second"},
        )
        assert created.status_code == 201, created.text
        key = created.json()
        assert key["secret"] and key["scopes"] == ["talent:read"]
        listed = (await c.get("/api/v1/app-keys", headers=admin)).json()["items"]
        assert any(k["app_key"] == key["app_key"] for k in listed)
        assert all("secret" not in k for k in listed)
        async with engine.connect() as conn:
            stored = (
                await conn.execute(
                    text("SELECT secret_encrypted FROM partner_app_key_secrets WHERE app_key = :k"),
                    {"k": key["app_key"]},
                )
            ).scalar_one()
        assert key["secret"] not in stored and stored.startswith("v1.")
        bad = await c.post("/api/v1/app-keys", headers=admin, json={"name": "x", "scopes": ["everything"]})
        _problem(bad, 422, "validation_error")
        officer = {"Authorization": f"Bearer {staff_token('officer')}"}
        _problem(await c.get("/api/v1/app-keys", headers=officer), 403, "role_required")
        disabled = await c.post(f"/api/v1/app-keys/{key['app_key']}/disable", headers=admin)
        assert disabled.json()["status"] == "disabled"
        headers = signed_headers(
            app_key=key["app_key"], secret=key["secret"], method="GET", path="/api/v1/talents"
        )
        _problem(await c.get("/api/v1/talents", headers=headers), 401, "unknown_app_key")


def test_cli_creates_rotates_disables_and_lists(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, "KRY_GATEWAY_DATABASE_URL": gateway_settings.database_url}

    def cli(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "kunruyi_gateway", "app-key", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    created = json.loads(
        cli("create", "--name", "命令行合作方", "--scope", "policy:read", "--rate", "5/second")
    )
    assert created["secret"] and created["scopes"] == ["policy:read"]
    rotated = json.loads(cli("rotate", created["app_key"], "--overlap-s", "60"))
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_valid_until"]
    assert json.loads(cli("disable", created["app_key"]))["status"] == "disabled"
    listed = [json.loads(line) for line in cli("list").splitlines()]
    mine = next(k for k in listed if k["app_key"] == created["app_key"])
    assert mine["status"] == "disabled" and "secret" not in mine


def test_partner_guide_second_example_with_a_chinese_query() -> None:
    raw = "department=%e7%a7%91%e6%8a%80%e5%b1%80&q=%E4%BA%BA%E6%89%8D+%E5%85%AC%E5%AF%93&page=1"
    assert (
        canonical_query(raw)
        == "department=%E7%A7%91%E6%8A%80%E5%B1%80&page=1&q=%E4%BA%BA%E6%89%8D%2B%E5%85%AC%E5%AF%93"
    )
    args = {
        "method": "GET",
        "path": "/api/v1/policies",
        "raw_query": raw,
        "app_key": "demo-partner",
        "timestamp": "1763712060000",
        "nonce": "n0nce-0002-zh-query",
        "body": b"",
    }
    assert sign("s3cr3t-demo", string_to_sign(**args)) == (  # type: ignore[arg-type]
        "bcd56373c52a1c92e6b463e4ee045d5389e442baf1e08c3145578061eedfdb26"
    )
    assert body_digest(b"", "HMAC-SM3") == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
    assert sign("s3cr3t-demo", string_to_sign(**args, sign_method="HMAC-SM3"), "HMAC-SM3") == (  # type: ignore[arg-type]
        "a176e8d3f75357c1beecd68dcee536d9a51aa9855a3a8922cf7d95e41d9fb7d5"
    )


def test_seed_is_idempotent_and_prints_demo_code_urls(demo_key, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, "KRY_GATEWAY_DATABASE_URL": gateway_settings.database_url}
    proc = subprocess.run(
        [sys.executable, "-m", "kunruyi_gateway", "seed"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("/q/") == 3 and "kunruyi_gateway: seeded" in proc.stdout


async def test_concurrent_claims_count_every_request_once_and_let_one_nonce_through_once(  # type: ignore[no-untyped-def]
    gateway, engine, gateway_settings, serve_gateway
) -> None:
    """Claims made at once go to PostgreSQL in batches: 40 requests at once on two replicas against a 25/minute
    key are 25 answers and 15 refusals for the rate, each request counted once; one nonce sent 6 times at once
    to both replicas passes once and is a replay 5 times."""
    import asyncio

    app_key, secret = await _create_key(
        engine, gateway_settings, "并发限速", ["policy:read"], rate="25/minute"
    )
    async with serve_gateway(gateway_settings) as other, httpx.AsyncClient(timeout=30) as c:

        async def one(url: str, headers: dict[str, str]) -> httpx.Response:
            return await c.get(f"{url}/api/v1/policies", headers=headers)

        fresh = [
            signed_headers(app_key=app_key, secret=secret, method="GET", path="/api/v1/policies")
            for _ in range(40)
        ]
        answers = await asyncio.gather(
            *(one(gateway.url if i % 2 else other.url, h) for i, h in enumerate(fresh))
        )
        assert sorted(r.status_code for r in answers) == [200] * 25 + [429] * 15
        async with engine.connect() as conn:
            hits = (
                await conn.execute(
                    text("SELECT hits FROM partner_rate_windows WHERE bucket = :b"),
                    {"b": f"{app_key}|25/minute"},
                )
            ).scalar_one()
        assert hits == 40

        key2, secret2 = await _create_key(engine, gateway_settings, "并发重放", ["policy:read"])
        once = signed_headers(app_key=key2, secret=secret2, method="GET", path="/api/v1/policies")
        answers = await asyncio.gather(*(one(gateway.url if i % 2 else other.url, once) for i in range(6)))
        assert sorted(r.status_code for r in answers) == [200] + [401] * 5
        for r in answers:
            if r.status_code == 401:
                _problem(r, 401, "replayed_request")
