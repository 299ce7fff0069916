"""Issue 7 §2 and §3: staff tokens, the role × endpoint table (through the gateway, real HTTP), limits."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from kunruyi_client import signed_headers
from kunruyi_gateway.access.rules import markdown_table
from kunruyi_gateway.settings import Settings

ROLES = ("officer", "reviewer", "approver", "finance", "broker", "leader", "admin")
OFF, REV, APP, FIN, BRK, LDR = "officer", "reviewer", "approver", "finance", "broker", "leader"

# (method, path, anonymous passes, roles that pass besides admin, partner scope that passes)
ACCESS_TABLE: list[tuple[str, str, bool, set[str], str | None]] = [
    ("GET", "/api/v1/policies", True, {OFF, REV, APP, FIN, BRK}, "policy:read"),
    ("POST", "/api/v1/policies", False, {OFF}, None),
    ("POST", "/api/v1/policy-calculator", True, {OFF, REV, APP, FIN, BRK}, "policy:read"),
    ("GET", "/api/v1/policy-catalog/export", False, {OFF}, None),
    ("POST", "/api/v1/policy-documents", False, {OFF}, None),
    ("PATCH", "/api/v1/policy-documents/DOC-1", False, {OFF}, None),
    ("POST", "/api/v1/policy-catalog/imports", False, {OFF}, None),
    # A leader (领导) reads the cockpit's indicators and the money reports, and nothing else that is not public.
    ("GET", "/api/v1/indicators", False, {OFF, REV, APP, FIN, BRK, LDR}, None),
    ("GET", "/api/v1/indicators/annual-reports/2025", False, {OFF, REV, APP, FIN, BRK, LDR}, None),
    ("POST", "/api/v1/indicators/talent_total/reports", False, {OFF, APP}, None),
    ("GET", "/api/v1/platforms", False, {OFF, REV, APP, BRK}, "talent:read"),
    ("POST", "/api/v1/platforms", False, {OFF}, None),
    ("POST", "/api/v1/platforms/p-1/reviews", False, {OFF}, None),
    ("GET", "/api/v1/teams", False, {OFF, REV, APP, BRK}, "talent:read"),
    ("GET", "/api/v1/teams/t-1", False, {OFF, REV, APP, BRK}, "talent:read"),
    ("POST", "/api/v1/teams", False, {OFF}, None),
    ("PUT", "/api/v1/teams/t-1/members", False, {OFF}, None),
    ("POST", "/api/v1/policy-simulations", False, {OFF}, None),
    ("POST", "/api/v1/entitlement-runs", False, {OFF, FIN}, None),
    ("GET", "/api/v1/jobs", False, {OFF, FIN}, None),
    ("POST", "/api/v1/jobs/j-1/cancel", False, {OFF, FIN}, None),
    ("GET", "/api/v1/enterprises/91320583MA1XXXXXX0", False, {OFF, REV, APP, BRK}, "talent:read"),
    ("POST", "/api/v1/enterprises", False, {OFF}, "talent:write"),
    ("GET", "/api/v1/tickets/T20260001?secret=abc", True, {OFF}, "talent:read"),
    ("GET", "/api/v1/tickets", False, {OFF}, "talent:read"),
    ("POST", "/api/v1/tickets", False, {OFF, REV, APP}, "talent:write"),
    ("GET", "/api/v1/housing/projects", True, {OFF}, "talent:read"),
    ("GET", "/api/v1/applications", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("POST", "/api/v1/applications", False, {OFF, REV, APP}, "disbursement:write"),
    ("POST", "/api/v1/payees", False, {FIN}, "disbursement:write"),
    ("GET", "/api/v1/reconciliation/runs", False, {FIN, APP}, None),
    ("POST", "/api/v1/demands", False, {BRK, OFF}, "matching:write"),
    ("GET", "/api/v1/taxonomy", True, {OFF, REV, APP, FIN, BRK}, "matching:read"),
    ("POST", "/api/v1/assignments/runs", False, {OFF}, None),
    ("GET", "/api/v1/challenges", True, {BRK, OFF}, "matching:read"),
    # Every other row of the table, service by service.
    ("GET", "/api/v1/policy-variables", True, {OFF, REV, APP, FIN, BRK}, "policy:read"),
    ("PUT", "/api/v1/departments/kjj", False, {OFF}, None),
    ("GET", "/api/v1/entitlements", False, {OFF, REV, APP, FIN}, "policy:read"),
    ("GET", "/api/v1/talents/t-1", False, {OFF, REV, APP, BRK}, "talent:read"),
    ("POST", "/api/v1/imports", False, {OFF}, "talent:write"),
    ("GET", "/api/v1/imports/i-1", False, {OFF}, "talent:read"),
    ("GET", "/api/v1/service-desk/cases", False, {OFF, REV, APP}, "talent:read"),
    ("POST", "/api/v1/service-desk/cases", False, {OFF, REV, APP}, "talent:write"),
    ("POST", "/api/v1/housing/applications", False, {OFF}, "talent:write"),
    ("GET", "/api/v1/campaigns/m2026/stats", False, {OFF, REV, APP}, None),
    ("POST", "/api/v1/campaigns/m2026/visits", False, {OFF}, None),
    ("GET", "/api/v1/activities", True, {OFF, REV, APP}, None),
    ("POST", "/api/v1/activities/a-1/check-ins", False, {OFF}, None),
    # Anyone registers and checks themselves in (the service asks who: a session, or name and phone + the code).
    ("POST", "/api/v1/activities/a-1/sign-ups", True, {OFF}, None),
    ("POST", "/api/v1/activities/a-1/self-check-ins", True, {OFF}, None),
    ("POST", "/api/v1/activities/a-1/outcomes/self-check-ins", False, {OFF}, None),
    ("GET", "/api/v1/service-lists?kind=need", False, {OFF, REV, APP}, None),
    ("POST", "/api/v1/service-lists/countermeasures", False, {OFF}, None),
    ("GET", "/api/v1/disbursements", False, {FIN, APP, REV, OFF}, "disbursement:read"),
    ("POST", "/api/v1/disbursements/d-1/approve", False, {APP}, None),
    ("POST", "/api/v1/budgets", False, {FIN}, None),
    ("GET", "/api/v1/budgets", False, {FIN, APP, REV, OFF}, None),
    ("GET", "/api/v1/ledger/entries", False, {FIN, APP}, None),
    ("POST", "/api/v1/bank/callbacks", False, {FIN}, None),
    ("GET", "/api/v1/reports/disbursements?group_by=mode", False, {FIN, APP, REV, OFF, LDR}, None),
    ("POST", "/api/v1/reports/quarterly", False, {FIN}, None),
    ("GET", "/api/v1/audit", False, {FIN, APP, REV, OFF}, None),
    ("GET", "/api/v1/demands", False, {BRK, OFF}, "matching:read"),
    ("GET", "/api/v1/demands/lookup?number=XQ20261205000001&secret=abc", True, {BRK, OFF}, "matching:read"),
    ("GET", "/api/v1/supply/experts", False, {BRK, OFF}, "matching:read"),
    ("GET", "/api/v1/supply?kind=company&industry_chain=semiconductor", False, {BRK, OFF}, "matching:read"),
    ("POST", "/api/v1/supply/experts", False, {BRK, OFF}, "matching:write"),
    ("PATCH", "/api/v1/brokers/b-1", False, {BRK, OFF}, "matching:read"),
    ("POST", "/api/v1/challenges/c-1/scores", False, {BRK, OFF, REV}, "matching:write"),
    ("GET", "/api/v1/policy-calculator/variables", True, {OFF, REV, APP, FIN, BRK}, "policy:read"),
    ("GET", "/api/v1/policy-simulations/s-1", False, {OFF}, None),
    ("GET", "/api/v1/entitlement-runs", False, {OFF, FIN}, None),
    ("GET", "/api/v1/brokers", False, {BRK, OFF}, "matching:read"),
    # A person's own inbox: signed-in companies and talents (below), no staff role but admin, no partner.
    ("GET", "/api/v1/messages", False, set(), None),
    ("POST", "/api/v1/messages/m-1/read", False, set(), None),
    ("GET", "/api/v1/message-deliveries", False, set(), None),
    ("GET", "/api/v1/programs", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("GET", "/api/v1/program-calls/c-1/ranking", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("GET", "/api/v1/program-applications/a-1", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("POST", "/api/v1/programs", False, {OFF}, None),
    ("POST", "/api/v1/program-calls/c-1/applications", False, {OFF, REV, APP}, "disbursement:write"),
    ("POST", "/api/v1/program-applications/a-1/scores", False, {REV, OFF}, None),
    ("GET", "/api/v1/funding-agreements/f-1", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("POST", "/api/v1/funding-agreements/f-1/tranches/1/release", False, {OFF, APP}, None),
    ("GET", "/api/v1/program-notices/c-1", True, set(), None),
    ("GET", "/api/v1/financing/demands/d-1/matches", False, {BRK, OFF}, "finance:write"),
    ("POST", "/api/v1/financing/pipelines/p-1/stages", False, {BRK, OFF}, "finance:write"),
    ("POST", "/api/v1/program-notices/c-1/objections", True, set(), None),
    ("GET", "/api/v1/program-calls/c-1/objections", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("GET", "/api/v1/program-objections/o-1", False, {OFF, REV, APP, FIN}, "disbursement:read"),
    ("POST", "/api/v1/program-objections/o-1/resolution", False, {OFF}, None),
    ("POST", "/api/v1/funding-agreements/f-1/acceptance", False, {OFF, APP}, None),
]


def _ids() -> list[str]:
    return [f"{m} {p}" for m, p, *_ in ACCESS_TABLE]


@pytest.mark.parametrize(("method", "path", "anonymous", "roles", "scope"), ACCESS_TABLE, ids=_ids())
async def test_role_by_endpoint_table(  # type: ignore[no-untyped-def]
    gateway,
    staff_token,
    demo_key,
    method: str,
    path: str,
    anonymous: bool,
    roles: set[str],
    scope: str | None,
) -> None:
    body = b"{}" if method != "GET" else b""
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        anon = await c.request(method, path, content=body or None)
        assert (anon.status_code == 200) == anonymous, (anon.status_code, anon.text)
        if not anonymous:
            assert anon.json()["code"] == "missing_credentials"
        else:
            assert anon.json()["principal"] is None
        for role in ROLES:
            resp = await c.request(
                method,
                path,
                content=body or None,
                headers={"Authorization": f"Bearer {staff_token(role, dept='科技局')}"},
            )
            allowed = role == "admin" or role in roles or anonymous  # what anyone may read, staff may too
            assert (resp.status_code == 200) == allowed, (role, resp.status_code, resp.text)
            if allowed:
                principal = resp.json()["principal"]
                assert principal["kind"] == "staff" and principal["roles"] == [role]
                assert principal["department"] == "科技局"
            elif not anonymous:
                assert resp.json()["code"] == "role_required"
        # A partner holding every scope passes exactly where a scope is named (or the route is public).
        raw_path, _, query = path.partition("?")
        headers = signed_headers(
            app_key=demo_key[0], secret=demo_key[1], method=method, path=raw_path, raw_query=query, body=body
        )
        resp = await c.request(method, path, content=body or None, headers=headers)
        assert (resp.status_code == 200) == (scope is not None or anonymous), resp.text
        if scope is None and not anonymous:
            assert resp.json()["code"] == "scope_denied"


@pytest.mark.parametrize(
    ("subject", "target", "admitted"),
    [
        ("enterprise:91320583MA1XXXXXX0", "91320583MA1XXXXXX0", True),  # a company signed in through 苏商通
        (
            "talent:0b7f3c1e-2f57-4a43-9d1f-1c1f0f6d2a10",
            "0b7f3c1e-2f57-4a43-9d1f-1c1f0f6d2a10",
            True,
        ),  # a signed-in talent
        ("qr:code-1", "91320583MA1XXXXXX0", False),  # a 昆e服 page visitor is not the company
        (
            "enterprise:91320583MA1XXXXXX0",
            "91320583MA2YYYYYY0",
            False,
        ),  # a session whose subject is not its target
    ],
)
def test_the_inbox_admits_signed_in_people_only(subject: str, target: str | None, admitted: bool) -> None:
    """The inbox is one of the own-record rules (svc-talent answers only the caller's messages); the staff
    delivery log is not the person's."""
    from kunruyi_common.auth import Principal
    from kunruyi_gateway.access.gate import self_kind
    from kunruyi_gateway.access.rules import own_rule_for

    principal = Principal(kind="public", subject=subject, target=target)
    kind = self_kind(principal)
    assert (kind is not None) == admitted
    if kind is None:
        return
    for method, path in (("GET", "/api/v1/messages"), ("PUT", "/api/v1/messages/preferences")):
        own = own_rule_for(method, path, kind)
        assert own is not None and own.self_scoped
    assert own_rule_for("GET", "/api/v1/message-deliveries", kind) is None


def test_every_proxied_row_of_the_rule_table_is_exercised_above() -> None:
    """Each proxied row of access.rules (and both halves of a read-and-write row) has at least one line in
    ACCESS_TABLE, so a new or changed row is tested over HTTP, not only documented."""
    from kunruyi_gateway.access.rules import READ, RULES
    from kunruyi_gateway.routing.table import ROUTE_TABLE

    covered = {(path.split("?")[0].split("/")[3], method in READ) for method, path, *_ in ACCESS_TABLE}
    missing = [
        (rule.areas, "read" if read else "write")
        for rule in RULES
        if any(area in ROUTE_TABLE for area in rule.areas)
        for read in sorted({m in READ for m in rule.methods})
        if not any((area, read) in covered for area in rule.areas)
    ]
    assert not missing, f"rows of access.rules with no line in ACCESS_TABLE: {missing}"


def test_access_doc_embeds_the_rule_table() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "access.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, (
        "gateway/docs/access.md is out of date: paste access.rules.markdown_table()"
    )


async def test_inbound_identity_headers_are_never_trusted(gateway) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_common.auth import Principal, mint_internal_token

    forged = mint_internal_token(
        Principal(kind="staff", subject="x", roles=["admin"]),
        gateway.app.state.settings.internal_token_secret,
    )
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        resp = await c.get("/api/v1/policies", headers={"x-kry-principal": forged})
    assert resp.status_code == 200 and resp.json()["principal"] is None


async def test_a_callers_credentials_never_reach_the_service(gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    """The gateway checks the bearer token; the service gets the internal token it stands for, not the token, nor
    a cookie the caller sent along."""
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        resp = await c.get(
            "/api/v1/applications",
            headers={"Authorization": f"Bearer {staff_token('officer')}", "Cookie": "kry_session=abc"},
        )
    assert resp.status_code == 200, resp.text
    echoed = resp.json()
    assert echoed["principal"]["kind"] == "staff"
    assert {"authorization", "cookie"}.isdisjoint(echoed["header_names"])


async def test_bad_staff_tokens(gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        expired = staff_token("officer", ttl_s=-120)
        resp = await c.get("/api/v1/tickets", headers={"Authorization": f"Bearer {expired}"})
        assert resp.status_code == 401 and resp.json()["code"] == "token_expired"
        resp = await c.get("/api/v1/tickets", headers={"Authorization": "Bearer not.a.jwt"})
        assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"
        # HS256 signed with a guessable secret is refused: only RS256 / ES256 from trusted keys.
        hs = jwt.encode(
            {
                "iss": "kunruyi-dev-issuer",
                "aud": "kunruyi",
                "sub": "x",
                "exp": 9999999999,
                "roles": ["admin"],
            },
            "a-guessable-shared-secret-of-32-bytes!",
            algorithm="HS256",
        )
        resp = await c.get("/api/v1/tickets", headers={"Authorization": f"Bearer {hs}"})
        assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"
        resp = await c.get("/api/v1/tickets", headers={"Authorization": "Basic abc"})
        assert resp.status_code == 401 and resp.json()["code"] == "missing_credentials"


async def test_tokens_from_a_configured_inline_jwks_rs256(production_gateway_settings, serve_gateway) -> None:  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk["kid"] = "city-idp-1"
    settings: Settings = production_gateway_settings.model_copy(
        update={"jwks_inline": json.dumps({"keys": [jwk]}), "oidc_issuer": "https://idp.ks.gov.example"}
    )
    token = jwt.encode(
        {
            "iss": "https://idp.ks.gov.example",
            "aud": "kunruyi",
            "sub": "u-42",
            "exp": 9999999999,
            "name": "李审核",
            "roles": ["reviewer", "not-a-role"],
            "department": "人社局",
        },
        key,
        algorithm="RS256",
        headers={"kid": "city-idp-1"},
    )
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        resp = await c.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["principal"] == {
            "kind": "staff",
            "subject": "u-42",
            "name": "李审核",
            "roles": ["reviewer"],
            "department": "人社局",
            "scopes": [],
            "target": None,
        }
        # With dev mode off, development tokens are refused.
        dev = gw.app.state.gateway_issuer.mint(
            issuer="kunruyi-dev-issuer", audience="kunruyi", subject="d", ttl_s=60, roles=["admin"]
        )
        resp = await c.get("/api/v1/applications", headers={"Authorization": f"Bearer {dev}"})
        assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"


async def test_jwks_url_is_fetched_and_cached(  # type: ignore[no-untyped-def]
    gateway_settings, production_gateway_settings, serve_gateway
) -> None:
    # The first gateway's own JWKS endpoint plays the identity provider for a second gateway.
    async with serve_gateway(gateway_settings) as idp:
        settings = production_gateway_settings.model_copy(
            update={
                "jwks_url": f"{idp.url}/.well-known/jwks.json",
                "oidc_issuer": "https://idp.example",
                "dev_issuer_dir": gateway_settings.dev_issuer_dir.parent / "other-issuer",
            }
        )
        token = idp.app.state.gateway_issuer.mint(
            issuer="https://idp.example",
            audience="kunruyi",
            subject="u-7",
            ttl_s=60,
            roles=["finance"],
            department="财政局",
        )
        async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
            for _ in range(2):
                resp = await c.get("/api/v1/budgets", headers={"Authorization": f"Bearer {token}"})
                assert resp.status_code == 200, resp.text
                assert resp.json()["principal"]["roles"] == ["finance"]


async def test_a_session_signed_by_one_replica_is_accepted_by_another(  # type: ignore[no-untyped-def]
    gateway_settings, production_gateway_settings, serve_gateway
) -> None:
    """Two gateway replicas (containers: each its own disk) given the same secrets: a session token one of them
    hands out (苏商通 SSO, the personal sign-in) holds on the other, and both publish the same key."""
    from kunruyi_gateway.staff.tokens import SESSION_ISSUER

    first = production_gateway_settings.model_copy(
        update={"dev_issuer_dir": gateway_settings.dev_issuer_dir.parent / "replica-a"}
    )
    second = production_gateway_settings.model_copy(
        update={"dev_issuer_dir": gateway_settings.dev_issuer_dir.parent / "replica-b"}
    )
    async with serve_gateway(first) as a, serve_gateway(second) as b, httpx.AsyncClient() as c:
        token = a.app.state.gateway_issuer.mint(
            issuer=SESSION_ISSUER,
            audience=first.oidc_audience,
            subject="sst-user-1",
            ttl_s=60,
            roles=["finance"],
            department="财政局",
        )
        resp = await c.get(f"{b.url}/api/v1/budgets", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["principal"]["subject"] == "sst-user-1"
        jwks = [(await c.get(f"{g.url}/.well-known/jwks.json")).json() for g in (a, b)]
        assert jwks[0] == jwks[1]
    assert not (first.dev_issuer_dir / "es256.pem").exists()


def test_outside_development_mode_the_session_key_must_be_a_key(production_gateway_settings) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_common.settings import DevelopmentSecretError, InvalidSecretError

    with pytest.raises(InvalidSecretError, match="KRY_GATEWAY_SESSION_SIGNING_KEY"):
        production_gateway_settings.model_copy(update={"session_signing_key": "not a key"}).check_secrets()
    with pytest.raises(DevelopmentSecretError, match="KRY_GATEWAY_SESSION_SIGNING_KEY"):
        production_gateway_settings.model_copy(update={"session_signing_key": " "}).check_secrets()


def test_token_command_prints_a_token_the_dev_jwks_verifies(tmp_path: Path) -> None:
    env = {**os.environ, "KRY_GATEWAY_DEV_ISSUER_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "kunruyi_gateway", "token", "--role", "reviewer", "--dept", "科技局"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    from kunruyi_gateway.staff.tokens import GatewayIssuer

    jwk = GatewayIssuer.in_directory(tmp_path).jwks()["keys"][0]
    claims = jwt.decode(out, jwt.PyJWK(jwk).key, algorithms=["ES256"], audience="kunruyi")
    assert claims["roles"] == ["reviewer"] and claims["department"] == "科技局"
    assert claims["iss"] == "kunruyi-dev-issuer"


async def test_dev_jwks_is_served(gateway) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        keys = (await c.get("/.well-known/jwks.json")).json()["keys"]
    assert keys[0]["kty"] == "EC" and keys[0]["alg"] == "ES256" and "d" not in keys[0]


# -- limits ------------------------------------------------------------------------------------------------------


async def test_body_over_the_limit_is_413(gateway_settings, serve_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings.model_copy(update={"max_body_bytes": 1024})
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        auth = {"Authorization": f"Bearer {staff_token('officer')}"}
        resp = await c.post("/api/v1/tickets", content=b"x" * 2048, headers=auth)
        assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"

        async def chunks() -> Any:
            for _ in range(4):
                yield b"y" * 512

        resp = await c.post("/api/v1/tickets", content=chunks(), headers=auth)
        assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"
        assert (await c.post("/api/v1/tickets", content=b"x" * 512, headers=auth)).status_code == 200


async def test_public_callers_are_limited_per_address(gateway_settings, serve_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings.model_copy(update={"public_rate": "2/minute", "staff_rate": "3/minute"})
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        statuses = [(await c.get("/api/v1/policies")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        auth = {"Authorization": f"Bearer {staff_token('officer', sub='busy-officer')}"}
        statuses = [(await c.get("/api/v1/tickets", headers=auth)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        other = {"Authorization": f"Bearer {staff_token('officer', sub='calm-officer')}"}
        assert (await c.get("/api/v1/tickets", headers=other)).status_code == 200


async def test_behind_a_trusted_proxy_the_callers_address_and_scheme_count(
    gateway_settings, serve_gateway
) -> None:  # type: ignore[no-untyped-def]
    """Behind a load balancer every caller arrives from the balancer's address. The gateway takes the caller's
    address (X-Forwarded-For) and scheme (X-Forwarded-Proto) from a proxy it was told to trust, and from no one
    else."""
    limited = gateway_settings.model_copy(update={"public_rate": "2/minute"})
    async with serve_gateway(limited) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        # No proxy trusted (the default): a caller cannot dodge its limit by naming other addresses …
        named = [
            (await c.get("/api/v1/policies", headers={"X-Forwarded-For": f"203.0.113.{i}"})).status_code
            for i in range(3)
        ]
        assert named == [200, 200, 429]
        # … nor make the gateway believe it came over HTTPS.
        sign_in = await c.get("/m/login/sushangtong", headers={"X-Forwarded-Proto": "https"})
        assert sign_in.status_code == 303 and "Secure" not in sign_in.headers["set-cookie"]

    trusted = limited.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    async with serve_gateway(trusted) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        one = {"X-Forwarded-For": "203.0.113.7"}
        assert [(await c.get("/api/v1/policies", headers=one)).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        # Another caller behind the same balancer has a window of its own …
        assert (
            await c.get("/api/v1/policies", headers={"X-Forwarded-For": "198.51.100.9"})
        ).status_code == 200
        # … and what a caller writes in front of the balancer's entry changes nothing: the nearest address that
        # is not a trusted proxy is the caller.
        spoofed = {"X-Forwarded-For": "198.51.100.77, 203.0.113.7"}
        assert (await c.get("/api/v1/policies", headers=spoofed)).status_code == 429
        sign_in = await c.get(
            "/m/login/sushangtong", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.8"}
        )
        assert sign_in.status_code == 303 and "Secure" in sign_in.headers["set-cookie"]


def test_trusted_proxies_are_addresses_or_networks(gateway_settings) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    assert Settings(**{**gateway_settings.model_dump(), "trusted_proxies": ["10.0.0.0/8", "192.0.2.1"]})
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(**{**gateway_settings.model_dump(), "trusted_proxies": ["*"]})


async def test_down_or_slow_upstream_is_503_upstream_unavailable(gateway_settings, serve_gateway) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_launcher.infra import free_port

    slow = FastAPIApp = __import__("fastapi").FastAPI()

    @slow.get("/api/v1/policies")
    async def sleepy() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"late": "yes"}

    @slow.get("/api/v1/housing/projects")
    async def a_little_slow() -> dict[str, str]:
        await asyncio.sleep(0.6)
        return {"late": "a little"}

    from uvicorn import Config, Server

    port = free_port()
    server = Server(Config(FastAPIApp, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    settings = gateway_settings.model_copy(
        update={
            "upstream_policy_url": f"http://127.0.0.1:{port}",
            "upstream_talent_url": f"http://127.0.0.1:{port}",
            # Timeouts are per upstream: policy gives up after 0.3 s, talent keeps the default.
            "upstream_read_timeouts_s": {"policy": 0.3},
            "upstream_matching_url": f"http://127.0.0.1:{free_port()}",
            "breaker_failure_threshold": 2,
            "breaker_cooldown_s": 30.0,
        }
    )
    try:
        async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
            resp = await c.get("/api/v1/policies")
            assert resp.status_code == 503 and resp.json()["code"] == "upstream_unavailable"
            assert "超时" in resp.json()["detail"]
            patient = await c.get("/api/v1/housing/projects")
            assert (patient.status_code, patient.json()) == (200, {"late": "a little"})
            down = await c.get("/api/v1/challenges")
            assert down.status_code == 503 and down.json()["code"] == "upstream_unavailable"
            # The breaker is now open: refused at once without trying the dead upstream.
            again = await c.get("/api/v1/challenges")
            assert again.status_code == 503 and "熔断" in again.json()["detail"]
            assert again.headers["retry-after"]
    finally:
        server.should_exit = True
        await task


async def test_cors_is_configurable(gateway_settings, serve_gateway) -> None:  # type: ignore[no-untyped-def]
    settings = gateway_settings.model_copy(update={"cors_origins": ["https://partner.example"]})
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        pre = await c.options(
            "/api/v1/policies",
            headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "GET"},
        )
        assert pre.headers["access-control-allow-origin"] == "https://partner.example"
        other = await c.get("/api/v1/policies", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
