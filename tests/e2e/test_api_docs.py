"""The API's human pages work offline: ``/``, ``/docs`` (Swagger UI) and ``/redoc`` render in Chromium with every
request outside the gateway's own origin refused (and recorded), and the aggregated ``/openapi.json`` keeps its
word under schemathesis: every answer's status code and content type are documented for its operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, status_code_conformance
from schemathesis.errors import FailureGroup

from .conftest import Driver


def open_offline(browser: Any, driver: Driver, path: str) -> tuple[Any, Any, list[str]]:
    """A desktop page on ``path`` where anything not served by the gateway is aborted and recorded."""
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()

    def gate(route: Any) -> None:
        if route.request.url.startswith(driver.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", gate)
    page.on("pageerror", lambda error: print("page error:", error))
    page.on("console", lambda message: print("console:", message.type, message.text))
    page.on("response", lambda r: print("response:", r.status, r.url) if r.status >= 400 else None)
    page.goto(f"{driver.url}{path}", wait_until="networkidle")
    return context, page, outside


def test_swagger_ui_renders_with_no_network_beyond_the_gateway(
    driver: Driver, browser: Any, artifacts_dir: Path
) -> None:
    context, page, outside = open_offline(browser, driver, "/docs")
    try:
        page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
        assert "昆如意 Kunruyi API" in page.inner_text(".swagger-ui .info .title")
        # Every tag is listed (collapsed, with a filter); opening one shows its operations.
        page.wait_for_function("document.querySelectorAll('.opblock-tag').length >= 25", timeout=60_000)
        page.click(".opblock-tag:has-text('政策计算器 calculator')")
        page.wait_for_selector(".opblock-summary-path:has-text('/api/v1/policy-calculator')", timeout=30_000)
        # The security schemes are there to try an authenticated call.
        page.click("button.authorize")
        page.wait_for_selector(".auth-container", timeout=10_000)
        assert "staffBearer" in page.inner_text(".modal-ux")
        assert "X-Kry-Signature" in page.inner_text(".modal-ux")
        page.keyboard.press("Escape")
        page.screenshot(path=str(artifacts_dir / "api-docs-swagger-ui.png"), full_page=False)
    finally:
        context.close()
    assert outside == []


def test_redoc_renders_with_no_network_beyond_the_gateway(
    driver: Driver, browser: Any, artifacts_dir: Path
) -> None:
    context, page, outside = open_offline(browser, driver, "/redoc")
    try:
        page.wait_for_selector("h1:has-text('昆如意 Kunruyi API')", timeout=90_000)
        page.wait_for_selector(".menu-content >> text=政策计算器 calculator", timeout=30_000)
        page.wait_for_selector("text=application/problem+json", state="attached", timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "api-docs-redoc.png"), full_page=False)
    finally:
        context.close()
    assert outside == []


def test_the_landing_page_links_docs_and_the_partner_guide(driver: Driver, browser: Any) -> None:
    context, page, outside = open_offline(browser, driver, "/")
    try:
        links = {a.get_attribute("href") for a in page.locator("a").all()}
        assert {"/docs", "/redoc", "/openapi.json", "/partner-guide"} <= links
        page.click("a[href='/partner-guide']")
        assert "X-Kry-Signature" in page.content()
    finally:
        context.close()
    assert outside == []


EXAMPLES = 4
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    verbosity=hypothesis.Verbosity.quiet,
)


def conform(
    operation: Any,
    call: Any,
    failures: dict[tuple[str, int], str],
) -> None:
    """``EXAMPLES`` valid cases of one operation; the first answer per status that breaks the document is kept."""

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        response = call(case)
        try:
            case.validate_response(response, checks=[status_code_conformance, content_type_conformance])
        except (FailureGroup, AssertionError):
            failures.setdefault(
                (operation.label, response.status_code),
                f"{operation.label} → {response.status_code} "
                f"{response.headers.get('content-type')} {response.text[:200]}",
            )

    try:
        check()
    except hypothesis.errors.Unsatisfiable:
        pass


@pytest.mark.timeout(900)
def test_answers_conform_to_the_documented_statuses_and_content_types(driver: Driver) -> None:
    schema = schemathesis.openapi.from_url(f"{driver.url}/openapi.json", timeout=30)
    failures: dict[tuple[str, int], str] = {}
    operations = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operations += 1
            # One admin per operation: a staff member's rate is counted per person.
            headers = driver.staff("admin", subject=f"conformance-admin-{operations}")

            def call(case: Any, headers: dict[str, str] = headers) -> Any:
                return case.call(base_url=driver.url, session=session, headers=headers, timeout=60)

            operation: Any = result
            conform(operation.ok(), call, failures)
    assert operations > 100
    assert not failures, f"{len(failures)} answers not documented:\n" + "\n".join(sorted(failures.values()))
