"""Schemathesis against the gateway's aggregated OpenAPI (``/openapi.json``): every operation, with inputs the
schema allows (positive) and inputs it forbids (negative), twice — as a staff admin (Bearer token) and as a
signed partner (each request signed per the partner contract, gateway/docs/partner-guide.md). Whatever a caller
sends, the answer is never a 5xx (schemathesis's ``not_a_server_error`` check).

Bounded for CI: a fixed number of examples per operation and mode, derandomized (the same inputs on every run),
no example database. Every operation runs to the end and the first case per operation and status that answered
5xx is collected, so one run reports them all.

A wider search, off CI: ``KRY_SCHEMATHESIS_EXAMPLES`` sets the examples per operation and mode (default 8) and
``KRY_SCHEMATHESIS_RANDOM=1`` draws fresh inputs every run (default: derandomized); each test's time limit grows
with the examples.

Schemathesis is used as a library (``operation.as_strategy`` under Hypothesis), not through its pytest plugin
(disabled in pyproject's addopts), which does not work with this pytest.

Named ``test_zz_…`` so it runs after the flow tests that share the platform: what it creates (random
enterprises, talents, tickets, …) and the seeded records it may edit (a demo policy's title) are seen by no flow.
The partner run goes first; the demo key does not appear in the schema, so the admin run does not generate it as
an app key to rotate or disable either.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from kunruyi_client import signed_headers
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup

from .conftest import Driver

EXAMPLES_PER_MODE = int(os.environ.get("KRY_SCHEMATHESIS_EXAMPLES", "8"))
DERANDOMIZE = os.environ.get("KRY_SCHEMATHESIS_RANDOM", "") != "1"
TIMEOUT_S = 900 * max(1, -(-EXAMPLES_PER_MODE // 8))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_MODE,
    derandomize=DERANDOMIZE,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    verbosity=hypothesis.Verbosity.quiet,
)


class PartnerSignature(requests.auth.AuthBase):
    """Signs the request exactly as it goes on the wire (path with its escapes, raw query, body bytes)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        path, _, query = request.path_url.partition("?")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert request.method is not None
        request.headers.update(
            signed_headers(
                app_key=DEMO_APP_KEY,
                secret=DEMO_SECRET,
                method=request.method,
                path=path,
                raw_query=query,
                body=body,
            )
        )
        return request


Call = Callable[[schemathesis.Case, requests.Session], Any]


def run_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    call: Call,
    session: requests.Session,
    failures: dict[tuple[str, int], str],
) -> None:
    """``EXAMPLES_PER_MODE`` cases of one operation; the first case per status that answered 5xx is kept."""

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        response = call(case, session)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (FailureGroup, AssertionError):
            failures.setdefault(
                (operation.label, response.status_code),
                f"{operation.label} ({mode.value}) → {response.status_code} {response.text[:300]}\n"
                f"    {case.as_curl_command()}",
            )

    try:
        check()
    except hypothesis.errors.Unsatisfiable:
        # Nothing of this mode can be generated (e.g. no input to make invalid): nothing was sent.
        pass


def run_schema(gateway_url: str, caller: Callable[[int], Call]) -> list[str]:
    """Every operation, every mode; returns one line per (operation, status) that answered 5xx. ``caller(n)``
    sends the cases of the n-th operation."""
    schema = schemathesis.openapi.from_url(f"{gateway_url}/openapi.json", timeout=30)
    failures: dict[tuple[str, int], str] = {}
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operations += 1
            call = caller(operations)
            for mode in MODES:
                run_operation(result.ok(), mode, call, session, failures)
    assert operations > 100, f"the gateway's schema lists only {operations} operations"
    return sorted(failures.values())


@pytest.mark.timeout(TIMEOUT_S)
def test_no_5xx_as_signed_partner(driver: Driver) -> None:
    signature = PartnerSignature()

    def call(case: schemathesis.Case, session: requests.Session) -> Any:
        return case.call(base_url=driver.url, session=session, auth=signature, timeout=60)

    failures = run_schema(driver.url, lambda _n: call)
    assert not failures, f"{len(failures)} operations answered 5xx:\n" + "\n".join(failures)


@pytest.mark.timeout(TIMEOUT_S)
def test_no_5xx_as_staff_admin(driver: Driver) -> None:
    def caller(n: int) -> Call:
        # One admin per operation: a staff member's rate (1200/minute) is counted per person.
        headers = driver.staff("admin", subject=f"schemathesis-admin-{n}")

        def call(case: schemathesis.Case, session: requests.Session) -> Any:
            return case.call(base_url=driver.url, session=session, headers=headers, timeout=60)

        return call

    failures = run_schema(driver.url, caller)
    assert not failures, f"{len(failures)} operations answered 5xx:\n" + "\n".join(failures)
