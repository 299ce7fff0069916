"""昆e服 codes and their bulk batches belong to the department of the officer who issued them: another department's
staff are refused revoking a code or cancelling a batch (403 other_department, on the API and in the console), and
nothing changes; the issuing department and admins may."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from kunruyi_common.validators import build_uscc
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.models import WebSessionRow
from kunruyi_gateway.web.sessions import SESSION_COOKIE, hash_session_id
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker


@pytest.fixture
async def codes_gateway(serve_gateway: Any, gateway_settings: Settings) -> AsyncIterator[Any]:
    """A gateway whose job worker is off, so a queued batch stays queued for the test."""
    settings = gateway_settings.model_copy(update={"run_background_workers": False})
    async with serve_gateway(settings) as served:
        yield served


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _company() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:5].upper().replace("I", "1").replace("O", "0")
    return {"kind": "enterprise", "target": build_uscc(f"D{tag}01"), "name": f"昆山部门示范{tag}有限公司"}


async def _issue(c: httpx.AsyncClient, token: str) -> dict[str, Any]:
    answer = await c.post("/api/v1/service-codes", json=_company(), headers=_auth(token))
    assert answer.status_code == 201, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


async def _console_browser(engine: AsyncEngine, base_url: str, roles: list[str], department: str) -> Any:
    """A console browser signed in as staff of ``department`` (its session row written as sign-in writes it)."""
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with async_sessionmaker(engine)() as db, db.begin():
        db.add(
            WebSessionRow(
                id_hash=hash_session_id(raw),
                kind="staff",
                subject=f"staff-{uuid.uuid4().hex[:8]}",
                display_name="测试员",
                roles=roles,
                department=department,
                method="test",
                csrf_token=csrf,
                last_seen_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    client = httpx.AsyncClient(base_url=base_url, cookies={SESSION_COOKIE: raw})
    return client, csrf


async def test_another_departments_code_is_not_revoked_over_the_api(codes_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    kjj = staff_token("officer", dept="科技局", sub="officer-kjj")
    rcb = staff_token("officer", dept="人才办", sub="officer-rcb")
    admin = staff_token("admin", sub="admin-codes")
    async with httpx.AsyncClient(base_url=codes_gateway.url) as c:
        code = await _issue(c, kjj)
        refused = await c.post(f"/api/v1/service-codes/{code['id']}/revoke", headers=_auth(rcb))
        after = (await c.get(f"/api/v1/service-codes/{code['id']}", headers=_auth(kjj))).json()
        own = await c.post(f"/api/v1/service-codes/{code['id']}/revoke", headers=_auth(kjj))
        other = await _issue(c, kjj)
        by_admin = await c.post(f"/api/v1/service-codes/{other['id']}/revoke", headers=_auth(admin))
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "other_department"
    assert code["department"] == "科技局"
    assert after["revoked_at"] is None
    assert own.status_code == 200 and own.json()["revoked_at"]
    assert by_admin.status_code == 200 and by_admin.json()["revoked_at"]


async def test_another_departments_batch_is_not_cancelled_over_the_api(  # type: ignore[no-untyped-def]
    codes_gateway, staff_token, engine: AsyncEngine
) -> None:
    kjj = staff_token("officer", dept="科技局", sub="officer-kjj")
    rcb = staff_token("officer", dept="人才办", sub="officer-rcb")
    async with httpx.AsyncClient(base_url=codes_gateway.url) as c:
        started = await c.post(
            "/api/v1/service-codes/batches", json={"items": [_company(), _company()]}, headers=_auth(kjj)
        )
        assert started.status_code == 202, started.text
        job = started.json()
        refused = await c.post(f"{job['url']}/cancel", headers=_auth(rcb))
        async with engine.connect() as conn:
            (status,) = (
                await conn.execute(
                    text("SELECT status FROM background_jobs WHERE id = :i"), {"i": uuid.UUID(job["id"])}
                )
            ).one()
        own = await c.post(f"{job['url']}/cancel", headers=_auth(kjj))
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "other_department"
    assert status == "queued"
    assert own.status_code == 200 and own.json()["status"] == "cancelled"


async def test_the_console_refuses_another_departments_code_and_batch(  # type: ignore[no-untyped-def]
    codes_gateway, staff_token, engine: AsyncEngine
) -> None:
    kjj = staff_token("officer", dept="科技局", sub="officer-kjj")
    async with httpx.AsyncClient(base_url=codes_gateway.url) as c:
        code = await _issue(c, kjj)
        started = await c.post(
            "/api/v1/service-codes/batches", json={"items": [_company()]}, headers=_auth(kjj)
        )
        job = started.json()
    browser, csrf = await _console_browser(engine, codes_gateway.url, ["officer"], "人才办")
    async with browser:
        revoke = await browser.post(f"/console/codes/{code['id']}/revoke", data={"csrf_token": csrf})
        cancel = await browser.post(f"/console/codes/batches/{job['id']}/cancel", data={"csrf_token": csrf})
    async with engine.connect() as conn:
        (revoked_at,) = (
            await conn.execute(
                text("SELECT revoked_at FROM service_codes WHERE id = :i"), {"i": uuid.UUID(code["id"])}
            )
        ).one()
        (status,) = (
            await conn.execute(
                text("SELECT status FROM background_jobs WHERE id = :i"), {"i": uuid.UUID(job["id"])}
            )
        ).one()
    assert revoke.status_code == 403 and "只有该部门工作人员或管理员可以作废" in revoke.text, revoke.text[
        :2000
    ]
    assert cancel.status_code == 403 and "只有该部门工作人员或管理员可以取消" in cancel.text, cancel.text[
        :2000
    ]
    assert revoked_at is None and status == "queued"
