"""Emulator of an SMS gateway (template messages, like the providers' APIs): ``python -m kunruyi_emulators.sms
--port 8105``.

The contract (kunruyi_talent.messages.sms_client):
- ``POST /v1/sms/send`` with ``Idempotency-Key`` and ``{phone, sign_name, template_code, params}`` →
  ``200 {"code": "OK", "message_id", "duplicate"}``; the same key again answers the first message id and sends
  nothing (``duplicate: true``); the same key with another body → ``409 idempotency_conflict``.
- ``400 invalid_phone`` (not a mainland mobile number, or one configured as unreachable), ``400 unknown_template``
  (a code not registered), ``400 missing_param`` (a parameter the template needs is absent or longer than 35
  characters, the providers' limit), ``400 missing_idempotency_key``.
- ``429 rate_limited`` with ``Retry-After`` and ``503 busy`` / ``500 internal_error`` when told to fail.
- ``GET /v1/sms/{message_id}`` — the delivery receipt (``status: delivered``, or ``undelivered`` for numbers
  configured so).

Control: ``POST /_control/config`` (``fail_next``: answer 503 to the next N sends; ``error_next``: 500 to the next N;
``rate_limit_next``: 429 to the next N with ``retry_after_s``; ``invalid_phones``; ``undelivered_phones``;
``delay_s``), ``GET /_control/sent`` (every accepted SMS, rendered text included), ``GET /_control/stats``,
``POST /_control/reset``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import string
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

# The templates registered with the provider (code → text). Unknown codes are refused, as a provider does.
TEMPLATES: dict[str, str] = {
    "SMS_KRY_PAYMENT_SETTLED": "【昆如意】您的“{policy}”资金{amount}已拨付到账，详情请登录昆e服查看。",
    "SMS_KRY_PAYMENT_FAILED": "【昆如意】您的“{policy}”资金拨付未成功，请登录昆e服核对收款账户。",
    "SMS_KRY_APPLICATION_STATUS": "【昆如意】您的申报{number}已进入“{stage}”环节，详情请登录昆e服查看。",
    "SMS_KRY_APPLICATION_SUPPLEMENT": "【昆如意】您的申报{number}需补正材料，请登录昆e服查看并重新提交。",
    "SMS_KRY_TICKET_REPLIED": "【昆如意】您的诉求{number}已答复，请登录昆e服查看并评价。",
    "SMS_KRY_TICKET_REOPENED": "【昆如意】您的诉求{number}已重新打开，{department}将重新办理并再次答复。",
    "SMS_KRY_HOUSING_OFFER": "【昆如意】人才公寓{project}向您配租，请在{deadline}前登录昆e服确认，逾期视为放弃。",
    "SMS_KRY_HOUSING_REMINDER": "【昆如意】人才公寓{project}配租将于{deadline}到期，请尽快登录昆e服确认。",
    "SMS_KRY_ACTIVITY_REMINDER": "【昆如意】您报名的活动“{title}”将于{starts}举行，请准时参加。",
    "SMS_KRY_HOUSING_LAPSED": "【昆如意】人才公寓{project}配租已逾期失效，您仍在轮候库中。",
    "SMS_KRY_CHALLENGE_AWARDED": "【昆如意】您发布的榜单“{title}”已确定揭榜团队，详情请登录昆e服查看。",
    "SMS_KRY_DEMAND_ASSIGNED": "【昆如意】您的技术需求已由{agency}的技术经纪人承接，经纪人将与您联系。",
    "SMS_KRY_POLICY_IN_REACH": "【昆如意】您可申报“{policy}”，详情请登录昆e服查看。",
}
MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
MAX_PARAM_LEN = 35


class Behaviour(BaseModel):
    fail_next: int = Field(default=0, description="answer 503 to the next N sends")
    error_next: int = Field(default=0, description="answer 500 to the next N sends")
    rate_limit_next: int = Field(default=0, description="answer 429 to the next N sends")
    retry_after_s: int = Field(default=1, description="the Retry-After of a 429")
    invalid_phones: list[str] = Field(default_factory=list, description="numbers refused as invalid")
    undelivered_phones: list[str] = Field(default_factory=list, description="accepted, receipt undelivered")
    delay_s: float = Field(default=0.0, description="wait this long before answering a send")


class SendIn(BaseModel):
    phone: str
    sign_name: str = "昆如意"
    template_code: str
    params: dict[str, str] = Field(default_factory=dict)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def create_app() -> FastAPI:
    app = FastAPI(title="SMS gateway emulator")
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(
            behaviour=Behaviour(),
            by_key={},
            sent=[],
            stats={"requests": 0, "accepted": 0, "duplicates": 0, "refused": 0},
        )

    reset()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "emulator": "sms"}

    @app.post("/v1/sms/send")
    async def send(request: Request, body: SendIn) -> JSONResponse:
        behaviour: Behaviour = state["behaviour"]
        stats = state["stats"]
        stats["requests"] += 1
        if behaviour.delay_s:
            await asyncio.sleep(behaviour.delay_s)
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            stats["refused"] += 1
            return _error(400, "missing_idempotency_key", "缺少 Idempotency-Key")
        if behaviour.fail_next > 0:
            behaviour.fail_next -= 1
            return _error(503, "busy", "短信网关繁忙")
        if behaviour.error_next > 0:
            behaviour.error_next -= 1
            return _error(500, "internal_error", "短信网关内部错误")
        if behaviour.rate_limit_next > 0:
            behaviour.rate_limit_next -= 1
            return _error(429, "rate_limited", "发送过于频繁", {"Retry-After": str(behaviour.retry_after_s)})
        fingerprint = body.model_dump()
        first = state["by_key"].get(key)
        if first is not None:
            if first["request"] != fingerprint:
                return _error(409, "idempotency_conflict", "同一 Idempotency-Key 的内容不同")
            stats["duplicates"] += 1
            return JSONResponse({"code": "OK", "message_id": first["message_id"], "duplicate": True})
        if not MOBILE.match(body.phone) or body.phone in behaviour.invalid_phones:
            stats["refused"] += 1
            return _error(400, "invalid_phone", "手机号码无效")
        template = TEMPLATES.get(body.template_code)
        if template is None:
            stats["refused"] += 1
            return _error(400, "unknown_template", f"模板 {body.template_code} 未报备")
        needed = _fields(template)
        missing = sorted(n for n in needed if not body.params.get(n) or len(body.params[n]) > MAX_PARAM_LEN)
        if missing:
            stats["refused"] += 1
            return _error(400, "missing_param", f"模板参数缺失或过长：{', '.join(missing)}")
        message_id = uuid.uuid4().hex
        record = {
            "message_id": message_id,
            "idempotency_key": key,
            "phone": body.phone,
            "template_code": body.template_code,
            "params": body.params,
            "text": template.format(**body.params),
            "status": "undelivered" if body.phone in behaviour.undelivered_phones else "delivered",
            "request": fingerprint,
        }
        state["by_key"][key] = record
        state["sent"].append(record)
        stats["accepted"] += 1
        return JSONResponse({"code": "OK", "message_id": message_id, "duplicate": False})

    @app.get("/v1/sms/{message_id}")
    async def receipt(message_id: str) -> JSONResponse:
        for record in state["sent"]:
            if record["message_id"] == message_id:
                return JSONResponse({"message_id": message_id, "status": record["status"]})
        return _error(404, "not_found", "没有这条短信")

    @app.post("/_control/config")
    async def config(changes: dict[str, Any]) -> dict[str, Any]:
        behaviour = Behaviour.model_validate({**state["behaviour"].model_dump(), **changes})
        state["behaviour"] = behaviour
        return behaviour.model_dump()

    @app.post("/_control/reset")
    async def control_reset() -> dict[str, str]:
        reset()
        return {"status": "reset"}

    @app.get("/_control/sent")
    async def sent() -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "request"} for r in state["sent"]]

    @app.get("/_control/stats")
    async def stats() -> dict[str, int]:
        return dict(state["stats"])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_emulators.sms")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8105)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
