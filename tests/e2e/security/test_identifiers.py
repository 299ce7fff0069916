"""Trust item 11: identifiers are checked per the standards, through the gateway as a partner and an officer.

GB 32100 registration authorities that are letters (N 农业 for rural collective economic organisations) are
accepted, a type outside its authority is not, the GB 11714 check character of the organisation code (positions
9-17) is verified, and ``str.upper()`` cannot turn a 17-character input holding the ligature ``ﬀ`` into an
18-character code. Foreigners' permanent residence IDs (2023, leading ``9``) are accepted in their real format,
junk starting with ``9`` is not.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from kunruyi_common.validators import (
    USCC_ALPHABET,
    build_foreign_resident_id,
    build_uscc,
    resident_id_check_char,
    uscc_check_char,
)

pytestmark = pytest.mark.timeout(600)

_rng = random.Random()


def _body() -> str:
    return "".join(_rng.choice(USCC_ALPHABET) for _ in range(8))


def _enterprise(uscc: str, name: str) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "name": name,
        "district": "周市",
        "industry_chain": "智能制造",
        "founded_on": "2019-06-01",
        "employees": 12,
    }


def _assert_invalid(resp: Any, field: str, code: str, part: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = resp.json()
    assert (problem["field"], problem["code"], problem["part"]) == (field, code, part), problem
    return problem


def test_a_rural_collective_with_an_n_authority_code_is_registered(driver: Any) -> None:
    uscc = driver.new_uscc(authority="N", entity_type="2")  # 农业 / 村级集体经济组织
    assert uscc.startswith("N2320583")
    created = driver.partner.post(
        "/api/v1/enterprises", json=_enterprise(uscc, "昆山市周市镇某村股份经济合作社")
    )
    assert created.status_code == 201, created.text
    found = driver.partner.get(f"/api/v1/enterprises/{uscc}")
    assert found.status_code == 200 and found.json()["uscc"] == uscc
    # The other letter authorities of the table are accepted as well.
    for authority in ("A", "Y"):
        code = build_uscc(_body(), authority=authority, entity_type="1")
        resp = driver.partner.post(
            "/api/v1/enterprises", json=_enterprise(code, f"昆山{authority}类登记机构")
        )
        assert resp.status_code == 201, resp.text


def test_a_type_outside_its_authority_is_refused(driver: Any) -> None:
    valid = build_uscc(_body(), authority="N", entity_type="1")
    first17 = "N4" + valid[2:17]  # N has no type 4
    resp = driver.partner.post(
        "/api/v1/enterprises", json=_enterprise(first17 + uscc_check_char(first17), "昆山某合作社")
    )
    problem = _assert_invalid(resp, "uscc", "invalid_uscc", "entity_type")
    assert "第 2 位" in problem["detail"] and "N（农业）" in problem["detail"]


def test_an_organisation_code_failing_gb_11714_is_refused(driver: Any) -> None:
    valid = driver.new_uscc()
    wrong = "0" if valid[16] != "0" else "1"
    first17 = valid[:16] + wrong
    uscc = first17 + uscc_check_char(first17)  # the USCC's own check character is right
    resp = driver.partner.post("/api/v1/enterprises", json=_enterprise(uscc, "昆山校验位有误科技有限公司"))
    problem = _assert_invalid(resp, "uscc", "invalid_uscc", "organization_code")
    assert "第 9-17 位" in problem["detail"] and f"第 17 位应为 {valid[16]}" in problem["detail"]
    listed = driver.partner.get("/api/v1/enterprises", params={"q": "昆山校验位有误"})
    assert listed.status_code == 200 and listed.json()["items"] == []  # nothing was written


def test_a_ligature_does_not_upper_case_into_a_code(driver: Any) -> None:
    code = build_uscc("FF" + _body()[:6])
    ligature = code.replace("FF", "\ufb00", 1)  # "ﬀ".upper() == "FF": 17 characters would become this code
    assert len(ligature) == 17 and ligature.upper() == code
    resp = driver.partner.post("/api/v1/enterprises", json=_enterprise(ligature, "昆山连字科技有限公司"))
    problem = _assert_invalid(resp, "uscc", "invalid_uscc", "format")
    assert "实际为 17 位" in problem["detail"]
    assert driver.partner.get(f"/api/v1/enterprises/{code}").status_code == 404
    # The gateway's own check (an officer issuing a 昆e服 code for an enterprise) refuses it the same way.
    issued = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/service-codes",
        json={"kind": "enterprise", "target": ligature, "name": "x"},
    )
    _assert_invalid(issued, "target", "invalid_uscc", "format")


def test_foreign_permanent_residents_are_registered_and_junk_starting_with_9_is_not(driver: Any) -> None:
    employer = driver.new_uscc()
    assert (
        driver.partner.post(
            "/api/v1/enterprises", json=_enterprise(employer, "昆山外资科技有限公司")
        ).status_code
        == 201
    )
    talent = {
        "name": "安娜·米勒",
        "phone": driver.new_phone(),
        "education": "doctor",
        "overseas": True,
        "arrival_date": "2021-09-01",
        "employer_uscc": employer,
        "fields": ["智能制造"],
    }
    # 9 | 32 江苏 | 276 德国 | 1986-04-12 | sequence | MOD 11-2
    foreigner = build_foreign_resident_id("32", "276", date(1986, 4, 12), _rng.randrange(1000))
    created = driver.partner.post("/api/v1/talents", json={**talent, "id_number": foreigner})
    assert created.status_code == 201, created.text

    def junk(first17: str) -> str:
        return first17 + resident_id_check_char(first17)

    for number, part in (
        (junk("99027619860412001"), "region"),  # no province 90
        (junk("93299919860412001"), "nationality"),  # no country 999
        (junk("93215619860412001"), "nationality"),  # 156 is China: not a foreigner
        (junk("93227619860231001"), "birth_date"),  # 31 February
        (foreigner[:17] + ("0" if foreigner[17] != "0" else "1"), "check_character"),
    ):
        resp = driver.partner.post(
            "/api/v1/talents", json={**talent, "phone": driver.new_phone(), "id_number": number}
        )
        _assert_invalid(resp, "id_number", "invalid_id_number", part)
