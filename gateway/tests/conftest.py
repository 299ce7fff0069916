"""Fixtures for the gateway service's tests: its real migrations on a fresh database, a session rolled back after
each test, and an HTTP client through the app bound to that session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from kunruyi_gateway.main import create_app
from kunruyi_gateway.settings import Settings
from kunruyi_launcher.stack import Infra
from kunruyi_launcher.testing import migrated_database, production_secrets, rollback_session, service_fixtures
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


@pytest.fixture(scope="session")
def db_url(infra: Infra) -> str:
    return migrated_database(infra, "kunruyi_gateway", "gateway")


@pytest.fixture(scope="session")
def settings(db_url: str, infra: Infra) -> Settings:
    return Settings(database_url=db_url, nats_url=infra.nats_url, run_background_workers=False)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with rollback_session(engine) as s:
        yield s


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


# The engine and the client are the shared ones; the session and the app above are this service's own.
_shared = service_fixtures()
engine, client = _shared.engine, _shared.client


# ---------------------------------------------------------------------------------------------------------------
# Real HTTP: apps served by uvicorn on free ports inside the test loop, and a tiny upstream that echoes requests.
# ---------------------------------------------------------------------------------------------------------------

import asyncio  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import uvicorn  # noqa: E402
from fastapi import Request  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from kunruyi_common.auth import INTERNAL_TOKEN_HEADER, verify_internal_token  # noqa: E402
from kunruyi_common.http_server import server_config  # noqa: E402
from kunruyi_launcher.infra import free_port  # noqa: E402


class Served:
    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        # Served as `python -m kunruyi_gateway serve` serves it (the kit's server settings).
        self.server = uvicorn.Server(
            server_config(app, host="127.0.0.1", port=port, lifespan="on", timeout_graceful_shutdown=3)
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Served:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


def echo_app(secret: str) -> FastAPI:
    """Stands in for a service: answers with what it received, including the verified internal principal."""
    echo = FastAPI()

    @echo.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @echo.api_route("/api/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def anything(request: Request, rest: str) -> JSONResponse:
        token = request.headers.get(INTERNAL_TOKEN_HEADER)
        principal = verify_internal_token(token, secret).model_dump() if token else None
        body = await request.body()
        if request.query_params.get("stream"):
            from fastapi.responses import StreamingResponse

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(int(request.query_params["stream"])):
                    yield f"chunk-{i};".encode()

            return StreamingResponse(chunks(), media_type="text/plain")  # type: ignore[return-value]
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "body": body.decode(errors="replace"),
                "principal": principal,
                "header_names": sorted({name for name, _ in request.headers.items()}),
                "pad": "x" * int(request.query_params.get("pad", "0")),
            }
        )

    return echo


@pytest.fixture(scope="session")
async def echo_upstream(settings: Settings) -> AsyncIterator[Served]:
    served = await Served(echo_app(settings.internal_token_secret), free_port()).start()
    yield served
    await served.stop()


@pytest.fixture(scope="session")
def gateway_settings(
    settings: Settings, echo_upstream: Served, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Gateway settings for real-HTTP tests: every upstream is the echo app; app keys are never cached, so a
    disable or rotation shows on the next request."""
    url = echo_upstream.url
    return settings.model_copy(
        update={
            "upstream_policy_url": url,
            "upstream_talent_url": url,
            "upstream_disbursement_url": url,
            "upstream_matching_url": url,
            "app_key_cache_ttl_s": 0.0,
            "staff_rate": "100000/minute",
            "public_rate": "100000/minute",
            "dev_issuer_dir": Path(tmp_path_factory.mktemp("issuer")),
        }
    )


@pytest.fixture
async def production_gateway_settings(gateway_settings: Settings) -> AsyncIterator[Settings]:
    """``gateway_settings`` outside development mode: real random secrets, and an echo upstream that verifies
    internal tokens with the real internal token secret."""
    real = production_secrets(Settings)
    served = await Served(echo_app(real["internal_token_secret"]), free_port()).start()
    url = served.url
    yield gateway_settings.model_copy(
        update={
            **real,
            "dev_mode": False,
            "upstream_policy_url": url,
            "upstream_talent_url": url,
            "upstream_disbursement_url": url,
            "upstream_matching_url": url,
        }
    )
    await served.stop()


@pytest.fixture
def serve_gateway() -> Any:
    """``async with serve_gateway(settings) as url:`` — a gateway instance over real HTTP (lifespan run)."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run(gw_settings: Settings) -> AsyncIterator[Served]:
        served = await Served(create_app(gw_settings), free_port()).start()
        try:
            yield served
        finally:
            await served.stop()

    return run


@pytest.fixture(scope="session")
async def gateway(gateway_settings: Settings) -> AsyncIterator[Served]:
    served = await Served(create_app(gateway_settings), free_port()).start()
    yield served
    await served.stop()


@pytest.fixture(scope="session")
async def demo_key(gateway: Served, engine: AsyncEngine, gateway_settings: Settings) -> tuple[str, str]:
    """The demo partner key (all scopes), committed for the whole session."""
    from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET, seed

    await seed(gateway_settings)
    return DEMO_APP_KEY, DEMO_SECRET


@pytest.fixture(scope="session")
def staff_token(gateway: Served) -> Any:
    """``staff_token("reviewer", dept="科技局")`` → a dev-issuer bearer token the gateway accepts."""
    issuer = gateway.app.state.gateway_issuer
    gw_settings: Settings = gateway.app.state.settings

    def mint(*roles: str, dept: str | None = None, sub: str | None = None, ttl_s: int = 600) -> str:
        token: str = issuer.mint(
            issuer=gw_settings.dev_issuer,
            audience=gw_settings.oidc_audience,
            subject=sub or f"user-{'-'.join(roles) or 'none'}",
            ttl_s=ttl_s,
            name="测试员",
            roles=list(roles),
            department=dept,
        )
        return token

    return mint


def fake_services_app(secret: str) -> FastAPI:
    """One small app standing in for svc-policy, svc-talent, svc-disbursement and svc-matching with the shapes of
    docs/contracts.md; tickets are stored so a reply can be shown later."""
    import secrets as _secrets

    fake = FastAPI()
    fake.state.tickets = {}
    fake.state.demands = []
    fake.state.principals = []

    def seen(request: Request) -> None:
        token = request.headers.get(INTERNAL_TOKEN_HEADER)
        fake.state.principals.append(verify_internal_token(token, secret) if token else None)

    @fake.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @fake.post("/api/v1/policy-calculator")
    async def calculator(request: Request) -> dict[str, Any]:
        seen(request)
        fake.state.calculator_principal = fake.state.principals[-1]
        if "MANY" in (await request.json()).get("entity_id", ""):
            # A company in reach of more policies than the public page lists.
            return {
                "detail": "compact",
                "summary": {"eligible": 23, "needs_confirmation": 0, "ineligible": 0},
                "eligible": [
                    {"policy_code": f"KS-QY-{i:03d}", "title": f"政策{i}", "amount_fen": 100 * i}
                    for i in range(1, 24)
                ],
                "needs_confirmation": [],
            }
        # svc-policy's default (compact) answer: no trace; items needing confirmation carry their 最高 amount
        return {
            "detail": "compact",
            "summary": {"eligible": 1, "needs_confirmation": 1, "ineligible": 1},
            "eligible": [
                {"policy_code": "KS-RC-001", "title": "高新技术企业认定奖励", "amount_fen": 30000000},
            ],
            "needs_confirmation": [
                {"policy_code": "KS-RC-014", "title": "研发费用加计扣除配套奖励", "max_amount_fen": 5000000},
            ],
            "needs_data": [],
            "excluded": [],
            "almost": [],
        }

    # svc-policy's catalog: 25 enterprise items (3 of them about 集成电路, found by the ranked search) and 7 for
    # talents; pages by the last code, as svc-policy's plain list does.
    catalog = [
        {
            "code": f"KS-QY-{i:03d}",
            "title": ("集成电路设计企业流片奖励" if i <= 3 else "企业研发投入后补助") + f"（{i}）",
            "beneficiary": "enterprise",
            "department": "科技局",
            "mode": "application" if i % 2 else "automatic",
        }
        for i in range(1, 26)
    ] + [
        {
            "code": f"KS-RC-{100 + i:03d}",
            "title": f"高层次人才安家补贴（{i}）",
            "beneficiary": "talent",
            "department": "人才办",
            "mode": "application",
        }
        for i in range(1, 8)
    ]

    @fake.get("/api/v1/policies")
    async def policies(
        request: Request, beneficiary: str = "", q: str = "", limit: int = 20, cursor: str = ""
    ) -> dict[str, Any]:
        seen(request)
        rows = [p for p in catalog if not beneficiary or p["beneficiary"] == beneficiary]
        if q:
            rows = [p for p in rows if q in p["title"]]
        start = int(cursor) if cursor.isdigit() else 0
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return {"items": page, "next_cursor": str(start + limit) if more else None}

    @fake.get("/api/v1/policies/{code}")
    async def policy(code: str, request: Request) -> JSONResponse:
        seen(request)
        found = next((p for p in catalog if p["code"] == code), None)
        if found is None:
            return JSONResponse(
                {"code": "policy_not_found", "detail": f"政策 {code} 不存在"}, status_code=404
            )
        return JSONResponse(
            {
                **found,
                "policy_type": "奖励",
                "legal_source": "昆政发〔2025〕12号",
                "target_description": "在昆山注册的企业",
                "conditions_text": "上年度研发投入不低于 500 万元",
                "payout_days": 30,
                "valid_from": "2025-01-01",
                "valid_to": None,
                "guide": {
                    "plain_summary": "研发投入越多，补助越多。",
                    "materials": [{"name": "研发费用专项审计报告", "required": True, "note": ""}],
                    "application_window": "每年 3 月",
                    "review_stages": ["accepted", "first_review", "approved"],
                    "notice_days": 5,
                    "faq": [],
                },
            }
        )

    @fake.get("/api/v1/disbursements")
    async def disbursements(request: Request, entity_id: str = "") -> dict[str, Any]:
        seen(request)
        return {
            "items": [
                {
                    "policy_code": "KS-RC-001",
                    "policy_title": "高新技术企业认定奖励",
                    "amount_fen": 30000000,
                    "status": "settled",
                    "settled_at": "2026-10-12T08:00:00Z",
                }
            ],
            "next_cursor": None,
        }

    @fake.get("/api/v1/brokers")
    async def brokers(request: Request, industry_chain: str = "") -> dict[str, Any]:
        seen(request)
        return {
            "items": [
                {
                    "name": "王经纪",
                    "organization": "昆山技术转移中心",
                    "phone": "0512-55550001",
                    "industry_chain": industry_chain,
                }
            ],
            "next_cursor": None,
        }

    @fake.get("/api/v1/housing/projects")
    async def housing(request: Request) -> dict[str, Any]:
        seen(request)
        return {"items": [{"name": "祖冲之人才公寓", "district": "高新区", "available_units": 12}]}

    @fake.post("/api/v1/tickets", status_code=201)
    async def create_ticket(request: Request) -> dict[str, Any]:
        seen(request)
        body = await request.json()
        number = f"T2026{len(fake.state.tickets) + 1:06d}"
        secret_ = _secrets.token_hex(4)
        fake.state.tickets[number] = {
            "secret": secret_,
            "title": body["title"],
            "status": "submitted",
            "reply": None,
            "body": body,
        }
        return {
            "ticket_number": number,
            "access_secret": secret_,
            "status": "submitted",
            "deadline": "2026-12-01",
        }

    @fake.get("/api/v1/tickets/{number}")
    async def get_ticket(number: str, request: Request, secret: str = "") -> JSONResponse:
        seen(request)
        ticket = fake.state.tickets.get(number)
        if ticket is None or ticket["secret"] != secret:
            return JSONResponse({"code": "ticket_not_found"}, status_code=404)
        return JSONResponse(
            {
                "ticket_number": number,
                "title": ticket["title"],
                "status": ticket["status"],
                "status_label": {"submitted": "已提交", "replied": "已答复", "in_progress": "办理中"}[
                    ticket["status"]
                ],
                "reply": ticket["reply"],
                "officer": "张专员",
                "department": "科技局",
                "deadline": "2026-12-01",
                "history": [],
                "rating": ticket.get("rating"),
                "rating_label": {"satisfied": "满意", "dissatisfied": "不满意"}.get(
                    ticket.get("rating") or ""
                ),
                "can_rate": ticket["status"] == "replied" and not ticket.get("rating"),
                "can_reopen": ticket["status"] == "replied" and ticket.get("rating") == "dissatisfied",
                "reopen_until": "2026-12-08T02:00:00Z",
            }
        )

    @fake.post("/api/v1/tickets/{number}/{action}")
    async def follow_up(number: str, action: str, request: Request, secret: str = "") -> JSONResponse:
        """svc-talent's rating (once) and reopen (after 不满意) by the query code, as far as the page needs."""
        seen(request)
        ticket = fake.state.tickets.get(number)
        if ticket is None or ticket["secret"] != secret:
            return JSONResponse({"code": "ticket_not_found"}, status_code=404)
        body = await request.json()
        if action == "rating":
            if ticket.get("rating"):
                return JSONResponse({"code": "already_rated", "detail": "这次答复已评价过"}, status_code=409)
            ticket["rating"] = body["rating"]
        elif action == "reopen":
            ticket.update(status="in_progress", reopen_reason=body["comment"])
        return JSONResponse({"ticket_number": number})

    @fake.post("/_fake/tickets/{number}/reply")
    async def reply(number: str, request: Request) -> dict[str, str]:
        fake.state.tickets[number].update(status="replied", reply=(await request.json())["reply"])
        return {"ok": "yes"}

    fake.state.applications = {}

    @fake.post("/api/v1/applications", status_code=201)
    async def application(request: Request) -> JSONResponse:
        seen(request)
        key = request.headers.get("idempotency-key") or _secrets.token_hex(8)
        if key in fake.state.applications:
            return JSONResponse(fake.state.applications[key]["answer"], status_code=200)
        body = await request.json()
        if body["policy_code"] == "NO-SUCH-POLICY":
            return JSONResponse(
                {"code": "policy_not_found", "title": "政策不存在", "detail": "没有这项政策", "status": 404},
                status_code=404,
            )
        answer = {
            "id": f"app-{len(fake.state.applications) + 1}",
            "application_number": f"SB2026{len(fake.state.applications) + 1:06d}",
            "status": "submitted",
        }
        fake.state.applications[key] = {
            "body": body,
            "answer": answer,
            "principal": fake.state.principals[-1],
        }
        return JSONResponse(answer, status_code=201)

    @fake.get("/api/v1/taxonomy")
    async def taxonomy(request: Request) -> dict[str, Any]:
        seen(request)
        return {
            "industry_chains": [{"code": "ic", "name": "集成电路"}, {"code": "nev", "name": "新能源汽车"}],
            "technical_fields": [
                {"code": "ic-test", "name": "芯片测试", "industry_chain": "ic"},
                {"code": "machine-vision", "name": "机器视觉", "industry_chain": "ic"},
            ],
            "demand_types": ["技术攻关", "成果转化", "人才引进", "设备共享", "检测服务"],
        }

    @fake.post("/api/v1/demands", status_code=201)
    async def demand(request: Request) -> JSONResponse:
        seen(request)
        body = await request.json()
        allowed = {
            "enterprise_uscc",
            "title",
            "description",
            "industry_chain",
            "technical_field",
            "demand_type",
            "budget_min_fen",
            "budget_max_fen",
            "deadline",
            "visibility",
            "channel",
            "region",
            "contact_name",
            "contact_phone",
        }
        if set(body) - allowed:  # svc-matching's DemandCreate forbids extra fields
            return JSONResponse(
                {"code": "validation_error", "detail": f"extra: {sorted(set(body) - allowed)}"},
                status_code=422,
            )
        fake.state.demands.append(body)
        n = len(fake.state.demands)
        return JSONResponse(
            {
                "id": f"00000000-0000-4000-8000-{n:012d}",
                "status": "pending_review",
                **body,
                "demand_number": f"XQ20261205{n:06d}",
                "access_secret": f"code{n}",
                "contact_name": "王**",
                "contact_phone": "139****5678",
                "submitter_verified": False,
            },
            status_code=201,
        )

    return fake


@pytest.fixture(scope="session")
async def fake_services(settings: Settings) -> AsyncIterator[Served]:
    served = await Served(fake_services_app(settings.internal_token_secret), free_port()).start()
    yield served
    await served.stop()


@pytest.fixture(scope="session")
async def qr_gateway(gateway_settings: Settings, fake_services: Served) -> AsyncIterator[Served]:
    """A gateway whose upstreams are the fake services (for the 昆e服 pages)."""
    url = fake_services.url
    gw_settings = gateway_settings.model_copy(
        update={
            "upstream_policy_url": url,
            "upstream_talent_url": url,
            "upstream_disbursement_url": url,
            "upstream_matching_url": url,
            "public_base_url": "https://kunruyi.example",
        }
    )
    served = await Served(create_app(gw_settings), free_port()).start()
    yield served
    await served.stop()


@pytest.fixture(scope="session")
def served_cls() -> type[Served]:
    """The ``Served`` helper for module-scoped servers (test modules cannot import conftest)."""
    return Served
