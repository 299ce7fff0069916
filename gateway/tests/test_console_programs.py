"""The console's 人才计划 views over svc-disbursement's answers: the department's programs with their calls and
counts, a call's ranking with each applicant's status and company name (the registry's when the application gave
only a USCC; 未落地 when none), the 公示 period in words, the objections open first with the resolver's name and who
moved up; a refusal of the service reaches the page."""

from __future__ import annotations

from typing import Any

import pytest
from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.console.views import programs
from kunruyi_gateway.web.calls import UpstreamError

CALL = "11111111-1111-4111-8111-111111111111"
PROGRAM = "22222222-2222-4222-8222-222222222222"
OTHER_PROGRAM = "33333333-3333-4333-8333-333333333333"
A1, A2, A3 = (f"aaaaaaaa-aaaa-4aaa-8aaa-00000000000{i}" for i in (1, 2, 3))
USCC = "91320583MA1KR8Y29Y"


def _summary(**over: Any) -> dict[str, Any]:
    return {
        "id": CALL,
        "program_id": PROGRAM,
        "program_code": "KS-SC-RC",
        "program_title": "昆山双创人才",
        "department": "科技局",
        "year": 2026,
        "title": "2026年度昆山双创人才",
        "opens_on": "2026-03-01",
        "closes_on": "2026-04-30",
        "status": "public_notice",
        "accepting": False,
        "categories": [{"code": "A", "title": "科技创业类", "quota": 1}],
        "quota": 1,
        "notice_starts_on": "2026-05-10",
        "notice_ends_on": "2026-05-15",
        "accepting_objections": True,
        "applications": 3,
        "selected": 1,
        "withdrawn": 1,
        "objections": 2,
        "objections_open": 1,
        **over,
    }


def _application(id_: str, name: str, uscc: str | None, company: str | None, status: str) -> dict[str, Any]:
    return {
        "id": id_,
        "applicant_name": name,
        "company_uscc": uscc,
        "company_name": company,
        "funding_level": "L1",
        "requested_amount_fen": 150_000_000,
        "status": status,
    }


class FakeCalls:
    def __init__(self, refuse: int | None = None) -> None:
        self.refuse, self.asked = refuse, []

    async def call(self, service: str, method: str, path: str, **kw: Any) -> Any:
        self.asked.append((service, method, path, kw.get("params")))
        if path == "/api/v1/program-calls":
            if self.refuse:
                raise UpstreamError(
                    self.refuse, "refused", {"detail": "该人才计划由科技局办理", "code": "other_department"}
                )
            return {"items": [_summary()]}
        if path == "/api/v1/programs":
            return {
                "items": [
                    {
                        "id": PROGRAM,
                        "code": "KS-SC-RC",
                        "title": "昆山双创人才",
                        "applicant_kind": "talent",
                        "department": "科技局",
                    },
                    {
                        "id": OTHER_PROGRAM,
                        "code": "KS-HJ",
                        "title": "昆山头雁人才",
                        "applicant_kind": "team",
                        "department": "人社局",
                    },
                ]
            }
        if path == f"/api/v1/program-calls/{CALL}":
            call = _summary()
            call["funding_levels"] = [{"code": "L1", "title": "一档", "max_amount_fen": 200_000_000}]
            call["panel"] = ["expert-a", "expert-b"]
            return call
        if path.endswith("/ranking"):
            row = {
                "category": "A",
                "normalised_score": 0.5,
                "mean_raw_score": 90.0,
                "scores": 2,
                "expected_scores": 2,
            }
            return {
                "complete": True,
                "categories": {
                    "A": [
                        {
                            **row,
                            "application_id": A1,
                            "applicant_name": "甲",
                            "company_name": None,
                            "rank": 1,
                            "within_quota": True,
                        },
                        {
                            **row,
                            "application_id": A2,
                            "applicant_name": "乙",
                            "company_name": "乙公司",
                            "rank": 2,
                            "within_quota": False,
                        },
                        {
                            **row,
                            "application_id": A3,
                            "applicant_name": "丙",
                            "company_name": None,
                            "rank": 3,
                            "within_quota": False,
                        },
                    ]
                },
            }
        if path.endswith("/applications"):
            return {
                "items": [
                    _application(A1, "甲", USCC, None, "withdrawn"),
                    _application(A2, "乙", "91320583MA1KR8Y30P", "乙公司", "selected"),
                    _application(A3, "丙", None, None, "not_selected"),
                ]
            }
        if path.endswith("/objections"):
            base = {"application_id": A1, "applicant_name": "甲", "objector": None, "reason": "不实"}
            return {
                "items": [
                    {
                        **base,
                        "id": "o1",
                        "status": "upheld",
                        "resolution": "属实",
                        "resolved_by": "kj-officer",
                        "resolved_at": "2026-05-11T02:00:00Z",
                        "promoted_application_id": A2,
                        "created_at": "2026-05-10T02:00:00Z",
                    },
                    {
                        **base,
                        "id": "o2",
                        "status": "open",
                        "resolution": None,
                        "resolved_by": None,
                        "resolved_at": None,
                        "promoted_application_id": None,
                        "created_at": "2026-05-10T03:00:00Z",
                    },
                ]
            }
        if path == "/api/v1/enterprises/names":
            assert kw["params"] == {"uscc": [USCC]}
            return {"items": [{"uscc": USCC, "name": "昆山甲辰人才科技有限公司"}]}
        raise AssertionError(path)


async def test_the_departments_programs_with_their_calls() -> None:
    view = await programs.programs_view(
        FakeCalls(), roles=["officer"], department="科技局", program=None, status=None
    )
    assert [p.title for p in view.programs] == ["昆山双创人才"]  # 人社局's program is not listed
    [call] = view.programs[0].calls
    assert (call.status_title, call.applications, call.selected, call.objections_open) == ("公示", 3, 1, 1)
    assert call.notice == "2026-05-10 至 2026-05-14"  # up to the day before notice_ends_on
    assert call.categories == "科技创业类 1 名"
    admin = await programs.programs_view(
        FakeCalls(), roles=["admin"], department=None, program=None, status=None
    )
    assert {p.title for p in admin.programs} == {"昆山双创人才", "昆山头雁人才"}


async def test_another_departments_program_is_refused_by_the_service() -> None:
    with pytest.raises(UpstreamError) as refused:
        await programs.programs_view(
            FakeCalls(refuse=403), roles=["officer"], department="人社局", program=PROGRAM, status=None
        )
    assert refused.value.status == 403


async def test_a_call_with_names_statuses_and_objections() -> None:
    calls = FakeCalls()
    view = await programs.call_view(calls, NameDirectory(), CALL, me="kj-officer", my_name="科技经办周")
    [category] = view.categories
    rows = {r.applicant_name: r for r in category.rows}
    assert rows["甲"].company == "昆山甲辰人才科技有限公司"  # the registry's name for a USCC-only application
    assert rows["乙"].company == "乙公司" and rows["丙"].company == "未落地（企业尚未注册）"
    assert [rows[n].status_title for n in "甲乙丙"] == ["撤销入选（异议成立）", "入选", "未入选"]
    assert (rows["甲"].funding_level, rows["甲"].requested) == ("一档", "¥1,500,000.00")
    assert [o.status_title for o in view.objections] == ["待处理", "异议成立"]  # open first
    resolved = view.objections[1]
    assert (resolved.resolved_by, resolved.promoted, resolved.objector) == ("科技经办周", "乙", "匿名")
    assert (view.panel, view.complete, view.call.notice) == (2, True, "2026-05-10 至 2026-05-14")
    # The counts come through the department-checked list, asked for the call's program.
    assert ("disbursement", "GET", "/api/v1/program-calls", {"program": PROGRAM}) in calls.asked


def test_a_notice_of_no_days_and_none() -> None:
    assert programs.notice_period("2026-05-10", "2026-05-10") == "2026-05-10（不设异议期）"
    assert programs.notice_period(None, None) == "未公示"
