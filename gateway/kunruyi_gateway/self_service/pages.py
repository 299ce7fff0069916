"""The "我的" pages on 昆e服 (``/m/…``): a signed-in company or talent sees and does its own business on the phone.

Every page reads through ``PageCalls`` and shows only the signed-in record's own data: the services that know
companies and talents are called as the browser's own principal; the others as a gateway identity holding the one
scope the page needs, with the owner filter set (and, for an item, checked) by the page itself. Every form carries
the session's CSRF token (the router checks every unsafe method)."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.clock import local_today
from kunruyi_common.taxonomy import TAXONOMY

from kunruyi_gateway.service_codes.upstream import compact_items
from kunruyi_gateway.web.amounts import FEN_PER_WAN, FEN_PER_YUAN, AmountError, fen_of
from kunruyi_gateway.web.calls import PageCalls, Section, UpstreamError, multipart_body
from kunruyi_gateway.web.csrf import CsrfProtected
from kunruyi_gateway.web.sessions import SelfSession, SignedIn
from kunruyi_gateway.web.templating import render, yuan

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

MODE_LABELS = {"automatic": "免申即享", "application": "在线申报", "quick": "即申即享"}
RESULT_LABELS = {
    "eligible": "符合条件",
    "needs_confirmation": "需人工确认",
    "ineligible": "暂不符合",
    "error": "无法判断",
}
# The steps a phone user sees on an application's timeline (the review stages collapsed to what they mean).
TIMELINE = (
    ("submitted", "受理"),
    ("first_review", "初审"),
    ("second_review", "复审"),
    ("public_notice", "公示"),
    ("approved", "审定"),
    ("paid", "拨付"),
)
# A policy's review stages as its detail page lists them (在线申报 → 受理 → 初审 … → 拨付).
STAGE_LABELS = {"accepted": "受理", **dict(TIMELINE)}
_STAGE_ORDER = {
    "submitted": 0,
    "pending_review": 0,
    "accepted": 0,
    "supplement_required": 0,
    "first_review": 1,
    "second_review": 2,
    "public_notice": 3,
    "approved": 4,
    "paid": 5,
}
ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/heic", "image/webp", "application/pdf")
MAX_ATTACHMENTS = 5
_POLICY_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_FORM_ID = re.compile(r"^[0-9a-f]{32}$")


def _own(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.for_session(request, session)


def _scoped(request: Request, session: SignedIn, scope: str) -> PageCalls:
    return PageCalls.as_service(
        request,
        f"gateway-self:{session.principal().subject}",
        f"我的页面（{session.display_name or ''}）",
        scopes=[scope],
    )


def _service(request: Request, session: SignedIn) -> PageCalls:
    return PageCalls.as_service(request, "gateway-self-pages", f"我的页面（{session.display_name or ''}）")


def _entity_type(session: SignedIn) -> str:
    return "enterprise" if session.kind == "company" else "talent"


async def _unread(request: Request, session: SignedIn) -> int | None:
    """The signed-in person's unread messages (the badge on 消息); None when the inbox cannot be read now."""
    try:
        found = await _own(request, session).call("talent", "GET", "/api/v1/messages", params={"limit": 1})
    except UpstreamError:
        return None
    count = found.get("unread") if isinstance(found, dict) else None
    return count if isinstance(count, int) else None


async def _page(request: Request, name: str, session: SignedIn, tab: str, **context: Any) -> HTMLResponse:
    if "unread" not in context:
        context["unread"] = await _unread(request, session)
    return await render(
        request,
        name,
        tab=tab,
        mode_labels=MODE_LABELS,
        result_labels=RESULT_LABELS,
        **context,
    )


@router.get("/m/", response_class=HTMLResponse)
async def home(request: Request, session: SelfSession) -> HTMLResponse:
    offers: list[dict[str, Any]] = []
    if session.kind == "talent":
        # A housing offer waiting for an answer is the one thing with a deadline: shown first on 我的.
        mine = await _own(request, session).section(
            "talent", "GET", "/api/v1/housing/applications", params={"talent_id": session.subject}
        )
        offers = [a["offer"] for a in mine.items if isinstance(a, dict) and a.get("offer")]
    return await _page(request, "self/home.html", session, "home", housing_offers=offers)


async def _calculator(request: Request, session: SignedIn, codes: list[str] | None = None) -> Section:
    # The calculator reads the signed-in record by id: the page asks as a gateway service for exactly that id.
    body: dict[str, Any] = {"entity_type": _entity_type(session), "entity_id": session.subject}
    if codes:
        body["policy_codes"] = codes
    section = await _service(request, session).section(
        "policy", "POST", "/api/v1/policy-calculator", json=body
    )
    # The calculator's default answer is compact (eligible, needs_confirmation …): one list for the page.
    section.items = compact_items(section.data)
    return section


@router.get("/m/policies", response_class=HTMLResponse)
async def my_policies(request: Request, session: SelfSession) -> HTMLResponse:
    section = await _calculator(request, session)
    shown = [r for r in section.items if r.get("status") in ("eligible", "needs_confirmation")]
    shown.sort(key=lambda r: (r.get("status") != "eligible", -(r.get("amount_fen") or 0)))
    return await _page(request, "self/policies.html", session, "policies", section=section, results=shown)


@router.get("/m/policies/{code}", response_class=HTMLResponse)
async def policy_detail(code: str, request: Request, session: SelfSession) -> HTMLResponse:
    if not _POLICY_CODE.match(code):
        return await _page(request, "self/policy.html", session, "policies", policy=None, status=404)
    calls = _own(request, session)
    policy: Any = None
    try:
        policy = await calls.call("policy", "GET", f"/api/v1/policies/{quote(code, safe='')}")
    except UpstreamError as exc:
        if exc.status != 404:
            return await _page(
                request, "self/policy.html", session, "policies", policy=None, unavailable=True, status=503
            )
    calculator = await _calculator(request, session, [code])
    mine = next((r for r in calculator.items if r.get("policy_code") == code), None)
    return await _page(
        request,
        "self/policy.html",
        session,
        "policies",
        policy=policy,
        mine=mine,
        stage_labels=STAGE_LABELS,
        status=200 if policy else 404,
    )


# ---------------------------------------------------------------------------------------------------------- 申报


async def _own_application(request: Request, session: SignedIn, application_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(application_id)
    except ValueError:
        return None
    calls = _scoped(request, session, "disbursement:read")
    try:
        found = await calls.call("disbursement", "GET", f"/api/v1/applications/{application_id}")
    except UpstreamError:
        return None
    if not isinstance(found, dict):
        return None
    owner = str(found.get("applicant_id") or "")
    return found if owner.upper() == session.subject.upper() else None


@router.get("/m/applications", response_class=HTMLResponse)
async def my_applications(request: Request, session: SelfSession) -> HTMLResponse:
    listed = await _scoped(request, session, "disbursement:read").section(
        "disbursement", "GET", "/api/v1/applications", params={"applicant_id": session.subject, "limit": 50}
    )
    calculator = await _calculator(request, session)
    appliable = [
        r
        for r in calculator.items
        if r.get("mode") in ("application", "quick") and r.get("status") in ("eligible", "needs_confirmation")
    ]
    return await _page(
        request, "self/applications.html", session, "applications", listed=listed, appliable=appliable
    )


def _apply_form(policy_code: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "policy_code": policy_code,
        "period": (form or {}).get("period") or str(local_today().year),
        "form_id": (form or {}).get("form_id") or uuid.uuid4().hex,
    }


@router.get("/m/applications/new", response_class=HTMLResponse)
async def new_application(request: Request, session: SelfSession, policy: str = "") -> HTMLResponse:
    found: Any = None
    if _POLICY_CODE.match(policy):
        try:
            found = await _own(request, session).call(
                "policy", "GET", f"/api/v1/policies/{quote(policy, safe='')}"
            )
        except UpstreamError:
            found = None
    if not found or found.get("mode") not in ("application", "quick"):
        return await _page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=None,
            form=_apply_form(policy),
            errors=["请从“我的政策”或“在线申报”中选择一项可在线申报的政策"],
            status=404,
        )
    return await _page(
        request, "self/apply.html", session, "applications", policy=found, form=_apply_form(policy)
    )


async def _check_files(
    files: list[UploadFile], max_bytes: int
) -> tuple[list[tuple[str, str, bytes]], str | None]:
    chosen = [f for f in files if f.filename]
    if len(chosen) > MAX_ATTACHMENTS:
        return [], f"一次最多上传 {MAX_ATTACHMENTS} 个材料"
    out = []
    for f in chosen:
        content_type = (f.content_type or "").split(";")[0].strip().lower()
        if content_type not in ATTACHMENT_TYPES:
            return [], f"“{f.filename}”不是照片或 PDF（支持 JPG、PNG、HEIC、WEBP、PDF）"
        content = await f.read(max_bytes + 1)
        if not content:
            return [], f"“{f.filename}”是空文件"
        if len(content) > max_bytes:
            return [], f"“{f.filename}”超过 {max_bytes // (1024 * 1024)} MB"
        out.append((f.filename or "attachment", content_type, content))
    return out, None


async def _upload(calls: PageCalls, application_id: str, files: list[tuple[str, str, bytes]]) -> str | None:
    for filename, content_type, content in files:
        body, multipart_type = multipart_body("file", filename, content_type, content)
        try:
            await calls.call(
                "disbursement",
                "POST",
                f"/api/v1/applications/{application_id}/attachments",
                body=body,
                content_type=multipart_type,
                timeout_s=30.0,
            )
        except UpstreamError as exc:
            detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
            return f"材料“{filename}”未能上传：{detail or '服务暂不可用'}"
    return None


_ATTACHMENT_LIMIT = 8 * 1024 * 1024


@router.post("/m/applications", response_class=HTMLResponse)
async def submit_application(
    request: Request,
    session: SelfSession,
    policy_code: str = Form(""),
    period: str = Form(""),
    form_id: str = Form(""),
    photos: list[UploadFile] | None = None,
    files: list[UploadFile] | None = None,
) -> Response:
    form = {"period": period.strip(), "form_id": form_id if _FORM_ID.match(form_id) else ""}
    policy: Any = None
    if _POLICY_CODE.match(policy_code):
        try:
            policy = await _own(request, session).call(
                "policy", "GET", f"/api/v1/policies/{quote(policy_code, safe='')}"
            )
        except UpstreamError:
            policy = None
    field_errors: dict[str, str] = {}
    if not policy or policy.get("mode") not in ("application", "quick"):
        field_errors["policy_code"] = "这项政策不能在线申报"
    if not re.fullmatch(r"\d{4}", form["period"]):
        field_errors["period"] = "请填写申报年度（4 位数字，如 2026）"
    picked, file_error = await _check_files([*(photos or []), *(files or [])], _ATTACHMENT_LIMIT)
    if file_error:
        field_errors["files"] = file_error
    if field_errors:
        return await _page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=policy,
            form=_apply_form(policy_code, form),
            field_errors=field_errors,
            status=422,
        )
    calls = _scoped(request, session, "disbursement:write")
    payload = {
        "policy_code": policy_code,
        "applicant_type": _entity_type(session),
        "applicant_id": session.subject,
        "period": form["period"],
        "channel": "api",
    }
    try:
        created = await calls.call(
            "disbursement",
            "POST",
            "/api/v1/applications",
            json=payload,
            idempotency_key=f"m-apply-{form['form_id']}" if form["form_id"] else None,
        )
    except UpstreamError as exc:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        field = exc.body.get("field") if isinstance(exc.body, dict) else None
        key = field if field in ("period", "policy_code") else "policy_code"
        return await _page(
            request,
            "self/apply.html",
            session,
            "applications",
            policy=policy,
            form=_apply_form(policy_code, form),
            field_errors={key: f"申报未能提交：{detail or '服务暂不可用，请稍后再试'}"},
            status=exc.status if exc.status and 400 <= exc.status < 500 else 503,
        )
    application_id = str(created["id"])
    upload_error = await _upload(calls, application_id, picked)
    target = f"/m/applications/{application_id}?submitted=1"
    if upload_error:
        target += "&upload_failed=1"
    return RedirectResponse(target, status_code=303)


@router.get("/m/applications/{application_id}", response_class=HTMLResponse)
async def application_detail(
    application_id: str, request: Request, session: SelfSession, submitted: str = "", upload_failed: str = ""
) -> HTMLResponse:
    found = await _own_application(request, session, application_id)
    if found is None:
        return await _page(request, "self/application.html", session, "applications", app=None, status=404)
    at = _STAGE_ORDER.get(str(found.get("status")), -1)
    timeline = [
        {
            "label": label,
            "state": "done" if i < at or (i == at and i == 5) else "current" if i == at else "todo",
        }
        for i, (_, label) in enumerate(TIMELINE)
    ]
    flash = "申报已提交，请留意审核进度" if submitted else None
    errors = ["申报已提交，但有材料未能上传，请在下方补充上传"] if upload_failed else None
    return await _page(
        request,
        "self/application.html",
        session,
        "applications",
        app=found,
        timeline=timeline,
        flash=flash,
        errors=errors,
    )


@router.post("/m/applications/{application_id}/supplement", response_class=HTMLResponse)
async def answer_supplement(
    application_id: str,
    request: Request,
    session: SelfSession,
    photos: list[UploadFile] | None = None,
    files: list[UploadFile] | None = None,
) -> Response:
    found = await _own_application(request, session, application_id)
    if found is None:
        return await _page(request, "self/application.html", session, "applications", app=None, status=404)
    picked, file_error = await _check_files([*(photos or []), *(files or [])], _ATTACHMENT_LIMIT)
    if not picked and not file_error:
        file_error = "请拍照或选择要补正的材料"
    if file_error or found.get("status") != "supplement_required":
        return await _page(
            request,
            "self/application.html",
            session,
            "applications",
            app=found,
            timeline=[],
            field_errors={"files": file_error or "这份申报现在不需要补正"},
            status=422,
        )
    calls = _scoped(request, session, "disbursement:write")
    upload_error = await _upload(calls, application_id, picked)
    if upload_error is None:
        try:
            await calls.call(
                "disbursement", "POST", f"/api/v1/applications/{application_id}/resubmit", json={}
            )
        except UpstreamError as exc:
            detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
            upload_error = f"补正未能提交：{detail or '服务暂不可用'}"
    if upload_error:
        return await _page(
            request,
            "self/application.html",
            session,
            "applications",
            app=found,
            timeline=[],
            field_errors={"files": upload_error},
            status=422,
        )
    return RedirectResponse(f"/m/applications/{application_id}?submitted=1", status_code=303)


# ---------------------------------------------------------------------------------------------------------- 资金


@router.get("/m/funds", response_class=HTMLResponse)
async def my_funds(request: Request, session: SelfSession) -> HTMLResponse:
    listed = await _own(request, session).section(
        "disbursement", "GET", "/api/v1/disbursements", params={"entity_id": session.subject, "limit": 100}
    )
    settled = sum(int(d.get("amount_fen") or 0) for d in listed.items if d.get("status") == "settled")
    return await _page(request, "self/funds.html", session, "funds", listed=listed, settled_fen=settled)


# ---------------------------------------------------------------------------------------------------------- 诉求


@router.get("/m/requests", response_class=HTMLResponse)
async def my_requests(request: Request, session: SelfSession) -> HTMLResponse:
    demands: Section | None = None
    # svc-talent gives a talent their own tickets and a company those filed for it.
    tickets = await _own(request, session).section("talent", "GET", "/api/v1/tickets", params={"limit": 50})
    if session.kind == "company":
        demands = await _scoped(request, session, "matching:read").section(
            "matching", "GET", "/api/v1/demands", params={"enterprise_uscc": session.subject, "limit": 50}
        )
        if demands.ok:
            demands.items = [
                d for d in demands.items if str(d.get("enterprise_uscc", "")).upper() == session.subject
            ]
    return await _page(request, "self/requests.html", session, "requests", tickets=tickets, demands=demands)


_TICKET_NUMBER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RATING_OPTIONS = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"))


async def _ticket(request: Request, session: SignedIn, number: str, **extra: Any) -> HTMLResponse:
    """One of the signed-in company's or talent's tickets (svc-talent answers 403 for anyone else's)."""
    ticket: Any = None
    problem = None
    if not _TICKET_NUMBER.match(number):
        problem = "没有这个诉求"
    else:
        try:
            ticket = await _own(request, session).call("talent", "GET", f"/api/v1/tickets/{quote(number)}")
        except UpstreamError as exc:
            problem = (
                "这不是您的诉求" if exc.status == 403 else "没有这个诉求" if exc.status == 404 else None
            ) or "诉求服务暂不可用，请稍后再试"
    status = (
        200 if ticket else 403 if problem == "这不是您的诉求" else 404 if problem == "没有这个诉求" else 200
    )
    return await _page(
        request,
        "self/request.html",
        session,
        "requests",
        ticket=ticket,
        problem=problem,
        rating_options=RATING_OPTIONS,
        status=status,
        **extra,
    )


@router.get("/m/requests/{number}", response_class=HTMLResponse)
async def request_detail(number: str, request: Request, session: SelfSession) -> HTMLResponse:
    return await _ticket(
        request, session, number, flash=_FOLLOW_UP_DONE.get(request.query_params.get("done", ""))
    )


_FOLLOW_UP_DONE = {"rating": "感谢评价", "reopen": "已重新打开，承办部门将再次办理并答复"}


@router.post("/m/requests/{number}/{action}", response_class=HTMLResponse)
async def follow_up_request(
    number: str,
    action: str,
    request: Request,
    session: SelfSession,
    rating: str = Form(""),
    comment: str = Form(""),
) -> Response:
    """Rate the answer (once per answer) or, after 不满意, reopen it within 7 days — as the signed-in filer."""
    if action not in _FOLLOW_UP_DONE or not _TICKET_NUMBER.match(number):
        return await _ticket(request, session, "")
    comment = comment.strip()
    follow_up = {"rating": rating, "comment": comment}
    if action == "rating" and rating not in dict(RATING_OPTIONS):
        return await _ticket(
            request,
            session,
            number,
            field_errors={"rating": "请选择满意、基本满意或不满意"},
            follow_up=follow_up,
        )
    if action == "reopen" and not comment:
        return await _ticket(
            request,
            session,
            number,
            field_errors={"reopen_comment": "请写明仍未解决的问题，承办部门据此重新办理"},
            follow_up=follow_up,
        )
    body = {"rating": rating, "comment": comment or None} if action == "rating" else {"comment": comment}
    try:
        await _own(request, session).call(
            "talent", "POST", f"/api/v1/tickets/{quote(number)}/{action}", json=body
        )
    except UpstreamError as exc:
        if exc.status == 403:
            return await _ticket(request, session, number)
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        key = "rating" if action == "rating" else "reopen_comment"
        return await _ticket(
            request,
            session,
            number,
            field_errors={key: detail or "诉求服务暂不可用，请稍后再试"},
            follow_up=follow_up,
        )
    return RedirectResponse(f"/m/requests/{quote(number)}?done={action}", status_code=303)


# ---------------------------------------------------------------------------------------------------------- 金融
# A company files its financing need (融资需求) and sees the products svc-matching matches to it, with the reasons,
# and how far each 对接 has gone. svc-matching is called as a gateway identity holding ``finance:write``; the page
# files only for the signed-in company and shows a need only when it is the company's own (another's: 404).

FINANCE_UNITS = (("wan", "万元"), ("yuan", "元"))
_UNIT_FEN = {"wan": FEN_PER_WAN, "yuan": FEN_PER_YUAN}
FINANCE_TERMS = (
    ("", "不限"),
    ("6", "6 个月"),
    ("12", "1 年"),
    ("24", "2 年"),
    ("36", "3 年"),
    ("60", "5 年"),
)
_MAX_FINANCE_FEN = 10**15


def _term_label(months: Any) -> str:
    """A wished term as the form offers it (1 年, 6 个月); none: 不限."""
    if not months:
        return "不限"
    return dict(FINANCE_TERMS).get(str(months), f"{months} 个月")


_PURPOSE_MAX = 2000  # what svc-matching keeps


def finance_amount_fen(text: str, unit: str) -> tuple[int | None, str | None]:
    """``"300"`` 万元 → 300,000,000 fen; ``"12,345.67"`` 元 → 1,234,567. Otherwise (None, why) for the field."""
    if unit not in _UNIT_FEN:
        return None, "请选择金额单位（万元或元）" if text.strip() else "请填写融资金额"
    fen = fen_of(text, fen_per_unit=_UNIT_FEN[unit], max_fen=_MAX_FINANCE_FEN)
    if isinstance(fen, int):
        return fen, None
    return None, {
        AmountError.EMPTY: "请填写融资金额",
        AmountError.NOT_A_NUMBER: f"“{text.strip()}”不是金额，请填写数字，如 300",
        AmountError.NOT_POSITIVE: "融资金额须大于 0",
        AmountError.FINER_THAN_A_FEN: "金额最多精确到分（万元最多六位小数，元最多两位小数）",
        AmountError.TOO_LARGE: "融资金额过大，请核对单位",
    }[fen]


def _finance_calls(request: Request, session: SignedIn) -> PageCalls:
    return _scoped(request, session, "finance:write")


def _finance_form(form: dict[str, Any] | None = None) -> dict[str, Any]:
    form = dict(form or {})
    form.setdefault("amount", "")
    form.setdefault("unit", "wan")
    form.setdefault("stage", "")
    form.setdefault("purpose", "")
    form.setdefault("collateral", [])
    form.setdefault("preferred", [])
    form.setdefault("term", "")
    if not _FORM_ID.match(str(form.get("form_id") or "")):
        form["form_id"] = uuid.uuid4().hex
    return form


async def _finance(request: Request, session: SignedIn, **extra: Any) -> HTMLResponse:
    """金融: the company's own financing needs, newest first, and the form to file one."""
    if session.kind != "company":
        return await _page(request, "self/finance.html", session, "finance", not_company=True, status=403)
    calls = _finance_calls(request, session)
    vocabularies = await calls.section("matching", "GET", "/api/v1/financing/vocabularies")
    needs = await calls.section(
        "matching",
        "GET",
        "/api/v1/financing/demands",
        params={"enterprise_uscc": session.subject, "limit": 50},
    )
    needs.items = [d for d in needs.items if str(d.get("enterprise_uscc", "")).upper() == session.subject]
    vocab = vocabularies.data if vocabularies.ok and isinstance(vocabularies.data, dict) else {}
    extra.setdefault("form", _finance_form())
    return await _page(
        request,
        "self/finance.html",
        session,
        "finance",
        needs=needs,
        vocabularies=vocabularies,
        stage_options=[("", "请选择"), *((t["code"], t["label"]) for t in vocab.get("stages") or [])],
        collateral_options=[(t["code"], t["label"]) for t in vocab.get("collateral_kinds") or []],
        product_options=[(t["code"], t["label"]) for t in vocab.get("product_kinds") or []],
        unit_options=FINANCE_UNITS,
        term_options=FINANCE_TERMS,
        **extra,
    )


@router.get("/m/finance", response_class=HTMLResponse)
async def my_finance(request: Request, session: SelfSession) -> HTMLResponse:
    return await _finance(request, session)


async def _company_chain(request: Request, session: SignedIn) -> str | None:
    """The company's industry chain on its record (svc-talent), which products aimed at a chain match on, as the
    shared taxonomy's code; a chain the taxonomy does not know is left out rather than refused."""
    try:
        found = await _own(request, session).call(
            "talent", "GET", f"/api/v1/enterprises/{quote(session.subject, safe='')}"
        )
    except UpstreamError:
        return None
    chain = found.get("industry_chain") if isinstance(found, dict) else None
    return TAXONOMY.industry_chains.lookup(chain) if isinstance(chain, str) and chain else None


_FINANCE_FIELDS = {
    "amount_fen": "amount",
    "stage": "stage",
    "purpose": "purpose",
    "collateral_kinds": "collateral",
    "preferred_kinds": "preferred",
}


@router.post("/m/finance", response_class=HTMLResponse)
async def file_financing_need(
    request: Request,
    session: SelfSession,
    amount: str = Form(""),
    unit: str = Form("wan"),
    stage: str = Form(""),
    purpose: str = Form(""),
    collateral: list[str] = Form(default=[]),
    preferred: list[str] = Form(default=[]),
    term: str = Form(""),
    form_id: str = Form(""),
) -> Response:
    if session.kind != "company":
        return await _page(request, "self/finance.html", session, "finance", not_company=True, status=403)
    form = _finance_form(
        {
            "amount": amount.strip(),
            "unit": unit,
            "stage": stage,
            "purpose": purpose.strip(),
            "collateral": collateral,
            "preferred": preferred,
            "term": term,
            "form_id": form_id,
        }
    )
    field_errors: dict[str, str] = {}
    amount_fen, amount_error = finance_amount_fen(amount, unit)
    if amount_error:
        field_errors["amount"] = amount_error
    if not stage:
        field_errors["stage"] = "请选择企业所处阶段"
    if not form["purpose"]:
        field_errors["purpose"] = "请写明资金用途，如“扩产流动资金”"
    elif len(form["purpose"]) > _PURPOSE_MAX:
        field_errors["purpose"] = f"资金用途最多 {_PURPOSE_MAX} 字"
    if term not in dict(FINANCE_TERMS):
        field_errors["term"] = "请选择期望期限"
    if field_errors:
        return await _finance(request, session, form=form, field_errors=field_errors, status=422)
    body: dict[str, Any] = {
        "enterprise_uscc": session.subject,
        "enterprise_name": session.display_name or session.subject,
        "amount_fen": amount_fen,
        "stage": stage,
        "purpose": form["purpose"],
        "term_months": int(term) if term else None,
        "collateral_kinds": collateral,
        "preferred_kinds": preferred,
    }
    chain = await _company_chain(request, session)
    calls = _finance_calls(request, session)
    key = f"m-finance-{form['form_id']}"
    try:
        created = await calls.call(
            "matching",
            "POST",
            "/api/v1/financing/demands",
            json={**body, "industry_chain": chain},
            idempotency_key=key,
        )
    except UpstreamError as exc:
        problem = exc.body if isinstance(exc.body, dict) else {}
        detail = problem.get("detail") or "金融服务暂不可用，请稍后再试"
        where = str(problem.get("field") or "").split(".")[0]
        field = _FINANCE_FIELDS.get(where)
        errors = None if field else [f"融资需求未能提交：{detail}"]
        return await _finance(
            request,
            session,
            form=form,
            field_errors={field: f"融资需求未能提交：{detail}"} if field else {},
            errors=errors,
            status=exc.status if exc.status and 400 <= exc.status < 500 else 503,
        )
    return RedirectResponse(f"/m/finance/{created['id']}?filed=1", status_code=303)


@router.get("/m/finance/{need_id}", response_class=HTMLResponse)
async def financing_need(
    need_id: str, request: Request, session: SelfSession, filed: str = ""
) -> HTMLResponse:
    """One of the company's needs: the products matched to it with the reasons, and each 对接's stage."""
    if session.kind != "company":
        return await _page(
            request, "self/finance_need.html", session, "finance", not_company=True, status=403
        )
    calls = _finance_calls(request, session)
    need: Any = None
    unavailable = False
    try:
        uuid.UUID(need_id)
        need = await calls.call("matching", "GET", f"/api/v1/financing/demands/{need_id}")
    except ValueError:
        need = None
    except UpstreamError as exc:
        unavailable = exc.status not in (404, 422)
    if not isinstance(need, dict) or str(need.get("enterprise_uscc", "")).upper() != session.subject:
        return await _page(
            request,
            "self/finance_need.html",
            session,
            "finance",
            need=None,
            unavailable=unavailable,
            status=503 if unavailable else 404,
        )
    matches = await calls.section(
        "matching", "GET", f"/api/v1/financing/demands/{need_id}/matches", params={"all": "true"}
    )
    pipelines = await calls.section("matching", "GET", f"/api/v1/financing/demands/{need_id}/pipelines")
    products = {
        str(m["product"]["id"]): m["product"] for m in matches.items if isinstance(m.get("product"), dict)
    }
    for p in pipelines.items:
        p["product"] = products.get(str(p.get("product_id")))
    return await _page(
        request,
        "self/finance_need.html",
        session,
        "finance",
        need=need,
        matches=matches,
        matched=[m for m in matches.items if m.get("matched")],
        unmatched=[m for m in matches.items if not m.get("matched")],
        pipelines=pipelines,
        term=_term_label(need.get("term_months")),
        flash="融资需求已提交，以下是为您匹配的金融产品" if filed else None,
    )


# ---------------------------------------------------------------------------------------------------------- 人才公寓


async def _housing(request: Request, session: SignedIn, **extra: Any) -> HTMLResponse:
    calls = _own(request, session)
    projects = await calls.section("talent", "GET", "/api/v1/housing/projects")
    mine = await calls.section(
        "talent", "GET", "/api/v1/housing/applications", params={"talent_id": session.subject}
    )
    options = [
        (
            str(p.get("code")),
            f"{p.get('name')}（{p.get('district')}，月租 {yuan(p.get('monthly_rent_fen'))}）",
        )
        for p in projects.items
    ]
    return await _page(
        request,
        "self/housing.html",
        session,
        "housing",
        projects=projects,
        mine=mine,
        project_options=options,
        project_names={str(p.get("code")): str(p.get("name")) for p in projects.items},
        **extra,
    )


@router.get("/m/housing", response_class=HTMLResponse)
async def my_housing(request: Request, session: SelfSession) -> HTMLResponse:
    if session.kind != "talent":
        return await _page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    return await _housing(request, session)


@router.post("/m/housing/apply", response_class=HTMLResponse)
async def apply_housing(request: Request, session: SelfSession, project_code: str = Form("")) -> Response:
    if session.kind != "talent":
        return await _page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    try:
        await _own(request, session).call(
            "talent",
            "POST",
            "/api/v1/housing/applications",
            json={"talent_id": session.subject, "project_code": project_code},
        )
    except UpstreamError as exc:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        return await _housing(
            request, session, field_errors={"project_code": detail or "申请未能提交，请稍后再试"}
        )
    return RedirectResponse("/m/housing?applied=1", status_code=303)


@router.post("/m/housing/offers/{offer_id}/{decision}", response_class=HTMLResponse)
async def answer_offer(offer_id: str, decision: str, request: Request, session: SelfSession) -> Response:
    if session.kind != "talent" or decision not in ("accept", "decline"):
        return await _page(request, "self/housing.html", session, "housing", not_talent=True, status=403)
    try:
        uuid.UUID(offer_id)
        await _own(request, session).call("talent", "POST", f"/api/v1/housing/offers/{offer_id}/{decision}")
    except (ValueError, UpstreamError) as exc:
        detail = (
            exc.body.get("detail") if isinstance(exc, UpstreamError) and isinstance(exc.body, dict) else None
        )
        return await _housing(request, session, errors=[detail or "未能答复配租通知，请稍后再试"])
    return RedirectResponse(f"/m/housing?{decision}ed=1", status_code=303)


# ---------------------------------------------------------------------------------------------------------- 消息

_MESSAGE_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_CURSOR = re.compile(r"^[A-Za-z0-9_=-]{1,200}$")


def _local_link(link: Any) -> str | None:
    """A message's link, only when it is a page of this site (never another origin)."""
    if isinstance(link, str) and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


async def _messages(request: Request, session: SignedIn, cursor: str = "", **extra: Any) -> HTMLResponse:
    calls = _own(request, session)
    params: dict[str, Any] = {"limit": 20}
    if cursor and _CURSOR.match(cursor):
        params["cursor"] = cursor
    inbox = await calls.section("talent", "GET", "/api/v1/messages", params=params)
    for m in inbox.items:
        m["local_link"] = _local_link(m.get("link"))
    unread = inbox.data.get("unread") if inbox.ok and isinstance(inbox.data, dict) else None
    next_cursor = inbox.data.get("next_cursor") if inbox.ok and isinstance(inbox.data, dict) else None
    if "preferences" not in extra:
        extra["preferences"] = await calls.section("talent", "GET", "/api/v1/messages/preferences")
    prefs = extra["preferences"]
    if "form" not in extra:
        quiet = prefs.data.get("quiet_hours") if prefs.ok and isinstance(prefs.data, dict) else None
        extra["form"] = {
            "sms_kinds": list(prefs.data.get("sms_kinds") or []) if prefs.ok else [],
            "quiet_start": str(quiet["start"]) if quiet else "",
            "quiet_end": str(quiet["end"]) if quiet else "",
        }
    kinds = prefs.data.get("kinds") if prefs.ok and isinstance(prefs.data, dict) else None
    return await _page(
        request,
        "self/messages.html",
        session,
        "messages",
        inbox=inbox,
        unread=unread if isinstance(unread, int) else None,
        next_cursor=next_cursor,
        kinds=kinds or [],
        **extra,
    )


@router.get("/m/messages", response_class=HTMLResponse)
async def my_messages(request: Request, session: SelfSession, cursor: str = "") -> HTMLResponse:
    return await _messages(request, session, cursor)


@router.post("/m/messages/read-all", response_class=HTMLResponse)
async def read_all_messages(request: Request, session: SelfSession) -> Response:
    try:
        await _own(request, session).call("talent", "POST", "/api/v1/messages/read-all")
    except UpstreamError:
        return await _messages(request, session, errors=["未能标为已读，请稍后再试"], status=503)
    return RedirectResponse("/m/messages?all_read=1", status_code=303)


@router.post("/m/messages/{message_id}/read", response_class=HTMLResponse)
async def read_message(
    message_id: str, request: Request, session: SelfSession, open_link: str = Form("")
) -> Response:
    if not _MESSAGE_ID.match(message_id):
        return await _messages(request, session, errors=["没有这条消息"], status=404)
    try:
        read = await _own(request, session).call("talent", "POST", f"/api/v1/messages/{message_id}/read")
    except UpstreamError as exc:
        missing = exc.status in (404, 422)
        return await _messages(
            request,
            session,
            errors=["没有这条消息" if missing else "未能标为已读，请稍后再试"],
            status=404 if missing else 503,
        )
    link = _local_link(read.get("link")) if isinstance(read, dict) else None
    if open_link and link:
        return RedirectResponse(link, status_code=303)
    return RedirectResponse("/m/messages?read=1", status_code=303)


def _hour(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"\d{1,2}", value) and int(value) <= 23 else None


@router.post("/m/messages/preferences", response_class=HTMLResponse)
async def save_preferences(
    request: Request,
    session: SelfSession,
    sms_kinds: list[str] = Form(default=[]),
    quiet_start: str = Form(""),
    quiet_end: str = Form(""),
) -> Response:
    calls = _own(request, session)
    form = {"sms_kinds": sms_kinds, "quiet_start": quiet_start.strip(), "quiet_end": quiet_end.strip()}
    field_errors: dict[str, str] = {}
    start, end = _hour(quiet_start), _hour(quiet_end)
    if form["quiet_start"] or form["quiet_end"]:
        if start is None:
            field_errors["quiet_start"] = "请填写 0–23 之间的整点（北京时间），如 22"
        if end is None:
            field_errors["quiet_end"] = "请填写 0–23 之间的整点（北京时间），如 8"
        if start is not None and start == end:
            field_errors["quiet_end"] = "结束时间不能与开始时间相同"
    preferences = await calls.section("talent", "GET", "/api/v1/messages/preferences")
    if not field_errors:
        body = {
            "sms_kinds": sms_kinds,
            "quiet_hours": {"start": start, "end": end} if start is not None and end is not None else None,
        }
        try:
            await calls.call("talent", "PUT", "/api/v1/messages/preferences", json=body)
        except UpstreamError as exc:
            problem = exc.body if isinstance(exc.body, dict) else {}
            field = str(problem.get("field") or "")
            detail = problem.get("detail") or "设置未能保存，请稍后再试"
            key = (
                "quiet_start"
                if "start" in field
                else "quiet_end"
                if "end" in field or "quiet" in field
                else "sms_kinds"
            )
            field_errors[key] = f"设置未能保存：{detail}"
    if field_errors:
        return await _messages(
            request, session, preferences=preferences, form=form, field_errors=field_errors, status=422
        )
    return RedirectResponse("/m/messages?saved=1#preferences", status_code=303)
