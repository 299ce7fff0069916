"""The Annotated identifier types in a request schema: canonical values in, a 422 problem naming the field with the
validator's Chinese message (and the identifier's code and wrong part) out, and a documented JSON schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.errors import install_error_handlers
from kunruyi_common.fields import CnMobile, ResidentId, Uscc
from kunruyi_common.validators import build_resident_id, build_uscc
from pydantic import BaseModel

GOOD_USCC = build_uscc("MA1MXQ5E")
GOOD_ID = build_resident_id("320583", date(1990, 3, 7), 123)


class Applicant(BaseModel):
    uscc: Uscc
    id_number: ResidentId
    phone: CnMobile
    contact_phone: CnMobile | None = None


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/applicants")
    async def create(body: Applicant) -> Applicant:
        return body

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def body(**overrides: str | None) -> dict[str, str | None]:
    return {"uscc": GOOD_USCC.lower(), "id_number": GOOD_ID, "phone": "+86 138-1234-5678", **overrides}


async def test_valid_identifiers_come_out_canonical(client: httpx.AsyncClient) -> None:
    resp = await client.post("/applicants", json=body())
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "uscc": GOOD_USCC,
        "id_number": GOOD_ID,
        "phone": "13812345678",
        "contact_phone": None,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "code", "part", "message"),
    [
        (
            {"uscc": GOOD_USCC[:-1] + "0"},
            "uscc",
            "invalid_uscc",
            "check_character",
            "统一社会信用代码校验位错误",
        ),
        ({"uscc": "91320583"}, "uscc", "invalid_uscc", "format", "统一社会信用代码应为 18 位"),
        (
            {"id_number": GOOD_ID[:-1] + "0"},
            "id_number",
            "invalid_id_number",
            "check_character",
            "身份证号校验位错误",
        ),
        ({"phone": "12345"}, "phone", "invalid_phone", "format", "手机号格式错误"),
        ({"contact_phone": "1381234"}, "contact_phone", "invalid_phone", "format", "手机号格式错误"),
    ],
)
async def test_a_wrong_identifier_is_a_422_naming_the_field_in_chinese(
    client: httpx.AsyncClient, overrides: dict[str, str], field: str, code: str, part: str, message: str
) -> None:
    resp = await client.post("/applicants", json=body(**overrides))
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert (problem["field"], problem["code"], problem["part"]) == (field, code, part), problem
    assert problem["errors"][0]["message"].startswith(message), problem
    assert "Value error" not in problem["detail"]


def test_the_json_schema_documents_pattern_description_and_example() -> None:
    schema = Applicant.model_json_schema()["properties"]
    for name, example in (("uscc", GOOD_USCC), ("id_number", GOOD_ID), ("phone", "13812345678")):
        assert schema[name]["pattern"] and schema[name]["description"], name
        assert schema[name]["examples"] == [example], name
    assert Applicant(uscc=GOOD_USCC, id_number=GOOD_ID, phone="13812345678").uscc == GOOD_USCC
