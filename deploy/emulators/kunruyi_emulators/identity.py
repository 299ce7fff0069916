"""Emulator of the province's personal identity service (江苏政务服务 统一身份认证), an OIDC provider:
``python -m kunruyi_emulators.identity --port 8103``.

What it plays (the authorization code flow):
- ``GET /.well-known/openid-configuration`` and ``GET /jwks`` (RS256 key made at start; ``rotate`` makes a new one);
- ``GET /authorize?response_type=code&client_id&redirect_uri&state&nonce`` — a login page where a tester enters a
  person (name and resident ID number) or picks one of the listed test persons; "同意" sends the browser back to
  ``redirect_uri?code=…&state=…``, "取消" with ``error=access_denied``;
- ``POST /token`` (``grant_type=authorization_code``, client id and secret in the form or HTTP Basic) — a code is
  good once, for 5 minutes, for the redirect URI it was issued to; the answer carries an ``id_token`` (RS256,
  claims ``sub`` (pairwise, not the ID number), ``name``, ``id_number``, ``nonce``, ``auth_time``);
- failure modes through ``POST /_control/config``: the next N token requests fail (503), the codes issued from now
  on are already expired, the next N ID tokens are signed with a key not in the JWKS (a forgery), the ID tokens
  expire at once;
- ``POST /_control/codes`` issues a code for a person without a browser (API tests), ``POST /_control/persons``
  lists test persons on the login page, ``POST /_control/reset``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jwt.algorithms import RSAAlgorithm
from kunruyi_common.validators import is_valid_resident_id
from pydantic import BaseModel, Field

from kunruyi_emulators import shared_secret

CODE_TTL_S = 300
ID_TOKEN_TTL_S = 600


class Behaviour(BaseModel):
    fail_token: int = Field(default=0, description="answer 503 to the next N token requests (code kept)")
    expired_codes: bool = Field(default=False, description="codes issued from now on are already expired")
    forged_id_tokens: int = Field(
        default=0, description="sign the next N ID tokens with a key not in the JWKS"
    )
    expired_id_tokens: bool = Field(
        default=False, description="ID tokens are already expired (2 min ago) when issued"
    )


class Person(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=15, max_length=18)


class CodeIn(Person):
    client_id: str = "kunruyi"
    redirect_uri: str
    nonce: str | None = None


def _new_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, secrets.token_hex(8)


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>江苏政务服务 统一身份认证（模拟）</title>
<style>body{{font:17px/1.6 system-ui,sans-serif;margin:0;background:#f2f5f9}}header{{background:#c8102e;color:#fff;padding:14px}}
main{{max-width:480px;margin:0 auto;padding:14px}}label{{display:block;font-weight:600;margin:10px 0 4px}}
input{{width:100%;font:inherit;padding:10px;min-height:48px;box-sizing:border-box}}button{{width:100%;min-height:48px;font:inherit;margin-top:12px}}
.err{{color:#8b0000}}li{{margin:6px 0}}</style></head><body><header><b>江苏政务服务 · 统一身份认证</b>（测试用模拟）</header>
<main>{body}</main></body></html>""",
        status_code=status,
    )


def create_app(*, issuer: str, clients: dict[str, str]) -> FastAPI:
    app = FastAPI(title="统一身份认证 emulator", docs_url=None, redoc_url=None)
    state: dict[str, Any] = {}

    def reset() -> None:
        key, kid = _new_key()
        state.update(
            behaviour=Behaviour(),
            key=key,
            kid=kid,
            codes={},
            persons=[],
            issued=[],
            token_requests=0,
        )

    reset()

    def pairwise_sub(id_number: str, client_id: str) -> str:
        return hashlib.sha256(f"{client_id}:{id_number}".encode()).hexdigest()[:32]

    def issue_code(person: Person, client_id: str, redirect_uri: str, nonce: str | None) -> str:
        code = secrets.token_urlsafe(24)
        behaviour: Behaviour = state["behaviour"]
        expires = time.time() - 1 if behaviour.expired_codes else time.time() + CODE_TTL_S
        state["codes"][code] = {
            "expires": expires,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "nonce": nonce,
            "name": person.name,
            "id_number": person.id_number.upper(),
            "auth_time": int(time.time()),
        }
        return code

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "name", "id_number", "nonce", "auth_time"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(state["key"].public_key()))
        jwk.update({"kid": state["kid"], "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def _authorize_error(message: str) -> HTMLResponse:
        return _page(f'<p class="err">{html.escape(message)}</p>', status=400)

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(
        request: Request,
        client_id: str = "",
        redirect_uri: str = "",
        response_type: str = "",
        nonce: str = "",
    ) -> HTMLResponse:
        state_value = request.query_params.get("state", "")
        if client_id not in clients:
            return _authorize_error("未登记的应用（client_id）")
        if response_type != "code" or not redirect_uri.startswith(("http://", "https://")):
            return _authorize_error("请求参数不正确（response_type 须为 code，redirect_uri 须为网址）")
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in (
                ("client_id", client_id),
                ("redirect_uri", redirect_uri),
                ("state", state_value),
                ("nonce", nonce),
            )
        )
        persons = "".join(
            f"<li><form method='post' action='/authorize'>{hidden}"
            f"<input type='hidden' name='name' value='{html.escape(p['name'])}'>"
            f"<input type='hidden' name='id_number' value='{html.escape(p['id_number'])}'>"
            f"<button type='submit' name='decision' value='allow'>以 {html.escape(p['name'])} 登录</button></form></li>"
            for p in state["persons"]
        )
        return _page(
            f"""<h1>个人用户登录</h1><p>应用“昆如意·昆e服”请求获取您的姓名和身份证号。</p>
{f"<h2>测试人员</h2><ul>{persons}</ul>" if persons else ""}
<form method="post" action="/authorize">{hidden}
<label for="name">姓名</label><input id="name" name="name" required>
<label for="id_number">身份证号</label><input id="id_number" name="id_number" required>
<button type="submit" name="decision" value="allow" id="allow">同意并登录</button>
<button type="submit" name="decision" value="deny" id="deny" formnovalidate>取消</button></form>"""
        )

    @app.post("/authorize", response_model=None)
    async def authorize_decision(
        client_id: str = Form(""),
        redirect_uri: str = Form(""),
        state: str = Form(""),
        nonce: str = Form(""),
        name: str = Form(""),
        id_number: str = Form(""),
        decision: str = Form("allow"),
    ) -> HTMLResponse | RedirectResponse:
        if client_id not in clients or not redirect_uri.startswith(("http://", "https://")):
            return _authorize_error("请求参数不正确")
        sep = "&" if "?" in redirect_uri else "?"
        if decision != "allow":
            query = urlencode({"error": "access_denied", "state": state})
            return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=303)
        if not name.strip() or not is_valid_resident_id(id_number.strip()):
            return _authorize_error("请填写姓名和有效的身份证号")
        code = issue_code(
            Person(name=name.strip(), id_number=id_number.strip()), client_id, redirect_uri, nonce or None
        )
        query = urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=303)

    def _client_of(request: Request, form: dict[str, str]) -> tuple[str, str]:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                raw = base64.b64decode(auth[6:]).decode()
            except ValueError:
                return "", ""
            client_id, _, secret = raw.partition(":")
            return client_id, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status_code=status)

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        state["token_requests"] += 1
        behaviour: Behaviour = state["behaviour"]
        if behaviour.fail_token > 0:
            behaviour.fail_token -= 1
            return _oauth_error("temporarily_unavailable", "认证服务繁忙", status=503)
        client_id, secret = _client_of(request, form)
        if clients.get(client_id) is None or not secrets.compare_digest(clients[client_id], secret):
            return _oauth_error("invalid_client", "应用认证失败", status=401)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type", "仅支持 authorization_code")
        found = state["codes"].pop(form.get("code", ""), None)  # a code is good once
        if found is None:
            return _oauth_error("invalid_grant", "授权码无效或已使用")
        if found["expires"] < time.time():
            return _oauth_error("invalid_grant", "授权码已过期")
        if found["client_id"] != client_id or found["redirect_uri"] != form.get("redirect_uri"):
            return _oauth_error("invalid_grant", "授权码与应用或回调地址不符")
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": client_id,
            "sub": pairwise_sub(found["id_number"], client_id),
            "iat": now,
            "exp": now - 120 if behaviour.expired_id_tokens else now + ID_TOKEN_TTL_S,
            "auth_time": found["auth_time"],
            "name": found["name"],
            "id_number": found["id_number"],
            "amr": ["pwd"],
        }
        if found["nonce"]:
            claims["nonce"] = found["nonce"]
        key, kid = state["key"], state["kid"]
        if behaviour.forged_id_tokens > 0:
            behaviour.forged_id_tokens -= 1
            key, _ = _new_key()
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        state["issued"].append({"sub": claims["sub"], "name": claims["name"], "at": now})
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": ID_TOKEN_TTL_S,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    @app.post("/_control/config")
    async def configure(behaviour: Behaviour) -> dict[str, Any]:
        state["behaviour"] = behaviour
        return behaviour.model_dump()

    @app.post("/_control/reset")
    async def control_reset() -> dict[str, str]:
        reset()
        return {"status": "reset"}

    @app.post("/_control/rotate")
    async def rotate() -> dict[str, str]:
        state["key"], state["kid"] = _new_key()
        return {"kid": state["kid"]}

    @app.post("/_control/persons")
    async def add_person(person: Person) -> dict[str, int]:
        state["persons"].append(person.model_dump())
        return {"persons": len(state["persons"])}

    @app.post("/_control/codes")
    async def control_code(body: CodeIn) -> dict[str, str]:
        if body.client_id not in clients:
            return {"error": "unknown client"}
        return {"code": issue_code(body, body.client_id, body.redirect_uri, body.nonce)}

    @app.get("/_control/received")
    async def received() -> dict[str, Any]:
        return {"token_requests": state["token_requests"], "issued": state["issued"]}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_emulators.identity")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--issuer", default=os.environ.get("KRY_IDENTITY_ISSUER"))
    parser.add_argument("--client-id", default=os.environ.get("KRY_IDENTITY_CLIENT_ID", "kunruyi"))
    parser.add_argument(
        "--client-secret", default=shared_secret("KRY_IDENTITY_CLIENT_SECRET", "identity-dev-secret")
    )
    args = parser.parse_args()
    import uvicorn

    issuer = args.issuer or f"http://{args.host}:{args.port}"
    uvicorn.run(
        create_app(issuer=issuer, clients={args.client_id: args.client_secret}),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
