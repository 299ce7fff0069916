"""The staff identity provider emulator: the authorization-code flow the console signs staff in with."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import jwt
from fastapi.testclient import TestClient
from kunruyi_emulators.staff_identity import create_app

CALLBACK = "http://gateway/console/auth/callback"
VERIFIER = "v" * 43
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _sign_in(client: TestClient, subject: str) -> str:
    form = {
        "client_id": "kunruyi-console",
        "redirect_uri": CALLBACK,
        "state": "s-1",
        "nonce": "n-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    page = client.get("/authorize", params={**form, "response_type": "code"})
    assert page.status_code == 200 and "李建国" in page.text and "科技局" in page.text
    chosen = client.post("/authorize", data={**form, "subject": subject}, follow_redirects=False)
    assert chosen.status_code == 303
    query = parse_qs(urlsplit(chosen.headers["location"]).query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def test_code_is_redeemed_once_for_a_signed_id_token_with_role_and_department() -> None:
    client = TestClient(create_app(issuer="http://idp", client_id="kunruyi-console", client_secret=None))
    code = _sign_in(client, "kjj-reviewer-li")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "kunruyi-console",
        "code_verifier": VERIFIER,
    }
    token = client.post("/token", data=form)
    assert token.status_code == 200, token.text
    key = jwt.algorithms.RSAAlgorithm.from_jwk(client.get("/jwks").json()["keys"][0])
    claims = jwt.decode(
        token.json()["id_token"], key, algorithms=["RS256"], audience="kunruyi-console", issuer="http://idp"
    )
    assert (claims["sub"], claims["roles"], claims["department"], claims["nonce"]) == (
        "kjj-reviewer-li",
        ["reviewer"],
        "科技局",
        "n-1",
    )
    again = client.post("/token", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_wrong_pkce_verifier_is_refused() -> None:
    client = TestClient(create_app(issuer="http://idp", client_id="kunruyi-console", client_secret=None))
    code = _sign_in(client, "rcb-officer-wang")
    refused = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "kunruyi-console",
            "code_verifier": "w" * 43,
        },
    )
    assert refused.status_code == 400 and "PKCE" in refused.json()["error_description"]
