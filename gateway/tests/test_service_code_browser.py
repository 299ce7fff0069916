"""Issue 7 §4 in a real browser: Debian's headless Chromium on a phone-sized viewport files a request from the
昆e服 page, sees the ticket number, and — once an officer has answered — comes back and sees the reply."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


async def test_file_a_request_and_come_back_for_the_reply(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token, artifacts_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        resp = await c.post(
            "/api/v1/service-codes",
            headers={"Authorization": f"Bearer {staff_token('officer')}"},
            json={
                "kind": "enterprise",
                "target": "91320583MA1XXXXX9M",
                "name": "昆山示例芯片科技有限公司",
                "industry_chain": "集成电路",
            },
        )
        token = resp.json()["token"]

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
            page = await context.new_page()
            await page.goto(f"{qr_gateway.url}/q/{token}")
            await page.get_by_role("heading", name="直达政策").wait_for()
            assert await page.get_by_text("高新技术企业认定奖励").count() >= 1
            await page.screenshot(path=str(artifacts_dir / "qr-page-phone.png"), full_page=True)

            await page.get_by_label("诉求类型").select_option("融资需求")
            await page.get_by_label("诉求标题（必填）").fill("设备贷款贴息怎么申请？")
            await page.get_by_label("具体情况").fill("计划采购光刻设备，想了解贴息政策和申报时间。")
            await page.get_by_label("联系人").first.fill("陈经理")
            await page.get_by_label("手机号").first.fill("13812341234")
            await page.locator("#consent-ticket").check()
            await page.get_by_role("button", name="提交诉求").click()
            number = (await page.locator("#ticket-number").inner_text()).strip()
            secret = (await page.locator("#ticket-secret").inner_text()).strip()
            assert number.startswith("T2026")
            await page.screenshot(path=str(artifacts_dir / "qr-ticket-filed.png"), full_page=True)

            # The officer answers in svc-talent (here: the fake's store).
            async with httpx.AsyncClient(base_url=fake_services.url) as c:
                await c.post(
                    f"/_fake/tickets/{number}/reply",
                    json={"reply": "您好，贴息申报将于 12 月开放，请准备采购合同和发票。"},
                )

            # Coming back later: scan again, look the ticket up by number and secret.
            await page.goto(f"{qr_gateway.url}/q/{token}")
            await page.get_by_label("工单编号").fill(number)
            await page.get_by_label("查询码").fill(secret)
            await page.get_by_role("button", name="查询").click()
            await page.locator("#ticket-reply").wait_for()
            assert "贴息申报将于 12 月开放" in await page.locator("#ticket-reply").inner_text()
            assert (await page.locator("#ticket-status").inner_text()).strip() == "已答复"
            await page.screenshot(path=str(artifacts_dir / "qr-ticket-replied.png"), full_page=True)
        finally:
            await browser.close()
