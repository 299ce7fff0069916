"""人才计划 on the console: programs, calls, ranking and selection, 公示 objections (data: ``console/views/programs.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kunruyi_gateway.console.auth import ProgramDesk
from kunruyi_gateway.console.pages.common import (
    calls_for,
    names_of,
    page,
    problem_status,
    problem_text,
    view_page,
)
from kunruyi_gateway.console.views import programs
from kunruyi_gateway.web.calls import UpstreamError
from kunruyi_gateway.web.sessions import SignedIn

router = APIRouter()


@router.get("/programs", response_class=HTMLResponse)
async def programs_page(
    request: Request, session: ProgramDesk, program: str | None = None, status: str | None = None
) -> HTMLResponse:
    """The department's programs and their calls with window, quota, status and counts; ``program`` narrows to
    one (another department's is refused by svc-disbursement, shown here with its status)."""
    chosen, state = (program or "").strip() or None, (status or "").strip() or None
    wrong = []
    if chosen is not None:
        try:
            chosen = str(uuid.UUID(chosen))
        except ValueError:
            wrong.append(f"人才计划编号“{chosen}”无效，已显示本部门全部计划")
            chosen = None
    if state is not None and state not in programs.CALL_STATUS:
        wrong.append(f"批次状态“{state}”不存在，可选：{'、'.join(programs.CALL_STATUS.values())}")
        state = None
    return await view_page(
        request,
        session,
        "console/programs.html",
        programs.programs_view(
            calls_for(request, session),
            roles=list(session.roles),
            department=session.department,
            program=chosen,
            status=state,
        ),
        code=422 if wrong else 200,
        problems=wrong,
        filters={"program": chosen, "status": state},
        statuses=programs.CALL_STATUS,
    )


async def _program_call_page(
    request: Request,
    session: SignedIn,
    call_id: str,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    return await view_page(
        request,
        session,
        "console/program_call.html",
        programs.call_view(
            calls_for(request, session),
            names_of(request),
            call_id,
            me=session.subject,
            my_name=session.display_name or session.subject,
        ),
        code=code,
        problems=problems,
        call_id=call_id,
        notice=notice,
        form=form or {},
        outcomes=programs.OUTCOMES,
        can_resolve="officer" in session.roles or "admin" in session.roles,
    )


@router.get("/programs/calls/{call_id}", response_class=HTMLResponse)
async def program_call(request: Request, session: ProgramDesk, call_id: uuid.UUID) -> HTMLResponse:
    return await _program_call_page(request, session, str(call_id))


@router.post("/programs/objections/{objection_id}/resolution", response_class=HTMLResponse)
async def resolve_program_objection(
    request: Request, session: ProgramDesk, objection_id: uuid.UUID
) -> HTMLResponse:
    """An objection resolved with its outcome and reply, as svc-disbursement takes it; a refusal (a reply left
    empty, another department, already resolved) is shown next to the field it names, with the reply kept."""
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    reply = str(form.get("resolution") or "")
    calls = calls_for(request, session)
    try:
        done = await programs.resolve_objection(calls, str(objection_id), outcome, reply)
    except UpstreamError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        fields = {
            f"{e['field']}_error": programs.objection_field_error(
                str(e["field"]), str(e.get("message") or "")
            )
            for e in body.get("errors") or []
            if isinstance(e, dict) and e.get("field") in programs.RESOLUTION_FIELDS
        }
        kept = {"objection_id": str(objection_id), "outcome": outcome, "resolution": reply, **fields}
        # A field the service named: its words in Chinese beside the field, and above the page what went wrong.
        said = [f"异议未处理：{m}" for m in fields.values()] or [problem_text(exc)]
        try:
            call_id = await programs.objection_call_id(calls, str(objection_id))
        except UpstreamError as missing:
            return await page(
                request,
                session,
                "console/error.html",
                status=problem_status(missing),
                problems=[problem_text(missing)],
            )
        return await _program_call_page(
            request, session, call_id, problems=said, code=problem_status(exc), form=kept
        )
    outcome_title = programs.OBJECTION_STATUS.get(str(done.get("status")), "")
    promoted = "，名额内已按排名递补" if done.get("promoted_application_id") else ""
    return await _program_call_page(
        request,
        session,
        str(done["call_id"]),
        notice=f"已处理异议（{done['applicant_name']}）：{outcome_title}{promoted}",
    )
