"""Text PostgreSQL cannot store and integers no column holds are a 422 naming the field in every app (the kit's
guard, kunruyi_common.inputs) however the body is written: a JSON body in any letter case of its media type, in
UTF-16 (which the JSON parser reads too), with a surrogate written as raw bytes rather than escaped, and the form
fields and uploaded file names of endpoints that take a form, and every value of a repeated query parameter. Each endpoint here stores what it gets in a real
PostgreSQL table: what passed the guard used to end there as a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, File, Form, Query, UploadFile
from kunruyi_common import app as kit_app
from kunruyi_common.app import ServiceSpec, create_service_app
from kunruyi_common.db import SessionDep, create_engine, create_sessionmaker
from kunruyi_common.inputs import INT4_MAX
from kunruyi_common.settings import ServiceSettings
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter()


class Note(BaseModel):
    text: str
    tags: list[str] = []
    count: int = 0


async def _store(session: Any, value: str, count: int = 0) -> dict[str, str]:
    await session.execute(text("INSERT INTO notes (text, count) VALUES (:t, :c)"), {"t": value, "c": count})
    return {"stored": value}


@router.post("/notes", status_code=201)
async def create_note(note: Note, session: SessionDep) -> dict[str, str]:
    return await _store(session, " ".join([note.text, *note.tags]), note.count)


@router.post("/form-notes", status_code=201)
async def create_form_note(session: SessionDep, title: str = Form(), body: str = Form("")) -> dict[str, str]:
    return await _store(session, f"{title} {body}")


@router.post("/uploads", status_code=201)
async def upload(session: SessionDep, file: UploadFile = File(), note: str = Form("")) -> dict[str, str]:
    return await _store(session, f"{file.filename} {note}")


@router.get("/notes")
async def find_notes(session: SessionDep, text_: list[str] = Query([], alias="text")) -> dict[str, int]:
    found = await session.execute(text("SELECT count(*) FROM notes WHERE text = ANY(:t)"), {"t": text_})
    return {"found": int(found.scalar_one())}


@pytest.fixture
async def client(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(kit_app, "head_revisions", lambda package: set())  # no migrations for this test app
    name = f"test_unstorable_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    url = with_database(infra.database_admin_url, name)
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (text text NOT NULL, count integer NOT NULL)"))
    spec = ServiceSpec(
        name="unstorable", title="unstorable", description="", package="kunruyi_common", routers=[router]
    )
    app: FastAPI = create_service_app(spec, ServiceSettings(database_url=url))
    app.state.sessionmaker = create_sessionmaker(engine)  # what the lifespan sets (ASGITransport runs none)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await engine.dispose()


def assert_refused(resp: httpx.Response, field: str, code: str = "invalid_character") -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert (body["code"], body["field"]) == (code, field), body


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("raw", "headers", "field"),
    [
        # The media type in capitals: FastAPI still reads the body as JSON.
        (b'{"text": "a\\u0000b"}', {"content-type": "Application/JSON"}, "text"),
        (
            b'{"text": "a", "tags": ["x", "\\u0000"]}',
            {"content-type": "APPLICATION/JSON; charset=utf-8"},
            "tags.1",
        ),
        # UTF-16 and UTF-32 JSON, with and without a byte order mark: the escape is not in the bytes as ASCII.
        ('{"text": "a\\u0000b"}'.encode("utf-16-le"), JSON, "text"),
        ('{"text": "a\\u0000b"}'.encode("utf-16"), JSON, "text"),
        ('{"text": "ok", "tags": ["\\ud800"]}'.encode("utf-32-be"), JSON, "tags.0"),
        # A surrogate as its UTF-8 bytes (ED A0 80): the JSON parser decodes them, PostgreSQL cannot store it.
        (b'{"text": "a\xed\xa0\x80b"}', JSON, "text"),
        (b'{"text": "a", "tags": ["\xed\xbf\xbf"]}', JSON, "tags.0"),
    ],
    ids=[
        "capitals",
        "capitals-charset",
        "utf-16-le",
        "utf-16-bom",
        "utf-32-be",
        "raw-surrogate",
        "raw-surrogate-2",
    ],
)
async def test_unstorable_text_in_any_json_body_is_422_naming_the_field(
    client: httpx.AsyncClient, raw: bytes, headers: dict[str, str], field: str
) -> None:
    assert_refused(await client.post("/notes", content=raw, headers=headers), field)


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (f'{{"text": "x", "count": {INT4_MAX + 1}}}', {"content-type": "Application/Json"}),
        (f'{{"text": "x", "count": {INT4_MAX + 1}}}'.encode("utf-16"), JSON),
    ],
    ids=["capitals", "utf-16"],
)
async def test_integers_beyond_the_column_in_any_json_body_are_422(
    client: httpx.AsyncClient, raw: str | bytes, headers: dict[str, str]
) -> None:
    assert_refused(
        await client.post("/notes", content=raw, headers=headers), "count", code="integer_out_of_range"
    )


async def test_storable_bodies_in_those_forms_are_stored(client: httpx.AsyncClient) -> None:
    for raw, headers in [
        ('{"text": "昆如意 ok", "count": 3}'.encode(), {"content-type": "Application/JSON"}),
        ('{"text": "昆如意 ok", "count": 3}'.encode("utf-16"), JSON),
        # An escaped backslash before "u0000" is text, not a NUL.
        (b'{"text": "C:\\\\u0000"}', JSON),
    ]:
        resp = await client.post("/notes", content=raw, headers=headers)
        assert resp.status_code == 201, resp.text
    assert (await client.post("/form-notes", data={"title": "标题", "body": "正文"})).status_code == 201
    files = {"file": ("申报材料.pdf", b"%PDF-1.4", "application/pdf")}
    assert (await client.post("/uploads", files=files, data={"note": "附件"})).status_code == 201


async def test_a_nul_in_a_form_field_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    assert_refused(await client.post("/form-notes", data={"title": "t", "body": "a\x00b"}), "body")
    raw = b"title=t%00&body=x"
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    assert_refused(await client.post("/form-notes", content=raw, headers=urlencoded), "title")


async def test_a_nul_in_an_uploaded_file_name_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    raw = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a\x00b.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
        b"--b0undary--\r\n"
    )
    resp = await client.post(
        "/uploads", content=raw, headers={"content-type": "multipart/form-data; boundary=b0undary"}
    )
    assert_refused(resp, "file")


async def test_a_nul_in_any_value_of_a_repeated_query_parameter_is_422(client: httpx.AsyncClient) -> None:
    # Schemathesis: GET /enterprises/names?uscc=…%00…&uscc=😍 was a 500 — only the last value was looked at.
    assert (await client.get("/notes", params=[("text", "a"), ("text", "b")])).json() == {"found": 0}
    for values in (["a\x00", "b"], ["a", "b\x00", "c"]):
        resp = await client.get("/notes", params=[("text", v) for v in values])
        assert_refused(resp, "query.text")
