"""Text PostgreSQL cannot store (a NUL, a lone surrogate) is refused by every service as a 422 naming the field,
before authentication, validation or any query — never a 500 from the database driver."""

from __future__ import annotations

import importlib

import httpx
import pytest
from kunruyi_launcher.apps import APPS

# A create endpoint and a list endpoint of each service.
CASES = {
    "policy": ("/api/v1/policies", "/api/v1/policies"),
    "talent": ("/api/v1/tickets", "/api/v1/enterprises"),
    "disbursement": ("/api/v1/applications", "/api/v1/disbursements"),
    "matching": ("/api/v1/demands", "/api/v1/demands"),
    "gateway": ("/api/v1/service-codes", "/api/v1/service-codes"),
}


@pytest.mark.parametrize("service", sorted(CASES))
async def test_unstorable_text_is_a_422_naming_the_field(service: str) -> None:
    app_spec = next(a for a in APPS if a.name == service)
    app = importlib.import_module(f"{app_spec.package}.main").app
    create, listing = CASES[service]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        nul = await c.post(
            create, json={"title": "研发\u0000补助", "items": [{"name": "ok"}, {"name": "x\u0000"}]}
        )
        surrogate = await c.post(
            create, content=b'{"description": "\\ud800"}', headers={"content-type": "application/json"}
        )
        query = await c.get(listing, params={"q": "a\x00"})
    for response, field in ((nul, "title"), (surrogate, "description"), (query, "query.q")):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert (response.json()["code"], response.json()["field"]) == ("invalid_character", field)
