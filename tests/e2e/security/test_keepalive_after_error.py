"""One failing request never breaks the next: a real 500 from a service, then a POST to the same service on the
same keep-alive connection to the gateway, is answered.

The 500 is real: svc-talent's housing table is renamed away for a moment (an operational fault the code does not
expect), so listing housing projects fails inside the service. The reported defect: the service closed the
connection after its 500, the gateway handed that connection to the next request, and the POST came back 503
``upstream_unavailable`` every time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from kunruyi_common.db import create_engine
from kunruyi_launcher.infra import with_database
from kunruyi_launcher.stack import run_coroutine
from sqlalchemy import text


def _talent_sql(driver: Any, statement: str) -> None:
    async def run() -> None:
        engine = create_engine(with_database(driver.platform.infra.database_admin_url, "kunruyi_talent"))
        try:
            async with engine.begin() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    run_coroutine(run())


@contextmanager
def housing_table_missing(driver: Any) -> Iterator[None]:
    _talent_sql(driver, "ALTER TABLE housing_projects RENAME TO housing_projects_away")
    try:
        yield
    finally:
        _talent_sql(driver, "ALTER TABLE housing_projects_away RENAME TO housing_projects")


def test_a_500_then_a_post_on_one_keep_alive_connection(driver: Any) -> None:
    officer = driver.staff("officer", "人社局")
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=driver.url, limits=limits, timeout=30) as client:
        assert client.get("/api/v1/housing/projects").status_code == 200
        for i in range(5):
            with housing_table_missing(driver):
                failed = client.get("/api/v1/housing/projects")
                # Right after the 500, on the same connection to the gateway.
                posted = client.post(
                    "/api/v1/tickets",
                    json={
                        "type": "政策咨询",
                        "title": f"保持连接测试 {i}",
                        "channel": "window",
                        "requester_name": "周经理",
                        "requester_phone": driver.new_phone(),
                    },
                    headers=officer,
                )
            assert failed.status_code == 500, failed.text
            assert posted.status_code == 201, posted.text
            assert posted.json()["ticket_number"]
            # The 500 itself is a problem carrying the request id its text asks the user to quote.
            problem = failed.json()
            assert problem["code"] == "internal_error" and problem["request_id"], problem
            assert failed.headers["x-request-id"] == problem["request_id"]
        assert client.get("/api/v1/housing/projects").status_code == 200
