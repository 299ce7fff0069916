"""The client against a real gateway and svc-talent: retries under one Idempotency-Key through a server that
fails on purpose, every page of a real list, and real problem+json answers as typed exceptions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kunruyi_client import (
    AsyncKunruyiClient,
    ClientError,
    Conflict,
    Forbidden,
    IdempotencyKeyConflict,
    KunruyiClient,
    NotFound,
    ProblemError,
    RateLimited,
    RetryPolicy,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)

MiniPlatform = Any  # conftest.py's MiniPlatform (a conftest is not importable as a module)
MakeEnterprise = Any
FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05)


@pytest.fixture
def api(mini_platform: MiniPlatform) -> Iterator[KunruyiClient]:
    with KunruyiClient(mini_platform.url, mini_platform.app_key, mini_platform.secret, retry=FAST) as client:
        yield client


@pytest.fixture
def flaky(mini_platform: MiniPlatform) -> Iterator[KunruyiClient]:
    """A client talking to the gateway through the flaky front."""
    with KunruyiClient(
        mini_platform.front.url, mini_platform.app_key, mini_platform.secret, retry=FAST
    ) as client:
        yield client


def _named(api: KunruyiClient, name: str) -> list[dict[str, Any]]:
    return list(api.iterate("/api/v1/enterprises", params={"q": name}))


# -- retries ------------------------------------------------------------------------------------------------------


def test_a_create_retried_through_two_failures_makes_one_record(
    mini_platform: MiniPlatform, api: KunruyiClient, flaky: KunruyiClient, enterprise: MakeEnterprise
) -> None:
    """The first attempt reaches the gateway and creates the enterprise, but its answer is lost (the connection
    drops); the second is answered 502 after being processed again; the third gets the first answer replayed.
    One key on every attempt, a new signature each time, one record."""
    front = mini_platform.front
    body = enterprise()
    front.fail_next("drop", "lost")
    created = flaky.call("POST", "/api/v1/enterprises", json=body)

    assert created.status_code == 201
    assert created.json()["uscc"] == body["uscc"]
    assert created.headers.get("idempotent-replayed") == "true"
    assert [a.action for a in front.attempts] == ["drop", "lost", "pass"]
    keys = {a.headers.get("idempotency-key") for a in front.attempts}
    assert len(keys) == 1 and None not in keys
    assert len({a.headers["x-kry-nonce"] for a in front.attempts}) == 3
    assert [e["uscc"] for e in _named(api, body["name"])] == [body["uscc"]]
    assert api.call("GET", f"/api/v1/enterprises/{body['uscc']}").json()["name"] == body["name"]


def test_reads_retry_429_and_503_without_a_key(mini_platform: MiniPlatform, flaky: KunruyiClient) -> None:
    front = mini_platform.front
    front.fail_next("503", "429")
    listed = flaky.call("GET", "/api/v1/enterprises", params={"limit": 1})
    assert listed.status_code == 200
    assert [a.action for a in front.attempts] == ["503", "429", "pass"]
    assert all("idempotency-key" not in a.headers for a in front.attempts)


def test_a_create_without_a_key_is_never_retried(
    mini_platform: MiniPlatform, flaky: KunruyiClient, enterprise: MakeEnterprise
) -> None:
    front = mini_platform.front
    front.fail_next("lost")
    body = enterprise()
    with pytest.raises(Unavailable) as caught:
        flaky.call("POST", "/api/v1/enterprises", json=body, idempotency_key=False)
    assert caught.value.status == 502
    assert len(front.attempts) == 1 and "idempotency-key" not in front.attempts[0].headers
    # The request was processed: retrying it by hand without a key would have made a conflict, not a record.
    front.fail_next()
    with pytest.raises(Conflict) as conflict:
        flaky.call("POST", "/api/v1/enterprises", json=body, idempotency_key=False)
    assert conflict.value.code == "enterprise_exists"


def test_retries_stop_after_the_policy_s_attempts(mini_platform: MiniPlatform, flaky: KunruyiClient) -> None:
    front = mini_platform.front
    front.fail_next("503", "503", "503", "503")
    with pytest.raises(Unavailable) as caught:
        flaky.call("GET", "/api/v1/enterprises", retry=RetryPolicy(attempts=3, backoff=0.01))
    assert len(front.attempts) == 3
    assert caught.value.code == "upstream_unavailable"
    assert caught.value.retry_after == 0
    front.fail_next("429")
    with pytest.raises(RateLimited):
        flaky.call("GET", "/api/v1/enterprises", retry=RetryPolicy(attempts=1))


def test_a_given_key_is_sent_on_every_attempt_and_replays(
    mini_platform: MiniPlatform, flaky: KunruyiClient, enterprise: MakeEnterprise
) -> None:
    front = mini_platform.front
    key = f"partner-op-{uuid.uuid4()}"
    body = enterprise()
    front.fail_next("lost")
    first = flaky.call("POST", "/api/v1/enterprises", json=body, idempotency_key=key)
    assert [a.headers.get("idempotency-key") for a in front.attempts] == [key, key]
    again = flaky.call("POST", "/api/v1/enterprises", json=body, idempotency_key=key)
    assert again.json()["id"] == first.json()["id"]
    # The same key for another request is refused, whichever the first answer was.
    with pytest.raises(IdempotencyKeyConflict) as caught:
        flaky.call("POST", "/api/v1/enterprises", json=enterprise(), idempotency_key=key)
    assert isinstance(caught.value, Conflict) and caught.value.status == 409


async def test_the_async_client_retries_under_one_key(
    mini_platform: MiniPlatform, enterprise: MakeEnterprise
) -> None:
    front = mini_platform.front
    body = enterprise()
    async with AsyncKunruyiClient(
        mini_platform.front.url, mini_platform.app_key, mini_platform.secret, retry=FAST
    ) as client:
        front.fail_next("drop", "503")
        created = await client.call("POST", "/api/v1/enterprises", json=body)
        assert created.status_code == 201
        assert len({a.headers.get("idempotency-key") for a in front.attempts}) == 1
        assert len(front.attempts) == 3
        listed = [e async for e in client.iterate("/api/v1/enterprises", params={"q": body["name"]})]
    assert [e["uscc"] for e in listed] == [body["uscc"]]


# -- pagination ---------------------------------------------------------------------------------------------------


def test_paginate_walks_every_page_of_a_real_list(api: KunruyiClient, enterprise: MakeEnterprise) -> None:
    token = f"分页{uuid.uuid4().hex[:6]}"
    made = {
        api.call("POST", "/api/v1/enterprises", json=enterprise(f"{token}第{i}家公司")).json()["uscc"]
        for i in range(5)
    }
    pages = list(api.paginate("/api/v1/enterprises", params={"q": token}, limit=2))
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [p.next_cursor is None for p in pages] == [False, False, True]
    assert {e["uscc"] for p in pages for e in p.items} == made
    assert [e["uscc"] for e in api.iterate("/api/v1/enterprises", params={"q": token}, limit=3)] == sorted(
        made
    )


async def test_the_async_client_paginates(
    mini_platform: MiniPlatform, api: KunruyiClient, enterprise: MakeEnterprise
) -> None:
    token = f"异步{uuid.uuid4().hex[:6]}"
    made = {
        api.call("POST", "/api/v1/enterprises", json=enterprise(f"{token}{i}公司")).json()["uscc"]
        for i in range(3)
    }
    async with AsyncKunruyiClient(mini_platform.url, mini_platform.app_key, mini_platform.secret) as client:
        pages = [p async for p in client.paginate("/api/v1/enterprises", params={"q": token}, limit=1)]
    assert [len(p.items) for p in pages] == [1, 1, 1]
    assert {e["uscc"] for p in pages for e in p.items} == made


def test_a_tampered_cursor_is_a_typed_validation_error(api: KunruyiClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        api.call("GET", "/api/v1/enterprises", params={"cursor": "not-a-cursor"})
    assert caught.value.code == "invalid_cursor"
    assert caught.value.field == "query.cursor"


# -- typed errors -------------------------------------------------------------------------------------------------


def test_a_422_is_validation_failed_with_the_field_and_request_id(
    api: KunruyiClient, enterprise: MakeEnterprise, new_uscc: Any
) -> None:
    bad = enterprise(uscc=new_uscc()[:-1] + "I")  # "I" is not in the USCC alphabet
    with pytest.raises(ValidationFailed) as caught:
        api.call("POST", "/api/v1/enterprises", json=bad)
    error = caught.value
    assert isinstance(error, ClientError) and isinstance(error, ProblemError)
    assert (error.status, error.code, error.field) == (422, "invalid_uscc", "uscc")
    assert error.title and error.detail and error.request_id
    assert error.response is not None and error.response.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "invalid_uscc" in str(error) and error.request_id in str(error)
    # Pydantic's refusals carry every field in ``errors``.
    with pytest.raises(ValidationFailed) as extra:
        api.call(
            "POST", "/api/v1/enterprises", json={**enterprise(), "founded_on": "someday", "employees": "many"}
        )
    assert {e["field"] for e in extra.value.errors} >= {"founded_on", "employees"}


def test_a_409_is_a_conflict(api: KunruyiClient, enterprise: MakeEnterprise) -> None:
    body = enterprise()
    api.call("POST", "/api/v1/enterprises", json=body)
    with pytest.raises(Conflict) as caught:
        api.call("POST", "/api/v1/enterprises", json={**body, "name": "另一个名字有限公司"})
    assert (caught.value.status, caught.value.code) == (409, "enterprise_exists")
    assert caught.value.field == "uscc"


def test_403_404_and_401_are_typed(mini_platform: MiniPlatform, api: KunruyiClient, new_uscc: Any) -> None:
    with pytest.raises(Forbidden) as forbidden:
        api.call("GET", "/api/v1/app-keys")
    assert forbidden.value.code == "scope_denied"
    with pytest.raises(NotFound) as missing:
        api.call("GET", f"/api/v1/enterprises/{new_uscc()}")
    assert missing.value.code == "enterprise_not_found"
    with KunruyiClient(mini_platform.url, mini_platform.app_key, "not-the-secret") as wrong:
        with pytest.raises(Unauthorized) as unauthorized:
            wrong.call("GET", "/api/v1/enterprises")
    assert unauthorized.value.code == "invalid_signature"


def test_request_returns_the_raw_answer_without_raising(
    api: KunruyiClient, enterprise: MakeEnterprise
) -> None:
    """The low-level call: one signed attempt, any status, the httpx response (what the e2e tests inspect)."""
    bad = api.post("/api/v1/enterprises", json=enterprise(uscc="123"))
    assert isinstance(bad, httpx.Response) and bad.status_code == 422
    assert bad.json()["code"] == "invalid_uscc"
    body = enterprise()
    key = str(uuid.uuid4())
    first = api.post("/api/v1/enterprises", json=body, idempotency_key=key)
    assert first.status_code == 201
    patched = api.patch(f"/api/v1/enterprises/{body['uscc']}", json={"employees": 77})
    assert patched.status_code == 200, patched.text
    assert patched.json()["employees"] == 77
