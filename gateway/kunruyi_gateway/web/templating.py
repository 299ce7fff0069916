"""One Jinja2 environment for every gateway page (昆e服, "我的" pages, the staff console).

Templates live in ``kunruyi_gateway/templates`` (the 昆e服 pages at the top, the shared layout in
``web/layout.html``). ``render`` adds the request's web session, its CSRF token and these helpers:

- ``{{ fen | yuan }}`` — integer fen as money in 元 (``¥12,345.00``; ``—`` for none);
- ``{{ value | cn_date }}`` / ``{{ value | cn_datetime }}`` — a date or UTC timestamp on Beijing time
  (``2026年12月5日``, ``2026年12月5日 14:05``);
- ``{{ status | status_label }}`` — a service's status value in Chinese (unknown values shown as they are);
- ``{{ text | tel_links }}`` — the phone numbers in a text (``0512-5751 0000``, ``13912345678``) as tap-to-call
  ``tel:`` links, the rest escaped;
- ``{{ csrf_input() }}`` — the hidden ``csrf_token`` field for a form;
- ``{{ static_url('vendor/htmx.min.js') }}`` — a gateway-served asset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from kunruyi_common.clock import LOCAL_TZ
from markupsafe import Markup, escape

from kunruyi_gateway.web.csrf import CSRF_FIELD
from kunruyi_gateway.web.sessions import load_session

STATUS_LABELS: dict[str, str] = {
    # policy modes (兑现方式)
    "automatic": "免申即享",
    "application": "在线申报",
    "quick": "即申即享",
    # tickets (诉求)
    "submitted": "已提交",
    "accepted": "已受理",
    "in_progress": "办理中",
    "replied": "已答复",
    "resolved": "已解决",
    "closed": "已关闭",
    # applications (申报) and their review stages
    "draft": "草稿",
    "pending_review": "待审核",
    "reviewing": "审核中",
    "first_review": "初审",
    "second_review": "复审",
    "final_review": "审定",
    "supplement_required": "待补正",
    "public_notice": "公示中",
    "approved": "已审定",
    "rejected": "未通过",
    "withdrawn": "已撤回",
    "paid": "已拨付",
    "ineligible": "不符合条件",
    # disbursements and payments (资金)
    "pending_approval": "待审批",
    "awaiting_budget": "等待预算",
    "reserved": "已占用预算",
    "instructing": "支付指令发送中",
    "instructed": "银行处理中",
    "settled": "已到账",
    "failed": "支付失败",
    "returned": "已退回",
    "pending": "处理中",
    # demands (需求) and their pipeline
    "intake": "待分派",
    "unassigned": "待分派",
    "assigned": "已分派经纪人",
    "recommended": "已推荐",
    "negotiating": "洽谈中",
    "signed": "已签约",
    "contract_registered": "合同已登记",
    "published": "已发布",
    # housing (人才公寓)
    "waiting": "轮候中",
    "offered": "已配房待确认",
    "housed": "已入住",
    "declined": "已放弃",
    "lapsed": "已过期",
    "available": "可申请",
    "occupied": "已入住",
    "awarded": "已揭榜",
}


# A mainland phone number as written on a page: a mobile (11 digits, maybe spaced) or a landline with area code.
_PHONE = re.compile(
    r"(?<![0-9])(1[3-9][0-9](?:[ -]?[0-9]{4}){2}|0[1-9][0-9]{1,2}-[0-9]{3,4} ?[0-9]{4})(?![0-9])"
)


def tel_links(text: Any) -> Markup:
    """The text with each phone number a ``tel:`` link (escaped; the link's number without spaces or dashes)."""
    out, last = [], 0
    value = "" if text is None else str(text)
    for m in _PHONE.finditer(value):
        digits = re.sub(r"[ -]", "", m.group(0))
        out.append(escape(value[last : m.start()]))
        out.append(Markup('<a class="tel" href="tel:{}">{}</a>').format(digits, m.group(0)))
        last = m.end()
    out.append(escape(value[last:]))
    return Markup("").join(out)


def yuan(fen: Any) -> str:
    """Integer fen as money in 元: ``123450`` → ``¥1,234.50``."""
    if fen is None or fen == "":
        return "—"
    try:
        value = Decimal(int(fen)) / 100
    except (TypeError, ValueError):
        return str(fen)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def wan(fen: Any) -> str:
    """Integer fen in 万元, as financing is spoken of: ``300_000_000`` → ``300万元``, ``1_234_567`` → ``1.234567万元``."""
    if fen is None or fen == "":
        return "—"
    try:
        value = Decimal(int(fen)) / 1_000_000
    except (TypeError, ValueError):
        return str(fen)
    text = f"{value:,f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:,f}"
    return f"{text}万元"


def _moment(value: Any) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    try:
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
        )
    except ValueError:
        return None


def cn_date(value: Any) -> str:
    moment = _moment(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    if isinstance(moment, datetime):
        moment = moment.astimezone(LOCAL_TZ).date() if moment.tzinfo else moment.date()
    return f"{moment.year}年{moment.month}月{moment.day}日"


def cn_datetime(value: Any) -> str:
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return cn_date(value)
    local = moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value)) if value not in (None, "") else "—"


def award_period(value: Any) -> str:
    """A disbursement's period as people read it: a supplement (补充认定, for loans closed after the period's
    award was determined) says so, with its number."""
    if not isinstance(value, dict):
        return "—"
    period = str(value.get("period") or "—")
    sequence = int(value.get("sequence") or 0)
    return f"{period} · 补充认定（第 {sequence} 次）" if sequence > 0 else period


@pass_context
def csrf_input(context: Context) -> Markup:
    token = context.get("csrf_token") or ""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


def static_url(path: str) -> str:
    return f"/static/{path.lstrip('/')}"


templates = Environment(
    loader=PackageLoader("kunruyi_gateway", "templates"), autoescape=select_autoescape(["html"])
)
templates.filters.update(
    yuan=yuan,
    wan=wan,
    cn_date=cn_date,
    cn_datetime=cn_datetime,
    status_label=status_label,
    award_period=award_period,
    tel_links=tel_links,
)
templates.globals.update(csrf_input=csrf_input, static_url=static_url, status_labels=STATUS_LABELS)


def render_html(
    name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A page without a request (no session shown)."""
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


async def render(
    request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """A page for this request: the template gets ``request``, ``session`` (the live web session or None) and
    ``csrf_token`` besides ``context``. Never cached (pages carry personal data and tokens)."""
    session = await load_session(request)
    context.setdefault("session", session)
    context.setdefault("csrf_token", session.csrf_token if session else "")
    context.setdefault("contacts", request.app.state.settings.center_contacts)
    return render_html(name, status, headers, request=request, **context)
