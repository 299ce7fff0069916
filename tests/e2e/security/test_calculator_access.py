"""Trust item 3: the policy calculator reads a company's stored figures (revenue, tax, R&D, employees, patents) by
id only for the company itself (a 苏商通 session, its own USCC), staff, or a partner holding ``policy:read``.
Anonymous callers calculate from a profile they send. The 昆e服 page, asked for by anyone holding the printed link,
still shows the company's policies (its server-side call is the page's own service identity)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from kunruyi_client import KunruyiClient

CALCULATOR = "/api/v1/policy-calculator?detail=full"
PROFILE = {
    "district": "高新区",
    "industry_chain": "集成电路",
    "founded_years": 8,
    "employees": 120,
    "revenue_fen": 300_000_000_00,
    "rd_expense_fen": 15_000_000_00,
    "rd_ratio": 0.05,
    "invention_patents": 3,
}


def by_id(uscc: str) -> dict[str, Any]:
    return {"entity_type": "enterprise", "entity_id": uscc}


def shown(refusal: httpx.Response, uscc: str) -> str:
    """A refusal's body as the caller reads it, less what the caller sent (the USCC) and the random request id: a
    figure of the profile found there would be a leak; the same digits inside a random hex id would not."""
    body = {k: v for k, v in refusal.json().items() if k != "request_id"}
    return json.dumps(body, ensure_ascii=False).replace(uscc, "")


def new_partner(driver: Any, *scopes: str) -> KunruyiClient:
    """A partner AppKey created by an admin with exactly ``scopes``."""
    created = driver.as_staff(
        "admin",
        "POST",
        "/api/v1/app-keys",
        json={"name": f"e2e 合作方 {'+'.join(scopes) or '无权限'}", "scopes": list(scopes)},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    return KunruyiClient(driver.url, key["app_key"], key["secret"], timeout=30.0)


def company_session(driver: Any, uscc: str, name: str) -> dict[str, str]:
    """A company signed in through 苏商通: a ticket from the portal exchanged at the gateway for a session."""
    portal = driver.emulator("yiqilaiban")
    ticket = httpx.post(
        f"{portal}/_control/sso-tickets",
        json={"user_type": "enterprise", "subject": f"e-{uuid.uuid4().hex[:8]}", "name": name, "uscc": uscc},
        timeout=30,
    )
    assert ticket.status_code == 200, ticket.text
    session = driver.http.post("/integrations/sushangtong/sso", json={"ticket": ticket.json()["ticket"]})
    assert session.status_code == 200 and session.json()["user_type"] == "enterprise", session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def test_a_companys_stored_figures_are_read_by_id_only_by_those_entitled(driver: Any) -> None:
    uscc = driver.register_enterprise(name="昆山画像保密科技有限公司", employees=137, invention_patents=4)
    other = driver.register_enterprise(name="昆山另一家科技有限公司")

    # A partner holding policy:read (the demo key has every scope) reads the stored profile by id, once
    # svc-policy's read model has the new company.
    def stored() -> dict[str, Any] | None:
        resp = driver.partner.post(CALCULATOR, json=by_id(uscc))
        return resp.json() if resp.status_code == 200 else None

    answer = driver.eventually(stored, f"svc-policy to hold the profile of {uscc}")
    assert answer["profile"]["employees"] == 137 and answer["entity"]["entity_id"] == uscc

    # Anonymous, by id: refused with a code that says what to do instead; nothing of the profile comes back.
    anonymous = httpx.post(f"{driver.url}{CALCULATOR}", json=by_id(uscc), timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["code"] == "entity_read_requires_credentials"
    assert anonymous.json()["field"] == "entity_id" and "137" not in shown(anonymous, uscc)

    # Anonymous, with a profile of one's own: the calculator is public.
    own_profile = httpx.post(
        f"{driver.url}{CALCULATOR}", json={"profile": PROFILE, "beneficiary": "enterprise"}, timeout=30
    )
    assert own_profile.status_code == 200 and own_profile.json()["results"], own_profile.text

    # A partner without policy:read: refused by id, still free to send a profile.
    limited = new_partner(driver, "talent:read")
    try:
        refused = limited.post(CALCULATOR, json=by_id(uscc))
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "scope_denied" and "137" not in shown(refused, uscc)
        with_profile = limited.post(CALCULATOR, json={"profile": PROFILE, "beneficiary": "enterprise"})
        assert with_profile.status_code == 200, with_profile.text
    finally:
        limited.close()

    # Staff: any role.
    for role in ("reviewer", "finance"):
        staff = driver.as_staff(role, "POST", CALCULATOR, json=by_id(uscc))
        assert staff.status_code == 200 and staff.json()["profile"]["employees"] == 137, (role, staff.text)

    # The company itself, signed in through 苏商通: its own figures yes, another company's no.
    headers = company_session(driver, uscc, "昆山画像保密科技有限公司")
    mine = driver.http.post(CALCULATOR, json=by_id(uscc), headers=headers)
    assert mine.status_code == 200 and mine.json()["profile"]["employees"] == 137, mine.text
    theirs = driver.http.post(CALCULATOR, json=by_id(other), headers=headers)
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_own_entity", theirs.text
    assert "profile" not in theirs.json()


def test_the_qr_page_still_lists_the_companys_policies(driver: Any) -> None:
    name = "昆山扫码政策科技有限公司"
    uscc = driver.register_enterprise(name=name)

    def calculated() -> dict[str, Any] | None:
        resp = driver.partner.post(CALCULATOR, json=by_id(uscc))
        return resp.json() if resp.status_code == 200 else None

    answer = driver.eventually(calculated, f"svc-policy to hold the profile of {uscc}")
    # The page leads with the eligible policies (largest first), then those needing a person's confirmation.
    shown = [r["title"] for r in answer["results"] if r["status"] == "eligible"] or [
        r["title"] for r in answer["results"] if r["status"] == "needs_confirmation"
    ]

    # The page is opened by whoever holds the link (no credentials at all).
    token = driver.service_code("enterprise", uscc, name, "集成电路")
    page = httpx.get(f"{driver.url}/q/{token}", timeout=30)
    assert page.status_code == 200, page.text
    section = re.search(r'<section id="policies".*?</section>', page.text, re.S)
    assert section is not None, page.text
    assert "暂不可用" not in section.group(0), "the calculator refused the page's call"
    if shown:
        assert shown[0] in section.group(0)
    else:
        assert "暂未匹配到适用政策" in section.group(0)
