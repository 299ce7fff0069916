"""Input the database cannot hold is a 422 naming the field, never a 500: NUL characters and infinities."""

import pytest
from kunruyi_launcher.testing import staff

OFFICER = staff("officer", department="科技局")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/v1/policies/KS-KJ-%00", None, "path.code"),
        ("GET", "/api/v1/policies?department=%00", None, "query.department"),
        ("GET", "/api/v1/policies?q=%E7%A0%94%00", None, "query.q"),
        ("GET", "/api/v1/entitlements?entity_id=9132%00", None, "query.entity_id"),
        (
            "POST",
            "/api/v1/policy-calculator",
            {"entity_type": "enterprise", "entity_id": "9132\u0000"},
            "entity_id",
        ),
        (
            "POST",
            "/api/v1/policy-calculator",
            {"profile": {"qualifications": ["high_tech", "x\u0000"]}, "beneficiary": "enterprise"},
            "profile.qualifications.1",
        ),
        ("PATCH", "/api/v1/policies/KS-KJ-005", {"title": "研发\u0000补助"}, "title"),
        ("POST", "/api/v1/policy-simulations", {"policy_code": "KS-\u0000"}, "policy_code"),
    ],
)
async def test_a_nul_character_is_refused_naming_the_field(client, method, path, body, field) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        response = await c.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_character" and response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"criteria": [], "amount": 1e400}', "amount"),
        (
            '{"criteria": [{"id": "a", "label": "x", "kind": "data", "rule": {">": [{"var": "rd_ratio"}, 1e400]}}],'
            ' "amount": 1}',
            "criteria[0].rule.>[1]",
        ),
        (
            '{"criteria": [], "amount": 1, "parameters": {"x": {"values":'
            ' [{"effective_from": "2024-01-01", "value": 1e400, "reference": "r"}]}}}',
            "parameters.x.values[0].value",
        ),
    ],
)
async def test_an_infinite_number_in_a_rule_is_refused_with_its_path(client, body, field) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        response = await c.put(
            "/api/v1/policies/KS-KJ-005/draft", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_rule" and response.json()["field"] == field
    assert any(e["field"] == field and e["code"] == "not_finite" for e in response.json()["errors"])
