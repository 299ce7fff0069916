"""The 昆e服 pages: ``/q/{token}``, server-rendered, light, readable without JavaScript."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.validators import InvalidIdentifier, is_valid_uscc, normalize_cn_mobile, parse_uscc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kunruyi_gateway.access.gate import client_address
from kunruyi_gateway.routing.proxy import Upstreams
from kunruyi_gateway.self_service.common import MODE_LABELS, STAGE_LABELS
from kunruyi_gateway.service_codes import service
from kunruyi_gateway.service_codes.models import ServiceCode
from kunruyi_gateway.service_codes.page_cache import PageCache
from kunruyi_gateway.service_codes.scans import ScanRecorder
from kunruyi_gateway.service_codes.tokens import parse_token
from kunruyi_gateway.service_codes.upstream import (
    ServiceCalls,
    catalog_policies,
    enterprise_policies,
    gather_sections,
)
from kunruyi_gateway.settings import Settings
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.csrf import tokens_match
from kunruyi_gateway.web.sessions import SignedIn, load_session
from kunruyi_gateway.web.templating import templates

router = APIRouter(tags=["昆e服"], include_in_schema=False)
TICKET_TYPES = (
    "政策咨询",
    "项目审批",
    "融资需求",
    "人才公寓",
    "落户",
    "子女入学",
    "医疗保健",
    "驾照申领",
    "出入境",
    "配偶就业",
    "其他诉求",
)
KIND_LABELS = {"enterprise": "企业", "park": "园区", "lounge": "人才会客厅"}
STATUS_LABELS = {
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "replied": "已答复",
    "resolved": "已解决",
    "closed": "已关闭",
}
_CONSENT_NEEDED = "请阅读并勾选同意个人信息处理告知后再提交"
# The key of an error about the whole form (not one field): shown above the form.
_FORM = ""
_WRONG_DEMAND = "需求编号或查询码不正确"
_WRONG_TICKET = "编号或查询码不正确"
RATING_OPTIONS = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"))
_PAGE_TIMEOUT_S = 3.0
VISIBILITY_OPTIONS = (
    ("brokers", "仅技术经纪人可见（推荐）"),
    ("private", "仅审核人员和承接的经纪人可见"),
    ("public", "公开"),
)
# What a ticket number and its access secret may look like (svc-talent issues e.g. ``KS20261121000001`` and a hex
# secret). Anything else is refused before it can reach an upstream request line.
_TICKET_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A catalog code (``KS-SB-012``) and a svc-policy list cursor, checked before they reach an upstream request.
_POLICY_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_CURSOR = re.compile(r"^[A-Za-z0-9_=-]{1,200}$")
# The "更多" page of a park's or a lounge's code: this many per page.
_POLICIES_PER_PAGE = 20


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, **context
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _normalized_uscc(value: str) -> str:
    """The canonical code when it is valid (checked before upper-casing); otherwise the input, shown back."""
    try:
        return parse_uscc(value).code
    except InvalidIdentifier:
        return value.strip()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _live_code(request: Request, token: str, *, record_scan: bool = False) -> ServiceCode | None:
    """The live code a token names (None when forged, unknown or revoked): from the replica's page cache, else in
    a short read of its own, so no database connection is held while the page waits on the services. A scan is
    recorded off the response path (``scans``)."""
    await request.app.state.gate.limiter.hit(_settings(request).public_rate, "qr", client_address(request))
    code_id = parse_token(token, _settings(request).service_code_secret)
    if code_id is None:
        return None
    cache: PageCache = request.app.state.qr_page_cache
    code = cache.code(code_id)
    if code is None:
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        async with sessionmaker() as session:
            code = await service.live_code(session, code_id)
        if code is None:
            return None
        cache.keep_code(code)
    if record_scan:
        scans: ScanRecorder = request.app.state.scan_recorder
        scans.record(code)
    return code


def _not_found() -> HTMLResponse:
    return _render("not_found.html", status=404)


# Each rendering of a form carries a fresh id, sent on as the Idempotency-Key: a double tap, a resend after a
# timeout, or the browser re-posting the form files one ticket or demand, not two.
_FORM_ID = re.compile(r"^[0-9a-f]{32}$")
_ALREADY_SENT = "这份表单已经提交过；如需再提交新的内容，请刷新页面后填写"


def _idempotency_key(kind: str, form_id: str) -> str | None:
    return f"qr-{kind}-{form_id}" if _FORM_ID.match(form_id) else None


def _reused_form(exc: UpstreamError) -> bool:
    return (
        exc.status == 409
        and isinstance(exc.body, dict)
        and exc.body.get("code") == "idempotency_key_conflict"
    )


async def _company_session(request: Request, code: ServiceCode) -> SignedIn | None:
    """The browser's 苏商通 session when it may file a demand on this code as the company itself (verified): an
    enterprise code of that company, or a park's code (where the company types its own code)."""
    signed_in = await load_session(request)
    if signed_in is None or signed_in.kind != "company":
        return None
    if code.kind == "enterprise" and signed_in.subject != (code.target or "").upper():
        return None
    return signed_in if code.kind in ("enterprise", "park") else None


async def _page(request: Request, code: ServiceCode, token: str, **extra: Any) -> HTMLResponse:
    upstreams: Upstreams = request.app.state.upstreams
    cache: PageCache = request.app.state.qr_page_cache
    sections = cache.sections(code.id)
    if sections is None:
        sections = await gather_sections(ServiceCalls(upstreams, _settings(request), code), code)
        if all(section.ok for section in sections.values()):  # a section 暂不可用 is asked again next time
            cache.keep_sections(code.id, sections)
    extra.setdefault("form_id", uuid.uuid4().hex)
    company = await _company_session(request, code)
    if company is not None and code.kind == "park":
        extra.setdefault("demand_form", {"enterprise_uscc": company.subject})
    return _render(
        "code_page.html",
        code=code,
        token=token,
        sections=sections,
        ticket_types=TICKET_TYPES,
        visibility_options=VISIBILITY_OPTIONS,
        demand_as_company=company is not None,
        csrf_token=company.csrf_token if company else "",
        contacts=_settings(request).center_contacts,
        **extra,
    )


@router.get("/q/{token}", response_class=HTMLResponse)
async def scan(token: str, request: Request) -> HTMLResponse:
    code = await _live_code(request, token, record_scan=True)
    if code is None:
        return _not_found()
    return await _page(request, code, token)


@router.get("/q/{token}/policies", response_class=HTMLResponse)
async def code_policies(token: str, request: Request, cursor: str = "", ranked: str = "") -> HTMLResponse:
    """直达政策, the whole list ("更多"): the code's company's policies (no amounts), or a page of the catalog for a
    park's companies or a lounge's talents, each opening its detail."""
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
    next_url = None
    if code.kind == "enterprise":
        section = await enterprise_policies(calls, code)
    else:
        good = cursor if _CURSOR.match(cursor) else None
        section = await catalog_policies(
            calls, code, limit=_POLICIES_PER_PAGE, cursor=good, ranked=(ranked == "1") if good else None
        )
        data = section.data or {}
        if data.get("next_cursor"):
            next_url = f"/q/{token}/policies?cursor={quote(data['next_cursor'])}&ranked={int(bool(data.get('ranked')))}"
    return _render(
        "code_policies.html",
        code=code,
        token=token,
        section=section,
        ranked=bool((section.data or {}).get("ranked")) if code.kind != "enterprise" else False,
        next_url=next_url,
        contacts=_settings(request).center_contacts,
    )


@router.get("/q/{token}/policies/{policy_code}", response_class=HTMLResponse)
async def code_policy(token: str, policy_code: str, request: Request) -> HTMLResponse:
    """One policy's detail from the catalog (conditions, materials, how to apply, legal source), public."""
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    policy: Any = None
    unavailable = False
    if _POLICY_CODE.match(policy_code):
        calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
        try:
            policy = await calls.call("policy", "GET", f"/api/v1/policies/{quote(policy_code, safe='')}")
        except UpstreamError as exc:
            unavailable = exc.status not in (404, 422)
    return _render(
        "code_policy.html",
        status=200 if policy else (503 if unavailable else 404),
        code=code,
        token=token,
        policy=policy if isinstance(policy, dict) else None,
        unavailable=unavailable,
        mode_labels=MODE_LABELS,
        stage_labels=STAGE_LABELS,
        contacts=_settings(request).center_contacts,
    )


@router.post("/q/{token}/tickets", response_class=HTMLResponse)
async def file_ticket(
    token: str,
    request: Request,
    title: str = Form(""),
    description: str = Form(""),
    type: str = Form("政策咨询"),
    requester_name: str = Form(""),
    requester_phone: str = Form(""),
    consent: str = Form(""),
    form_id: str = Form(""),
) -> HTMLResponse:
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    form = {
        "title": title.strip(),
        "description": description.strip(),
        "type": type,
        "requester_name": requester_name.strip(),
        "requester_phone": requester_phone.strip(),
    }
    # Each error keyed by the id of its field, in the form's order: the page shows it at the field and focuses the
    # first one (the form sits screens below the top of the page).
    errors: dict[str, str] = {}
    if type not in TICKET_TYPES:
        errors["t-type"] = "请选择诉求类型"
    if not form["title"]:
        errors["t-title"] = "请填写诉求标题"
    if form["requester_phone"]:
        try:
            form["requester_phone"] = normalize_cn_mobile(form["requester_phone"])
        except InvalidIdentifier as exc:
            errors["t-phone"] = exc.message
    if (form["requester_name"] or form["requester_phone"]) and consent != "yes":
        errors["consent-ticket"] = _CONSENT_NEEDED
    if errors:
        return await _page(
            request,
            code,
            token,
            ticket_errors=errors,
            ticket_form={**form, "consent": consent == "yes"},
            form_id=form_id,
        )
    calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
    payload = {
        **form,
        "channel": "qr",
        "service_code": str(code.id),
        "requester_name": form["requester_name"] or None,
        "requester_phone": form["requester_phone"] or None,
        "enterprise_uscc": code.target if code.kind == "enterprise" else None,
    }
    try:
        created = await calls.call(
            "talent",
            "POST",
            "/api/v1/tickets",
            json=payload,
            idempotency_key=_idempotency_key("ticket", form_id),
        )
    except UpstreamError as exc:
        if _reused_form(exc):
            return await _page(request, code, token, ticket_errors={_FORM: _ALREADY_SENT}, ticket_form=form)
        # The same form id again: if the ticket was filed after all, the resend shows it instead of a second one.
        return await _page(
            request,
            code,
            token,
            ticket_errors={_FORM: "诉求服务暂不可用，请稍后再试或拨打服务中心电话"},
            ticket_form=form,
            form_id=form_id,
        )
    return _render(
        "ticket_filed.html",
        code=code,
        token=token,
        ticket=created,
        contacts=_settings(request).center_contacts,
    )


async def _ticket_page(
    request: Request, code: ServiceCode, token: str, number: str, secret: str, **extra: Any
) -> HTMLResponse:
    ticket: Any = None
    error = None
    if not number or not secret:
        error = "请输入工单编号和查询码"
    elif not (_TICKET_PART.match(number) and _TICKET_PART.match(secret)):
        error = _WRONG_TICKET
    else:
        calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
        try:
            ticket = await calls.call(
                "talent", "GET", f"/api/v1/tickets/{quote(number, safe='')}", params={"secret": secret}
            )
        except UpstreamError as exc:
            error = _WRONG_TICKET if exc.status in (401, 403, 404, 422) else "诉求服务暂不可用，请稍后再试"
    return _render(
        "ticket_status.html",
        status=404 if error == _WRONG_TICKET else 200,
        code=code,
        token=token,
        ticket=ticket,
        error=error,
        number=number,
        secret=secret,
        rating_options=RATING_OPTIONS,
        contacts=_settings(request).center_contacts,
        **extra,
    )


@router.get("/q/{token}/ticket", response_class=HTMLResponse)
async def ticket_status(token: str, request: Request, number: str = "", secret: str = "") -> HTMLResponse:
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    return await _ticket_page(request, code, token, number.strip(), secret.strip())


@router.post("/q/{token}/ticket/{action}", response_class=HTMLResponse)
async def follow_up_ticket(
    token: str,
    action: str,
    request: Request,
    number: str = Form(""),
    secret: str = Form(""),
    rating: str = Form(""),
    comment: str = Form(""),
) -> HTMLResponse:
    """The requester, holding the number and query code, rates the answer or (after 不满意) reopens it."""
    code = await _live_code(request, token)
    if code is None or action not in ("rating", "reopen"):
        return _not_found()
    number, secret, comment = number.strip(), secret.strip(), comment.strip()
    if not (_TICKET_PART.match(number) and _TICKET_PART.match(secret)):
        return await _ticket_page(request, code, token, number, secret)
    follow_up = {"rating": rating, "comment": comment}
    field_errors = {}
    if action == "rating" and rating not in dict(RATING_OPTIONS):
        field_errors["rating"] = "请选择满意、基本满意或不满意"
    if action == "reopen" and not comment:
        field_errors["reopen_comment"] = "请写明仍未解决的问题，承办部门据此重新办理"
    if field_errors:
        return await _ticket_page(
            request, code, token, number, secret, field_errors=field_errors, follow_up=follow_up
        )
    body = {"rating": rating, "comment": comment or None} if action == "rating" else {"comment": comment}
    calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
    try:
        await calls.call(
            "talent",
            "POST",
            f"/api/v1/tickets/{quote(number, safe='')}/{action}",
            params={"secret": secret},
            json=body,
        )
    except UpstreamError as exc:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        key = "rating" if action == "rating" else "reopen_comment"
        return await _ticket_page(
            request,
            code,
            token,
            number,
            secret,
            field_errors={key: detail or "诉求服务暂不可用，请稍后再试"},
            follow_up=follow_up,
        )
    flash = "感谢评价" if action == "rating" else "已重新打开，承办部门将再次办理并答复"
    return await _ticket_page(request, code, token, number, secret, flash=flash)


@router.post("/q/{token}/demands", response_class=HTMLResponse)
async def post_demand(
    token: str,
    request: Request,
    title: str = Form(""),
    description: str = Form(""),
    demand_type: str = Form(""),
    technical_field: str = Form(""),
    industry_chain: str = Form(""),
    enterprise_uscc: str = Form(""),
    contact_name: str = Form(""),
    contact_phone: str = Form(""),
    visibility: str = Form("brokers"),
    consent: str = Form(""),
    csrf_token: str = Form(""),
    form_id: str = Form(""),
) -> HTMLResponse:
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    form: dict[str, Any] = {
        "title": title.strip(),
        "description": description.strip(),
        "demand_type": demand_type.strip(),
        "technical_field": technical_field.strip(),
        # An enterprise's code fixes the company (and its chain when it names one); a park's code asks for both.
        "industry_chain": code.industry_chain
        if code.kind == "enterprise" and code.industry_chain
        else industry_chain.strip(),
        "enterprise_uscc": code.target if code.kind == "enterprise" else _normalized_uscc(enterprise_uscc),
        "contact_name": contact_name.strip(),
        "contact_phone": contact_phone.strip(),
        # Not public unless the filer says so.
        "visibility": visibility if visibility in dict(VISIBILITY_OPTIONS) else "brokers",
    }
    errors: dict[str, str] = {}  # by field id, in the form's order (see file_ticket)
    if not form["title"]:
        errors["d-title"] = "请填写需求名称"
    if not form["description"]:
        errors["d-desc"] = "请填写需求描述"
    if not form["demand_type"]:
        errors["d-type"] = "请选择需求类型"
    if code.kind != "enterprise" and not is_valid_uscc(form["enterprise_uscc"]):
        errors["d-uscc"] = "请填写正确的企业统一社会信用代码（18 位）"
    if not form["industry_chain"]:
        errors["d-chain"] = "请选择产业链"
    if not form["technical_field"]:
        errors["d-field"] = "请选择技术领域"
    if not form["contact_name"]:
        errors["d-contact"] = "请填写联系人"
    try:
        form["contact_phone"] = normalize_cn_mobile(form["contact_phone"])
    except InvalidIdentifier:
        errors["d-phone"] = "请填写正确的联系电话（11 位手机号）"
    if consent != "yes":
        errors["consent-demand"] = _CONSENT_NEEDED
    if errors:
        return await _page(
            request,
            code,
            token,
            demand_errors=errors,
            demand_form={**form, "consent": consent == "yes"},
            form_id=form_id,
        )
    payload = {**form, "channel": "qr"}
    # A company signed in through 苏商通, filing for itself from its page (the form echoes its session's CSRF
    # token), files as itself: svc-matching marks the demand verified. Anyone else files as the code's visitor.
    company = await _company_session(request, code)
    as_company = (
        company is not None
        and company.subject == form["enterprise_uscc"]
        and tokens_match(company.csrf_token, csrf_token)
    )
    calls = (
        PageCalls.for_session(request, company, timeout_s=_PAGE_TIMEOUT_S)
        if as_company and company is not None
        else ServiceCalls(request.app.state.upstreams, _settings(request), code).visitor
    )
    try:
        created = await calls.call(
            "matching",
            "POST",
            "/api/v1/demands",
            json=payload,
            idempotency_key=_idempotency_key("demand", form_id),
        )
    except UpstreamError as exc:
        if _reused_form(exc):
            return await _page(request, code, token, demand_errors={_FORM: _ALREADY_SENT}, demand_form=form)
        message = "技术需求服务暂不可用，请稍后再试"
        if exc.status == 422 and isinstance(exc.body, dict):
            message = f"需求未能提交：{exc.body.get('detail') or '请检查填写内容'}"
        return await _page(
            request, code, token, demand_errors={_FORM: message}, demand_form=form, form_id=form_id
        )
    return _render(
        "demand_filed.html",
        code=code,
        token=token,
        demand=created or {},
        visibility_labels={value: text.removesuffix("（推荐）") for value, text in VISIBILITY_OPTIONS},
        contacts=_settings(request).center_contacts,
    )


@router.get("/q/{token}/demand", response_class=HTMLResponse)
async def demand_status(token: str, request: Request, number: str = "", secret: str = "") -> HTMLResponse:
    code = await _live_code(request, token)
    if code is None:
        return _not_found()
    number, secret = number.strip(), secret.strip()
    demand: Any = None
    error = None
    if not number and not secret:
        pass  # the lookup form, empty
    elif not number or not secret:
        error = "请输入需求编号和查询码"
    elif not (_TICKET_PART.match(number) and _TICKET_PART.match(secret)):
        error = _WRONG_DEMAND
    else:
        calls = ServiceCalls(request.app.state.upstreams, _settings(request), code)
        try:
            demand = await calls.call(
                "matching", "GET", "/api/v1/demands/lookup", params={"number": number, "secret": secret}
            )
        except UpstreamError as exc:
            error = _WRONG_DEMAND if exc.status in (404, 422) else "技术需求服务暂不可用，请稍后再试"
    return _render(
        "demand_status.html",
        status=404 if error == _WRONG_DEMAND else 200,
        code=code,
        token=token,
        demand=demand,
        error=error,
        number=number,
        contacts=_settings(request).center_contacts,
    )
