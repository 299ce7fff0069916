"""Emulator of the provincial 一企来办 portal (and 苏商通 SSO): ``python -m kunruyi_emulators.yiqilaiban --port 8102``.

What it plays:
- the portal forwarding an application to the platform: ``POST /_control/forward-application`` signs and POSTs to
  ``{gateway}/integrations/yiqilaiban/applications`` (optionally twice: a duplicate delivery);
- the status callback receiver ``POST /api/callbacks/application-status`` (can fail the first N callbacks, answer
  slowly — all of them or the next N — and records duplicates by idempotency key);
- the provincial policy library ``POST /api/policy-library/policies`` (can reject the next N pushes);
- the data-sharing enterprise lookup ``GET /api/enterprises/{uscc}`` (can fail the next N, or answer slowly);
- 苏商通 single sign-on: ``POST /_control/sso-tickets`` issues a ticket, ``POST /api/sso/verify`` redeems it once
  (can fail the next N checks without using the ticket up); ``GET /sso/login?redirect_uri&state`` is the login
  page a browser is sent to (a tester signs in as a company; back to ``redirect_uri?ticket&state``);
- ``GET /_control/received`` shows everything received; ``POST /_control/config`` and ``/_control/reset``.

Every call from the platform must carry the portal's signature (see ``yiqilaiban_signing``) with a nonce not
used in the last 10 minutes (a replay is refused with ``replayed_request``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from kunruyi_common.validators import is_valid_uscc
from pydantic import BaseModel, Field

from kunruyi_emulators import shared_secret
from kunruyi_emulators import yiqilaiban_signing as signing


class Behaviour(BaseModel):
    fail_callbacks: int = Field(default=0, description="answer 503 to the next N status callbacks")
    slow_callback_s: float = Field(default=0.0, description="wait this long before answering a callback")
    slow_callbacks: int = Field(
        default=0, description="when > 0, only the next N callbacks are slow (the callback is still recorded)"
    )
    reject_policies: int = Field(default=0, description="answer 500 to the next N policy pushes")
    fail_lookups: int = Field(default=0, description="answer 503 to the next N enterprise lookups")
    slow_lookup_s: float = Field(default=0.0, description="wait this long before answering a lookup")
    fail_sso: int = Field(
        default=0, description="answer 503 to the next N 苏商通 ticket checks (ticket kept)"
    )


class ForwardApplication(BaseModel):
    application_number: str | None = None
    policy_code: str
    applicant_type: str = "enterprise"
    applicant_id: str
    period: str
    amount_fen: int
    duplicate: bool = Field(default=False, description="deliver the same application twice (a portal retry)")
    gateway_url: str | None = None


class SsoTicketIn(BaseModel):
    user_type: str = Field(description="staff 或 enterprise")
    subject: str
    name: str
    roles: list[str] = []
    department: str | None = None
    uscc: str | None = None


def create_app(*, app_id: str, secret: str, gateway_url: str) -> FastAPI:
    app = FastAPI(title="一企来办 emulator")
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(
            behaviour=Behaviour(),
            gateway_url=gateway_url,
            status_callbacks=[],
            policies=[],
            forwarded=[],
            sso_tickets={},
            seen_keys=set(),
            refused=[],
            nonces={},
        )

    reset()

    async def checked(request: Request) -> tuple[bytes, JSONResponse | None]:
        body = await request.body()
        reason = signing.verify(
            {k.lower(): v for k, v in request.headers.items()},
            secret,
            app_id,
            request.method,
            request.url.path,
            body,
        )
        if reason is None:
            # Like the platform, the portal takes a nonce once in 10 minutes: a retry must be signed afresh.
            now = time.monotonic()
            nonces: dict[str, float] = state["nonces"]
            for old in [n for n, until in nonces.items() if until < now]:
                del nonces[old]
            nonce = request.headers.get("x-yqlb-nonce", "")
            if nonce in nonces:
                reason = "replayed_request"
            else:
                nonces[nonce] = now + 600
        if reason is not None:
            state["refused"].append({"path": request.url.path, "reason": reason})
            return body, JSONResponse({"code": reason, "message": "签名校验失败"}, status_code=401)
        return body, None

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "yiqilaiban-emulator"}

    @app.post("/_control/config")
    async def configure(behaviour: Behaviour) -> dict[str, Any]:
        state["behaviour"] = behaviour
        return behaviour.model_dump()

    @app.post("/_control/reset")
    async def control_reset() -> dict[str, str]:
        reset()
        return {"status": "reset"}

    @app.get("/_control/received")
    async def received() -> dict[str, Any]:
        return {k: state[k] for k in ("status_callbacks", "policies", "forwarded", "refused")}

    @app.post("/_control/forward-application")
    async def forward(body: ForwardApplication) -> dict[str, Any]:
        number = body.application_number or f"YQLB{time.strftime('%Y%m%d')}{secrets.randbelow(10**6):06d}"
        payload = body.model_dump(exclude={"duplicate", "gateway_url"}) | {"application_number": number}
        raw = json.dumps(payload, ensure_ascii=False).encode()
        path = "/integrations/yiqilaiban/applications"
        target = (body.gateway_url or state["gateway_url"]).rstrip("/")
        answers = []
        async with httpx.AsyncClient(timeout=15.0) as client:
            for _ in range(2 if body.duplicate else 1):
                headers = signing.signed_headers(app_id, secret, "POST", path, raw)
                headers["Content-Type"] = "application/json"
                resp = await client.post(f"{target}{path}", content=raw, headers=headers)
                try:
                    answer = resp.json()
                except ValueError:
                    answer = resp.text
                answers.append({"status": resp.status_code, "body": answer})
        state["forwarded"].append({"application_number": number, "answers": answers})
        return {"application_number": number, "answers": answers}

    @app.post("/api/callbacks/application-status")
    async def status_callback(request: Request) -> JSONResponse:
        body, refusal = await checked(request)
        if refusal is not None:
            return refusal
        behaviour: Behaviour = state["behaviour"]
        if behaviour.slow_callback_s:
            slow_s = behaviour.slow_callback_s
            if behaviour.slow_callbacks > 0:
                behaviour.slow_callbacks -= 1
                if behaviour.slow_callbacks == 0:
                    behaviour.slow_callback_s = 0.0  # that was the last slow one
            await asyncio.sleep(slow_s)
        data = json.loads(body)
        key = request.headers.get("x-yqlb-idempotency-key") or hashlib.sha256(body).hexdigest()
        if behaviour.fail_callbacks > 0:
            behaviour.fail_callbacks -= 1
            state["status_callbacks"].append({"key": key, "data": data, "outcome": "failed"})
            return JSONResponse({"code": "busy", "message": "系统繁忙"}, status_code=503)
        duplicate = key in state["seen_keys"]
        state["seen_keys"].add(key)
        state["status_callbacks"].append(
            {"key": key, "data": data, "outcome": "duplicate" if duplicate else "accepted"}
        )
        return JSONResponse({"code": "ok", "duplicate": duplicate})

    @app.post("/api/policy-library/policies")
    async def policy_library(request: Request) -> JSONResponse:
        body, refusal = await checked(request)
        if refusal is not None:
            return refusal
        behaviour: Behaviour = state["behaviour"]
        if behaviour.reject_policies > 0:
            behaviour.reject_policies -= 1
            return JSONResponse({"code": "error"}, status_code=500)
        state["policies"].append(json.loads(body))
        return JSONResponse({"code": "ok"})

    @app.get("/api/enterprises/{uscc}")
    async def enterprise(uscc: str, request: Request) -> JSONResponse:
        _, refusal = await checked(request)
        if refusal is not None:
            return refusal
        behaviour: Behaviour = state["behaviour"]
        if behaviour.slow_lookup_s:
            await asyncio.sleep(behaviour.slow_lookup_s)
        if behaviour.fail_lookups > 0:
            behaviour.fail_lookups -= 1
            return JSONResponse({"code": "busy", "message": "数据共享平台繁忙"}, status_code=503)
        if not is_valid_uscc(uscc):  # no code failing GB 32100 (or its GB 11714 part) is ever registered
            return JSONResponse({"code": "not_found", "message": "未查询到该企业"}, status_code=404)
        digest = int(hashlib.sha256(uscc.encode()).hexdigest(), 16)
        return JSONResponse(
            {
                "uscc": uscc,
                "name": f"昆山{['芯', '精', '智', '新'][digest % 4]}科技有限公司",
                "legal_representative": "张**",
                "registered_capital_fen": (digest % 9000 + 1000) * 1_000_000,
                "founded_on": f"20{10 + digest % 14:02d}-0{1 + digest % 9}-15",
                "district": "昆山市",
                "industry": "集成电路" if digest % 2 else "智能制造",
                "status": "存续",
                "source": "江苏省公共数据共享平台（模拟）",
            }
        )

    @app.post("/_control/sso-tickets")
    async def issue_ticket(body: SsoTicketIn) -> dict[str, str]:
        ticket = f"ST-{secrets.token_urlsafe(16)}"
        state["sso_tickets"][ticket] = (time.time() + 300, body.model_dump())
        return {"ticket": ticket}

    @app.get("/sso/login", response_class=HTMLResponse)
    async def sso_login_page(
        redirect_uri: str = "", flow_state: str = Query("", alias="state")
    ) -> HTMLResponse:
        """苏商通's login page as a browser sees it: a tester signs in as a company; the browser goes back to
        ``redirect_uri?ticket=…&state=…``."""
        if not redirect_uri.startswith(("http://", "https://")):
            return HTMLResponse("<p>redirect_uri 须为网址</p>", status_code=400)
        hidden = (
            f'<input type="hidden" name="redirect_uri" value="{html.escape(redirect_uri)}">'
            f'<input type="hidden" name="state" value="{html.escape(flow_state)}">'
        )
        return HTMLResponse(
            f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>苏商通 登录（模拟）</title></head>
<body style="font:17px/1.6 system-ui,sans-serif;max-width:480px;margin:0 auto;padding:14px">
<h1>苏商通 · 企业用户登录（测试用模拟）</h1>
<form method="post" action="/sso/login">{hidden}
<label for="uscc">统一社会信用代码</label><br><input id="uscc" name="uscc" required style="width:100%;min-height:44px"><br>
<label for="name">企业名称</label><br><input id="name" name="name" required style="width:100%;min-height:44px"><br>
<button type="submit" id="sign-in" style="width:100%;min-height:48px;margin-top:12px">登录</button></form></body></html>"""
        )

    @app.post("/sso/login", response_model=None)
    async def sso_login(
        redirect_uri: str = Form(""),
        flow_state: str = Form("", alias="state"),
        uscc: str = Form(""),
        name: str = Form(""),
    ) -> HTMLResponse | RedirectResponse:
        if not redirect_uri.startswith(("http://", "https://")) or not is_valid_uscc(uscc.strip()):
            return HTMLResponse("<p>请填写有效的统一社会信用代码</p>", status_code=400)
        ticket = f"ST-{secrets.token_urlsafe(16)}"
        user = SsoTicketIn(
            user_type="enterprise",
            subject=f"ent-{uscc.strip().upper()}",
            name=name.strip(),
            uscc=uscc.strip().upper(),
        )
        state["sso_tickets"][ticket] = (time.time() + 300, user.model_dump())
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(
            f"{redirect_uri}{sep}{urlencode({'ticket': ticket, 'state': flow_state})}", status_code=303
        )

    @app.post("/api/sso/verify")
    async def verify_ticket(request: Request) -> JSONResponse:
        body, refusal = await checked(request)
        if refusal is not None:
            return refusal
        behaviour: Behaviour = state["behaviour"]
        if behaviour.fail_sso > 0:
            behaviour.fail_sso -= 1
            return JSONResponse({"code": "busy", "message": "苏商通繁忙"}, status_code=503)
        ticket = json.loads(body).get("ticket", "")
        found = state["sso_tickets"].pop(ticket, None)  # a ticket is good once
        if found is None or found[0] < time.time():
            return JSONResponse({"code": "invalid_ticket", "message": "票据无效或已使用"}, status_code=400)
        return JSONResponse({"code": "ok", "user": found[1]})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_emulators.yiqilaiban")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument(
        "--gateway-url", default=os.environ.get("KRY_YQLB_GATEWAY_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--app-id", default=os.environ.get("KRY_YQLB_APP_ID", "kunruyi"))
    parser.add_argument("--secret", default=shared_secret("KRY_YQLB_SECRET", "yqlb-dev-secret"))
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(
        create_app(app_id=args.app_id, secret=args.secret, gateway_url=args.gateway_url),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
