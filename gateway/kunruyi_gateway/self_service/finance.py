"""金融: a company's financing needs — file one (amount, term, purpose) and follow what banks answered."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from kunruyi_common.taxonomy import TAXONOMY

from kunruyi_gateway.self_service.common import FORM_ID, own_calls, page
from kunruyi_gateway.web.amounts import FEN_PER_WAN, FEN_PER_YUAN, AmountError, fen_of
from kunruyi_gateway.web.calls import PageCalls, UpstreamError
from kunruyi_gateway.web.sessions import SelfSession, SignedIn

router = APIRouter()


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
    # As the company itself: svc-matching answers a signed-in company about its own needs and their 对接 only
    # (a partner identity would read what every institution's partner reads).
    return own_calls(request, session)


def _finance_form(form: dict[str, Any] | None = None) -> dict[str, Any]:
    form = dict(form or {})
    form.setdefault("amount", "")
    form.setdefault("unit", "wan")
    form.setdefault("stage", "")
    form.setdefault("purpose", "")
    form.setdefault("collateral", [])
    form.setdefault("preferred", [])
    form.setdefault("term", "")
    if not FORM_ID.match(str(form.get("form_id") or "")):
        form["form_id"] = uuid.uuid4().hex
    return form


async def _finance(request: Request, session: SignedIn, **extra: Any) -> HTMLResponse:
    """金融: the company's own financing needs, newest first, and the form to file one."""
    if session.kind != "company":
        return await page(request, "self/finance.html", session, "finance", not_company=True, status=403)
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
    return await page(
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
        found = await own_calls(request, session).call(
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
        return await page(request, "self/finance.html", session, "finance", not_company=True, status=403)
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
        return await page(request, "self/finance_need.html", session, "finance", not_company=True, status=403)
    calls = _finance_calls(request, session)
    need: Any = None
    unavailable = False
    try:
        uuid.UUID(need_id)
        need = await calls.call("matching", "GET", f"/api/v1/financing/demands/{need_id}")
    except ValueError:
        need = None
    except UpstreamError as exc:
        # another company's need (403) is as unknown to this one as a need that does not exist
        unavailable = exc.status not in (403, 404, 422)
    if not isinstance(need, dict) or str(need.get("enterprise_uscc", "")).upper() != session.subject:
        return await page(
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
    return await page(
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
