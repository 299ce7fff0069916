"""Issue 15 item 4 in Chromium (phone): 直达政策 on every kind of 昆e服 code leads somewhere — each listed policy opens
its detail, a cut list has "更多" — and a form sent back with errors shows the first one in view, focused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kunruyi_common.validators import build_uscc
from playwright.async_api import Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
]
# The fake calculator answers 23 eligible policies for this company (more than the page lists).
MANY = build_uscc("MANY0001", authority="9", entity_type="1")


async def _code(url: str, token: str, kind: str, target: str, name: str, chain: str | None = None) -> str:
    async with httpx.AsyncClient(base_url=url) as c:
        resp = await c.post(
            "/api/v1/service-codes",
            headers={"Authorization": f"Bearer {token}"},
            json={"kind": kind, "target": target, "name": name, "industry_chain": chain},
        )
        assert resp.status_code == 201, resp.text
        code: str = resp.json()["token"]
        return code


@pytest.fixture
async def phone() -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
            )
            yield await context.new_page()
        finally:
            await browser.close()


async def _no_dead_links(page: Page, base: str) -> None:
    """Every link of the page answers (anchors name an element of the page; tel: links are the phone's)."""
    hrefs: list[str] = await page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    async with httpx.AsyncClient(base_url=base, follow_redirects=True) as c:
        for href in set(hrefs):
            if href.startswith("tel:"):
                continue
            if href.startswith("#"):
                assert await page.locator(href).count() == 1, href
                continue
            resp = await c.get(href)
            assert resp.status_code == 200, (href, resp.status_code)


async def _in_view_and_focused(page: Page, field_id: str) -> bool:
    found: Any = await page.evaluate(
        """id => { const el = document.getElementById(id); const r = el.getBoundingClientRect();
                   return document.activeElement === el && r.top >= 0 && r.bottom <= window.innerHeight; }""",
        field_id,
    )
    return bool(found)


async def test_direct_policy_links_on_park_lounge_and_company_codes(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token, phone: Page, artifacts_dir: Path
) -> None:
    officer = staff_token("officer")
    park = await _code(qr_gateway.url, officer, "park", "昆山高新区", "昆山高新区园区服务码")
    phone_page = phone

    # A park: the catalog's enterprise policies, 10 on the page, "更多" for the rest; each opens its detail.
    await phone_page.goto(f"{qr_gateway.url}/q/{park}")
    await phone_page.locator("nav.quick").get_by_role("link", name="直达政策").click()
    links = phone_page.locator("#policies a.policy-link")
    assert await links.count() == 10
    assert await phone_page.locator("#policies-more").is_visible()
    await phone_page.screenshot(path=str(artifacts_dir / "qr-park-policies.png"), full_page=True)
    await _no_dead_links(phone_page, qr_gateway.url)
    await links.first.click()
    await phone_page.get_by_role("heading", name="申报条件").wait_for()
    assert "集成电路设计企业流片奖励（1）" in await phone_page.locator("#policy-title").inner_text()
    assert "研发费用专项审计报告" in await phone_page.get_by_test_id("materials").inner_text()
    assert "昆政发〔2025〕12号" in await phone_page.locator("main").inner_text()
    assert await phone_page.locator("#apply").get_attribute("href") == "/m/policies/KS-QY-001"
    await phone_page.screenshot(path=str(artifacts_dir / "qr-policy-detail.png"), full_page=True)
    await _no_dead_links(phone_page, qr_gateway.url)

    # 更多: 20 a page, then the last 5.
    await phone_page.goto(f"{qr_gateway.url}/q/{park}")
    await phone_page.locator("#policies-more").click()
    await phone_page.get_by_role("heading", name="企业政策").wait_for()
    assert await phone_page.locator("a.policy-link").count() == 20
    await phone_page.locator("#policies-more").click()
    await phone_page.get_by_role("heading", name="企业政策").wait_for()
    assert await phone_page.locator("a.policy-link").count() == 5
    assert await phone_page.locator("#policies-more").count() == 0
    await _no_dead_links(phone_page, qr_gateway.url)
    missing = await phone_page.goto(f"{qr_gateway.url}/q/{park}/policies/KS-NOPE-1")
    assert missing is not None and missing.status == 404
    assert "没有这项政策" in await phone_page.locator("main").inner_text()

    # A park naming its chain: the chain's policies first (svc-policy's ranked search), said so.
    chip_park = await _code(qr_gateway.url, officer, "park", "昆山开发区", "集成电路产业园服务码", "集成电路")
    await phone_page.goto(f"{qr_gateway.url}/q/{chip_park}")
    assert "集成电路相关优先" in await phone_page.locator("#policy-audience").inner_text()
    assert await phone_page.locator("#policies a.policy-link").count() == 3

    # A talent lounge: the talent policies.
    lounge = await _code(qr_gateway.url, officer, "lounge", "人才会客厅", "人才会客厅服务码")
    await phone_page.goto(f"{qr_gateway.url}/q/{lounge}")
    assert await phone_page.locator("#policies a.policy-link").count() == 7
    assert "高层次人才安家补贴" in await phone_page.locator("#policies").inner_text()
    assert await phone_page.locator("#policies-more").count() == 0
    await _no_dead_links(phone_page, qr_gateway.url)

    # A company in reach of 23 policies: 20 on its page, all behind "更多", each clickable, no amounts.
    many = await _code(qr_gateway.url, officer, "enterprise", MANY, "昆山多政策科技有限公司")
    await phone_page.goto(f"{qr_gateway.url}/q/{many}")
    assert await phone_page.locator("#policies a.policy-link").count() == 20
    await phone_page.locator("#policies-more").click()
    await phone_page.get_by_role("heading", name="本企业可享受的政策").wait_for()
    assert await phone_page.locator("a.policy-link").count() == 23
    assert "¥" not in await phone_page.locator("main").inner_text()


async def test_a_form_sent_back_with_errors_shows_the_first_one_in_view(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token, phone: Page, artifacts_dir: Path
) -> None:
    target = build_uscc("FACE0001", authority="9", entity_type="1")
    token = await _code(qr_gateway.url, staff_token("officer"), "enterprise", target, "昆山表单测试有限公司")
    page = phone
    await page.goto(f"{qr_gateway.url}/q/{token}")
    await page.get_by_label("诉求标题（必填）").fill("厂房租金补贴")
    await page.get_by_label("联系人").first.fill("陈经理")
    await page.get_by_label("手机号").first.fill("12345")
    await page.get_by_role("button", name="提交诉求").click()
    await page.locator("#t-phone-err").wait_for()
    assert await page.locator("#t-phone").get_attribute("aria-invalid") == "true"
    assert await page.locator("#consent-ticket").get_attribute("aria-invalid") == "true"
    assert "个人信息处理告知" in await page.locator("#consent-ticket-err").inner_text()
    assert await _in_view_and_focused(page, "t-phone")
    assert await page.get_by_label("诉求标题（必填）").input_value() == "厂房租金补贴"  # kept
    await page.screenshot(path=str(artifacts_dir / "qr-ticket-error-in-view.png"))

    # The demand form, further down: a wrong phone is the first error; it comes back focused and in view.
    await page.goto(f"{qr_gateway.url}/q/{token}")
    await page.get_by_label("需求名称（必填）").fill("晶圆减薄工艺")
    await page.get_by_label("需求描述（必填）").fill("需要 50 微米以下减薄方案")
    await page.get_by_label("联系人（必填）").fill("周工")
    await page.get_by_label("联系电话（必填）").fill("0512")
    await page.get_by_role("button", name="发布需求").click()
    await page.locator("#d-phone-err").wait_for()
    assert await _in_view_and_focused(page, "d-phone")
    assert await page.locator("#consent-demand").get_attribute("aria-invalid") == "true"
    assert "请修改标出的 2 处" in await page.locator("#demand-errors").inner_text()
    await page.screenshot(path=str(artifacts_dir / "qr-demand-error-in-view.png"))
