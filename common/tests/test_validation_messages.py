"""A 422's field messages are Chinese (an officer, a company and a partner's developer all read them beside the
field), while each error's ``type`` stays pydantic's stable key; a validator's own words are kept as written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from kunruyi_common.errors import install_error_handlers
from pydantic import BaseModel, Field, field_validator


class Resolution(BaseModel):
    outcome: Literal["upheld", "dismissed"]
    resolution: str = Field(min_length=1, max_length=20)
    employees: int = Field(ge=0)
    quota: int = Field(default=1, ge=1)
    note: str = ""

    @field_validator("note")
    @classmethod
    def _no_secret(cls, value: str) -> str:
        if "密" in value:
            raise ValueError("备注不能含有密级信息")
        return value


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/resolutions")
    async def create(body: Resolution) -> Resolution:
        return body

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_each_field_is_told_in_chinese_and_keeps_its_type(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/resolutions",
        json={"outcome": "maybe", "resolution": "", "employees": -1, "quota": 0, "note": "机密"},
    )
    assert resp.status_code == 422
    told = {e["field"]: (e["message"], e["type"]) for e in resp.json()["errors"]}
    assert told == {
        "outcome": ("只能是以下之一：'upheld'、'dismissed'", "literal_error"),
        "resolution": ("不能为空", "string_too_short"),
        "employees": ("不能为负数", "greater_than_equal"),
        "quota": ("不能小于 1", "greater_than_equal"),
        "note": ("备注不能含有密级信息", "value_error"),
    }
    assert "Input should" not in resp.text and "Value error" not in resp.text


async def test_missing_and_too_long_fields(client: httpx.AsyncClient) -> None:
    resp = await client.post("/resolutions", json={"resolution": "长" * 21, "employees": "很多"})
    told = {e["field"]: e["message"] for e in resp.json()["errors"]}
    assert told == {"outcome": "必填", "resolution": "最多 20 个字", "employees": "应为整数"}
    assert resp.json()["field"] == "outcome"
