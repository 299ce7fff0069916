"""Issue 7 §4: 昆e服 codes — issue, download, scan, forms, revocation; sections degrade when a service is down."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import segno
from kunruyi_gateway.service_codes.tokens import code_token
from prometheus_client import generate_latest
from sqlalchemy import text

USCC = "91320583MA1XXXXX9M"


async def _issue(c: httpx.AsyncClient, token: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "enterprise",
        "target": USCC,
        "name": "昆山示例芯片科技有限公司",
        "industry_chain": "集成电路",
        **overrides,
    }
    resp = await c.post("/api/v1/service-codes", json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def test_a_code_carries_a_chain_of_the_shared_taxonomy(qr_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    """The chain is stored by its taxonomy name (an alias in, the name out) so svc-matching's broker section can
    map it; a chain outside the taxonomy is refused rather than leaving the section 暂不可用."""
    officer = staff_token("officer")
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, officer, industry_chain="半导体", kind="park", target="PARK-TAX-1")
        assert code["industry_chain"] == "集成电路"
        frontier = await _issue(c, officer, industry_chain="元宇宙", kind="park", target="PARK-TAX-2")
        assert frontier["industry_chain"] == "元宇宙"
        refused = await c.post(
            "/api/v1/service-codes",
            json={"kind": "park", "target": "PARK-TAX-3", "name": "某园区", "industry_chain": "火星产业"},
            headers={"Authorization": f"Bearer {officer}"},
        )
        assert refused.status_code == 422, refused.text
        assert (
            refused.json()["code"] == "unknown_industry_chain" and refused.json()["field"] == "industry_chain"
        )


async def test_officer_issues_a_code_and_downloads_png_and_svg(qr_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    officer = staff_token("officer")
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, officer)
        assert code["url"] == f"https://kunruyi.example/q/{code['token']}"
        auth = {"Authorization": f"Bearer {officer}"}
        png = await c.get(f"/api/v1/service-codes/{code['id']}/qr.png", headers=auth)
        assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
        svg = await c.get(f"/api/v1/service-codes/{code['id']}/qr.svg", headers=auth)
        assert svg.headers["content-type"].startswith("image/svg+xml")
        # The same symbol segno makes for that URL: the code really encodes {PUBLIC_BASE_URL}/q/{token}.
        expected = segno.make(code["url"], error="m")
        import io

        buf = io.BytesIO()
        expected.save(buf, kind="svg", scale=8, border=2, title="昆e服")
        assert svg.content == buf.getvalue()
        bad = await c.post(
            "/api/v1/service-codes",
            headers=auth,
            json={"kind": "enterprise", "target": "91320583MA1XXXXXX0", "name": "x"},
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_uscc"
        broker = await c.post(
            "/api/v1/service-codes",
            json={"kind": "park", "target": "P1", "name": "园区"},
            headers={"Authorization": f"Bearer {staff_token('broker')}"},
        )
        assert broker.status_code == 403 and broker.json()["code"] == "role_required"
        anon = await c.post("/api/v1/service-codes", json={"kind": "park", "target": "P1", "name": "园区"})
        assert anon.status_code == 401


async def _scans_recorded(c: httpx.AsyncClient, officer: str, code_id: str, count: int) -> None:
    """Scans are written off the response path: wait (briefly) until the code shows ``count``."""
    seen = None
    for _ in range(100):
        got = await c.get(f"/api/v1/service-codes/{code_id}", headers={"Authorization": f"Bearer {officer}"})
        seen = got.json()["scan_count"]
        if seen == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"scan_count {seen}, expected {count}")


async def test_scan_renders_sections_counts_and_publishes_an_event(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token, engine
) -> None:
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, staff_token("officer"))
        fake_services.app.state.principals.clear()
        page = await c.get(f"/q/{code['token']}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        for text_ in (
            "直达政策",
            "高新技术企业认定奖励",
            "研发费用加计扣除配套奖励",
            "直通诉求",
            "直享资源",
            "王经纪",
            "祖冲之人才公寓",
            "发布技术需求",
            "服务中心",
        ):
            assert text_ in html, text_
        # Public: whoever holds the printed code sees what the company may qualify for, never an amount or how
        # a payment stands.
        for money in ("¥", "元", "300,000", "50,000", "兑付情况", "已兑付", "瞪羚企业培育奖励"):
            assert money not in html, money
        assert len(page.content) < 100 * 1024
        assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", html), "no external assets"
        # The visitor's calls go as the code's public principal; the calculator's read by id as the page itself.
        calculator = fake_services.app.state.calculator_principal
        assert (calculator.kind, calculator.subject) == ("service", "gateway-qr-page")
        principals = [p for p in fake_services.app.state.principals if p is not None and p is not calculator]
        assert principals and all(p.kind == "public" and p.subject == f"qr:{code['id']}" for p in principals)
        assert all(p.target == USCC for p in principals)
        # Within the page cache's seconds a second scan asks no service again, and is counted all the same.
        asked = len(fake_services.app.state.principals)
        again = await c.get(f"/q/{code['token']}")
        assert again.status_code == 200 and "高新技术企业认定奖励" in again.text
        assert len(fake_services.app.state.principals) == asked
        await _scans_recorded(c, staff_token("officer"), code["id"], 2)
        metrics = generate_latest().decode()  # the gateway runs in this process
        assert re.search(r'kunruyi_service_code_scans_total\{kind="enterprise"\} [1-9]', metrics)
    async with engine.connect() as conn:
        events = (
            (
                await conn.execute(
                    text(
                        "SELECT envelope->'data'->>'scan_count' FROM outbox_events "
                        "WHERE type = 'kunruyi.gateway.service_code.scanned' AND envelope->'data'->>'code_id' = :id "
                        "ORDER BY seq"
                    ),
                    {"id": code["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert events == ["1", "2"]


async def test_forged_and_revoked_codes_get_a_friendly_404(qr_gateway, staff_token, gateway_settings) -> None:  # type: ignore[no-untyped-def]
    # A code is revoked by its own department's staff (test_code_departments.py).
    officer = {"Authorization": f"Bearer {staff_token('officer', dept='科技局')}"}
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, staff_token("officer", dept="科技局"))
        head, tag = code["token"].split(".")
        for forged in (
            f"{head}.{tag[:-1]}A" if tag[-1] != "A" else f"{head}.{tag[:-1]}B",
            "nonsense",
            code_token(__import__("uuid").uuid4(), gateway_settings.service_code_secret),
        ):
            resp = await c.get(f"/q/{forged}")
            assert resp.status_code == 404 and "这个二维码无法使用" in resp.text
        assert (await c.get(f"/q/{code['token']}")).status_code == 200  # now in this replica's page cache
        revoked = await c.post(f"/api/v1/service-codes/{code['id']}/revoke", headers=officer)
        assert revoked.json()["revoked_at"]
        resp = await c.get(f"/q/{code['token']}")
        assert resp.status_code == 404 and "这个二维码无法使用" in resp.text
        resp = await c.post(f"/q/{code['token']}/tickets", data={"title": "x"})
        assert resp.status_code == 404
        again = await c.post(f"/api/v1/service-codes/{code['id']}/revoke", headers=officer)
        assert again.status_code == 409


async def test_ticket_and_demand_forms_round_trip(qr_gateway, fake_services, staff_token) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, staff_token("officer"))
        invalid = await c.post(f"/q/{code['token']}/tickets", data={"title": "", "requester_phone": "123"})
        assert (
            invalid.status_code == 200
            and "请填写诉求标题" in invalid.text
            and "手机号格式错误" in invalid.text
        )
        filed = await c.post(
            f"/q/{code['token']}/tickets",
            data={
                "type": "融资需求",
                "title": "设备贷款贴息咨询",
                "description": "想了解贴息政策",
                "requester_name": "陈经理",
                "requester_phone": "13812341234",
                "consent": "yes",
            },
        )
        assert filed.status_code == 200
        number = re.search(r'id="ticket-number">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        secret = re.search(r'id="ticket-secret">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        stored = fake_services.app.state.tickets[number]["body"]
        assert (
            stored["channel"] == "qr"
            and stored["enterprise_uscc"] == USCC
            and stored["service_code"] == code["id"]
        )
        wrong = await c.get(f"/q/{code['token']}/ticket", params={"number": number, "secret": "nope"})
        assert wrong.status_code == 404 and "编号或查询码不正确" in wrong.text
        status = await c.get(f"/q/{code['token']}/ticket", params={"number": number, "secret": secret})
        assert "已提交" in status.text and "尚未答复" in status.text
        demand_form = {
            "title": "晶圆缺陷检测算法",
            "description": "寻求机器视觉团队合作",
            "demand_type": "技术攻关",
            "technical_field": "machine-vision",
            "contact_name": "王建国",
            "contact_phone": "139 1234 5678",
        }
        # A name and phone are personal data: not sent before the consent is given.
        unconsented = await c.post(f"/q/{code['token']}/demands", data=demand_form)
        assert "请阅读并勾选同意个人信息处理告知后再提交" in unconsented.text
        assert 'id="consent-demand-notice"' in unconsented.text
        demand = await c.post(f"/q/{code['token']}/demands", data={**demand_form, "consent": "yes"})
        assert demand.status_code == 200 and "技术需求已提交" in demand.text, re.findall(
            r"<p>[^<]*</p>", demand.text
        )
        assert re.search(r'id="demand-number">XQ2026120\d+<', demand.text)
        assert 'id="demand-secret">code' in demand.text and "企业身份未核验" in demand.text
        posted = fake_services.app.state.demands[-1]
        assert posted == {
            "enterprise_uscc": USCC,
            "title": "晶圆缺陷检测算法",
            "description": "寻求机器视觉团队合作",
            "demand_type": "技术攻关",
            "technical_field": "machine-vision",
            "industry_chain": "集成电路",
            "channel": "qr",
            "contact_name": "王建国",
            "contact_phone": "13912345678",
            # Not public unless the filer chooses so.
            "visibility": "brokers",
        }
        incomplete = await c.post(f"/q/{code['token']}/demands", data={"title": "x", "description": "y"})
        # Each missing choice at its own field; the first one in the form gets the focus.
        assert '<p class="field-error" id="d-type-err">请选择需求类型</p>' in incomplete.text
        assert '<p class="field-error" id="d-field-err">请选择技术领域</p>' in incomplete.text
        assert 'aria-invalid="true" aria-describedby="d-type-err" autofocus' in incomplete.text
        assert incomplete.text.count(" autofocus") == 1


async def test_the_requester_rates_and_reopens_by_number_and_code(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token
) -> None:
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, staff_token("officer"))
        token = code["token"]
        filed = await c.post(f"/q/{token}/tickets", data={"title": "研发加计扣除口径", "type": "政策咨询"})
        number = re.search(r'id="ticket-number">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        secret = re.search(r'id="ticket-secret">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        waiting = await c.get(f"/q/{token}/ticket", params={"number": number, "secret": secret})
        assert "答复后可以评价" in waiting.text and 'id="rating-form"' not in waiting.text
        async with httpx.AsyncClient(base_url=fake_services.url) as svc:
            await svc.post(f"/_fake/tickets/{number}/reply", json={"reply": "按财税〔2023〕7号执行"})
        page = await c.get(f"/q/{token}/ticket", params={"number": number, "secret": secret})
        assert 'id="rating-form"' in page.text and 'value="dissatisfied"' in page.text
        keys = {"number": number, "secret": secret}
        unchosen = await c.post(f"/q/{token}/ticket/rating", data=keys)
        assert "请选择满意、基本满意或不满意" in unchosen.text and 'aria-invalid="true"' in unchosen.text
        wrong = await c.post(
            f"/q/{token}/ticket/rating", data={**keys, "secret": "nope", "rating": "satisfied"}
        )
        assert wrong.status_code == 404 and "编号或查询码不正确" in wrong.text
        rated = await c.post(f"/q/{token}/ticket/rating", data={**keys, "rating": "dissatisfied"})
        assert "感谢评价" in rated.text and 'id="reopen-form"' in rated.text and "不满意" in rated.text
        assert fake_services.app.state.tickets[number]["rating"] == "dissatisfied"
        empty = await c.post(f"/q/{token}/ticket/reopen", data={**keys, "comment": "  "})
        assert (
            'id="reopen-err"' in empty.text and fake_services.app.state.tickets[number]["status"] == "replied"
        )
        reopened = await c.post(f"/q/{token}/ticket/reopen", data={**keys, "comment": "口径仍不清楚"})
        assert "已重新打开" in reopened.text and "办理中" in reopened.text
        assert fake_services.app.state.tickets[number]["reopen_reason"] == "口径仍不清楚"
        unknown = await c.post(f"/q/{token}/ticket/delete", data=keys)
        assert unknown.status_code == 404


async def test_a_ticket_lookup_cannot_smuggle_anything_into_the_service_request(  # type: ignore[no-untyped-def]
    qr_gateway, fake_services, staff_token
) -> None:
    """The number typed on the page goes into svc-talent's path: a crafted one (a second request line, a query of
    its own, a path step) must not reach the service, and must not show the ticket without its secret."""
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        code = await _issue(c, staff_token("officer"))
        filed = await c.post(
            f"/q/{code['token']}/tickets", data={"title": "厂房租金补贴", "type": "政策咨询"}
        )
        number = re.search(r'id="ticket-number">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        secret = re.search(r'id="ticket-secret">([^<]+)<', filed.text).group(1)  # type: ignore[union-attr]
        for crafted in (
            f"{number}?secret={secret} HTTP/1.1\r\nhost: x\r\n\r\nGET /api/v1/tickets/{number}",
            f"{number}?secret={secret}#",
            f"{number}?secret={secret}&x=",
            f"../tickets/{number}",
            f"{number} ",
        ):
            resp = await c.get(f"/q/{code['token']}/ticket", params={"number": crafted, "secret": "wrong"})
            assert resp.status_code == 404 and "编号或查询码不正确" in resp.text, crafted
            assert "厂房租金补贴" not in resp.text, crafted
        bad_secret = await c.get(
            f"/q/{code['token']}/ticket", params={"number": number, "secret": f"{secret}\r\nx-a: b"}
        )
        assert bad_secret.status_code == 404 and "厂房租金补贴" not in bad_secret.text
        # The kept-alive connections to the service are still in step: the genuine lookup answers correctly.
        for _ in range(3):
            ok = await c.get(f"/q/{code['token']}/ticket", params={"number": number, "secret": secret})
            assert ok.status_code == 200 and "厂房租金补贴" in ok.text


async def test_sections_whose_service_is_down_say_unavailable(  # type: ignore[no-untyped-def]
    gateway_settings, fake_services, serve_gateway, staff_token
) -> None:
    from kunruyi_launcher.infra import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings.model_copy(
        update={
            "upstream_policy_url": dead,
            "upstream_disbursement_url": dead,
            "upstream_talent_url": fake_services.url,
            "upstream_matching_url": f"{fake_services.url}/missing",  # answers 404 for every path
        }
    )
    async with serve_gateway(settings) as gw, httpx.AsyncClient(base_url=gw.url) as c:
        code = await _issue(c, staff_token("officer"))
        page = await c.get(f"/q/{code['token']}")
        assert page.status_code == 200
        assert page.text.count("该栏目暂不可用") == 3  # policies, brokers, the demand form's catalog
        assert "祖冲之人才公寓" in page.text
        demand = await c.post(
            f"/q/{code['token']}/demands",
            data={
                "title": "a",
                "description": "b",
                "demand_type": "技术攻关",
                "technical_field": "ic-test",
                "contact_name": "王工",
                "contact_phone": "13912345678",
                "consent": "yes",
            },
        )
        assert demand.status_code == 200 and "技术需求服务暂不可用" in demand.text


async def test_park_and_lounge_codes_show_what_fits_them(qr_gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        park = await _issue(c, staff_token("officer"), kind="park", target="PARK-1", name="昆山科技创业园")
        lounge = await _issue(
            c, staff_token("officer"), kind="lounge", target="LOUNGE-1", name="昆山人才会客厅"
        )
        park_page = (await c.get(f"/q/{park['token']}")).text
        lounge_page = (await c.get(f"/q/{lounge['token']}")).text
    assert "技术经纪人" in park_page and "发布技术需求" in park_page and "兑付情况" not in park_page
    assert (
        "人才租赁住房" in lounge_page
        and "发布技术需求" not in lounge_page
        # 直达政策 (the nav's first link) is there too: the talent policies, each opening its detail.
        and "直达政策</h2>" in lounge_page
        and f'href="/q/{lounge["token"]}/policies/KS-RC-101"' in lounge_page
    )


async def test_a_park_code_asks_which_company_posts_the_demand(
    qr_gateway, fake_services, staff_token
) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=qr_gateway.url) as c:
        park = await _issue(
            c,
            staff_token("officer"),
            kind="park",
            target="PARK-2",
            name="昆山科技创业园",
            industry_chain=None,
        )
        page = (await c.get(f"/q/{park['token']}")).text
        assert 'name="enterprise_uscc"' in page and 'name="industry_chain"' in page
        bad = await c.post(
            f"/q/{park['token']}/demands",
            data={
                "title": "a",
                "description": "b",
                "demand_type": "检测服务",
                "technical_field": "ic-test",
                "industry_chain": "ic",
                "enterprise_uscc": "123",
            },
        )
        assert "请填写正确的企业统一社会信用代码" in bad.text
        ok = await c.post(
            f"/q/{park['token']}/demands",
            data={
                "title": "可靠性测试",
                "description": "需要车规级芯片可靠性测试",
                "demand_type": "检测服务",
                "technical_field": "ic-test",
                "industry_chain": "ic",
                "enterprise_uscc": USCC.lower(),
                "contact_name": "李工",
                "contact_phone": "13912345678",
                "consent": "yes",
            },
        )
        assert "技术需求已提交" in ok.text
        assert fake_services.app.state.demands[-1]["enterprise_uscc"] == USCC
        assert fake_services.app.state.demands[-1]["industry_chain"] == "ic"


async def test_scans_at_once_are_each_counted_and_published_once(qr_gateway, staff_token, engine) -> None:  # type: ignore[no-untyped-def]
    """A crowd at a park's door: 30 scans at once are 30 on the code's count and 30 events numbered 1–30."""
    officer = staff_token("officer")
    async with httpx.AsyncClient(base_url=qr_gateway.url, timeout=30) as c:
        code = await _issue(c, officer, kind="park", target="PARK-CROWD-1", name="人群园区")
        pages = await asyncio.gather(*(c.get(f"/q/{code['token']}") for _ in range(30)))
        assert [p.status_code for p in pages] == [200] * 30
        await _scans_recorded(c, officer, code["id"], 30)
    async with engine.connect() as conn:
        counts = (
            await conn.execute(
                text(
                    "SELECT (envelope->'data'->>'scan_count')::int FROM outbox_events "
                    "WHERE type = 'kunruyi.gateway.service_code.scanned' AND envelope->'data'->>'code_id' = :id"
                ),
                {"id": code["id"]},
            )
        ).scalars()
        assert sorted(counts) == list(range(1, 31))
