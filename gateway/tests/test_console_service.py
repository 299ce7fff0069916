"""The console's queues from the services' answers: names beside codes, overdue first, a mistyped department is an
error (never an empty queue), the reply box's moves, a reviewer's confirmations of the manual criteria."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from kunruyi_common.clock import local_today
from kunruyi_gateway.console import roles
from kunruyi_gateway.console.exceptions import InvalidAmount, UnknownCriterion, UnknownDepartment
from kunruyi_gateway.console.names import NameDirectory
from kunruyi_gateway.console.views import applications as applications_views
from kunruyi_gateway.console.views import runs as runs_views
from kunruyi_gateway.console.views import tickets as tickets_views
from kunruyi_gateway.console.views.common import fen_from_yuan
from kunruyi_gateway.web.templating import templates

USCC = "91320583MA1KR8Y29Y"
TALENT = "6b8f1f3e-0000-4000-8000-000000000001"


class FakeCalls:
    """The services as the console sees them: canned answers per (service, method, path), every call recorded."""

    def __init__(self, answers: dict[tuple[str, str, str], Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, str, Any, Any]] = []

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        self.calls.append((service, method, path, params, json))
        answer = self.answers.get((service, method, path))
        if callable(answer):
            return answer(params, json)
        return answer if answer is not None else {}


def _directory_answers() -> dict[tuple[str, str, str], Any]:
    return {
        ("policy", "GET", "/api/v1/departments"): {"items": [{"code": "sci_tech", "name": "科技局"}]},
        ("talent", "GET", "/api/v1/service-desk/types"): {
            "types": [{"type": "政策咨询", "department": "人才办", "working_days": 3}]
        },
        ("policy", "GET", "/api/v1/policies"): {
            "items": [
                {
                    "code": "KS-KJ-001",
                    "title": "高新技术企业认定奖励",
                    "department": "科技局",
                    "mode": "application",
                    "payout_days": 30,
                },
                {"code": "KS-GX-002", "title": "技改补贴", "department": "工信局", "mode": "application"},
            ],
            "next_cursor": None,
        },
        ("talent", "GET", "/api/v1/enterprises/names"): lambda params, _: {
            "items": [{"uscc": USCC, "name": "昆山示例科技有限公司"}] if USCC in params["uscc"] else []
        },
        ("talent", "GET", "/api/v1/talents/names"): {"items": [{"id": TALENT, "name": "林博士"}]},
    }


def _ticket(number: str, status: str, deadline_in: int, **extra: Any) -> dict[str, Any]:
    return {
        "ticket_number": number,
        "title": f"诉求 {number}",
        "type": "政策咨询",
        "status": status,
        "requester_name": "张**",
        "department": "人才办",
        "deadline": (local_today() + timedelta(days=deadline_in)).isoformat(),
        "overdue": False,
        **extra,
    }


async def test_ticket_queue_puts_overdue_first_and_names_the_company() -> None:
    answers = _directory_answers()
    answers[("talent", "GET", "/api/v1/tickets")] = {
        "items": [
            _ticket("T-3", "submitted", 5),
            _ticket("T-2", "accepted", -1, enterprise_uscc=USCC),
            _ticket("T-1", "closed", -9),
        ]
    }
    calls = FakeCalls(answers)
    queue = await tickets_views.ticket_queue(calls, NameDirectory(), roles=["officer"], department="人才办")
    assert [r.number for r in queue.rows] == ["T-2", "T-3", "T-1"]
    assert queue.rows[0].overdue and queue.rows[0].company == "昆山示例科技有限公司"
    assert queue.overdue == 1 and queue.counts == {"已提交": 1, "已受理": 1, "已办结": 1}


async def test_a_reopened_ticket_comes_first_however_old_and_is_marked() -> None:
    answers = _directory_answers()
    reopened = _ticket("T-0", "in_progress", 9, reopened=True)

    def tickets(params: dict[str, Any], _: Any) -> dict[str, Any]:
        # An old reopened ticket is not among the newest; only the reopened=true page brings it.
        if params.get("reopened") == "true":
            return {"items": [reopened]}
        return {"items": [_ticket("T-3", "submitted", 5), _ticket("T-2", "accepted", -1)]}

    answers[("talent", "GET", "/api/v1/tickets")] = tickets
    queue = await tickets_views.ticket_queue(
        FakeCalls(answers), NameDirectory(), roles=["officer"], department="人才办"
    )
    assert [(r.number, r.reopened) for r in queue.rows] == [("T-0", True), ("T-2", False), ("T-3", False)]
    assert queue.reopened == 1
    html = templates.get_template("console/_tickets_list.html").render(queue=queue)
    assert html.index("T-0") < html.index("T-2") and 'data-testid="reopened">重新打开' in html
    assert "重新打开 1" in html


async def test_a_mistyped_department_is_an_error_not_an_empty_queue() -> None:
    calls = FakeCalls(_directory_answers())
    with pytest.raises(UnknownDepartment) as raised:
        await tickets_views.ticket_queue(
            calls, NameDirectory(), roles=["admin"], department=None, department_filter="科枝局"
        )
    assert raised.value.field == "department" and "科技局" in raised.value.detail
    with pytest.raises(UnknownDepartment):
        await applications_views.application_queue(
            calls, NameDirectory(), roles=["reviewer"], department="科枝局"
        )
    assert not any(path == "/api/v1/applications" for _, _, path, _, _ in calls.calls)


async def test_application_queue_keeps_the_departments_policies_with_titles_and_names() -> None:
    answers = _directory_answers()
    answers[("disbursement", "GET", "/api/v1/applications")] = {
        "items": [
            {
                "id": "a1",
                "application_number": "SB-1",
                "policy_code": "KS-KJ-001",
                "applicant_type": "enterprise",
                "applicant_id": USCC,
                "period": "2025",
                "amount_fen": 12_345_600,
                "status": "accepted",
                "allowed_next": ["first_review"],
                "created_at": "2025-01-02T03:00:00+00:00",
            },
            {
                "id": "a2",
                "policy_code": "KS-GX-002",
                "applicant_type": "talent",
                "applicant_id": TALENT,
                "status": "accepted",
            },
        ]
    }
    calls = FakeCalls(answers)
    queue = await applications_views.application_queue(
        calls, NameDirectory(), roles=["reviewer"], department="科技局"
    )
    assert [(r.policy_title, r.applicant_name, r.next_step, r.amount) for r in queue.rows] == [
        ("高新技术企业认定奖励", "昆山示例科技有限公司", "初审", "¥123,456.00")
    ]
    assert str(queue.rows[0].due) == "2025-02-01"


async def test_names_are_looked_up_once_per_page_and_cached() -> None:
    calls = FakeCalls(_directory_answers())
    names = NameDirectory()
    for _ in range(2):
        found = await names.entity_names(calls, [("enterprise", USCC), ("talent", TALENT), ("talent", "bad")])
        assert found == {("enterprise", USCC): "昆山示例科技有限公司", ("talent", TALENT): "林博士"}
    lookups = [c for c in calls.calls if c[2].endswith("/names")]
    assert len(lookups) == 2


async def test_reply_box_moves_a_new_ticket_to_replied_with_the_reply_last() -> None:
    answers = {("talent", "GET", "/api/v1/tickets/T-9"): {"status": "submitted"}}
    calls = FakeCalls(answers)
    await tickets_views.answer_ticket(calls, "T-9", "已电话联系，材料清单见短信。")
    posted = [j for s, m, p, _, j in calls.calls if m == "POST"]
    assert posted == [
        {"to": "accepted"},
        {"to": "in_progress"},
        {"to": "replied", "reply": "已电话联系，材料清单见短信。"},
    ]


async def test_joint_ticket_shows_its_parts_and_offers_the_desks_other_departments() -> None:
    answers = _directory_answers()
    answers[("talent", "GET", "/api/v1/service-desk/types")] = {
        "types": [
            {"type": "政策咨询", "department": "人才办", "working_days": 3},
            {"type": "落户", "department": "公安局", "working_days": 5},
            {"type": "出入境", "department": "公安局", "working_days": 7},
        ]
    }
    part = {
        "department": "公安局",
        "officer": "王警官",
        "task": "核实落户材料",
        "answer": None,
        "invited_by": "rcb-officer-wang",
        "invited_at": "2026-01-05T02:00:00Z",
        "answered_by": None,
        "answered_at": None,
    }
    answers[("talent", "GET", "/api/v1/tickets/T-7")] = {
        **_ticket("T-7", "in_progress", 3),
        "joint": True,
        "parts": [part],
    }
    calls = FakeCalls(answers)
    detail = await tickets_views.ticket_detail(calls, NameDirectory(), "T-7")
    assert detail.departments == ["公安局"]  # each once, the ticket's own department left out
    assert detail.open_for_handling and detail.unanswered == ["公安局"]
    assert detail.parts[0].task == "核实落户材料" and not detail.parts[0].answered

    await tickets_views.answer_part(calls, "T-7", "公安局", "材料齐全，可以落户。")
    await tickets_views.transfer_ticket(calls, "T-7", "公安局", "属户籍业务")
    posted = [(p, j) for s, m, p, _, j in calls.calls if m == "POST"]
    assert posted == [
        ("/api/v1/tickets/T-7/parts/%E5%85%AC%E5%AE%89%E5%B1%80/answer", {"answer": "材料齐全，可以落户。"}),
        ("/api/v1/tickets/T-7/transfer", {"department": "公安局", "reason": "属户籍业务"}),
    ]


def test_manual_criteria_confirmation_is_written_into_the_step_comment() -> None:
    manual = [
        {"id": "rd_ratio", "label": "研发投入占比不低于 3%"},
        {"id": "no_violation", "label": "无失信记录"},
    ]
    text = applications_views.confirmation_comment(
        manual, {"rd_ratio": True}, {"rd_ratio": "审计报告第 4 页", "no_violation": "待查"}, "材料齐全"
    )
    assert (
        text == "研发投入占比不低于 3%：✓ 已核验（审计报告第 4 页）；无失信记录：✗ 未核验（待查）。材料齐全"
    )
    with pytest.raises(UnknownCriterion):
        applications_views.confirmation_comment(manual, {"other": True}, {}, None)


def test_amounts_in_yuan_become_fen_and_bad_ones_are_named() -> None:
    assert fen_from_yuan("12,345.6", field="amount") == 1_234_560
    assert fen_from_yuan(" 500000 ", field="amount") == 50_000_000
    for bad in ("", "abc", "-1", "0", "1.234", "NaN", "1e20"):
        with pytest.raises(InvalidAmount) as raised:
            fen_from_yuan(bad, field="amount")
        assert raised.value.field == "amount"


def test_a_leader_opens_the_cockpit_only_and_may_not_report() -> None:
    """领导: home is the cockpit; no queue that acts on or shows a person's records; no reporting or approving."""
    assert roles.home_queue(["leader"]) == "cockpit"
    assert roles.may_open("cockpit", ["leader"])
    for queue in ("tickets", "applications", "finance", "broker", "catalog", "activities", "overview"):
        assert not roles.may_open(queue, ["leader"]), queue
    assert not roles.may_open("indicator_reports", ["leader"])
    assert roles.may_open("indicator_reports", ["officer"]) and roles.may_open("indicator_reports", ["admin"])
    assert roles.ROLE_TITLES["leader"] == "领导"


async def test_the_runs_page_offers_to_cancel_only_the_jobs_the_staff_member_may_cancel() -> None:
    """svc-policy says per job whether the caller may cancel it (another department's 免申即享 run: no); the page
    keeps polling while any job runs, whoever's it is."""

    def job(job_id: str, status: str, may_cancel: bool) -> dict[str, Any]:
        return {
            "id": job_id,
            "kind": "entitlement_run",
            "status": status,
            "total": 10,
            "done": 3,
            "department": "科技局",
            "may_cancel": may_cancel,
        }

    calls = FakeCalls(
        {
            ("policy", "GET", "/api/v1/jobs"): {
                "items": [
                    job("theirs", "running", False),
                    job("ours", "queued", True),
                    job("done", "succeeded", True),
                ]
            }
        }
    )
    view = await runs_views.jobs_view(calls)
    assert {j["id"]: j["cancellable"] for j in view["jobs"]} == {"theirs": False, "ours": True, "done": False}
    assert view["live"]
    calls.answers[("policy", "GET", "/api/v1/jobs")] = {"items": [job("theirs", "running", False)]}
    assert (await runs_views.jobs_view(calls))["live"]
