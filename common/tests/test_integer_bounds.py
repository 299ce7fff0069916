"""Integers PostgreSQL cannot store are a 422 naming the field in every app (the kit's guard), and an unexpected
error is a 500 whose body carries the request id it asks the user to quote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query
from kunruyi_common import app as kit_app
from kunruyi_common.app import ServiceSpec, create_service_app
from kunruyi_common.inputs import INT4_MAX, INT8_MAX
from kunruyi_common.settings import ServiceSettings
from pydantic import BaseModel, Field

router = APIRouter()


class Line(BaseModel):
    quantity: int
    amount_fen: int


class Order(BaseModel):
    year: int
    amount_fen: int
    capped: int = Field(0, ge=0, le=10**12)
    lines: list[Line] = []
    extra: dict[str, Any] = {}
    note: str | None = None
    maybe: int | None = None


@router.get("/things/{thing_id}")
async def get_thing(
    thing_id: int,
    fiscal_year: int | None = None,
    min_amount_fen: int | None = None,
    ids: Annotated[list[int], Query()] = [],  # noqa: B006 - FastAPI query default
    code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    return {"thing_id": thing_id, "fiscal_year": fiscal_year, "min_amount_fen": min_amount_fen, "ids": ids}


@router.post("/orders")
async def post_order(order: Order) -> dict[str, Any]:
    return order.model_dump()


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("forced failure")


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(kit_app, "head_revisions", lambda package: set())  # no migrations for this test app
    spec = ServiceSpec(
        name="bounds", title="bounds", description="", package="kunruyi_common", routers=[router]
    )
    app: FastAPI = create_service_app(spec, ServiceSettings(database_url="postgresql+asyncpg://u@h/db"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def assert_refused(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert (body["code"], body["field"]) == ("integer_out_of_range", field), body
    assert resp.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fiscal_year": str(INT4_MAX + 1)}, "query.fiscal_year"),
        ({"fiscal_year": str(-(2**31) - 1)}, "query.fiscal_year"),
        ({"fiscal_year": "9" * 40}, "query.fiscal_year"),
        ({"min_amount_fen": str(INT8_MAX + 1)}, "query.min_amount_fen"),
        ({"ids": ["1", str(2**40)]}, "query.ids"),
    ],
)
async def test_query_integers_beyond_the_column_are_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    assert_refused(await client.get("/things/1", params=params), field)


async def test_path_integers_beyond_int4_are_422(client: httpx.AsyncClient) -> None:
    assert_refused(await client.get(f"/things/{INT4_MAX + 1}"), "path.thing_id")


async def test_integers_within_range_pass_and_declared_bounds_answer_for_themselves(
    client: httpx.AsyncClient,
) -> None:
    ok = await client.get(
        f"/things/{INT4_MAX}",
        params={"fiscal_year": "2026", "min_amount_fen": str(INT8_MAX), "ids": ["1", "2"], "code": "9" * 30},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["min_amount_fen"] == INT8_MAX
    # limit declares its own bounds: its validation error, naming the same field.
    declared = await client.get("/things/1", params={"limit": str(INT8_MAX + 5)})
    assert declared.status_code == 422 and declared.json()["field"] == "query.limit"
    # Not a number at all: the parameter's own validation.
    word = await client.get("/things/1", params={"fiscal_year": "abc"})
    assert word.status_code == 422 and word.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": INT4_MAX + 1, "amount_fen": 1}, "year"),
        ({"year": 2026, "amount_fen": INT8_MAX + 1}, "amount_fen"),
        ({"year": 1e20, "amount_fen": 1}, "year"),
        (
            {
                "year": 2026,
                "amount_fen": 1,
                "lines": [{"quantity": 1, "amount_fen": 1}, {"quantity": 2**31, "amount_fen": 1}],
            },
            "lines.1.quantity",
        ),
        ({"year": 2026, "amount_fen": 1, "extra": {"deep": [1, 2**70]}}, "extra.deep.1"),
        ({"year": 2026, "amount_fen": 1, "maybe": -(2**40)}, "maybe"),
    ],
)
async def test_body_integers_beyond_the_column_are_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    assert_refused(await client.post("/orders", json=body), field)


async def test_body_integers_within_range_pass(client: httpx.AsyncClient) -> None:
    body = {
        "year": INT4_MAX,
        "amount_fen": INT8_MAX,
        "capped": 10**11,  # declared le=10**12: beyond int4, allowed by its own bound
        "lines": [{"quantity": 3, "amount_fen": 2**40}],
        "extra": {"revenue": 2**50},
        "note": "12345678901234567890",
    }
    resp = await client.post("/orders", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["capped"] == 10**11 and resp.json()["lines"][0]["amount_fen"] == 2**40


async def test_a_500_carries_the_request_id_it_asks_for(client: httpx.AsyncClient) -> None:
    resp = await client.get("/boom", headers={"X-Request-Id": "rid-test-500"})
    assert resp.status_code == 500
    body = resp.json()
    assert body["code"] == "internal_error" and body["request_id"] == "rid-test-500"
    assert "request_id" in body["detail"] and "forced failure" not in resp.text
    # Without an incoming id, the one the app made is in the body and the header alike.
    fresh = await client.get("/boom")
    assert fresh.json()["request_id"] and fresh.json()["request_id"] == fresh.headers["x-request-id"]
