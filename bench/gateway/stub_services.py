"""Stands in for the services in the gateway benchmarks: small fixed JSON answers with the contract's shapes,
served as the real apps are (the kit's ``serve``: uvicorn, httptools, uvloop, answers in one send).
``python stub_services.py PORT [UNIX_SOCKET]``"""

from __future__ import annotations

import sys
from pathlib import Path

from kunruyi_common.http_server import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

POLICIES = {
    "items": [
        {"code": f"KS-RC-{i:03d}", "title": "高新技术企业认定奖励", "department": "科技局"} for i in range(5)
    ],
    "next_cursor": None,
}
CALC = {
    "results": [
        {
            "policy_code": f"KS-RC-{i:03d}",
            "title": f"示例政策 {i}",
            "status": "eligible",
            "amount_fen": 1000000 * i,
        }
        for i in range(1, 9)
    ]
}
PAYMENTS = {
    "items": [
        {
            "policy_code": "KS-RC-001",
            "amount_fen": 30000000,
            "status": "settled",
            "settled_at": "2026-10-12T08:00:00Z",
        }
    ],
    "next_cursor": None,
}
BROKERS = {
    "items": [
        {"name": f"经纪人{i}", "organization": "昆山技术转移中心", "phone": "0512-55550001"} for i in range(4)
    ],
    "next_cursor": None,
}
TAXONOMY = {
    "industry_chains": [{"code": "ic", "name": "集成电路"}],
    "technical_fields": [{"code": "ic-test", "name": "芯片测试", "industry_chain": "ic"}],
    "demand_types": ["技术攻关", "成果转化", "人才引进", "设备共享", "检测服务"],
}
HOUSING = {"items": [{"name": "祖冲之人才公寓", "district": "高新区", "available_units": 12}]}


async def policies(_: Request) -> JSONResponse:
    return JSONResponse(POLICIES)


async def calculator(_: Request) -> JSONResponse:
    return JSONResponse(CALC)


async def payments(_: Request) -> JSONResponse:
    return JSONResponse(PAYMENTS)


async def brokers(_: Request) -> JSONResponse:
    return JSONResponse(BROKERS)


async def housing(_: Request) -> JSONResponse:
    return JSONResponse(HOUSING)


async def taxonomy(_: Request) -> JSONResponse:
    return JSONResponse(TAXONOMY)


async def ready(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ready"})


app = Starlette(
    routes=[
        Route("/readyz", ready),
        Route("/api/v1/policies", policies),
        Route("/api/v1/entitlements", policies),
        Route("/api/v1/policy-calculator", calculator, methods=["GET", "POST"]),
        Route("/api/v1/disbursements", payments),
        Route("/api/v1/brokers", brokers),
        Route("/api/v1/housing/projects", housing),
        Route("/api/v1/taxonomy", taxonomy),
    ]
)

if __name__ == "__main__":
    # python stub_services.py PORT [UNIX_SOCKET]: also on a Unix socket, as the launcher starts the services.
    serve(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        unix_socket=Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
