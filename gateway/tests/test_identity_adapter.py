"""The adapter to the personal identity service (统一身份认证) against its emulator: a code is redeemed once for the
person it was issued to, and an ID token is believed only with the provider's signature, issuer, audience, nonce
and expiry right."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from kunruyi_common.errors import UpstreamUnavailable
from kunruyi_emulators.identity import create_app
from kunruyi_gateway.integrations.exceptions import IdentitySignInFailed
from kunruyi_gateway.integrations.identity.client import IdentityClient
from kunruyi_gateway.settings import Settings

ISSUER = "http://identity.test"
REDIRECT = "http://gateway.test/m/login/identity/callback"
PERSON = {"name": "周自助", "id_number": "320583198805170111"}


@pytest.fixture
async def provider() -> AsyncIterator[tuple[IdentityClient, httpx.AsyncClient]]:
    emulator = create_app(issuer=ISSUER, clients={"kunruyi": "identity-test-secret"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=ISSUER) as http:
        settings = Settings(identity_url=ISSUER, identity_client_secret="identity-test-secret")
        yield IdentityClient(settings, http), http


async def _code(http: httpx.AsyncClient, nonce: str | None = "n-1", **person: str) -> str:
    resp = await http.post(
        "/_control/codes", json={**PERSON, **person, "redirect_uri": REDIRECT, "nonce": nonce}
    )
    code: str = resp.json()["code"]
    return code


async def test_a_code_is_redeemed_once_for_the_person_it_was_issued_to(
    provider: tuple[IdentityClient, httpx.AsyncClient],
) -> None:
    client, http = provider
    assert client.authorize_url(redirect_uri=REDIRECT, state="s", nonce="n").startswith(
        f"{ISSUER}/authorize?response_type=code&client_id=kunruyi"
    )
    code = await _code(http)
    person = await client.exchange(code=code, redirect_uri=REDIRECT, nonce="n-1")
    assert (person.name, person.id_number) == (PERSON["name"], PERSON["id_number"])
    assert PERSON["id_number"] not in repr(person) and PERSON["id_number"] not in person.subject
    with pytest.raises(IdentitySignInFailed, match="授权码无效或已使用"):
        await client.exchange(code=code, redirect_uri=REDIRECT, nonce="n-1")


async def test_a_token_for_another_sign_in_or_redirect_is_refused(
    provider: tuple[IdentityClient, httpx.AsyncClient],
) -> None:
    client, http = provider
    with pytest.raises(IdentitySignInFailed, match="nonce"):
        await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="another-sign-in")
    with pytest.raises(IdentitySignInFailed, match="回调地址不符"):
        await client.exchange(code=await _code(http), redirect_uri="http://evil.test/cb", nonce="n-1")


async def test_forged_expired_and_unavailable_answers_sign_nobody_in(
    provider: tuple[IdentityClient, httpx.AsyncClient],
) -> None:
    client, http = provider
    await http.post("/_control/config", json={"forged_id_tokens": 1})
    with pytest.raises(IdentitySignInFailed, match="校验失败"):
        await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")
    await http.post("/_control/config", json={"expired_codes": True})
    with pytest.raises(IdentitySignInFailed, match="已过期"):
        await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")
    await http.post("/_control/config", json={"expired_id_tokens": True})
    with pytest.raises(IdentitySignInFailed, match="身份令牌已过期"):
        await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")
    await http.post("/_control/config", json={"fail_token": 1})
    with pytest.raises(UpstreamUnavailable):
        await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")


async def test_a_rotated_key_is_fetched_again(provider: tuple[IdentityClient, httpx.AsyncClient]) -> None:
    client, http = provider
    assert (await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")).name
    await http.post("/_control/rotate")
    client._fetched_at -= 31  # the unknown-kid refetch is rate-limited to every 30 s
    assert (await client.exchange(code=await _code(http), redirect_uri=REDIRECT, nonce="n-1")).name
