"""The SMS gateway emulator on its own: templates with parameters, idempotency keys, configured failures, receipts.
The templates it has registered are exactly the ones svc-talent sends."""

from __future__ import annotations

import httpx
from kunruyi_emulators.sms import TEMPLATES, create_app

SEND = {
    "phone": "13912345678",
    "template_code": "SMS_KRY_TICKET_REPLIED",
    "params": {"number": "T20261205001"},
}


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://sms")


async def test_a_send_is_accepted_once_per_idempotency_key() -> None:
    async with _client() as c:
        first = await c.post("/v1/sms/send", json=SEND, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 200 and first.json()["duplicate"] is False
        again = await c.post("/v1/sms/send", json=SEND, headers={"Idempotency-Key": "k1"})
        assert again.json() == {**first.json(), "duplicate": True}
        other = await c.post(
            "/v1/sms/send", json={**SEND, "params": {"number": "T2"}}, headers={"Idempotency-Key": "k1"}
        )
        assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
        sent = (await c.get("/_control/sent")).json()
        assert [s["text"] for s in sent] == ["【昆如意】您的诉求T20261205001已答复，请登录昆e服查看并评价。"]
        receipt = await c.get(f"/v1/sms/{first.json()['message_id']}")
        assert receipt.json()["status"] == "delivered"
        assert (await c.post("/v1/sms/send", json=SEND)).json()["code"] == "missing_idempotency_key"


async def test_refusals_and_configured_failures() -> None:
    async with _client() as c:

        async def send(key: str, **changes: object) -> httpx.Response:
            return await c.post("/v1/sms/send", json={**SEND, **changes}, headers={"Idempotency-Key": key})

        assert (await send("a", phone="12345")).json()["code"] == "invalid_phone"
        assert (await send("b", template_code="SMS_NOPE")).json()["code"] == "unknown_template"
        missing = await send("c", params={})
        assert missing.status_code == 400 and missing.json()["code"] == "missing_param"
        assert (await send("d", params={"number": "x" * 36})).json()["code"] == "missing_param"
        await c.post(
            "/_control/config",
            json={"fail_next": 1, "error_next": 1, "rate_limit_next": 1, "retry_after_s": 7},
        )
        assert (await send("e")).status_code == 503
        assert (await send("e")).status_code == 500
        limited = await send("e")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
        assert (await send("e")).status_code == 200
        await c.post("/_control/config", json={"invalid_phones": ["13912345678"]})
        assert (await send("f")).json()["code"] == "invalid_phone"
        stats = (await c.get("/_control/stats")).json()
        assert stats["accepted"] == 1 and stats["refused"] == 5


def test_the_emulator_knows_every_template_svc_talent_sends() -> None:
    from kunruyi_talent.messages.templates import TEMPLATES as OURS

    assert {t.sms_code: t.sms_text for t in OURS.values()} == TEMPLATES
