"""Bad input never gives a 500 and never half-writes: mutated bodies against the write endpoints."""

from __future__ import annotations

import random
from typing import Any

from kunruyi_launcher.testing import staff
from kunruyi_talent.identifiers import make_phone, make_resident_id, make_uscc
from sqlalchemy import text

OFFICER = staff("officer", department="人才办")
JUNK: list[Any] = [
    None,
    "",
    " ",
    "x" * 5000,
    "𠀀" * 50,
    -1,
    0,
    2**63,
    -(2**63) - 1,
    1.5,
    True,
    [],
    {},
    ["a"] * 100,
    {"a": 1},
    "2026-02-30",
    "１３９１２３４５６７８",
    "91320583MA1XXXXXX",
    "１１０１０５１９４９１２３１００２X",
    "'; DROP TABLE talents; --",
    "\x00",
    "a\x00b",
    ["\x00"],
    [{"name": "\x00", "year": 2020}],
    "NaN",
    10**30,
]


def mutate(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for key in rng.sample(sorted(out), k=rng.randint(1, 3)):
        out[key] = rng.choice(JUNK)
    return out


async def counts(session) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    row = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM enterprises), (SELECT count(*) FROM talents), "
                "(SELECT count(*) FROM tickets), (SELECT count(*) FROM outbox_events)"
            )
        )
    ).one()
    return tuple(row)  # type: ignore[return-value]


async def test_mutated_bodies_never_500_nor_half_write(client, session) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261121)
    employer = make_uscc(600)
    async with client(OFFICER) as c:
        assert (
            await c.post("/api/v1/enterprises", json={"uscc": employer, "name": "甲", "district": "陆家"})
        ).status_code == 201
        cases: list[tuple[str, dict[str, Any]]] = []
        for i in range(80):
            cases.append(
                (
                    "/api/v1/enterprises",
                    mutate(
                        rng,
                        {
                            "uscc": make_uscc(601 + i),
                            "name": "乙",
                            "district": "陆家",
                            "industry_chain": "集成电路",
                            "founded_on": "2019-01-01",
                            "employees": 10,
                            "invention_patents": 1,
                            "platforms": ["key_lab"],
                            "contacts": [{"name": "丙", "phone": make_phone(1)}],
                        },
                    ),
                )
            )
            cases.append(
                (
                    "/api/v1/talents",
                    mutate(
                        rng,
                        {
                            "name": "丁",
                            "id_number": make_resident_id(601 + i),
                            "phone": make_phone(2),
                            "education": "master",
                            "programs": [{"name": "昆山双创", "year": 2024}],
                            "employer_uscc": employer,
                            "tags": ["t"],
                            "fields": ["f"],
                            "arrival_date": "2024-01-01",
                            "annual_salary_fen": 100,
                        },
                    ),
                )
            )
            cases.append(
                (
                    "/api/v1/tickets",
                    mutate(
                        rng,
                        {
                            "type": "落户",
                            "title": "t",
                            "channel": "window",
                            "requester_phone": make_phone(3),
                            "enterprise_uscc": employer,
                            "service_code": "s",
                        },
                    ),
                )
            )
        for path, body in cases:
            before = await counts(session)
            r = await c.post(path, json=body)
            assert r.status_code in (201, 409, 422), (path, body, r.status_code, r.text)
            if r.status_code != 201:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert await counts(session) == before, (path, body)


async def test_unstorable_characters_are_422(client) -> None:  # type: ignore[no-untyped-def]
    async with client(OFFICER) as c:
        r = await c.post(
            "/api/v1/enterprises", json={"uscc": make_uscc(700), "name": "a\x00b", "district": "陆家"}
        )
        assert r.status_code == 422 and "name" in r.json()["detail"]
        raw = b'{"type": "\\u843d\\u6237", "title": "\\ud800", "requester_phone": "13900000000"}'
        r = await c.post("/api/v1/tickets", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422 and "title" in r.json()["detail"]
        r = await c.get("/api/v1/enterprises", params={"q": "a\x00"})
        assert (r.status_code, r.json()["field"]) == (422, "query.q")
        r = await c.get("/api/v1/tickets/KS%00")
        assert (r.status_code, r.json()["field"]) == (422, "path.ticket_number")
