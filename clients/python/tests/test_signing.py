"""The client signs exactly as the gateway verifies: the same canonical query, string to sign and HMACs as the
gateway's own verifier (kunruyi_gateway.partners.signature, which the client does not import) on the partner
guide's worked examples and on random requests, and random requests it signs pass the real gateway."""

from __future__ import annotations

import hashlib
import hmac
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kunruyi_client import KunruyiClient, RetryPolicy, body_digest, canonical_query, sign, string_to_sign
from kunruyi_client.sm3 import hmac_sm3, hmac_sm3_pure, sm3_digest, sm3_pure
from kunruyi_gateway.partners import signature as gateway

# The guide's worked examples (gateway/docs/partner-guide.md §4–5; tests/e2e/test_partner_guide_examples.py
# reads them from the guide itself): the inputs and what both sides must compute.
WORKED = [
    {
        "method": "POST",
        "path": "/api/v1/policy-calculator",
        "raw_query": "lang=zh&q=%E9%9B%86%E6%88%90%E7%94%B5%E8%B7%AF&b=1",
        "app_key": "demo-partner",
        "timestamp": "1763712000000",
        "nonce": "n0nce-0001-abcdef",
        "body": b'{"entity_type":"enterprise","entity_id":"91320583MA1KRY007B"}',
    },
    {
        "method": "GET",
        "path": "/api/v1/policies",
        "raw_query": "department=%e7%a7%91%e6%8a%80%e5%b1%80&q=%E4%BA%BA%E6%89%8D+%E5%85%AC%E5%AF%93&page=1",
        "app_key": "demo-partner",
        "timestamp": "1763712060000",
        "nonce": "n0nce-0002-zh-query",
        "body": b"",
    },
]
SECRET = "s3cr3t-demo"


@pytest.mark.parametrize("example", WORKED, ids=["calculator", "chinese-query"])
@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SM3"])
def test_worked_examples_sign_the_same_on_both_sides(example: dict[str, Any], method: Any) -> None:
    ours = string_to_sign(**example, sign_method=method)
    theirs = gateway.string_to_sign(**example, sign_method=method)
    assert ours == theirs
    assert sign(SECRET, ours, method) == gateway.sign(SECRET, theirs, method)
    assert gateway.signature_matches(SECRET, theirs, sign(SECRET, ours, method), method)


# Query strings as partners send them: names and values of any text, escaped or not, plus and equals signs,
# empty parts, lower- and upper-case escapes.
_query_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_escaped = _query_text.map(lambda s: "".join(f"%{b:02x}" if b % 2 else f"%{b:02X}" for b in s.encode()))
_part = st.tuples(
    st.one_of(_query_text, _escaped), st.sampled_from(["=", "", "=="]), st.one_of(_query_text, _escaped)
)
_raw_query = st.lists(_part, max_size=6).map(lambda parts: "&".join(n + eq + v for n, eq, v in parts))


@given(raw=st.one_of(_raw_query, st.text(max_size=40)))
def test_canonical_query_agrees_with_the_gateway(raw: str) -> None:
    assert canonical_query(raw) == gateway.canonical_query(raw)


@given(
    method=st.sampled_from(["GET", "post", "PUT", "PATCH", "DELETE"]),
    path=st.text(alphabet=string.ascii_letters + string.digits + "/%-._~", min_size=1, max_size=40),
    raw_query=_raw_query,
    app_key=st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=32),
    timestamp=st.integers(min_value=0, max_value=10**15).map(str),
    nonce=st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=16, max_size=64),
    body=st.binary(max_size=300),
    secret=st.text(max_size=80),
    sign_method=st.sampled_from(["HMAC-SHA256", "HMAC-SM3"]),
)
def test_random_requests_sign_the_same_on_both_sides(
    method: str,
    path: str,
    raw_query: str,
    app_key: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    secret: str,
    sign_method: Any,
) -> None:
    fields = dict(
        method=method,
        path=path,
        raw_query=raw_query,
        app_key=app_key,
        timestamp=timestamp,
        nonce=nonce,
        body=body,
    )
    ours = string_to_sign(**fields, sign_method=sign_method)  # type: ignore[arg-type]
    theirs = gateway.string_to_sign(**fields, sign_method=sign_method)  # type: ignore[arg-type]
    assert ours == theirs
    assert body_digest(body, sign_method) == gateway.body_digest(body, sign_method)
    assert gateway.signature_matches(secret, theirs, sign(secret, ours, sign_method), sign_method)


@given(data=st.binary(max_size=300), key=st.binary(max_size=130))
def test_sm3_and_hmac_sm3_agree_with_the_gateway_and_the_pure_python_fallback(
    data: bytes, key: bytes
) -> None:
    """The client's SM3 (OpenSSL through hashlib here) and its pure-Python fallback (for partners whose Python
    lacks SM3) both equal the gateway's (OpenSSL through cryptography, and gmssl)."""
    assert sm3_digest(data) == sm3_pure(data) == gateway.sm3_digest_reference(data)
    assert hmac_sm3(key, data) == hmac_sm3_pure(key, data) == gateway.hmac_sm3(key, data)


def test_sm3_standard_vectors() -> None:
    # GB/T 32905-2016 appendix A, examples 1 and 2.
    assert sm3_pure(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_pure(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert hmac.new(b"k", b"m", hashlib.sha256).hexdigest() == sign("k", "m", "HMAC-SHA256")


def test_an_unknown_sign_method_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="HMAC-SHA256"):
        sign("s", "text", "HMAC-MD5")  # type: ignore[arg-type]


_param_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "district", "industry_chain", "qualification", "备注", "a b", "x+y"]),
        st.one_of(_param_text, st.lists(_param_text, min_size=1, max_size=3)),
        max_size=4,
    ),
    segment=_param_text.filter(
        lambda s: s.strip() not in ("", ".", "..") and not any(c in s for c in "/?#%\\")
    ),
    sign_method=st.sampled_from(["HMAC-SHA256", "HMAC-SM3"]),
)
def test_random_requests_signed_by_the_client_pass_the_real_gateway(
    mini_platform: Any, params: dict[str, Any], segment: str, sign_method: Any
) -> None:
    """Chinese, spaces, plus signs, repeated names in the query and any text in a path segment: the gateway
    never answers 401 to what the client signed (the list answers 200; a path segment that is no USCC 404/422)."""
    with KunruyiClient(
        mini_platform.url,
        mini_platform.app_key,
        mini_platform.secret,
        sign_method=sign_method,
        retry=RetryPolicy(attempts=1),
    ) as api:
        listed = api.get("/api/v1/enterprises", params=params)
        assert listed.status_code == 200, listed.text
        one = api.get(f"/api/v1/enterprises/{segment}")
        assert one.status_code in (404, 422), one.text


def test_hmac_sm3_signs_the_same_without_openssl_sm3(monkeypatch: pytest.MonkeyPatch) -> None:
    """A partner whose Python has no SM3 in its OpenSSL signs with the pure-Python SM3: the same signatures."""
    import kunruyi_client.sm3 as sm3

    expected = [sign(SECRET, string_to_sign(**e, sign_method="HMAC-SM3"), "HMAC-SM3") for e in WORKED]
    monkeypatch.setattr(sm3, "OPENSSL_SM3", False)
    assert [sign(SECRET, string_to_sign(**e, sign_method="HMAC-SM3"), "HMAC-SM3") for e in WORKED] == expected
    assert body_digest(WORKED[0]["body"], "HMAC-SM3") == gateway.body_digest(WORKED[0]["body"], "HMAC-SM3")
