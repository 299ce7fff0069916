"""A signed-in company or talent (a 苏商通 / 统一身份认证 bearer token) through the real gateway in front of an echo
upstream: its own records pass, under the identity the service is meant to see; anyone else's, and every staff
area, are 403 ``not_own_entity``."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.staff.tokens import SESSION_ISSUER

pytestmark = pytest.mark.asyncio(loop_scope="session")

OWN = "91320583MA1OWN0001"
OTHER = "91320583MA1OTH0002"


def _bearer(gateway: Any, **claims: Any) -> dict[str, str]:
    settings: Settings = gateway.app.state.settings
    token = gateway.app.state.gateway_issuer.mint(
        issuer=SESSION_ISSUER, audience=settings.oidc_audience, subject="sst:x", ttl_s=600, **claims
    )
    return {"Authorization": f"Bearer {token}"}


async def test_a_company_reaches_its_own_records_and_nothing_else(gateway: Any) -> None:
    bearer = _bearer(gateway, kind="enterprise", uscc=OWN, name="自家企业")
    async with httpx.AsyncClient(base_url=gateway.url, headers=bearer) as c:
        own = await c.get(f"/api/v1/enterprises/{OWN}")
        assert own.status_code == 200, own.text
        assert own.json()["principal"]["subject"] == f"enterprise:{OWN}"

        listed = await c.get("/api/v1/applications", params={"applicant_id": OWN})
        assert listed.status_code == 200, listed.text
        # svc-disbursement knows partners and staff: it gets a partner identity with the one scope, named after
        # the company.
        assert listed.json()["principal"]["kind"] == "partner"
        assert listed.json()["principal"]["subject"] == f"self:enterprise:{OWN}"
        assert listed.json()["principal"]["scopes"] == ["disbursement:read"]

        filed = await c.post(
            "/api/v1/applications",
            json={
                "policy_code": "KS-1",
                "applicant_type": "enterprise",
                "applicant_id": OWN,
                "period": "2026",
            },
        )
        assert filed.status_code == 200 and filed.json()["principal"]["scopes"] == ["disbursement:write"]

        public = await c.get("/api/v1/policies")
        assert public.status_code == 200 and public.json()["principal"]["subject"] == f"enterprise:{OWN}"

        tickets = await c.get("/api/v1/tickets")  # svc-talent lists the company's own only
        assert tickets.status_code == 200 and tickets.json()["principal"]["subject"] == f"enterprise:{OWN}"

        for method, path, params, body in (
            ("GET", f"/api/v1/enterprises/{OTHER}", None, None),
            ("GET", "/api/v1/enterprises", None, None),
            ("GET", "/api/v1/applications", {"applicant_id": OTHER}, None),
            ("GET", "/api/v1/applications", {"applicant_id": [OWN, OTHER]}, None),
            ("GET", "/api/v1/applications", None, None),
            # The item is read first: the echo's answer names no applicant, so it is nobody's own.
            ("GET", f"/api/v1/applications/{uuid.uuid4()}", None, None),
            ("GET", "/api/v1/disbursements", {"entity_id": OTHER}, None),
            ("GET", "/api/v1/budgets", None, None),
            ("PATCH", f"/api/v1/enterprises/{OWN}", None, {"employees": 1}),
            (
                "POST",
                "/api/v1/applications",
                None,
                {
                    "policy_code": "KS-1",
                    "applicant_type": "enterprise",
                    "applicant_id": OTHER,
                    "period": "2026",
                },
            ),
        ):
            resp = await c.request(method, path, params=params, json=body)
            assert resp.status_code == 403, (method, path, params, resp.text)
            assert resp.json()["code"] == "not_own_entity", (method, path, resp.text)
        missing = await c.get("/api/v1/applications")
        assert missing.json()["field"] == "applicant_id"


async def test_a_talent_reaches_their_own_records_and_nothing_else(gateway: Any) -> None:
    me, other = str(uuid.uuid4()), str(uuid.uuid4())
    bearer = _bearer(gateway, kind="talent", talent_id=me, name="周自助")
    async with httpx.AsyncClient(base_url=gateway.url, headers=bearer) as c:
        own = await c.get(f"/api/v1/talents/{me}")
        assert own.status_code == 200 and own.json()["principal"]["subject"] == f"talent:{me}"
        housing = await c.get("/api/v1/housing/applications", params={"talent_id": me})
        assert housing.status_code == 200 and housing.json()["principal"]["target"] == me
        projects = await c.get("/api/v1/housing/projects")  # public
        assert projects.status_code == 200
        tickets = await c.get("/api/v1/tickets")  # svc-talent lists a talent's own only
        assert tickets.status_code == 200 and tickets.json()["principal"]["subject"] == f"talent:{me}"
        for path, params in (
            (f"/api/v1/talents/{other}", None),
            ("/api/v1/housing/applications", {"talent_id": other}),
            ("/api/v1/disbursements", {"entity_id": other}),
            ("/api/v1/demands", None),
            (f"/api/v1/enterprises/{OWN}", None),
        ):
            resp = await c.get(path, params=params)
            assert resp.status_code == 403 and resp.json()["code"] == "not_own_entity", (path, resp.text)
