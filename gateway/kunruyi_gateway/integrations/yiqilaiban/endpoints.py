"""一企来办: inbound applications (portal-signed) and the staff enterprise lookup used to prefill 一企一档."""

from __future__ import annotations

import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, Principal, mint_internal_token
from kunruyi_common.errors import (
    InvalidUscc,
    MissingCredentials,
    ProblemError,
    Unprocessable,
    UpstreamUnavailable,
)
from kunruyi_common.openapi import problem_responses
from kunruyi_common.validation_messages import chinese_message
from kunruyi_common.validators import InvalidIdentifier, parse_uscc
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.access.gate import StaffCaller, path_as_sent
from kunruyi_gateway.integrations.exceptions import ApplicationRejected, EnterpriseNotFound
from kunruyi_gateway.integrations.yiqilaiban.client import PortalError, YiqilaibanClient
from kunruyi_gateway.integrations.yiqilaiban.schemas import (
    PortalApplication,
    PortalEnterprise,
    ReceivedApplication,
)
from kunruyi_gateway.integrations.yiqilaiban.signature import sign
from kunruyi_gateway.partners.exceptions import (
    InvalidSignature,
    ReplayedRequest,
    TimestampOutOfWindow,
    UnknownAppKey,
)
from kunruyi_gateway.routing.proxy import Upstreams
from kunruyi_gateway.settings import Settings

router = APIRouter(tags=["一企来办 yiqilaiban"])
_CLAIM_NONCE = text(
    "INSERT INTO partner_nonces (app_key, nonce, expires_at) VALUES (:k, :n, :e) "
    "ON CONFLICT (app_key, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at "
    "WHERE partner_nonces.expires_at < now() RETURNING 1"
)
_DISBURSEMENT_TIMEOUT_S = 10.0
PORTAL_PRINCIPAL = Principal(
    kind="partner", subject="yiqilaiban", name="一企来办", scopes=["disbursement:write"]
)


def _refuse(problem: type[ProblemError], detail: str) -> ProblemError:
    return problem(detail, title="一企来办签名校验失败")


async def _verify_portal(request: Request, session: AsyncSession, settings: Settings, body: bytes) -> None:
    h = request.headers
    app_id, timestamp = h.get("x-yqlb-appid"), h.get("x-yqlb-timestamp", "")
    nonce, signature = h.get("x-yqlb-nonce", ""), h.get("x-yqlb-sign", "")
    if not (app_id and timestamp and nonce and signature):
        raise _refuse(MissingCredentials, "缺少 X-YQLB-AppId / Timestamp / Nonce / Sign")
    if app_id != settings.yiqilaiban_app_id:
        raise _refuse(UnknownAppKey, "未知的一企来办 AppId")
    if (
        not timestamp.isdigit()
        or abs(int(time.time() * 1000) - int(timestamp)) > settings.signature_window_s * 1000
    ):
        raise _refuse(TimestampOutOfWindow, "时间戳超出允许范围")

    expected = sign(
        settings.yiqilaiban_secret, request.method, path_as_sent(request), app_id, timestamp, nonce, body
    )
    if not hmac.compare_digest(expected, signature):
        raise _refuse(InvalidSignature, "签名不匹配")
    claimed = (
        await session.execute(
            _CLAIM_NONCE,
            {
                "k": f"yqlb:{app_id}",
                "n": nonce[:64],
                "e": datetime.now(UTC) + timedelta(seconds=settings.nonce_ttl_s),
            },
        )
    ).first()
    if claimed is None:
        raise _refuse(ReplayedRequest, "该 nonce 在 10 分钟内已使用过")


@router.post(
    "/integrations/yiqilaiban/applications",
    status_code=201,
    summary="一企来办转来的政策申报",
    response_model=ReceivedApplication,
    responses=problem_responses(401),
)
async def receive_application(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    body = await request.body()
    # The database work (claiming the nonce) is a short transaction of its own, committed before
    # svc-disbursement is called: no connection is held open across a call that may take seconds.
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker.begin() as session:
        await _verify_portal(request, session, settings, body)
    try:
        application = PortalApplication.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Unprocessable(
            f"{'.'.join(str(p) for p in first['loc'])}: {chinese_message(first)}",
            field=".".join(str(p) for p in first["loc"]),
        ) from None
    upstreams: Upstreams = request.app.state.upstreams
    token = mint_internal_token(
        PORTAL_PRINCIPAL, settings.internal_token_secret, ttl_s=settings.internal_token_ttl_s
    )
    payload = {
        "policy_code": application.policy_code,
        "applicant_type": application.applicant_type,
        "applicant_id": application.applicant_id,
        "period": application.period,
        "amount_fen": application.amount_fen,
        "channel": "yiqilaiban",
        "external_ref": application.application_number,
    }
    # Through the gateway's one upstream client: svc-disbursement's pool, circuit breaker and retry rules (a
    # connection the service had just closed is retried: the Idempotency-Key makes a repeat harmless). A
    # failure is 503 upstream_unavailable.
    status, raw = await upstreams.call(
        "disbursement",
        "POST",
        "/api/v1/applications",
        body=json.dumps(payload, ensure_ascii=False).encode(),
        headers={
            INTERNAL_TOKEN_HEADER: token,
            # A portal retry of the same application is the same request to svc-disbursement.
            "Idempotency-Key": f"yiqilaiban:{application.application_number}",
        },
        timeout_s=_DISBURSEMENT_TIMEOUT_S,
    )
    try:
        answer: Any = json.loads(raw)
    except ValueError:
        answer = {"detail": raw[:500].decode(errors="replace")}
    if status >= 500:
        raise UpstreamUnavailable("申报服务暂不可用，请稍后重试", headers={"Retry-After": "5"})
    if status >= 400:
        # svc-disbursement's refusal (e.g. unknown policy) goes back to the portal as it is.
        if isinstance(answer, dict) and "code" in answer:
            raise ProblemError(
                answer.get("detail"), code=answer["code"], title=answer.get("title"), status=status
            )
        raise ApplicationRejected(str(answer), status=status)
    return JSONResponse(
        {"application_number": application.application_number, "platform": answer},
        status_code=201 if status == 201 else 200,
    )


def portal_client(request: Request) -> YiqilaibanClient:
    client: YiqilaibanClient = request.app.state.yiqilaiban
    return client


@router.get(
    "/api/v1/integrations/yiqilaiban/enterprises/{uscc}",
    summary="从省公共数据共享平台查询企业（预填一企一档）",
    response_model=PortalEnterprise,
    response_model_exclude_unset=True,
)
async def enterprise_lookup(uscc: str, request: Request, _: StaffCaller) -> dict[str, Any]:
    try:
        uscc = parse_uscc(uscc).code  # validated before it is upper-cased
    except InvalidIdentifier as exc:
        raise InvalidUscc(f"统一社会信用代码无效：{exc.message}", field="uscc", part=exc.part) from None
    try:
        return await portal_client(request).enterprise(uscc)
    except PortalError as exc:
        if exc.status == 404:
            raise EnterpriseNotFound("省平台未查询到该企业") from None
        raise UpstreamUnavailable(
            f"一企来办数据共享接口暂不可用：{exc}", headers={"Retry-After": "5"}
        ) from None
