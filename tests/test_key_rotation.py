"""PII key rotation as docs/operations.md describes it, on the real database with the apps as real processes.

Key A writes the rows (each app's seed, plus a sealed idempotent answer, a ticket and a demand whose free text holds
personal data); then B becomes the key with A retired: old rows still read (a partner's signed call still verifies
against its secret, an idempotent replay still answers, a phone change still compares with the stored phone, the
ticket's and the demand's text still reveal) and new rows use B. ``reencrypt`` with A dropped too early reports
the unreadable rows and changes nothing; with A retired it rewrites everything under B, and a second run finds
nothing left. Then A is dropped: everything still reads, the ticket's and the demand's text still reveal.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from kunruyi_client import signed_headers
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.crypto import FieldCipher, key_id
from kunruyi_common.reencrypt import EncryptedColumn
from kunruyi_launcher.apps import APPS, AppSpec
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, run_coroutine
from kunruyi_launcher.testing import migrated_database, production_secrets
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROTATED = ["gateway", "talent", "disbursement", "matching"]
SPECS = {a.name: a for a in APPS}
DECLARED: dict[str, list[EncryptedColumn]] = {
    "gateway": importlib.import_module("kunruyi_gateway.partners.service").ENCRYPTED_COLUMNS,
    "talent": importlib.import_module("kunruyi_talent.pii").ENCRYPTED_COLUMNS,
    "disbursement": importlib.import_module("kunruyi_disbursement.payments.payees").ENCRYPTED_COLUMNS,
    "matching": importlib.import_module("kunruyi_matching.pii").ENCRYPTED_COLUMNS,
}
# Columns the seeds (and this test) are sure to fill: an empty one would make "all rows under B" vacuous.
MUST_HAVE_ROWS = {
    "partner_app_key_secrets.secret_encrypted",
    "talents.id_number_encrypted",
    "talents.phone_encrypted",
    "talents.birth_date_encrypted",
    "tickets.title_encrypted",
    "tickets.description_encrypted",
    "enterprise_contacts.phone_encrypted",
    "tickets.requester_phone_encrypted",
    "idempotency_keys.response->__sealed__",
    "payees.account_number_encrypted",
    "demands.title_encrypted",
    "demands.description_encrypted",
}
KEY_A = base64.b64encode(os.urandom(32)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()
SHARED = {"internal_token_secret": "rotation-internal-" + uuid.uuid4().hex, "blind_index_key": KEY_A}


def _key(b64: str) -> str:
    return key_id(base64.b64decode(b64))


@pytest.fixture(scope="module")
def databases(infra: Infra) -> dict[str, str]:
    return {name: migrated_database(infra, SPECS[name].package, f"rotation_{name}") for name in ROTATED}


@pytest.fixture(scope="module")
def app_secrets() -> dict[str, dict[str, str]]:
    out = {}
    for name in ROTATED:
        cls = importlib.import_module(f"{SPECS[name].package}.settings").Settings
        out[name] = {**production_secrets(cls), **SHARED}
    return out


def env_for(
    name: str,
    infra: Infra,
    databases: dict[str, str],
    app_secrets: dict[str, dict[str, str]],
    *,
    key: str,
    retired: list[str],
    **extra: str,
) -> dict[str, str]:
    spec = SPECS[name]
    p = spec.env_prefix
    env = {k: v for k, v in os.environ.items() if not k.startswith(p)}
    values = {
        **app_secrets[name],
        "pii_key": key,
        "pii_retired_keys": ",".join(retired),
        "dev_mode": "false",
        "database_url": databases[name],
        "nats_url": infra.nats_url,
        "run_background_workers": "false",
        **extra,
    }
    env.update({f"{p}{k}".upper(): v for k, v in values.items()})
    return env


def cli(spec: AppSpec, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", spec.package, *args], env=env, capture_output=True, text=True, timeout=600
    )


@contextmanager
def serving(spec: AppSpec, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", spec.package, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, f"{spec.name} did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def tokens(db_url: str, columns: list[EncryptedColumn]) -> dict[str, list[tuple[str, bytes]]]:
    """Every ciphertext of every declared column with its associated data."""

    async def read() -> dict[str, list[tuple[str, bytes]]]:
        engine = create_async_engine(db_url)
        out: dict[str, list[tuple[str, bytes]]] = {}
        try:
            async with engine.connect() as conn:
                for col in columns:
                    value = f"{col.column} ->> '{col.json_key}'" if col.json_key else col.column
                    extra = "".join(f", {c}" for c in col.aad_columns)
                    rows = (
                        (
                            await conn.execute(
                                text(
                                    f"SELECT {value} AS token{extra} FROM {col.table} WHERE {value} IS NOT NULL"
                                )
                            )
                        )
                        .mappings()
                        .all()
                    )
                    out[col.label] = [(r["token"], col.aad(dict(r))) for r in rows]
        finally:
            await engine.dispose()
        return out

    return run_coroutine(read())


def all_tokens(databases: dict[str, str]) -> dict[str, list[tuple[str, bytes]]]:
    out: dict[str, list[tuple[str, bytes]]] = {}
    for name in ROTATED:
        # a label two apps share (each app's sealed idempotent answers) holds both apps' rows
        for label, rows in tokens(databases[name], DECLARED[name]).items():
            out.setdefault(label, []).extend(rows)
    return out


def key_ids(found: dict[str, list[tuple[str, bytes]]]) -> set[str]:
    return {token.split(".")[1] for rows in found.values() for token, _ in rows}


def staff_headers(secret: str, department: str | None = None) -> dict[str, str]:
    principal = Principal(
        kind="staff", subject="rotation-officer", name="轮换测试", roles=["officer"], department=department
    )
    return {INTERNAL_TOKEN_HEADER: mint_internal_token(principal, secret, ttl_s=600)}


# Free text with personal data: stored masked, the original encrypted (revealed by an audited staff action).
TICKET = {
    "type": "政策咨询",
    "title": f"回电 {make_phone(90_011)}",
    "description": f"身份证 {make_resident_id(903)}",
    "requester_phone": make_phone(90_014),
}
DEMAND = {
    "enterprise_uscc": make_uscc(903),
    "title": f"封装需求 联系{make_phone(90_012)}",
    "description": f"联系人手机 {make_phone(90_013)}，需要晶圆级先进封装工艺专家",
    "industry_chain": "半导体",
    "technical_field": "advanced_packaging",
    "demand_type": "技术攻关",
    "budget_min_fen": 10_000_000,
    "budget_max_fen": 50_000_000,
    "channel": "api",
}


def reveals_free_text(talent_url: str, matching_url: str, ticket: str, demand: str) -> None:
    """The ticket's and the demand's original text, through each app's audited reveal."""
    desk = staff_headers(SHARED["internal_token_secret"], department="人才办")
    r = httpx.post(
        f"{talent_url}/api/v1/tickets/{ticket}/reveal",
        json={"field": "text", "reason": "轮换后核对原文"},
        headers=desk,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["description"]) == (TICKET["title"], TICKET["description"])
    r = httpx.post(
        f"{matching_url}/api/v1/demands/{demand}/reveal",
        json={"reason": "轮换后核对原文"},
        headers=staff_headers(SHARED["internal_token_secret"]),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["description"]) == (DEMAND["title"], DEMAND["description"])


def partner_get(gateway: str, path: str) -> httpx.Response:
    headers = signed_headers(app_key="demo-partner", secret="s3cr3t-demo", method="GET", path=path)
    return httpx.get(f"{gateway}{path}", headers=headers, timeout=30)


def test_rotate_the_pii_key_read_old_rows_reencrypt_and_drop_the_old_key(
    infra: Infra, databases: dict[str, str], app_secrets: dict[str, dict[str, str]]
) -> None:
    def env(name: str, key: str, retired: list[str], **extra: str) -> dict[str, str]:
        return env_for(name, infra, databases, app_secrets, key=key, retired=retired, **extra)

    talent, gateway, matching = SPECS["talent"], SPECS["gateway"], SPECS["matching"]
    internal = staff_headers(SHARED["internal_token_secret"])
    first = {"name": "轮换甲", "id_number": make_resident_id(901), "phone": make_phone(90_001)}

    # -- key A writes ----------------------------------------------------------------------------------------------
    for name in ROTATED:
        # Demo data is for development mode only (the keys are real ones all the same).
        done = cli(SPECS[name], env(name, KEY_A, [], dev_mode="true"), "seed")
        assert done.returncode == 0, done.stderr
    with serving(talent, env("talent", KEY_A, [])) as url:
        created = httpx.post(
            f"{url}/api/v1/talents", json=first, headers={**internal, "Idempotency-Key": "rot-1"}, timeout=30
        )
        assert created.status_code == 201, created.text
        filed = httpx.post(f"{url}/api/v1/tickets", json=TICKET, headers=internal, timeout=30)
        assert filed.status_code == 201, filed.text
        ticket = filed.json()["ticket_number"]
    with serving(matching, env("matching", KEY_A, [])) as url:
        submitted = httpx.post(f"{url}/api/v1/demands", json=DEMAND, headers=internal, timeout=30)
        assert submitted.status_code == 201, submitted.text
        demand = submitted.json()["id"]
    before = all_tokens(databases)
    assert MUST_HAVE_ROWS <= {label for label, rows in before.items() if rows}
    assert key_ids(before) == {_key(KEY_A)}

    # -- B is the key, A retired: old rows read, new rows use B ---------------------------------------------------
    with serving(talent, env("talent", KEY_B, [KEY_A])) as talent_url:
        replay = httpx.post(
            f"{talent_url}/api/v1/talents",
            json=first,
            headers={**internal, "Idempotency-Key": "rot-1"},
            timeout=30,
        )
        assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
        assert replay.json() == created.json()
        talent_id = created.json()["talent_id"]
        changed = httpx.patch(
            f"{talent_url}/api/v1/talents/{talent_id}",
            json={"phone": make_phone(90_002)},
            headers=internal,
            timeout=30,
        )
        assert changed.status_code == 200, changed.text
        second = httpx.post(
            f"{talent_url}/api/v1/talents",
            json={"name": "轮换乙", "id_number": make_resident_id(902), "phone": make_phone(90_003)},
            headers=internal,
            timeout=30,
        )
        assert second.status_code == 201, second.text
        with serving(gateway, env("gateway", KEY_B, [KEY_A], upstream_talent_url=talent_url)) as gateway_url:
            listed = partner_get(gateway_url, "/api/v1/talents")
            assert listed.status_code == 200, listed.text
        with serving(matching, env("matching", KEY_B, [KEY_A])) as matching_url:
            reveals_free_text(talent_url, matching_url, ticket, demand)

    written = tokens(databases["talent"], DECLARED["talent"])
    new_ids = {
        token.split(".")[1]
        for label in ("talents.id_number_encrypted", "talents.phone_encrypted")
        for token, _ in written[label]
    }
    assert new_ids == {_key(KEY_A), _key(KEY_B)}  # old rows untouched, the change and the new talent under B

    mid = all_tokens(databases)
    both = FieldCipher.from_keys(KEY_B, [KEY_A])

    # -- reencrypt with A dropped too early: reported, nothing changed --------------------------------------------
    too_early = cli(talent, env("talent", KEY_B, []), "reencrypt")
    assert too_early.returncode == 1
    reports = [json.loads(line) for line in too_early.stdout.splitlines() if line.startswith("{")]
    assert sum(r["unreadable"] for r in reports) > 0 and sum(r["rewritten"] for r in reports) == 0
    assert _key(KEY_A) in {k for r in reports for k in r["unreadable_key_ids"]}

    # -- reencrypt with A retired: everything under B; a second run has nothing to do ------------------------------
    for name in ROTATED:
        done = cli(SPECS[name], env(name, KEY_B, [KEY_A]), "reencrypt", "--batch-size", "7")
        assert done.returncode == 0, done.stderr
        reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert [r["column"] for r in reports] == [c.label for c in DECLARED[name]]
        assert sum(r["rewritten"] for r in reports) > 0 and sum(r["unreadable"] for r in reports) == 0
        again = cli(SPECS[name], env(name, KEY_B, [KEY_A]), "reencrypt")
        assert again.returncode == 0, again.stderr
        assert all(
            json.loads(line)["rewritten"] == 0 for line in again.stdout.splitlines() if line.startswith("{")
        )
    after = all_tokens(databases)
    assert key_ids(after) == {_key(KEY_B)}

    # -- A dropped: everything still reads, and reads the same as before the rewrite ------------------------------
    only_b = FieldCipher.from_keys(KEY_B)
    for label, rows in after.items():
        assert sorted(only_b.decrypt(t, aad) for t, aad in rows) == sorted(
            both.decrypt(t, aad) for t, aad in mid[label]
        )
    with serving(talent, env("talent", KEY_B, [])) as talent_url:
        replay = httpx.post(
            f"{talent_url}/api/v1/talents",
            json=first,
            headers={**internal, "Idempotency-Key": "rot-1"},
            timeout=30,
        )
        assert replay.status_code == 201 and replay.json() == created.json()
        changed = httpx.patch(
            f"{talent_url}/api/v1/talents/{talent_id}",
            json={"phone": make_phone(90_004)},
            headers=internal,
            timeout=30,
        )
        assert changed.status_code == 200, changed.text
        with serving(gateway, env("gateway", KEY_B, [], upstream_talent_url=talent_url)) as gateway_url:
            listed = partner_get(gateway_url, "/api/v1/talents")
            assert listed.status_code == 200, listed.text
        with serving(matching, env("matching", KEY_B, [])) as matching_url:
            reveals_free_text(talent_url, matching_url, ticket, demand)
