"""Emulator of the city's staff identity provider (OIDC): ``python -m kunruyi_emulators.staff_identity --port 8104``.

What it plays — OpenID Connect, authorization code flow (PKCE S256 accepted, a client secret checked when set):
- ``GET /.well-known/openid-configuration`` and ``GET /jwks`` (an RS256 key made at start);
- ``GET /authorize``: the sign-in page listing the demo staff (name, role, department); choosing one redirects
  to the client's ``redirect_uri`` with a one-time ``code`` and the client's ``state``;
- ``POST /token``: redeems the code once (within 60 s, same ``redirect_uri``, the PKCE verifier) for an
  ``id_token`` (and an ``access_token``, the same JWT) carrying ``sub``, ``name``, ``roles``, ``department``
  and the client's ``nonce``;
- ``POST /_control/users`` adds a staff member (tests), ``GET /_control/users`` lists them, ``/_control/reset``.

The roles are the gateway's (officer, reviewer, approver, finance, broker, leader, admin); the departments are the names
used by the catalog (svc-policy, e.g. ``科技局``) and the service desk (svc-talent, e.g. ``人才办``).
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
from pydantic import BaseModel, Field

ROLE_TITLES = {
    "officer": "窗口经办",
    "reviewer": "审核",
    "approver": "审定",
    "finance": "财务",
    "broker": "技术经纪人",
    "leader": "领导",
    "admin": "管理员",
}


class StaffUser(BaseModel):
    subject: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=50)
    roles: list[str]
    department: str | None = None


DEMO_USERS: tuple[StaffUser, ...] = (
    StaffUser(subject="rcb-officer-wang", name="王晓雯", roles=["officer"], department="人才办"),
    StaffUser(subject="kjj-officer-zhou", name="周敏", roles=["officer"], department="科技局"),
    StaffUser(subject="kjj-reviewer-li", name="李建国", roles=["reviewer"], department="科技局"),
    StaffUser(subject="kjj-reviewer-chen", name="陈静", roles=["reviewer"], department="科技局"),
    StaffUser(subject="kjj-approver-zhang", name="张德明", roles=["approver"], department="科技局"),
    StaffUser(subject="gxj-reviewer-sun", name="孙立", roles=["reviewer"], department="工信局"),
    StaffUser(subject="kjj-finance-qian", name="钱红", roles=["finance"], department="科技局"),
    StaffUser(subject="broker-zhao", name="赵一鸣", roles=["broker"], department="科创发展服务中心"),
    StaffUser(subject="leader-xu", name="徐立新", roles=["leader"], department="市委人才办"),
    StaffUser(subject="admin-wu", name="吴平", roles=["admin"], department="市委人才办"),
)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _error(code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>昆山市统一身份认证（工作人员）</title><style>"
        "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;background:#f3f5f8;color:#1f2937}"
        "main{max-width:640px;margin:2rem auto;padding:0 1rem}h1{font-size:1.3rem}"
        "ul{list-style:none;padding:0}li{margin:.5rem 0}"
        "button{width:100%;text-align:left;padding:.8rem 1rem;border:1px solid #cbd5e1;border-radius:6px;"
        "background:#fff;font-size:1rem;cursor:pointer}button:hover{border-color:#1d4ed8}"
        ".meta{color:#475569;font-size:.9rem;margin-left:.5rem}.err{color:#b91c1c}"
        "</style></head><body><main>" + body + "</main></body></html>",
        status_code=status,
    )


def create_app(*, issuer: str, client_id: str, client_secret: str | None) -> FastAPI:
    app = FastAPI(title="staff identity provider emulator")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = secrets.token_hex(8)
    state: dict[str, Any] = {}

    def reset() -> None:
        state.update(users={u.subject: u for u in DEMO_USERS}, codes={}, issued=[])

    reset()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "staff-identity-emulator"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "name", "roles", "department", "nonce"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def _check_client(params: dict[str, str]) -> str | None:
        if params.get("client_id") != client_id:
            return "未登记的应用（client_id）"
        if params.get("response_type", "code") != "code":
            return "仅支持授权码模式（response_type=code）"
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri 无效"
        return None

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        problem = _check_client(params)
        if problem:
            return _page(f"<p class='err'>{html.escape(problem)}</p>", 400)
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(params.get(k, ''))}'>"
            for k in (
                "client_id",
                "redirect_uri",
                "state",
                "nonce",
                "code_challenge",
                "code_challenge_method",
            )
        )
        rows = []
        for user in state["users"].values():
            roles = "、".join(ROLE_TITLES.get(r, r) for r in user.roles)
            rows.append(
                "<li><form method='post' action='/authorize'>"
                + hidden
                + f"<input type='hidden' name='subject' value='{html.escape(user.subject)}'>"
                + f"<button type='submit' data-subject='{html.escape(user.subject)}'>{html.escape(user.name)}"
                + f"<span class='meta'>{html.escape(roles)} · {html.escape(user.department or '未设置部门')}</span>"
                + "</button></form></li>"
            )
        return _page(
            "<h1>昆山市统一身份认证 · 工作人员登录</h1>"
            "<p>开发与测试环境：请选择要登录的工作人员账号。</p><ul>" + "".join(rows) + "</ul>"
        )

    @app.post("/authorize")
    async def choose(
        client_id: str = Form(),
        redirect_uri: str = Form(),
        subject: str = Form(),
        state_: str = Form("", alias="state"),
        nonce: str = Form(""),
        code_challenge: str = Form(""),
        code_challenge_method: str = Form(""),
    ) -> Any:
        problem = _check_client({"client_id": client_id, "redirect_uri": redirect_uri})
        if problem:
            return _page(f"<p class='err'>{html.escape(problem)}</p>", 400)
        user = state["users"].get(subject)
        if user is None:
            return _page("<p class='err'>账号不存在</p>", 400)
        code = secrets.token_urlsafe(24)
        state["codes"][code] = {
            "user": user,
            "redirect_uri": redirect_uri,
            "nonce": nonce,
            "challenge": code_challenge if code_challenge_method in ("S256", "") else None,
            "expires": time.time() + 60,
        }
        query = {"code": code, **({"state": state_} if state_ else {})}
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode(query)}", status_code=303)

    @app.post("/token")
    async def token(
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        client_id: str = Form(),
        client_secret: str = Form(""),
        code_verifier: str = Form(""),
    ) -> JSONResponse:
        if grant_type != "authorization_code":
            return _error("unsupported_grant_type", "仅支持 authorization_code")
        if client_id != client_id_expected or (
            client_secret_expected and client_secret != client_secret_expected
        ):
            return _error("invalid_client", "应用身份校验失败", 401)
        grant = state["codes"].pop(code, None)
        if grant is None or grant["expires"] < time.time():
            return _error("invalid_grant", "授权码无效、已使用或已过期")
        if grant["redirect_uri"] != redirect_uri:
            return _error("invalid_grant", "redirect_uri 与授权请求不一致")
        if grant["challenge"] and _s256(code_verifier) != grant["challenge"]:
            return _error("invalid_grant", "PKCE code_verifier 不匹配")
        user: StaffUser = grant["user"]
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": client_id,
            "sub": user.subject,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": user.name,
            "roles": user.roles,
            "department": user.department,
            **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
        }
        signed = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        state["issued"].append({"sub": user.subject, "at": now})
        return JSONResponse(
            {"access_token": signed, "id_token": signed, "token_type": "Bearer", "expires_in": 3600},
            headers={"Cache-Control": "no-store"},
        )

    client_id_expected = client_id
    client_secret_expected = client_secret

    @app.get("/_control/users")
    async def list_users() -> dict[str, Any]:
        return {"items": [u.model_dump() for u in state["users"].values()]}

    @app.post("/_control/users", status_code=201)
    async def add_user(user: StaffUser) -> dict[str, Any]:
        state["users"][user.subject] = user
        return user.model_dump()

    @app.post("/_control/reset")
    async def reset_all() -> dict[str, str]:
        reset()
        return {"status": "reset"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m kunruyi_emulators.staff_identity")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--issuer", default=os.environ.get("KRY_STAFF_IDP_ISSUER"))
    parser.add_argument("--client-id", default=os.environ.get("KRY_STAFF_IDP_CLIENT_ID", "kunruyi-console"))
    parser.add_argument("--client-secret", default=os.environ.get("KRY_STAFF_IDP_CLIENT_SECRET") or None)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(
        create_app(
            issuer=args.issuer or f"http://127.0.0.1:{args.port}",
            client_id=args.client_id,
            client_secret=args.client_secret,
        ),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
