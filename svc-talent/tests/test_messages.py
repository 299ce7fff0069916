"""The message inbox (站内信 + SMS): each event that concerns a person → one message, whatever the redeliveries;
preferences; the SMS sender against the real emulator process (failures, retries, no double send)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from kunruyi_common.auth import Principal
from kunruyi_common.context import using_settings
from kunruyi_common.events.envelope import CloudEvent
from kunruyi_launcher.infra import free_port, wait_for_port
from kunruyi_launcher.testing import staff
from kunruyi_talent.enterprise import service as enterprise_service
from kunruyi_talent.enterprise.schemas import EnterpriseCreate
from kunruyi_talent.identifiers import make_uscc
from kunruyi_talent.messages import consumers
from kunruyi_talent.messages.auth import RecipientRef
from kunruyi_talent.messages.sender import check_receipts, send_due
from kunruyi_talent.messages.service import notify
from kunruyi_talent.messages.templates import Template, TemplateError, check_templates
from kunruyi_talent.models import SmsDelivery
from kunruyi_talent.pii import PersonalData
from kunruyi_talent.settings import Settings
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

PHONE = "13912345678"


def company(uscc: str) -> Principal:
    return Principal(kind="public", subject=f"enterprise:{uscc}", target=uscc, name="测试企业")


def event(type_: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(source="test", type=type_, subject="s", data=data)


async def register(session: AsyncSession, settings: Settings, base: int) -> str:
    uscc = make_uscc(base)
    await enterprise_service.register(
        session,
        PersonalData.from_settings(settings),
        EnterpriseCreate.model_validate(
            {
                "uscc": uscc,
                "name": f"消息测试企业{base}",
                "district": "花桥",
                "contacts": [{"name": "张经理", "role": "财务", "phone": PHONE}],
            }
        ),
    )
    await session.flush()
    return uscc


def payment(uscc: str, amount_fen: int = 5_000_000) -> dict[str, Any]:
    return {
        "disbursement_id": str(uuid.uuid4()),
        "policy_code": "KS-GX-001",
        "entity_type": "enterprise",
        "entity_id": uscc,
        "amount_fen": amount_fen,
        "mode": "automatic",
        "bank_reference": str(uuid.uuid4()),
        "settled_at": datetime.now(UTC).isoformat(),
    }


@pytest.fixture
def quiet_free(settings: Settings) -> Iterator[Settings]:
    """The app's settings without default quiet hours (tests run at any hour)."""
    test_settings = settings.model_copy(update={"sms_default_quiet_hours": None, "sms_backoff_s": 0.0})
    with using_settings(test_settings):
        yield test_settings


async def test_each_event_becomes_one_message_whatever_the_redeliveries(client, session, quiet_free) -> None:  # type: ignore[no-untyped-def]
    uscc = await register(session, quiet_free, 9101)
    talent_id = str(uuid.uuid4())
    cases: list[tuple[CloudEvent, RecipientRef, str]] = [
        (
            event(consumers.PAYMENT_SETTLED, payment(uscc)),
            RecipientRef("enterprise", uscc),
            "payment_settled",
        ),
        (event(consumers.PAYMENT_FAILED, payment(uscc)), RecipientRef("enterprise", uscc), "payment_failed"),
        (
            event(
                consumers.APPLICATION_STATUS_CHANGED,
                {
                    "application_number": "SB2026000001",
                    "policy_code": "KS-SB-002",
                    "applicant_type": "enterprise",
                    "applicant_id": uscc,
                    "status": "supplement_required",
                    "comment": "请补充研发费用专项审计报告",
                },
            ),
            RecipientRef("enterprise", uscc),
            "application_supplement",
        ),
        (
            event(
                consumers.TICKET_REPLIED,
                {
                    "ticket_number": "T20261205001",
                    "type": "落户",
                    "department": "公安局",
                    "enterprise_uscc": None,
                    "talent_id": talent_id,
                },
            ),
            RecipientRef("talent", talent_id),
            "ticket_replied",
        ),
        (
            event(
                consumers.HOUSING_OFFER_MADE,
                {
                    "talent_id": talent_id,
                    "project_code": "HQ-01",
                    "unit_number": "0101",
                    "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                },
            ),
            RecipientRef("talent", talent_id),
            "housing_offer",
        ),
        (
            event(
                consumers.CHALLENGE_AWARDED,
                {
                    "challenge_id": str(uuid.uuid4()),
                    "title": "高精度减速器",
                    "team_name": "某某团队",
                    "publisher_uscc": uscc,
                },
            ),
            RecipientRef("enterprise", uscc),
            "challenge_awarded",
        ),
        (
            event(
                consumers.DEMAND_ASSIGNED,
                {"demand_id": str(uuid.uuid4()), "enterprise_uscc": uscc, "agency": "昆山技术转移中心"},
            ),
            RecipientRef("enterprise", uscc),
            "demand_assigned",
        ),
        (
            event(
                consumers.REACH_GAINED,
                {
                    "policy_code": "KS-RC-003",
                    "policy_title": "人才安居补贴",
                    "department": "人才办",
                    "entity_type": "talent",
                    "entity_id": talent_id,
                    "status": "eligible",
                },
            ),
            RecipientRef("talent", talent_id),
            "policy_in_reach",
        ),
    ]
    handlers = {
        **consumers.DISBURSEMENT_HANDLERS,
        **consumers.TALENT_HANDLERS,
        **consumers.MATCHING_HANDLERS,
        **consumers.POLICY_HANDLERS,
    }
    # The catalog names the policy (svc-policy's catalog event): messages say its title, not its code.
    await consumers.on_policy_title(
        session, event(consumers.POLICY_PUBLISHED, {"code": "KS-GX-001", "title": "高新技术企业认定奖励"})
    )
    for ev, _recipient, _kind in cases:
        for _ in range(3):  # delivered three times
            await handlers[ev.type](session, ev)
    rows = (
        await session.execute(
            text("SELECT recipient_type, recipient_id, kind, count(*) FROM messages GROUP BY 1, 2, 3")
        )
    ).all()
    found = {(t, i, k): n for t, i, k, n in rows}
    for _ev, recipient, kind in cases:
        assert found.get((recipient.type, recipient.id, kind)) == 1, kind

    async with client(company(uscc)) as c:
        resp = await c.get("/api/v1/messages")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["unread"] == 5
        kinds = {m["kind"] for m in body["items"]}
        assert kinds == {
            "payment_settled",
            "payment_failed",
            "application_supplement",
            "challenge_awarded",
            "demand_assigned",
        }
        settled = next(m for m in body["items"] if m["kind"] == "payment_settled")
        assert "¥50,000.00" in settled["body"]
        assert settled["title"] == "资金已拨付：高新技术企业认定奖励"
        supplement = next(m for m in body["items"] if m["kind"] == "application_supplement")
        assert "研发费用专项审计报告" in supplement["body"]
        # Paging with a cursor, and marking read.
        first = await c.get("/api/v1/messages", params={"limit": 2})
        second = await c.get("/api/v1/messages", params={"limit": 2, "cursor": first.json()["next_cursor"]})
        ids = [m["id"] for m in first.json()["items"] + second.json()["items"]]
        assert len(set(ids)) == 4
        read = await c.post(f"/api/v1/messages/{settled['id']}/read")
        assert read.status_code == 200 and read.json()["read"] is True
        assert (await c.get("/api/v1/messages")).json()["unread"] == 4
        assert (await c.post("/api/v1/messages/read-all")).json()["marked"] == 4
        assert (await c.get("/api/v1/messages", params={"unread_only": True})).json()["items"] == []

    # Someone else's message: not found, not readable; anonymous and staff have no inbox.
    other = make_uscc(9102)
    async with client(company(other)) as c:
        assert (await c.get("/api/v1/messages")).json()["items"] == []
        resp = await c.post(f"/api/v1/messages/{settled['id']}/read")
        assert resp.status_code == 404 and resp.json()["code"] == "message_not_found"
    async with client(Principal(kind="public", subject="qr:abc", target=uscc)) as c:
        resp = await c.get("/api/v1/messages")
        assert resp.status_code == 403 and resp.json()["code"] == "not_a_recipient"
    async with client(staff("officer")) as c:
        assert (await c.get("/api/v1/messages")).status_code == 403

    # SMS: the kinds sent by default (payments, 补正, challenge award is off by default) to the contact's phone.
    deliveries = (await session.execute(select(SmsDelivery))).scalars().all()
    assert sorted(d.kind for d in deliveries) == [
        "application_supplement",
        "payment_failed",
        "payment_settled",
    ]
    assert {d.phone_masked for d in deliveries} == {"139****5678"}
    assert all(PHONE not in d.phone_encrypted for d in deliveries)
    async with client(staff("admin")) as c:
        log = (await c.get("/api/v1/message-deliveries")).json()
        assert {i["phone"] for i in log["items"]} == {"139****5678"}
        assert {i["kind_label"] for i in log["items"]} == {"补正通知", "拨付未成功", "资金到账"}
        assert PHONE not in str(log)
    async with client(staff("officer")) as c:
        assert (await c.get("/api/v1/message-deliveries")).status_code == 403


async def test_preferences_choose_kinds_by_sms_and_quiet_hours(client, session, quiet_free) -> None:  # type: ignore[no-untyped-def]
    uscc = await register(session, quiet_free, 9103)
    async with client(company(uscc)) as c:
        prefs = (await c.get("/api/v1/messages/preferences")).json()
        assert "payment_settled" in prefs["sms_kinds"]
        resp = await c.put(
            "/api/v1/messages/preferences",
            json={"sms_kinds": ["demand_assigned"], "quiet_hours": {"start": 21, "end": 9}},
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["sms_kinds"] == ["demand_assigned"]
        bad = await c.put("/api/v1/messages/preferences", json={"sms_kinds": ["spam"]})
        assert bad.status_code == 422 and "sms_kinds" in bad.text
        same = await c.put(
            "/api/v1/messages/preferences", json={"sms_kinds": [], "quiet_hours": {"start": 8, "end": 8}}
        )
        assert same.status_code == 422 and same.json()["code"] == "invalid_quiet_hours"
    # Payment: inbox only, no SMS (opted out of that kind).
    await consumers.on_payment(session, event(consumers.PAYMENT_SETTLED, payment(uscc)))
    assert (await session.scalar(select(func.count()).select_from(SmsDelivery))) == 0
    # Demand assigned at 23:00 Beijing: queued for the end of the quiet hours, 09:00.
    late = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    await notify(
        session,
        PersonalData.from_settings(quiet_free),
        recipient=RecipientRef("enterprise", uscc),
        kind="demand_assigned",
        values={"agency": "昆山技术转移中心"},
        source="test-late",
        now=late,
    )
    delivery = (await session.execute(select(SmsDelivery))).scalar_one()
    assert delivery.next_attempt_at == datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def test_a_template_with_an_undeclared_parameter_is_refused_at_startup() -> None:
    broken = Template(
        kind="x",
        label="x",
        title="t",
        body="b",
        sms_code="SMS_X",
        sms_text="您的{policy}到账{amount}",
        sms_params=("policy",),
        sms_by_default=False,
    )
    with pytest.raises(TemplateError, match="amount"):
        check_templates({"x": broken})


class SmsEmulator:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kunruyi_emulators.sms", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port("127.0.0.1", self.port, timeout=20)

    def config(self, **changes: Any) -> None:
        httpx.post(f"{self.url}/_control/config", json=changes).raise_for_status()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_control/reset").raise_for_status()

    def stats(self) -> dict[str, int]:
        result: dict[str, int] = httpx.get(f"{self.url}/_control/stats").json()
        return result

    def sent(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = httpx.get(f"{self.url}/_control/sent").json()
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def sms_emulator() -> Iterator[SmsEmulator]:
    emulator = SmsEmulator()
    yield emulator
    emulator.stop()


async def test_sms_sender_retries_failures_and_never_sends_twice(session, quiet_free, sms_emulator) -> None:  # type: ignore[no-untyped-def]
    sms_emulator.reset()
    settings = quiet_free.model_copy(update={"sms_url": sms_emulator.url, "sms_max_attempts": 4})
    uscc = await register(session, settings, 9104)
    with using_settings(settings):
        await consumers.on_payment(session, event(consumers.PAYMENT_SETTLED, payment(uscc, 12_345)))
        delivery = (await session.execute(select(SmsDelivery))).scalar_one()
        # The gateway is busy, then rate-limits: retried, nothing sent yet.
        sms_emulator.config(fail_next=1, rate_limit_next=1, retry_after_s=0)
        assert await send_due(session) == 1
        assert delivery.status == "queued" and delivery.last_error and "503" in delivery.last_error
        assert await send_due(session) == 1
        assert delivery.status == "queued" and delivery.last_error == "rate_limited"
        assert sms_emulator.sent() == []
        # Then it goes through, once.
        assert await send_due(session) == 1
        assert delivery.status == "sent" and delivery.attempts == 3
        sent = sms_emulator.sent()
        assert len(sent) == 1
        assert sent[0]["phone"] == PHONE and sent[0]["idempotency_key"] == str(delivery.id)
        assert sent[0]["text"] == "【昆如意】您的“KS-GX-001”资金¥123.45已拨付到账，详情请登录昆e服查看。"
        # A retry of a send whose answer was lost (the row still queued): the same key, no second SMS.
        delivery.status = "queued"
        delivery.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
        assert await send_due(session) == 1
        assert delivery.status == "sent"
        assert len(sms_emulator.sent()) == 1
        stats = sms_emulator.stats()
        assert stats["duplicates"] == 1
        assert await send_due(session) == 0
        # The gateway's receipt: delivered.
        assert await check_receipts(session) == 1
        assert delivery.status == "delivered"

        # A number the provider refuses: failed at once, the inbox message stays.
        sms_emulator.config(invalid_phones=[PHONE])
        await consumers.on_payment(session, event(consumers.PAYMENT_FAILED, payment(uscc)))
        assert await send_due(session) == 1
        refused = (
            await session.execute(select(SmsDelivery).where(SmsDelivery.kind == "payment_failed"))
        ).scalar_one()
        assert refused.status == "failed" and refused.last_error == "invalid_phone" and refused.attempts == 1
        # A gateway that keeps failing: given up after sms_max_attempts.
        sms_emulator.config(invalid_phones=[], error_next=10)
        await consumers.on_application_status(
            session,
            event(
                consumers.APPLICATION_STATUS_CHANGED,
                {
                    "application_number": "SB1",
                    "policy_code": "P",
                    "applicant_type": "enterprise",
                    "applicant_id": uscc,
                    "status": "supplement_required",
                    "comment": "缺材料",
                },
            ),
        )
        for _ in range(4):
            await send_due(session)
        gave_up = (
            await session.execute(select(SmsDelivery).where(SmsDelivery.kind == "application_supplement"))
        ).scalar_one()
        assert gave_up.status == "failed" and gave_up.attempts == 4
        messages = await session.scalar(
            text("SELECT count(*) FROM messages WHERE recipient_id = :u"), {"u": uscc}
        )
        assert messages == 3
        assert len(sms_emulator.sent()) == 1
        # Accepted, but the phone never got it: the receipt says so.
        sms_emulator.config(error_next=0, undelivered_phones=[PHONE])
        await consumers.on_payment(session, event(consumers.PAYMENT_SETTLED, payment(uscc)))
        assert await send_due(session) == 1
        assert await check_receipts(session) == 1
        statuses = (await session.execute(select(SmsDelivery.status))).scalars().all()
        assert sorted(statuses) == ["delivered", "failed", "failed", "undelivered"]


async def test_delivery_stats_for_admins(client, session, quiet_free) -> None:  # type: ignore[no-untyped-def]
    uscc = await register(session, quiet_free, 9105)
    for status in ("sent", "delivered", "undelivered", "failed"):
        await consumers.on_payment(session, event(consumers.PAYMENT_SETTLED, payment(uscc)))
        await session.execute(
            text("UPDATE sms_deliveries SET status = :s WHERE status = 'queued'"), {"s": status}
        )
    async with client(staff("admin")) as c:
        stats = (await c.get("/api/v1/message-deliveries/stats")).json()
    assert (stats["sent"], stats["delivered"], stats["undelivered"], stats["failed"]) == (1, 1, 1, 1)
    assert stats["delivery_rate"] == 0.5
    assert (stats["by_kind"][0]["kind"], stats["by_kind"][0]["kind_label"]) == ("payment_settled", "资金到账")


async def test_a_housing_offer_its_reminder_and_lapse_reach_the_talent(session, quiet_free) -> None:  # type: ignore[no-untyped-def]
    from kunruyi_talent.housing import service as housing
    from kunruyi_talent.identifiers import make_resident_id
    from kunruyi_talent.messages.sender import remind_housing_offers
    from kunruyi_talent.talent import service as talent_service
    from kunruyi_talent.talent.schemas import TalentCreate

    from .test_housing import project

    pii = PersonalData.from_settings(quiet_free)
    uscc = await register(session, quiet_free, 9106)
    talent = await talent_service.register(
        session,
        pii,
        TalentCreate(
            name="配租人",
            id_number=make_resident_id(9106),
            employer_uscc=uscc,
            education="doctor",
            phone="13800138000",
        ),
        "test",
    )
    await housing.create_project(session, project("MSG-1", 1).model_copy(update={"name": "花桥人才公寓"}))
    await session.flush()
    await housing.apply(session, talent.id, "MSG-1")
    unit_id = await session.scalar(
        text(
            "SELECT u.id FROM housing_units u JOIN housing_projects p ON p.id = u.project_id WHERE p.code = 'MSG-1'"
        )
    )
    made_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Kunshan
    _unit, offer = await housing.release_unit(session, unit_id, 7, now=made_at)
    assert offer is not None
    await session.flush()

    # The event the housing desk published, consumed twice.
    envelope = await session.scalar(
        text(
            "SELECT envelope FROM outbox_events WHERE type = 'kunruyi.talent.housing_offer.made' "
            "AND envelope->'data'->>'offer_id' = :o"
        ),
        {"o": str(offer.id)},
    )
    made = CloudEvent.model_validate(envelope)
    await consumers.on_housing_offer(session, made)
    await consumers.on_housing_offer(session, made)
    rows = (
        await session.execute(
            text("SELECT kind, title, body FROM messages WHERE recipient_id = :t ORDER BY created_at"),
            {"t": str(talent.id)},
        )
    ).all()
    assert len(rows) == 1
    kind, title, body = rows[0]
    assert kind == "housing_offer" and title == "人才公寓配租通知：花桥人才公寓"
    assert "12月8日10:00" in body  # 7 days later, Beijing time

    # Two days before it lapses: one reminder, however often the sender looks.
    assert await remind_housing_offers(session, now=made_at + timedelta(days=5, hours=12)) == 1
    assert await remind_housing_offers(session, now=made_at + timedelta(days=6)) == 0
    kinds = (
        (
            await session.execute(
                text(
                    "SELECT d.kind FROM sms_deliveries d JOIN messages m ON m.id = d.message_id WHERE m.recipient_id = :t"
                ),
                {"t": str(talent.id)},
            )
        )
        .scalars()
        .all()
    )
    assert sorted(kinds) == ["housing_offer", "housing_offer_reminder"]
    assert "3202" not in str(rows)  # no ID number anywhere near a message


def test_a_long_policy_title_is_shortened_to_what_an_sms_parameter_holds() -> None:
    from kunruyi_talent.messages.service import sms_param

    assert sms_param("短标题") == "短标题"
    long = "昆山市" + "高新技术企业" * 10
    assert len(sms_param(long)) == 35 and sms_param(long).endswith("…")


async def test_delivery_stats_take_any_date_range(client) -> None:  # type: ignore[no-untyped-def]
    async with client(staff("admin")) as c:
        resp = await c.get("/api/v1/message-deliveries/stats", params={"date_to": "2026-12-05"})
        assert resp.status_code == 200, resp.text
        for params in ({"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}):
            resp = await c.get("/api/v1/message-deliveries/stats", params=params)
            assert resp.status_code == 422 and next(iter(params)) in resp.text, resp.text
        assert (await c.get("/api/v1/message-deliveries", params={"cursor": "nope"})).status_code == 422


def reach_gained(uscc: str, code: str, title: str, at: datetime) -> CloudEvent:
    """svc-policy's ``reach.gained``: the company came into reach of an application policy of 科技局."""
    return CloudEvent(
        source="policy",
        type=consumers.REACH_GAINED,
        subject=uscc,
        time=at,
        data={
            "policy_code": code,
            "policy_title": title,
            "department": "科技局",
            "entity_type": "enterprise",
            "entity_id": uscc,
            "status": "eligible",
        },
    )


async def test_policies_in_reach_on_one_day_make_one_message(session, client, quiet_free) -> None:  # type: ignore[no-untyped-def]
    """A company gaining 高企 comes into reach of several policies at once: one 政策早知道 message lists them all
    (unread again when one is added), a redelivery adds nothing, and the next day starts a new message."""
    uscc = make_uscc(9301)
    day = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Kunshan

    def reach(code: str, title: str, at: datetime) -> CloudEvent:
        return reach_gained(uscc, code, title, at)

    first = reach("KS-KJ-101", "研发费用补助", day)
    await consumers.on_reach_gained(session, first)
    async with client(company(uscc)) as c:
        one = (await c.get("/api/v1/messages")).json()["items"]
        assert [m["title"] for m in one] == ["您可以申报：研发费用补助"]
        await c.post(f"/api/v1/messages/{one[0]['id']}/read")
    for ev in (reach("KS-KJ-102", "企业研发机构建设奖励", day), reach("KS-KJ-103", "首台套奖励", day), first):
        await consumers.on_reach_gained(session, ev)
    await consumers.on_reach_gained(session, reach("KS-KJ-104", "知识产权奖励", day + timedelta(days=1)))
    async with client(company(uscc)) as c:
        inbox = (await c.get("/api/v1/messages")).json()
    assert inbox["unread"] == 2
    today = next(m for m in inbox["items"] if m["title"].startswith("您有"))
    assert today["title"] == "您有 3 项政策可以申报" and today["link"] == "/m/policies"
    assert today["body"].count("「研发费用补助」") == 1
    assert "「首台套奖励」（科技局，符合）" in today["body"]
    assert sum(1 for m in inbox["items"] if m["kind"] == "policy_in_reach") == 2


async def test_a_fetch_of_policies_in_reach_writes_each_days_message_once(
    session,  # type: ignore[no-untyped-def]
    client,
    quiet_free,
) -> None:
    """The consumer applies a fetch of reach events at once: two companies and two days in one fetch give each
    company one message a day naming each of its policies once, and a later fetch adds its new policy to the
    day's message — what the events one by one give."""
    ours, theirs = make_uscc(9302), make_uscc(9303)
    day = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    await consumers.on_reach_gained_many(
        session,
        [
            reach_gained(ours, "KS-KJ-101", "研发费用补助", day),
            reach_gained(theirs, "KS-KJ-101", "研发费用补助", day),
            reach_gained(ours, "KS-KJ-102", "企业研发机构建设奖励", day),
            reach_gained(ours, "KS-KJ-104", "知识产权奖励", day + timedelta(days=1)),
            # the same policy again that day: named once
            reach_gained(ours, "KS-KJ-101", "研发费用补助", day),
        ],
    )
    await consumers.on_reach_gained_many(session, [reach_gained(ours, "KS-KJ-103", "首台套奖励", day)])
    async with client(company(ours)) as c:
        inbox = (await c.get("/api/v1/messages")).json()
    titles = sorted(m["title"] for m in inbox["items"] if m["kind"] == "policy_in_reach")
    assert titles == ["您可以申报：知识产权奖励", "您有 3 项政策可以申报"]
    today = next(m for m in inbox["items"] if m["title"].startswith("您有"))
    assert today["body"].count("「研发费用补助」") == 1
    assert "「企业研发机构建设奖励」（科技局，符合）" in today["body"]
    assert "「首台套奖励」（科技局，符合）" in today["body"]
    async with client(company(theirs)) as c:
        theirs_inbox = (await c.get("/api/v1/messages")).json()["items"]
    assert [m["title"] for m in theirs_inbox] == ["您可以申报：研发费用补助"]
