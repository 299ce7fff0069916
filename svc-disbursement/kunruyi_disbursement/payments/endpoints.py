"""Bank callbacks (HMAC-signed) and the payee registry."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from kunruyi_common.crypto import blind_index
from kunruyi_common.db import SessionDep
from kunruyi_common.idempotency import idempotent
from pydantic import ValidationError

from kunruyi_disbursement.payments.auth import WritePartnerOrFinance
from kunruyi_disbursement.payments.exceptions import InvalidBankSignature, InvalidCallback, UnknownReference
from kunruyi_disbursement.payments.payees import register_payee
from kunruyi_disbursement.payments.schemas import CallbackOutcome, CallbackOutcomes, PayeeIn, PayeeRead
from kunruyi_disbursement.payments.settlement import BankUpdate, apply_bank_update, apply_bank_updates
from kunruyi_disbursement.settings import Settings

logger = logging.getLogger("kunruyi.disbursement.callbacks")
router = APIRouter(prefix="/api/v1", tags=["支付回调 payments"])


def verify_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Constant-time, over bytes: a header with characters beyond ASCII (Starlette decodes headers as Latin-1) is a
    wrong signature (401), not the ``TypeError`` ``compare_digest`` raises for non-ASCII ``str``."""
    expected = b"sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    given = (signature or "").strip().encode("utf-8", errors="replace")
    if not given or not hmac.compare_digest(expected, given):
        raise InvalidBankSignature("银行回调签名无效")


@router.post(
    "/bank/callbacks",
    summary="银行结算回调（单条或批量，HMAC-SHA256 签名）",
    response_model=CallbackOutcome | CallbackOutcomes,
)
async def bank_callback(
    request: Request,
    session: SessionDep,
    x_bank_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    body = await request.body()
    verify_signature(settings.bank_callback_secret, body, x_bank_signature)
    try:
        payload = json.loads(body)
        single = isinstance(payload, dict) and "events" not in payload
        raw_events = [payload] if single else payload["events"]
        updates = [BankUpdate.model_validate(e) for e in raw_events]
    except (ValueError, KeyError, TypeError, RecursionError, ValidationError) as exc:
        raise InvalidCallback(f"回调内容无效：{str(exc)[:200]}", field="body") from exc
    if single:
        outcomes = [await apply_bank_update(session, updates[0], source="callback")]
    else:
        outcomes = await apply_bank_updates(session, updates, source="callback")
    results = [{"reference": u.reference, "outcome": o} for u, o in zip(updates, outcomes, strict=True)]
    if single and results[0]["outcome"] == "not_found":
        raise UnknownReference(f"未知的支付参考号：{updates[0].reference}")
    return JSONResponse({"results": results} if not single else results[0])


@router.post(
    "/payees", status_code=201, response_model=PayeeRead, summary="登记收款账户（账号加密存储、脱敏显示）"
)
async def create_payee(
    body: PayeeIn,
    request: Request,
    session: SessionDep,
    principal: WritePartnerOrFinance,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    settings: Settings = request.app.state.settings

    async def produce() -> tuple[int, Any]:
        return 201, await register_payee(session, settings, body, principal.subject)

    # The stored request hash must not become a way to guess the account number: key it like the blind index.
    account_key = blind_index(body.account_number, settings.blind_index_key, purpose="payee.account_number")
    fingerprint = {**body.model_dump(), "account_number": account_key}
    return await idempotent(session, idempotency_key, principal, "POST /api/v1/payees", fingerprint, produce)
