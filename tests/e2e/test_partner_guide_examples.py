"""The partner guide's examples run as tests (gateway/docs/partner-guide.md).

Read from the guide itself, not copied here: the worked signature examples (the requests as ``http`` blocks, the
canonical queries, strings to sign, body digests and signatures) are reproduced byte for byte by the partners'
client ``kunruyi_client`` and accepted by the gateway's own verifier; the same requests, signed afresh, are
answered by the running platform; and the "Python client" example runs as printed against it.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kunruyi_client import body_digest, canonical_query, sign, signed_headers, string_to_sign
from kunruyi_gateway.partners import signature as gateway

pytestmark = pytest.mark.timeout(900)

GUIDE = Path(__file__).resolve().parents[2] / "gateway" / "docs" / "partner-guide.md"
X_KRY = ("X-Kry-AppKey", "X-Kry-Timestamp", "X-Kry-Nonce", "X-Kry-Sign-Method", "X-Kry-Signature")


def _sections() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def _blocks(section: str, lang: str) -> list[str]:
    """Fenced blocks of a language, indentation (of a block inside a list item) removed."""
    found = []
    for indent, body in re.findall(rf"^( *)```{lang}\n(.*?)^\1```", section, flags=re.MULTILINE | re.DOTALL):
        found.append("\n".join(line[len(indent) :] for line in body.split("\n")).rstrip("\n"))
    return found


@dataclass
class Worked:
    title: str
    section: str
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes

    @property
    def target(self) -> str:
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    @property
    def secret(self) -> str:
        found = re.search(r"[Ss]ecret `([^`]+)`", self.section)
        assert found, f"{self.title}: no secret named"
        return found.group(1)

    def fields(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "raw_query": self.raw_query,
            "app_key": self.headers["X-Kry-AppKey"],
            "timestamp": self.headers["X-Kry-Timestamp"],
            "nonce": self.headers["X-Kry-Nonce"],
            "body": self.body,
        }


def worked_examples() -> list[Worked]:
    examples = []
    for title, section in _sections().items():
        if not title.lower().startswith(("4. worked example", "5. worked example")):
            continue
        (http,) = _blocks(section, "http")
        head, _, body = http.partition("\n\n")
        request_line, *header_lines = head.split("\n")
        method, target, _version = request_line.split(" ")
        path, _, raw_query = target.partition("?")
        headers = dict(line.split(": ", 1) for line in header_lines)
        examples.append(Worked(title, section, method, path, raw_query, headers, body.encode("utf-8")))
    return examples


def python_example() -> str:
    section = next(s for t, s in _sections().items() if t.endswith("Python client"))
    (code,) = _blocks(section, "python")
    return code


def test_the_guide_has_both_worked_examples_and_a_python_example() -> None:
    examples = worked_examples()
    assert [e.method for e in examples] == ["POST", "GET"]
    assert examples[0].body and not examples[1].body
    assert "KunruyiClient" in python_example()


@pytest.mark.parametrize("index", [0, 1])
def test_worked_examples_reproduce_byte_for_byte(index: int) -> None:
    example = worked_examples()[index]
    secret, sent = example.secret, example.headers
    method = sent["X-Kry-Sign-Method"]
    fields = example.fields()

    # The request's five headers, as printed.
    ours = signed_headers(
        app_key=fields["app_key"],
        secret=secret,
        method=example.method,
        path=example.path,
        raw_query=example.raw_query,
        body=example.body,
        sign_method=method,
        timestamp_ms=int(fields["timestamp"]),
        nonce=fields["nonce"],
    )
    assert ours == {name: sent[name] for name in X_KRY}

    # The canonical query and (where printed) the string to sign.
    printed_query = re.search(r"^- canonical query[^\n]*?:\s*`([^`]*)`", example.section, flags=re.MULTILINE)
    assert printed_query
    assert (
        canonical_query(example.raw_query) == gateway.canonical_query(example.raw_query) == printed_query[1]
    )
    for printed in _blocks(example.section, "text"):
        assert string_to_sign(**fields, sign_method=method) == printed

    # Every digest and signature printed for either method; the gateway's verifier accepts each signature.
    printed_pairs = re.findall(
        r"(HMAC-SHA256|HMAC-SM3): body digest[^`]*`([0-9a-f]{64})`,\s+signature\s+`([0-9a-f]{64})`",
        example.section,
    )
    single = re.findall(r"(HMAC-SHA256|HMAC-SM3) signature: `([0-9a-f]{64})`", example.section)
    printed_signatures = {m: s for m, _, s in printed_pairs} | dict(single)
    assert set(printed_signatures) == {"HMAC-SHA256", "HMAC-SM3"}
    for sign_method, digest, _ in printed_pairs:
        assert body_digest(example.body, sign_method) == digest  # type: ignore[arg-type]
    for sign_method, signature in printed_signatures.items():
        text = string_to_sign(**fields, sign_method=sign_method)
        assert sign(secret, text, sign_method) == signature  # type: ignore[arg-type]
        assert gateway.signature_matches(
            secret, gateway.string_to_sign(**fields, sign_method=sign_method), signature, sign_method
        )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def python_example_output(driver: Any) -> str:
    """The guide's Python example, run as printed against this platform (only its BASE_URL changed)."""
    code, replaced = re.subn(r'BASE_URL = "[^"]*"', f'BASE_URL = "{driver.url}"', python_example())
    assert replaced == 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(GUIDE), "exec"), {"__name__": "partner_guide_example"})
    return out.getvalue()


def test_the_python_client_example_runs(python_example_output: str) -> None:
    lines = python_example_output.splitlines()
    assert lines[0] in ("registered 91320583MA1KRY007B", "already registered: enterprise_exists"), lines
    eligible = next(line for line in lines if line.startswith("eligible:"))
    assert float(eligible.split()[1]) > 0, eligible
    assert "91320583MA1KRY007B 昆山如意示例科技有限公司" in lines
    assert lines[-1] == "invalid_uscc uscc"


def test_worked_examples_are_answered_by_the_platform(driver: Any, python_example_output: str) -> None:
    """The printed requests, signed afresh (a new timestamp and nonce), are answered; as printed, they are refused
    only for their age. The example company was registered by the Python example; the calculator knows it as soon
    as svc-policy's read model has it."""
    for example in worked_examples():
        content_type = (
            {"Content-Type": example.headers["Content-Type"]} if "Content-Type" in example.headers else {}
        )

        def answered(example: Worked = example, content_type: dict[str, str] = content_type) -> Any:
            resp = driver.partner.request(
                example.method, example.target, content=example.body or None, headers=content_type
            )
            return resp if resp.status_code == 200 else None

        resp = driver.eventually(answered, f"{example.title} answered 200")
        if example.body:
            assert resp.json()["entity"] == {"entity_type": "enterprise", "entity_id": "91320583MA1KRY007B"}
            assert "eligible_amount_fen" in resp.json()["summary"]
        else:
            assert "items" in resp.json()
        as_printed = driver.http.request(
            example.method, example.target, content=example.body or None, headers=example.headers
        )
        assert as_printed.status_code == 401, as_printed.text
        assert as_printed.json()["code"] == "timestamp_out_of_window"
