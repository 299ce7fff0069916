"""The console's leads (线索) of an activity, what the Chromium test (tests/e2e/test_console_leads.py, against the real
services) does not reach: a need whose demand svc-matching has not filed yet, a reviewer's read-only view, and the
forms' own checks in Chinese at the field (a service's refusal put back at its field, or on the lead's row)."""

from __future__ import annotations

from typing import Any

from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.console.views import leads
from kunruyi_gateway.web.templating import templates

from .test_console_service import TALENT, USCC, FakeCalls, _directory_answers

ACTIVITY = "0b6f1c55-2b8e-4d3e-9a61-3f1c2d4e5b6a"


def _lead(n: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-00000000000{n}",
        "activity_id": ACTIVITY,
        "kind": kind,
        "enterprise_uscc": None,
        "talent_id": None,
        "party": None,
        "content": f"线索 {n}",
        "status": "open",
        "converted_to": None,
        "ticket_number": None,
        "demand_id": None,
        "created_by": "staff:rcb-officer-wang",
        "created_at": "2026-06-18T15:00:00+08:00",
        "converted_at": None,
        **extra,
    }


COUNTS = {"leads": 2, "needs": 2, "converted": 1, "to_tickets": 0, "to_demands": 1, "cooperations": 0,
          "negotiations": 0}  # fmt: skip
REGISTRATIONS = {
    "activity_id": ACTIVITY,
    "items": [
        {
            "attendee_type": "enterprise",
            "attendee": USCC,
            "name": "昆山示例科技有限公司",
            "phone_masked": None,
        }
    ],
}


def _calls() -> FakeCalls:
    answers = _directory_answers()
    answers[("talent", "GET", "/api/v1/service-desk/types")] = {
        "types": [{"type": "政策咨询", "department": "人才办", "working_days": 3}]
    }
    return FakeCalls(answers)


async def test_a_demand_not_filed_yet_says_so_a_refusal_sits_on_its_row_and_a_reviewer_sees_no_forms() -> (
    None
):
    listed = {
        "activity_id": ACTIVITY,
        "title": "集成电路产业链路演",
        "counts": COUNTS,
        "items": [
            # Converted, but svc-matching has not filed the demand yet (its id comes back with its event).
            _lead(1, "need", enterprise_uscc=USCC, status="converted", converted_to="demand"),
            _lead(2, "need", enterprise_uscc=USCC, content="想了解人才公寓"),
        ],
    }
    view = await leads.view(_calls(), NameDirectory(), listed, REGISTRATIONS)
    filed, open_need = view.rows
    assert (filed.converted_label, filed.converted_url) == ("技术需求", None)
    assert "受理中" in (filed.converted_note or "")
    assert open_need.convertible and not filed.convertible

    refused = {"lead": open_need.id, "convert_errors": {"lead": "技术需求属于企业"}}
    html = templates.get_template("console/_leads.html").render(
        page={"activity_id": ACTIVITY}, activity={}, leads=view, may_write=True, started=True,
        lead_form=refused, problems=[],
    )  # fmt: skip
    row = html.split(f'data-lead="{open_need.id}"')[1].split("</tr>")[0]
    assert 'data-testid="lead-error">技术需求属于企业<' in row and "转为服务工单" in row

    html = templates.get_template("console/_leads.html").render(
        page={"activity_id": ACTIVITY}, activity={}, leads=view, may_write=False, started=True, lead_form={},
        problems=[],
    )  # fmt: skip
    assert "登记线索" not in html and "转为服务工单" not in html and "昆山示例科技有限公司" in html


async def test_the_conversions_progress_comes_with_the_list_and_one_call_for_every_demand() -> None:
    demands = [f"6d1f0c55-2b8e-4d3e-9a61-3f1c2d4e5b6{n}" for n in range(3)]
    listed = {
        "activity_id": ACTIVITY,
        "title": "集成电路产业链路演",
        "counts": COUNTS,
        "items": [
            _lead(1, "need", enterprise_uscc=USCC, status="converted", converted_to="ticket",
                  ticket_number="T2026000001", ticket_status="in_progress", ticket_department="金融监管局"),
            *(
                _lead(n + 2, "need", enterprise_uscc=USCC, status="converted", converted_to="demand",
                      demand_id=d)
                for n, d in enumerate(demands)
            ),
        ],
    }  # fmt: skip
    calls = _calls()
    calls.answers[("matching", "GET", "/api/v1/demands")] = lambda params, _json: {
        "items": [
            {"id": d, "demand_number": f"D00{n}", "status": "unassigned" if n == 0 else "assigned"}
            for n, d in enumerate(params["id"])
        ]
    }
    view = await leads.view(calls, NameDirectory(), listed, REGISTRATIONS)
    ticket, waiting, *assigned = view.rows
    assert (ticket.converted_label, ticket.converted_note) == (
        "服务工单 T2026000001",
        "办理中 · 金融监管局办理",
    )
    assert (
        waiting.converted_label == "技术需求 D000"
        and waiting.converted_url == f"/console/broker#demand-{demands[0]}"
    )
    assert [r.converted_label for r in assigned] == ["技术需求 D001", "技术需求 D002"]
    assert all(r.converted_url is None for r in assigned)
    asked = [(c[0], c[2]) for c in calls.calls if "/tickets" in c[2] or "/demands" in c[2]]
    assert asked == [("matching", "/api/v1/demands")]  # one call for the three demands, none per ticket


def test_the_record_form_is_checked_at_the_field_in_chinese() -> None:
    body, errors = leads.record_body({"kind": "", "content": "x"})
    assert (
        set(errors) == {"kind", "content"}
        and "线索类型" in errors["kind"]
        and "至少 2 个字" in errors["content"]
    )
    _, errors = leads.record_body({"kind": "need", "content": "需要贷款"})
    assert "企业或人才" in errors["attendee"]
    _, errors = leads.record_body({"kind": "cooperation", "content": "共建实验室"})
    assert errors == {"party": "请填写合作的另一方（单位名称）"}
    _, errors = leads.record_body(
        {"kind": "need", "attendee": f"enterprise:{USCC}", "uscc": USCC, "content": "需要"}
    )
    assert "二者选其一" in errors["uscc"]
    _, errors = leads.record_body({"kind": "need", "uscc": "123", "content": "需要厂房"})
    assert errors == {"uscc": "统一社会信用代码为 18 位"}
    body, errors = leads.record_body(
        {"kind": "need", "attendee": f"talent:{TALENT}", "content": " 想了解人才公寓 "}
    )
    assert not errors and body == {"kind": "need", "talent_id": TALENT, "content": "想了解人才公寓"}
    body, errors = leads.record_body(
        {"kind": "negotiation", "uscc": USCC.lower(), "party": "苏州大学", "content": "意向洽谈"}
    )
    assert not errors and body["uscc"] == USCC and body["party"] == "苏州大学"


def test_the_conversion_forms_are_checked_and_a_refusal_lands_at_its_field() -> None:
    assert leads.conversion_body({"to": "ticket"})[1] == {"type": "请选择诉求类型（决定承办部门和办理时限）"}
    _, errors = leads.conversion_body({"to": "demand", "industry_chain": "electronic_information"})
    assert set(errors) == {"technical_field", "demand_type"}
    body, errors = leads.conversion_body(
        {"to": "demand", "industry_chain": "electronic_information", "technical_field": "advanced_packaging",
         "demand_type": "技术攻关"}
    )  # fmt: skip
    assert not errors and body["to"] == "demand"
    assert leads.conversion_body({})[1] == {"to": "请选择转为服务工单或技术需求"}

    refused = {
        "code": "enterprise_not_registered",
        "field": "uscc",
        "uscc": USCC,
        "detail": "企业不在企业库中：请先建档（POST /api/v1/enterprises）再登记线索",
        "errors": [{"field": "uscc", "message": "企业不在企业库中：请先建档（POST /api/v1/enterprises）"}],
    }
    assert leads.problem_fields(refused, leads.RECORD_FIELDS) == {
        "uscc": f"企业 {USCC} 不在企业库中：请先为该企业建档（一企一档），再登记线索"
    }
    unnamed = {"code": "enterprise_not_registered", "field": "uscc", "detail": "不在企业库中"}
    assert "不在企业库中" in leads.problem_fields(unnamed, leads.RECORD_FIELDS)["uscc"]
    invalid = {"code": "validation_error", "errors": [{"field": "body.content", "message": "内容过长"}]}
    assert leads.problem_fields(invalid, leads.RECORD_FIELDS) == {"content": "内容过长"}
    assert (
        leads.problem_fields({"code": "activity_not_started", "field": "activity"}, leads.RECORD_FIELDS) == {}
    )
    done = {"code": "lead_already_converted", "field": "lead", "detail": "该线索已转为技术需求"}
    assert leads.problem_fields(done, leads.CONVERT_FIELDS) == {"lead": "该线索已转为技术需求"}
