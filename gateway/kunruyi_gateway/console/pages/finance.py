"""Finance (资金拨付): budgets and top-ups, reconciliation, the two-person decisions on disbursements."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from kunruyi_common.errors import ProblemError

from kunruyi_gateway.console.auth import FinanceOrApproverDesk
from kunruyi_gateway.console.pages.common import calls_for, names_of, problem_status, problem_text, view_page
from kunruyi_gateway.console.views import finance as finance_views
from kunruyi_gateway.console.views.common import fen_from_yuan, yuan
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


async def _finance_page(
    request: Request,
    session: SignedIn,
    status: str = "pending_approval",
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "statuses": finance_views.DISBURSEMENT_STATUS,
        "notice": notice,
        "form": form or {},
        "form_key": uuid.uuid4().hex,
        "can_top_up": "finance" in session.roles or "admin" in session.roles,
        "can_decide": "approver" in session.roles or "admin" in session.roles,
    }
    return await view_page(
        request,
        session,
        "console/finance.html",
        finance_views.finance_view(
            calls_for(request, session),
            names_of(request),
            status=status,
            roles=list(session.roles),
            department=session.department,
        ),
        code=code,
        problems=problems,
        filters={"status": status},
        from_view=lambda view: {"filters": view.filters},
        **ctx,
    )


@router.get("/finance", response_class=HTMLResponse)
async def finance(
    request: Request, session: FinanceOrApproverDesk, status: str = "pending_approval"
) -> HTMLResponse:
    return await _finance_page(request, session, status)


@router.post("/finance/budgets", response_class=HTMLResponse)
async def top_up(request: Request, session: FinanceOrApproverDesk) -> HTMLResponse:
    """A budget top-up (finance of the policy's department); the form's key makes a double submit one top-up."""
    form = await request.form()
    policy_code = str(form.get("policy_code") or "").strip()
    amount_text = str(form.get("amount") or "")
    try:
        fiscal_year = int(str(form.get("fiscal_year") or "0"))
        amount_fen = fen_from_yuan(amount_text, field="amount")
        result = await finance_views.top_up_budget(
            calls_for(request, session),
            policy_code=policy_code,
            fiscal_year=fiscal_year,
            amount_fen=amount_fen,
            memo=str(form.get("memo") or "").strip() or None,
            key=str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except ValueError:
        return await _finance_page(
            request,
            session,
            problems=["年度须为数字，如 2025"],
            code=422,
            form={"policy_code": policy_code, "amount": amount_text},
        )
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _finance_page(
            request,
            session,
            problems=[problem_text(exc)],
            code=code,
            form={"policy_code": policy_code, "amount": amount_text, "fiscal_year": form.get("fiscal_year")},
        )
    resumed = int(result.get("resumed_disbursements") or 0)
    note = f"已拨入预算 {yuan(amount_fen)}" + (f"，{resumed} 笔待预算的拨付已继续办理" if resumed else "")
    return await _finance_page(request, session, notice=note)


@router.post("/finance/reconciliation", response_class=HTMLResponse)
async def reconcile(request: Request, session: FinanceOrApproverDesk) -> HTMLResponse:
    """One day's bank statement against the ledger, started by finance; the run and its differences then show on
    the page (svc-disbursement refuses anyone without the finance role)."""
    form = await request.form()
    day = str(form.get("date") or "")
    try:
        report = await finance_views.run_reconciliation(calls_for(request, session), day)
    except (ProblemError, UpstreamError) as exc:
        code = problem_status(exc)
        return await _finance_page(
            request, session, problems=[problem_text(exc)], code=code, form={"date": day}
        )
    differences = sum(
        int(report.get(k) or 0) for k in ("missing_in_ledger", "missing_in_bank", "amount_mismatch")
    )
    note = f"{report['statement_date']} 对账完成：相符 {report['matched']} 笔，" + (
        f"差异 {differences} 笔，见下方对账记录" if differences else "无差异"
    )
    return await _finance_page(request, session, notice=note)


@router.post("/finance/disbursements/{disbursement_id}/{action}", response_class=HTMLResponse)
async def decide(
    request: Request, session: FinanceOrApproverDesk, disbursement_id: uuid.UUID, action: str
) -> HTMLResponse:
    """Approve or reject a disbursement awaiting approval, or reissue a failed payment (the policy's department)."""
    form = await request.form()
    status = str(form.get("status") or "pending_approval")
    if action not in ("approve", "reject", "reissue"):
        return await _finance_page(request, session, status, problems=["未知的操作"], code=404)
    text = str(form.get("text") or "").strip() or None
    if action != "approve" and not text:
        what = "驳回理由" if action == "reject" else "重新支付的原因"
        return await _finance_page(request, session, status, problems=[f"请填写{what}"], code=422)
    try:
        await finance_views.decide_disbursement(
            calls_for(request, session),
            str(disbursement_id),
            action,
            text,
            str(form.get("idempotency_key") or uuid.uuid4().hex),
        )
    except UpstreamError as exc:
        return await _finance_page(
            request, session, status, problems=[problem_text(exc)], code=problem_status(exc)
        )
    done = {"approve": "已审批通过，预算已预留并发起支付", "reject": "已驳回", "reissue": "已重新发起支付"}[
        action
    ]
    return await _finance_page(request, session, status, notice=done)
