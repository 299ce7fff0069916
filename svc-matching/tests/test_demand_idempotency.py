"""Idempotency-Key on demands: the shared kit, keyed per caller, one conflict code; and the migration that moved
the demand's own (global) key column into the kit's table."""

import hashlib
import random
import uuid
from typing import Any

from alembic import command
from kunruyi_common.auth import Principal
from kunruyi_common.db.migrations import alembic_config
from kunruyi_common.idempotency import request_hash
from kunruyi_launcher.infra import ensure_databases, with_database
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import staff
from kunruyi_matching.demand.schemas import DemandCreate
from kunruyi_matching.synthetic.identifiers import make_uscc
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

USCC = make_uscc(random.Random(7))


def demand_body(**overrides: Any) -> dict[str, Any]:
    return {
        "enterprise_uscc": USCC,
        "title": "先进封装良率提升",
        "description": "需要晶圆级先进封装工艺专家，解决硅通孔良率问题。",
        "industry_chain": "半导体",
        "technical_field": "advanced_packaging",
        "demand_type": "技术攻关",
        "budget_min_fen": 10_000_000,
        "budget_max_fen": 50_000_000,
        "channel": "api",
        **overrides,
    }


async def test_two_callers_with_the_same_key_each_get_their_own_demand(client) -> None:  # type: ignore[no-untyped-def]
    key = {"Idempotency-Key": "form-1"}
    async with client(staff("officer", subject="officer-wang")) as c:
        wang = await c.post("/api/v1/demands", json=demand_body(title="王的需求"), headers=key)
        wang_retry = await c.post("/api/v1/demands", json=demand_body(title="王的需求"), headers=key)
        wang_other = await c.post("/api/v1/demands", json=demand_body(title="另一条"), headers=key)
    async with client(staff("officer", subject="officer-li")) as c:
        li = await c.post("/api/v1/demands", json=demand_body(title="李的需求"), headers=key)
        li_retry = await c.post("/api/v1/demands", json=demand_body(title="李的需求"), headers=key)
    assert wang.status_code == li.status_code == 201, (wang.text, li.text)
    assert "idempotent-replayed" not in li.headers
    assert wang.json()["id"] != li.json()["id"]
    assert (wang.json()["title"], wang.json()["submitted_by"]) == ("王的需求", "staff:officer-wang")
    assert (li.json()["title"], li.json()["submitted_by"]) == ("李的需求", "staff:officer-li")
    assert wang_retry.json() == wang.json() and wang_retry.headers["idempotent-replayed"] == "true"
    assert li_retry.json() == li.json() and li_retry.headers["idempotent-replayed"] == "true"
    assert (wang_other.status_code, wang_other.json()["code"]) == (409, "idempotency_key_conflict")


async def test_a_qr_form_posted_twice_files_one_demand(client) -> None:  # type: ignore[no-untyped-def]
    body = demand_body(channel="qr", contact_name="王工", contact_phone="13912345678")
    phone = Principal(kind="public", subject="qr:code-1", target=body["enterprise_uscc"])
    key = {"Idempotency-Key": f"qr-demand-{uuid.uuid4().hex}"}
    async with client(phone) as c:
        first = await c.post("/api/v1/demands", json=body, headers=key)
        again = await c.post("/api/v1/demands", json=body, headers=key)
        fresh = await c.post(
            "/api/v1/demands", json=body, headers={"Idempotency-Key": f"qr-demand-{uuid.uuid4().hex}"}
        )
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


async def test_a_key_too_long_is_bad_input_naming_the_header(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("officer")) as c:
        resp = await c.post("/api/v1/demands", json=demand_body(), headers={"Idempotency-Key": "k" * 201})
    assert (resp.status_code, resp.json()["code"]) == (422, "invalid_idempotency_key")
    assert resp.json()["field"] == "header.Idempotency-Key"


def _legacy_demand(title: str, key: str, submitted_by: str, *, digest: str | None = None) -> dict[str, Any]:
    # The body and the demand's columns as they were at matching_0003 (before the contact of matching_0008).
    model = DemandCreate.model_validate(demand_body(title=title))
    body = model.model_dump(mode="json", exclude={"contact_name", "contact_phone"})
    return {
        "id": uuid.uuid4(),
        **model.model_dump(exclude={"contact_name", "contact_phone"}),
        "status": "pending_review",
        "submitted_by": submitted_by,
        "idempotency_key": key,
        # What the old code stored: sha256 of the validated body's JSON.
        "request_digest": digest
        or hashlib.sha256(
            model.model_dump_json(exclude={"contact_name", "contact_phone"}).encode()
        ).hexdigest(),
        "body": body,
    }


async def test_the_migration_moves_old_keys_to_their_callers_and_back(infra: Infra) -> None:
    name = f"test_matching_mig_{uuid.uuid4().hex[:8]}"
    await ensure_databases(infra.database_admin_url, [name], recreate=True)
    url = with_database(infra.database_admin_url, name)
    engine = create_async_engine(url)

    def migrate(to: str, *, down: bool = False) -> Any:
        def run(conn: Connection) -> None:
            cfg = alembic_config("kunruyi_matching", url)
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

        return run

    replayable = _legacy_demand("旧需求", "yql-0001", "partner:yiqilaiban")
    unverifiable = _legacy_demand("改过的旧需求", "yql-0002", "partner:yiqilaiban", digest="0" * 64)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate("matching_0003"))
            for row in (replayable, unverifiable):
                values = {k: v for k, v in row.items() if k != "body"}
                await conn.execute(
                    text(
                        f"INSERT INTO demands ({', '.join(values)}, version) "
                        f"VALUES ({', '.join(':' + k for k in values)}, 1)"
                    ),
                    values,
                )
        async with engine.begin() as conn:
            await conn.run_sync(migrate("matching_0004"))
            keys = {
                r.key: r
                for r in await conn.execute(
                    text(
                        "SELECT principal, key, endpoint, request_hash, status_code, response FROM idempotency_keys"
                    )
                )
            }
            columns = {
                r[0]
                for r in await conn.execute(
                    text("SELECT column_name FROM information_schema.columns WHERE table_name = 'demands'")
                )
            }
        # Under the caller who sent it; a retry with the same body hashes the same (the kit replays the demand).
        old = keys["yql-0001"]
        assert (old.principal, old.endpoint, old.status_code) == ("partner:yiqilaiban", "demands", 201)
        assert old.request_hash == request_hash("demands", replayable["body"])
        assert old.response["id"] == str(replayable["id"]) and old.response["title"] == "旧需求"
        # A body that cannot be rebuilt exactly: no request matches it, so every retry is a 409, never a duplicate.
        assert keys["yql-0002"].request_hash.startswith("legacy:")
        assert not {"idempotency_key", "request_digest"} & columns

        async with engine.begin() as conn:
            await conn.run_sync(migrate("matching_0003", down=True))
            back = dict(
                (await conn.execute(text("SELECT id, idempotency_key FROM demands ORDER BY title"))).all()
            )
        assert back == {replayable["id"]: "yql-0001", unverifiable["id"]: "yql-0002"}
    finally:
        await engine.dispose()
