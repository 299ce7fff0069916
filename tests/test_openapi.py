"""The gateway's OpenAPI says what the platform answers: built in process exactly as ``/openapi.json`` aggregates
it (kunruyi_gateway.api_docs.describe.aggregate over every service's own document).

Every operation documents a typed success answer and its problem+json errors (the kit's ``ProblemDetails``, never
FastAPI's ``HTTPValidationError``), every proxied one its security and the gate's answers; every request body
has an example; tags are "中文名 English"."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from kunruyi_gateway.api_docs.describe import aggregate

PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}

# Known gaps, named: operations whose success answer is still an untyped dict (none left). The test fails when a
# new one appears.
UNTYPED_RESPONSES: set[str] = set()

# Request bodies without an example (none left; multipart uploads carry one too).
BODIES_WITHOUT_EXAMPLE: set[str] = set()


@cache
def document() -> dict[str, Any]:
    from kunruyi_disbursement.main import app as disbursement
    from kunruyi_gateway.main import app as gateway
    from kunruyi_matching.main import app as matching
    from kunruyi_policy.main import app as policy
    from kunruyi_talent.main import app as talent

    services = {"policy": policy, "talent": talent, "disbursement": disbursement, "matching": matching}
    return aggregate(gateway.openapi(), {name: app.openapi() for name, app in services.items()})


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    refs = [s for s in schema.get("anyOf", []) if "$ref" in s]  # an optional body: Model | None
    if len(refs) == 1:
        schema = refs[0]
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = document()["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def is_typed(schema: dict[str, Any]) -> bool:
    if not schema:
        return False
    schema = resolve(schema)
    if schema.get("type") == "object" and not schema.get("properties"):
        # dict[str, X] names X; dict[str, Any] names nothing
        return schema.get("additionalProperties") not in (True, {}, None)
    return True


def test_the_document_lists_every_service() -> None:
    assert "x-unavailable-services" not in document()["info"]
    assert len(operations()) > 100


def test_every_operation_has_a_typed_success_answer() -> None:
    untyped = set()
    for method, path, op in operations():
        success = {code: r for code, r in op["responses"].items() if code.startswith(("2", "3"))}
        assert success, f"{method} {path} documents no success answer"
        for response in success.values():
            for media, content in response.get("content", {}).items():
                if media == "application/json" and not is_typed(content.get("schema", {})):
                    untyped.add(f"{method} {path}")
    assert untyped - UNTYPED_RESPONSES == set(), "operations without a response model"
    assert UNTYPED_RESPONSES - untyped == set(), "typed now: remove from UNTYPED_RESPONSES"


def test_every_error_is_documented_as_problem_json() -> None:
    schemas = document()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"type", "title", "status", "code"} <= set(schemas["ProblemDetails"]["required"])
    for method, path, op in operations():
        responses = op["responses"]
        assert "422" in responses and "503" in responses, f"{method} {path}"
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                content = response.get("content", {})
                assert list(content) == [PROBLEM], f"{method} {path} {code}: {list(content)}"
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
                assert "`" in response["description"], f"{method} {path} {code} names no code"
        if "{" in path:
            assert "404" in responses, f"{method} {path}: an item route documents no 404"
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert "409" in responses, f"{method} {path}: a write documents no 409"


def test_every_proxied_operation_documents_the_gate() -> None:
    spec = document()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["staffBearer"] == {**schemes["staffBearer"], "type": "http", "scheme": "bearer"}
    partner_headers = {s["name"] for s in schemes.values() if s["type"] == "apiKey"}
    assert partner_headers == {"X-Kry-AppKey", "X-Kry-Timestamp", "X-Kry-Nonce", "X-Kry-Signature"}
    assert all(s.get("description") for s in schemes.values())
    for method, path, op in operations():
        if not path.startswith("/api/v1/"):
            continue
        assert op.get("security"), f"{method} {path} has no security"
        for code in ("401", "403", "429", "503"):
            assert code in op["responses"], f"{method} {path} does not document {code}"
        if "requestBody" in op:
            assert "413" in op["responses"], f"{method} {path}"


def test_every_request_body_has_an_example() -> None:
    missing = set()
    for method, path, op in operations():
        body = op.get("requestBody")
        if not body:
            continue
        for content in body["content"].values():
            schema = resolve(content.get("schema", {}))
            if not (content.get("example") or content.get("examples") or schema.get("examples")):
                missing.add(f"{method} {path}")
    assert missing - BODIES_WITHOUT_EXAMPLE == set(), "request bodies without an example"
    assert BODIES_WITHOUT_EXAMPLE - missing == set(), "has an example now: remove from BODIES_WITHOUT_EXAMPLE"


TAG = re.compile(r"^[^\x00-\x7f]\S*[^\x00-\x7f] [A-Za-z][A-Za-z ]*$")


# Status filters still taking any string (named; the list may only shrink).
FREE_STATUS_FILTERS = {"GET /api/v1/applications"}


def test_status_filters_take_their_fixed_values() -> None:
    free = set()
    for method, path, op in operations():
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in {"status", "stage", "kind"}:
                schema = parameter["schema"]
                # A fixed value, or a repeatable parameter (an array) of fixed values.
                options = [schema, *schema.get("anyOf", [])]
                if not any("enum" in s or "enum" in s.get("items", {}) for s in options):
                    free.add(f"{method} {path}")
    assert free == FREE_STATUS_FILTERS


def test_every_example_is_valid_for_its_schema() -> None:
    components = document()["components"]
    checked = 0
    for method, path, op in operations():
        for content in op.get("requestBody", {}).get("content", {}).values():
            validator = Draft202012Validator({**content.get("schema", {}), "components": components})
            for example in resolve(content["schema"]).get("examples", []):
                errors = [e.message for e in validator.iter_errors(example)]
                assert not errors, f"{method} {path}: {errors}"
                checked += 1
    assert checked > 40


def test_no_service_schema_replaces_another() -> None:
    from kunruyi_matching.main import app as matching
    from kunruyi_talent.main import app as talent

    schemas = document()["components"]["schemas"]
    assert schemas["ApplicationCreate"] == talent.openapi()["components"]["schemas"]["ApplicationCreate"]
    assert (
        schemas["matching.ApplicationCreate"]
        == matching.openapi()["components"]["schemas"]["ApplicationCreate"]
    )


def test_tags_are_chinese_name_then_english() -> None:
    tags = {tag for _, _, op in operations() for tag in op.get("tags", [])}
    assert tags and not [t for t in tags if not TAG.match(t)]
