"""Web sessions and CSRF of the gateway's pages, against the gateway's real database: a browser signs in, its
cookie is HttpOnly/SameSite and its id is stored only hashed, a form without the session's token changes nothing,
an idle or signed-out session signs nobody in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.csrf import CsrfProtected
from kunruyi_gateway.web.models import WebSessionRow
from kunruyi_gateway.web.sessions import (
    SESSION_COOKIE,
    OptionalWebSession,
    StaffSession,
    WebSession,
    end_session,
    hash_session_id,
    start_session,
)
from kunruyi_gateway.web.setup import install_web
from kunruyi_gateway.web.templating import cn_date, cn_datetime, render, status_label, yuan
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _pages() -> APIRouter:
    router = APIRouter(dependencies=[CsrfProtected])
    changes: list[str] = []

    @router.get("/m/test/sign-in/{kind}/{subject}")
    async def sign_in(kind: str, subject: str, request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        await start_session(
            request,
            response,
            kind=kind,
            subject=subject,
            display_name="测试企业",
            method="test",  # type: ignore[arg-type]
        )
        return response

    @router.get("/m/test/mine")
    async def mine(session: WebSession) -> JSONResponse:
        return JSONResponse({"subject": session.subject, "principal": session.principal().model_dump()})

    @router.get("/m/test/maybe")
    async def maybe(session: OptionalWebSession) -> JSONResponse:
        return JSONResponse({"signed_in": session is not None})

    @router.get("/m/test/staff-only")
    async def staff_only(session: StaffSession) -> JSONResponse:
        return JSONResponse({"subject": session.subject})

    @router.get("/m/test/form", response_class=HTMLResponse)
    async def form(request: Request, session: WebSession) -> HTMLResponse:
        return await render(request, "web/refused.html", title="表单", detail="x", code="-", back="/m/")

    @router.post("/m/test/change")
    async def change(session: WebSession, note: str = Form("")) -> JSONResponse:
        changes.append(note)
        return JSONResponse({"changed": note, "count": len(changes)})

    @router.post("/m/test/logout")
    async def logout(request: Request, session: WebSession) -> JSONResponse:
        response = JSONResponse({"ok": True})
        await end_session(request, response)
        return response

    return router


@pytest.fixture(scope="module")
async def web(engine: AsyncEngine, settings: Settings) -> AsyncIterator[FastAPI]:
    app = FastAPI()
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    app.state.settings = settings
    app.include_router(_pages())
    install_web(app)
    yield app


def _browser(app: FastAPI, scheme: str = "http") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"{scheme}://gateway.test",
        headers={"accept": "text/html"},
    )


@asynccontextmanager
async def _signed_in(
    app: FastAPI, subject: str = "91320583MA1XYZ0001", kind: str = "company"
) -> AsyncIterator[httpx.AsyncClient]:
    async with _browser(app) as browser:
        answer = await browser.get(f"/m/test/sign-in/{kind}/{subject}")
        assert answer.status_code == 200
        yield browser


async def test_sign_in_sets_a_hardened_cookie_and_stores_only_the_hash(
    web: FastAPI, engine: AsyncEngine
) -> None:
    async with _browser(web, scheme="https") as browser:
        answer = await browser.get("/m/test/sign-in/company/91320583MA1XYZ0001")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
        raw = browser.cookies[SESSION_COOKIE]
        mine = await browser.get("/m/test/mine")
        assert mine.json()["principal"]["subject"] == "enterprise:91320583MA1XYZ0001"
        assert mine.json()["principal"]["target"] == "91320583MA1XYZ0001"
    async with async_sessionmaker(engine)() as db:
        ids = (await db.execute(select(WebSessionRow.id_hash))).scalars().all()
    assert hash_session_id(raw) in ids
    assert raw not in ids
    # Over plain http (development) the cookie is not Secure, or the browser would never send it back.
    async with _browser(web) as browser:
        assert "Secure" not in (await browser.get("/m/test/sign-in/talent/T-1")).headers["set-cookie"]


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(web: FastAPI) -> None:
    async with _browser(web) as browser:
        answer = await browser.get("/m/test/mine?tab=1")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/m/login?next=/m/test/mine%3Ftab%3D1"
        htmx = await browser.get("/m/test/mine", headers={"hx-request": "true"})
        assert htmx.headers["hx-redirect"].startswith("/m/login")
        assert (await browser.get("/m/test/maybe")).json() == {"signed_in": False}
        # A forged cookie is no session.
        browser.cookies.set(SESSION_COOKIE, "forged-" + "x" * 40)
        assert (await browser.get("/m/test/mine")).status_code == 303


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(web: FastAPI) -> None:
    async with _signed_in(web) as browser:
        page = await browser.get("/m/test/form")
        assert page.status_code == 200
        token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        assert f'name="csrf_token" value="{token}"' in page.text

        missing = await browser.post("/m/test/change", data={"note": "a"})
        assert missing.status_code == 403
        assert "页面已过期" in missing.text and "csrf_token_invalid" in missing.text
        forged = await browser.post("/m/test/change", data={"note": "b", "csrf_token": "nope"})
        assert forged.status_code == 403
        api = await browser.post("/m/test/change", data={"note": "c"}, headers={"accept": "application/json"})
        assert api.status_code == 403 and api.json()["code"] == "csrf_token_invalid"

        ok = await browser.post("/m/test/change", data={"note": "d", "csrf_token": token})
        assert ok.status_code == 200 and ok.json() == {"changed": "d", "count": 1}
        htmx = await browser.post("/m/test/change", data={"note": "e"}, headers={"X-CSRF-Token": token})
        assert htmx.status_code == 200 and htmx.json()["count"] == 2

    # Another browser's token is not this browser's.
    async with _signed_in(web) as other:
        refused = await other.post("/m/test/change", data={"note": "f", "csrf_token": token})
        assert refused.status_code == 403


async def test_sign_out_deletes_the_session_everywhere(web: FastAPI) -> None:
    async with _signed_in(web) as browser:
        raw = browser.cookies[SESSION_COOKIE]
        page = await browser.get("/m/test/form")
        token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        assert (await browser.post("/m/test/logout", data={"csrf_token": token})).status_code == 200
    # The same cookie, replayed by someone who copied it, signs nobody in.
    async with _browser(web) as thief:
        thief.cookies.set(SESSION_COOKIE, raw)
        assert (await thief.get("/m/test/mine")).status_code == 303


async def test_an_idle_session_has_ended(web: FastAPI, engine: AsyncEngine) -> None:
    async with _signed_in(web) as browser:
        raw = browser.cookies[SESSION_COOKIE]
        async with async_sessionmaker(engine)() as db, db.begin():
            await db.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id_hash == hash_session_id(raw))
                .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
            )
        assert (await browser.get("/m/test/mine")).status_code == 303
        async with async_sessionmaker(engine)() as db:
            assert await db.get(WebSessionRow, hash_session_id(raw)) is None


async def test_a_company_session_is_refused_on_a_staff_page(web: FastAPI) -> None:
    async with _signed_in(web) as browser:
        answer = await browser.get("/m/test/staff-only")
        assert answer.status_code == 403
        assert "仅供工作人员使用" in answer.text


async def test_page_helpers_show_money_dates_and_statuses_in_chinese() -> None:
    assert yuan(12345678) == "¥123,456.78"
    assert yuan(None) == "—"
    assert cn_date("2026-12-05") == "2026年12月5日"
    # 20:30 UTC is the next morning in Beijing.
    assert cn_datetime("2026-12-05T20:30:00+00:00") == "2026年12月6日 04:30"
    assert cn_date("2026-12-05T20:30:00Z") == "2026年12月6日"
    assert status_label("settled") == "已到账"
    assert status_label("supplement_required") == "待补正"
    assert status_label("something_new") == "something_new"
