"""Nobody can rebuild an ID number, a phone or a bank account from what they can read.

We plant talents (known ID numbers and phones), a payee (known account number) and a lookup, then read everything
each staff role and each partner scope can read through the gateway (every GET path of the aggregated OpenAPI,
exports as CSV and XLSX), every CloudEvent on the KUNRUYI_* streams, every clear column of every app database and
every log line. Two attacks are tried on all of it:

- a full value in the clear: a valid 18-character ID number anywhere, or one of the planted phones / accounts;
- completing a mask: a masked ID number (``320583********1827``) whose hidden characters the fields beside it
  (birth date, birth year, age, gender) narrow down to fewer than ``REBUILD_LIMIT`` valid ID numbers. At that size
  one person with any oracle (a form that says "registered", a call centre) finishes the job in an afternoon.

Zero rebuilt, for every reader.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from kunruyi_client import KunruyiClient
from kunruyi_common.validators import InvalidIdentifier, parse_resident_id, resident_id_check_char
from kunruyi_launcher.apps import APPS

pytestmark = pytest.mark.timeout(900)
Driver = Any  # tests/e2e/conftest.py's Driver (the conftest is not importable as a module)


REBUILD_LIMIT = 1000
STAFF_ROLES = ("officer", "reviewer", "approver", "finance", "broker", "admin")
PARTNER_SCOPES = (
    "talent:read",
    "talent:write",
    "policy:read",
    "disbursement:read",
    "disbursement:write",
    "matching:read",
    "matching:write",
)
LOCAL_AREA = "320583"

RID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MASKED_RID_RE = re.compile(r"(?<![0-9A-Za-z*])[0-9Xx*]{18}(?![0-9A-Za-z*])")
PHONE_RE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
SEPARATORS = re.compile(r"[ \-]")
SAFE_PARAM = re.compile(r"^[\w\-.:]{1,64}$")


# --- what an attacker can do with a mask ------------------------------------------------------------------------


@dataclass
class Facts:
    birth_dates: set[date] = field(default_factory=set)
    birth_years: set[int] = field(default_factory=set)
    ages: set[int] = field(default_factory=set)
    genders: set[str] = field(default_factory=set)


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _facts(chain: list[dict[str, Any]]) -> Facts:
    """Everything date- or gender-like in an object and the objects around it."""
    facts = Facts()
    for obj in chain:
        for key, value in obj.items():
            k = key.lower()
            if "birth" in k and isinstance(value, str):
                try:
                    facts.birth_dates.add(date.fromisoformat(value[:10]))
                except ValueError:
                    pass
            if "birth" in k and "year" in k and isinstance(value, int | str) and str(value).isdigit():
                facts.birth_years.add(int(value))
            if k == "age" and isinstance(value, int | str) and str(value).isdigit():
                facts.ages.add(int(value))
            if k in {"gender", "sex"} and isinstance(value, str):
                facts.genders.add(value)
    return facts


def candidates(mask: str, facts: Facts, today: date | None = None) -> int:
    """How many valid ID numbers fit ``mask`` and ``facts``. The attacker is assumed to know the local area code
    (most talents here are registered in Kunshan), so only the date, sequence and check character count."""
    today = today or date.today()
    mask = mask.upper()

    def fits(pos: int, ch: str) -> bool:
        return mask[pos] == "*" or mask[pos] == ch

    area = "".join(mask[i] if mask[i] != "*" else LOCAL_AREA[i] for i in range(6))
    dates: list[date] = []
    start, end = date(1900, 1, 1), today
    if facts.birth_dates:
        pool: Iterator[date] = iter(sorted(facts.birth_dates))
    else:
        pool = (start + timedelta(days=n) for n in range((end - start).days + 1))
    for d in pool:
        text = f"{d:%Y%m%d}"
        if not all(fits(6 + i, c) for i, c in enumerate(text)):
            continue
        if facts.birth_years and d.year not in facts.birth_years:
            continue
        if facts.ages and _age_on(d, today) not in facts.ages:
            continue
        dates.append(d)
    sequences = []
    for n in range(1000):
        text = f"{n:03d}"
        if not all(fits(14 + i, c) for i, c in enumerate(text)):
            continue
        gender = "male" if n % 2 else "female"
        if facts.genders & {"male", "female"} and gender not in facts.genders:
            continue
        sequences.append(text)
    total = len(dates) * len(sequences)
    if mask[17] == "*":
        return total
    if total > 50 * REBUILD_LIMIT:
        return total // 11
    return sum(
        1 for d in dates for s in sequences if resident_id_check_char(f"{area}{d:%Y%m%d}{s}") == mask[17]
    )


def _csv_cell(column: str, value: str | None) -> str | int | None:
    """A CSV cell as its JSON twin would be: an amount in fen (1.5亿元 is 15000000000 分, eleven digits that look
    like a mobile number) is a number there, not text, so it is read as one."""
    if value is not None and value.isdigit() and (column.endswith("_fen") or "（分）" in column):
        return int(value)
    return value


# --- one finding per leak ---------------------------------------------------------------------------------------


@dataclass
class Findings:
    secrets: dict[str, str]
    items: list[str] = field(default_factory=list)

    def text(self, where: str, text: str) -> None:
        flat = SEPARATORS.sub("", text)
        for label, secret in self.secrets.items():
            if secret in flat:
                self.items.append(f"{where}: {label} in the clear")
        for m in RID_RE.finditer(text):
            try:
                parse_resident_id(m.group())
            except InvalidIdentifier:
                continue
            self.items.append(f"{where}: a full ID number {m.group()[:3]}…")

    def obj(self, where: str, value: Any, chain: list[dict[str, Any]] | None = None) -> None:
        """Walk a JSON value: full values in strings, and masks completed from the fields around them."""
        chain = chain or []
        if isinstance(value, dict):
            inner = [*chain, value]
            for v in value.values():
                self.obj(where, v, inner)
        elif isinstance(value, list):
            for v in value:
                self.obj(where, v, chain)
        elif isinstance(value, str):
            self.text(where, value)
            for m in PHONE_RE.finditer(value):
                self.items.append(f"{where}: a full phone {m.group()[:3]}…")
            for m in MASKED_RID_RE.finditer(value):
                mask = m.group()
                if "*" not in mask:
                    continue
                n = candidates(mask, _facts(chain))
                if n < REBUILD_LIMIT:
                    self.items.append(f"{where}: masked ID {mask} completes to {n} candidates")

    def document(self, where: str, content_type: str, body: bytes) -> None:
        if "json" in content_type:
            try:
                self.obj(where, json.loads(body))
            except ValueError:
                self.text(where, body.decode(errors="replace"))
        elif "csv" in content_type:
            text = body.decode("utf-8-sig", errors="replace")
            self.text(where, text)
            for row in csv.DictReader(io.StringIO(text)):
                self.obj(where, {str(k): _csv_cell(str(k), v) for k, v in row.items()})
        elif "spreadsheet" in content_type:
            with zipfile.ZipFile(io.BytesIO(body)) as xlsx:
                for name in xlsx.namelist():
                    if name.endswith(".xml"):
                        self.text(f"{where} {name}", xlsx.read(name).decode(errors="replace"))
        else:
            self.text(where, body.decode(errors="replace"))


# --- the planted data and the readers --------------------------------------------------------------------------


@dataclass
class Planted:
    secrets: dict[str, str]
    params: dict[str, list[str]]


def _partner(driver: Driver, scope: str) -> KunruyiClient:
    resp = driver.as_staff(
        "admin", "POST", "/api/v1/app-keys", json={"name": f"只读测试 {scope}", "scopes": [scope]}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return KunruyiClient(driver.url, body["app_key"], body["secret"], timeout=30.0)


@pytest.fixture(scope="module")
def planted(driver: Driver) -> Planted:
    uscc = driver.register_enterprise(name="昆山隐私测试科技有限公司")
    secrets: dict[str, str] = {}
    talent_ids: list[str] = []
    for n, born in enumerate((date(1982, 12, 18), date(1995, 2, 3))):
        rid, phone = driver.new_resident_id(born), driver.new_phone()
        resp = driver.partner.post(
            "/api/v1/talents",
            json={
                "name": f"隐私{n}",
                "id_number": rid,
                "phone": phone,
                "education": "master",
                "employer_uscc": uscc,
                "arrival_date": "2020-07-01",
            },
        )
        assert resp.status_code == 201, resp.text
        talent_ids.append(resp.json()["talent_id"])
        secrets[f"ID number #{n}"] = rid
        secrets[f"phone #{n}"] = phone
    rid = driver.new_resident_id(date(1990, 6, 30))
    resp = driver.as_staff(
        "officer",
        "POST",
        "/api/v1/talents",
        json={"name": "隐私官建", "id_number": rid, "education": "doctor"},
    )
    assert resp.status_code == 201, resp.text
    secrets["ID number (officer)"] = rid
    # An authorised lookup puts the ID number on the wire: it must not stay anywhere in the clear.
    resp = driver.as_staff("officer", "GET", "/api/v1/talents/lookup", params={"id_number": rid})
    assert resp.status_code == 200, resp.text
    account = "6222021234567890128"
    resp = driver.as_staff(
        "finance",
        "POST",
        "/api/v1/payees",
        json={
            "entity_type": "talent",
            "entity_id": talent_ids[0],
            "account_name": "隐私0",
            "account_number": account,
            "bank_name": "中国工商银行昆山支行",
        },
    )
    assert resp.status_code in (200, 201), resp.text
    secrets["bank account"] = account
    # Let the events reach the read models (svc-policy's profiles) before anything is read.
    driver.eventually(
        lambda: driver.as_staff("admin", "GET", f"/api/v1/talents/{talent_ids[0]}").status_code == 200,
        "the planted talent",
    )
    return Planted(secrets, {"talent_id": talent_ids, "uscc": [uscc]})


@pytest.fixture(scope="module")
def openapi(driver: Driver) -> dict[str, Any]:
    resp = driver.http.get("/openapi.json")
    assert resp.status_code == 200
    spec: dict[str, Any] = resp.json()
    return spec


def _requests(spec: dict[str, Any], params: dict[str, list[str]]) -> Iterator[tuple[str, dict[str, str]]]:
    """Every GET of the API (path parameters filled from what was harvested), exports in each format."""
    for path, ops in sorted(spec.get("paths", {}).items()):
        op = ops.get("get")
        if op is None or not path.startswith("/api/"):
            continue
        names = re.findall(r"{([^}]+)}", path)
        fills: list[str] = [path]
        for name in names:
            values = params.get(name, [])[:3]
            fills = [p.replace(f"{{{name}}}", v) for p in fills for v in values]
        formats = [{}]
        for param in op.get("parameters", []):
            if param.get("name") == "format" and param.get("in") == "query":
                schema = param.get("schema", {})
                formats += [{"format": f} for f in schema.get("enum", []) if f != "json"]
        for filled in fills:
            for query in formats:
                yield filled, query


def _harvest(value: Any, into: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str | int) and not isinstance(v, bool) and SAFE_PARAM.match(str(v)):
                bucket = into.setdefault(k, [])
                if str(v) not in bucket:
                    bucket.append(str(v))
            else:
                _harvest(v, into)
    elif isinstance(value, list):
        for v in value:
            _harvest(v, into)


def _read_all(reader_get: Any, spec: dict[str, Any], planted: Planted, findings: Findings, who: str) -> int:
    params = {k: list(v) for k, v in planted.params.items()}
    read = 0
    # Two passes: lists first (to learn ids), then the item paths filled with them.
    for _ in range(2):
        for path, query in _requests(spec, params):
            resp: httpx.Response = reader_get(path, params=query)
            if resp.status_code != 200:
                continue
            read += 1
            ctype = resp.headers.get("content-type", "")
            findings.document(f"{who} GET {path}{'?' + str(query) if query else ''}", ctype, resp.content)
            if "json" in ctype:
                try:
                    _harvest(resp.json(), params)
                except ValueError:
                    pass
    return read


def _staff_reader(driver: Driver, role: str) -> Any:
    headers = driver.staff(role)
    return lambda path, params: driver.http.get(path, params=params, headers=headers)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_role_rebuilds_nothing(
    driver: Driver, planted: Planted, openapi: dict[str, Any], role: str
) -> None:
    findings = Findings(planted.secrets)
    read = _read_all(_staff_reader(driver, role), openapi, planted, findings, role)
    assert read > 0, f"{role} could read nothing at all"
    assert findings.items == [], "\n".join(findings.items)


@pytest.mark.parametrize("scope", [*PARTNER_SCOPES, "all scopes (demo partner)"])
def test_partner_scope_rebuilds_nothing(
    driver: Driver, planted: Planted, openapi: dict[str, Any], scope: str
) -> None:
    client = driver.partner if scope.startswith("all") else _partner(driver, scope)
    findings = Findings(planted.secrets)
    _read_all(lambda path, params: client.get(path, params=params), openapi, planted, findings, scope)
    assert findings.items == [], "\n".join(findings.items)


def test_the_masks_a_partner_lists_cannot_be_completed(driver: Driver, planted: Planted) -> None:
    """The attack itself works on what the registry shows a partner today: the check is not vacuous."""
    resp = driver.partner.get("/api/v1/talents", params={"limit": 200})
    assert resp.status_code == 200
    mine = [t for t in resp.json()["items"] if t["talent_id"] in planted.params["talent_id"]]
    assert len(mine) == 2
    for talent in mine:
        assert "*" in talent["id_number"]
        assert candidates(talent["id_number"], _facts([talent])) >= REBUILD_LIMIT, talent["id_number"]


async def test_events_on_the_bus_rebuild_nothing(platform: Any, planted: Planted) -> None:
    findings = Findings(planted.secrets)
    nc = await nats.connect(platform.infra.nats_url)
    try:
        js = nc.jetstream()
        seen = 0
        for info in await js.streams_info():
            name = info.config.name
            if not name.startswith("KUNRUYI_"):
                continue
            if info.state.messages == 0:
                continue
            for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(name, seq)
                except nats.js.errors.NotFoundError:
                    continue
                seen += 1
                findings.document(f"event {name}#{seq} {msg.subject}", "application/json", msg.data or b"")
        assert seen > 0, "no events on the bus at all"
    finally:
        await nc.close()
    assert findings.items == [], "\n".join(findings.items)


async def test_clear_database_columns_rebuild_nothing(platform: Any, planted: Planted) -> None:
    """A backup of any app database: each row is one object (its clear columns side by side)."""
    findings = Findings(planted.secrets)
    admin = platform.infra.database_admin_url.replace("postgresql+asyncpg://", "postgresql://")
    base = admin.rsplit("/", 1)[0]
    for app in APPS:
        conn = await asyncpg.connect(f"{base}/{app.database}")
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            for t in tables:
                table = t["table_name"]
                for row in await conn.fetch(f'SELECT row_to_json(x)::text AS j FROM "{table}" x'):
                    findings.obj(f"{app.database}.{table}", json.loads(row["j"]))
        finally:
            await conn.close()
    assert findings.items == [], "\n".join(findings.items)


def test_log_lines_rebuild_nothing(platform: Any, planted: Planted) -> None:
    findings = Findings(planted.secrets)
    for path in sorted(platform.log_dir.iterdir()):
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            try:
                findings.obj(f"{path.name}:{n}", json.loads(line))
            except ValueError:
                findings.text(f"{path.name}:{n}", line)
    assert findings.items == [], "\n".join(findings.items)
