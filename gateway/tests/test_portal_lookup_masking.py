"""The 一企来办 enterprise lookup passes on the fields the province's platform adds, but never personal data in
clear: a phone, an ID number or a bank card in any string the platform answers (or in its error body) reaches
staff masked, as every other response of the platform does."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from kunruyi_common.validators import build_resident_id
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.infra import free_port

USCC = "91320583MA1XXXXX9M"
BUSY = "91320583MA1KR8Y29Y"
PHONE = "13812345678"
ID_NUMBER = build_resident_id("320583", datetime.date(1980, 5, 17), 123)
CARD = "6222021234567890128"  # passes Luhn


def _portal() -> FastAPI:
    portal = FastAPI()

    @portal.get("/api/enterprises/{uscc}")
    async def enterprise(uscc: str) -> JSONResponse:
        if uscc == BUSY:
            return JSONResponse(
                {"code": "busy", "message": f"数据共享平台繁忙，请联系值班员 {PHONE}"}, status_code=503
            )
        return JSONResponse(
            {
                "uscc": uscc,
                "name": "昆山芯科技有限公司",
                "legal_representative": "张**",
                # what a real platform may add beside the documented fields
                "contact_phone": PHONE,
                "legal_representative_id": ID_NUMBER,
                "shareholders": [{"name": "李四", "id_number": ID_NUMBER, "note": f"开户账号 {CARD}"}],
            }
        )

    return portal


@pytest.fixture
async def lookup_gateway(
    serve_gateway: Any, gateway_settings: Settings, served_cls: Any
) -> AsyncIterator[Any]:
    portal = await served_cls(_portal(), free_port()).start()
    try:
        async with serve_gateway(
            gateway_settings.model_copy(update={"yiqilaiban_url": portal.url})
        ) as served:
            yield served
    finally:
        await portal.stop()


async def test_enterprise_lookup_masks_personal_data_the_platform_adds(lookup_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    async with httpx.AsyncClient(base_url=lookup_gateway.url) as c:
        found = await c.get(f"/api/v1/integrations/yiqilaiban/enterprises/{USCC}", headers=auth)
        busy = await c.get(f"/api/v1/integrations/yiqilaiban/enterprises/{BUSY}", headers=auth)
    assert found.status_code == 200, found.text
    for clear in (PHONE, ID_NUMBER, CARD):
        assert clear not in found.text, found.text
        assert clear not in busy.text, busy.text
    body = found.json()
    assert body["uscc"] == USCC and body["name"] == "昆山芯科技有限公司"  # a USCC is not personal data
    assert body["contact_phone"] == "138****5678"
    assert body["legal_representative_id"] == f"{ID_NUMBER[0]}{'*' * 16}{ID_NUMBER[-1]}"
    assert body["shareholders"][0]["name"] == "李四" and "6222" in body["shareholders"][0]["note"]
    assert busy.status_code == 503 and busy.json()["code"] == "upstream_unavailable"
