"""The backup-and-restore drill, on a small platform of its own (PostgreSQL, NATS, the five apps, the emulators).

1. Business happens through the gateway: a partner registers enterprises and their talent, each gains the
   高新技术企业 qualification, svc-policy determines the award, an approver releases it and the bank emulator pays
   it; a 昆e服 request (ticket) is filed.
2. ``backup`` — with one talent event lost from its stream beforehand (as if NATS had lost it), so the restore has
   something to republish from the outbox.
3. Business goes on: one more enterprise is paid after the backup.
4. The whole stack stops; ``restore --data-dir`` brings the backup into a new data directory (a new PostgreSQL,
   a new NATS). The apps start on it, with the same bank emulator process (the bank remembers what it paid).
5. Checks: every count in the manifest matches; the ledger invariants and the audit chain verify; the outbox
   republished what the stream lacked; the consumers, reading the restored streams from the start, dropped the
   events they had already applied; nothing is left unpublished or pending; and the bank paid every award once —
   including the post-backup one, which the restored platform does not know about and must not pay again.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import nats
import nats.js.errors
import pytest
from kunruyi_common.validators import resident_id_check_char, uscc_check_char
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET
from kunruyi_gateway.settings import Settings as GatewaySettings
from kunruyi_gateway.staff.tokens import GatewayIssuer
from kunruyi_launcher.__main__ import main as launcher
from kunruyi_launcher.apps import APPS, EMULATORS
from kunruyi_launcher.backup import LocalServers, compare_counts
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, Platform, RunningApp, app_env, migrate_all, seed_all, start_apps

try:
    from kunruyi_client import KunruyiClient  # the partner SDK, a package of its own
except ImportError:  # before the SDK moved out of the gateway
    from kunruyi_gateway.partner_client import KunruyiClient  # type: ignore[no-redef]

pytestmark = pytest.mark.timeout(1500)

WORK = Path(__file__).resolve().parents[1] / "var" / "drill" / str(os.getpid())
POLICY = "KS-KJ-001"
AMOUNT_FEN = 30_000_000
T = TypeVar("T")
DRILL_SIZE = int(os.environ.get("KRY_DRILL_PAYMENTS", "2"))  # awards paid before the backup
# For a drill at a size that takes minutes: this many extra published events (outbox rows + stream messages of a
# type nobody consumes) in svc-matching before the backup. docs/operations.md has the figures.
FILLER = int(os.environ.get("KRY_DRILL_FILLER_EVENTS", "0"))


def eventually(check: Callable[[], T | None], what: str, timeout: float = 180.0) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except (httpx.TransportError, AssertionError) as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
        time.sleep(0.5)


class Business:
    """The gateway's callers: a signed partner, staff with dev-issuer tokens, a phone user's form posts."""

    def __init__(self, gateway: str) -> None:
        self.settings = GatewaySettings()
        self.issuer = GatewayIssuer.for_settings(self.settings)
        self.partner = KunruyiClient(gateway, DEMO_APP_KEY, DEMO_SECRET, timeout=30.0)
        self.http = httpx.Client(base_url=gateway, timeout=30.0)
        self.n = 0

    def close(self) -> None:
        self.partner.close()
        self.http.close()

    def staff(self, role: str, department: str | None = None) -> dict[str, str]:
        token = self.issuer.mint(
            issuer=self.settings.dev_issuer,
            audience=self.settings.oidc_audience,
            subject=f"drill-{role}",
            ttl_s=3600,
            name="演练",
            roles=[role],
            department=department,
        )
        return {"Authorization": f"Bearer {token}"}

    def uscc(self) -> str:
        """A valid Kunshan enterprise USCC: organisation code (GB 11714 check) + GB 32100 check character."""
        self.n += 1
        body = f"{os.getpid() % 10**4:04d}{self.n:04d}"
        check = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        first17 = f"91320583{body}{'X' if check == 10 else '0' if check == 11 else check}"
        return first17 + uscc_check_char(first17)

    def pay_an_award(self) -> dict[str, Any]:
        """Enterprise + talent registered, qualification granted → entitlement → approved → settled."""
        uscc = self.uscc()
        resp = self.partner.post(
            "/api/v1/enterprises",
            json={
                "uscc": uscc,
                "name": f"昆山演练科技有限公司{self.n}",
                "district": "高新区",
                "industry_chain": "集成电路",
                "founded_on": "2018-03-01",
                "employees": 120,
                "invention_patents": 3,
            },
        )
        assert resp.status_code == 201, resp.text
        id17 = f"32058319880517{self.n % 1000:03d}"
        resp = self.partner.post(
            "/api/v1/talents",
            json={
                "name": "李博士",
                "id_number": id17 + resident_id_check_char(id17),
                "education": "doctor",
                "employer_uscc": uscc,
                "expertise": "模拟芯片设计",
            },
        )
        assert resp.status_code == 201, resp.text
        resp = self.partner.post(
            f"/api/v1/enterprises/{uscc}/qualifications",
            json={"kind": "high_tech", "level": "national", "granted_on": f"{date.today().year}-10-15"},
        )
        assert resp.status_code == 201, resp.text

        def ours() -> dict[str, Any] | None:
            resp = self.partner.get("/api/v1/disbursements", params={"entity_id": uscc, "limit": 50})
            assert resp.status_code == 200, resp.text
            return next((d for d in resp.json()["items"] if d["policy_code"] == POLICY), None)

        pending = eventually(ours, f"the award of {uscc}")
        approved = self.http.post(
            f"/api/v1/disbursements/{pending['id']}/approve", headers=self.staff("approver", "科技局")
        )
        assert approved.status_code == 200, approved.text
        return eventually(
            lambda: (d := ours()) is not None and d["status"] == "settled" and d, f"{uscc} settled"
        )

    def file_a_ticket(self) -> str:
        uscc = self.uscc()
        resp = self.partner.post(
            "/api/v1/enterprises",
            json={
                "uscc": uscc,
                "name": "昆山演练诉求有限公司",
                "district": "周市",
                "industry_chain": "智能制造",
                "founded_on": "2019-01-01",
                "employees": 30,
                "invention_patents": 0,
            },
        )
        assert resp.status_code == 201, resp.text
        code = self.http.post(
            "/api/v1/service-codes",
            headers=self.staff("officer"),
            json={
                "kind": "enterprise",
                "target": uscc,
                "name": "昆山演练诉求有限公司",
                "industry_chain": "智能制造",
            },
        )
        assert code.status_code == 201, code.text
        token = code.json()["token"]
        page = self.http.get(f"/q/{token}")
        form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', page.text)
        assert form_id, page.text[-300:]
        filed = self.http.post(
            f"/q/{token}/tickets",
            data={
                "form_id": form_id.group(1),
                "type": "政策咨询",
                "title": "高企奖励需要申报吗？",
                "description": "演练",
                "requester_name": "周经理",
                "requester_phone": "13900001111",
                "consent": "yes",
            },
        )
        number = re.search(r'id="ticket-number"[^>]*>\s*([^<\s]+)', filed.text)
        assert filed.status_code == 200 and number, filed.text[-300:]
        return number.group(1)


def start_platform(
    servers: LocalServers, ports: dict[str, int], log_dir: Path, extra_env: dict[str, str]
) -> Platform:
    infra = Infra(database_admin_url=servers.postgres.url("postgres"), nats_url=servers.nats.url)
    return start_apps(infra, log_dir, ports=ports, extra_env=extra_env, timeout=180)


def start_apps_only(
    servers: LocalServers,
    ports: dict[str, int],
    log_dir: Path,
    extra_env: dict[str, str],
    emulators: Platform,
) -> Platform:
    """The apps on the restored data, wired to the emulators that kept running (the same bank)."""
    infra = Infra(database_admin_url=servers.postgres.url("postgres"), nats_url=servers.nats.url)
    platform = Platform(infra, log_dir)
    for spec in APPS:
        running = RunningApp(
            spec,
            ports[spec.name],
            app_env(spec, infra, ports, log_dir, extra_env),
            log_dir / f"{spec.name}.log",
        )
        running.start()
        platform.apps[spec.name] = running
    for running in platform.apps.values():
        running.wait_ready(180)
    platform.emulators = emulators.emulators
    return platform


def ops(servers: LocalServers, *args: str) -> int:
    return launcher(
        [
            "ops",
            "--database-url",
            servers.postgres.url("postgres", driver=""),
            "--nats-url",
            servers.nats.url,
            *args,
        ]
    )


async def _drop_one_talent_event(nats_url: str) -> str:
    """NATS loses the first talent event (the outbox still has it, marked published)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info("KUNRUYI_TALENT")
        msg = await js.get_msg("KUNRUYI_TALENT", seq=info.state.first_seq)
        await js.delete_msg("KUNRUYI_TALENT", info.state.first_seq)
        return str((msg.headers or {})["Nats-Msg-Id"])
    finally:
        await nc.close()


async def _filler(target: Any, nats_url: str, n: int) -> None:
    """``n`` events svc-matching published long ago: outbox rows marked published, the same ids in its stream."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    event_type = "kunruyi.matching.drill.filler"
    conn = await asyncpg.connect(target.url("matching"))
    try:
        await conn.copy_records_to_table(
            "outbox_events",
            records=[
                (
                    i,
                    event_type,
                    json.dumps({"id": i, "type": event_type, "data": {"n": k}}),
                    datetime.now(UTC),
                )
                for k, i in enumerate(ids)
            ],
            columns=["id", "type", "envelope", "published_at"],
        )
    finally:
        await conn.close()
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for start in range(0, n, 500):
            acks = [
                js.publish(
                    event_type, json.dumps({"id": i, "type": event_type}).encode(), headers={"Nats-Msg-Id": i}
                )
                for i in ids[start : start + 500]
            ]
            await asyncio.gather(*acks)
    finally:
        await nc.close()


async def _stream_ids(nats_url: str, stream: str) -> list[str]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        ids, seq = [], info.state.first_seq
        while info.state.messages and seq <= info.state.last_seq:
            msg = await js.get_msg(stream, seq=seq, subject=">", next=True)
            ids.append(str((msg.headers or {}).get("Nats-Msg-Id")))
            seq = int(msg.seq or seq) + 1
        return ids
    finally:
        await nc.close()


async def _consumers_read_everything(nats_url: str) -> bool:
    """Every durable consumer has been delivered its whole stream (the restored history, from the start)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for stream in ("KUNRUYI_POLICY", "KUNRUYI_TALENT", "KUNRUYI_DISBURSEMENT", "KUNRUYI_MATCHING"):
            try:
                consumers = await js.consumers_info(stream)
            except nats.js.errors.NotFoundError:
                continue
            for consumer in consumers:
                if consumer.num_pending or consumer.num_ack_pending:
                    return False
        return True
    finally:
        await nc.close()


async def _delivered(nats_url: str) -> int:
    """How many messages the restored consumers have been handed (all of them old ones, already applied)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        total = 0
        for stream in ("KUNRUYI_POLICY", "KUNRUYI_TALENT"):
            for consumer in await js.consumers_info(stream):
                total += int(consumer.delivered.consumer_seq or 0) if consumer.delivered else 0
        return total
    finally:
        await nc.close()


async def _counts(target: Any, app: str, tables: list[str]) -> dict[str, int]:
    conn = await asyncpg.connect(target.url(app))
    try:
        return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}
    finally:
        await conn.close()


@pytest.fixture
def work() -> Iterator[Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    yield WORK
    shutil.rmtree(WORK, ignore_errors=True)


def test_backup_restore_drill(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    timings: dict[str, float] = {}
    ports = {a.name: free_port() for a in APPS} | {e.name: free_port() for e in EMULATORS}
    extra_env = {
        "KRY_GATEWAY_DEV_ISSUER_DIR": str(GatewaySettings().dev_issuer_dir),
        "KRY_BANK_CALLBACK_URL": f"http://127.0.0.1:{ports['disbursement']}/api/v1/bank/callbacks",
    }
    # The bank's statements are per day: a drill that runs across midnight has payments on two of them.
    first_day = datetime.now(UTC).date()
    old = LocalServers.start(work / "a")
    new: LocalServers | None = None
    first: Platform | None = None
    second: Platform | None = None
    try:
        infra = Infra(database_admin_url=old.postgres.url("postgres"), nats_url=old.nats.url)
        migrate_all(infra, APPS)
        seed_all(infra, [a for a in APPS if a.name in ("policy", "disbursement", "gateway")])
        first = start_platform(old, ports, work / "log-a", extra_env)
        business = Business(first.gateway_url)

        # 1. Business before the backup.
        started = time.monotonic()
        before = [business.pay_an_award() for _ in range(DRILL_SIZE)]
        ticket = business.file_a_ticket()
        timings["business_before_s"] = time.monotonic() - started
        # The counts compared after the restore are those of a platform at rest: every event the business raised has
        # been applied before the backup. (Events still in flight at a backup are applied after the restore, which
        # is right but would make the restored inbox larger than the manifest's.)
        eventually(lambda: ops(old, "outbox-lag", "--max-age-s", "0") == 0 or None, "outboxes drained before")
        eventually(
            lambda: ops(old, "consumer-lag", "--max-pending", "0") == 0 or None, "consumers idle before"
        )
        lost = asyncio.run(_drop_one_talent_event(old.nats.url))
        if FILLER:
            started = time.monotonic()
            asyncio.run(_filler(old.target(), old.nats.url, FILLER))
            timings["filler_s"] = time.monotonic() - started

        # 2. Back up while the platform runs.
        started = time.monotonic()
        assert (
            launcher(
                [
                    "backup",
                    str(work / "backup"),
                    "--database-url",
                    old.postgres.url("postgres", driver=""),
                    "--nats-url",
                    old.nats.url,
                ]
            )
            == 0
        )
        timings["backup_s"] = time.monotonic() - started
        manifest = json.loads((work / "backup" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["apps"]["disbursement"]["row_counts"]["disbursements"] >= DRILL_SIZE

        # 3. Business goes on after the backup.
        after = business.pay_an_award()
        business.close()

        # 4. Everything stops but the bank; restore into a new data directory; start the apps on it.
        for app in first.apps.values():
            app.stop()
        old.stop()
        started = time.monotonic()
        assert launcher(["restore", str(work / "backup"), "--data-dir", str(work / "b")]) == 0
        timings["restore_s"] = time.monotonic() - started
        out = capsys.readouterr().out
        report = json.loads(out[out.index("{") : out.index("\nstart it:")])
        assert report["outbox_rows_to_republish"]["talent"] >= 1, report
        new = LocalServers.start(work / "b")
        assert asyncio.run(compare_counts(new.target(), manifest)) == []  # every count in the manifest
        started = time.monotonic()
        second = start_apps_only(new, ports, work / "log-b", extra_env, first)
        timings["start_restored_s"] = time.monotonic() - started
        business = Business(second.gateway_url)

        # 5. The outbox republishes the lost event; consumers drop what they had applied; nothing left pending.
        eventually(
            lambda: lost in asyncio.run(_stream_ids(new.nats.url, "KUNRUYI_TALENT")), "the lost event back"
        )
        eventually(lambda: ops(new, "outbox-lag", "--max-age-s", "0") == 0 or None, "outboxes drained")
        eventually(lambda: ops(new, "consumer-lag", "--max-pending", "0") == 0 or None, "consumers caught up")
        eventually(lambda: asyncio.run(_consumers_read_everything(new.nats.url)) or None, "every stream read")
        # The consumers were handed the whole restored history again and applied none of it twice: their inbox
        # dropped every event already applied (the restored platform had no new business to apply).
        assert asyncio.run(_delivered(new.nats.url)) >= manifest["streams"]["KUNRUYI_TALENT"]["messages"]
        for app, tables in (
            ("policy", ["inbox_events", "entitlements"]),
            ("disbursement", ["inbox_events", "disbursements"]),
        ):
            counts = asyncio.run(_counts(new.target(), app, tables))
            assert counts == {t: manifest["apps"][app]["row_counts"][t] for t in tables}, (app, counts)
        capsys.readouterr()
        assert ops(new, "dead-letters") == 0, capsys.readouterr().out
        assert ops(new, "audit-verify") == 0, capsys.readouterr().out
        eventually(lambda: ops(new, "stuck-payments", "--minutes", "0") == 0 or None, "no payment in flight")

        # The restored platform has what the backup had, and not what came after it.
        restored = business.partner.get("/api/v1/disbursements", params={"limit": 200})
        assert restored.status_code == 200, restored.text
        by_id = {d["id"]: d for d in restored.json()["items"]}
        for paid in before:
            assert by_id[paid["id"]]["status"] == "settled"
            assert by_id[paid["id"]]["bank_reference"] == paid["bank_reference"]
        assert after["id"] not in by_id
        resp = business.http.get(f"/api/v1/tickets/{ticket}", headers=business.staff("officer", "人才办"))
        assert resp.status_code == 200, resp.text

        # No payment made twice: the bank paid each award's reference once, and each enterprise once.
        bank = next(e.url for e in first.emulators if e.spec.name == "bank")
        time.sleep(
            3
        )  # give a wrongly re-sent instruction the chance to show (the check does not depend on it)
        days = [first_day + timedelta(days=n) for n in range((datetime.now(UTC).date() - first_day).days + 1)]
        references = [
            e["reference"]
            for day in days
            for e in httpx.get(f"{bank}/statements/{day}", timeout=10).json()["entries"]
        ]
        assert len(references) == len(set(references))
        payees = [
            httpx.get(f"{bank}/payments/{r}", timeout=10).json()["payee"]["entity_id"] for r in references
        ]
        for paid in [*before, after]:
            assert references.count(paid["bank_reference"]) == 1
            assert payees.count(paid["entity_id"]) == 1, (paid["entity_id"], payees)
        # The award paid after the backup is the reconciliation's to report: the bank paid it, the ledger lost it.
        capsys.readouterr()
        day = str(datetime.now(UTC).date())
        assert ops(new, "reconcile", "--date", day, "--bank-url", bank) == 1
        line = next(x for x in capsys.readouterr().out.splitlines() if after["bank_reference"] in x)
        assert line.startswith("missing_in_ledger"), line
        business.close()
    finally:
        for platform in (second, first):
            if platform is not None:
                platform.stop()
        old.stop()
        if new is not None:
            new.stop()
        artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        figures = {"payments_before_backup": DRILL_SIZE, "filler_events": FILLER, **timings}
        (artifacts / "backup-drill-timings.json").write_text(
            json.dumps(figures, indent=2) + "\n", encoding="utf-8"
        )
