"""Registering an ID number that is already registered is a plain conflict, not a staff lookup.

A partner holding ``talent:write`` gets ``409 talent_exists`` and nothing of the existing record (no id, no
name, no mask): the same answer whoever registered it, resolved with the record's owner. The batch import answers
the same way and does not touch the existing record. Staff with the lookup right still find it by ID number.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(600)

IDENTITY_KEYS = {"existing_id", "talent_id", "id", "name", "id_number", "phone", "employer", "birth_date"}


def _signed_upload(partner: Any, path: str, content: bytes) -> Any:
    """A multipart upload signed with the partner contract (the client signs exactly the bytes sent)."""
    return partner.request("POST", path, files={"file": ("talents.csv", content, "text/csv")})


def _assert_bare_conflict(resp: Any, talent_id: str, name: str) -> None:
    assert resp.status_code == 409, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "talent_exists"
    assert problem.get("field") == "id_number"
    assert not IDENTITY_KEYS & set(problem), problem
    assert talent_id not in resp.text
    assert name not in resp.text


def test_partner_registering_an_existing_id_learns_only_a_conflict(driver: Any) -> None:
    rid = driver.new_resident_id(date(1984, 4, 9))
    first = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/talents",
        json={"name": "档案原主", "id_number": rid, "education": "doctor"},
    )
    assert first.status_code == 201, first.text
    talent_id = first.json()["talent_id"]

    again = driver.partner.post("/api/v1/talents", json={"name": "冒名者", "id_number": rid})
    _assert_bare_conflict(again, talent_id, "档案原主")
    # The answer does not depend on what else was sent: no second channel through field-by-field differences.
    other = driver.partner.post(
        "/api/v1/talents", json={"name": "另一个", "id_number": rid, "education": "master", "overseas": True}
    )
    _assert_bare_conflict(other, talent_id, "档案原主")
    assert other.json()["code"] == again.json()["code"]
    assert other.json()["detail"] == again.json()["detail"]

    # Nothing was changed on the existing record.
    record = driver.as_staff("officer", "GET", f"/api/v1/talents/{talent_id}")
    assert record.status_code == 200
    assert record.json()["name"] == "档案原主"
    assert record.json()["education"] == "doctor"

    # Staff with the lookup right still find it by the ID number.
    found = driver.as_staff("officer", "GET", "/api/v1/talents/lookup", params={"id_number": rid})
    assert found.status_code == 200, found.text
    assert found.json()["talent_id"] == talent_id
    # A partner may not use the lookup.
    denied = driver.partner.get("/api/v1/talents/lookup", params={"id_number": rid})
    assert denied.status_code == 403, denied.text


def test_partner_import_of_an_existing_id_is_a_row_conflict_and_changes_nothing(driver: Any) -> None:
    rid = driver.new_resident_id(date(1979, 11, 23))
    first = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/talents",
        json={"name": "导入原主", "id_number": rid, "education": "doctor"},
    )
    assert first.status_code == 201, first.text
    talent_id = first.json()["talent_id"]

    csv_text = f"name,id_number,education\n导入冒名,{rid},bachelor\n"
    resp = _signed_upload(driver.partner, "/api/v1/imports/talents", csv_text.encode())
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert talent_id not in resp.text and "导入原主" not in resp.text
    text = str(report)
    assert "talent_exists" in text or "已建档" in text, report
    record = driver.as_staff("officer", "GET", f"/api/v1/talents/{talent_id}").json()
    assert record["name"] == "导入原主"
    assert record["education"] == "doctor"
