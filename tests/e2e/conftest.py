"""The whole platform, started the way ``make run`` starts it (real PostgreSQL, NATS, the five apps and the
emulators, each its own process on a free port), driven only through the gateway: as a partner (signed
requests), as staff (dev-issuer tokens) and as a phone user (Chromium on the 昆e服 pages).

Events are asynchronous, so every check of a downstream effect polls (``Driver.eventually``) with a generous
deadline; nothing asserts a timing.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from kunruyi_client import KunruyiClient
from kunruyi_common.validators import USCC_ALPHABET, build_resident_id, build_uscc
from kunruyi_gateway.seed import DEMO_APP_KEY, DEMO_SECRET
from kunruyi_gateway.settings import Settings as GatewaySettings
from kunruyi_gateway.staff.tokens import GatewayIssuer
from kunruyi_launcher.apps import APPS, EMULATORS
from kunruyi_launcher.infra import free_port
from kunruyi_launcher.stack import Infra, Platform, migrate_all, seed_all, start_apps

# Seeded for the flows: the demo catalog (policy), budgets (disbursement) and the demo partner key (gateway).
SEEDED = {"policy", "disbursement", "gateway"}
T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


# One platform for all the flows (started once, stopped at the end of the run).
@pytest.fixture(scope="package")
def platform(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    migrate_all(infra, APPS, recreate=True)
    seed_all(infra, [a for a in APPS if a.name in SEEDED])
    ports = {a.name: free_port() for a in APPS} | {e.name: free_port() for e in EMULATORS}
    log_dir: Path = tmp_path_factory.mktemp("e2e-logs")
    # The gateway must trust the tokens this process mints: both read the same dev issuer directory.
    extra_env = {
        "KRY_GATEWAY_DEV_ISSUER_DIR": str(GatewaySettings().dev_issuer_dir),
        # The bank emulator reads KRY_BANK_CALLBACK_URL (not the launcher's KRY_EMULATOR_DISBURSEMENT_URL); with
        # free ports it would otherwise call back to :8003.
        "KRY_BANK_CALLBACK_URL": f"http://127.0.0.1:{ports['disbursement']}/api/v1/bank/callbacks",
    }
    running = start_apps(infra, log_dir, ports=ports, extra_env=extra_env, timeout=120)
    try:
        yield running
    finally:
        running.stop()


# --- identifiers --------------------------------------------------------------------------------------------

_rng = random.Random(os.getpid() ^ int(time.time()))
_seq = itertools.count(1)


def new_uscc(authority: str = "9", entity_type: str = "1") -> str:
    """A fresh, valid 统一社会信用代码 registered in Kunshan (320583), by default an enterprise (9-1)."""
    body = "".join(_rng.choice(USCC_ALPHABET) for _ in range(8))
    return build_uscc(body, authority=authority, entity_type=entity_type)


_issued: set[str] = set()


def _fresh(make: Callable[[], str]) -> str:
    # Every e2e test shares one platform, so an identifier handed out twice is a 409 in a later test.
    while (value := make()) in _issued:
        pass
    _issued.add(value)
    return value


def new_resident_id(birth: date | None = None) -> str:
    """A valid resident ID no other test of this run holds, born on a random day of 1988 unless ``birth`` is
    given — one fixed date leaves 900 sequence numbers, and a run files enough talents to meet one twice (the
    year stays fixed: policies with an age limit must see the same age)."""

    def make() -> str:
        born = birth or date(1988, 1, 1) + timedelta(days=_rng.randrange(366))
        return build_resident_id("320583", born, _rng.randrange(100, 999))

    return _fresh(make)


def new_phone() -> str:
    return _fresh(lambda: f"139{_rng.randrange(10**8):08d}")


# --- the callers ----------------------------------------------------------------------------------------------


@dataclass
class Driver:
    platform: Platform
    partner: KunruyiClient
    http: httpx.Client
    issuer: GatewayIssuer
    settings: GatewaySettings
    tokens: dict[tuple[str, str | None, str], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.platform.gateway_url

    def staff(self, role: str, department: str | None = None, subject: str | None = None) -> dict[str, str]:
        """Authorization header of a staff member holding ``role`` (dev issuer, as ``python -m kunruyi_gateway
        token`` mints it)."""
        subject = subject or f"e2e-{role}-{department or 'all'}"
        key = (role, department, subject)
        if key not in self.tokens:
            self.tokens[key] = self.issuer.mint(
                issuer=self.settings.dev_issuer,
                audience=self.settings.oidc_audience,
                subject=subject,
                ttl_s=3600,
                name=f"端到端测试（{role}）",
                roles=[role],
                department=department,
            )
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def as_staff(
        self,
        role: str,
        method: str,
        path: str,
        department: str | None = None,
        *,
        subject: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {**self.staff(role, department, subject), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def emulator(self, name: str) -> str:
        return next(e.url for e in self.platform.emulators if e.spec.name == name)

    def service_code(self, kind: str, target: str, name: str, industry_chain: str | None = None) -> str:
        """An officer issues a 昆e服 code; returns its token (the page is ``/q/{token}``)."""
        resp = self.as_staff(
            "officer",
            "POST",
            "/api/v1/service-codes",
            json={"kind": kind, "target": target, "name": name, "industry_chain": industry_chain},
        )
        assert resp.status_code == 201, resp.text
        token: str = resp.json()["token"]
        return token

    new_uscc = staticmethod(new_uscc)
    new_resident_id = staticmethod(new_resident_id)
    new_phone = staticmethod(new_phone)

    def register_enterprise(
        self,
        *,
        name: str,
        district: str = "高新区",
        industry_chain: str = "集成电路",
        founded_on: str = "2018-03-01",
        employees: int = 120,
        invention_patents: int = 3,
    ) -> str:
        """A partner registers a new enterprise in 一企一档; returns its USCC."""
        uscc = new_uscc()
        resp = self.partner.post(
            "/api/v1/enterprises",
            json={
                "uscc": uscc,
                "name": name,
                "district": district,
                "industry_chain": industry_chain,
                "founded_on": founded_on,
                "employees": employees,
                "invention_patents": invention_patents,
            },
        )
        assert resp.status_code == 201, resp.text
        return uscc

    @staticmethod
    def eventually(check: Callable[[], T | None], what: str, timeout: float = 90.0, every: float = 0.3) -> T:
        """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = check()
            except (httpx.TransportError, AssertionError) as exc:
                last = exc
            else:
                if last:
                    return last
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
            time.sleep(every)


@pytest.fixture(scope="package")
def driver(platform: Platform) -> Iterator[Driver]:
    settings = GatewaySettings()
    partner = KunruyiClient(platform.gateway_url, DEMO_APP_KEY, DEMO_SECRET, timeout=30.0)
    http = httpx.Client(base_url=platform.gateway_url, timeout=30.0)
    try:
        yield Driver(platform, partner, http, GatewayIssuer.for_settings(settings), settings)
    finally:
        partner.close()
        http.close()


def periodic_ticks(url: str, job: str) -> dict[str, float]:
    """A replica's ``kunruyi_periodic_ticks_total`` for ``job`` from its /metrics: ran, skipped and failed."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    out = {"ran": 0.0, "skipped": 0.0, "failed": 0.0}
    for line in text.splitlines():
        if line.startswith("kunruyi_periodic_ticks_total{") and f'job="{job}"' in line:
            outcome = re.search(r'outcome="(\w+)"', line)
            if outcome:
                out[outcome.group(1)] = float(line.rsplit(" ", 1)[1])
    return out


# The console on a laptop (the size staff work at); a test asks for a tablet or phone size when it checks one.
LAPTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


def console_sign_in(
    browser: Any,
    driver: Driver,
    subject: str,
    *,
    then: str | None = None,
    size: dict[str, Any] = LAPTOP,
    **context_options: Any,
) -> Any:
    """A fresh browser signed in to the console as ``subject`` through the staff identity provider's sign-in page
    (the console sends an unsigned visitor there); at ``then`` afterwards when given."""
    page = browser.new_context(**size, **context_options).new_page()
    page.goto(f"{driver.url}/console")
    assert "/console/login" in page.url
    page.get_by_role("button", name="使用统一身份认证登录").click()
    page.locator(f"button[data-subject='{subject}']").click()
    page.wait_for_url(f"{driver.url}/console/**")
    if then:
        page.goto(f"{driver.url}{then}")
    return page


# Module scope: sync Playwright keeps its event loop marked running while it is open, so it must be closed before
# any later async test (a package scope does not end with this folder, which is not a Python package).
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A new phone-sized browser page."""
    context = browser.new_context(**PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()
