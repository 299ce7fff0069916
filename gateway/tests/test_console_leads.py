"""The console's leads (线索) of an activity, from svc-talent's and svc-matching's answers: the party's name (never a
bare code), the phone masked as the registration has it, what a need became with a link, the conversion forms only
on open needs, and the forms' checks in Chinese at the field (a service's refusal put back at its field too)."""

from __future__ import annotations

from typing import Any

from kunruyi_gateway.console import leads
from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.web.templating import templates

from .test_console_service import TALENT, USCC, FakeCalls, _directory_answers

ACTIVITY = "0b6f1c55-2b8e-4d3e-9a61-3f1c2d4e5b6a"
OTHER_USCC = "91320583MA1KR8Y30Y"
DEMAND = "6d1f0c55-2b8e-4d3e-9a61-3f1c2d4e5b6a"


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


LISTED = {
    "activity_id": ACTIVITY,
    "title": "集成电路产业链聚链融创对接会",
    "counts": {"leads": 5, "needs": 3, "converted": 2, "to_tickets": 1, "to_demands": 1, "cooperations": 1,
               "negotiations": 1},
    "items": [
        _lead(1, "need", enterprise_uscc=USCC, status="converted", converted_to="ticket", ticket_number="T2026000123",
              content="扩产需要中长期贷款，联系人 139****5678"),
        _lead(2, "need", enterprise_uscc=OTHER_USCC, status="converted", converted_to="demand", demand_id=DEMAND),
        _lead(3, "need", talent_id=TALENT, content="想了解人才公寓"),
        _lead(4, "cooperation", enterprise_uscc=USCC, party="苏州大学", content="共建联合实验室"),
        _lead(5, "negotiation", party="昆山某投资公司", content="意向洽谈"),
    ],
}  # fmt: skip
REGISTRATIONS = {
    "activity_id": ACTIVITY,
    "items": [
        {
            "attendee_type": "enterprise",
            "attendee": USCC,
            "name": "昆山示例科技有限公司",
            "phone_masked": None,
        },
        {"attendee_type": "talent", "attendee": TALENT, "name": "林博士", "phone_masked": "138****1234"},
        {
            "attendee_type": "person",
            "attendee": "139****0000",
            "name": "周小青",
            "phone_masked": "139****0000",
        },
    ],
}


def _calls() -> FakeCalls:
    answers = _directory_answers()
    answers[("talent", "GET", "/api/v1/service-desk/types")] = {
        "types": [
            {"type": "融资需求", "department": "金融监管局", "working_days": 10},
            {"type": "人才公寓", "department": "住建局", "working_days": 10},
        ]
    }
    answers[("talent", "GET", "/api/v1/tickets/T2026000123")] = {
        "status": "accepted",
        "department": "金融监管局",
    }
    answers[("matching", "GET", f"/api/v1/demands/{DEMAND}")] = {
        "demand_number": "XQ2026-0042",
        "status": "pending_review",
    }
    return FakeCalls(answers)


async def test_leads_show_names_masked_phones_and_what_each_need_became() -> None:
    calls = _calls()
    view = await leads.view(
        calls, NameDirectory(), LISTED, REGISTRATIONS, industry_chain="electronic_information"
    )
    by = {r.id[-1]: r for r in view.rows}
    assert [r.kind_label for r in view.rows] == ["需求", "需求", "需求", "合作", "商洽"]
    assert by["1"].party == "昆山示例科技有限公司" and by["1"].party_kind == "企业"
    assert by["2"].party == "企业（未在企业库中找到名称）"  # never the bare code
    assert (by["3"].party, by["3"].phone_masked) == ("林博士", "138****1234")
    assert by["5"].party == "现场参会者（未指明企业或人才）" and by["5"].other_party == "昆山某投资公司"
    assert (by["1"].converted_label, by["1"].converted_url) == (
        "服务工单 T2026000123",
        "/console/tickets/T2026000123",
    )
    assert by["1"].converted_note == "已受理 · 金融监管局办理"
    assert (by["2"].converted_label, by["2"].converted_url) == (
        "技术需求 XQ2026-0042",
        f"/console/broker#demand-{DEMAND}",
    )
    assert by["2"].converted_note == "待审核"
    assert [r.convertible for r in view.rows] == [False, False, True, False, False]
    assert [r.status_label for r in view.rows] == [
        "已转化",
        "已转化",
        "待转化",
        "计入活动成果",
        "计入活动成果",
    ]
    assert view.attendees == [
        (f"enterprise:{USCC}", "企业 · 昆山示例科技有限公司"),
        (f"talent:{TALENT}", "人才 · 林博士"),
    ]
    assert ("融资需求", "融资需求（金融监管局）") in view.ticket_types and view.counts["to_demands"] == 1

    html = templates.get_template("console/_leads.html").render(
        page={"activity_id": ACTIVITY}, activity={"starts_at": "2026-06-18T14:00:00+08:00"}, leads=view,
        may_write=True, started=True, lead_form={}, problems=[],
    )  # fmt: skip
    assert "昆山示例科技有限公司" in html and "林博士" in html and "138****1234" in html
    assert OTHER_USCC not in html.split("<tbody>")[1].split("</tbody>")[0] or "未在企业库" in html
    assert 'href="/console/tickets/T2026000123"' in html and "XQ2026-0042" in html
    assert html.count('data-testid="to-ticket-form"') == 1  # the one open need
    assert 'value="electronic_information" selected' in html  # the activity's chain is proposed
    assert 'data-testid="lead-form"' in html


async def test_a_pending_demand_says_so_and_a_reviewer_sees_no_forms() -> None:
    pending = {
        **LISTED,
        "items": [_lead(2, "need", enterprise_uscc=USCC, status="converted", converted_to="demand")],
    }
    view = await leads.view(_calls(), NameDirectory(), pending, REGISTRATIONS)
    (row,) = view.rows
    assert (row.converted_label, row.converted_url) == ("技术需求", None)
    assert "受理中" in (row.converted_note or "")
    html = templates.get_template("console/_leads.html").render(
        page={"activity_id": ACTIVITY}, activity={}, leads=view, may_write=False, started=True, lead_form={},
        problems=[],
    )  # fmt: skip
    assert "登记线索" not in html and "转为服务工单" not in html


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

    refused = {"code": "enterprise_not_registered", "field": "uscc", "detail": "企业不在企业库中：请先建档"}
    assert leads.problem_fields(refused, leads.RECORD_FIELDS) == {"uscc": "企业不在企业库中：请先建档"}
    invalid = {"code": "validation_error", "errors": [{"field": "body.content", "message": "内容过长"}]}
    assert leads.problem_fields(invalid, leads.RECORD_FIELDS) == {"content": "内容过长"}
    assert (
        leads.problem_fields({"code": "activity_not_started", "field": "activity"}, leads.RECORD_FIELDS) == {}
    )
